"""RDS PostgreSQL instances: the primary and its read replica."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..common import UNKNOWN, Res, as_int, blank, env_note, get, is_false, is_prod, is_true, items, resource_environment, resource_policy
from .tokens import RDS_INSTANCE, RDS_PARAMETER_GROUP

# RDS certificate authorities in use today (RDS User Guide, "Certificate authorities"); rds-ca-2019
# expired in August 2024.
CURRENT_CAS = ("rds-ca-rsa2048-g1", "rds-ca-rsa4096-g1", "rds-ca-ecc384-g1")
ENHANCED_MONITORING_MAX_INTERVAL = 60
# Seed "PostgreSQL Performance Tuning" (logging) and "Database Connection Pooling"
# (statement_timeout: 30000), as the parameter group carries them: (lowest, highest, why).
SEED_PG_PARAMETERS = {
    "log_connections": (1, 1, "the seed's log_connections = on"),
    "log_disconnections": (1, 1, "the seed's log_disconnections = on"),
    "log_min_duration_statement": (0, 1000, "the seed logs statements slower than 1000 ms; -1 turns it off"),
    "statement_timeout": (1, 30000, "the seed's 30 s statement timeout; 0 turns it off"),
}


def _is_replica(r: Res) -> bool:
    return not blank(r.get("replicateSourceDb"))


def check_rds_encrypted(r: Res) -> Iterator[str]:
    if _is_replica(r):
        return
    encrypted, key = r.get("storageEncrypted"), r.get("kmsKeyId")
    if encrypted is not UNKNOWN and not is_true(encrypted):
        yield f"RDS instance '{r.name}' stores data unencrypted: set storage_encrypted=True and kms_key_id to a customer KMS key."
    elif key is not UNKNOWN and blank(key):
        yield (
            f"RDS instance '{r.name}' is encrypted with the AWS-managed key: set kms_key_id to a customer KMS key "
            "(rotation on) so key use is auditable and revocable."
        )


def check_rds_replica_encrypted(r: Res) -> Iterator[str]:
    if not _is_replica(r):
        return
    encrypted, key = r.get("storageEncrypted"), r.get("kmsKeyId")
    if (encrypted is not UNKNOWN and not is_true(encrypted)) or (key is not UNKNOWN and blank(key)):
        yield (
            f"RDS read replica '{r.name}' does not declare its encryption: set storage_encrypted=True and "
            "kms_key_id to the primary's customer KMS key (a cross-region replica would otherwise fall back to the default key)."
        )


def check_rds_not_public(r: Res) -> Iterator[str]:
    if is_true(r.get("publiclyAccessible")):
        yield (
            f"RDS instance '{r.name}' is publicly accessible: set publicly_accessible=False and reach it only "
            "from the app's security group inside the VPC."
        )


def check_rds_iam_auth(r: Res) -> Iterator[str]:
    value = r.get("iamDatabaseAuthenticationEnabled")
    if value is not UNKNOWN and not is_true(value):
        yield f"RDS instance '{r.name}' has IAM database authentication off: set iam_database_authentication_enabled=True."


def check_rds_backup_retention(r: Res) -> Iterator[str]:
    env = resource_environment(r)
    if _is_replica(r) or not is_prod(env):
        return
    days = r.get("backupRetentionPeriod")
    if days is not UNKNOWN and (as_int(days) or 0) < 7:
        yield (
            f"RDS instance '{r.name}' keeps automated backups {as_int(days) or 0} day(s) in {env_note(env)}: "
            "set backup_retention_period to at least 7 (prod default 30)."
        )


def check_rds_replica_resilience(r: Res) -> Iterator[str]:
    """A prod replica is the reader endpoint and the DR path: it survives an AZ loss and, once
    promoted, can be restored to a point in time only if it already keeps automated backups."""
    env = resource_environment(r)
    if not _is_replica(r) or not is_prod(env):
        return
    multi_az, days = r.get("multiAz"), r.get("backupRetentionPeriod")
    if multi_az is not UNKNOWN and not is_true(multi_az):
        yield f"RDS read replica '{r.name}' is single-AZ in {env_note(env)}: set multi_az=True, as on its primary."
    if days is not UNKNOWN and (as_int(days) or 0) <= 0:
        yield (
            f"RDS read replica '{r.name}' keeps no automated backups in {env_note(env)}: set backup_retention_period > 0 "
            "(a promoted replica then has point-in-time restore at once)."
        )


def check_rds_deletion_protection(r: Res) -> Iterator[str]:
    env = resource_environment(r)
    value = r.get("deletionProtection")
    if is_prod(env) and value is not UNKNOWN and not is_true(value):
        yield f"RDS instance '{r.name}' can be deleted in {env_note(env)}: set deletion_protection=True."


def check_rds_multi_az(r: Res) -> Iterator[str]:
    env = resource_environment(r)
    value = r.get("multiAz")
    if is_prod(env) and not _is_replica(r) and value is not UNKNOWN and not is_true(value):
        yield f"RDS instance '{r.name}' is single-AZ in {env_note(env)}: set multi_az=True (a standby in another AZ)."


def check_rds_log_exports(r: Res) -> Iterator[str]:
    """FSBP RDS.9: PostgreSQL sends its `postgresql` log (connections, slow queries) to CloudWatch Logs."""
    exports = r.get("enabledCloudwatchLogsExports")
    if exports is UNKNOWN or UNKNOWN in items(exports):
        return
    if blank(exports):
        yield (f"RDS instance '{r.name}' exports no logs: set enabled_cloudwatch_logs_exports (PostgreSQL: ['postgresql', 'upgrade']).")
    elif r.get("engine") in ("postgres", None) and "postgresql" not in items(exports):
        yield (
            f"RDS instance '{r.name}' does not export the postgresql log (connections, disconnections, slow queries): "
            "add 'postgresql' to enabled_cloudwatch_logs_exports."
        )


def check_rds_performance_insights(r: Res) -> Iterator[str]:
    if not is_true(r.get("performanceInsightsEnabled")):
        return
    key = r.get("performanceInsightsKmsKeyId")
    if key is not UNKNOWN and blank(key):
        yield (
            f"RDS instance '{r.name}' has Performance Insights on with the AWS-managed key: set "
            "performance_insights_kms_key_id to a customer KMS key (query text can hold sensitive data)."
        )


def check_rds_minor_upgrades(r: Res) -> Iterator[str]:
    """FSBP RDS.13 (unset means the AWS default, true)."""
    if is_false(r.get("autoMinorVersionUpgrade")):
        yield (
            f"RDS instance '{r.name}' has auto_minor_version_upgrade=False: set it True so security patches apply "
            "in the maintenance window."
        )


def check_rds_copy_tags(r: Res) -> Iterator[str]:
    """FSBP RDS.17: snapshots carry the instance's tags (owner, cost centre, environment)."""
    value = r.get("copyTagsToSnapshot")
    if value is not UNKNOWN and not is_true(value):
        yield f"RDS instance '{r.name}' does not copy its tags to snapshots: set copy_tags_to_snapshot=True."


def check_rds_final_snapshot(r: Res) -> Iterator[str]:
    env = resource_environment(r)
    if _is_replica(r) or not is_prod(env):
        return
    skip, final = r.get("skipFinalSnapshot"), r.get("finalSnapshotIdentifier")
    if skip is UNKNOWN or final is UNKNOWN:
        return
    if is_true(skip) or blank(final):
        yield (
            f"RDS instance '{r.name}' would be deleted without a final snapshot in {env_note(env)}: set "
            "skip_final_snapshot=False and final_snapshot_identifier."
        )


def check_rds_enhanced_monitoring(r: Res) -> Iterator[str]:
    """FSBP RDS.6: OS metrics every 60 s or more often (the seed's node-exporter view of the host)."""
    interval, role = r.get("monitoringInterval"), r.get("monitoringRoleArn")
    if interval is UNKNOWN or role is UNKNOWN:
        return
    seconds = as_int(interval) or 0
    if seconds <= 0 or seconds > ENHANCED_MONITORING_MAX_INTERVAL or blank(role):
        yield (
            f"RDS instance '{r.name}' has no enhanced monitoring (interval {seconds} s): set monitoring_interval to "
            f"{ENHANCED_MONITORING_MAX_INTERVAL} or less and monitoring_role_arn."
        )


def check_rds_current_ca(r: Res) -> Iterator[str]:
    ca = r.get("caCertIdentifier")
    if ca is not UNKNOWN and not blank(ca) and ca not in CURRENT_CAS:
        yield (
            f"RDS instance '{r.name}' uses certificate authority {ca}: use a current one ({', '.join(CURRENT_CAS)}); "
            "clients verify it (sslmode=verify-full)."
        )


def check_rds_managed_master_password(r: Res) -> Iterator[str]:
    """The master password lives in Secrets Manager, created and rotated by RDS (FSBP SecretsManager.1/.4)."""
    if _is_replica(r):
        return
    managed, password = r.get("manageMasterUserPassword"), r.get("password")
    if managed is UNKNOWN or password is UNKNOWN:
        return
    if not blank(password) or not is_true(managed):
        yield (
            f"RDS instance '{r.name}' has a master password set by the program: remove password and set "
            "manage_master_user_password=True (RDS keeps it in Secrets Manager and rotates it every 7 days)."
        )


def _pg_parameters(r: Res) -> dict[str, Any] | Any:
    params = r.get("parameters")
    if params is UNKNOWN or any(get(p, "name") is UNKNOWN for p in items(params)):
        return UNKNOWN
    return {get(p, "name"): get(p, "value") for p in items(params)}


def check_pg_logging_and_timeouts(r: Res) -> Iterator[str]:
    family = r.get("family")
    if not isinstance(family, str) or not family.startswith("postgres"):
        return
    params = _pg_parameters(r)
    if params is UNKNOWN:
        return
    for name, (low, high, what) in SEED_PG_PARAMETERS.items():
        value = params.get(name)
        if value is UNKNOWN:
            continue
        number = as_int(value)
        if number is None or not low <= number <= high:
            yield (
                f"RDS parameter group '{r.name}' sets {name}={value if value is not None else '(unset: RDS default)'}: "
                f"keep it between {low} and {high} ({what})."
            )


POLICIES = [
    resource_policy(
        "aws-rds-instance-storage-encrypted",
        "RDS instances are encrypted at rest with a customer-managed KMS key.",
        [RDS_INSTANCE],
        check_rds_encrypted,
    ),
    resource_policy(
        "aws-rds-replica-storage-encrypted",
        "RDS read replicas declare encryption with a customer-managed KMS key.",
        [RDS_INSTANCE],
        check_rds_replica_encrypted,
    ),
    resource_policy(
        "aws-rds-instance-disallow-public-access", "RDS instances are not publicly accessible.", [RDS_INSTANCE], check_rds_not_public
    ),
    resource_policy(
        "aws-rds-instance-iam-authentication", "RDS instances have IAM database authentication enabled.", [RDS_INSTANCE], check_rds_iam_auth
    ),
    resource_policy(
        "aws-rds-instance-backup-retention-prod",
        "RDS instances keep automated backups at least 7 days in prod.",
        [RDS_INSTANCE],
        check_rds_backup_retention,
    ),
    resource_policy(
        "aws-rds-replica-multi-az-and-backups-prod",
        "RDS read replicas are Multi-AZ and keep automated backups in prod.",
        [RDS_INSTANCE],
        check_rds_replica_resilience,
    ),
    resource_policy(
        "aws-rds-instance-deletion-protection-prod",
        "RDS instances have deletion protection in prod.",
        [RDS_INSTANCE],
        check_rds_deletion_protection,
    ),
    resource_policy("aws-rds-instance-multi-az-prod", "RDS primaries are Multi-AZ in prod.", [RDS_INSTANCE], check_rds_multi_az),
    resource_policy(
        "aws-rds-instance-log-exports",
        "FSBP RDS.9: RDS instances export their logs (PostgreSQL: the postgresql log) to CloudWatch Logs.",
        [RDS_INSTANCE],
        check_rds_log_exports,
    ),
    resource_policy(
        "aws-rds-instance-performance-insights-encrypted",
        "RDS Performance Insights data is encrypted with a customer-managed KMS key.",
        [RDS_INSTANCE],
        check_rds_performance_insights,
    ),
    resource_policy(
        "aws-rds-instance-auto-minor-upgrade",
        "FSBP RDS.13: RDS instances apply minor engine upgrades automatically.",
        [RDS_INSTANCE],
        check_rds_minor_upgrades,
    ),
    resource_policy(
        "aws-rds-instance-copy-tags-to-snapshots",
        "FSBP RDS.17: RDS instances copy their tags to snapshots.",
        [RDS_INSTANCE],
        check_rds_copy_tags,
    ),
    resource_policy(
        "aws-rds-instance-final-snapshot-prod",
        "RDS primaries take a final snapshot when deleted in prod.",
        [RDS_INSTANCE],
        check_rds_final_snapshot,
    ),
    resource_policy(
        "aws-rds-instance-enhanced-monitoring",
        "FSBP RDS.6: RDS instances have enhanced monitoring at 60 s or finer.",
        [RDS_INSTANCE],
        check_rds_enhanced_monitoring,
    ),
    resource_policy(
        "aws-rds-instance-current-ca",
        "RDS instances use a current certificate authority.",
        [RDS_INSTANCE],
        check_rds_current_ca,
    ),
    resource_policy(
        "aws-rds-instance-managed-master-password",
        "FSBP SecretsManager.1/.4 for the master password: RDS manages it in Secrets Manager and rotates it.",
        [RDS_INSTANCE],
        check_rds_managed_master_password,
    ),
    resource_policy(
        "aws-rds-parameter-group-seed-logging-timeouts",
        "PostgreSQL parameter groups keep the seed's log_connections, log_disconnections, slow-query log and statement_timeout.",
        [RDS_PARAMETER_GROUP],
        check_pg_logging_and_timeouts,
    ),
]
