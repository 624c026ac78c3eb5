"""`python -m offline.preflight`: rewrite botocore-shapes.json from the installed (pinned) botocore."""

from .model import write_cache

print(f"wrote {write_cache()}")
