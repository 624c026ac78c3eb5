"""S3 public access blocks (per bucket and account-wide)."""

from __future__ import annotations

from collections.abc import Iterator

from ..common import UNKNOWN, Res, is_true, resource_policy
from .tokens import PUBLIC_ACCESS_BLOCK_TYPES

PUBLIC_ACCESS_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")


def check_public_access_block_all_true(r: Res) -> Iterator[str]:
    off = [f for f in PUBLIC_ACCESS_FLAGS if r.get(f) is not UNKNOWN and not is_true(r.get(f))]
    if off:
        target = r.get("bucket")
        where = f"bucket {target}" if isinstance(target, str) and target else "the account"
        yield (
            f"Public access block '{r.name}' ({where}) leaves {', '.join(off)} off (unset means false): "
            "set all four to true, whoever owns the bucket."
        )


POLICIES = [
    resource_policy(
        "aws-s3-public-access-block-all-true",
        "Every S3 public access block (any bucket's, or the account's) sets all four settings true.",
        PUBLIC_ACCESS_BLOCK_TYPES,
        check_public_access_block_all_true,
    ),
]
