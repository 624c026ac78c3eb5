"""Cache: ElastiCache (Redis OSS or Valkey) in cluster mode, the seed's M1/S1/S2 Redis cluster.

The seed's `redis-cluster.conf` maps to a parameter group (`PARAMETERS`); what ElastiCache runs
for us (bind, port, protected-mode, cluster-node-timeout, cluster-announce-*, maxmemory, logfile)
is not settable, and `appendonly` is not available: durability comes from replicas in other AZs,
automatic failover with Multi-AZ, and daily snapshots.

No password: the app authenticates with IAM (ElastiCache RBAC, a user with authentication mode
`iam`; Redis OSS 7.0+ / Valkey 7.2+ with TLS in transit). Its token is a SigV4-signed request the
app makes itself, valid 15 minutes; ElastiCache closes IAM-authenticated connections after 12
hours (AWS ElastiCache User Guide, "Authenticating with IAM", Limitations). Nothing to store, so
nothing to rotate. The `default` user every user group must contain is switched off.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from settings import CacheSettings

from .base import InVpc, Logged, Protected
from .kms import encryption_key
from .security import app_only_security_group

PORT = 6379
# IAM authentication needs Redis OSS 7.0+ or Valkey 7.2+ (AWS ElastiCache User Guide, "Authenticating with IAM").
IAM_MIN_VERSION = {"redis": (7, 0), "valkey": (7, 2)}
# The app's RBAC rights: every key and channel, every command but the @dangerous ones (FLUSHALL,
# KEYS, CONFIG, DEBUG, ...). ElastiCache access-string syntax (Redis ACL): "Specifying Permissions
# Using an Access String".
APP_ACCESS_STRING = "on ~* &* +@all -@dangerous"
# The mandatory `default` user, disabled: `off` users cannot authenticate at all.
DEFAULT_ACCESS_STRING = "off -@all"
SNAPSHOT_WINDOW = "05:00-06:00"  # UTC, daily
MAINTENANCE_WINDOW = "sun:06:30-sun:07:30"  # UTC, weekly; must not overlap the snapshot window
LOG_TYPES = ("slow-log", "engine-log")

# The seed's redis-cluster.conf lines that ElastiCache lets us set. `cluster-enabled yes` is what
# makes a parameter group cluster-mode; maxmemory is fixed by the node type (the policy is ours).
PARAMETERS: tuple[tuple[str, str], ...] = (
    ("cluster-enabled", "yes"),
    ("maxmemory-policy", "allkeys-lru"),
    ("timeout", "0"),
    ("tcp-keepalive", "300"),
)


def app_user_id(name_prefix: str) -> str:
    """The app's ElastiCache user: for IAM authentication its user id and user name must be equal
    (and lower case, as ElastiCache user ids are)."""
    return f"{name_prefix}-app".lower()


@dataclass(frozen=True)
class CacheArgs(Protected, InVpc, Logged):
    settings: CacheSettings
    data_subnet_ids: list[pulumi.Output[str]]
    app_security_group_ids: Sequence[pulumi.Input[str]]

    def __post_init__(self) -> None:
        s = self.settings
        if s.engine not in ("redis", "valkey"):
            raise ValueError(f"cache engine {s.engine!r}: must be redis or valkey")
        major = s.engine_version.split(".")[0]
        if s.family != f"{s.engine}{major}":
            raise ValueError(
                f"parameter-group family {s.family!r} does not match {s.engine} {s.engine_version} (expected {s.engine}{major})"
            )
        version = tuple(int(p) for p in s.engine_version.split(".")[:2])
        if version < IAM_MIN_VERSION[s.engine]:
            minimum = ".".join(map(str, IAM_MIN_VERSION[s.engine]))
            raise ValueError(f"{s.engine} {s.engine_version} has no IAM authentication: use {minimum} or newer")
        if not self.app_security_group_ids:
            raise ValueError("app_security_group_ids is empty: nothing could reach the cache")
        if s.replicas_per_shard >= 1 and len(self.data_subnet_ids) < 2:
            raise ValueError("Multi-AZ replicas need data subnets in at least two availability zones")


class Cache(pulumi.ComponentResource):
    """Cluster-mode Redis/Valkey: TLS required, IAM-authenticated RBAC user, encrypted at rest, logs to CloudWatch."""

    replication_group: aws.elasticache.ReplicationGroup
    security_group: aws.ec2.SecurityGroup
    parameter_group: aws.elasticache.ParameterGroup
    key: aws.kms.Key
    app_user: aws.elasticache.User
    user_group: aws.elasticache.UserGroup
    connect_arns: pulumi.Output[list[str]]  # elasticache:Connect for the app: the replication group and its user

    def __init__(self, name: str, args: CacheArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("nox:data:Cache", name, None, opts)
        s = args.settings
        prefix = args.name_prefix
        child = pulumi.ResourceOptions(parent=self)

        self.key = encryption_key(
            f"{prefix}-cache", description=f"{prefix} {s.engine} data and snapshots at rest", parent=self, protect=args.protect
        )
        subnet_group = aws.elasticache.SubnetGroup(
            f"{name}-subnets",
            name=f"{prefix}-cache",
            description=f"{prefix} {s.engine}: data subnets",
            subnet_ids=args.data_subnet_ids,
            opts=child,
        )
        self.security_group = app_only_security_group(
            name,
            service=s.engine,
            port=PORT,
            physical_name=f"{prefix}-cache",
            vpc_id=args.vpc_id,
            sources=args.app_security_group_ids,
            parent=self,
        )
        # Named after the family: an engine change creates the new group before the old one goes.
        self.parameter_group = aws.elasticache.ParameterGroup(
            f"{name}-params",
            name=f"{prefix}-cache-{s.family}",
            family=s.family,
            description=f"{prefix} {s.engine}: the seed's redis-cluster.conf where ElastiCache allows it",
            parameters=[{"name": k, "value": v} for k, v in PARAMETERS],
            opts=child,
        )
        self._users(name, prefix, s.engine)

        logs = {
            log: aws.cloudwatch.LogGroup(
                f"{name}-{log}",
                name=f"/nox/{prefix}/{s.engine}/{log}",
                retention_in_days=args.log_retention_days,
                kms_key_id=args.log_key.arn,
                opts=child,
            )
            for log in LOG_TYPES
        }

        replicas = s.replicas_per_shard
        self.replication_group = aws.elasticache.ReplicationGroup(
            f"{name}-redis",
            description=f"{prefix} API cache and sessions ({s.engine} cluster mode)",
            engine=s.engine,
            engine_version=s.engine_version,
            node_type=s.node_type,
            port=PORT,
            parameter_group_name=self.parameter_group.name,
            cluster_mode="enabled",
            num_node_groups=s.shards,
            replicas_per_node_group=replicas,
            # ElastiCache requires automatic failover on cluster-mode groups, even with no replica
            # (dev): a failed primary is then replaced, not promoted. Multi-AZ needs a replica.
            automatic_failover_enabled=True,
            multi_az_enabled=replicas >= 1,
            transit_encryption_enabled=True,
            transit_encryption_mode="required",
            user_group_ids=[self.user_group.user_group_id],
            at_rest_encryption_enabled=True,
            kms_key_id=self.key.arn,
            subnet_group_name=subnet_group.name,
            security_group_ids=[self.security_group.id],
            # Create-time only (nox:cacheRestoreSnapshot, confirmed by nox:restoreConfirm): on an
            # existing group it forces a replacement (Terraform elasticache_replication_group docs).
            snapshot_name=s.restore_snapshot or None,
            snapshot_retention_limit=s.snapshot_retention_days,
            snapshot_window=SNAPSHOT_WINDOW,
            maintenance_window=MAINTENANCE_WINDOW,
            final_snapshot_identifier=f"{prefix}-cache-final" if args.protect else None,
            auto_minor_version_upgrade=True,
            apply_immediately=False,
            log_delivery_configurations=[
                {
                    "destination": logs[log].name,
                    "destination_type": "cloudwatch-logs",
                    "log_format": "json",
                    "log_type": log,
                }
                for log in LOG_TYPES
            ],
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )

        self.connect_arns = pulumi.Output.all(self.replication_group.arn, self.app_user.arn).apply(list)
        self.register_outputs(
            {
                "configurationEndpoint": self.replication_group.configuration_endpoint_address,
                "securityGroupId": self.security_group.id,
                "appUser": self.app_user.user_name,
            }
        )

    def _users(self, name: str, prefix: str, engine: str) -> None:
        child = pulumi.ResourceOptions(parent=self)
        # User ids are account-wide in a region: prefixed with the stack. The built-in `default`
        # user (id "default") cannot be changed, so the group gets its own, disabled one.
        default = aws.elasticache.User(
            f"{name}-default-user",
            user_id=f"{prefix}-default".lower(),
            user_name="default",
            engine=engine,
            access_string=DEFAULT_ACCESS_STRING,
            authentication_mode={"type": "no-password-required"},
            opts=child,
        )
        user_id = app_user_id(prefix)
        self.app_user = aws.elasticache.User(
            f"{name}-app-user",
            user_id=user_id,
            user_name=user_id,
            engine=engine,
            access_string=APP_ACCESS_STRING,
            authentication_mode={"type": "iam"},
            opts=child,
        )
        self.user_group = aws.elasticache.UserGroup(
            f"{name}-users",
            user_group_id=f"{prefix}-cache".lower(),
            engine=engine,
            user_ids=[default.user_id, self.app_user.user_id],
            opts=child,
        )
