"""Kubernetes resource policies: a compliant (seed-shaped, hardened) workload, one mutation per case.

Every resource policy of `policies.nox_policies.kubernetes` must appear in CASES.
"""

from __future__ import annotations

from typing import Any

import pytest
from policy_harness import (
    DELETE,
    K8S_PROVIDER_URN,
    UNKNOWN,
    k8s_provider,
    leaf_paths,
    messages,
    mutate,
    plan,
    policy,
    record,
    run,
    run_all,
)

from offline.policycheck import evaluate
from policies.nox_policies import kubernetes as k8s

IMAGE = "123456789012.dkr.ecr.us-west-2.amazonaws.com/nox-api:v8.0.0"
CONTAINER = {
    "name": "nox-api",
    "image": IMAGE,
    "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "capabilities": {"drop": ["ALL"]}},
    "resources": {"requests": {"cpu": "250m", "memory": "256Mi"}, "limits": {"cpu": "500m", "memory": "512Mi"}},
    "livenessProbe": {"httpGet": {"path": "/health", "port": 3000.0}, "initialDelaySeconds": 30.0, "periodSeconds": 10.0},
    "readinessProbe": {"httpGet": {"path": "/ready", "port": 3000.0}, "initialDelaySeconds": 5.0, "periodSeconds": 5.0},
    "ports": [{"containerPort": 3000.0, "name": "http"}, {"containerPort": 8080.0, "name": "websocket"}],
    "env": [
        {"name": "NODE_ENV", "value": "production"},
        {"name": "PORT", "value": "3000"},
        {"name": "DB_POOL_MAX", "value": "4"},
        {"name": "DATABASE_HOST", "value": "nox-prod-db.example.us-west-2.rds.amazonaws.com"},
        {"name": "REDIS_HOST", "value": "nox-prod-cache.example.clustercfg.usw2.cache.amazonaws.com"},
    ],
    "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
}
POD_SPEC = {
    "securityContext": {
        "runAsNonRoot": True,
        "runAsUser": 1001.0,
        "runAsGroup": 1001.0,
        "fsGroup": 1001.0,
        "seccompProfile": {"type": "RuntimeDefault"},
    },
    "serviceAccountName": "nox-api",
    "automountServiceAccountToken": False,
    "containers": [CONTAINER],
    "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}}],
}
LABELS = {"app": "nox-api", "colour": "blue"}
DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "nox-api", "namespace": "nox", "labels": LABELS},
    "spec": {"replicas": 3.0, "selector": {"matchLabels": LABELS}, "template": {"metadata": {"labels": LABELS}, "spec": POD_SPEC}},
}
POD = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "one", "namespace": "nox"}, "spec": POD_SPEC}
STATEFUL_SET = DEPLOYMENT | {"kind": "StatefulSet"}
DAEMON_SET = DEPLOYMENT | {"kind": "DaemonSet"}
JOB_POD = mutate(POD_SPEC, ("containers", 0), {k: v for k, v in CONTAINER.items() if not k.endswith("Probe")})
JOB = {
    "apiVersion": "batch/v1",
    "kind": "Job",
    "metadata": {"name": "migrate", "namespace": "nox"},
    "spec": {"template": {"spec": JOB_POD | {"restartPolicy": "Never"}}},
}
CRON_JOB = {
    "apiVersion": "batch/v1",
    "kind": "CronJob",
    "metadata": {"name": "cleanup", "namespace": "nox"},
    "spec": {"schedule": "0 3 * * *", "jobTemplate": {"spec": {"template": {"spec": JOB_POD | {"restartPolicy": "Never"}}}}},
}
SERVICE = {
    "apiVersion": "v1",
    "kind": "Service",
    "metadata": {"name": "nox-api-service", "namespace": "nox"},
    "spec": {"type": "ClusterIP", "selector": LABELS, "ports": [{"port": 80.0, "targetPort": "http"}]},
}

# The prod plan's namespace, service account and NetworkPolicies (components/workload.py).
NAMESPACE = {
    "apiVersion": "v1",
    "kind": "Namespace",
    "metadata": {
        "name": "nox",
        "labels": {f"pod-security.kubernetes.io/{mode}": "restricted" for mode in ("enforce", "audit", "warn")},
    },
}
SERVICE_ACCOUNT = {
    "apiVersion": "v1",
    "kind": "ServiceAccount",
    "metadata": {
        "name": "nox-api",
        "namespace": "nox",
        "annotations": {"eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/app"},
    },
    "automountServiceAccountToken": False,
}
API_POLICY = {
    "apiVersion": "networking.k8s.io/v1",
    "kind": "NetworkPolicy",
    "metadata": {"name": "nox-api", "namespace": "nox"},
    "spec": {
        "podSelector": {"matchLabels": {"app": "nox-api"}},
        "policyTypes": ["Ingress", "Egress"],
        "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/16"}}], "ports": [{"protocol": "TCP", "port": 3000.0}]}],
        "egress": [
            {
                "to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}}}],
                "ports": [{"protocol": "UDP", "port": 53.0}],
            },
            {"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"protocol": "TCP", "port": 443.0}]},
        ],
    },
}
DEFAULT_DENY = {
    "apiVersion": "networking.k8s.io/v1",
    "kind": "NetworkPolicy",
    "metadata": {"name": "default-deny-all", "namespace": "nox"},
    "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
}

DEP_T, POD_T, SVC_T = k8s.DEPLOYMENT, k8s.POD, k8s.SERVICE
NS_T, SA_T, NP_T = k8s.NAMESPACE, k8s.SERVICE_ACCOUNT, k8s.NETWORK_POLICY
P = ("spec", "template", "spec")
C = (*P, "containers", 0)

BASELINES: list[tuple[str, dict[str, Any]]] = [
    (DEP_T, DEPLOYMENT),
    (POD_T, POD),
    (k8s.STATEFUL_SET, STATEFUL_SET),
    (k8s.DAEMON_SET, DAEMON_SET),
    ("kubernetes:batch/v1:Job", JOB),
    ("kubernetes:batch/v1:CronJob", CRON_JOB),
    (SVC_T, SERVICE),
    (DEP_T, mutate(DEPLOYMENT, (*C, "image"), "123456789012.dkr.ecr.eu-west-1.amazonaws.com/nox-api@sha256:" + "a" * 64)),
    (DEP_T, mutate(DEPLOYMENT, (*C, "resources", "limits"), {"cpu": "0.5", "memory": "536870912"})),
    (NS_T, NAMESPACE),
    (SA_T, SERVICE_ACCOUNT),
    (NP_T, API_POLICY),
    (NP_T, DEFAULT_DENY),
    ("kubernetes:core/v1:ConfigMap", {"metadata": {"name": "c", "namespace": "nox"}, "data": {"A": "1"}}),
]

# A hardened Karpenter EC2NodeClass (components/eks/karpenter.py node_class_spec), as the engine sends it.
NC_T = k8s.EC2_NODE_CLASS
NODE_CLASS = {
    "apiVersion": "karpenter.k8s.aws/v1",
    "kind": "EC2NodeClass",
    "metadata": {"name": "app"},
    "spec": {
        "role": "nox-prod-karpenter-node",
        "amiSelectorTerms": [{"alias": "al2023@v20260714"}],
        "metadataOptions": {
            "httpEndpoint": "enabled",
            "httpProtocolIPv6": "disabled",
            "httpPutResponseHopLimit": 1.0,
            "httpTokens": "required",
        },
        "blockDeviceMappings": [
            {"deviceName": "/dev/xvda", "ebs": {"volumeSize": "50Gi", "volumeType": "gp3", "encrypted": True, "kmsKeyID": "arn:aws:kms:k"}}
        ],
    },
}
BASELINES.append((NC_T, NODE_CLASS))
BASELINES.append((NC_T, mutate(NODE_CLASS, ("spec", "metadataOptions"), DELETE)))  # the CRD's defaults: IMDSv2, hop limit 1

CASES: list[tuple[str, str, dict[str, Any], tuple[str | int, ...], Any, str]] = [
    ("kubernetes-pod-run-as-non-root", DEP_T, DEPLOYMENT, (*P, "securityContext", "runAsNonRoot"), False, "may run as root"),
    ("kubernetes-pod-run-as-non-root", DEP_T, DEPLOYMENT, (*P, "securityContext", "runAsNonRoot"), DELETE, "may run as root"),
    ("kubernetes-pod-run-as-non-root", DEP_T, DEPLOYMENT, (*C, "securityContext", "runAsUser"), 0.0, "may run as root"),
    (
        "kubernetes-pod-run-as-non-root",
        POD_T,
        POD,
        ("spec", "containers", 0, "securityContext", "runAsNonRoot"),
        False,
        "container 'nox-api' may run as root",
    ),
    (
        "kubernetes-pod-disallow-privilege-escalation",
        DEP_T,
        DEPLOYMENT,
        (*C, "securityContext", "allowPrivilegeEscalation"),
        True,
        "may gain privileges",
    ),
    (
        "kubernetes-pod-disallow-privilege-escalation",
        DEP_T,
        DEPLOYMENT,
        (*C, "securityContext", "allowPrivilegeEscalation"),
        DELETE,
        "may gain privileges",
    ),
    ("kubernetes-pod-disallow-privilege-escalation", DEP_T, DEPLOYMENT, (*C, "securityContext", "privileged"), True, "is privileged"),
    (
        "kubernetes-pod-read-only-root-filesystem",
        DEP_T,
        DEPLOYMENT,
        (*C, "securityContext", "readOnlyRootFilesystem"),
        False,
        "writable root filesystem",
    ),
    (
        "kubernetes-pod-drop-all-capabilities",
        DEP_T,
        DEPLOYMENT,
        (*C, "securityContext", "capabilities", "drop"),
        ["NET_RAW"],
        "keeps Linux capabilities",
    ),
    (
        "kubernetes-pod-drop-all-capabilities",
        DEP_T,
        DEPLOYMENT,
        (*C, "securityContext", "capabilities"),
        DELETE,
        "keeps Linux capabilities",
    ),
    (
        "kubernetes-pod-seccomp-runtime-default",
        DEP_T,
        DEPLOYMENT,
        (*P, "securityContext", "seccompProfile"),
        DELETE,
        "without a seccomp profile",
    ),
    (
        "kubernetes-pod-seccomp-runtime-default",
        DEP_T,
        DEPLOYMENT,
        (*C, "securityContext", "seccompProfile"),
        {"type": "Unconfined"},
        "without a seccomp profile",
    ),
    (
        "kubernetes-pod-resources-requests-limits",
        DEP_T,
        DEPLOYMENT,
        (*C, "resources", "limits", "memory"),
        DELETE,
        "no resources limits.memory",
    ),
    (
        "kubernetes-pod-resources-requests-limits",
        DEP_T,
        DEPLOYMENT,
        (*C, "resources", "requests"),
        DELETE,
        "no resources requests.cpu, requests.memory",
    ),
    ("kubernetes-pod-liveness-readiness-probes", DEP_T, DEPLOYMENT, (*C, "livenessProbe"), DELETE, "has no livenessProbe"),
    ("kubernetes-pod-liveness-readiness-probes", k8s.STATEFUL_SET, STATEFUL_SET, (*C, "readinessProbe"), DELETE, "has no readinessProbe"),
    ("kubernetes-pod-image-pinned", DEP_T, DEPLOYMENT, (*C, "image"), IMAGE.replace(":v8.0.0", ":latest"), "uses the tag latest"),
    ("kubernetes-pod-image-pinned", DEP_T, DEPLOYMENT, (*C, "image"), IMAGE.replace(":v8.0.0", ""), "has no tag"),
    (
        "kubernetes-pod-image-pinned",
        DEP_T,
        DEPLOYMENT,
        (*C, "image"),
        "123456789012.dkr.ecr.us-west-2.amazonaws.com/team/nox-api",
        "has no tag",
    ),
    ("kubernetes-pod-disallow-host-namespaces", DEP_T, DEPLOYMENT, (*P, "hostNetwork"), True, "(hostNetwork)"),
    ("kubernetes-pod-disallow-host-namespaces", POD_T, POD, ("spec", "hostPID"), True, "(hostPID)"),
    (
        "kubernetes-pod-disallow-host-path-and-port",
        DEP_T,
        DEPLOYMENT,
        (*P, "volumes", 0),
        {"name": "docker", "hostPath": {"path": "/var/run/docker.sock"}},
        "hostPath volume docker",
    ),
    ("kubernetes-pod-disallow-host-path-and-port", DEP_T, DEPLOYMENT, (*C, "ports", 0, "hostPort"), 3000.0, "binds hostPort 3000"),
    (
        "kubernetes-pod-secrets-not-literal-env",
        DEP_T,
        DEPLOYMENT,
        (*C, "env", 3),
        {"name": "DATABASE_URL", "value": "postgres://x"},
        "sets DATABASE_URL as a literal value",
    ),
    (
        "kubernetes-pod-secrets-not-literal-env",
        DEP_T,
        DEPLOYMENT,
        (*C, "env", 4),
        {"name": "REDIS_URL", "value": "[secret]"},
        "sets REDIS_URL as a literal value",
    ),
    (
        "kubernetes-pod-secrets-not-literal-env",
        DEP_T,
        DEPLOYMENT,
        (*C, "env", 1),
        {"name": "API_TOKEN", "value": "abc123"},
        "sets API_TOKEN as a literal value",
    ),
    (
        "kubernetes-pod-secrets-not-literal-env",
        DEP_T,
        DEPLOYMENT,
        (*C, "env", 1),
        {"name": "CONN", "value": "postgres://nox:hunter2@db:5432/nox"},
        "env CONN holds a PostgreSQL URL with a password",
    ),
    (
        "kubernetes-pod-secrets-as-files",
        DEP_T,
        DEPLOYMENT,
        (*C, "env", 3),
        {"name": "DATABASE_URL", "valueFrom": {"secretKeyRef": {"name": "nox-secrets", "key": "database-url"}}},
        "reads Secret into env DATABASE_URL: mount it as a file",
    ),
    (
        "kubernetes-pod-secrets-as-files",
        DEP_T,
        DEPLOYMENT,
        (*C, "envFrom"),
        [{"secretRef": {"name": "nox-secrets"}}],
        "loads a whole Secret into its environment (envFrom)",
    ),
    (
        "kubernetes-resource-disallow-default-namespace",
        DEP_T,
        DEPLOYMENT,
        ("metadata", "namespace"),
        "default",
        "lands in the 'default' namespace",
    ),
    (
        "kubernetes-resource-disallow-default-namespace",
        SVC_T,
        SERVICE,
        ("metadata", "namespace"),
        DELETE,
        "lands in the 'default' namespace",
    ),
    ("kubernetes-service-disallow-load-balancer-node-port", SVC_T, SERVICE, ("spec", "type"), "LoadBalancer", "is of type LoadBalancer"),
    ("kubernetes-service-disallow-load-balancer-node-port", SVC_T, SERVICE, ("spec", "type"), "NodePort", "is of type NodePort"),
    # --- issue 19 ---
    (
        "kubernetes-pod-resources-within-bounds",
        DEP_T,
        DEPLOYMENT,
        (*C, "resources", "limits", "memory"),
        "1Gi",
        "memory limit of 1Gi, above the seed's 512Mi",
    ),
    (
        "kubernetes-pod-resources-within-bounds",
        DEP_T,
        DEPLOYMENT,
        (*C, "resources", "limits", "cpu"),
        "2",
        "cpu limit of 2, above the seed's 500m",
    ),
    (
        "kubernetes-pod-resources-within-bounds",
        DEP_T,
        DEPLOYMENT,
        (*C, "resources", "requests", "cpu"),
        "600m",
        "requests 600m cpu, more than its limit 500m",
    ),
    (
        "kubernetes-pod-resources-within-bounds",
        DEP_T,
        DEPLOYMENT,
        (*C, "resources", "limits", "memory"),
        "128Mi",
        "requests 256Mi memory, more than its limit 128Mi",
    ),
    ("kubernetes-pod-approved-registry", DEP_T, DEPLOYMENT, (*C, "image"), "docker.io/library/nox-api:v8.0.0", "is not from a private ECR"),
    (
        "kubernetes-pod-approved-registry",
        DEP_T,
        DEPLOYMENT,
        (*C, "image"),
        "public.ecr.aws/nox/nox-api:v8.0.0",
        "is not from a private ECR",
    ),
    (
        "kubernetes-pod-service-account-token-off",
        DEP_T,
        DEPLOYMENT,
        (*P, "automountServiceAccountToken"),
        True,
        "mounts a service-account token",
    ),
    (
        "kubernetes-pod-service-account-token-off",
        DEP_T,
        DEPLOYMENT,
        (*P, "automountServiceAccountToken"),
        DELETE,
        "automountServiceAccountToken=false",
    ),
    (
        "kubernetes-pod-service-account-token-off",
        SA_T,
        SERVICE_ACCOUNT,
        ("automountServiceAccountToken",),
        DELETE,
        "mounts its token into every pod",
    ),
    (
        "kubernetes-namespace-pod-security-restricted",
        NS_T,
        NAMESPACE,
        ("metadata", "labels", "pod-security.kubernetes.io/enforce"),
        "baseline",
        "enforces Pod Security level baseline",
    ),
    (
        "kubernetes-namespace-pod-security-restricted",
        NS_T,
        NAMESPACE,
        ("metadata", "labels", "pod-security.kubernetes.io/enforce"),
        DELETE,
        "(unset: privileged)",
    ),
    ("kubernetes-network-policy-no-allow-all", NP_T, DEFAULT_DENY, ("spec", "ingress"), [{}], "spec.ingress[0] allows all ingress"),
    (
        "kubernetes-network-policy-no-allow-all",
        NP_T,
        API_POLICY,
        ("spec", "egress", 1, "ports"),
        DELETE,
        "spec.egress[1] allows all egress",
    ),
    (
        "kubernetes-network-policy-no-allow-all",
        NP_T,
        API_POLICY,
        ("spec", "ingress", 0),
        {"from": [{"namespaceSelector": {}}]},
        "spec.ingress[0] allows all ingress on every port",
    ),
    ("kubernetes-pod-node-env-production", DEP_T, DEPLOYMENT, (*C, "env", 0, "value"), "development", "sets NODE_ENV=development"),
    (
        "kubernetes-pod-node-env-production",
        DEP_T,
        DEPLOYMENT,
        (*C, "env", 0),
        {"name": "LOG_LEVEL", "value": "info"},
        "sets NODE_ENV=(unset)",
    ),
    ("kubernetes-karpenter-node-class-hardened", NC_T, NODE_CLASS, ("spec", "metadataOptions", "httpTokens"), "optional", "allows IMDSv1"),
    (
        "kubernetes-karpenter-node-class-hardened",
        NC_T,
        NODE_CLASS,
        ("spec", "metadataOptions", "httpPutResponseHopLimit"),
        2.0,
        "lets pods reach IMDS (metadataOptions.httpPutResponseHopLimit 2.0)",
    ),
    (
        "kubernetes-karpenter-node-class-hardened",
        NC_T,
        NODE_CLASS,
        ("spec", "blockDeviceMappings", 0, "ebs", "encrypted"),
        False,
        "volume /dev/xvda is not encrypted",
    ),
    (
        "kubernetes-karpenter-node-class-hardened",
        NC_T,
        NODE_CLASS,
        ("spec", "blockDeviceMappings", 0, "ebs", "encrypted"),
        DELETE,
        "volume /dev/xvda is not encrypted",
    ),
]


def _policies_for(type_: str) -> list[str]:
    return [p.name for p in k8s.POLICIES if type_ in p.resource_types]


@pytest.mark.parametrize(("type_", "props"), BASELINES, ids=[f"{t.rsplit(':', 1)[-1]}-{i}" for i, (t, _) in enumerate(BASELINES)])
def test_baseline_is_compliant(type_: str, props: dict[str, Any]) -> None:
    for name in _policies_for(type_):
        assert run(name, record(type_, "subject", props)) == [], name


@pytest.mark.parametrize(
    ("name", "type_", "base", "path", "value", "expected"),
    CASES,
    ids=[f"{c[0]}-{'.'.join(map(str, c[3]))}-{i}" for i, c in enumerate(CASES)],
)
def test_mutation_is_caught(name: str, type_: str, base: dict[str, Any], path: tuple[str | int, ...], value: Any, expected: str) -> None:
    assert messages(name, record(type_, "subject", base)) == []
    subject = record(type_, "subject", mutate(base, path, value))
    found = messages(name, subject)
    assert len(found) == 1, found
    assert expected in found[0]
    others = [n for n in _policies_for(type_) if n != name and messages(n, subject)]
    assert others == [], others


def test_every_kubernetes_policy_has_cases() -> None:
    assert {c[0] for c in CASES} == {p.name for p in k8s.POLICIES}


def test_init_containers_are_checked_too() -> None:
    init = {"name": "migrate", "image": IMAGE, "resources": CONTAINER["resources"]}
    subject = record(DEP_T, "d", mutate(DEPLOYMENT, (*P, "initContainers"), [init]))
    (found,) = messages("kubernetes-pod-disallow-privilege-escalation", subject)
    assert "init container 'migrate' may gain privileges" in found
    # Probes are for long-running containers only.
    assert messages("kubernetes-pod-liveness-readiness-probes", subject) == []


def test_pod_level_settings_are_inherited_and_container_settings_win() -> None:
    pod_only = mutate(DEPLOYMENT, (*C, "securityContext", "runAsNonRoot"), DELETE)
    assert messages("kubernetes-pod-run-as-non-root", record(DEP_T, "d", pod_only)) == []
    container_wins = mutate(DEPLOYMENT, (*C, "securityContext", "runAsNonRoot"), False)
    assert len(messages("kubernetes-pod-run-as-non-root", record(DEP_T, "d", container_wins))) == 1


def test_namespace_from_the_provider_counts() -> None:
    no_ns = record(SVC_T, "svc", mutate(SERVICE, ("metadata", "namespace"), DELETE))
    provider = k8s_provider() | {"inputs": {"kubeconfig": "[secret]", "namespace": "nox"}}
    doc = plan(no_ns)
    doc["resources"] = [provider if r["urn"] == K8S_PROVIDER_URN else r for r in doc["resources"]]
    assert evaluate(doc, policies=[policy("kubernetes-resource-disallow-default-namespace")]) == []


@pytest.mark.parametrize(
    ("image", "problem"),
    [
        ("nox-api:v8.0.0", None),
        ("nox-api@sha256:" + "0" * 64, None),
        ("nox-api:latest@sha256:" + "0" * 64, None),
        ("nox-api", "has no tag (it means latest)"),
        ("nox-api:latest", "uses the tag latest"),
        ("localhost:5000/team/nox-api", "has no tag (it means latest)"),
        ("localhost:5000/team/nox-api:1.2", None),
    ],
)
def test_image_problem(image: str, problem: str | None) -> None:
    assert k8s.image_problem(image) == problem


@pytest.mark.parametrize(("type_", "props"), BASELINES, ids=[f"{t.rsplit(':', 1)[-1]}-{i}" for i, (t, _) in enumerate(BASELINES)])
def test_unknown_values_never_crash_nor_fail_a_compliant_resource(type_: str, props: dict[str, Any]) -> None:
    for path in leaf_paths(props):
        found = run_all([policy(n) for n in _policies_for(type_)], record(type_, "subject", mutate(props, path, UNKNOWN)))
        assert [v for v in found if v.level == "mandatory"] == [], (path, found)


def test_unknown_values_do_not_hide_other_violations() -> None:
    subject = record(DEP_T, "d", mutate(mutate(DEPLOYMENT, (*C, "image"), UNKNOWN), (*P, "hostNetwork"), True))
    assert messages("kubernetes-pod-image-pinned", subject) == []
    assert len(messages("kubernetes-pod-disallow-host-namespaces", subject)) == 1


# --- every pod-spec path is checked (issue 11): a broken path would exempt the kind silently ----------------

POD_KINDS = [
    (k8s.DAEMON_SET, DAEMON_SET, P),
    ("kubernetes:batch/v1:Job", JOB, P),
    ("kubernetes:batch/v1:CronJob", CRON_JOB, ("spec", "jobTemplate", "spec", "template", "spec")),
    (k8s.STATEFUL_SET, STATEFUL_SET, P),
]


@pytest.mark.parametrize(("type_", "doc", "pod"), POD_KINDS, ids=[t.rsplit(":", 1)[-1] for t, _, _ in POD_KINDS])
@pytest.mark.parametrize(
    ("name", "where", "value", "expected"),
    [
        ("kubernetes-pod-run-as-non-root", ("securityContext", "runAsNonRoot"), False, "may run as root"),
        ("kubernetes-pod-disallow-privilege-escalation", ("containers", 0, "securityContext", "privileged"), True, "is privileged"),
        (
            "kubernetes-pod-read-only-root-filesystem",
            ("containers", 0, "securityContext", "readOnlyRootFilesystem"),
            False,
            "writable root",
        ),
    ],
)
def test_pod_policies_reach_every_pod_bearing_kind(type_, doc, pod, name, where, value, expected):
    assert k8s.POD_SPEC_PATHS[type_] == pod
    found = messages(name, record(type_, "w", mutate(doc, (*pod, *where), value)))
    assert found and expected in found[0]
    assert messages(name, record(type_, "w", doc)) == []
