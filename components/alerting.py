"""Alert routing: one SNS topic per stack, encrypted with a key of its own, and the people behind it.

Everything that alarms publishes here: the CloudWatch alarms (components.alarms), EventBridge
rules, and Amazon Managed Prometheus / Alertmanager (the Prometheus component takes `topic.arn`
and `key.arn`). Subscribers come from config: email addresses, Slack through AWS Chatbot, and an
optional HTTPS endpoint (an incident tool).

Slack: AWS Chatbot can only post to a workspace that someone has authorised once, by hand, in the
Chatbot console (Configure new client -> Slack -> allow). The workspace id shown there is
`nox:slackWorkspaceId`; this program creates the channel configuration, not the authorisation.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from settings import AlertingSettings

from .base import Protected
from .kms import encryption_key

CLOUDWATCH = "cloudwatch.amazonaws.com"
EVENTBRIDGE = "events.amazonaws.com"
PROMETHEUS = "aps.amazonaws.com"  # Amazon Managed Service for Prometheus' alert manager
PUBLISHERS = (CLOUDWATCH, EVENTBRIDGE, PROMETHEUS)
# What each publisher publishes from (aws:SourceArn in the topic policy), as ARN resource parts.
PUBLISHER_SOURCES = {
    CLOUDWATCH: ("cloudwatch", "alarm:*"),
    EVENTBRIDGE: ("events", "rule/*"),
    PROMETHEUS: ("aps", "workspace/*"),
}
# AMP reads the topic's attributes before it publishes (AMP user guide, "Permission to send alert
# messages to your Amazon SNS topic").
PUBLISHER_ACTIONS = {PROMETHEUS: ["sns:Publish", "sns:GetTopicAttributes"]}
CHATBOT = "chatbot.amazonaws.com"
# The channel's role lets Chatbot render alarm details; the guardrail caps whatever a channel
# member could run to read-only (Chatbot applies AdministratorAccess when no guardrail is given).
CHATBOT_ROLE_POLICY = "CloudWatchReadOnlyAccess"
CHATBOT_GUARDRAIL_POLICY = "ReadOnlyAccess"
CHATBOT_LOGGING_LEVEL = "ERROR"


def topic_policy(topic_arn: str, account: str, region: str, partition: str) -> str:
    """sns:Publish for the publishers, only from this account's alarms/rules/workspaces, over TLS."""
    statements: list[dict] = [
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "sns:Publish",
            "Resource": topic_arn,
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    ]
    for principal in PUBLISHERS:
        service, resource = PUBLISHER_SOURCES[principal]
        statements.append(
            {
                "Sid": "Publish" + service.capitalize(),
                "Effect": "Allow",
                "Principal": {"Service": principal},
                "Action": PUBLISHER_ACTIONS.get(principal, ["sns:Publish"]),
                "Resource": topic_arn,
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account},
                    "ArnLike": {"aws:SourceArn": f"arn:{partition}:{service}:{region}:{account}:{resource}"},
                },
            }
        )
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def subscription_name(endpoint: str) -> str:
    """A resource-name slug of an endpoint: stable when the list is reordered, unlike an index."""
    return re.sub(r"[^a-z0-9]+", "-", endpoint.lower()).strip("-")


@dataclass(frozen=True)
class AlertingArgs(Protected):
    settings: AlertingSettings

    def __post_init__(self) -> None:
        s = self.settings
        if bool(s.slack_workspace_id) != bool(s.slack_channel_id):
            raise ValueError("AlertingArgs: Slack needs both slack_workspace_id and slack_channel_id")


class Alerting(pulumi.ComponentResource):
    """The stack's alarm topic, its customer-managed key, and its subscriptions."""

    key: aws.kms.Key
    topic: aws.sns.Topic
    topic_policy: aws.sns.TopicPolicy
    subscriptions: list[aws.sns.TopicSubscription]
    chatbot: aws.chatbot.SlackChannelConfiguration | None

    def __init__(self, name: str, args: AlertingArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("nox:alerting:Alerting", name, None, opts)
        prefix, s = args.name_prefix, args.settings
        child = pulumi.ResourceOptions(parent=self)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        account = aws.get_caller_identity_output(opts=invoke).account_id
        region = aws.get_region_output(opts=invoke).region
        partition = aws.get_partition_output(opts=invoke).partition

        # A key of our own: with the AWS managed alias/aws/sns, CloudWatch cannot encrypt to the
        # topic and alarm notifications are dropped without an error.
        self.key = encryption_key(
            f"{prefix}-alerts",
            description=f"{prefix} alarm topic (SNS server-side encryption)",
            parent=self,
            service_publishers=PUBLISHERS,
            protect=args.protect,
        )
        self.topic = aws.sns.Topic(f"{name}-topic", name=f"{prefix}-alerts", kms_master_key_id=self.key.arn, opts=child)
        self.topic_policy = aws.sns.TopicPolicy(
            f"{name}-topic-policy",
            arn=self.topic.arn,
            policy=pulumi.Output.all(self.topic.arn, account, region, partition).apply(lambda a: topic_policy(*a)),
            opts=pulumi.ResourceOptions(parent=self.topic),
        )

        topic_child = pulumi.ResourceOptions(parent=self.topic)
        endpoints = [("email", e) for e in s.emails] + ([("https", s.https_endpoint)] if s.https_endpoint else [])
        self.subscriptions = [
            aws.sns.TopicSubscription(
                f"{name}-{protocol}-{subscription_name(endpoint)}",
                topic=self.topic.arn,
                protocol=protocol,
                endpoint=endpoint,
                opts=topic_child,
            )
            for protocol, endpoint in endpoints
        ]
        self.chatbot = self._slack(name, args, partition) if s.slack else None

        self.register_outputs({"topicArn": self.topic.arn, "keyArn": self.key.arn})

    def _slack(self, name: str, args: AlertingArgs, partition: pulumi.Output[str]) -> aws.chatbot.SlackChannelConfiguration:
        s, prefix = args.settings, args.name_prefix
        role = aws.iam.Role(
            f"{name}-chatbot-role",
            description=f"{prefix} AWS Chatbot: posts the alarm topic to Slack",
            assume_role_policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Principal": {"Service": CHATBOT}, "Action": "sts:AssumeRole"}],
                }
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        grant = aws.iam.RolePolicyAttachment(
            f"{name}-chatbot-read-cloudwatch",
            role=role.name,
            policy_arn=partition.apply(lambda p: f"arn:{p}:iam::aws:policy/{CHATBOT_ROLE_POLICY}"),
            opts=pulumi.ResourceOptions(parent=role),
        )
        return aws.chatbot.SlackChannelConfiguration(
            f"{name}-slack",
            configuration_name=f"{prefix}-alerts",
            iam_role_arn=role.arn,
            slack_team_id=s.slack_workspace_id,
            slack_channel_id=s.slack_channel_id,
            sns_topic_arns=[self.topic.arn],
            guardrail_policy_arns=[partition.apply(lambda p: f"arn:{p}:iam::aws:policy/{CHATBOT_GUARDRAIL_POLICY}")],
            logging_level=CHATBOT_LOGGING_LEVEL,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[grant]),
        )
