"""Frozen, typed settings handed to the components. Built only by `settings.loader`."""

from __future__ import annotations

from dataclasses import dataclass

COLOURS = ("blue", "green")

# The seed's pg pool (`max: 20`) and postgresql.conf (`max_connections = 200`).
SEED_POOL_MAX = 20
MAX_CONNECTIONS = 200
# Kept free for rdsadmin (RDS reserves 3 superuser slots), migrations, psql and monitoring.
# Replication does not count: WAL senders have their own slots since PostgreSQL 12.
ADMIN_CONNECTION_HEADROOM = 20
MIN_POOL = 2
# The seed's postgresql.conf buffers; the instance class must hold them (see fits_seed_memory).
SHARED_BUFFERS_MIB = 256
EFFECTIVE_CACHE_SIZE_MIB = 1024


@dataclass(frozen=True)
class NetworkSettings:
    cidr: str
    az_count: int
    nat_per_az: bool
    interface_endpoints: bool
    log_retention_days: int


@dataclass(frozen=True)
class EdgeSettings:
    domain: str
    hosted_zone_id: str
    certificate_arn: str
    ssl_policy: str
    cors_allow_origin: str
    idle_timeout: int
    access_log_expiration_days: int
    geo_block_countries: tuple[str, ...]


@dataclass(frozen=True)
class ReleaseSettings:
    strategy: str  # bluegreen | canary
    active: str  # blue | green
    images: tuple[tuple[str, str], ...]  # (colour, image); image "" means not deployed
    canary_weight: int
    migration_command: str = "npm run migrate"  # argv (shlex); empty: none
    migration_image: str = ""  # eks: the image of the migration Job ("" none)
    migration_timeout: int = 600

    @property
    def candidate(self) -> str:
        return "green" if self.active == "blue" else "blue"

    def image(self, colour: str) -> str:
        return dict(self.images)[colour]

    @property
    def deployed(self) -> tuple[str, ...]:
        """Colours that have an image and therefore run (the active one always does)."""
        return tuple(c for c in COLOURS if self.image(c))

    @property
    def serving(self) -> tuple[str, ...]:
        """Colours that run at full size and receive traffic: the active one, and the candidate during a canary.

        Under blue/green the candidate (if it has an image) is idle: scaled to zero and no header route.
        A canary at weight 0 is the way to warm a candidate and test it through `X-Canary-User`.
        """
        return tuple(c for c in COLOURS if c == self.active or (self.strategy == "canary" and c == self.candidate))

    @property
    def weights(self) -> dict[str, int]:
        """Traffic percent per colour: blue/green puts all on the active colour, canary splits."""
        to_candidate = self.canary_weight if self.strategy == "canary" else 0
        return {self.active: 100 - to_candidate, self.candidate: to_candidate}


@dataclass(frozen=True)
class FleetSettings:
    instance_type: str
    min_size: int
    max_size: int
    desired: int


@dataclass(frozen=True)
class DatabaseSettings:
    engine_version: str
    family: str  # postgres<major>
    instance_class: str
    memory_gib: int
    allocated_storage: int
    max_allocated_storage: int
    multi_az: bool
    read_replica: bool
    backup_retention_days: int
    backup_copy_vault_arn: str
    dr_region: str  # "": no second-region copy
    restore_snapshot: str  # create from a snapshot / recovery point ("": no)
    restore_source: str  # point-in-time restore of this instance ("": no)
    restore_time: str  # "latest" or UTC RFC 3339, with restore_source
    restore_kms_key_arn: str  # the key the restore source is encrypted with
    promote_replica: bool
    max_connections: int
    pool_max: int  # DB_POOL_MAX handed to every app instance

    @property
    def restoring(self) -> bool:
        return bool(self.restore_snapshot or self.restore_source)


@dataclass(frozen=True)
class CacheSettings:
    engine: str
    engine_version: str
    family: str
    node_type: str
    shards: int
    replicas_per_shard: int
    snapshot_retention_days: int
    restore_snapshot: str  # create from this ElastiCache snapshot ("": empty)


@dataclass(frozen=True)
class EksSettings:
    version: str
    support_type: str  # STANDARD | EXTENDED (the cluster's upgrade policy)
    public_access_cidrs: tuple[str, ...]
    deployer_cidrs: tuple[str, ...]  # admitted on 443 to the cluster security group
    deployer_security_group_id: str  # "" or an in-VPC runner's security group, admitted likewise
    admin_role_arn: str
    node_instance_types: tuple[str, ...]
    node_min: int
    node_max: int
    node_desired: int
    hpa_min: int
    hpa_max: int
    karpenter_architecture: str  # kubernetes.io/arch of Karpenter nodes
    karpenter_capacity_types: tuple[str, ...]
    karpenter_instance_categories: tuple[str, ...]
    karpenter_cpu_limit: int  # NodePool spec.limits.cpu (vCPU)
    karpenter_memory_limit_gib: int  # NodePool spec.limits.memory (GiB)


@dataclass(frozen=True)
class AlertingSettings:
    emails: tuple[str, ...]
    slack_workspace_id: str  # "" with slack_channel_id "": no Slack
    slack_channel_id: str
    https_endpoint: str  # "": none
    response_time_ms: int  # seed HighResponseTime (p95 > 1 s)
    error_rate_percent: int  # seed HighErrorRate
    db_connections_percent: int  # seed DatabaseConnectionHigh (80 of max_connections 200)
    redis_memory_percent: int  # seed RedisMemoryHigh
    runbook_base_url: str  # "": alarms link the repository path docs/runbooks/<page>.md

    @property
    def slack(self) -> bool:
        return bool(self.slack_workspace_id and self.slack_channel_id)


@dataclass(frozen=True)
class PrometheusSettings:
    retention: str  # eks: Prometheus TSDB retention (Prometheus duration)
    storage_gib: int  # eks: Prometheus volume size
    managed: bool  # asg: Amazon Managed Service for Prometheus workspace on


@dataclass(frozen=True)
class LogSearchSettings:
    enabled: bool  # the optional OpenSearch domain (components/logsearch.py)
    retention_days: int  # ISM: delete a daily nox-api-* index this many days after it was created


@dataclass(frozen=True)
class StackSettings:
    project: str
    stack: str
    environment: str
    platform: str
    region: str
    owner: str
    cost_center: str
    deletion_protection: bool
    teardown: str  # none | platform | stack (see nox:teardown)
    network: NetworkSettings
    edge: EdgeSettings
    release: ReleaseSettings
    fleet: FleetSettings
    database: DatabaseSettings
    cache: CacheSettings
    eks: EksSettings
    alerting: AlertingSettings
    prometheus: PrometheusSettings
    log_search: LogSearchSettings
    warnings: tuple[str, ...] = ()  # reported by the plan and by `pulumi up` (pulumi.log.warn)

    @property
    def is_prod(self) -> bool:
        return self.environment == "prod"

    @property
    def platform_protect(self) -> bool:
        """Protection of what a platform switch deletes: the asg ALB, the fleet, the cluster, the Ingress's ALB."""
        return self.deletion_protection and self.teardown == "none"

    @property
    def tags(self) -> dict[str, str]:
        """Provider default tags: every taggable resource carries them."""
        return {
            "Project": self.project,
            "Environment": self.environment,
            "ManagedBy": "pulumi",
            "Owner": self.owner,
            "CostCenter": self.cost_center,
        }

    @property
    def name(self) -> str:
        """Prefix of physical names: short, unique per project and stack."""
        return f"nox-{self.stack}"


def fits_seed_memory(memory_gib: int) -> bool:
    """shared_buffers within 40 % and effective_cache_size within 75 % of the instance's memory."""
    memory_mib = memory_gib * 1024
    return 0.4 * memory_mib >= SHARED_BUFFERS_MIB and 0.75 * memory_mib >= EFFECTIVE_CACHE_SIZE_MIB


def min_storage_ceiling(allocated_gib: int) -> int:
    """Smallest storage-autoscaling ceiling RDS accepts: 110 % of the allocated storage, rounded up."""
    return -(-allocated_gib * 11 // 10)


def pool_size(app_instances: int, max_connections: int = MAX_CONNECTIONS) -> int:
    """Per-instance pool so that every instance that can run at once fits in max_connections."""
    return min(SEED_POOL_MAX, (max_connections - ADMIN_CONNECTION_HEADROOM) // app_instances)
