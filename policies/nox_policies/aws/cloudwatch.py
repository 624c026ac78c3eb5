"""CloudWatch: log groups and alarms."""

from __future__ import annotations

from collections.abc import Iterator

from ..common import UNKNOWN, Res, as_int, blank, env_note, is_false, is_prod, resource_environment, resource_policy
from .tokens import ALARM_TYPES, LOG_GROUP


def check_log_retention(r: Res) -> Iterator[str]:
    days = r.get("retentionInDays")
    if days is not UNKNOWN and (as_int(days) or 0) <= 0:
        yield (f"Log group '{r.name}' keeps logs forever: set retention_in_days (e.g. the stack's nox:logRetentionDays).")


def check_alarm_actions(r: Res) -> Iterator[str]:
    actions, enabled = r.get("alarmActions"), r.get("actionsEnabled")
    if actions is UNKNOWN:
        return
    if blank(actions):
        yield (
            f"Alarm '{r.name}' has no alarm_actions, so it fires into the void: add its action "
            "(the scaling policy's ARN, or the alerts SNS topic)."
        )
    elif is_false(enabled):
        yield f"Alarm '{r.name}' has actions_enabled=False: enable its actions."


# FSBP CloudWatch.16: at least a year of logs (the seed's Elasticsearch kept none; AWS's baseline).
PROD_MIN_RETENTION_DAYS = 365


def check_log_retention_prod(r: Res) -> Iterator[str]:
    env = resource_environment(r)
    days = r.get("retentionInDays")
    if not is_prod(env) or days is UNKNOWN or (as_int(days) or 0) <= 0:
        return  # forever is the other policy's finding
    if (as_int(days) or 0) < PROD_MIN_RETENTION_DAYS:
        yield (
            f"Log group '{r.name}' keeps logs {as_int(days)} days in {env_note(env)}: keep at least "
            f"{PROD_MIN_RETENTION_DAYS} (nox:logRetentionDays)."
        )


def check_log_group_encrypted(r: Res) -> Iterator[str]:
    key = r.get("kmsKeyId")
    if key is not UNKNOWN and blank(key):
        yield f"Log group '{r.name}' is not encrypted with a customer KMS key: set kms_key_id (the stack's logs key)."


POLICIES = [
    resource_policy(
        "aws-cloudwatch-log-group-retention", "CloudWatch log groups have a retention period.", [LOG_GROUP], check_log_retention
    ),
    resource_policy("aws-cloudwatch-alarm-has-actions", "CloudWatch alarms have alarm actions.", ALARM_TYPES, check_alarm_actions),
    resource_policy(
        "aws-cloudwatch-log-group-retention-prod",
        "FSBP CloudWatch.16: log groups keep logs at least 365 days in prod.",
        [LOG_GROUP],
        check_log_retention_prod,
    ),
    resource_policy(
        "aws-cloudwatch-log-group-encrypted",
        "Log groups are encrypted with a customer KMS key.",
        [LOG_GROUP],
        check_log_group_encrypted,
    ),
]
