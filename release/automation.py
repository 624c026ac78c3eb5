"""The Pulumi engine behind a small interface: read config, write config, run an update.

`AutomationEngine` drives a real stack through the Automation API (it needs the Pulumi CLI on
PATH when it runs, not when it is imported). Tests use a fake that records every config applied.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

REPO_ROOT = Path(__file__).resolve().parent.parent
# A stack locked by another update (typically the one a Ctrl-C is still cancelling, or the one a
# SIGTERM left running): wait for it instead of failing the rollback at once.
LOCK_WAIT_SECONDS = 900
LOCK_POLL_SECONDS = 15

log = logging.getLogger("release")


class Engine(Protocol):
    def get_config(self) -> dict[str, str]:
        """The stack's plain (non-secret) config, namespaced keys (`nox:releaseActive`)."""
        ...

    def set_config(self, values: dict[str, str]) -> None:
        """Write these keys to the stack config (other keys stay as they are)."""
        ...

    def up(self) -> None:
        """Run an update with the current config; raise on failure."""
        ...


class AutomationEngine:
    """`pulumi up` on a stack of this project, through `pulumi.automation`.

    The stack is selected lazily (first call), so constructing one needs neither the CLI nor a
    backend login. `set_config` writes `Pulumi.<stack>.yaml` in `work_dir` like
    `pulumi config set` does: commit the file after a release.
    """

    def __init__(
        self,
        stack_name: str,
        *,
        work_dir: str | Path = REPO_ROOT,
        policy_packs: list[str] | None = None,
        preview_first: bool = False,
        on_output: Callable[[str], Any] | None = print,
        select_stack: Callable[..., Any] | None = None,
        message: str | None = None,
        lock_wait: float = LOCK_WAIT_SECONDS,
        lock_poll: float = LOCK_POLL_SECONDS,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        self.stack_name = stack_name
        self.work_dir = str(Path(work_dir).resolve())
        self.policy_packs = [str(Path(self.work_dir, p).resolve()) for p in (policy_packs or [])]
        self.preview_first = preview_first
        self.on_output = on_output
        self.message = message
        self._select_stack = select_stack
        self.lock_wait, self.lock_poll = lock_wait, lock_poll
        self._sleep, self._monotonic = sleep, monotonic
        self._stack: Any = None

    @property
    def stack(self) -> Any:
        if self._stack is None:
            select = self._select_stack
            if select is None:
                from pulumi import automation as auto

                select = auto.select_stack
            self._stack = select(stack_name=self.stack_name, work_dir=self.work_dir)
        return self._stack

    def get_config(self) -> dict[str, str]:
        # Secret values never enter the driver: it only needs the plain release keys.
        return {key: cv.value for key, cv in self.stack.get_all_config().items() if not cv.secret}

    def set_config(self, values: dict[str, str]) -> None:
        from pulumi import automation as auto

        self.stack.set_all_config({key: auto.ConfigValue(value=str(value)) for key, value in values.items()})

    def _update_args(self) -> dict[str, Any]:
        args: dict[str, Any] = {"on_output": self.on_output}
        if self.policy_packs:
            args["policy_packs"] = list(self.policy_packs)
        if self.message:
            args["message"] = self.message
        return args

    def preview(self) -> None:
        self.stack.preview(**self._update_args())

    def up(self) -> None:
        from pulumi import automation as auto

        deadline = self._monotonic() + self.lock_wait
        while True:
            try:
                self._up_once()
                return
            except auto.ConcurrentUpdateError:
                if self._monotonic() >= deadline:
                    raise
                log.warning("stack %s is locked by another update; retrying in %gs", self.stack_name, self.lock_poll)
                self._sleep(self.lock_poll)

    def _up_once(self) -> None:
        if self.preview_first:
            self.preview()  # a policy violation or program error stops here, before anything changes
        # show_secrets=False: the update summary carries no decrypted config; suppress_outputs:
        # stack outputs (kubeconfig, endpoints) are not printed into the release log.
        result = self.stack.up(show_secrets=False, suppress_outputs=True, **self._update_args())
        status = getattr(getattr(result, "summary", None), "result", "succeeded")
        if status != "succeeded":
            raise RuntimeError(f"pulumi up on {self.stack_name} finished with result {status!r}")

    def outputs(self) -> dict[str, Any]:
        """Plain stack outputs (secret ones left out), e.g. the ALB and target-group ARN suffixes."""
        return {key: ov.value for key, ov in self.stack.outputs().items() if not ov.secret}
