"""IAM policy documents, roles and attachments."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..common import Res, as_json, as_list, get, items, resource_policy
from .kms import public_statements
from .tokens import IAM_ATTACHMENT_TYPES, IAM_POLICY_DOC_TYPES, IAM_ROLE

ADMIN_POLICY_ARN_SUFFIX = ":policy/AdministratorAccess"


def admin_statements(document: Any) -> list[Any]:
    """Statements of a policy document that Allow every action on every resource."""
    doc = as_json(document)
    if not isinstance(doc, dict):
        return []
    found = []
    for statement in as_list(doc.get("Statement")):
        if not isinstance(statement, dict) or statement.get("Effect", "Allow") != "Allow":
            continue
        actions = as_list(statement.get("Action"))
        resources = as_list(statement.get("Resource"))
        if any(a in ("*", "*:*") for a in actions) and "*" in resources:
            found.append(statement.get("Sid") or "(no Sid)")
    return found


def check_iam_no_admin(r: Res) -> Iterator[str]:
    fix = "grant the specific actions on the specific resources the principal needs."
    if r.type in IAM_POLICY_DOC_TYPES:
        for sid in admin_statements(r.get("policy")):
            yield f"IAM policy '{r.name}' statement {sid} allows Action '*' on Resource '*': {fix}"
    elif r.type == IAM_ROLE:
        for inline in items(r.get("inlinePolicies")):
            for sid in admin_statements(get(inline, "policy")):
                yield f"IAM role '{r.name}' inline policy {get(inline, 'name')} statement {sid} allows '*' on '*': {fix}"
        for arn in items(r.get("managedPolicyArns")):
            if isinstance(arn, str) and arn.endswith(ADMIN_POLICY_ARN_SUFFIX):
                yield f"IAM role '{r.name}' has AdministratorAccess ('*' on '*'): {fix}"
    elif r.type in IAM_ATTACHMENT_TYPES:
        arn = r.get("policyArn")
        if isinstance(arn, str) and arn.endswith(ADMIN_POLICY_ARN_SUFFIX):
            yield f"{r.label} attaches AdministratorAccess ('*' on '*'): {fix}"


def service_wildcards(document: Any) -> list[str]:
    """Actions of Allow statements that grant a whole service ("s3:*"; FSBP IAM.21)."""
    doc = as_json(document)
    if not isinstance(doc, dict):
        return []
    found = []
    for statement in as_list(doc.get("Statement")):
        if isinstance(statement, dict) and statement.get("Effect", "Allow") == "Allow":
            found += [a for a in as_list(statement.get("Action")) if isinstance(a, str) and a.endswith(":*")]
    return found


def check_iam_no_service_wildcards(r: Res) -> Iterator[str]:
    fix = "list the actions the principal needs."
    if r.type in IAM_POLICY_DOC_TYPES:
        for action in service_wildcards(r.get("policy")):
            yield f"IAM policy '{r.name}' allows {action}, a whole service: {fix}"
    elif r.type == IAM_ROLE:
        for inline in items(r.get("inlinePolicies")):
            for action in service_wildcards(get(inline, "policy")):
                yield f"IAM role '{r.name}' inline policy {get(inline, 'name')} allows {action}, a whole service: {fix}"


def check_iam_trust_not_public(r: Res) -> Iterator[str]:
    """A role nobody outside the account (and its named services and OIDC subjects) can assume."""
    for sid in public_statements(r.get("assumeRolePolicy")):
        yield (
            f"IAM role '{r.name}' trust statement {sid} lets every AWS principal assume it: name the principal "
            "(service, account role or OIDC provider with a sub condition)."
        )


POLICIES = [
    resource_policy(
        "aws-iam-policy-disallow-admin-wildcard",
        "IAM policies never allow '*' actions on '*' resources.",
        (*IAM_POLICY_DOC_TYPES, IAM_ROLE, *IAM_ATTACHMENT_TYPES),
        check_iam_no_admin,
    ),
    resource_policy(
        "aws-iam-policy-disallow-service-wildcards",
        "FSBP IAM.21: IAM policies never allow a whole service ('service:*').",
        (*IAM_POLICY_DOC_TYPES, IAM_ROLE),
        check_iam_no_service_wildcards,
    ),
    resource_policy(
        "aws-iam-role-trust-not-public",
        "IAM role trust policies never let every principal ('*') assume the role.",
        [IAM_ROLE],
        check_iam_trust_not_public,
    ),
]
