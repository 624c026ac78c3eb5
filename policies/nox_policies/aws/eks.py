"""EKS control planes."""

from __future__ import annotations

from collections.abc import Iterator

from ..common import UNKNOWN, Res, blank, get, is_false, is_prod, is_true, items, resource_environment, resource_policy
from .cidrs import PROD_MIN_PREFIX, covers_everything, parse_cidrs
from .tokens import EKS_CLUSTER

EKS_LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")


def check_eks_secrets_encryption(r: Res) -> Iterator[str]:
    config = r.get("encryptionConfig")
    if config is UNKNOWN:
        return
    resources, key = get(config, "resources"), get(config, "provider", "keyArn")
    if resources is UNKNOWN or UNKNOWN in items(resources) or get(config, "provider") is UNKNOWN:
        return
    if "secrets" not in items(resources) or (key is not UNKNOWN and blank(key)):
        yield (
            f"EKS cluster '{r.name}' does not envelope-encrypt Kubernetes secrets: set "
            "encryption_config={resources: ['secrets'], provider: {key_arn: <customer KMS key>}}."
        )


def check_eks_private_endpoint(r: Res) -> Iterator[str]:
    value = r.get("vpcConfig", "endpointPrivateAccess")
    if value is not UNKNOWN and not is_true(value):
        yield (
            f"EKS cluster '{r.name}' has no private API endpoint: set vpc_config.endpoint_private_access=True "
            "so nodes and operators reach the API inside the VPC."
        )


def check_eks_public_endpoint(r: Res) -> Iterator[str]:
    public, cidrs = r.get("vpcConfig", "endpointPublicAccess"), r.get("vpcConfig", "publicAccessCidrs")
    if public is UNKNOWN or is_false(public) or cidrs is UNKNOWN or UNKNOWN in items(cidrs):
        return
    # The API endpoint is public unless endpoint_public_access is False, and open to 0.0.0.0/0
    # unless public_access_cidrs says otherwise. CIDRs are compared as networks, never as strings.
    if blank(cidrs) or covers_everything(cidrs):
        yield (
            f"EKS cluster '{r.name}' exposes its API endpoint to the whole internet: set "
            "vpc_config.endpoint_public_access=False, or public_access_cidrs to the operators' CIDRs (never 0.0.0.0/0)."
        )
        return
    if is_prod(resource_environment(r)):
        wide = [str(n) for n in parse_cidrs(cidrs) or [] if n.prefixlen < PROD_MIN_PREFIX[n.version]]
        if wide:
            yield (
                f"EKS cluster '{r.name}' allows its public API endpoint from {', '.join(wide)} in prod: list networks no wider "
                f"than /{PROD_MIN_PREFIX[4]} (IPv4) or /{PROD_MIN_PREFIX[6]} (IPv6), or use a runner inside the VPC."
            )


def check_eks_logging(r: Res) -> Iterator[str]:
    logs = r.get("enabledClusterLogTypes")
    if logs is UNKNOWN or UNKNOWN in items(logs):
        return
    missing = [t for t in EKS_LOG_TYPES if t not in items(logs)]
    if missing:
        yield (
            f"EKS cluster '{r.name}' does not log {', '.join(missing)}: set enabled_cluster_log_types to all five "
            f"control-plane log types ({', '.join(EKS_LOG_TYPES)})."
        )


POLICIES = [
    resource_policy(
        "aws-eks-cluster-secrets-encryption",
        "EKS clusters envelope-encrypt Kubernetes secrets with a KMS key.",
        [EKS_CLUSTER],
        check_eks_secrets_encryption,
    ),
    resource_policy(
        "aws-eks-cluster-private-endpoint", "EKS clusters have the private API endpoint enabled.", [EKS_CLUSTER], check_eks_private_endpoint
    ),
    resource_policy(
        "aws-eks-cluster-public-endpoint-restricted",
        "EKS public API endpoints are off or restricted, never open to 0.0.0.0/0.",
        [EKS_CLUSTER],
        check_eks_public_endpoint,
    ),
    resource_policy(
        "aws-eks-cluster-control-plane-logging",
        "EKS clusters send all five control-plane log types to CloudWatch.",
        [EKS_CLUSTER],
        check_eks_logging,
    ),
]
