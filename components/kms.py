"""Customer-managed KMS keys: one per concern, rotation on, a key policy scoped to this account."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pulumi
import pulumi_aws as aws

# Service principals that publish to an SNS topic encrypted with a key of ours. SNS documents the
# pair they need on the key, kms:GenerateDataKey* and kms:Decrypt ("Enable compatibility between
# event sources from AWS services and encrypted topics",
# https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services);
# CloudWatch alarms and AMP's alert manager then deliver, where with `alias/aws/sns` they fail
# without a word (an AWS managed key's policy cannot name them).
PUBLISHER_ACTIONS = ("kms:GenerateDataKey*", "kms:Decrypt")
# EventBridge's delivery to an encrypted topic carries no aws:SourceAccount/aws:SourceArn in the
# KMS request, so a condition on them would silently drop every event; its statement has none (the
# topic policy still limits sns:Publish to this account's rules).
UNCONDITIONED_PUBLISHERS = frozenset({"events.amazonaws.com"})


def encryption_key(
    name: str,
    *,
    description: str,
    parent: pulumi.Resource,
    logs_service: bool = False,
    service_principals: Sequence[str] = (),
    service_roles: Sequence[pulumi.Input[str]] = (),
    service_publishers: Sequence[str] = (),
    protect: bool = False,
    region: str | None = None,
) -> aws.kms.Key:
    """A symmetric key with yearly rotation.

    The account root administers the key (IAM policies then grant use). `logs_service` lets
    CloudWatch Logs in this region use it for log groups of this account (it cannot use a key
    through IAM alone); `service_principals` may use it for envelope encryption.
    `service_roles` (ARNs of service-linked roles, e.g. EC2 Auto Scaling's) may use it and create
    grants for AWS resources: a service-linked role's own policy cannot be edited to add a key.
    `service_publishers` (service principals) may publish to SNS topics the key encrypts, on
    behalf of this account (see PUBLISHER_ACTIONS). `region`: another region than the provider's
    (pulumi-aws 7's per-resource `region` input), e.g. the backup copy vault's.
    """
    opts = pulumi.ResourceOptions(parent=parent)
    identity = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=parent))
    region_name = region or aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=parent)).region
    partition = aws.get_partition_output(opts=pulumi.InvokeOutputOptions(parent=parent))

    key = aws.kms.Key(
        name,
        description=description,
        enable_key_rotation=True,
        rotation_period_in_days=365,
        deletion_window_in_days=30,
        policy=pulumi.Output.all(identity.account_id, region_name, partition.partition, *service_roles).apply(
            lambda a: key_policy(
                a[0],
                a[1],
                a[2],
                logs_service=logs_service,
                service_principals=service_principals,
                roles=a[3:],
                service_publishers=service_publishers,
            )
        ),
        opts=pulumi.ResourceOptions(parent=parent, protect=protect),
        region=region,
    )
    aws.kms.Alias(f"{name}-alias", name=f"alias/{name}", target_key_id=key.key_id, opts=opts, region=region)
    return key


def key_policy(
    account: str,
    region_name: str,
    part: str,
    *,
    logs_service: bool = False,
    service_principals: Sequence[str] = (),
    roles: Sequence[str] = (),
    service_publishers: Sequence[str] = (),
) -> str:
    """The key policy document (JSON) of `encryption_key`, once the account, region and
    partition are known: the account root administers, then one statement per kind of user."""
    statements = [
        {
            "Sid": "AccountAdministers",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:{part}:iam::{account}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ]
    if logs_service:
        statements.append(
            {
                "Sid": "CloudWatchLogsOfThisAccount",
                "Effect": "Allow",
                "Principal": {"Service": f"logs.{region_name}.amazonaws.com"},
                "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                "Resource": "*",
                "Condition": {
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": f"arn:{part}:logs:{region_name}:{account}:log-group:*",
                    }
                },
            }
        )
    if service_principals:
        statements.append(
            {
                "Sid": "ServicesOfThisAccount",
                "Effect": "Allow",
                "Principal": {"Service": list(service_principals)},
                "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceAccount": account}},
            }
        )
    statements += publisher_statements(service_publishers, account)
    if roles:  # AWS's documented pair for EBS encryption by Auto Scaling (key-policy-requirements-EBS-encryption)
        statements.append(
            {
                "Sid": "ServiceRolesUseKey",
                "Effect": "Allow",
                "Principal": {"AWS": list(roles)},
                "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
                "Resource": "*",
            }
        )
        statements.append(
            {
                "Sid": "ServiceRolesGrantForAwsResources",
                "Effect": "Allow",
                "Principal": {"AWS": list(roles)},
                "Action": "kms:CreateGrant",
                "Resource": "*",
                "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
            }
        )
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def publisher_statements(principals: Sequence[str], account: str) -> list[dict]:
    """Key-policy statements letting AWS services publish to topics the key encrypts, for this account only."""
    statements = []
    conditioned = [p for p in principals if p not in UNCONDITIONED_PUBLISHERS]
    if conditioned:
        statements.append(
            {
                "Sid": "ServicesPublishToEncryptedTopics",
                "Effect": "Allow",
                "Principal": {"Service": conditioned},
                "Action": list(PUBLISHER_ACTIONS),
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceAccount": account}},
            }
        )
    unconditioned = [p for p in principals if p in UNCONDITIONED_PUBLISHERS]
    if unconditioned:
        statements.append(
            {
                "Sid": "EventBridgePublishesToEncryptedTopics",
                "Effect": "Allow",
                "Principal": {"Service": unconditioned},
                "Action": list(PUBLISHER_ACTIONS),
                "Resource": "*",
            }
        )
    return statements
