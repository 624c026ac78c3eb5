"""The stack outputs `__main__.py` exports, declared once: the README's outputs table is generated
from this list (`python -m settings.docs outputs`), and a test compares it with the outputs of a
plan on each platform, so an export added, dropped or made secret without a line here fails.
"""

from __future__ import annotations

from dataclasses import dataclass

PLATFORMS = ("asg", "eks")


@dataclass(frozen=True)
class StackOutput:
    name: str
    platforms: tuple[str, ...]  # where __main__.py exports it
    meaning: str
    secret: bool = False  # exported as a Pulumi secret (shown only with --show-secrets)


BOTH = PLATFORMS
OUTPUTS: tuple[StackOutput, ...] = (
    StackOutput("alertTopicArn", BOTH, "SNS topic every alarm and Alertmanager notifies (docs/monitoring.md)."),
    StackOutput("alertKeyArn", BOTH, "Customer-managed KMS key encrypting the alert topic."),
    StackOutput("dashboardName", BOTH, "CloudWatch dashboard of the stack."),
    StackOutput("vpcId", BOTH, "VPC id."),
    StackOutput("privateSubnetIds", BOTH, "Private (app) subnet ids, one per AZ."),
    StackOutput("certificateArn", BOTH, "ACM certificate of `nox:domain` (issued here or `nox:certificateArn`)."),
    StackOutput("webAclArn", BOTH, "WAFv2 web ACL in front of the ALB."),
    StackOutput("trafficWeights", BOTH, "Percent of requests per colour, e.g. `{blue: 100, green: 0}`, from the release keys."),
    StackOutput("databaseEndpoint", BOTH, "Host name of the PostgreSQL primary."),
    StackOutput("databaseReaderEndpoint", BOTH, "Host name of the read replica; null without one."),
    StackOutput("redisConfigurationEndpoint", BOTH, "Cluster-mode configuration endpoint of the cache."),
    StackOutput(
        "databaseMasterSecretArn", BOTH, "RDS-managed Secrets Manager secret of the master user (administrators only; the app has none)."
    ),
    StackOutput("databaseAppUser", BOTH, "PostgreSQL role the app logs in as with an IAM token."),
    StackOutput("redisAppUser", BOTH, "ElastiCache user (IAM authentication) the app connects as."),
    StackOutput("dbRolesFunction", BOTH, "Lambda function that creates the app's database role (reusable for migrations)."),
    StackOutput("dbPoolMax", BOTH, "Connection pool size per app instance or pod (the connection budget)."),
    StackOutput("logGroups", BOTH, "Log group per source: app and system (asg), application, dataplane and host (eks); docs/logs.md."),
    StackOutput("logSearchEndpoint", BOTH, "VPC endpoint of the log search domain (`nox:logSearch`); null when off; docs/logs.md."),
    StackOutput("albDnsName", ("asg",), "DNS name of the ALB (the alias record's target)."),
    StackOutput("albArnSuffix", ("asg",), "ALB ARN suffix, the `LoadBalancer` dimension of the release driver's CloudWatch gates."),
    StackOutput(
        "targetGroupArnSuffixes", ("asg",), "Each colour's app target group ARN suffix (`TargetGroup` dimension), `{blue, green}`."
    ),
    StackOutput("autoScalingGroups", ("asg",), "Auto Scaling group name per deployed colour."),
    StackOutput("clusterName", ("eks",), "EKS cluster name."),
    StackOutput("kubeconfig", ("eks",), "Kubeconfig of the cluster; no token in it (`aws eks get-token` supplies one).", secret=True),
)


def for_platform(platform: str) -> tuple[StackOutput, ...]:
    return tuple(o for o in OUTPUTS if platform in o.platforms)
