"""Database: RDS PostgreSQL primary, read replica, parameter group, backups (the seed's Primary/Replica/Backup DB).

The seed's `postgresql.conf` becomes an RDS parameter group in RDS's own units (`PARAMETERS`).
RDS owns the master password (`manage_master_user_password`): it keeps it in a Secrets Manager
secret of its own, encrypted with our key, and rotates it (every 7 days by default; AWS RDS User
Guide, "Password management with Amazon RDS and AWS Secrets Manager"). The master user is for
administration only: the app logs in as `APP_USER` with IAM database authentication (no password;
see `components/dbroles.py` and docs/app-contract.md).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from settings import DatabaseSettings
from settings.model import EFFECTIVE_CACHE_SIZE_MIB, SHARED_BUFFERS_MIB, fits_seed_memory, min_storage_ceiling

from .kms import encryption_key
from .security import app_only_security_group

PORT = 5432
DB_NAME = "nox"
USERNAME = "nox"  # the master user, administration only; not a PostgreSQL/RDS reserved name
# The app's own login role (IAM database authentication, `GRANT rds_iam`) and the schema it owns.
APP_USER = "nox_app"
APP_SCHEMA = "nox"
CA_CERT = "rds-ca-rsa2048-g1"
LOG_EXPORTS = ("postgresql", "upgrade")
# UTC, daily backup then weekly maintenance: RDS rejects overlapping windows.
BACKUP_WINDOW = "03:00-04:00"
MAINTENANCE_WINDOW = "sun:04:30-sun:05:30"
# AWS Backup: daily at 05:00 UTC, an hour after the RDS backup window (RDS cannot snapshot while
# its own backup runs). On Sundays 05:00 falls inside maintenance; the 2 h start window lets the
# job wait until the instance is available again instead of failing.
BACKUP_SCHEDULE = "cron(0 5 * * ? *)"
BACKUP_START_WINDOW_MINUTES = 120
BACKUP_COMPLETION_WINDOW_MINUTES = 480
# The second-region copy vault's lock (AWS Backup PutBackupVaultLockConfiguration): recovery points
# are kept at least the prod retention floor and at most the longest retention the schema allows;
# with ChangeableForDays the lock is in compliance mode: after those days (3, the minimum) nobody,
# root included, can lift it or delete a recovery point early.
COPY_LOCK_MIN_RETENTION_DAYS = 7
COPY_LOCK_MAX_RETENTION_DAYS = 35
COPY_LOCK_CHANGEABLE_FOR_DAYS = 3
MONITORING_INTERVAL = 60
PERFORMANCE_INSIGHTS_RETENTION_DAYS = 7  # the free tier
STATIC, DYNAMIC = "pending-reboot", "immediate"
PAGE_KIB = 8  # shared_buffers and effective_cache_size are counted in 8 kB pages
# RDS for PostgreSQL runs 64 MB WAL segments (stock PostgreSQL: 16 MB). PostgreSQL refuses to start
# when min_wal_size or max_wal_size is below two segments, so the seed's min_wal_size = 80MB (stock
# PostgreSQL's default, five 16 MB segments) becomes RDS's own default, 192 MB (three segments).
RDS_WAL_SEGMENT_MB = 64
MIN_WAL_SIZE_MB = 192


@dataclass(frozen=True)
class PgParameter:
    name: str
    value: str
    unit: str  # the unit RDS counts `value` in
    apply_method: str
    seed: str  # the seed's postgresql.conf line (or where the value comes from)


# The seed's postgresql.conf in RDS units. Static parameters (postmaster context) only take effect
# after a reboot and RDS rejects `immediate` for them.
#
# wal_level is absent on purpose: RDS does not expose it. It is `replica` whenever automated
# backups or read replicas are on (always here), which is the seed's value; `logical` is only
# reachable through rds.logical_replication = 1, which we do not need.
PARAMETERS: tuple[PgParameter, ...] = (
    PgParameter("max_connections", "200", "connections", STATIC, "max_connections = 200"),
    PgParameter("shared_buffers", str(SHARED_BUFFERS_MIB * 1024 // PAGE_KIB), "8kB pages", STATIC, "shared_buffers = 256MB"),
    PgParameter(
        "effective_cache_size", str(EFFECTIVE_CACHE_SIZE_MIB * 1024 // PAGE_KIB), "8kB pages", DYNAMIC, "effective_cache_size = 1GB"
    ),
    PgParameter("work_mem", "4096", "kB", DYNAMIC, "work_mem = 4MB"),
    PgParameter("maintenance_work_mem", "65536", "kB", DYNAMIC, "maintenance_work_mem = 64MB"),
    PgParameter("max_wal_size", "1024", "MB", DYNAMIC, "max_wal_size = 1GB"),
    PgParameter(
        "min_wal_size",
        str(MIN_WAL_SIZE_MB),
        "MB",
        DYNAMIC,
        "min_wal_size = 80MB, raised to RDS's default: 80 MB is under two of RDS's 64 MB WAL segments",
    ),
    PgParameter("checkpoint_completion_target", "0.9", "fraction", DYNAMIC, "checkpoint_completion_target = 0.9"),
    PgParameter("random_page_cost", "1.1", "cost units", DYNAMIC, "random_page_cost = 1.1"),
    PgParameter("seq_page_cost", "1", "cost units", DYNAMIC, "seq_page_cost = 1.0"),
    PgParameter("effective_io_concurrency", "200", "concurrent I/Os", DYNAMIC, "effective_io_concurrency = 200"),
    PgParameter("log_min_duration_statement", "1000", "ms", DYNAMIC, "log_min_duration_statement = 1000"),
    PgParameter("log_checkpoints", "1", "boolean", DYNAMIC, "log_checkpoints = on"),
    PgParameter("log_connections", "1", "boolean", DYNAMIC, "log_connections = on"),
    PgParameter("log_disconnections", "1", "boolean", DYNAMIC, "log_disconnections = on"),
    PgParameter("statement_timeout", "30000", "ms", DYNAMIC, "the seed's pool: statement_timeout: 30000"),
    PgParameter("rds.force_ssl", "1", "boolean", DYNAMIC, "not in the seed: refuse unencrypted connections"),
)


def connect_arn(partition: str, region: str, account: str, resource_id: str, user: str = APP_USER) -> str:
    """The `rds-db:connect` resource of one database user on one instance (its DbiResourceId, not its name).

    AWS RDS User Guide, "Creating and using an IAM policy for IAM database access":
    arn:aws:rds-db:<region>:<account-id>:dbuser:<DbiResourceId>/<db-user-name>.
    """
    return f"arn:{partition}:rds-db:{region}:{account}:dbuser:{resource_id}/{user}"


def windows_overlap(backup_window: str, maintenance_window: str) -> bool:
    """Whether a daily `hh:mm-hh:mm` window meets a weekly `ddd:hh:mm-ddd:hh:mm` one on any day (UTC)."""
    days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    week = 7 * 24 * 60

    def minute(day: int, hhmm: str) -> int:
        h, m = hhmm.split(":")
        return day * 24 * 60 + int(h) * 60 + int(m)

    m_from, m_to = maintenance_window.split("-")
    m_start = minute(days.index(m_from[:3]), m_from[4:])
    m_end = minute(days.index(m_to[:3]), m_to[4:])
    if m_end <= m_start:
        m_end += week
    b_from, b_to = backup_window.split("-")
    for day in range(-1, 8):  # days -1 and 7: windows that wrap past midnight at either end of the week
        b_start, b_end = minute(day, b_from), minute(day, b_to)
        if b_end <= b_start:
            b_end += 24 * 60
        if b_start < m_end and m_start < b_end:
            return True
    return False


@dataclass(frozen=True)
class DatabaseArgs:
    settings: DatabaseSettings
    name_prefix: str
    protect: bool
    vpc_id: pulumi.Input[str]
    data_subnet_ids: list[pulumi.Output[str]]
    app_security_group_ids: Sequence[pulumi.Input[str]]
    # CloudWatch log groups of the exported PostgreSQL logs (pre-created so they are encrypted
    # and expire); without a key the database's own key encrypts them.
    log_key: aws.kms.Key | None = None
    log_retention_days: int = 30
    # Take a final snapshot when the primary is deleted (None: when protected). A protected
    # stack's teardown lifts `protect` but keeps its data (policy aws-rds-instance-final-snapshot-prod).
    final_snapshot: bool | None = None
    # Vault lock on the second-region copy vault (prod): set by the environment, not per key.
    lock_copy_vault: bool = False

    def __post_init__(self) -> None:
        s = self.settings
        if s.restore_snapshot and s.restore_source:
            raise ValueError("restore from a snapshot or from a point in time, not both")
        if s.restoring and not s.restore_kms_key_arn:
            raise ValueError("a restore needs restore_kms_key_arn: RDS restores keep the source's key")
        if s.promote_replica and not s.read_replica:
            raise ValueError("promote_replica without a read replica")
        major = s.engine_version.split(".")[0]
        if s.family != f"postgres{major}":
            raise ValueError(f"parameter-group family {s.family!r} does not match PostgreSQL {s.engine_version} (expected postgres{major})")
        if not fits_seed_memory(s.memory_gib):
            raise ValueError(
                f"{s.instance_class} ({s.memory_gib} GiB) cannot hold shared_buffers {SHARED_BUFFERS_MIB}MB "
                f"and effective_cache_size {EFFECTIVE_CACHE_SIZE_MIB}MB"
            )
        if s.max_connections != int(next(p.value for p in PARAMETERS if p.name == "max_connections")):
            raise ValueError(f"settings.max_connections {s.max_connections} differs from the parameter group")
        if s.max_allocated_storage < min_storage_ceiling(s.allocated_storage):
            # RDS: "Invalid max storage size" unless the autoscaling ceiling is >= 110% of allocated.
            raise ValueError(
                f"max_allocated_storage {s.max_allocated_storage} GiB must be at least 10% above "
                f"allocated_storage {s.allocated_storage} GiB for RDS storage autoscaling"
            )
        if not self.app_security_group_ids:
            raise ValueError("app_security_group_ids is empty: nothing could reach the database")
        if len(self.data_subnet_ids) < 2:
            raise ValueError("a DB subnet group needs subnets in at least two availability zones")


class Database(pulumi.ComponentResource):
    """PostgreSQL for the API: encrypted, private, tuned as the seed, backed up twice (RDS + AWS Backup)."""

    primary: aws.rds.Instance
    replica: aws.rds.Instance | None  # after a promotion: a standalone primary (still this resource)
    copy_vault: aws.backup.Vault | None  # the second-region copy of every recovery point
    security_group: aws.ec2.SecurityGroup
    key: aws.kms.Key
    parameter_group: aws.rds.ParameterGroup
    vault: aws.backup.Vault
    master_secret_key: aws.kms.Key
    master_secret_arn: pulumi.Output[str]  # the RDS-managed secret: {"username", "password"}
    connect_arns: pulumi.Output[list[str]]  # rds-db:connect for APP_USER on the primary and the replica

    def __init__(self, name: str, args: DatabaseArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("nox:data:Database", name, None, opts)
        prefix = args.name_prefix
        self._promote = args.settings.promote_replica
        partition = aws.get_partition_output(opts=pulumi.InvokeOutputOptions(parent=self)).partition

        self.key = encryption_key(
            f"{prefix}-db",
            description=f"{prefix} PostgreSQL storage, Performance Insights, backups",
            parent=self,
            logs_service=args.log_key is None,
            protect=args.protect,
        )
        subnet_group = self._network(name, args)
        self.parameter_group = self._parameter_group(name, args)
        # Its own key: whoever may decrypt the master secret is an administrator; no reader of
        # backups or Performance Insights (the database key) gets that by accident.
        self.master_secret_key = encryption_key(
            f"{prefix}-db-master", description=f"{prefix} PostgreSQL master user secret (RDS-managed)", parent=self, protect=args.protect
        )
        monitoring = self._monitoring_role(name, partition)
        common = self._instance_settings(args, monitoring[0])
        self.primary = self._primary(name, args, subnet_group, common, monitoring)
        self.replica = self._replica(name, args, common, monitoring) if args.settings.read_replica else None
        self._backups(name, args, partition)

        self.master_secret_arn = self.writer.master_user_secrets.apply(lambda secrets: secrets[0].secret_arn)
        self.connect_arns = self._connect_arns(partition)
        self.register_outputs(
            {
                "primaryAddress": self.writer.address,
                "replicaAddress": self.reader_replica.address if self.reader_replica else None,
                "securityGroupId": self.security_group.id,
                "masterSecretArn": self.master_secret_arn,
            }
        )

    @property
    def promoted(self) -> bool:
        return self.replica is not None and self._promote

    @property
    def writer(self) -> aws.rds.Instance:
        """The instance the app writes to: the primary, or the replica once promoted."""
        return self.replica if self.promoted and self.replica is not None else self.primary

    @property
    def reader_replica(self) -> aws.rds.Instance | None:
        """The read replica while it replicates (none after a promotion)."""
        return None if self.promoted else self.replica

    def _network(self, name: str, args: DatabaseArgs) -> aws.rds.SubnetGroup:
        """The data subnets' group, and the security group that admits only the app's groups."""
        prefix = args.name_prefix
        subnet_group = aws.rds.SubnetGroup(
            f"{name}-subnets",
            name=f"{prefix}-db",
            description=f"{prefix} PostgreSQL: data subnets",
            subnet_ids=args.data_subnet_ids,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.security_group = app_only_security_group(
            name,
            service="PostgreSQL",
            port=PORT,
            physical_name=f"{prefix}-db",
            vpc_id=args.vpc_id,
            sources=args.app_security_group_ids,
            parent=self,
        )
        return subnet_group

    def _parameter_group(self, name: str, args: DatabaseArgs) -> aws.rds.ParameterGroup:
        prefix, family = args.name_prefix, args.settings.family
        return aws.rds.ParameterGroup(
            # Named after the family: a major upgrade creates the new group before the old one goes.
            f"{name}-params",
            name=f"{prefix}-db-{family}",
            family=family,
            description=f"{prefix} PostgreSQL: the seed's postgresql.conf in RDS units",
            parameters=[{"name": p.name, "value": p.value, "apply_method": p.apply_method} for p in PARAMETERS],
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _instance_settings(self, args: DatabaseArgs, monitoring_role: aws.iam.Role) -> dict[str, Any]:
        """Settings the primary and its replica share: same tuning, key, insight and monitoring."""
        s = args.settings
        return dict(
            instance_class=s.instance_class,
            storage_type="gp3",
            max_allocated_storage=s.max_allocated_storage,
            storage_encrypted=True,
            # A restored instance keeps its source's key (neither restore API takes one), and a
            # same-region replica its primary's: declared, so the state matches and no diff replaces it.
            kms_key_id=s.restore_kms_key_arn or self.key.arn,
            parameter_group_name=self.parameter_group.name,
            vpc_security_group_ids=[self.security_group.id],
            port=PORT,
            publicly_accessible=False,
            iam_database_authentication_enabled=True,
            performance_insights_enabled=True,
            performance_insights_kms_key_id=self.key.arn,
            performance_insights_retention_period=PERFORMANCE_INSIGHTS_RETENTION_DAYS,
            monitoring_interval=MONITORING_INTERVAL,
            monitoring_role_arn=monitoring_role.arn,
            enabled_cloudwatch_logs_exports=list(LOG_EXPORTS),
            ca_cert_identifier=CA_CERT,
            auto_minor_version_upgrade=True,
            copy_tags_to_snapshot=True,
            maintenance_window=MAINTENANCE_WINDOW,
            deletion_protection=args.protect,
            apply_immediately=False,  # changes wait for the maintenance window
        )

    def _log_dependencies(
        self, name: str, args: DatabaseArgs, identifier: str, role: str, monitoring: tuple[aws.iam.Role, aws.iam.RolePolicyAttachment]
    ) -> list[pulumi.Resource]:
        """What an instance must wait for: its monitoring role and policy, and its log groups (owned first)."""
        log_key_arn = (args.log_key or self.key).arn
        return [*monitoring, *self._log_groups(name, identifier, log_key_arn, args.log_retention_days, role)]

    @staticmethod
    def _final_snapshot(args: DatabaseArgs) -> bool:
        return args.protect if args.final_snapshot is None else args.final_snapshot

    def _primary(
        self,
        name: str,
        args: DatabaseArgs,
        subnet_group: aws.rds.SubnetGroup,
        common: dict[str, Any],
        monitoring: tuple[aws.iam.Role, aws.iam.RolePolicyAttachment],
    ) -> aws.rds.Instance:
        s = args.settings
        identifier = f"{args.name_prefix}-db"
        depends_on = self._log_dependencies(name, args, identifier, "primary", monitoring)
        return aws.rds.Instance(
            f"{name}-primary",
            identifier=identifier,
            engine="postgres",
            engine_version=s.engine_version,
            allocated_storage=s.allocated_storage,
            db_subnet_group_name=subnet_group.name,
            multi_az=s.multi_az,
            **restore_source(s),
            # RDS generates, stores and rotates the password; this program never sees it.
            manage_master_user_password=True,
            master_user_secret_kms_key_id=self.master_secret_key.arn,
            backup_retention_period=s.backup_retention_days,
            backup_window=BACKUP_WINDOW,
            skip_final_snapshot=not self._final_snapshot(args),
            final_snapshot_identifier=f"{identifier}-final" if self._final_snapshot(args) else None,
            **common,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect, depends_on=depends_on),
        )

    def _replica(
        self, name: str, args: DatabaseArgs, common: dict[str, Any], monitoring: tuple[aws.iam.Role, aws.iam.RolePolicyAttachment]
    ) -> aws.rds.Instance:
        s = args.settings
        replica_id = f"{args.name_prefix}-db-replica"
        depends_on = self._log_dependencies(name, args, replica_id, "replica", monitoring)
        # Same region: the source is named by identifier, and then RDS refuses a DBSubnetGroupName
        # (DBSubnetGroupNotAllowedFault; only an ARN source may name one): the replica inherits the
        # primary's subnet group. RDS places it in an AZ of that group (not pinned: a Multi-AZ
        # primary moves between AZs on failover). Engine, version, storage size and credentials
        # (the master user, the app's role) come from the source; a replica takes no final snapshot.
        # Multi-AZ as the primary: the reader endpoint survives an AZ loss in prod. Automated
        # backups as the primary's: a replica promoted after losing the primary (the DR path)
        # then has point-in-time restore from its first minute, instead of none until someone
        # turns backups on (RDS for PostgreSQL supports automated backups on read replicas;
        # AWS RDS User Guide, "Working with DB instance read replicas").
        # Promotion (nox:dbPromoteReplica): without replicate_source_db the provider calls
        # PromoteReadReplica and the instance becomes a standalone primary in place, same URN, no
        # replacement (Terraform aws_db_instance docs, replicate_source_db). It then takes a final
        # snapshot like any protected primary.
        promoted = s.promote_replica
        return aws.rds.Instance(
            f"{name}-replica",
            identifier=replica_id,
            replicate_source_db=None if promoted else self.primary.identifier,
            multi_az=s.multi_az,
            backup_retention_period=s.backup_retention_days,
            backup_window=BACKUP_WINDOW,
            skip_final_snapshot=not (promoted and args.protect),
            final_snapshot_identifier=f"{replica_id}-final" if promoted and args.protect else None,
            # The master secret is the old primary's; once promoted RDS manages one of its own
            # (ModifyDBInstance ManageMasterUserPassword: a new password, rotated as the primary's).
            manage_master_user_password=True if promoted else None,
            master_user_secret_kms_key_id=self.master_secret_key.arn if promoted else None,
            **common,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect, depends_on=depends_on),
        )

    def _connect_arns(self, partition: pulumi.Output[str]) -> pulumi.Output[list[str]]:
        """The `rds-db:connect` resource ARNs of every instance (the app's IAM login)."""
        invoke = pulumi.InvokeOutputOptions(parent=self)
        region = aws.get_region_output(opts=invoke).region
        account = aws.get_caller_identity_output(opts=invoke).account_id
        instances = [self.primary, *([self.replica] if self.replica else [])]  # a promoted replica too
        return pulumi.Output.all(partition, region, account, *[i.resource_id for i in instances]).apply(
            lambda a: [connect_arn(a[0], a[1], a[2], rid) for rid in a[3:]]
        )

    def _monitoring_role(self, name: str, partition: pulumi.Output[str]) -> tuple[aws.iam.Role, aws.iam.RolePolicyAttachment]:
        role = aws.iam.Role(
            f"{name}-monitoring-role",
            description="RDS enhanced monitoring publishes OS metrics to CloudWatch Logs",
            assume_role_policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "monitoring.rds.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                }
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        attachment = aws.iam.RolePolicyAttachment(
            f"{name}-monitoring-policy",
            role=role.name,
            policy_arn=partition.apply(lambda p: f"arn:{p}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"),
            opts=pulumi.ResourceOptions(parent=role),
        )
        return role, attachment

    def _log_groups(
        self, name: str, identifier: str, key_arn: pulumi.Output[str], retention: int, which: str
    ) -> list[aws.cloudwatch.LogGroup]:
        # RDS would create these itself, unencrypted and never expiring; created first, it uses ours.
        return [
            aws.cloudwatch.LogGroup(
                f"{name}-{which}-{log}-logs",
                name=f"/aws/rds/instance/{identifier}/{log}",
                retention_in_days=retention,
                kms_key_id=key_arn,
                opts=pulumi.ResourceOptions(parent=self),
            )
            for log in LOG_EXPORTS
        ]

    def _backups(self, name: str, args: DatabaseArgs, partition: pulumi.Output[str]) -> None:
        s = args.settings
        child = pulumi.ResourceOptions(parent=self)
        self.vault = aws.backup.Vault(
            f"{name}-vault",
            name=f"{args.name_prefix}-db",
            kms_key_arn=self.key.arn,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        # AWS Backup keeps a recovery point at least one day; retention follows the RDS setting.
        lifecycle = {"delete_after": s.backup_retention_days}
        rule: dict = {
            "rule_name": "daily",
            "target_vault_name": self.vault.name,
            "schedule": BACKUP_SCHEDULE,
            "start_window": BACKUP_START_WINDOW_MINUTES,
            "completion_window": BACKUP_COMPLETION_WINDOW_MINUTES,
            "lifecycle": lifecycle,
        }
        self.copy_vault = self._copy_vault(name, args) if s.dr_region else None
        destinations = [v for v in (self.copy_vault.arn if self.copy_vault else None, s.backup_copy_vault_arn) if v]
        if destinations:
            rule["copy_actions"] = [{"destination_vault_arn": d, "lifecycle": lifecycle} for d in destinations]
        plan = aws.backup.Plan(f"{name}-backup-plan", name=f"{args.name_prefix}-db-daily", rules=[rule], opts=child)
        role = aws.iam.Role(
            f"{name}-backup-role",
            description="AWS Backup snapshots and restores the PostgreSQL primary",
            assume_role_policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "backup.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                }
            ),
            opts=child,
        )
        attachments = [
            aws.iam.RolePolicyAttachment(
                f"{name}-backup-{kind.lower()}-policy",
                role=role.name,
                policy_arn=pulumi.Output.concat("arn:", partition, ":iam::aws:policy/service-role/AWSBackupServiceRolePolicyFor", kind),
                opts=pulumi.ResourceOptions(parent=role),
            )
            for kind in ("Backup", "Restores")
        ]
        aws.backup.Selection(
            f"{name}-backup-selection",
            name=f"{args.name_prefix}-db-primary",
            plan_id=plan.id,
            iam_role_arn=role.arn,
            # After a promotion both: the promoted replica is the writer, and the old primary keeps
            # whatever it still holds until it is retired (policy aws-backup-plan-covers-database-prod).
            resources=[self.primary.arn, *([self.writer.arn] if self.promoted else [])],
            opts=pulumi.ResourceOptions(parent=plan, depends_on=attachments),
        )

    def _copy_vault(self, name: str, args: DatabaseArgs) -> aws.backup.Vault:
        """A key and a vault in the second region (pulumi-aws 7's per-resource `region`: one provider,
        no new provider URN) that receive a copy of every recovery point; locked in prod.

        AWS Backup encrypts a cross-region copy of an RDS snapshot with the destination vault's key
        (a KMS key serves one region only): that key is what a DR stack's nox:dbRestoreKmsKeyArn names.
        """
        region = args.settings.dr_region
        key = encryption_key(
            f"{args.name_prefix}-db-copy",
            description=f"{args.name_prefix} PostgreSQL backup copies in {region}",
            parent=self,
            protect=args.protect,
            region=region,
        )
        vault = aws.backup.Vault(
            f"{name}-copy-vault",
            name=f"{args.name_prefix}-db-copy",
            kms_key_arn=key.arn,
            region=region,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        if args.lock_copy_vault:
            aws.backup.VaultLockConfiguration(
                f"{name}-copy-vault-lock",
                backup_vault_name=vault.name,
                min_retention_days=COPY_LOCK_MIN_RETENTION_DAYS,
                max_retention_days=COPY_LOCK_MAX_RETENTION_DAYS,
                changeable_for_days=COPY_LOCK_CHANGEABLE_FOR_DAYS,
                region=region,
                opts=pulumi.ResourceOptions(parent=vault, protect=args.protect),
            )
        return vault


def restore_source(s: DatabaseSettings) -> dict[str, Any]:
    """The primary's create-time source: empty (database name and master user), a snapshot, or a point in time.

    A restore takes the database, its name and its master user from the backup (RDS
    RestoreDBInstanceFromDBSnapshot / RestoreDBInstanceToPointInTime take neither for PostgreSQL).
    Both arguments replace an existing instance (Terraform aws_db_instance: "Forces new
    resource"), hence nox:restoreConfirm (settings/loader.py) and the replace the offline diff shows.
    """
    if s.restore_snapshot:
        return {"snapshot_identifier": s.restore_snapshot}
    if s.restore_source:
        point: dict[str, Any] = {"source_db_instance_identifier": s.restore_source}
        if s.restore_time == "latest":
            point["use_latest_restorable_time"] = True
        else:
            point["restore_time"] = s.restore_time
        return {"restore_to_point_in_time": point}
    return {"db_name": DB_NAME, "username": USERNAME}
