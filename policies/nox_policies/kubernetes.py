"""Kubernetes resource policies: pod security, resources, probes, images, namespaces, Services, env secrets.

The pod checks read the pod template of every workload kind. A container setting overrides the
pod-level `securityContext` (as the kubelet applies it). Helm releases are not inspected: their
manifests are rendered by Helm at deploy time, outside the program's inputs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from .aws.cidrs import covers_everything
from .common import (
    REDACTED,
    UNKNOWN,
    Res,
    as_int,
    blank,
    credentials_in,
    get,
    has_unknown,
    is_false,
    is_true,
    items,
    resource_policy,
)

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
STATEFUL_SET = "kubernetes:apps/v1:StatefulSet"
DAEMON_SET = "kubernetes:apps/v1:DaemonSet"
POD = "kubernetes:core/v1:Pod"
SERVICE = "kubernetes:core/v1:Service"
HPA_TYPES = ("kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "kubernetes:autoscaling/v1:HorizontalPodAutoscaler")
PDB = "kubernetes:policy/v1:PodDisruptionBudget"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
NAMESPACE = "kubernetes:core/v1:Namespace"
SERVICE_ACCOUNT = "kubernetes:core/v1:ServiceAccount"

# Where each workload kind keeps its pod spec.
POD_SPEC_PATHS: dict[str, tuple[str, ...]] = {
    POD: ("spec",),
    DEPLOYMENT: ("spec", "template", "spec"),
    STATEFUL_SET: ("spec", "template", "spec"),
    DAEMON_SET: ("spec", "template", "spec"),
    "kubernetes:apps/v1:ReplicaSet": ("spec", "template", "spec"),
    "kubernetes:batch/v1:Job": ("spec", "template", "spec"),
    "kubernetes:batch/v1:CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}
WORKLOAD_TYPES = tuple(POD_SPEC_PATHS)
LONG_RUNNING_TYPES = (POD, DEPLOYMENT, STATEFUL_SET, DAEMON_SET, "kubernetes:apps/v1:ReplicaSet")

NAMESPACED_TYPES = (
    *WORKLOAD_TYPES,
    SERVICE,
    *HPA_TYPES,
    PDB,
    NETWORK_POLICY,
    "kubernetes:networking.k8s.io/v1:Ingress",
    "kubernetes:core/v1:ConfigMap",
    "kubernetes:core/v1:Secret",
    "kubernetes:core/v1:ServiceAccount",
    "kubernetes:rbac.authorization.k8s.io/v1:Role",
    "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
)

SECRET_ENV_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|DATABASE_URL|REDIS_URL", re.I)
_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")


def pod_spec(r: Res) -> Any:
    path = POD_SPEC_PATHS.get(r.type)
    return get(r.props, *path) if path else None


def containers(pod: Any, *, init: bool = True) -> list[tuple[str, dict[str, Any]]]:
    """(label, container) for every container of a pod spec (init containers too unless init=False)."""
    kinds = ("containers", "initContainers") if init else ("containers",)
    found = []
    for kind in kinds:
        for i, c in enumerate(items(get(pod, kind))):
            if isinstance(c, dict):
                name = c.get("name") if isinstance(c.get("name"), str) else f"{kind}[{i}]"
                found.append((f"{'init container' if kind == 'initContainers' else 'container'} '{name}'", c))
    return found


def effective(pod: Any, container: dict[str, Any], *path: str) -> Any:
    """A securityContext setting as applied: the container's, else the pod's."""
    value = get(container, "securityContext", *path)
    return get(pod, "securityContext", *path) if value is None else value


def _pod_checks(r: Res) -> tuple[Any, list[tuple[str, dict[str, Any]]]]:
    """The pod spec and its labelled containers; (None, []) when there is no (known) pod to check."""
    pod = pod_spec(r)
    if pod is None or pod is UNKNOWN:
        return None, []
    return pod, containers(pod)


def image_problem(image: str) -> str | None:
    """Why an image reference is not pinned (None when it has a version tag or a digest)."""
    if _DIGEST.search(image):
        return None
    last = image.rsplit("/", 1)[-1]
    if ":" not in last:
        return "has no tag (it means latest)"
    if last.rsplit(":", 1)[1] == "latest":
        return "uses the tag latest"
    return None


# --- pod security ------------------------------------------------------------------------------------


def check_run_as_non_root(r: Res) -> Iterator[str]:
    pod, cs = _pod_checks(r)
    for label, c in cs:
        non_root, user = effective(pod, c, "runAsNonRoot"), effective(pod, c, "runAsUser")
        if non_root is UNKNOWN:
            continue
        if not is_true(non_root) or user == 0:
            yield (
                f"{r.label} {label} may run as root: set securityContext.runAsNonRoot=true and a non-zero "
                "runAsUser (the image's user 1001)."
            )


def check_no_privilege_escalation(r: Res) -> Iterator[str]:
    _, cs = _pod_checks(r)
    for label, c in cs:
        if is_true(get(c, "securityContext", "privileged")):
            yield f"{r.label} {label} is privileged: remove securityContext.privileged."
        escalation = get(c, "securityContext", "allowPrivilegeEscalation")
        if escalation is not UNKNOWN and not is_false(escalation):
            yield (f"{r.label} {label} may gain privileges (setuid binaries): set securityContext.allowPrivilegeEscalation=false.")


def check_read_only_root(r: Res) -> Iterator[str]:
    _, cs = _pod_checks(r)
    for label, c in cs:
        value = get(c, "securityContext", "readOnlyRootFilesystem")
        if value is not UNKNOWN and not is_true(value):
            yield (
                f"{r.label} {label} has a writable root filesystem: set securityContext.readOnlyRootFilesystem=true "
                "and mount an emptyDir where the app writes (e.g. /tmp)."
            )


def check_drop_all_capabilities(r: Res) -> Iterator[str]:
    _, cs = _pod_checks(r)
    for label, c in cs:
        drop = get(c, "securityContext", "capabilities", "drop")
        if drop is UNKNOWN or UNKNOWN in items(drop):
            continue
        if "ALL" not in [str(x).upper() for x in items(drop)]:
            yield f"{r.label} {label} keeps Linux capabilities: set securityContext.capabilities.drop=['ALL']."


def check_seccomp(r: Res) -> Iterator[str]:
    pod, cs = _pod_checks(r)
    for label, c in cs:
        profile = effective(pod, c, "seccompProfile", "type")
        # Localhost (a custom profile on the node) is what PSA `restricted` also accepts.
        if profile is not UNKNOWN and profile not in ("RuntimeDefault", "Localhost"):
            yield (
                f"{r.label} {label} runs without a seccomp profile: set securityContext.seccompProfile.type="
                "'RuntimeDefault' (pod or container)."
            )


def check_resources(r: Res) -> Iterator[str]:
    _, cs = _pod_checks(r)
    for label, c in cs:
        resources = get(c, "resources")
        if resources is UNKNOWN:
            continue
        missing = [f"{kind}.{res}" for kind in ("requests", "limits") for res in ("cpu", "memory") if blank(get(resources, kind, res))]
        if missing:
            yield (
                f"{r.label} {label} has no resources {', '.join(missing)}: set requests and limits for cpu "
                "and memory (the scheduler and the HPA depend on them)."
            )


def check_probes(r: Res) -> Iterator[str]:
    if r.type not in LONG_RUNNING_TYPES:
        return
    pod = pod_spec(r)
    if pod is None or pod is UNKNOWN:
        return
    for label, c in containers(pod, init=False):
        missing = [p for p in ("livenessProbe", "readinessProbe") if get(c, p) is None]
        if missing:
            yield (f"{r.label} {label} has no {' or '.join(missing)}: add them (the app serves GET /health and GET /ready).")


def check_image_pinned(r: Res) -> Iterator[str]:
    _, cs = _pod_checks(r)
    for label, c in cs:
        image = get(c, "image")
        if not isinstance(image, str):
            continue
        problem = image_problem(image)
        if problem:
            yield f"{r.label} {label} image {image} {problem}: pin a version tag or a sha256 digest."


def check_host_namespaces(r: Res) -> Iterator[str]:
    pod = pod_spec(r)
    if pod is None or pod is UNKNOWN:
        return
    shared = [k for k in ("hostNetwork", "hostPID", "hostIPC") if is_true(get(pod, k))]
    if shared:
        yield f"{r.label} shares the node's namespaces ({', '.join(shared)}): remove them."


def check_host_path_and_ports(r: Res) -> Iterator[str]:
    pod, cs = _pod_checks(r)
    for volume in items(get(pod, "volumes")):
        if get(volume, "hostPath") not in (None, UNKNOWN):
            yield (
                f"{r.label} mounts the node's filesystem (hostPath volume {get(volume, 'name')}): use an emptyDir, "
                "a ConfigMap/Secret or a PersistentVolumeClaim."
            )
    for label, c in cs:
        for port in items(get(c, "ports")):
            host_port = get(port, "hostPort")
            if host_port not in (None, 0, UNKNOWN):
                yield f"{r.label} {label} binds hostPort {host_port}: remove it and expose the pod through a Service."


def check_env_secrets(r: Res) -> Iterator[str]:
    _, cs = _pod_checks(r)
    for label, c in cs:
        for entry in items(get(c, "env")):
            name, value = get(entry, "name"), get(entry, "value")
            if not isinstance(name, str) or value is UNKNOWN or blank(value):
                continue
            if SECRET_ENV_NAME.search(name) or value == REDACTED:
                yield (
                    f"{r.label} {label} sets {name} as a literal value: mount the secret as a file "
                    "(a Secret volume or the Secrets Store CSI driver), or use IAM authentication and need none."
                )
            elif isinstance(value, str) and credentials_in(value):
                yield (f"{r.label} {label} env {name} holds {', '.join(credentials_in(value))}: mount it as a file from a Secret instead.")


def check_secrets_as_files(r: Res) -> Iterator[str]:
    """Secrets in env leak into crash dumps, child processes and `kubectl describe`-style tooling,
    and never change until the pod restarts; mounted files do neither (scanners: CKV_K8S_35)."""
    _, cs = _pod_checks(r)
    for label, c in cs:
        for entry in items(get(c, "env")):
            if get(entry, "valueFrom", "secretKeyRef") not in (None, UNKNOWN):
                yield f"{r.label} {label} reads Secret into env {get(entry, 'name')}: mount it as a file (a Secret volume) instead."
        for source in items(get(c, "envFrom")):
            if get(source, "secretRef") not in (None, UNKNOWN):
                yield f"{r.label} {label} loads a whole Secret into its environment (envFrom): mount it as files instead."


# --- namespaces and Services ---------------------------------------------------------------------------


def namespace_of(r: Res) -> Any:
    """The namespace a namespaced object lands in: its own, else its provider's default, else `default`."""
    ns = r.get("metadata", "namespace")
    if blank(ns):
        ns = r.provider_props.get("namespace") if r.provider_type == "pulumi:providers:kubernetes" else None
    return "default" if blank(ns) else ns


def check_not_default_namespace(r: Res) -> Iterator[str]:
    if namespace_of(r) == "default":
        yield f"{r.label} lands in the 'default' namespace: set metadata.namespace to the app's namespace (nox)."


def check_service_type(r: Res) -> Iterator[str]:
    kind = r.get("spec", "type")
    if kind in ("LoadBalancer", "NodePort"):
        yield (
            f"{r.label} is of type {kind}, a second entry that bypasses the ALB and its WAF: use ClusterIP "
            "and route through the alb Ingress."
        )


# --- bounds, registries, service-account tokens, environment ------------------------------------------------

# Seed k8s-deployment.yml: limits cpu 500m, memory 512Mi per container. A container asks for no more
# than that (a bigger pod means a different sizing, reviewed with the connection budget and nodes),
# and its requests never exceed its limits.
SEED_LIMITS = {"cpu": 0.5, "memory": 512 * 2**20}
# Images come from a private ECR registry (`<account>.dkr.ecr.<region>.amazonaws.com`): the
# account's scanned, immutable repositories, not Docker Hub or another public registry.
APPROVED_REGISTRY = re.compile(r"^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/")
_QUANTITY = re.compile(r"^([0-9.]+)(m|k|Ki|M|Mi|G|Gi|T|Ti)?$")
_FACTORS = {None: 1, "m": 1e-3, "k": 1e3, "Ki": 2**10, "M": 1e6, "Mi": 2**20, "G": 1e9, "Gi": 2**30, "T": 1e12, "Ti": 2**40}
# What marks the app's own container: the seed's production env, or where it connects.
APP_ENV_MARKERS = ("NODE_ENV", "DATABASE_HOST", "DATABASE_URL", "DB_POOL_MAX")


def quantity(value: Any) -> float | None:
    """A Kubernetes quantity ("500m", "512Mi", "1") as a number; None when it does not parse."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    match = _QUANTITY.match(str(value).strip()) if isinstance(value, str) else None
    return float(match.group(1)) * _FACTORS[match.group(2)] if match else None


def _show(resource: str, amount: float) -> str:
    return f"{amount * 1000:g}m" if resource == "cpu" else f"{amount / 2**20:g}Mi"


def check_resources_within_bounds(r: Res) -> Iterator[str]:
    _, cs = _pod_checks(r)
    for label, c in cs:
        for res, ceiling in SEED_LIMITS.items():
            limit, request = get(c, "resources", "limits", res), get(c, "resources", "requests", res)
            if UNKNOWN in (limit, request):
                continue
            lim, req = quantity(limit), quantity(request)
            if lim is not None and lim > ceiling:
                yield f"{r.label} {label} has a {res} limit of {limit}, above the seed's {_show(res, ceiling)}: size it within that."
            if lim is not None and req is not None and req > lim:
                yield f"{r.label} {label} requests {request} {res}, more than its limit {limit}: keep requests at or below limits."


def check_approved_registry(r: Res) -> Iterator[str]:
    _, cs = _pod_checks(r)
    for label, c in cs:
        image = get(c, "image")
        if isinstance(image, str) and not APPROVED_REGISTRY.match(image):
            yield (
                f"{r.label} {label} image {image} is not from a private ECR registry: push it to the account's ECR "
                "(<account>.dkr.ecr.<region>.amazonaws.com/...), which scans and keeps tags immutable."
            )


def check_service_account_token(r: Res) -> Iterator[str]:
    """The app calls no Kubernetes API: no token in its pods (IRSA uses its own projected token)."""
    if r.type == SERVICE_ACCOUNT:
        value = r.get("automountServiceAccountToken")
        if value is not UNKNOWN and not is_false(value):
            yield f"{r.label} mounts its token into every pod by default: set automountServiceAccountToken=false."
        return
    pod = pod_spec(r)
    if pod is None or pod is UNKNOWN:
        return
    value = get(pod, "automountServiceAccountToken")
    if value is not UNKNOWN and not is_false(value):
        yield f"{r.label} mounts a service-account token into its pods: set the pod spec's automountServiceAccountToken=false."


def check_namespace_restricted(r: Res) -> Iterator[str]:
    labels = r.get("metadata", "labels")
    if labels is UNKNOWN:
        return
    level = get(labels, "pod-security.kubernetes.io/enforce")
    if level is not UNKNOWN and level != "restricted":
        yield (
            f"{r.label} enforces Pod Security level {level or '(unset: privileged)'}: label it "
            "pod-security.kubernetes.io/enforce=restricted."
        )


def _allows_everyone(rule: Any, peers_key: str) -> bool:
    """A NetworkPolicy rule with no ports whose peers are everyone (none listed, 0.0.0.0/0, or every namespace)."""
    if not isinstance(rule, dict) or has_unknown(rule) or items(rule.get("ports")):
        return False
    peers = items(rule.get(peers_key))
    if not peers:
        return True
    for peer in peers:
        cidr = get(peer, "ipBlock", "cidr")
        if isinstance(cidr, str) and covers_everything([cidr]) and not items(get(peer, "ipBlock", "except")):
            return True
        if get(peer, "namespaceSelector") == {} and get(peer, "podSelector") in (None, {}):
            return True
    return False


def check_network_policy_not_allow_all(r: Res) -> Iterator[str]:
    for direction, peers_key in (("ingress", "from"), ("egress", "to")):
        rules = r.get("spec", direction)
        if rules is UNKNOWN:
            continue
        for i, rule in enumerate(items(rules)):
            if _allows_everyone(rule, peers_key):
                yield (
                    f"{r.label} spec.{direction}[{i}] allows all {direction} on every port: name the peers (pods, namespaces, "
                    "CIDRs) and the ports."
                )


def check_node_env_production(r: Res) -> Iterator[str]:
    _, cs = _pod_checks(r)
    for label, c in cs:
        entries = get(c, "env")
        if entries is UNKNOWN or any(get(e, "name") is UNKNOWN for e in items(entries)):
            continue
        env = {get(e, "name"): get(e, "value") for e in items(entries)}
        if not any(m in env for m in APP_ENV_MARKERS) or env.get("NODE_ENV") is UNKNOWN:
            continue
        if env.get("NODE_ENV") != "production":
            yield f"{r.label} {label} sets NODE_ENV={env.get('NODE_ENV') or '(unset)'}: the seed's image runs NODE_ENV=production."


# --- Karpenter ----------------------------------------------------------------------------------------

EC2_NODE_CLASS = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"


def check_karpenter_node_class(r: Res) -> Iterator[str]:
    """Karpenter's nodes as hardened as the node group's: IMDSv2 only with hop limit 1 (pods cannot
    borrow the node role), every EBS volume encrypted. An omitted field takes the CRD's default
    (metadataOptions: httpTokens required, hop limit 1), which is compliant."""
    spec = r.get("spec")
    if spec is UNKNOWN:
        return
    tokens, hops = get(spec, "metadataOptions", "httpTokens"), get(spec, "metadataOptions", "httpPutResponseHopLimit")
    if tokens not in (None, UNKNOWN, "required"):
        yield f"{r.label} allows IMDSv1 (metadataOptions.httpTokens {tokens}): set it to required."
    if hops not in (None, UNKNOWN) and as_int(hops) != 1:
        yield (
            f"{r.label} lets pods reach IMDS (metadataOptions.httpPutResponseHopLimit {hops}): set it to 1; pods use IRSA or Pod Identity."
        )
    for mapping in items(get(spec, "blockDeviceMappings")):
        encrypted = get(mapping, "ebs", "encrypted")
        if encrypted is not UNKNOWN and not is_true(encrypted):
            yield f"{r.label} volume {get(mapping, 'deviceName')} is not encrypted: set ebs.encrypted true (and ebs.kmsKeyID)."


POLICIES = [
    resource_policy("kubernetes-pod-run-as-non-root", "Containers run as a non-root user.", WORKLOAD_TYPES, check_run_as_non_root),
    resource_policy(
        "kubernetes-pod-disallow-privilege-escalation",
        "Containers are not privileged and cannot escalate privileges.",
        WORKLOAD_TYPES,
        check_no_privilege_escalation,
    ),
    resource_policy(
        "kubernetes-pod-read-only-root-filesystem", "Containers have a read-only root filesystem.", WORKLOAD_TYPES, check_read_only_root
    ),
    resource_policy(
        "kubernetes-pod-drop-all-capabilities", "Containers drop all Linux capabilities.", WORKLOAD_TYPES, check_drop_all_capabilities
    ),
    resource_policy(
        "kubernetes-pod-seccomp-runtime-default", "Containers run with the RuntimeDefault seccomp profile.", WORKLOAD_TYPES, check_seccomp
    ),
    resource_policy(
        "kubernetes-pod-resources-requests-limits", "Containers set cpu and memory requests and limits.", WORKLOAD_TYPES, check_resources
    ),
    resource_policy(
        "kubernetes-pod-liveness-readiness-probes",
        "Long-running containers have liveness and readiness probes.",
        LONG_RUNNING_TYPES,
        check_probes,
    ),
    resource_policy(
        "kubernetes-pod-image-pinned",
        "Container images are pinned (a version tag other than latest, or a digest).",
        WORKLOAD_TYPES,
        check_image_pinned,
    ),
    resource_policy(
        "kubernetes-pod-disallow-host-namespaces",
        "Pods do not share the node's network, PID or IPC namespaces.",
        WORKLOAD_TYPES,
        check_host_namespaces,
    ),
    resource_policy(
        "kubernetes-pod-disallow-host-path-and-port",
        "Pods mount no hostPath volumes and bind no hostPorts.",
        WORKLOAD_TYPES,
        check_host_path_and_ports,
    ),
    resource_policy(
        "kubernetes-pod-secrets-not-literal-env",
        "Secret values are never literal env values.",
        WORKLOAD_TYPES,
        check_env_secrets,
    ),
    resource_policy(
        "kubernetes-pod-secrets-as-files",
        "Secrets reach containers as mounted files, never as environment variables (secretKeyRef, envFrom).",
        WORKLOAD_TYPES,
        check_secrets_as_files,
    ),
    resource_policy(
        "kubernetes-resource-disallow-default-namespace",
        "Namespaced objects are not in the 'default' namespace.",
        NAMESPACED_TYPES,
        check_not_default_namespace,
    ),
    resource_policy(
        "kubernetes-service-disallow-load-balancer-node-port",
        "Services are never of type LoadBalancer or NodePort.",
        [SERVICE],
        check_service_type,
    ),
    resource_policy(
        "kubernetes-pod-resources-within-bounds",
        "Container limits stay within the seed's 500m CPU / 512Mi memory, and requests do not exceed limits.",
        WORKLOAD_TYPES,
        check_resources_within_bounds,
    ),
    resource_policy(
        "kubernetes-pod-approved-registry",
        "Container images come from a private ECR registry.",
        WORKLOAD_TYPES,
        check_approved_registry,
    ),
    resource_policy(
        "kubernetes-pod-service-account-token-off",
        "Pods and service accounts do not automount service-account tokens.",
        (*WORKLOAD_TYPES, SERVICE_ACCOUNT),
        check_service_account_token,
    ),
    resource_policy(
        "kubernetes-namespace-pod-security-restricted",
        "Namespaces enforce the Pod Security Standard 'restricted'.",
        [NAMESPACE],
        check_namespace_restricted,
    ),
    resource_policy(
        "kubernetes-network-policy-no-allow-all",
        "No NetworkPolicy rule allows all traffic (every peer on every port).",
        [NETWORK_POLICY],
        check_network_policy_not_allow_all,
    ),
    resource_policy(
        "kubernetes-pod-node-env-production",
        "The app's containers run with NODE_ENV=production.",
        WORKLOAD_TYPES,
        check_node_env_production,
    ),
    resource_policy(
        "kubernetes-karpenter-node-class-hardened",
        "Karpenter EC2NodeClasses keep IMDSv2 with hop limit 1 and encrypt every EBS volume.",
        [EC2_NODE_CLASS],
        check_karpenter_node_class,
    ),
]
