"""KMS keys."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..common import UNKNOWN, Res, as_json, as_list, get, is_true, resource_policy
from .tokens import KMS_KEY

# Condition keys that pin a "*" principal to this account or organisation, to named principals or
# to one AWS service acting for the account (KMS developer guide, "AWS global condition context
# keys"; Security Hub KMS.5 treats a "*" principal without them as public).
RESTRICTING_KEYS = (
    "aws:principalarn",
    "aws:principalaccount",
    "aws:principalorgid",
    "aws:sourceaccount",
    "aws:sourcearn",
    "kms:calleraccount",
    "kms:viaservice",
)


def is_everyone(principal: Any) -> bool:
    if principal == "*":
        return True
    return isinstance(principal, dict) and "*" in as_list(principal.get("AWS"))


def public_statements(document: Any) -> list[str]:
    """Allow statements of a resource policy open to every principal with no restricting condition."""
    doc = as_json(document)
    found = []
    for s in as_list(get(doc, "Statement")) if isinstance(doc, dict) else []:
        if not isinstance(s, dict) or s.get("Effect") != "Allow" or not is_everyone(s.get("Principal")):
            continue
        condition = s.get("Condition")
        operators = condition.values() if isinstance(condition, dict) else []
        keys = {k.lower() for op in operators if isinstance(op, dict) for k in op}
        if not keys & set(RESTRICTING_KEYS):
            found.append(str(s.get("Sid") or "(no Sid)"))
    return found


def check_kms_rotation(r: Res) -> Iterator[str]:
    spec = r.get("keySpec") or r.get("customerMasterKeySpec")
    if spec not in (None, "SYMMETRIC_DEFAULT"):
        return  # asymmetric and HMAC keys cannot rotate
    value = r.get("enableKeyRotation")
    if value is not UNKNOWN and not is_true(value):
        yield f"KMS key '{r.name}' does not rotate: set enable_key_rotation=True."


def check_kms_not_public(r: Res) -> Iterator[str]:
    """FSBP KMS.5."""
    policy = r.get("policy")
    if policy is UNKNOWN:
        return
    for sid in public_statements(policy):
        yield (
            f"KMS key '{r.name}' policy statement {sid} allows every AWS principal: add a condition that pins it "
            "(aws:PrincipalArn, kms:CallerAccount, kms:ViaService, aws:SourceAccount) or name the principals."
        )


POLICIES = [
    resource_policy("aws-kms-key-rotation-enabled", "Symmetric KMS keys rotate automatically.", [KMS_KEY], check_kms_rotation),
    resource_policy(
        "aws-kms-key-not-public", "FSBP KMS.5: KMS key policies are not open to every principal.", [KMS_KEY], check_kms_not_public
    ),
]
