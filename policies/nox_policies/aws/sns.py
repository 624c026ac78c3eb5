"""SNS topics."""

from __future__ import annotations

from collections.abc import Iterator

from ..common import UNKNOWN, Res, blank, resource_policy
from .tokens import SNS_TOPIC

AWS_MANAGED_SNS_KEY = "alias/aws/sns"


def check_sns_topic_customer_key(r: Res) -> Iterator[str]:
    key = r.get("kmsMasterKeyId")
    if key is UNKNOWN:
        return
    if blank(key):
        yield (
            f"SNS topic '{r.name}' is not encrypted: set kms_master_key_id to a customer-managed KMS key whose "
            "policy lets its publishers (cloudwatch/events/aps.amazonaws.com) use it."
        )
    elif str(key).endswith(AWS_MANAGED_SNS_KEY):
        yield (
            f"SNS topic '{r.name}' is encrypted with the AWS managed key {AWS_MANAGED_SNS_KEY}, whose policy cannot let "
            "CloudWatch or other services publish (their notifications are dropped): use a customer-managed key."
        )


POLICIES = [
    resource_policy(
        "aws-sns-topic-encrypted-customer-key",
        "SNS topics are encrypted with a customer-managed KMS key (not alias/aws/sns).",
        [SNS_TOPIC],
        check_sns_topic_customer_key,
    ),
]
