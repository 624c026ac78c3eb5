"""Kubernetes workload: every rendered object validated against the cluster version's OpenAPI
schema, the seed's numbers, hardening, secrets, traffic weights and the cluster provider."""

from __future__ import annotations

import json
import re

import kubernetes_validate
import pytest

from components import appspec
from components import workload as w

EKS = "nox:platform=eks"
GREEN = "123456789012.dkr.ecr.us-west-2.amazonaws.com/nox-api@sha256:" + "b1" * 32  # prod: digests only
CANARY_STAGES = (1, 5, 10, 25, 50, 100)
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
SERVICE = "kubernetes:core/v1:Service"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
PDB = "kubernetes:policy/v1:PodDisruptionBudget"
NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
K8S_PROVIDER = "pulumi:providers:kubernetes"
A = "alb.ingress.kubernetes.io/"


def canary(weight: int) -> tuple[str, ...]:
    return ("prod", "nox:releaseStrategy=canary", f"nox:imageGreen={GREEN}", f"nox:releaseCanaryWeight={weight}")


def _ints(value):
    """The engine's wire format carries numbers as doubles; manifests want integers."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _ints(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_ints(v) for v in value]
    return value


def manifests(plan) -> list[dict]:
    """Kubernetes objects as the API server would receive them (Helm releases excluded)."""
    out = []
    for r in plan.resources:
        # The workload's own objects (monitoring has its own tests).
        if r["type"].startswith("kubernetes:") and r["type"] != "kubernetes:helm.sh/v3:Release" and "nox:eks:Workload$" in r["urn"]:
            out.append(_ints(r["inputs"]))
    return out


def obj(plan, kind, name):
    [m] = [m for m in manifests(plan) if m["kind"] == kind and m["metadata"]["name"] == name]
    return m


def cluster_version(plan) -> str:
    return plan.one("aws:eks/cluster:Cluster")["inputs"]["version"]


def parse_string_map(raw: str) -> dict[str, str]:
    """The controller's stringMap parser (v2.14.1+): split on unescaped commas, then `k=v`."""
    pairs = [p.replace("\\,", ",").strip() for p in re.split(r"(?<!\\),", raw) if p.strip()]
    out = {}
    for p in pairs:
        k, sep, v = p.partition("=")
        assert sep and k, f"stringMap pair without '=': {p!r}"
        out[k] = v
    return out


def annotations(plan) -> dict[str, str]:
    return plan.one(INGRESS)["inputs"]["metadata"]["annotations"]


def target_groups(ann: dict[str, str], action: str) -> dict[str, int]:
    doc = json.loads(ann[A + f"actions.{action}"])
    assert doc["type"] == "forward"
    return {tg["serviceName"]: tg["weight"] for tg in doc["forwardConfig"]["targetGroups"]}


@pytest.fixture(scope="module")
def prod(plan_for):
    return plan_for("prod", EKS)


# --- schema and provider ---------------------------------------------------------------------

PLANS = [("dev", EKS), ("staging", EKS), ("prod", EKS), canary(10), ("prod", "nox:releaseActive=green", f"nox:imageGreen={GREEN}")]


@pytest.mark.parametrize("args", PLANS, ids=lambda a: "-".join(x.split("=")[-1][:12] for x in a))
def test_every_object_validates_against_the_cluster_schema(plan_for, args):
    plan = plan_for(*args)
    version = cluster_version(plan)
    objs = manifests(plan)
    kinds = {m["kind"] for m in objs}
    assert kinds == {
        "Namespace",
        "ServiceAccount",
        "Deployment",
        "Service",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "NetworkPolicy",
        "Ingress",
    }
    for m in objs:
        # Strict: unknown fields fail too. Raises ValidationError with the path on failure.
        assert kubernetes_validate.validate(m, version, strict=True) == version, m["metadata"]["name"]


@pytest.mark.parametrize("args", PLANS[:3])
def test_every_kubernetes_resource_uses_the_cluster_provider(plan_for, args):
    plan = plan_for(*args)
    [provider] = plan.of_type(K8S_PROVIDER)
    assert provider["parent"] == plan.one("nox:eks:Cluster")["urn"]
    k8s = [r for r in plan.resources if r["type"].startswith("kubernetes:")]
    assert len(k8s) >= 14
    for r in k8s:
        assert r["provider"] and r["provider"].startswith(provider["urn"] + "::"), r["name"]


# --- namespace, identity, secret -----------------------------------------------------------------


def test_namespace_enforces_restricted(prod):
    labels = obj(prod, "Namespace", "nox")["metadata"]["labels"]
    for mode in ("enforce", "audit", "warn"):
        assert labels[f"pod-security.kubernetes.io/{mode}"] == "restricted"
        assert labels[f"pod-security.kubernetes.io/{mode}-version"] == "v1.35"
    assert labels["elbv2.k8s.aws/pod-readiness-gate-inject"] == "enabled"


def test_service_account_irsa_logs_in_only_as_the_app_users(prod):
    sa = obj(prod, "ServiceAccount", "nox-api")
    assert sa["automountServiceAccountToken"] is False
    arn = sa["metadata"]["annotations"]["eks.amazonaws.com/role-arn"]
    role_name = arn.rsplit("/", 1)[-1]
    [role] = [r for r in prod.of_type("aws:iam/role:Role") if role_name.startswith(r["name"] + "-") or role_name == r["name"]]
    cond = json.loads(role["inputs"]["assumeRolePolicy"])["Statement"][0]["Condition"]["StringEquals"]
    assert "system:serviceaccount:nox:nox-api" in cond.values()
    [inline] = [r for r in prod.of_type("aws:iam/rolePolicy:RolePolicy") if r["parent"] == role["urn"]]
    assert inline["name"] == "workload-app-role-inline"  # the URN it had when it read the app secret
    statements = {s["Action"]: s["Resource"] for s in json.loads(inline["inputs"]["policy"])["Statement"]}
    assert set(statements) == {"rds-db:connect", "elasticache:Connect"}
    assert len(statements["rds-db:connect"]) == 2 and all(a.endswith("/nox_app") for a in statements["rds-db:connect"])
    assert all(":dbuser:db-" in a for a in statements["rds-db:connect"])  # the DbiResourceId, not the identifier
    assert statements["elasticache:Connect"][1] == "arn:aws:elasticache:us-west-2:123456789012:user:nox-prod-app"
    assert not [r for r in prod.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment") if r["parent"] == role["urn"]]


def test_no_secret_reaches_pods_and_none_is_in_the_plan(prod, plan_for):
    for plan in (prod, plan_for(*canary(50))):
        # No Secret in the workload (Grafana's admin password is monitoring's, tests/test_prometheus.py).
        assert not [s for s in plan.of_type("kubernetes:core/v1:Secret") if "nox:eks:Workload$" in s["urn"]]
        for d in plan.of_type(DEPLOYMENT):
            pod = d["inputs"]["spec"]["template"]["spec"]
            for c in pod["containers"]:
                assert all("valueFrom" not in e for e in c["env"]) and "envFrom" not in c
            assert "[secret]" not in json.dumps(d["inputs"])  # nothing secret is even derived into a pod
        text = json.dumps(plan.to_json())
        for leak in ("MOCK-SECRET-", "postgres://", "rediss://"):
            assert leak not in text


# --- Deployment --------------------------------------------------------------------------------


def test_deployment_seed_numbers(prod):
    d = obj(prod, "Deployment", "nox-api-blue")
    spec = d["spec"]
    assert spec["replicas"] == 3
    assert spec["selector"]["matchLabels"] == {"app": "nox-api", "colour": "blue"}
    assert spec["strategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": "25%"}}
    [c] = spec["template"]["spec"]["containers"]
    assert c["image"] == "123456789012.dkr.ecr.us-west-2.amazonaws.com/nox-api@sha256:" + "0" * 64  # Pulumi.prod.yaml
    assert {p["name"]: p["containerPort"] for p in c["ports"]} == {"http": 3000, "websocket": 8080}
    env = {e["name"]: e for e in c["env"]}
    assert env["NODE_ENV"]["value"] == "production" and env["PORT"]["value"] == "3000"
    assert env["DEPLOYMENT_COLOR"]["value"] == "blue"
    # (200 - 20 admin) // 40 processes (2 colours x HPA max 20): settings.pool_size, capped by the seed's 20.
    assert env["DB_POOL_MAX"]["value"] == "4" == str(prod.outputs["dbPoolMax"])
    assert c["imagePullPolicy"] == "Always"
    db = prod.one("aws:rds/instance:Instance", "database-primary")["inputs"]["identifier"]
    assert env["DATABASE_HOST"]["value"].startswith(f"{db}.") and env["DATABASE_HOST"]["value"].endswith(".rds.amazonaws.com")
    assert {k: env[k]["value"] for k in ("DATABASE_PORT", "DATABASE_NAME", "DATABASE_USER", "DATABASE_AUTH", "DATABASE_SSLMODE")} == {
        "DATABASE_PORT": "5432",
        "DATABASE_NAME": "nox",
        "DATABASE_USER": "nox_app",
        "DATABASE_AUTH": "iam",
        "DATABASE_SSLMODE": "verify-full",
    }
    assert {k: env[k]["value"] for k in ("REDIS_PORT", "REDIS_USER", "REDIS_AUTH", "REDIS_TLS", "AWS_REGION")} == {
        "REDIS_PORT": "6379",
        "REDIS_USER": "nox-prod-app",
        "REDIS_AUTH": "iam",
        "REDIS_TLS": "true",
        "AWS_REGION": "us-west-2",
    }
    assert ".clustercfg." in env["REDIS_HOST"]["value"] and env["REDIS_HOST"]["value"].startswith(env["REDIS_CACHE_NAME"]["value"] + ".")
    assert c["resources"] == {"requests": {"memory": "256Mi", "cpu": "250m"}, "limits": {"memory": "512Mi", "cpu": "500m"}}
    assert c["livenessProbe"] == {"httpGet": {"path": "/health", "port": 3000}, "initialDelaySeconds": 30, "periodSeconds": 10}
    assert c["readinessProbe"] == {"httpGet": {"path": "/ready", "port": 3000}, "initialDelaySeconds": 5, "periodSeconds": 5}


def test_heap_fits_under_the_memory_limit(prod):
    [c] = obj(prod, "Deployment", "nox-api-blue")["spec"]["template"]["spec"]["containers"]
    assert next(e["value"] for e in c["env"] if e["name"] == "NODE_OPTIONS") == "--max-old-space-size=384"
    # 75 % of the 512Mi limit: the seed's 512 (= the limit) would be OOM-killed.
    assert c["resources"]["limits"]["memory"] == "512Mi"


def test_pod_hardening_meets_restricted(prod):
    pod = obj(prod, "Deployment", "nox-api-blue")["spec"]["template"]["spec"]
    assert pod["securityContext"] == {
        "runAsNonRoot": True,
        "runAsUser": 10001,  # above 10000 (CKV_K8S_40); the seed image's files are world-readable
        "runAsGroup": 10001,
        "fsGroup": 10001,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    assert pod["automountServiceAccountToken"] is False and pod["serviceAccountName"] == "nox-api"
    assert not any(pod.get(k) for k in ("hostNetwork", "hostPID", "hostIPC"))
    [c] = pod["containers"]
    assert c["securityContext"] == {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "capabilities": {"drop": ["ALL"]}}
    assert c["volumeMounts"] == [{"name": "tmp", "mountPath": "/tmp"}]
    assert [set(v) - {"name"} for v in pod["volumes"]] == [{"emptyDir"}]


def test_graceful_shutdown_outlasts_alb_draining(prod):
    pod = obj(prod, "Deployment", "nox-api-blue")["spec"]["template"]["spec"]
    # ALB drains a target for 30 s; the pod sleeps 40 s, then has 30 s to finish after SIGTERM.
    assert pod["containers"][0]["lifecycle"] == {"preStop": {"sleep": {"seconds": 40}}}
    assert pod["terminationGracePeriodSeconds"] == 70
    assert parse_string_map(annotations(prod)[A + "target-group-attributes"]) == {"deregistration_delay.timeout_seconds": "30"}


def test_zone_spread(prod):
    pod = obj(prod, "Deployment", "nox-api-blue")["spec"]["template"]["spec"]
    zone = next(t for t in pod["topologySpreadConstraints"] if t["topologyKey"] == "topology.kubernetes.io/zone")
    assert zone["maxSkew"] == 1 and zone["labelSelector"] == {"matchLabels": {"app": "nox-api", "colour": "blue"}}


# --- Services, HPA, PDB, NetworkPolicy -------------------------------------------------------------


def test_services_are_cluster_ip_and_reach_the_right_container_port(prod):
    """Service port -> targetPort name -> the container port of that name: 80 -> 3000, 8080 -> 8080."""
    svcs = {m["metadata"]["name"]: m["spec"] for m in manifests(prod) if m["kind"] == "Service"}
    assert set(svcs) == {"nox-api-service", "nox-websocket-service", "nox-api-service-blue", "nox-websocket-service-blue"}
    [c] = obj(prod, "Deployment", "nox-api-blue")["spec"]["template"]["spec"]["containers"]
    container_port = {p["name"]: p["containerPort"] for p in c["ports"]}
    for name, spec in svcs.items():
        assert spec["type"] == "ClusterIP"
        [port] = spec["ports"]
        reached = (port["port"], container_port[port["targetPort"]])
        assert reached == ((80, 3000) if "api" in name else (8080, 8080)), name
        assert spec["selector"] == {"app": "nox-api", "colour": "blue"}


def test_seed_names_follow_the_active_colour(plan_for):
    plan = plan_for("prod", "nox:releaseActive=green", f"nox:imageGreen={GREEN}")
    assert obj(plan, "Service", "nox-api-service")["spec"]["selector"] == {"app": "nox-api", "colour": "green"}
    assert obj(plan, "Service", "nox-websocket-service")["spec"]["selector"]["colour"] == "green"


def test_hpa_exactly_as_seed(prod):
    h = obj(prod, "HorizontalPodAutoscaler", "nox-api-hpa-blue")["spec"]
    assert h["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "nox-api-blue"}
    assert (h["minReplicas"], h["maxReplicas"]) == (3, 20)
    assert {m["resource"]["name"]: m["resource"]["target"] for m in h["metrics"]} == {
        "cpu": {"type": "Utilization", "averageUtilization": 70},
        "memory": {"type": "Utilization", "averageUtilization": 80},
    }
    assert h["behavior"] == {
        "scaleUp": {"stabilizationWindowSeconds": 60, "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}]},
        "scaleDown": {"stabilizationWindowSeconds": 300, "policies": [{"type": "Percent", "value": 50, "periodSeconds": 60}]},
    }


def test_hpa_bounds_and_initial_replicas_follow_the_configured_profile(plan_for):
    # dev's profile is HPA 2..6 (prod's 3..20 is the seed's): the HPA and the Deployment read the settings.
    plan = plan_for("dev", EKS)
    h = obj(plan, "HorizontalPodAutoscaler", "nox-api-hpa-blue")["spec"]
    assert (h["minReplicas"], h["maxReplicas"]) == (2, 6)
    assert obj(plan, "Deployment", "nox-api-blue")["spec"]["replicas"] == 2


def test_hpa_depends_on_metrics_server(prod):
    hpa = prod.one(HPA)
    server = next(r for r in prod.of_type("kubernetes:helm.sh/v3:Release") if r["inputs"]["chart"] == "metrics-server")
    assert server["urn"] in hpa["dependencies"]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_pdb_keeps_two_of_the_seed_three_and_never_blocks_drains(plan_for, stack):
    plan = plan_for(stack, EKS)
    pdb = obj(plan, "PodDisruptionBudget", "nox-api-pdb-blue")["spec"]
    hpa_min = obj(plan, "HorizontalPodAutoscaler", "nox-api-hpa-blue")["spec"]["minReplicas"]
    assert pdb["maxUnavailable"] == 1 and "minAvailable" not in pdb
    assert hpa_min - pdb["maxUnavailable"] >= (2 if hpa_min >= 3 else 1)
    assert pdb["unhealthyPodEvictionPolicy"] == "AlwaysAllow"


def test_network_policy_default_deny_and_allows(prod):
    deny = obj(prod, "NetworkPolicy", "default-deny-all")["spec"]
    assert deny == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    allow = obj(prod, "NetworkPolicy", "nox-api")["spec"]
    assert allow["ingress"] == [
        {"from": [{"ipBlock": {"cidr": "10.0.0.0/16"}}], "ports": [{"protocol": "TCP", "port": 3000}, {"protocol": "TCP", "port": 8080}]}
    ]
    egress = {(p["protocol"], p["port"]): rule["to"] for rule in allow["egress"] for p in rule["ports"]}
    assert set(egress) == {("UDP", 53), ("TCP", 53), ("TCP", 5432), ("TCP", 6379), ("TCP", 443)}
    assert egress[("UDP", 53)][0]["namespaceSelector"] == {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}}
    assert egress[("TCP", 5432)] == egress[("TCP", 6379)] == [{"ipBlock": {"cidr": "10.0.0.0/16"}}]
    assert egress[("TCP", 443)] == [{"ipBlock": {"cidr": "0.0.0.0/0"}}]


def test_access_logs_land_where_the_edge_bucket_policy_allows(prod):
    from components.edge import ACCESS_LOG_PREFIX

    lb = parse_string_map(annotations(prod)[A + "load-balancer-attributes"])
    assert lb["access_logs.s3.prefix"] == ACCESS_LOG_PREFIX
    [bucket] = prod.of_type("aws:s3/bucket:Bucket")
    assert lb["access_logs.s3.bucket"].startswith(bucket["inputs"]["bucketPrefix"])
    assert bucket["urn"] in prod.one(INGRESS)["dependencies"]


# --- Ingress ---------------------------------------------------------------------------------------


def test_ingress_class_host_and_paths(prod):
    ing = obj(prod, "Ingress", "nox-api-ingress")
    assert ing["spec"]["ingressClassName"] == "alb"
    assert "kubernetes.io/ingress.class" not in ing["metadata"]["annotations"]
    [rule] = ing["spec"]["rules"]
    assert rule["host"] == "api.nox.example.com"
    # /ws before the catch-all: ALB evaluates rules in order (nginx used longest match).
    assert [(p["path"], p["backend"]["service"]["name"]) for p in rule["http"]["paths"]] == [
        ("/ws", "nox-websocket-weighted"),
        ("/", "nox-api-weighted"),
    ]


def test_ingress_posture(prod):
    ann = annotations(prod)
    assert ann[A + "scheme"] == "internet-facing" and ann[A + "target-type"] == "ip"
    assert json.loads(ann[A + "listen-ports"]) == [{"HTTP": 80}, {"HTTPS": 443}]
    assert ann[A + "ssl-redirect"] == "443"
    assert ann[A + "certificate-arn"] == prod.outputs["certificateArn"]
    assert ann[A + "wafv2-acl-arn"] == prod.outputs["webAclArn"]
    assert ann[A + "ssl-policy"] == "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09"
    # Its own name: the asg platform's ALB is nox-prod-api, and both exist during a platform switch.
    assert ann[A + "load-balancer-name"] == "nox-prod-eks-api"
    lb = parse_string_map(ann[A + "load-balancer-attributes"])
    assert lb["idle_timeout.timeout_seconds"] == "3600"
    assert lb["routing.http.drop_invalid_header_fields.enabled"] == "true"
    assert lb["deletion_protection.enabled"] == "true"
    assert lb["access_logs.s3.enabled"] == "true" and lb["access_logs.s3.bucket"]
    assert parse_string_map(ann[A + "target-group-attributes"]) == {"deregistration_delay.timeout_seconds": "30"}
    # Seed docker-compose healthcheck: every 30 s, 10 s timeout, 3 retries.
    assert {k.removeprefix(A): v for k, v in ann.items() if "health" in k or k == A + "success-codes"} == {
        "healthcheck-path": "/health",
        "healthcheck-interval-seconds": "30",
        "healthcheck-timeout-seconds": "10",
        "healthy-threshold-count": "2",
        "unhealthy-threshold-count": "3",
        "success-codes": "200",
    }
    assert prod.one("kubernetes:helm.sh/v3:Release", "cluster-lb-controller")["urn"] in prod.one(INGRESS)["dependencies"]


def test_dev_alb_has_no_deletion_protection(plan_for):
    lb = parse_string_map(annotations(plan_for("dev", EKS))[A + "load-balancer-attributes"])
    assert lb["deletion_protection.enabled"] == "false"


@pytest.mark.parametrize("teardown", ["platform", "stack"])
def test_teardown_turns_the_ingress_alb_protection_off(plan_for, teardown):
    # The controller cannot delete a protected ALB: the Ingress finalizer (and `pulumi destroy`) would hang.
    lb = parse_string_map(annotations(plan_for("prod", f"nox:teardown={teardown}"))[A + "load-balancer-attributes"])
    assert lb["deletion_protection.enabled"] == "false"


def test_eks_load_balancer_name_fits_elb_rules():
    from components.workload import eks_load_balancer_name

    assert eks_load_balancer_name("nox-prod") == "nox-prod-eks-api"
    long = eks_load_balancer_name("nox-" + "a" * 20)  # 32 characters cut at a hyphen
    assert len(long) <= 32 and not long.endswith("-") and long.startswith("nox-aaaa")


def test_listener_attributes_carry_security_and_cors_headers(prod):
    parsed = parse_string_map(annotations(prod)[A + "listener-attributes.HTTPS-443"])
    assert parsed == appspec.response_header_attributes("https://app.nox.example.com")
    assert parsed["routing.http.response.access_control_allow_methods.header_value"].count(",") >= 2


def test_string_map_escapes_commas():
    assert w.string_map({"a": "x,y", "b": "k=v"}) == "a=x\\,y,b=k=v"
    assert parse_string_map(w.string_map({"a": "x,y", "b": "k=v"})) == {"a": "x,y", "b": "k=v"}


def test_forward_action_service_port_is_a_number():
    # servicePort is an IntOrString: the string "80" would name a port called "80".
    [tg] = json.loads(w.forward_action([("svc", 80, 100)]))["forwardConfig"]["targetGroups"]
    assert tg["servicePort"] == 80 and isinstance(tg["servicePort"], int)


@pytest.mark.parametrize("args", [("prod", EKS), canary(10)], ids=["bluegreen", "canary"])
def test_every_forward_target_resolves_to_a_service_port(plan_for, args):
    plan = plan_for(*args)
    services = {m["metadata"]["name"]: m["spec"]["ports"] for m in manifests(plan) if m["kind"] == "Service"}
    actions = {k: json.loads(v) for k, v in annotations(plan).items() if k.startswith(A + "actions.")}
    assert actions
    for key, action in actions.items():
        for tg in action["forwardConfig"]["targetGroups"]:
            port = tg["servicePort"]
            # The controller's LookupServicePort: a JSON string matches a port's name, a number its port.
            found = [p for p in services[tg["serviceName"]] if (p.get("name") == port if isinstance(port, str) else p["port"] == port)]
            assert len(found) == 1, (key, tg)


def test_deployment_waits_for_the_database_role_and_the_cache(prod):
    deps = set(prod.one(DEPLOYMENT)["dependencies"])
    assert prod.one("aws:lambda/invocation:Invocation", "db-roles-app-role")["urn"] in deps
    assert prod.one("aws:elasticache/replicationGroup:ReplicationGroup")["urn"] in deps


def test_deployment_waits_for_the_app_role_policy(prod):
    sa = obj(prod, "ServiceAccount", "nox-api")
    role_name = sa["metadata"]["annotations"]["eks.amazonaws.com/role-arn"].rsplit("/", 1)[-1]
    [role] = [r for r in prod.of_type("aws:iam/role:Role") if role_name.startswith(r["name"] + "-") or role_name == r["name"]]
    [inline] = [r for r in prod.of_type("aws:iam/rolePolicy:RolePolicy") if r["parent"] == role["urn"]]
    assert inline["urn"] in prod.one(DEPLOYMENT, "workload-blue")["dependencies"]


def test_bluegreen_single_colour_has_no_canary_rule(prod):
    ann = annotations(prod)
    assert target_groups(ann, "nox-api-weighted") == {"nox-api-service-blue": 100}
    assert target_groups(ann, "nox-websocket-weighted") == {"nox-websocket-service-blue": 100}
    assert not [k for k in ann if "canary" in k]


@pytest.mark.parametrize("weight", CANARY_STAGES)
def test_canary_stage_weights(plan_for, weight):
    plan = plan_for(*canary(weight))
    ann = annotations(plan)
    for k in ann:  # every JSON annotation parses
        if "/actions." in k or "/conditions." in k or k.endswith("listen-ports"):
            json.loads(ann[k])
    api = target_groups(ann, "nox-api-weighted")
    ws = target_groups(ann, "nox-websocket-weighted")
    assert sum(api.values()) == sum(ws.values()) == 100
    assert api == {"nox-api-service-blue": 100 - weight, "nox-api-service-green": weight}
    assert ws == {"nox-websocket-service-blue": 100 - weight, "nox-websocket-service-green": weight}
    assert plan.outputs["trafficWeights"] == {"blue": 100 - weight, "green": weight}
    # The seed's header override: X-Canary-User: true always reaches the candidate.
    assert target_groups(ann, "nox-api-canary") == {"nox-api-service-green": 100}
    assert json.loads(ann[A + "conditions.nox-api-canary"]) == [
        {"field": "http-header", "httpHeaderConfig": {"httpHeaderName": "X-Canary-User", "values": ["true"]}}
    ]
    paths = [p["backend"]["service"]["name"] for p in plan.one(INGRESS)["inputs"]["spec"]["rules"][0]["http"]["paths"]]
    assert paths == ["nox-websocket-canary", "nox-api-canary", "nox-websocket-weighted", "nox-api-weighted"]
    assert {m["metadata"]["name"] for m in manifests(plan) if m["kind"] == "Deployment"} == {"nox-api-blue", "nox-api-green"}


def test_blue_green_switch(plan_for):
    plan = plan_for("prod", "nox:releaseActive=green", f"nox:imageGreen={GREEN}")
    ann = annotations(plan)
    assert target_groups(ann, "nox-api-weighted") == {"nox-api-service-green": 100}
    assert not [k for k in ann if "canary" in k]
    # The idle colour runs no pods, like its EC2 Auto Scaling group scaled to zero.
    assert {m["metadata"]["name"] for m in manifests(plan) if m["kind"] == "Deployment"} == {"nox-api-green"}
    green = obj(plan, "Deployment", "nox-api-green")["spec"]["template"]["spec"]["containers"][0]
    assert green["image"] == GREEN


def test_staged_candidate_is_idle_under_bluegreen(plan_for):
    plan = plan_for("prod", f"nox:imageGreen={GREEN}")
    assert {m["metadata"]["name"] for m in manifests(plan) if m["kind"] == "Deployment"} == {"nox-api-blue"}
    assert target_groups(annotations(plan), "nox-api-weighted") == {"nox-api-service-blue": 100}


def test_canary_at_zero_warms_the_candidate_for_header_testing(plan_for):
    plan = plan_for(*canary(0))
    ann = annotations(plan)
    assert target_groups(ann, "nox-api-weighted") == {"nox-api-service-blue": 100, "nox-api-service-green": 0}
    assert target_groups(ann, "nox-api-canary") == {"nox-api-service-green": 100}
    assert obj(plan, "HorizontalPodAutoscaler", "nox-api-hpa-green")["spec"]["minReplicas"] == 3


def test_weights_from_the_release_settings_match_the_ec2_path(plan_for):
    # One config change shifts traffic on either platform: both read ReleaseSettings.weights.
    plan = plan_for(*canary(25))
    api = target_groups(annotations(plan), "nox-api-weighted")
    assert {k.rsplit("-", 1)[-1]: v for k, v in api.items()} == plan.outputs["trafficWeights"]


@pytest.mark.parametrize(("stack", "replica"), [("prod", True), ("dev", False)])
def test_readonly_host_reaches_pods_only_with_a_replica(plan_for, stack, replica):
    plan = plan_for(stack, EKS)
    for deployment in plan.of_type(DEPLOYMENT):
        env = {e["name"]: e for e in deployment["inputs"]["spec"]["template"]["spec"]["containers"][0]["env"]}
        if replica:
            replica_id = plan.one("aws:rds/instance:Instance", "database-replica")["inputs"]["identifier"]
            assert env["DATABASE_READONLY_HOST"]["value"].startswith(f"{replica_id}.")
        else:
            assert "DATABASE_READONLY_HOST" not in env
