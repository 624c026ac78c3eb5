"""KMS keys."""

from __future__ import annotations

from collections.abc import Iterator

from ..common import UNKNOWN, Res, is_true, resource_policy
from .tokens import KMS_KEY


def check_kms_rotation(r: Res) -> Iterator[str]:
    spec = r.get("keySpec") or r.get("customerMasterKeySpec")
    if spec not in (None, "SYMMETRIC_DEFAULT"):
        return  # asymmetric and HMAC keys cannot rotate
    value = r.get("enableKeyRotation")
    if value is not UNKNOWN and not is_true(value):
        yield f"KMS key '{r.name}' does not rotate: set enable_key_rotation=True."


POLICIES = [
    resource_policy("aws-kms-key-rotation-enabled", "Symmetric KMS keys rotate automatically.", [KMS_KEY], check_kms_rotation),
]
