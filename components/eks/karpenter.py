"""Karpenter v1: node autoscaling for the app's pods (issue 15 §1).

The managed node group is fixed-size and tainted for system workloads; Karpenter launches the
nodes the HPAs' pods need, up to the NodePool's limits (settings: `node_pool_needs`). Upstream's
reference setup (aws/karpenter-provider-aws, website/content/en/v1.14/getting-started/
getting-started-with-karpenter/cloudformation.yaml and scripts/step*.sh at commit 1d927085): the
controller's six managed policies (vendored in iam_documents/karpenter-controller-policy.json,
scoped by the cluster's tags), the interruption queue and its EventBridge rules, the node role and
its EC2_LINUX access entry, the `karpenter-crd` and `karpenter` charts from public ECR.

Not EKS Auto Mode: it brings its own load balancer controller, IngressClass and node classes.

IMDS: Karpenter nodes keep IMDSv2 with hop limit 1 like the node group; the controller gets its
region, cluster name and endpoint as values and its credentials from EKS Pod Identity (the agent
listens on 169.254.170.23, not IMDS), so no pod needs IMDS.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from settings import EksSettings

from .addons import SYSTEM_NAMESPACE
from .iam import managed_policy_arn, service_role
from .nodes import NODE_POLICIES, ROOT_DEVICE, ROOT_VOLUME_GIB

# Pinned charts (public ECR OCI registry; upstream getting started, KARPENTER_VERSION="1.14.1",
# which supports Kubernetes 1.30-1.36: website/content/en/v1.14/upgrading/compatibility.md).
KARPENTER_VERSION = "1.14.1"
KARPENTER_REGISTRY = "oci://public.ecr.aws/karpenter"
KARPENTER_SA = "karpenter"
# al2023 alias pinned to an AMI release (awslabs/amazon-eks-ami CHANGELOG, "AMI Release v20260714"):
# `al2023@latest` would roll every node whenever AWS publishes an AMI (drift).
AMI_ALIAS = "al2023@v20260714"
NODE_POOL = "app"
NODE_CLASS = "app"
DISCOVERY_TAG = "karpenter.sh/discovery"
# Instance generations after 4: Nitro types only (c5/m5/r5 and newer).
MIN_GENERATION_EXCLUSIVE = "4"
EXPIRE_AFTER = "720h"  # nodes are replaced monthly (upstream's example): fresh AMIs, no long-lived hosts
CONSOLIDATE_AFTER = "5m"
# Upstream recommends 1 CPU / 1 GiB for the controller (getting started, step08-apply-helm-chart.sh).
CONTROLLER_RESOURCES = {"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"cpu": "1", "memory": "1Gi"}}

CONTROLLER_POLICY_FILE = Path(__file__).parent.parent / "iam_documents" / "karpenter-controller-policy.json"
# Zonal shift stays off (settings.enableZonalShift false; the cluster has no zonal shift config),
# so its read-only policy is not attached.
UNUSED_POLICIES = ("ZonalShiftPolicy",)

# EventBridge rules of upstream's template: what Karpenter reacts to before AWS takes a node.
INTERRUPTION_EVENTS = {
    "scheduled-change": ("aws.health", "AWS Health Event"),
    "spot-interruption": ("aws.ec2", "EC2 Spot Instance Interruption Warning"),
    "rebalance": ("aws.ec2", "EC2 Instance Rebalance Recommendation"),
    "instance-state-change": ("aws.ec2", "EC2 Instance State-change Notification"),
    "capacity-reservation-interruption": ("aws.ec2", "EC2 Capacity Reservation Instance Interruption Warning"),
}


def controller_policy_names() -> list[str]:
    """The upstream policies attached to the controller's role, in the template's order."""
    return [p for p in json.loads(CONTROLLER_POLICY_FILE.read_text()) if p not in UNUSED_POLICIES]


def controller_policies(*, partition: str, region: str, account: str, cluster: str, node_role_arn: str, queue_arn: str) -> dict[str, str]:
    """Upstream's controller policies with the template's `${...}` substituted (as CloudFormation's `!Sub`)."""
    values = {
        "${AWS::Partition}": partition,
        "${AWS::Region}": region,
        "${AWS::AccountId}": account,
        "${ClusterName}": cluster,
        "${KarpenterNodeRole.Arn}": node_role_arn,
        "${KarpenterInterruptionQueue.Arn}": queue_arn,
    }
    documents = json.loads(CONTROLLER_POLICY_FILE.read_text())
    out = {}
    for policy in controller_policy_names():
        text = json.dumps(documents[policy])
        for placeholder, value in values.items():
            text = text.replace(placeholder, value)
        if "${" in text:
            raise ValueError(f"unsubstituted placeholder in Karpenter policy {policy}: {text[text.index('${') :][:40]}")
        out[policy] = text
    return out


def volume_key_use_policy(key_arn: str, region: str) -> str:
    """The controller launches nodes (CreateFleet) with encrypted root volumes under the node
    volume key: the caller needs these (Amazon EBS User Guide, "Permissions for IAM users" of EBS
    encryption), through EC2 only. The key policy delegates to IAM (its AccountAdministers)."""
    actions = ["kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:ReEncrypt*"]
    condition = {"StringEquals": {"kms:ViaService": f"ec2.{region}.amazonaws.com"}}
    return json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": key_arn, "Condition": condition}]}
    )


def queue_policy(queue_arn: str) -> str:
    """Upstream's queue policy: EventBridge (and SQS) may send; nothing over plain HTTP."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Id": "EC2InterruptionPolicy",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": ["events.amazonaws.com", "sqs.amazonaws.com"]},
                    "Action": "sqs:SendMessage",
                    "Resource": queue_arn,
                },
                {
                    "Sid": "DenyHTTP",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "sqs:*",
                    "Resource": queue_arn,
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                },
            ],
        }
    )


def pod_identity_trust_policy() -> str:
    """EKS Pod Identity: the agent assumes the role for the associated service account."""
    statement = {"Effect": "Allow", "Principal": {"Service": "pods.eks.amazonaws.com"}, "Action": ["sts:AssumeRole", "sts:TagSession"]}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def node_class_spec(cluster: str, node_role: str, key_arn: str, tags: dict[str, str]) -> dict[str, Any]:
    """The EC2NodeClass (karpenter.k8s.aws/v1): AL2023, IMDSv2 hop limit 1, encrypted gp3 root volume,
    the private subnets and the cluster security group found by the discovery tag."""
    selector = [{"tags": {DISCOVERY_TAG: cluster}}]
    return {
        "role": node_role,  # Karpenter makes the instance profile (IAMIntegrationPolicy)
        "amiSelectorTerms": [{"alias": AMI_ALIAS}],
        "subnetSelectorTerms": selector,
        "securityGroupSelectorTerms": selector,
        "metadataOptions": {
            "httpEndpoint": "enabled",
            "httpProtocolIPv6": "disabled",
            "httpPutResponseHopLimit": 1,
            "httpTokens": "required",
        },
        "blockDeviceMappings": [
            {
                "deviceName": ROOT_DEVICE,
                "ebs": {
                    "volumeSize": f"{ROOT_VOLUME_GIB}Gi",
                    "volumeType": "gp3",
                    "encrypted": True,
                    "kmsKeyID": key_arn,
                    "deleteOnTermination": True,
                },
            }
        ],
        # The provider's default tags do not reach what Karpenter launches.
        "tags": {**tags, "Name": f"{cluster}-karpenter-node"},
    }


def node_pool_spec(settings: EksSettings) -> dict[str, Any]:
    """The NodePool (karpenter.sh/v1): requirements from settings, limits from the capacity rule,
    consolidation (Karpenter evicts through the PodDisruptionBudgets, so each colour keeps its floor)."""
    s = settings

    def requirement(key: str, values: Sequence[str], operator: str = "In") -> dict[str, Any]:
        return {"key": key, "operator": operator, "values": list(values)}

    return {
        "template": {
            "metadata": {"labels": {"nox/node-pool": NODE_POOL}},
            "spec": {
                "nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": NODE_CLASS},
                "requirements": [
                    requirement("kubernetes.io/arch", [s.karpenter_architecture]),
                    requirement("kubernetes.io/os", ["linux"]),
                    requirement("karpenter.sh/capacity-type", s.karpenter_capacity_types),
                    requirement("karpenter.k8s.aws/instance-category", s.karpenter_instance_categories),
                    requirement("karpenter.k8s.aws/instance-generation", [MIN_GENERATION_EXCLUSIVE], "Gt"),
                ],
                "expireAfter": EXPIRE_AFTER,
            },
        },
        "limits": {"cpu": str(s.karpenter_cpu_limit), "memory": f"{s.karpenter_memory_limit_gib}Gi"},
        "disruption": {
            "consolidationPolicy": "WhenEmptyOrUnderutilized",
            "consolidateAfter": CONSOLIDATE_AFTER,
            "budgets": [{"nodes": "10%"}],  # at most a tenth of the nodes disrupted at once
        },
    }


@dataclass
class Karpenter:
    node_role: aws.iam.Role
    queue: aws.sqs.Queue
    controller_role: aws.iam.Role
    crds: k8s.helm.v3.Release
    chart: k8s.helm.v3.Release
    node_class: k8s.apiextensions.CustomResource
    node_pool: k8s.apiextensions.CustomResource

    @property
    def capacity(self) -> list[pulumi.Resource]:
        """What pods scheduled on Karpenter nodes wait for (and outlive on delete)."""
        return [self.node_class, self.node_pool]


def _queue(name: str, prefix: str, parent: pulumi.Resource) -> aws.sqs.Queue:
    queue = aws.sqs.Queue(
        f"{name}-karpenter-queue",
        name=f"{prefix}-karpenter",
        message_retention_seconds=300,  # interruption notices are stale after minutes (upstream)
        sqs_managed_sse_enabled=True,
        opts=pulumi.ResourceOptions(parent=parent),
    )
    aws.sqs.QueuePolicy(
        f"{name}-karpenter-queue-policy",
        queue_url=queue.url,
        policy=queue.arn.apply(queue_policy),
        opts=pulumi.ResourceOptions(parent=queue),
    )
    for rule_name, (source, detail_type) in INTERRUPTION_EVENTS.items():
        rule = aws.cloudwatch.EventRule(
            f"{name}-karpenter-{rule_name}",
            description=f"{prefix} Karpenter: {detail_type}",
            event_pattern=json.dumps({"source": [source], "detail-type": [detail_type]}),
            opts=pulumi.ResourceOptions(parent=queue),
        )
        aws.cloudwatch.EventTarget(
            f"{name}-karpenter-{rule_name}-target",
            rule=rule.name,
            target_id="KarpenterInterruptionQueueTarget",
            arn=queue.arn,
            opts=pulumi.ResourceOptions(parent=rule),
        )
    return queue


def _controller_role(
    name: str,
    *,
    cluster_name: pulumi.Output[str],
    node_role: aws.iam.Role,
    queue: aws.sqs.Queue,
    volume_key: aws.kms.Key,
    region: pulumi.Output[str],
    account: pulumi.Output[str],
    partition: pulumi.Output[str],
    parent: pulumi.Resource,
) -> tuple[aws.iam.Role, list[pulumi.Resource]]:
    """The controller's role (Pod Identity), its upstream policies and the volume key grant."""
    role = aws.iam.Role(
        f"{name}-karpenter-controller-role",
        description="Karpenter controller (EKS Pod Identity)",
        assume_role_policy=pod_identity_trust_policy(),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    documents = pulumi.Output.all(partition, region, account, cluster_name, node_role.arn, queue.arn).apply(
        lambda a: controller_policies(partition=a[0], region=a[1], account=a[2], cluster=a[3], node_role_arn=a[4], queue_arn=a[5])
    )
    grants: list[pulumi.Resource] = []
    for policy_name in controller_policy_names():
        policy = aws.iam.Policy(
            f"{name}-karpenter-{policy_name}",
            description=f"Karpenter controller: upstream {policy_name}",
            policy=documents.apply(operator.itemgetter(policy_name)),
            opts=pulumi.ResourceOptions(parent=role),
        )
        grants.append(
            aws.iam.RolePolicyAttachment(
                f"{name}-karpenter-{policy_name}-attachment",
                role=role.name,
                policy_arn=policy.arn,
                opts=pulumi.ResourceOptions(parent=role),
            )
        )
    grants.append(
        aws.iam.RolePolicy(
            f"{name}-karpenter-volume-key",
            role=role.id,
            policy=pulumi.Output.all(volume_key.arn, region).apply(lambda a: volume_key_use_policy(*a)),
            opts=pulumi.ResourceOptions(parent=role),
        )
    )
    grants.append(
        aws.eks.PodIdentityAssociation(
            f"{name}-karpenter-pod-identity",
            cluster_name=cluster_name,
            namespace=SYSTEM_NAMESPACE,
            service_account=KARPENTER_SA,
            role_arn=role.arn,
            opts=pulumi.ResourceOptions(parent=role),
        )
    )
    return role, grants


def karpenter(
    name: str,
    prefix: str,
    *,
    cluster: aws.eks.Cluster,
    settings: EksSettings,
    volume_key: aws.kms.Key,
    tags: dict[str, str],
    region: pulumi.Output[str],
    account: pulumi.Output[str],
    partition: pulumi.Output[str],
    helm_opts: pulumi.ResourceOptions,
) -> Karpenter:
    """Karpenter's AWS side, its two charts, the EC2NodeClass and the NodePool. `helm_opts`: parent,
    Kubernetes provider and what charts wait for (nodes, CoreDNS)."""
    parent = helm_opts.parent
    assert parent is not None
    child = pulumi.ResourceOptions(parent=parent)
    node_role, node_grants = service_role(
        f"{name}-karpenter-node-role", "ec2.amazonaws.com", [managed_policy_arn(partition, p) for p in NODE_POLICIES], parent
    )
    # Nodes join with this role: EC2_LINUX maps it to system:nodes (EKS access entries).
    access = aws.eks.AccessEntry(
        f"{name}-karpenter-node-access", cluster_name=cluster.name, principal_arn=node_role.arn, type="EC2_LINUX", opts=child
    )
    queue = _queue(name, prefix, parent)
    controller_role, controller_grants = _controller_role(
        name,
        cluster_name=cluster.name,
        node_role=node_role,
        queue=queue,
        volume_key=volume_key,
        region=region,
        account=account,
        partition=partition,
        parent=parent,
    )
    crds = k8s.helm.v3.Release(
        f"{name}-karpenter-crd",
        name="karpenter-crd",
        chart=f"{KARPENTER_REGISTRY}/karpenter-crd",
        version=KARPENTER_VERSION,
        namespace=SYSTEM_NAMESPACE,
        opts=helm_opts,
    )
    chart = k8s.helm.v3.Release(
        f"{name}-karpenter",
        name="karpenter",
        chart=f"{KARPENTER_REGISTRY}/karpenter",
        version=KARPENTER_VERSION,
        namespace=SYSTEM_NAMESPACE,
        skip_crds=True,  # the karpenter-crd release owns them (upstream upgrade guide, "CRD Upgrades")
        values={
            "serviceAccount": {"create": True, "name": KARPENTER_SA},
            "settings": {
                "clusterName": cluster.name,
                "clusterEndpoint": cluster.endpoint,
                "interruptionQueue": queue.name,
            },
            # Region given, so the controller never asks IMDS (hop limit 1 keeps pods out of it).
            "controller": {"env": [{"name": "AWS_REGION", "value": region}], "resources": CONTROLLER_RESOURCES},
            # The chart's defaults keep it off Karpenter's own nodes (affinity: karpenter.sh/nodepool
            # DoesNotExist) and tolerate the system group's CriticalAddonsOnly taint.
        },
        # The controller keeps its permissions and queue until the NodePool's nodes are gone.
        opts=pulumi.ResourceOptions.merge(helm_opts, pulumi.ResourceOptions(depends_on=[crds, queue, *controller_grants])),
    )
    k8s_opts = pulumi.ResourceOptions(parent=parent, provider=helm_opts.provider, depends_on=[chart, crds])
    node_class = k8s.apiextensions.CustomResource(
        f"{name}-karpenter-node-class",
        api_version="karpenter.k8s.aws/v1",
        kind="EC2NodeClass",
        metadata={"name": NODE_CLASS},
        spec=pulumi.Output.all(cluster.name, node_role.name, volume_key.arn).apply(lambda a: node_class_spec(a[0], a[1], a[2], tags)),
        # Nodes must be able to join (role, policies, access entry) and leave before those go.
        opts=pulumi.ResourceOptions.merge(k8s_opts, pulumi.ResourceOptions(depends_on=[access, *node_grants])),
    )
    node_pool = k8s.apiextensions.CustomResource(
        f"{name}-karpenter-node-pool",
        api_version="karpenter.sh/v1",
        kind="NodePool",
        metadata={"name": NODE_POOL},
        spec=node_pool_spec(settings),
        opts=pulumi.ResourceOptions.merge(k8s_opts, pulumi.ResourceOptions(depends_on=[node_class])),
    )
    return Karpenter(node_role, queue, controller_role, crds, chart, node_class, node_pool)
