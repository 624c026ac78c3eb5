"""EKS managed add-ons and the cluster-level Helm releases (AWS Load Balancer Controller, metrics-server)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from .nodes import SYSTEM_SCHEDULING

SYSTEM_NAMESPACE = "kube-system"

# Pinned Helm charts. 1.14.1 ships controller v2.14.1, the first release whose stringMap
# annotations accept escaped commas (`\,`): the CORS listener attributes need them
# (kubernetes-sigs/aws-load-balancer-controller#4363, fixed in v2.14.1).
LB_CONTROLLER_CHART = "aws-load-balancer-controller"
LB_CONTROLLER_VERSION = "1.14.1"
LB_CONTROLLER_REPO = "https://aws.github.io/eks-charts"
LB_CONTROLLER_SA = "aws-load-balancer-controller"
METRICS_SERVER_CHART = "metrics-server"
METRICS_SERVER_VERSION = "3.13.0"
METRICS_SERVER_REPO = "https://kubernetes-sigs.github.io/metrics-server/"

# The controller's published IAM policy (docs/install/iam_policy.json), vendored verbatim.
LB_CONTROLLER_POLICY_FILE = Path(__file__).parent.parent / "iam_documents" / "aws-load-balancer-controller-iam-policy.json"

# (role name, namespace, service account, managed policies) -> (role, grants); see iam.irsa_role.
IrsaFactory = Callable[[str, str, str, Sequence[pulumi.Input[str]]], tuple[aws.iam.Role, list[pulumi.Resource]]]


def lb_controller_policy() -> str:
    return json.dumps(json.loads(LB_CONTROLLER_POLICY_FILE.read_text()))


def managed_addon(
    name: str,
    addon_name: str,
    *,
    cluster_name: pulumi.Input[str],
    kubernetes_version: str,
    parent: pulumi.Resource,
    depends_on: Sequence[pulumi.Resource] = (),
    **kwargs: Any,
) -> aws.eks.Addon:
    """An EKS-managed add-on at the default version for the cluster's Kubernetes version."""
    version = aws.eks.get_addon_version_output(
        addon_name=addon_name, kubernetes_version=kubernetes_version, opts=pulumi.InvokeOutputOptions(parent=parent)
    )
    return aws.eks.Addon(
        f"{name}-addon-{addon_name}",
        cluster_name=cluster_name,
        addon_name=addon_name,
        addon_version=version.version,
        resolve_conflicts_on_create="OVERWRITE",
        resolve_conflicts_on_update="OVERWRITE",
        opts=pulumi.ResourceOptions(parent=parent, depends_on=list(depends_on)),
        **kwargs,
    )


def lb_controller(
    name: str,
    *,
    cluster_name: pulumi.Input[str],
    region: pulumi.Input[str],
    vpc_id: pulumi.Input[str],
    irsa: IrsaFactory,
    opts: pulumi.ResourceOptions,
) -> k8s.helm.v3.Release:
    """The AWS Load Balancer Controller with its published IAM policy on an IRSA role. `opts`: the
    Helm options (parent, Kubernetes provider, what the chart waits for)."""
    policy = aws.iam.Policy(
        f"{name}-lb-controller-policy",
        description="AWS Load Balancer Controller (published policy)",
        policy=lb_controller_policy(),
        opts=pulumi.ResourceOptions(parent=opts.parent),
    )
    role, grants = irsa(f"{name}-lb-controller-role", SYSTEM_NAMESPACE, LB_CONTROLLER_SA, [policy.arn])
    return k8s.helm.v3.Release(
        f"{name}-lb-controller",
        name=LB_CONTROLLER_CHART,
        chart=LB_CONTROLLER_CHART,
        version=LB_CONTROLLER_VERSION,
        repository_opts={"repo": LB_CONTROLLER_REPO},
        namespace=SYSTEM_NAMESPACE,
        values={
            # Region and VPC are given, so the controller never needs IMDS (hop limit 1).
            "clusterName": cluster_name,
            "region": region,
            "vpcId": vpc_id,
            "serviceAccount": {"create": True, "name": LB_CONTROLLER_SA, "annotations": {"eks.amazonaws.com/role-arn": role.arn}},
            **SYSTEM_SCHEDULING,  # on the system node group (chart values nodeSelector, tolerations)
        },
        # The controller must keep its policy until the Ingress (finalizer) has deleted the ALB.
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=grants)),
    )


def metrics_server(name: str, opts: pulumi.ResourceOptions) -> k8s.helm.v3.Release:
    return k8s.helm.v3.Release(
        f"{name}-metrics-server",
        name=METRICS_SERVER_CHART,
        chart=METRICS_SERVER_CHART,
        version=METRICS_SERVER_VERSION,
        repository_opts={"repo": METRICS_SERVER_REPO},
        namespace=SYSTEM_NAMESPACE,
        values=dict(SYSTEM_SCHEDULING),  # on the system node group (chart values nodeSelector, tolerations)
        opts=opts,
    )
