"""ElastiCache Redis replication groups."""

from __future__ import annotations

from collections.abc import Iterator

from ..common import UNKNOWN, Res, as_int, blank, env_note, is_prod, is_true, resource_environment, resource_policy
from .tokens import REPLICATION_GROUP


def check_cache_at_rest(r: Res) -> Iterator[str]:
    value = r.get("atRestEncryptionEnabled")
    if value is not UNKNOWN and not is_true(value):
        yield (f"ElastiCache replication group '{r.name}' is not encrypted at rest: set at_rest_encryption_enabled=True with kms_key_id.")


def check_cache_in_transit(r: Res) -> Iterator[str]:
    enabled, mode = r.get("transitEncryptionEnabled"), r.get("transitEncryptionMode")
    if enabled is not UNKNOWN and not is_true(enabled):
        yield (
            f"ElastiCache replication group '{r.name}' accepts plaintext connections: set "
            "transit_encryption_enabled=True (clients use rediss://)."
        )
    elif mode == "preferred":
        yield (
            f"ElastiCache replication group '{r.name}' has transit_encryption_mode 'preferred', which still "
            "accepts plaintext: set it to 'required'."
        )


def check_cache_auth(r: Res) -> Iterator[str]:
    token, groups = r.get("authToken"), r.get("userGroupIds")
    if token is UNKNOWN or groups is UNKNOWN:
        return
    if blank(token) and blank(groups):
        yield (f"ElastiCache replication group '{r.name}' needs no credentials: set auth_token (a Pulumi secret) or user_group_ids (RBAC).")


def check_cache_failover(r: Res) -> Iterator[str]:
    env = resource_environment(r)
    value = r.get("automaticFailoverEnabled")
    if is_prod(env) and value is not UNKNOWN and not is_true(value):
        yield (
            f"ElastiCache replication group '{r.name}' has no automatic failover in {env_note(env)}: set "
            "automatic_failover_enabled=True (and replicas in other AZs)."
        )


def check_cache_snapshots(r: Res) -> Iterator[str]:
    env = resource_environment(r)
    days = r.get("snapshotRetentionLimit")
    if is_prod(env) and days is not UNKNOWN and (as_int(days) or 0) <= 0:
        yield (
            f"ElastiCache replication group '{r.name}' keeps no snapshots in {env_note(env)}: set "
            "snapshot_retention_limit > 0 (prod default 7)."
        )


POLICIES = [
    resource_policy(
        "aws-elasticache-encrypted-at-rest",
        "ElastiCache replication groups are encrypted at rest.",
        [REPLICATION_GROUP],
        check_cache_at_rest,
    ),
    resource_policy(
        "aws-elasticache-encrypted-in-transit", "ElastiCache replication groups require TLS.", [REPLICATION_GROUP], check_cache_in_transit
    ),
    resource_policy(
        "aws-elasticache-auth-required",
        "ElastiCache replication groups require an auth token or RBAC user group.",
        [REPLICATION_GROUP],
        check_cache_auth,
    ),
    resource_policy(
        "aws-elasticache-automatic-failover-prod",
        "ElastiCache replication groups fail over automatically in prod.",
        [REPLICATION_GROUP],
        check_cache_failover,
    ),
    resource_policy(
        "aws-elasticache-snapshots-prod",
        "ElastiCache replication groups keep snapshots in prod.",
        [REPLICATION_GROUP],
        check_cache_snapshots,
    ),
]
