"""Who reaches the Kubernetes API: the admin role's access entry, and the deployer's network path."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from settings import EksSettings

CLUSTER_ADMIN_POLICY = "AmazonEKSClusterAdminPolicy"


def admin_access(
    name: str, cluster_name: pulumi.Input[str], principal_arn: str, partition: pulumi.Output[str], parent: pulumi.Resource
) -> list[pulumi.Resource]:
    """Kubernetes API access for the admin role (the identity that runs Pulumi). The Kubernetes
    provider depends on it, so every Kubernetes resource is applied after it exists and deleted
    before it goes (otherwise a destroy could revoke access before the Ingress, whose finalizer
    needs the API, is deleted). Settings require the role on platform eks."""
    entry = aws.eks.AccessEntry(
        f"{name}-admin", cluster_name=cluster_name, principal_arn=principal_arn, type="STANDARD", opts=pulumi.ResourceOptions(parent=parent)
    )
    association = aws.eks.AccessPolicyAssociation(
        f"{name}-admin-policy",
        cluster_name=cluster_name,
        principal_arn=principal_arn,
        policy_arn=partition.apply(lambda p: f"arn:{p}:eks::aws:cluster-access-policy/{CLUSTER_ADMIN_POLICY}"),
        access_scope={"type": "cluster"},
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[entry]),
    )
    return [entry, association]


def deployer_rules(
    name: str, security_group_id: pulumi.Input[str], s: EksSettings, parent: pulumi.Resource
) -> list[aws.vpc.SecurityGroupIngressRule]:
    """HTTPS to the private endpoint for whoever runs `pulumi up` (the Kubernetes provider and Helm
    talk to the API). The endpoint's ENIs carry the cluster security group, which EKS creates and
    which cannot be swapped without replacing the cluster, so the rules are added to it. A public
    endpoint (eksPublicAccessCidrs) is filtered by its CIDR list instead, not by security groups."""

    def rule(suffix: str, key: str, **source: str) -> aws.vpc.SecurityGroupIngressRule:
        return aws.vpc.SecurityGroupIngressRule(
            f"{name}-deployer-{suffix}",
            security_group_id=security_group_id,
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            description=f"Deployer (nox:{key}) to the EKS API",
            opts=pulumi.ResourceOptions(parent=parent),
            **source,
        )

    rules = [rule(f"cidr-{i}", "deployerCidrs", cidr_ipv4=cidr) for i, cidr in enumerate(s.deployer_cidrs)]
    if s.deployer_security_group_id:
        rules.append(rule("sg", "deployerSecurityGroupId", referenced_security_group_id=s.deployer_security_group_id))
    return rules
