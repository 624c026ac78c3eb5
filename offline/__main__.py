"""`python -m offline plan|check ...`: see offline/cli.py and the README, "Offline plan"."""

import gc

# A one-shot command: the cyclic GC would only re-scan the provider SDKs' million live objects
# (a fifth of a plan's time) to find next to no garbage. Off for the process, which ends with
# `exit_now`. (`engine.run` pauses it for in-process callers too.)
gc.disable()

from .cli import exit_now, main  # noqa: E402

exit_now(main())
