"""RDS PostgreSQL instances: the primary and its read replica."""

from __future__ import annotations

from collections.abc import Iterator

from ..common import UNKNOWN, Res, as_int, blank, env_note, is_prod, is_true, resource_environment, resource_policy
from .tokens import RDS_INSTANCE


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
    exports = r.get("enabledCloudwatchLogsExports")
    if exports is not UNKNOWN and blank(exports):
        yield (f"RDS instance '{r.name}' exports no logs: set enabled_cloudwatch_logs_exports (PostgreSQL: ['postgresql', 'upgrade']).")


def check_rds_performance_insights(r: Res) -> Iterator[str]:
    if not is_true(r.get("performanceInsightsEnabled")):
        return
    key = r.get("performanceInsightsKmsKeyId")
    if key is not UNKNOWN and blank(key):
        yield (
            f"RDS instance '{r.name}' has Performance Insights on with the AWS-managed key: set "
            "performance_insights_kms_key_id to a customer KMS key (query text can hold sensitive data)."
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
        "aws-rds-instance-log-exports", "RDS instances export their logs to CloudWatch Logs.", [RDS_INSTANCE], check_rds_log_exports
    ),
    resource_policy(
        "aws-rds-instance-performance-insights-encrypted",
        "RDS Performance Insights data is encrypted with a customer-managed KMS key.",
        [RDS_INSTANCE],
        check_rds_performance_insights,
    ),
]
