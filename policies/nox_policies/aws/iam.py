"""IAM policy documents, roles and attachments."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..common import Res, as_json, as_list, get, items, resource_policy
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


POLICIES = [
    resource_policy(
        "aws-iam-policy-disallow-admin-wildcard",
        "IAM policies never allow '*' actions on '*' resources.",
        (*IAM_POLICY_DOC_TYPES, IAM_ROLE, *IAM_ATTACHMENT_TYPES),
        check_iam_no_admin,
    ),
]
