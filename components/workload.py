"""The NOX API on Kubernetes: the seed's "Horizontal Scaling with Kubernetes" and "Kubernetes
Ingress with SSL", hardened, with blue/green and canary driven by the same release settings as
the EC2 path.

One Deployment, Service pair, HPA and PDB per serving colour (`ReleaseSettings.serving`: the active
colour, and the candidate during a canary; an idle candidate runs no pods, like its EC2 group scaled
to zero); one Ingress whose weighted forward actions split traffic between the colours' Services
(the ALB does the split, as on EC2), plus a header rule that sends `X-Canary-User: true` to the
candidate while it serves.
"""

from __future__ import annotations

import functools
import hashlib
import json
import shlex
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from settings import StackSettings
from settings.schema import APP_POD_CPU_MILLI, APP_POD_MEMORY_MIB

from . import appspec
from .edge import ACCESS_LOG_PREFIX
from .eks.iam import irsa_role

if TYPE_CHECKING:
    from settings.model import ReleaseSettings

    from .appaccess import AppAccess
    from .cluster import Cluster
    from .edge import Edge

NAMESPACE = "nox"
APP = "nox-api"
SERVICE_ACCOUNT = "nox-api"
API_SERVICE = "nox-api-service"
WS_SERVICE = "nox-websocket-service"
API_SERVICE_PORT = 80
# Service labels the ServiceMonitors select on; the component values are the seed's scrape job names.
COMPONENT_LABEL = "app.kubernetes.io/component"
API_COMPONENT = "nox-api"
WS_COMPONENT = "nox-websocket"
INGRESS_NAME = "nox-api-ingress"
INGRESS_CLASS = "alb"
ANNOTATION = "alb.ingress.kubernetes.io"
ESCAPED_COMMA = "\\,"  # a literal comma inside a stringMap annotation value

# The ALB's weighted actions and the canary header rule (backend names are action names).
API_ACTION = "nox-api-weighted"
WS_ACTION = "nox-websocket-weighted"
API_CANARY_ACTION = "nox-api-canary"
WS_CANARY_ACTION = "nox-websocket-canary"

# Seed container resources and probes (the requests are settings' too: the NodePool capacity rule).
REQUESTS = {"memory": f"{APP_POD_MEMORY_MIB}Mi", "cpu": f"{APP_POD_CPU_MILLI}m"}
LIMITS = {"memory": "512Mi", "cpu": "500m"}
LIVENESS = {"initialDelaySeconds": 30, "periodSeconds": 10}
READINESS = {"initialDelaySeconds": 5, "periodSeconds": 5}
# The seed's --max-old-space-size=512 equals the 512Mi limit: V8's old space alone could reach the
# limit before new space, code, buffers and native memory are counted, and the kernel OOM-kills
# the pod instead of Node collecting garbage. 384 MB (75 % of the limit) leaves that headroom.
HEAP_MB = 384
NODE_OPTIONS = f"--max-old-space-size={HEAP_MB}"

# Seed HPA.
HPA_CPU_PERCENT = 70
HPA_MEMORY_PERCENT = 80
HPA_BEHAVIOR = {
    "scaleUp": {"stabilizationWindowSeconds": 60, "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}]},
    "scaleDown": {"stabilizationWindowSeconds": 300, "policies": [{"type": "Percent", "value": 50, "periodSeconds": 60}]},
}

# Graceful shutdown: keep serving until the ALB has stopped sending and drained in-flight requests,
# then leave the app time to close connections after SIGTERM.
PRE_STOP_SECONDS = appspec.DEREGISTRATION_DELAY_SECONDS + 10
SHUTDOWN_SECONDS = 30
TERMINATION_GRACE_SECONDS = PRE_STOP_SECONDS + SHUTDOWN_SECONDS
TMP_SIZE = "128Mi"

DNS_PORT = 53
POSTGRES_PORT = 5432
REDIS_PORT = 6379
HTTPS_PORT = 443


def deployment_name(colour: str) -> str:
    return f"{APP}-{colour}"


def api_service_name(colour: str) -> str:
    return f"{API_SERVICE}-{colour}"


def ws_service_name(colour: str) -> str:
    return f"{WS_SERVICE}-{colour}"


def labels(colour: str) -> dict[str, str]:
    return {"app": APP, "colour": colour}


def forward_action(targets: list[tuple[str, int, int]]) -> str:
    """The controller's `actions.<name>` JSON: forward to Services (name, port) with weights."""
    return json.dumps(
        {
            "type": "forward",
            "forwardConfig": {
                # servicePort is an IntOrString: a JSON string names a Service port ("http"), a JSON
                # number is the port number. "80" would look for a port *named* "80" and fail.
                "targetGroups": [{"serviceName": n, "servicePort": p, "weight": w} for n, p, w in targets],
                # Off: with stickiness a rollback (weight 0) would keep stuck clients on the bad colour.
                "targetGroupStickinessConfig": {"enabled": False},
            },
        },
        separators=(",", ":"),
    )


def canary_conditions() -> str:
    """`conditions.<name>` JSON: the seed's `if ($http_x_canary_user = "true")`."""
    return json.dumps(
        [{"field": "http-header", "httpHeaderConfig": {"httpHeaderName": appspec.CANARY_HEADER, "values": [appspec.CANARY_HEADER_VALUE]}}],
        separators=(",", ":"),
    )


def string_map(attributes: dict[str, str]) -> str:
    """The controller's stringMap annotation format: k=v pairs joined by commas. A comma inside a
    value is escaped as `\\,` (controller v2.14.1+, kubernetes-sigs/aws-load-balancer-controller#4363)."""
    return ",".join(k + "=" + v.replace(",", ESCAPED_COMMA) for k, v in attributes.items())


def eks_load_balancer_name(prefix: str) -> str:
    """The Ingress's ALB name: at most 32 characters, never ending in a hyphen (ELB naming rules)."""
    return f"{prefix}-eks-api"[:32].rstrip("-")


def ingress_annotations(settings: StackSettings, certificate_arn: str, web_acl_arn: str, log_bucket: str) -> dict[str, str]:
    """Every ALB setting of the Ingress, the same posture as the EC2 path's ALB."""
    e, r = settings.edge, settings.release
    lb_attributes = {
        "idle_timeout.timeout_seconds": str(e.idle_timeout),  # long-lived WebSockets
        "routing.http.drop_invalid_header_fields.enabled": "true",
        "routing.http.desync_mitigation_mode": "defensive",
        # Off under `nox:teardown` (platform or stack): the controller cannot delete a protected ALB,
        # so the Ingress finalizer, and with it `pulumi destroy`, would hang.
        "deletion_protection.enabled": "true" if settings.platform_protect else "false",
        "access_logs.s3.enabled": "true",
        "access_logs.s3.bucket": log_bucket,
        "access_logs.s3.prefix": ACCESS_LOG_PREFIX,
    }
    a = {
        "scheme": "internet-facing",
        "target-type": "ip",  # pods are targets: no NodePort, no second hop
        # Not the asg ALB's nox-<stack>-api: both exist for a while during a platform switch.
        "load-balancer-name": eks_load_balancer_name(settings.name),
        "listen-ports": json.dumps([{"HTTP": 80}, {"HTTPS": 443}]),
        "ssl-redirect": "443",
        "certificate-arn": certificate_arn,
        "ssl-policy": e.ssl_policy,
        "wafv2-acl-arn": web_acl_arn,
        "load-balancer-attributes": string_map(lb_attributes),
        f"listener-attributes.HTTPS-{HTTPS_PORT}": string_map(appspec.response_header_attributes(e.cors_allow_origin)),
        "healthcheck-path": appspec.HEALTH_PATH,
        "healthcheck-interval-seconds": str(appspec.HEALTH_INTERVAL_SECONDS),
        "healthcheck-timeout-seconds": str(appspec.HEALTH_TIMEOUT_SECONDS),
        "healthy-threshold-count": str(appspec.HEALTHY_THRESHOLD),
        "unhealthy-threshold-count": str(appspec.UNHEALTHY_THRESHOLD),
        "success-codes": "200",
        "target-group-attributes": string_map({"deregistration_delay.timeout_seconds": str(appspec.DEREGISTRATION_DELAY_SECONDS)}),
        "tags": string_map(settings.tags),
    }
    weights, serving = r.weights, r.serving
    a[f"actions.{API_ACTION}"] = forward_action([(api_service_name(c), API_SERVICE_PORT, weights[c]) for c in serving])
    a[f"actions.{WS_ACTION}"] = forward_action([(ws_service_name(c), appspec.WS_PORT, weights[c]) for c in serving])
    if r.candidate in serving:
        a[f"actions.{API_CANARY_ACTION}"] = forward_action([(api_service_name(r.candidate), API_SERVICE_PORT, 100)])
        a[f"actions.{WS_CANARY_ACTION}"] = forward_action([(ws_service_name(r.candidate), appspec.WS_PORT, 100)])
        a[f"conditions.{API_CANARY_ACTION}"] = canary_conditions()
        a[f"conditions.{WS_CANARY_ACTION}"] = canary_conditions()
    return {f"{ANNOTATION}/{k}": v for k, v in a.items()}


def ingress_paths(release: ReleaseSettings) -> list[dict[str, Any]]:
    """ALB rules follow path order: header rules first, then /ws before the catch-all /."""

    def path(p: str, action: str) -> dict[str, Any]:
        return {"path": p, "pathType": "Prefix", "backend": {"service": {"name": action, "port": {"name": "use-annotation"}}}}

    paths = []
    if release.candidate in release.serving:
        paths += [path("/ws", WS_CANARY_ACTION), path("/", API_CANARY_ACTION)]
    return paths + [path("/ws", WS_ACTION), path("/", API_ACTION)]


def container(colour: str, image: str, db_pool_max: int, connection_env: dict[str, Any]) -> dict[str, Any]:
    # No Secret and no secretKeyRef: the app signs IAM tokens for PostgreSQL and Redis with its
    # IRSA role (docs/app-contract.md), so its environment holds only endpoints and settings.
    env = [{"name": k, "value": v} for k, v in appspec.BASE_ENV.items()] + [
        {"name": "DEPLOYMENT_COLOR", "value": colour},
        {"name": "DB_POOL_MAX", "value": str(db_pool_max)},
        {"name": "NODE_OPTIONS", "value": NODE_OPTIONS},
        *({"name": k, "value": v} for k, v in connection_env.items()),
    ]
    return {
        "name": APP,
        "image": image,
        # Always: the kubelet checks the registry on every start (a cached image is reused if its
        # digest matches), so a pod never runs an image its node pulled under other credentials.
        "imagePullPolicy": "Always",
        "ports": [
            {"name": "http", "containerPort": appspec.APP_PORT, "protocol": "TCP"},
            {"name": "websocket", "containerPort": appspec.WS_PORT, "protocol": "TCP"},
        ],
        "env": env,
        "resources": {"requests": dict(REQUESTS), "limits": dict(LIMITS)},
        "livenessProbe": {"httpGet": {"path": appspec.HEALTH_PATH, "port": appspec.APP_PORT}, **LIVENESS},
        "readinessProbe": {"httpGet": {"path": appspec.READY_PATH, "port": appspec.APP_PORT}, **READINESS},
        # Needs no shell or sleep binary in the image (GA in Kubernetes 1.34, beta on by default since 1.30).
        "lifecycle": {"preStop": {"sleep": {"seconds": PRE_STOP_SECONDS}}},
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
    }


def pod_spec(colour: str, image: str, db_pool_max: int, connection_env: dict[str, Any]) -> dict[str, Any]:
    def spread(key: str) -> dict[str, Any]:
        # ScheduleAnyway: prefer spreading, but a full zone must not leave pods Pending while others have room.
        return {"maxSkew": 1, "topologyKey": key, "whenUnsatisfiable": "ScheduleAnyway", "labelSelector": {"matchLabels": labels(colour)}}

    return {
        "serviceAccountName": SERVICE_ACCOUNT,
        # The app never calls the Kubernetes API. IRSA does not need this token: the EKS pod
        # identity webhook injects its own projected token volume (aws-iam-token).
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "terminationGracePeriodSeconds": TERMINATION_GRACE_SECONDS,
        "securityContext": {
            "runAsNonRoot": True,
            # Not the image's uid 1001: a uid above 10000 (appspec.RUN_AS_UID says why the seed image allows it).
            "runAsUser": appspec.RUN_AS_UID,
            "runAsGroup": appspec.RUN_AS_UID,
            "fsGroup": appspec.RUN_AS_UID,  # also makes the projected IRSA token readable by the app
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "topologySpreadConstraints": [spread("topology.kubernetes.io/zone"), spread("kubernetes.io/hostname")],
        "containers": [container(colour, image, db_pool_max, connection_env)],
        "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": TMP_SIZE}}],
    }


# The migration Job (docs/releases.md "Migrations"): kept a week after it finishes, so
# `kubectl logs job/<name>` shows its output; one attempt (a failed migration is a failed release,
# never retried behind the driver's back).
MIGRATION_COMPONENT = "migration"
MIGRATION_TTL_SECONDS = 7 * 86_400


def migration_job_name(image: str) -> str:
    """`nox-api-migrate-<12 hex>`: the image's digest (or the sha256 of a tag reference), so each
    image migrates once and a new one is a new Job (a Job's pod template is immutable)."""
    _, _, digest = image.partition("@sha256:")
    return f"{APP}-migrate-{(digest or hashlib.sha256(image.encode()).hexdigest())[:12]}"


def migration_job_spec(release: ReleaseSettings, db_pool_max: int, connection_env: dict[str, Any]) -> dict[str, Any]:
    """The Job's spec: the app's pod (identity, env, security) running `migrationCommand` once."""
    image = release.migration_image
    pod = pod_spec("migration", image, db_pool_max, connection_env)
    app = pod["containers"][0]
    for probe_or_port in ("ports", "livenessProbe", "readinessProbe", "lifecycle"):
        del app[probe_or_port]
    app["command"] = shlex.split(release.migration_command)
    app["env"] = [e for e in app["env"] if e["name"] != "DEPLOYMENT_COLOR"]
    del pod["topologySpreadConstraints"]
    pod["restartPolicy"] = "Never"
    return {
        "backoffLimit": 0,
        "activeDeadlineSeconds": release.migration_timeout,
        "ttlSecondsAfterFinished": MIGRATION_TTL_SECONDS,
        "template": {"metadata": {"labels": {"app": APP, COMPONENT_LABEL: MIGRATION_COMPONENT}}, "spec": pod},
    }


@dataclass(frozen=True)
class WorkloadArgs:
    settings: StackSettings
    cluster: Cluster
    access: AppAccess
    edge: Edge
    db_pool_max: int

    def __post_init__(self) -> None:
        r = self.settings.release
        serving = r.serving
        if any(not r.image(c) for c in serving):
            raise ValueError(f"serving colours {serving} need an image each, got {dict(r.images)}")
        if any(w for c, w in r.weights.items() if c not in serving):
            raise ValueError(f"traffic weights {r.weights} send traffic to a colour that does not serve {serving}")
        if self.db_pool_max < 1:
            raise ValueError("db_pool_max must be at least 1")


class Workload(pulumi.ComponentResource):
    """Namespace, identity, Deployments, Services, HPAs, PDBs, NetworkPolicies, Ingress."""

    namespace: k8s.core.v1.Namespace
    deployments: dict[str, k8s.apps.v1.Deployment]
    ingress: k8s.networking.v1.Ingress

    def __init__(self, name: str, args: WorkloadArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("nox:eks:Workload", name, None, opts)
        r, cluster = args.settings.release, args.cluster
        self._k8s_opts = pulumi.ResourceOptions(parent=self, provider=cluster.k8s_provider)
        self.namespace = self._namespace(name, args)
        ns = self.namespace.metadata.name
        role, role_grants = self._identity(name, args, ns)
        connection_env = args.access.env()

        if r.migration_image and r.migration_command:
            self._migration(name, args, ns, connection_env, role_grants)
        self.deployments = {}
        services = []
        for colour in r.serving:  # one stack per serving colour
            services += self._colour(name, args, colour, ns, connection_env, role_grants)
        # The seed's Service names, on the active colour, for in-cluster clients and scrapers.
        active = labels(r.active)
        services.append(self._service(name, API_SERVICE, active, API_SERVICE_PORT, "http", ns))
        services.append(self._service(name, WS_SERVICE, active, appspec.WS_PORT, "websocket", ns, ws=True))

        self._network_policies(name, args.settings.network.cidr, ns, self._k8s_opts)
        self.ingress = self._ingress(name, args, ns, services)
        self.register_outputs({"namespace": ns, "ingress": self.ingress.metadata.name, "appRoleArn": role.arn, "weights": r.weights})

    def _opts(self, *depends_on: pulumi.Resource, **kwargs: Any) -> pulumi.ResourceOptions:
        """Kubernetes resource options (this component, the cluster's provider) plus dependencies."""
        return pulumi.ResourceOptions.merge(self._k8s_opts, pulumi.ResourceOptions(depends_on=list(depends_on), **kwargs))

    def _namespace(self, name: str, args: WorkloadArgs) -> k8s.core.v1.Namespace:
        s, cluster = args.settings, args.cluster
        pss = f"v{s.eks.version}"  # pin the Pod Security Standard to the cluster's minor version
        return k8s.core.v1.Namespace(
            f"{name}-ns",
            metadata={
                "name": NAMESPACE,
                "labels": {
                    "pod-security.kubernetes.io/enforce": "restricted",
                    "pod-security.kubernetes.io/enforce-version": pss,
                    "pod-security.kubernetes.io/audit": "restricted",
                    "pod-security.kubernetes.io/audit-version": pss,
                    "pod-security.kubernetes.io/warn": "restricted",
                    "pod-security.kubernetes.io/warn-version": pss,
                    # The LB controller injects readiness gates: a new pod counts as ready only once it
                    # is healthy in its ALB target group, so rolling updates never shrink capacity.
                    "elbv2.k8s.aws/pod-readiness-gate-inject": "enabled",
                },
            },
            opts=self._opts(cluster.lb_controller),
        )

    def _identity(self, name: str, args: WorkloadArgs, ns: pulumi.Output[str]) -> tuple[aws.iam.Role, list[pulumi.Resource]]:
        """The app's IRSA role (its database and cache login) and its service account."""
        cluster = args.cluster
        # The Deployment depends on the role's grants: a pod must not start before it may log in.
        # (The inline policy keeps its logical name from when it read the app secret: same URN.)
        role, role_grants = irsa_role(
            f"{name}-app-role",
            oidc_provider=cluster.oidc_provider,
            issuer_url=cluster.oidc_issuer,
            namespace=NAMESPACE,
            service_account=SERVICE_ACCOUNT,
            parent=self,
            inline_policy=args.access.policy_json(),
        )
        self.service_account = k8s.core.v1.ServiceAccount(
            f"{name}-sa",
            metadata={
                "name": SERVICE_ACCOUNT,
                "namespace": ns,
                "labels": {"app": APP},
                "annotations": {"eks.amazonaws.com/role-arn": role.arn},
            },
            automount_service_account_token=False,
            opts=self._k8s_opts,
        )
        return role, role_grants

    def _migration(
        self, name: str, args: WorkloadArgs, ns: pulumi.Output[str], connection_env: pulumi.Output[Any], role_grants: list[pulumi.Resource]
    ) -> k8s.batch.v1.Job:
        """The release's migration Job, awaited by `pulumi up`: the provider waits for its Complete
        condition and fails the update at once on Failed (pulumi-kubernetes batch/v1 Job await);
        replaceUnready makes a retry of the same image a new Job, not a wait on the failed one."""
        r = args.settings.release
        return k8s.batch.v1.Job(
            f"{name}-migrate",
            metadata={
                "name": migration_job_name(r.migration_image),
                "namespace": ns,
                "labels": {"app": APP, COMPONENT_LABEL: MIGRATION_COMPONENT},
                "annotations": {"pulumi.com/replaceUnready": "true"},
            },
            spec=connection_env.apply(functools.partial(migration_job_spec, r, args.db_pool_max)),
            opts=self._opts(
                self.service_account,
                *role_grants,
                *args.access.ready,
                custom_timeouts=pulumi.CustomTimeouts(create=f"{r.migration_timeout + 60}s", update=f"{r.migration_timeout + 60}s"),
            ),
        )

    def _colour(
        self,
        name: str,
        args: WorkloadArgs,
        colour: str,
        ns: pulumi.Output[str],
        connection_env: pulumi.Output[Any],
        role_grants: list[pulumi.Resource],
    ) -> list[k8s.core.v1.Service]:
        """One serving colour: its Deployment, Services, HPA and PodDisruptionBudget; returns the Services."""
        s, r, cluster = args.settings, args.settings.release, args.cluster
        services = []
        sel = labels(colour)
        self.deployments[colour] = k8s.apps.v1.Deployment(
            f"{name}-{colour}",
            metadata={
                "name": deployment_name(colour),
                "namespace": ns,
                "labels": sel,
            },
            spec={
                # Seed: 3 replicas (hpa_min). The HPA owns the count afterwards: see ignore_changes.
                "replicas": s.eks.hpa_min,
                "selector": {"matchLabels": sel},
                "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": "25%"}},
                "template": {
                    "metadata": {"labels": sel},
                    "spec": connection_env.apply(functools.partial(pod_spec, colour, r.image(colour), args.db_pool_max)),
                },
            },
            # After the database role exists (the pods log in as it at start).
            opts=self._opts(
                self.service_account,
                cluster.lb_controller,
                *cluster.karpenter.capacity,  # its pods run on Karpenter's nodes
                *role_grants,
                *args.access.ready,
                ignore_changes=["spec.replicas"],
            ),
        )

        services.append(self._service(name, api_service_name(colour), sel, API_SERVICE_PORT, "http", ns, colour=colour))
        services.append(self._service(name, ws_service_name(colour), sel, appspec.WS_PORT, "websocket", ns, ws=True, colour=colour))
        k8s.autoscaling.v2.HorizontalPodAutoscaler(
            f"{name}-hpa-{colour}",
            metadata={
                "name": f"{APP}-hpa-{colour}",
                "namespace": ns,
                "labels": sel,
            },
            spec={
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": deployment_name(colour)},
                # A canary candidate keeps the same floor: promoting it lands on a full-size colour.
                "minReplicas": s.eks.hpa_min,
                "maxReplicas": s.eks.hpa_max,
                "metrics": [_utilization("cpu", HPA_CPU_PERCENT), _utilization("memory", HPA_MEMORY_PERCENT)],
                "behavior": HPA_BEHAVIOR,
            },
            opts=self._opts(self.deployments[colour], cluster.metrics_server),
        )
        # maxUnavailable 1 keeps the seed's 3 pods at >= 2, yet never blocks a node drain when
        # the HPA floor is 2 (dev), which minAvailable 2 would.
        k8s.policy.v1.PodDisruptionBudget(
            f"{name}-pdb-{colour}",
            metadata={
                "name": f"{APP}-pdb-{colour}",
                "namespace": ns,
                "labels": sel,
            },
            spec={"maxUnavailable": 1, "selector": {"matchLabels": sel}, "unhealthyPodEvictionPolicy": "AlwaysAllow"},
            opts=self._opts(self.deployments[colour]),
        )
        return services

    def _ingress(
        self, name: str, args: WorkloadArgs, ns: pulumi.Output[str], services: list[k8s.core.v1.Service]
    ) -> k8s.networking.v1.Ingress:
        s, cluster = args.settings, args.cluster
        annotations = pulumi.Output.all(args.edge.certificate_arn, args.edge.web_acl.arn, args.edge.access_log_bucket.bucket).apply(
            lambda a: ingress_annotations(s, a[0], a[1], a[2])
        )
        return k8s.networking.v1.Ingress(
            f"{name}-ingress",
            metadata={
                "name": INGRESS_NAME,
                "namespace": ns,
                "labels": {"app": APP},
                "annotations": annotations,
            },
            spec={
                "ingressClassName": INGRESS_CLASS,
                "rules": [{"host": s.edge.domain, "http": {"paths": ingress_paths(s.release)}}],
            },
            opts=self._opts(cluster.lb_controller, *services),
        )

    def _service(
        self,
        name: str,
        service: str,
        selector: dict[str, str],
        port: int,
        target: str,
        ns: pulumi.Input[str],
        ws: bool = False,
        colour: str | None = None,
    ) -> k8s.core.v1.Service:
        # ClusterIP: the ALB targets pod IPs; the seed's type LoadBalancer would add a second,
        # unprotected (no WAF, no TLS) entry point.
        annotations = {}
        if ws:
            # The WebSocket target group is health-checked on the API port: /health lives there.
            annotations[f"{ANNOTATION}/healthcheck-port"] = str(appspec.APP_PORT)
        # Scrapers select Services by these labels: the component names the scrape job (the seed's
        # job names), and only per-colour Services carry `colour`, so each pod is scraped once (the
        # seed-named Services select the same pods again) and its metrics say which colour they are.
        labels_ = {"app": APP, COMPONENT_LABEL: WS_COMPONENT if ws else API_COMPONENT, **({"colour": colour} if colour else {})}
        return k8s.core.v1.Service(
            f"{name}-svc-{service}",
            metadata={
                "name": service,
                "namespace": ns,
                "labels": labels_,
                "annotations": annotations,
            },
            spec={
                "type": "ClusterIP",
                "selector": selector,
                "ports": [{"name": target, "protocol": "TCP", "port": port, "targetPort": target}],
            },
            opts=self._k8s_opts,
        )

    def _network_policies(self, name: str, vpc_cidr: str, ns: pulumi.Input[str], opts: pulumi.ResourceOptions) -> None:
        k8s.networking.v1.NetworkPolicy(
            f"{name}-default-deny",
            metadata={"name": "default-deny-all", "namespace": ns},
            spec={
                "podSelector": {},
                "policyTypes": ["Ingress", "Egress"],
            },
            opts=opts,
        )

        def tcp(*ports: int) -> list[dict[str, Any]]:
            return [{"protocol": "TCP", "port": p} for p in ports]

        k8s.networking.v1.NetworkPolicy(
            f"{name}-api-policy",
            metadata={"name": APP, "namespace": ns},
            spec={
                "podSelector": {"matchLabels": {"app": APP}},
                "policyTypes": ["Ingress", "Egress"],
                # The ALB (IP targets) and kubelet probes come from inside the VPC.
                "ingress": [{"from": [{"ipBlock": {"cidr": vpc_cidr}}], "ports": tcp(appspec.APP_PORT, appspec.WS_PORT)}],
                "egress": [
                    {
                        "to": [
                            {
                                "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                                "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                            }
                        ],
                        "ports": [{"protocol": "UDP", "port": DNS_PORT}, {"protocol": "TCP", "port": DNS_PORT}],
                    },
                    {"to": [{"ipBlock": {"cidr": vpc_cidr}}], "ports": tcp(POSTGRES_PORT, REDIS_PORT)},
                    # OAuth providers and STS (IRSA). IAM tokens for the stores are signed locally.
                    {"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": tcp(HTTPS_PORT)},
                ],
            },
            opts=opts,
        )


def _utilization(resource: str, percent: int) -> dict[str, Any]:
    return {"type": "Resource", "resource": {"name": resource, "target": {"type": "Utilization", "averageUtilization": percent}}}
