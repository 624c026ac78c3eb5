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


# EKS Kubernetes versions: (end of standard support, end of extended support), from AWS's "Amazon
# EKS Kubernetes release calendar" as of EKS_CALENDAR_AS_OF. A copy of `settings.schema.EKS_SUPPORT`
# (the pack is standalone; a test keeps them equal). The pack judges support on that date, not on
# the clock, so a plan checks the same today and in a year: update both tables together.
EKS_CALENDAR_AS_OF = "2026-12-02"
EKS_SUPPORT = {
    "1.32": ("2026-03-23", "2027-03-23"),
    "1.33": ("2026-07-29", "2027-07-29"),
    "1.34": ("2026-12-02", "2027-12-02"),
    "1.35": ("2027-03-27", "2028-03-27"),
}


def check_eks_supported_version(r: Res) -> Iterator[str]:
    """FSBP EKS.2: the cluster runs a supported Kubernetes version (under its upgrade policy)."""
    version, support = r.get("version"), r.get("upgradePolicy", "supportType")
    if version is UNKNOWN or support is UNKNOWN:
        return
    support = support or "EXTENDED"  # the EKS default upgrade policy
    dates = EKS_SUPPORT.get(str(version)) if version is not None else None
    if dates is None:
        yield (
            f"EKS cluster '{r.name}' runs Kubernetes {version or '(unset: the EKS default)'}, not in the pack's support "
            f"calendar ({', '.join(EKS_SUPPORT)}): set version to one of them."
        )
        return
    end = dates[0] if support == "STANDARD" else dates[1]
    if end <= EKS_CALENDAR_AS_OF:  # ISO dates compare as strings
        usable = [v for v, d in EKS_SUPPORT.items() if d[0] > EKS_CALENDAR_AS_OF]
        yield (
            f"EKS cluster '{r.name}' runs Kubernetes {version}, whose {support.lower()} support ended on {end} "
            f"(calendar of {EKS_CALENDAR_AS_OF}): upgrade to {', '.join(usable) or 'a supported version'}."
        )


def check_eks_access_entries(r: Res) -> Iterator[str]:
    """CIS EKS 5.5.1: access is managed with access entries only; nobody is admin just for creating it."""
    mode, bootstrap = r.get("accessConfig", "authenticationMode"), r.get("accessConfig", "bootstrapClusterCreatorAdminPermissions")
    if mode is not UNKNOWN and mode != "API":
        yield (
            f"EKS cluster '{r.name}' authenticates with {mode or '(unset: CONFIG_MAP)'}: set "
            "access_config.authentication_mode='API' (access entries, not the aws-auth ConfigMap)."
        )
    if bootstrap is not UNKNOWN and not is_false(bootstrap):
        yield (
            f"EKS cluster '{r.name}' makes its creator a cluster admin: set "
            "access_config.bootstrap_cluster_creator_admin_permissions=False and grant admins by access entry."
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
    resource_policy(
        "aws-eks-cluster-supported-version",
        "FSBP EKS.2: EKS clusters run a Kubernetes version in (standard or extended) support.",
        [EKS_CLUSTER],
        check_eks_supported_version,
    ),
    resource_policy(
        "aws-eks-cluster-access-entries-only",
        "CIS EKS 5.5.1: EKS clusters use access entries only (mode API) and give the creator no admin.",
        [EKS_CLUSTER],
        check_eks_access_entries,
    ),
]
