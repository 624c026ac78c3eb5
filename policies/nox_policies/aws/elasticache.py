"""ElastiCache Redis replication groups."""

from __future__ import annotations

from collections.abc import Iterator

from ..common import UNKNOWN, Res, as_int, blank, env_note, get, is_false, is_prod, is_true, items, resource_environment, resource_policy
from .tokens import REPLICATION_GROUP

CACHE_LOG_TYPES = ("slow-log", "engine-log")


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


def check_cache_logs(r: Res) -> Iterator[str]:
    configs = r.get("logDeliveryConfigurations")
    if configs is UNKNOWN or any(get(c, "logType") is UNKNOWN for c in items(configs)):
        return
    missing = [t for t in CACHE_LOG_TYPES if t not in {get(c, "logType") for c in items(configs)}]
    if missing:
        yield (
            f"ElastiCache replication group '{r.name}' does not deliver its {' and '.join(missing)}: add "
            "log_delivery_configurations to CloudWatch Logs for slow-log and engine-log."
        )


def check_cache_replicas_multi_az(r: Res) -> Iterator[str]:
    env = resource_environment(r)
    if not is_prod(env):
        return
    replicas, clusters, multi_az = r.get("replicasPerNodeGroup"), r.get("numCacheClusters"), r.get("multiAzEnabled")
    if UNKNOWN in (replicas, clusters, multi_az):
        return
    count = as_int(replicas) if replicas is not None else (as_int(clusters) or 1) - 1
    if (count or 0) < 1:
        yield (
            f"ElastiCache replication group '{r.name}' has no replica in {env_note(env)}: set replicas_per_node_group "
            "(or num_cache_clusters - 1) to at least 1."
        )
    if not is_true(multi_az):
        yield f"ElastiCache replication group '{r.name}' is not Multi-AZ in {env_note(env)}: set multi_az_enabled=True."


def check_cache_customer_key(r: Res) -> Iterator[str]:
    key = r.get("kmsKeyId")
    if is_true(r.get("atRestEncryptionEnabled")) and key is not UNKNOWN and blank(key):
        yield (
            f"ElastiCache replication group '{r.name}' is encrypted with the AWS-managed key: set kms_key_id to a "
            "customer KMS key (rotation on)."
        )


def check_cache_minor_upgrades(r: Res) -> Iterator[str]:
    """FSBP ElastiCache.2 (unset means the AWS default, true)."""
    if is_false(r.get("autoMinorVersionUpgrade")):
        yield (
            f"ElastiCache replication group '{r.name}' has auto_minor_version_upgrade=False: set it True so engine "
            "security patches apply in the maintenance window."
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
    resource_policy(
        "aws-elasticache-log-delivery",
        "ElastiCache replication groups deliver slow-log and engine-log to CloudWatch Logs.",
        [REPLICATION_GROUP],
        check_cache_logs,
    ),
    resource_policy(
        "aws-elasticache-replicas-multi-az-prod",
        "ElastiCache replication groups have at least one replica per shard and are Multi-AZ in prod.",
        [REPLICATION_GROUP],
        check_cache_replicas_multi_az,
    ),
    resource_policy(
        "aws-elasticache-customer-kms-key",
        "ElastiCache replication groups are encrypted at rest with a customer KMS key.",
        [REPLICATION_GROUP],
        check_cache_customer_key,
    ),
    resource_policy(
        "aws-elasticache-auto-minor-upgrade",
        "FSBP ElastiCache.2: ElastiCache applies minor engine upgrades automatically.",
        [REPLICATION_GROUP],
        check_cache_minor_upgrades,
    ),
]
