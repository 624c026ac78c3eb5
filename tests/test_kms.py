"""The key policy, as a function of its inputs: who may use a key, and under which condition."""

from __future__ import annotations

import json

from components.kms import key_policy

ROLE = "arn:aws:iam::123456789012:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"


def statements(**kwargs) -> dict[str, dict]:
    doc = json.loads(key_policy("123456789012", "us-west-2", "aws", **kwargs))
    assert doc["Version"] == "2012-10-17"
    return {s["Sid"]: s for s in doc["Statement"]}


def test_a_plain_key_is_administered_by_the_account_root_only():
    assert statements() == {
        "AccountAdministers": {
            "Sid": "AccountAdministers",
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    }


def test_cloudwatch_logs_may_use_the_key_for_this_accounts_log_groups_only():
    logs = statements(logs_service=True)["CloudWatchLogsOfThisAccount"]
    assert logs["Principal"] == {"Service": "logs.us-west-2.amazonaws.com"}
    assert logs["Condition"] == {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:us-west-2:123456789012:log-group:*"}}


def test_services_are_bound_to_this_account():
    svc = statements(service_principals=["rds.amazonaws.com"])["ServicesOfThisAccount"]
    assert svc["Principal"] == {"Service": ["rds.amazonaws.com"]}
    assert svc["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}


def test_service_linked_roles_get_use_and_grants_for_aws_resources_only():
    got = statements(roles=[ROLE])
    assert got["ServiceRolesUseKey"]["Principal"] == {"AWS": [ROLE]}
    assert got["ServiceRolesGrantForAwsResources"]["Action"] == "kms:CreateGrant"
    assert got["ServiceRolesGrantForAwsResources"]["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}
    assert "ServiceRolesUseKey" not in statements()
