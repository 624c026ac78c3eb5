"""The managed node group: its role, its root-volume key and launch template (IMDSv2, hop limit 1)."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pulumi
import pulumi_aws as aws

from settings import EksSettings

from .iam import managed_policy_arn, service_role

AMI_TYPE = "AL2023_x86_64_STANDARD"
ROOT_DEVICE = "/dev/xvda"  # AL2023 EKS AMIs boot from /dev/xvda
ROOT_VOLUME_GIB = 50
# Pull-only is the least privilege for nodes (ReadOnly also lists and describes repos). Session
# Manager is the break-glass shell: nodes have no SSH key and no open port. No AmazonEKS_CNI_Policy:
# vpc-cni uses its own IRSA role. The EC2_LINUX access entry is created by EKS with the node group.
NODE_POLICIES = ("AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryPullOnly", "AmazonSSMManagedInstanceCore")
# The node group runs system workloads only (Karpenter, CoreDNS, the controllers); the app runs on
# Karpenter's nodes. CriticalAddonsOnly is the taint EKS's CoreDNS and the Karpenter chart tolerate
# by default; the charts of this program that belong here tolerate it and select the label.
SYSTEM_LABEL = {"nox/node-pool": "system"}
SYSTEM_TAINT = {"key": "CriticalAddonsOnly", "value": "true", "effect": "NO_SCHEDULE"}
# The same taint and label as a pod's Kubernetes scheduling values (chart values).
SYSTEM_SCHEDULING = {
    "nodeSelector": SYSTEM_LABEL,
    "tolerations": [{"key": "CriticalAddonsOnly", "operator": "Exists", "effect": "NoSchedule"}],
}


def volume_key_policy(account: str, partition: str) -> str:
    """Node root-volume key policy. EC2 Auto Scaling launches managed nodes with its service-linked
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
    slr = f"arn:{partition}:iam::{account}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AccountAdministers",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:{partition}:iam::{account}:root"},
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


def volume_key(
    name: str, prefix: str, *, account: pulumi.Output[str], partition: pulumi.Output[str], protect: bool, parent: pulumi.Resource
) -> aws.kms.Key:
    key = aws.kms.Key(
        f"{name}-volume-key",
        description=f"{prefix} EKS node volumes",
        enable_key_rotation=True,
        rotation_period_in_days=365,
        deletion_window_in_days=30,
        policy=pulumi.Output.all(account, partition).apply(lambda a: volume_key_policy(*a)),
        opts=pulumi.ResourceOptions(parent=parent, protect=protect),
    )
    aws.kms.Alias(
        f"{name}-volume-key-alias",
        name=f"alias/{prefix}-eks-node-volumes",
        target_key_id=key.key_id,
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return key


def launch_template(name: str, prefix: str, key: aws.kms.Key, parent: pulumi.Resource) -> aws.ec2.LaunchTemplate:
    tags = {"Name": f"{prefix}-node"}
    return aws.ec2.LaunchTemplate(
        f"{name}-nodes-lt",
        description=f"{prefix} EKS managed nodes",
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
                    "kms_key_id": key.arn,
                    "delete_on_termination": "true",
                },
            }
        ],
        tag_specifications=[{"resource_type": kind, "tags": tags} for kind in ("instance", "volume", "network-interface")],
        opts=pulumi.ResourceOptions(parent=parent),
    )


def node_group(
    name: str,
    prefix: str,
    *,
    cluster: aws.eks.Cluster,
    settings: EksSettings,
    subnet_ids: Sequence[pulumi.Input[str]],
    partition: pulumi.Output[str],
    key: aws.kms.Key,
    parent: pulumi.Resource,
    depends_on: Sequence[pulumi.Resource],
) -> aws.eks.NodeGroup:
    """The managed node group, its root volumes under `key` (`volume_key`). `depends_on`: the
    add-ons nodes need to become Ready and the CNI role's grants (pod IPs, ENI cleanup on delete)."""
    s = settings
    role, grants = service_role(f"{name}-node-role", "ec2.amazonaws.com", [managed_policy_arn(partition, p) for p in NODE_POLICIES], parent)
    template = launch_template(name, prefix, key, parent)
    return aws.eks.NodeGroup(
        f"{name}-nodes",
        cluster_name=cluster.name,
        version=cluster.version,  # nodes follow control-plane upgrades
        node_role_arn=role.arn,
        subnet_ids=list(subnet_ids),
        ami_type=AMI_TYPE,
        capacity_type="ON_DEMAND",
        instance_types=list(s.node_instance_types),
        scaling_config={"min_size": s.node_min, "max_size": s.node_max, "desired_size": s.node_desired},
        # One node at a time: during upgrades EKS surges a new node first, so capacity holds.
        update_config={"max_unavailable": 1},
        labels=SYSTEM_LABEL,
        taints=[SYSTEM_TAINT],
        launch_template={"id": template.id, "version": template.latest_version.apply(str)},
        opts=pulumi.ResourceOptions(
            # The node role's policies: nodes must join, and on delete EKS must still be able to
            # drain and terminate them (AWS provider docs).
            parent=parent,
            depends_on=[*depends_on, *grants],
            # An autoscaler (or an operator) owns desired size after creation.
            ignore_changes=["scalingConfig.desiredSize"],
        ),
    )
