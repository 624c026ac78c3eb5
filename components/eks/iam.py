"""IAM roles for the cluster: IRSA roles for pods, service roles for EKS and EC2."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pulumi
import pulumi_aws as aws

STS_AUDIENCE = "sts.amazonaws.com"


def managed_policy_arn(partition: pulumi.Output[str], policy: str) -> pulumi.Output[str]:
    """The ARN of an AWS-managed IAM policy (`service-role/...` paths included) in this partition."""
    return partition.apply(lambda p: f"arn:{p}:iam::aws:policy/{policy}")


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


def _attachments(name: str, role: aws.iam.Role, policy_arns: Sequence[pulumi.Input[str]]) -> list[pulumi.Resource]:
    return [
        aws.iam.RolePolicyAttachment(f"{name}-policy-{i}", role=role.name, policy_arn=arn, opts=pulumi.ResourceOptions(parent=role))
        for i, arn in enumerate(policy_arns)
    ]


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
    role = aws.iam.Role(
        name,
        description=f"IRSA role for {namespace}/{service_account}",
        assume_role_policy=pulumi.Output.all(oidc_provider.arn, issuer_url).apply(
            lambda a: irsa_trust_policy(a[0], a[1], namespace, service_account)
        ),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    grants = _attachments(name, role, managed_policy_arns)
    if inline_policy is not None:
        grants.append(aws.iam.RolePolicy(f"{name}-inline", role=role.id, policy=inline_policy, opts=pulumi.ResourceOptions(parent=role)))
    return role, grants


def service_role(
    name: str, service: str, policies: Sequence[pulumi.Input[str]], parent: pulumi.Resource
) -> tuple[aws.iam.Role, list[pulumi.Resource]]:
    """A role for an AWS service, and its policy attachments (see `irsa_role` on depending on them)."""
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]}
    role = aws.iam.Role(name, assume_role_policy=json.dumps(trust), opts=pulumi.ResourceOptions(parent=parent))
    return role, _attachments(name, role, policies)
