"""CloudWatch: log groups and alarms."""

from __future__ import annotations

from collections.abc import Iterator

from ..common import UNKNOWN, Res, as_int, blank, is_false, resource_policy
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


POLICIES = [
    resource_policy(
        "aws-cloudwatch-log-group-retention", "CloudWatch log groups have a retention period.", [LOG_GROUP], check_log_retention
    ),
    resource_policy("aws-cloudwatch-alarm-has-actions", "CloudWatch alarms have alarm actions.", ALARM_TYPES, check_alarm_actions),
]
