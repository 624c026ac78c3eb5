"""Container Insights on EKS: the `amazon-cloudwatch-observability` add-on (CloudWatch agent).

It publishes the ContainerInsights metrics the EKS alarms and the dashboard read (node_cpu_utilization,
node_memory_utilization, pod_number_of_container_restarts; namespace ContainerInsights, dimension
ClusterName). The agent runs as `amazon-cloudwatch/cloudwatch-agent` with an IRSA role holding
CloudWatchAgentServerPolicy (CloudWatch user guide, "Install the CloudWatch agent with the Amazon
CloudWatch Observability EKS add-on"): the nodes' role gets nothing, and pods cannot reach IMDS.

Container logs are on: the add-on's Fluent Bit (the chart's `containerLogs`, a value of the
add-on's configuration schema) ships pods' stdout to /aws/containerinsights/<cluster>/application
and the node logs to .../dataplane and .../host. Those groups are components/logs.py's, made first
with the log key and the stack's retention (an agent that creates its own gets neither), and the
add-on waits for them. Only the application input is overridden (`logs.FLUENT_BIT_APPLICATION`:
the app's line stays in `log` for the transformer, no group creation); dataplane and host keep the
chart's defaults. Fluent Bit runs as the `cloudwatch-agent` service account (this role) with host
networking, which is why its `aws` filter reaches IMDS under hop limit 1: the host's own stack.
The performance log group the agent writes its metrics through is created here first too.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from . import logs
from .base import Logged
from .eks.iam import irsa_role

ADDON = "amazon-cloudwatch-observability"
AGENT_NAMESPACE = "amazon-cloudwatch"
AGENT_SERVICE_ACCOUNT = "cloudwatch-agent"
AGENT_POLICY = "CloudWatchAgentServerPolicy"
CONFIGURATION = {
    "containerLogs": {"enabled": True, "fluentBit": {"config": {"extraFiles": {"application-log.conf": logs.FLUENT_BIT_APPLICATION}}}}
}


def performance_log_group_name(cluster_name: str) -> str:
    return f"/aws/containerinsights/{cluster_name}/performance"


@dataclass(frozen=True)
class ContainerInsightsArgs(Logged):
    cluster: Any  # components.cluster.Cluster: eks_cluster, node_group, oidc_provider, oidc_issuer
    kubernetes_version: str
    container_log_groups: Sequence[pulumi.Resource]  # the Fluent Bit groups (logs.AppLogs), made first


class ContainerInsights(pulumi.ComponentResource):
    """The CloudWatch Observability add-on with its own IRSA role and its performance log group."""

    addon: aws.eks.Addon
    role: aws.iam.Role
    log_group: aws.cloudwatch.LogGroup

    def __init__(self, name: str, args: ContainerInsightsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("nox:eks:ContainerInsights", name, None, opts)
        cluster = args.cluster
        invoke = pulumi.InvokeOutputOptions(parent=self)
        partition = aws.get_partition_output(opts=invoke).partition
        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-performance-logs",
            name=cluster.eks_cluster.name.apply(performance_log_group_name),
            retention_in_days=args.log_retention_days,
            kms_key_id=args.log_key.arn,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.role, grants = irsa_role(
            f"{name}-agent-role",
            oidc_provider=cluster.oidc_provider,
            issuer_url=cluster.oidc_issuer,
            namespace=AGENT_NAMESPACE,
            service_account=AGENT_SERVICE_ACCOUNT,
            parent=self,
            managed_policy_arns=[partition.apply(lambda p: f"arn:{p}:iam::aws:policy/{AGENT_POLICY}")],
        )
        version = aws.eks.get_addon_version_output(addon_name=ADDON, kubernetes_version=args.kubernetes_version, opts=invoke)
        self.addon = aws.eks.Addon(
            f"{name}-addon",
            cluster_name=cluster.eks_cluster.name,
            addon_name=ADDON,
            addon_version=version.version,
            service_account_role_arn=self.role.arn,
            configuration_values=json.dumps(CONFIGURATION),
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="OVERWRITE",
            # Its agents run on the nodes; the role's policy must exist before they start publishing.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[cluster.node_group, self.log_group, *args.container_log_groups, *grants]),
        )
        self.register_outputs({"addon": self.addon.addon_name, "agentRoleArn": self.role.arn})
