"""EKS: control plane, managed node group, OIDC/IRSA, managed add-ons, the Kubernetes provider
and the cluster-level Helm releases (AWS Load Balancer Controller, metrics-server).

Security posture: API endpoint private (public only for listed CIDRs), all five control-plane log
types to a KMS-encrypted log group, Kubernetes Secrets envelope-encrypted with a customer key,
access entries instead of the aws-auth ConfigMap with no implicit creator admin, IMDSv2 with hop
limit 1 on nodes (pods cannot borrow the node role; they get their own roles through IRSA).

The parts live in `components/eks/` (IAM, nodes, add-ons, access); this module assembles them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from settings import EksSettings

from .base import InVpc, Logged, Protected
from .eks import access, addons, nodes
from .eks.iam import STS_AUDIENCE, irsa_role, managed_policy_arn, service_role
from .eks.karpenter import DISCOVERY_TAG, Karpenter, karpenter
from .kms import encryption_key

LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")


def kubeconfig_json(cluster_name: str, endpoint: str, ca_data: str, region: str) -> str:
    """A kubeconfig whose credentials come from `aws eks get-token` (no static token in state)."""
    user = {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1beta1",
            "command": "aws",
            "args": ["eks", "get-token", "--cluster-name", cluster_name, "--region", region, "--output", "json"],
            "interactiveMode": "Never",
        },
    }
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": cluster_name, "cluster": {"server": endpoint, "certificate-authority-data": ca_data}}],
            "contexts": [{"name": cluster_name, "context": {"cluster": cluster_name, "user": cluster_name}}],
            "current-context": cluster_name,
            "users": [{"name": cluster_name, "user": user}],
        }
    )


def _kms_use_policy(key_arn: str) -> str:
    actions = ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"]
    return json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": key_arn}]})


@dataclass(frozen=True)
class ClusterArgs(Protected, InVpc, Logged):
    settings: EksSettings
    private_subnet_ids: list[pulumi.Output[str]]
    tags: Mapping[str, str]  # the stack's tags, for what Karpenter launches (the provider's default tags do not reach it)

    def __post_init__(self) -> None:
        s = self.settings
        if not s.node_min <= s.node_desired <= s.node_max:
            raise ValueError(f"node group sizes must satisfy min <= desired <= max, got {s.node_min}/{s.node_desired}/{s.node_max}")
        if not s.node_instance_types:
            raise ValueError("at least one node instance type is required")
        if len(self.private_subnet_ids) < 2:
            raise ValueError("EKS needs subnets in at least two availability zones")


class Cluster(pulumi.ComponentResource):
    """An EKS cluster ready for workloads: nodes, IRSA, add-ons, ingress controller, metrics."""

    name: str
    eks_cluster: aws.eks.Cluster
    node_group: aws.eks.NodeGroup
    node_security_group_id: pulumi.Output[str]
    deployer_rules: list[aws.vpc.SecurityGroupIngressRule]
    oidc_provider: aws.iam.OpenIdConnectProvider
    oidc_issuer: pulumi.Output[str]
    kubeconfig: pulumi.Output[str]
    admin_access: list[pulumi.Resource]
    k8s_provider: k8s.Provider
    lb_controller: k8s.helm.v3.Release
    metrics_server: k8s.helm.v3.Release
    ebs_csi_addon: aws.eks.Addon
    ebs_csi_role: aws.iam.Role
    volume_key: aws.kms.Key
    karpenter: Karpenter

    def __init__(self, name: str, args: ClusterArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("nox:eks:Cluster", name, None, opts)
        s = args.settings
        self.name = args.name_prefix
        invoke = pulumi.InvokeOutputOptions(parent=self)
        region = aws.get_region_output(opts=invoke).region
        partition = aws.get_partition_output(opts=invoke).partition
        account = aws.get_caller_identity_output(opts=invoke).account_id

        self.eks_cluster = self._control_plane(name, args, partition)
        cluster_name = self.eks_cluster.name
        # Managed nodes without launch-template security groups get the cluster security group,
        # and so do their pods (VPC CNI): this is the group the data tier admits.
        self.node_security_group_id = self.eks_cluster.vpc_config.apply(lambda v: v.cluster_security_group_id)
        self.deployer_rules = access.deployer_rules(name, self.node_security_group_id, s, self)
        self.admin_access = access.admin_access(name, cluster_name, s.admin_role_arn, partition, self)
        self._oidc(name)

        def addon(addon_name: str, depends_on: Sequence[pulumi.Resource] = (), **kwargs) -> aws.eks.Addon:
            return addons.managed_addon(
                name, addon_name, cluster_name=cluster_name, kubernetes_version=s.version, parent=self, depends_on=depends_on, **kwargs
            )

        # Add-ons that nodes need to become Ready. Network policy enforcement on: the workload's
        # NetworkPolicies are enforced by the VPC CNI agent.
        cni_role, cni_grants = self._irsa(
            f"{name}-vpc-cni-role", addons.SYSTEM_NAMESPACE, "aws-node", [managed_policy_arn(partition, "AmazonEKS_CNI_Policy")]
        )
        ebs_role, ebs_grants = self._irsa(
            f"{name}-ebs-csi-role",
            addons.SYSTEM_NAMESPACE,
            "ebs-csi-controller-sa",
            [managed_policy_arn(partition, "service-role/AmazonEBSCSIDriverPolicy")],
        )
        ready = [
            addon(
                "vpc-cni",
                cni_grants,
                service_account_role_arn=cni_role.arn,
                configuration_values=json.dumps({"enableNetworkPolicy": "true"}),
            ),
            addon("kube-proxy"),
            addon("eks-pod-identity-agent"),
        ]
        # Root volumes of both the node group and Karpenter's nodes.
        self.volume_key = nodes.volume_key(name, self.name, account=account, partition=partition, protect=args.protect, parent=self)
        self.node_group = nodes.node_group(
            name,
            self.name,
            cluster=self.eks_cluster,
            settings=s,
            subnet_ids=args.private_subnet_ids,
            partition=partition,
            key=self.volume_key,
            parent=self,
            depends_on=[*ready, *cni_grants],
        )

        # Add-ons that need running nodes.
        coredns = addon("coredns", depends_on=[self.node_group])
        self.ebs_csi_addon = addon("aws-ebs-csi-driver", depends_on=[self.node_group, *ebs_grants], service_account_role_arn=ebs_role.arn)
        # Exposed so an encrypted StorageClass's key can name the role that creates the volumes.
        self.ebs_csi_role = ebs_role

        self.kubeconfig, self.k8s_provider = self._kubernetes(name, region)
        # Cluster-level Helm releases: charts need nodes to run on and cluster DNS to reach the AWS APIs.
        helm_opts = pulumi.ResourceOptions(parent=self, provider=self.k8s_provider, depends_on=[self.node_group, coredns])
        self.lb_controller = addons.lb_controller(
            name, cluster_name=cluster_name, region=region, vpc_id=args.vpc_id, irsa=self._irsa, opts=helm_opts
        )
        self.metrics_server = addons.metrics_server(name, helm_opts)
        # Karpenter finds its nodes' security group by tag: the cluster security group, which EKS
        # creates (so a Tag resource, not the group's own tags), and which the data tier admits.
        aws.ec2.Tag(
            f"{name}-karpenter-sg-discovery",
            resource_id=self.node_security_group_id,
            key=DISCOVERY_TAG,
            value=cluster_name,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.karpenter = karpenter(
            name,
            self.name,
            cluster=self.eks_cluster,
            settings=s,
            volume_key=self.volume_key,
            tags=dict(args.tags),
            region=region,
            account=account,
            partition=partition,
            helm_opts=helm_opts,
        )

        self.register_outputs(
            {
                "clusterName": cluster_name,
                "endpoint": self.eks_cluster.endpoint,
                "oidcProviderArn": self.oidc_provider.arn,
                "nodeSecurityGroupId": self.node_security_group_id,
                "nodeGroup": self.node_group.node_group_name,
                "kubeconfig": self.kubeconfig,
            }
        )

    def _control_plane(self, name: str, args: ClusterArgs, partition: pulumi.Output[str]) -> aws.eks.Cluster:
        """The control plane, its role, its Secrets key and its log group."""
        s = args.settings
        secrets_key = encryption_key(
            f"{self.name}-eks-secrets",
            description=f"{self.name} EKS Kubernetes Secrets envelope encryption",
            parent=self,
            protect=args.protect,
        )
        role, grants = service_role(
            f"{name}-cluster-role", "eks.amazonaws.com", [managed_policy_arn(partition, "AmazonEKSClusterPolicy")], self
        )
        # The key policy delegates to IAM; the control plane uses the key through its role.
        grants.append(
            aws.iam.RolePolicy(
                f"{name}-cluster-role-kms",
                role=role.id,
                policy=secrets_key.arn.apply(_kms_use_policy),
                opts=pulumi.ResourceOptions(parent=role),
            )
        )
        # EKS creates /aws/eks/<name>/cluster on first use with no retention and no key: own it first.
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-control-plane-logs",
            name=f"/aws/eks/{self.name}/cluster",
            retention_in_days=args.log_retention_days,
            kms_key_id=args.log_key.arn,
            opts=pulumi.ResourceOptions(parent=self),
        )
        public = list(s.public_access_cidrs)
        return aws.eks.Cluster(
            f"{name}-eks",
            name=self.name,
            version=s.version,
            role_arn=role.arn,
            vpc_config={
                "subnet_ids": args.private_subnet_ids,
                "endpoint_private_access": True,
                "endpoint_public_access": bool(public),
                **({"public_access_cidrs": public} if public else {}),
            },
            enabled_cluster_log_types=list(LOG_TYPES),
            encryption_config={"resources": ["secrets"], "provider": {"key_arn": secrets_key.arn}},
            access_config={"authentication_mode": "API", "bootstrap_cluster_creator_admin_permissions": False},
            # Every system add-on is EKS-managed (versioned, upgraded with the cluster).
            bootstrap_self_managed_addons=False,
            # STANDARD: AWS upgrades the control plane when standard support ends; EXTENDED: paid extension.
            upgrade_policy={"support_type": s.support_type},
            deletion_protection=args.protect,
            # The role's policies too (AWS provider docs): without them EKS cannot create, nor on
            # delete clean up, the ENIs and security groups it manages; a destroy would detach them first.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[log_group, role, *grants], protect=args.protect),
        )

    def _oidc(self, name: str) -> None:
        self.oidc_issuer = self.eks_cluster.identities.apply(lambda ids: ids[0].oidcs[0].issuer)
        # No thumbprint: IAM trusts the EKS OIDC endpoints' CA itself (thumbprint_list is optional).
        self.oidc_provider = aws.iam.OpenIdConnectProvider(
            f"{name}-oidc", url=self.oidc_issuer, client_id_lists=[STS_AUDIENCE], opts=pulumi.ResourceOptions(parent=self)
        )

    def _irsa(
        self, role_name: str, namespace: str, sa: str, policies: Sequence[pulumi.Input[str]]
    ) -> tuple[aws.iam.Role, list[pulumi.Resource]]:
        return irsa_role(
            role_name,
            oidc_provider=self.oidc_provider,
            issuer_url=self.oidc_issuer,
            namespace=namespace,
            service_account=sa,
            parent=self,
            managed_policy_arns=policies,
        )

    def _kubernetes(self, name: str, region: pulumi.Output[str]) -> tuple[pulumi.Output[str], k8s.Provider]:
        cluster = self.eks_cluster
        plain: pulumi.Output[str] = pulumi.Output.all(cluster.name, cluster.endpoint, cluster.certificate_authority.data, region).apply(
            lambda a: kubeconfig_json(*a)
        )
        kubeconfig: pulumi.Output[str] = pulumi.Output.secret(plain)
        provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=kubeconfig,
            enable_server_side_apply=True,
            # The admin access entry and the deployer's network path too: Kubernetes resources are
            # applied after they exist and deleted before they go.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*self.admin_access, *self.deployer_rules]),
        )
        return kubeconfig, provider
