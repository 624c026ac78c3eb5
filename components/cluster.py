"""EKS: control plane, managed node group, OIDC/IRSA, managed add-ons, the Kubernetes provider
and the cluster-level Helm releases (AWS Load Balancer Controller, metrics-server).

Security posture: API endpoint private (public only for listed CIDRs), all five control-plane log
types to a KMS-encrypted log group, Kubernetes Secrets envelope-encrypted with a customer key,
access entries instead of the aws-auth ConfigMap with no implicit creator admin, IMDSv2 with hop
limit 1 on nodes (pods cannot borrow the node role; they get their own roles through IRSA).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from settings import EksSettings

from .base import InVpc, Logged, Protected
from .kms import encryption_key

LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
AMI_TYPE = "AL2023_x86_64_STANDARD"
ROOT_DEVICE = "/dev/xvda"  # AL2023 EKS AMIs boot from /dev/xvda
ROOT_VOLUME_GIB = 50
STS_AUDIENCE = "sts.amazonaws.com"
CLUSTER_ADMIN_POLICY = "AmazonEKSClusterAdminPolicy"

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
SYSTEM_NAMESPACE = "kube-system"

# The controller's published IAM policy (docs/install/iam_policy.json), vendored verbatim.
LB_CONTROLLER_POLICY_FILE = Path(__file__).parent / "iam_documents" / "aws-load-balancer-controller-iam-policy.json"


def lb_controller_policy() -> str:
    return json.dumps(json.loads(LB_CONTROLLER_POLICY_FILE.read_text()))


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


def irsa_trust_policy(provider_arn: str, issuer_url: str, namespace: str, service_account: str) -> str:
    """Trust policy: only this service account, with the STS audience, may assume the role."""
    issuer = issuer_url.removeprefix("https://")
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Federated": provider_arn},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {
                        "StringEquals": {
                            f"{issuer}:sub": f"system:serviceaccount:{namespace}:{service_account}",
                            f"{issuer}:aud": STS_AUDIENCE,
                        }
                    },
                }
            ],
        }
    )


def irsa_role(
    name: str,
    *,
    oidc_provider: aws.iam.OpenIdConnectProvider,
    issuer_url: pulumi.Input[str],
    namespace: str,
    service_account: str,
    parent: pulumi.Resource,
    managed_policy_arns: Sequence[pulumi.Input[str]] = (),
    inline_policy: pulumi.Input[str] | None = None,
) -> tuple[aws.iam.Role, list[pulumi.Resource]]:
    """An IAM role for one Kubernetes service account (IRSA). Used for every pod role.

    Returns the role and its grants (policy attachments, inline policy). Whatever uses the role
    must depend on the grants too: `depends_on` a role does not reach its child resources, and
    without that edge the grants may be missing at create time and are deleted first on destroy.
    """
    opts = pulumi.ResourceOptions(parent=parent)
    role = aws.iam.Role(
        name,
        description=f"IRSA role for {namespace}/{service_account}",
        assume_role_policy=pulumi.Output.all(oidc_provider.arn, issuer_url).apply(
            lambda a: irsa_trust_policy(a[0], a[1], namespace, service_account)
        ),
        opts=opts,
    )
    grants: list[pulumi.Resource] = [
        aws.iam.RolePolicyAttachment(f"{name}-policy-{i}", role=role.name, policy_arn=arn, opts=pulumi.ResourceOptions(parent=role))
        for i, arn in enumerate(managed_policy_arns)
    ]
    if inline_policy is not None:
        grants.append(aws.iam.RolePolicy(f"{name}-inline", role=role.id, policy=inline_policy, opts=pulumi.ResourceOptions(parent=role)))
    return role, grants


def _service_role(
    name: str, service: str, policies: Sequence[pulumi.Input[str]], parent: pulumi.Resource
) -> tuple[aws.iam.Role, list[pulumi.Resource]]:
    """A role for an AWS service, and its policy attachments (see `irsa_role` on depending on them)."""
    role = aws.iam.Role(
        name,
        assume_role_policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": service},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return role, [
        aws.iam.RolePolicyAttachment(f"{name}-policy-{i}", role=role.name, policy_arn=arn, opts=pulumi.ResourceOptions(parent=role))
        for i, arn in enumerate(policies)
    ]


@dataclass(frozen=True)
class ClusterArgs(Protected, InVpc, Logged):
    settings: EksSettings
    private_subnet_ids: list[pulumi.Output[str]]

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

    def __init__(self, name: str, args: ClusterArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("nox:eks:Cluster", name, None, opts)
        s = args.settings
        self.name = args.name_prefix
        child = pulumi.ResourceOptions(parent=self)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        region = aws.get_region_output(opts=invoke).region
        partition = aws.get_partition_output(opts=invoke).partition
        account = aws.get_caller_identity_output(opts=invoke).account_id

        def managed(policy: str) -> pulumi.Output[str]:
            return partition.apply(lambda p: f"arn:{p}:iam::aws:policy/{policy}")

        # --- control plane ---------------------------------------------------------------------
        secrets_key = encryption_key(
            f"{self.name}-eks-secrets",
            description=f"{self.name} EKS Kubernetes Secrets envelope encryption",
            parent=self,
            protect=args.protect,
        )
        cluster_role, cluster_grants = _service_role(f"{name}-cluster-role", "eks.amazonaws.com", [managed("AmazonEKSClusterPolicy")], self)
        # The key policy delegates to IAM; the control plane uses the key through its role.
        kms_use = secrets_key.arn.apply(
            lambda arn: json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {"Effect": "Allow", "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"], "Resource": arn}
                    ],
                }
            )
        )
        cluster_grants.append(
            aws.iam.RolePolicy(
                f"{name}-cluster-role-kms", role=cluster_role.id, policy=kms_use, opts=pulumi.ResourceOptions(parent=cluster_role)
            )
        )

        # EKS creates /aws/eks/<name>/cluster on first use with no retention and no key: own it first.
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-control-plane-logs",
            name=f"/aws/eks/{self.name}/cluster",
            retention_in_days=args.log_retention_days,
            kms_key_id=args.log_key.arn,
            opts=child,
        )
        public = list(s.public_access_cidrs)
        self.eks_cluster = aws.eks.Cluster(
            f"{name}-eks",
            name=self.name,
            version=s.version,
            role_arn=cluster_role.arn,
            vpc_config={
                "subnet_ids": args.private_subnet_ids,
                "endpoint_private_access": True,
                "endpoint_public_access": bool(public),
                **({"public_access_cidrs": public} if public else {}),
            },
            enabled_cluster_log_types=list(LOG_TYPES),
            encryption_config={"resources": ["secrets"], "provider": {"key_arn": secrets_key.arn}},
            access_config={"authentication_mode": "API", "bootstrap_cluster_creator_admin_permissions": False},
            # Every system add-on below is EKS-managed (versioned, upgraded with the cluster).
            bootstrap_self_managed_addons=False,
            # STANDARD: AWS upgrades the control plane when standard support ends; EXTENDED: paid extension.
            upgrade_policy={"support_type": s.support_type},
            deletion_protection=args.protect,
            # The role's policies too (AWS provider docs): without them EKS cannot create, nor on
            # delete clean up, the ENIs and security groups it manages; a destroy would detach them first.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[log_group, cluster_role, *cluster_grants], protect=args.protect),
        )
        cluster_name = self.eks_cluster.name
        # Managed nodes without launch-template security groups get the cluster security group,
        # and so do their pods (VPC CNI): this is the group the data tier admits.
        self.node_security_group_id = self.eks_cluster.vpc_config.apply(lambda v: v.cluster_security_group_id)
        self.deployer_rules = self._deployer_access(name, s)

        # Kubernetes API access for the admin role (the identity that runs Pulumi). The Kubernetes
        # provider depends on it, so every Kubernetes resource is applied after it exists and
        # deleted before it goes (otherwise a destroy could revoke access before the Ingress,
        # whose finalizer needs the API, is deleted). Settings require the role on platform eks.
        entry = aws.eks.AccessEntry(f"{name}-admin", cluster_name=cluster_name, principal_arn=s.admin_role_arn, type="STANDARD", opts=child)
        self.admin_access: list[pulumi.Resource] = [
            entry,
            aws.eks.AccessPolicyAssociation(
                f"{name}-admin-policy",
                cluster_name=cluster_name,
                principal_arn=s.admin_role_arn,
                policy_arn=partition.apply(lambda p: f"arn:{p}:eks::aws:cluster-access-policy/{CLUSTER_ADMIN_POLICY}"),
                access_scope={"type": "cluster"},
                opts=pulumi.ResourceOptions(parent=self, depends_on=[entry]),
            ),
        ]

        # --- IRSA -------------------------------------------------------------------------------
        self.oidc_issuer = self.eks_cluster.identities.apply(lambda ids: ids[0].oidcs[0].issuer)
        # No thumbprint: IAM trusts the EKS OIDC endpoints' CA itself (thumbprint_list is optional).
        self.oidc_provider = aws.iam.OpenIdConnectProvider(
            f"{name}-oidc",
            url=self.oidc_issuer,
            client_id_lists=[STS_AUDIENCE],
            opts=child,
        )

        def irsa(
            role_name: str, namespace: str, sa: str, policies: Sequence[pulumi.Input[str]]
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

        cni_role, cni_grants = irsa(f"{name}-vpc-cni-role", SYSTEM_NAMESPACE, "aws-node", [managed("AmazonEKS_CNI_Policy")])
        ebs_role, ebs_grants = irsa(
            f"{name}-ebs-csi-role", SYSTEM_NAMESPACE, "ebs-csi-controller-sa", [managed("service-role/AmazonEBSCSIDriverPolicy")]
        )

        # --- add-ons that nodes need to become Ready -------------------------------------------
        def addon(addon_name: str, depends_on: Sequence[pulumi.Resource] = (), **kwargs) -> aws.eks.Addon:
            version = aws.eks.get_addon_version_output(addon_name=addon_name, kubernetes_version=s.version, opts=invoke)
            return aws.eks.Addon(
                f"{name}-addon-{addon_name}",
                cluster_name=cluster_name,
                addon_name=addon_name,
                addon_version=version.version,
                resolve_conflicts_on_create="OVERWRITE",
                resolve_conflicts_on_update="OVERWRITE",
                opts=pulumi.ResourceOptions(parent=self, depends_on=list(depends_on)),
                **kwargs,
            )

        # Network policy enforcement on: the workload's NetworkPolicies are enforced by the VPC CNI agent.
        vpc_cni = addon(
            "vpc-cni", cni_grants, service_account_role_arn=cni_role.arn, configuration_values=json.dumps({"enableNetworkPolicy": "true"})
        )
        kube_proxy = addon("kube-proxy")
        pod_identity = addon("eks-pod-identity-agent")

        # --- nodes ------------------------------------------------------------------------------
        node_role, node_grants = _service_role(
            f"{name}-node-role",
            "ec2.amazonaws.com",
            [
                managed("AmazonEKSWorkerNodePolicy"),
                # Pull-only is the least privilege for nodes (ReadOnly also lists and describes repos).
                managed("AmazonEC2ContainerRegistryPullOnly"),
                # Session Manager is the break-glass shell: nodes have no SSH key and no open port.
                managed("AmazonSSMManagedInstanceCore"),
            ],
            self,
        )
        # The node role has no AmazonEKS_CNI_Policy: vpc-cni uses its own IRSA role above. Its
        # EC2_LINUX access entry is created by EKS with the managed node group.

        volume_key = self._volume_key(name, account, partition, args.protect)
        template = aws.ec2.LaunchTemplate(
            f"{name}-nodes-lt",
            description=f"{self.name} EKS managed nodes",
            update_default_version=True,
            metadata_options={
                "http_endpoint": "enabled",
                "http_tokens": "required",  # IMDSv2 only
                "http_put_response_hop_limit": 1,  # pods (one hop away) cannot reach IMDS; they use IRSA
                "instance_metadata_tags": "disabled",
            },
            block_device_mappings=[
                {
                    "device_name": ROOT_DEVICE,
                    "ebs": {
                        "volume_size": ROOT_VOLUME_GIB,
                        "volume_type": "gp3",
                        "encrypted": "true",
                        "kms_key_id": volume_key.arn,
                        "delete_on_termination": "true",
                    },
                }
            ],
            tag_specifications=[
                {"resource_type": "instance", "tags": {"Name": f"{self.name}-node"}},
                {"resource_type": "volume", "tags": {"Name": f"{self.name}-node"}},
                {"resource_type": "network-interface", "tags": {"Name": f"{self.name}-node"}},
            ],
            opts=child,
        )
        self.node_group = aws.eks.NodeGroup(
            f"{name}-nodes",
            cluster_name=cluster_name,
            version=self.eks_cluster.version,  # nodes follow control-plane upgrades
            node_role_arn=node_role.arn,
            subnet_ids=args.private_subnet_ids,
            ami_type=AMI_TYPE,
            capacity_type="ON_DEMAND",
            instance_types=list(s.node_instance_types),
            scaling_config={"min_size": s.node_min, "max_size": s.node_max, "desired_size": s.node_desired},
            # One node at a time: during upgrades EKS surges a new node first, so capacity holds.
            update_config={"max_unavailable": 1},
            launch_template={"id": template.id, "version": template.latest_version.apply(str)},
            opts=pulumi.ResourceOptions(
                # The node role's policies (AWS provider docs: nodes must join, and on delete EKS must
                # still be able to drain and terminate them) and the CNI role's (pod IPs, ENI cleanup).
                parent=self,
                depends_on=[vpc_cni, kube_proxy, pod_identity, *node_grants, *cni_grants],
                # An autoscaler (or an operator) owns desired size after creation.
                ignore_changes=["scalingConfig.desiredSize"],
            ),
        )

        # --- add-ons that need running nodes ----------------------------------------------------
        coredns = addon("coredns", depends_on=[self.node_group])
        self.ebs_csi_addon = addon("aws-ebs-csi-driver", depends_on=[self.node_group, *ebs_grants], service_account_role_arn=ebs_role.arn)
        # Exposed so an encrypted StorageClass's key can name the role that creates the volumes.
        self.ebs_csi_role = ebs_role

        # --- Kubernetes provider ------------------------------------------------------------------
        self.kubeconfig = pulumi.Output.secret(
            pulumi.Output.all(
                cluster_name,
                self.eks_cluster.endpoint,
                self.eks_cluster.certificate_authority.data,
                region,
            ).apply(lambda a: kubeconfig_json(*a))
        )
        self.k8s_provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=self.kubeconfig,
            enable_server_side_apply=True,
            # The deployer's network path too: Kubernetes resources are applied after it exists and
            # deleted before it goes.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*self.admin_access, *self.deployer_rules]),
        )

        # --- cluster-level Helm releases ------------------------------------------------------------
        # Charts need nodes to run on and cluster DNS to reach the AWS APIs.
        helm_opts = pulumi.ResourceOptions(parent=self, provider=self.k8s_provider, depends_on=[self.node_group, coredns])
        lb_policy = aws.iam.Policy(
            f"{name}-lb-controller-policy",
            description="AWS Load Balancer Controller (published policy)",
            policy=lb_controller_policy(),
            opts=child,
        )
        lb_role, lb_grants = irsa(f"{name}-lb-controller-role", SYSTEM_NAMESPACE, LB_CONTROLLER_SA, [lb_policy.arn])
        self.lb_controller = k8s.helm.v3.Release(
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
                "vpcId": args.vpc_id,
                "serviceAccount": {"create": True, "name": LB_CONTROLLER_SA, "annotations": {"eks.amazonaws.com/role-arn": lb_role.arn}},
            },
            # The controller must keep its policy until the Ingress (finalizer) has deleted the ALB.
            opts=pulumi.ResourceOptions.merge(helm_opts, pulumi.ResourceOptions(depends_on=lb_grants)),
        )
        self.metrics_server = k8s.helm.v3.Release(
            f"{name}-metrics-server",
            name=METRICS_SERVER_CHART,
            chart=METRICS_SERVER_CHART,
            version=METRICS_SERVER_VERSION,
            repository_opts={"repo": METRICS_SERVER_REPO},
            namespace=SYSTEM_NAMESPACE,
            opts=helm_opts,
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

    def _deployer_access(self, name: str, s: EksSettings) -> list[aws.vpc.SecurityGroupIngressRule]:
        """HTTPS to the private endpoint for whoever runs `pulumi up` (the Kubernetes provider and Helm
        talk to the API). The endpoint's ENIs carry the cluster security group, which EKS creates and
        which cannot be swapped without replacing the cluster, so the rules are added to it. A public
        endpoint (eksPublicAccessCidrs) is filtered by its CIDR list instead, not by security groups."""

        def rule(suffix: str, key: str, **source: str) -> aws.vpc.SecurityGroupIngressRule:
            return aws.vpc.SecurityGroupIngressRule(
                f"{name}-deployer-{suffix}",
                security_group_id=self.node_security_group_id,
                ip_protocol="tcp",
                from_port=443,
                to_port=443,
                description=f"Deployer (nox:{key}) to the EKS API",
                opts=pulumi.ResourceOptions(parent=self),
                **source,
            )

        rules = [rule(f"cidr-{i}", "deployerCidrs", cidr_ipv4=cidr) for i, cidr in enumerate(s.deployer_cidrs)]
        if s.deployer_security_group_id:
            rules.append(rule("sg", "deployerSecurityGroupId", referenced_security_group_id=s.deployer_security_group_id))
        return rules

    def _volume_key(self, name: str, account: pulumi.Output[str], partition: pulumi.Output[str], protect: bool) -> aws.kms.Key:
        """Node root-volume key. EC2 Auto Scaling launches managed nodes with its service-linked
        role, which cannot use a customer key unless the key policy grants it (AWS: "Required KMS
        key policy for use with encrypted volumes"). That role (AWSServiceRoleForAutoScaling) exists
        only once the account has had an Auto Scaling group, and KMS refuses a key policy naming a
        principal that does not exist (CreateKey: "The principals in the key policy must exist and be
        visible to KMS"); creating the role here would fail where it already exists. So the grant
        names no principal: Principal "*" limited by `aws:PrincipalArn` to that role's ARN, which is
        valid before the role exists and matches it once EKS creates the node group's ASG. (The
        account root as principal would not do: it only delegates to IAM policies, and the role's
        AWS-managed policy cannot be edited to add this key.)
        """

        def policy(acct: str, part: str) -> str:
            slr = f"arn:{part}:iam::{acct}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
            return json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "AccountAdministers",
                            "Effect": "Allow",
                            "Principal": {"AWS": f"arn:{part}:iam::{acct}:root"},
                            "Action": "kms:*",
                            "Resource": "*",
                        },
                        {
                            "Sid": "AutoScalingUsesKey",
                            "Effect": "Allow",
                            "Principal": {"AWS": "*"},
                            "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
                            "Resource": "*",
                            "Condition": {"ArnEquals": {"aws:PrincipalArn": slr}},
                        },
                        {
                            "Sid": "AutoScalingAttachesVolumes",
                            "Effect": "Allow",
                            "Principal": {"AWS": "*"},
                            "Action": "kms:CreateGrant",
                            "Resource": "*",
                            "Condition": {"ArnEquals": {"aws:PrincipalArn": slr}, "Bool": {"kms:GrantIsForAWSResource": "true"}},
                        },
                    ],
                }
            )

        key = aws.kms.Key(
            f"{name}-volume-key",
            description=f"{self.name} EKS node volumes",
            enable_key_rotation=True,
            rotation_period_in_days=365,
            deletion_window_in_days=30,
            policy=pulumi.Output.all(account, partition).apply(lambda a: policy(*a)),
            opts=pulumi.ResourceOptions(parent=self, protect=protect),
        )
        aws.kms.Alias(
            f"{name}-volume-key-alias",
            name=f"alias/{self.name}-eks-node-volumes",
            target_key_id=key.key_id,
            opts=pulumi.ResourceOptions(parent=self),
        )
        return key
