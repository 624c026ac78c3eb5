"""The seed's Prometheus monitoring (prometheus.yml, alert_rules.yml, the Grafana dashboard), per platform.

eks, `ClusterMonitoring`: kube-prometheus-stack (Prometheus Operator, Prometheus on an encrypted gp3
volume, Alertmanager publishing to the stack's SNS topic through IRSA, Grafana with a generated admin
password), ServiceMonitors for the API and WebSocket Services, the four application alerts as a
PrometheusRule and the seed's dashboard for Grafana's sidecar.

asg, `ManagedPrometheus`: an Amazon Managed Service for Prometheus workspace (customer key, logs to an
encrypted log group) evaluating the same four application alerts and routing them to the SNS topic;
the instances remote-write their /metrics to it (components/fleet.py runs the collector).

DatabaseConnectionHigh and RedisMemoryHigh are CloudWatch alarms on both platforms (components/alarms.py,
on RDS DatabaseConnections and ElastiCache DatabaseMemoryUsagePercentage). The seed's postgres and
redis exporters are not run: the app has no stored credential any more (IAM database auth and
ElastiCache RBAC with an IAM user, issue 10), and both exporters take a static password only (an IAM
token expires after 15 minutes). Each alert is evaluated in one place: alert_rules.RULES says where.
"""

from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pulumi_random as random
import yaml

from settings import PrometheusSettings

from . import alert_rules, workload
from .base import Logged, Protected
from .eks.iam import irsa_role
from .kms import encryption_key

# Pinned chart: kube-prometheus-stack 88.5.3 (Prometheus Operator v0.93.1, Grafana chart 12.11.1);
# every value set below exists in that version's values.yaml (and the Grafana subchart's).
CHART = "kube-prometheus-stack"
CHART_VERSION = "88.5.3"
CHART_REPO = "https://prometheus-community.github.io/helm-charts"
RELEASE = "kps"  # short: objects are named kps-grafana, kps-kube-prometheus-stack-prometheus, ...-alertmanager
NAMESPACE = "monitoring"
# The chart's default selectors pick ServiceMonitors and PrometheusRules labelled with the release
# (prometheusSpec.*SelectorNilUsesHelmValues): ours carry the label instead of widening the selectors.
RELEASE_LABEL = {"release": RELEASE}
ALERTMANAGER_SA = "kps-alertmanager"
GRAFANA_SECRET = "grafana-admin"
GRAFANA_SERVICE = f"{RELEASE}-grafana"  # port 80; reach it with `kubectl port-forward` (docs/prometheus.md)
STORAGE_CLASS = "nox-encrypted-gp3"
EBS_CSI = "ebs.csi.aws.com"
ALERTMANAGER_STORAGE_GIB = 2
# Seed prometheus.yml: API scraped every 10 s, the rest at the global 15 s.
API_SCRAPE_INTERVAL = "10s"
SCRAPE_INTERVAL = "15s"
METRICS_PATH = "/metrics"

DASHBOARD_UID = "nox-api-v8"
DASHBOARD_CONFIGMAP = "nox-api-dashboard"
GRAFANA_SCHEMA_VERSION = 41  # current dashboards schema (Grafana 12/13)
PROMETHEUS_DATASOURCE = {"type": "prometheus", "uid": "prometheus"}  # the chart's default datasource uid


# --- pure builders (tested on their own) ---------------------------------------------------------


def alertmanager_config(topic_arn: str, region: str) -> dict[str, Any]:
    """Every alert to the stack's SNS topic, signed with SigV4 (credentials: the pod's IRSA role).

    The chart's Watchdog (an always-firing heartbeat) and InfoInhibitor go nowhere, as in the chart's
    default route; everything else, the seed's six alerts and the chart's Kubernetes alerts, is paged.
    """
    return {
        "route": {
            "receiver": "sns",
            "group_by": ["alertname", "job", "colour"],
            "group_wait": "30s",
            "group_interval": "5m",
            "repeat_interval": "4h",
            "routes": [{"receiver": "null", "matchers": ['alertname =~ "Watchdog|InfoInhibitor"']}],
        },
        "receivers": [
            {"name": "null"},
            {"name": "sns", "sns_configs": [{"topic_arn": topic_arn, "sigv4": {"region": region}, "send_resolved": True}]},
        ],
    }


def amp_alertmanager_definition(topic_arn: str, region: str) -> str:
    """AMP's alert manager definition: `alertmanager_config` holds the Alertmanager YAML as a string."""
    config = {
        "route": {"receiver": "sns", "group_by": ["alertname", "job", "colour"], "repeat_interval": "4h"},
        "receivers": [{"name": "sns", "sns_configs": [{"topic_arn": topic_arn, "sigv4": {"region": region}, "send_resolved": True}]}],
    }
    body = yaml.safe_dump(config, sort_keys=False)
    return "alertmanager_config: |\n" + textwrap.indent(body, "  ")


def publish_policy(topic_arn: str, topic_key_arn: str) -> str:
    """Publish to the topic; the topic is encrypted, so the publisher needs its key too (SNS SSE)."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "PublishAlerts", "Effect": "Allow", "Action": "sns:Publish", "Resource": topic_arn},
                {"Sid": "EncryptedTopic", "Effect": "Allow", "Action": ["kms:GenerateDataKey*", "kms:Decrypt"], "Resource": topic_key_arn},
            ],
        }
    )


def remote_write_url(region: str, workspace_id: str) -> str:
    """The workspace's remote-write endpoint (AMP: <prometheusEndpoint>api/v1/remote_write)."""
    return f"https://aps-workspaces.{region}.amazonaws.com/workspaces/{workspace_id}/api/v1/remote_write"


def _target(index: int, expr: str, legend: str) -> dict[str, Any]:
    return {"refId": chr(ord("A") + index), "datasource": PROMETHEUS_DATASOURCE, "expr": expr, "legendFormat": legend}


def _timeseries(title: str, targets: list[tuple[str, str]], unit: str, x: int, y: int) -> dict[str, Any]:
    return {
        "type": "timeseries",
        "title": title,
        "datasource": PROMETHEUS_DATASOURCE,
        "gridPos": {"h": 8, "w": 12, "x": x, "y": y},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "targets": [_target(i, e, leg) for i, (e, leg) in enumerate(targets)],
    }


def dashboard() -> dict[str, Any]:
    """The seed's "NOX API v8.0.0 Production Dashboard" in today's schema.

    `graph` panels (retired in Grafana 11) are `timeseries`; `yAxes` is the field unit; the gauge's
    thresholds move into fieldConfig.defaults (base green, yellow from 0.5, red from 0.8). Queries fixed
    like the rules: the app labels status as `status_code` (the seed's `status` legend was always
    empty), and percentiles come from buckets summed by `le`, not one quantile per series.
    """

    def quantile(q: str) -> str:
        return f"histogram_quantile({q}, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))"

    gauge = {
        "type": "gauge",
        "title": "AI Security Threat Level",
        "datasource": PROMETHEUS_DATASOURCE,
        "gridPos": {"h": 8, "w": 12, "x": 12, "y": 8},
        "targets": [_target(0, "avg(ai_security_threat_level)", "Avg Threat Level")],
        "fieldConfig": {
            "defaults": {
                "min": 0,
                "max": 1,
                "thresholds": {
                    "mode": "absolute",
                    "steps": [{"color": "green", "value": None}, {"color": "yellow", "value": 0.5}, {"color": "red", "value": 0.8}],
                },
            },
            "overrides": [],
        },
        "options": {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False}, "showThresholdMarkers": True},
    }
    stat = {
        "type": "stat",
        "title": "WebSocket Connections",
        "datasource": PROMETHEUS_DATASOURCE,
        "gridPos": {"h": 8, "w": 12, "x": 0, "y": 8},
        "targets": [_target(0, "sum(websocket_active_connections)", "Active Connections")],
        "fieldConfig": {"defaults": {"unit": "short"}, "overrides": []},
        "options": {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False}},
    }
    panels = [
        _timeseries(
            "Request Rate",
            [("sum by (method, status_code) (rate(http_requests_total[5m]))", "{{method}} {{status_code}}")],
            "reqps",
            0,
            0,
        ),
        _timeseries(
            "Response Time",
            [(quantile("0.50"), "50th percentile"), (quantile("0.95"), "95th percentile"), (quantile("0.99"), "99th percentile")],
            "s",
            12,
            0,
        ),
        stat,
        gauge,
    ]
    for i, panel in enumerate(panels, start=1):
        panel["id"] = i
    return {
        "uid": DASHBOARD_UID,
        "title": "NOX API v8.0.0 Production Dashboard",
        "tags": ["nox", "api", "production"],
        "timezone": "utc",
        "schemaVersion": GRAFANA_SCHEMA_VERSION,
        "editable": False,
        "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"},
        "panels": panels,
    }


# --- eks ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClusterMonitoringArgs(Protected):
    settings: PrometheusSettings
    region: str
    cluster: Any  # components.cluster.Cluster: k8s_provider, oidc_*, ebs_csi_role/addon, metrics_server
    topic_arn: pulumi.Input[str]
    topic_key_arn: pulumi.Input[str]
    pss_version: str  # Pod Security Standard version label, the cluster's minor version
    runbook_base_url: str  # nox:runbookBaseUrl: each rule's runbook_url


class ClusterMonitoring(pulumi.ComponentResource):
    """kube-prometheus-stack with the seed's scrape targets, alerts and dashboard (platform eks)."""

    namespace: k8s.core.v1.Namespace
    volume_key: aws.kms.Key
    storage_class: k8s.storage.v1.StorageClass
    alertmanager_role: aws.iam.Role
    release: k8s.helm.v3.Release
    rule: k8s.apiextensions.CustomResource

    def __init__(self, name: str, args: ClusterMonitoringArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("nox:prometheus:ClusterMonitoring", name, None, opts)
        self._name, self._args = name, args
        self._k8s = pulumi.ResourceOptions(parent=self, provider=args.cluster.k8s_provider)
        self._namespace_and_storage()
        grafana_secret = self._grafana_admin()
        alertmanager_grants = self._alertmanager_identity()
        self.release = self._release(depends_on=[self.storage_class, grafana_secret, *alertmanager_grants])
        self._scrape_targets()
        # The four application alerts; DatabaseConnectionHigh and RedisMemoryHigh are CloudWatch
        # alarms (components/alarms.py): no exporter could log in without a stored password.
        self.rule = self._custom(
            "rules",
            "PrometheusRule",
            alert_rules.GROUP,
            {"groups": alert_rules.rule_groups(alert_rules.PROMETHEUS_ALERTS, args.runbook_base_url)["groups"]},
        )
        self._dashboard()
        self.register_outputs(
            {"namespace": NAMESPACE, "grafanaService": GRAFANA_SERVICE, "alertmanagerRoleArn": self.alertmanager_role.arn}
        )

    def _opts(self, *depends_on: pulumi.Resource) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions.merge(self._k8s, pulumi.ResourceOptions(depends_on=list(depends_on)))

    def _namespace_and_storage(self) -> None:
        a, name = self._args, self._name
        pss = f"v{a.pss_version}"
        # Restricted like the app's namespace: node-exporter (host network and PID) is off, and
        # every chart pod left runs non-root with seccomp and no capabilities.
        modes = ("enforce", "audit", "warn")
        self.namespace = k8s.core.v1.Namespace(
            f"{name}-ns",
            metadata={
                "name": NAMESPACE,
                "labels": {
                    **{f"pod-security.kubernetes.io/{m}": "restricted" for m in modes},
                    **{f"pod-security.kubernetes.io/{m}-version": pss for m in modes},
                },
            },
            opts=self._k8s,
        )
        # The EBS CSI driver creates the volumes with its IRSA role: the key policy names it
        # (use, and grants for the attached volume), as AWS documents for EBS with customer keys.
        self.volume_key = encryption_key(
            f"{a.name_prefix}-prometheus",
            description=f"{a.name_prefix} Prometheus and Alertmanager volumes (EKS)",
            parent=self,
            service_roles=[a.cluster.ebs_csi_role.arn],
            protect=a.protect,
        )
        self.storage_class = k8s.storage.v1.StorageClass(
            f"{name}-gp3",
            metadata={"name": STORAGE_CLASS},
            provisioner=EBS_CSI,
            parameters={"type": "gp3", "encrypted": "true", "kmsKeyId": self.volume_key.arn},
            # Bound where the pod is scheduled (EBS volumes live in one AZ).
            volume_binding_mode="WaitForFirstConsumer",
            allow_volume_expansion=True,
            # A deleted claim keeps its volume where deletion protection is on (metrics history).
            reclaim_policy="Retain" if a.protect else "Delete",
            opts=self._opts(a.cluster.ebs_csi_addon),
        )

    def _grafana_admin(self) -> k8s.core.v1.Secret:
        password = random.RandomPassword(f"{self._name}-grafana-admin", length=32, special=False, opts=pulumi.ResourceOptions(parent=self))
        return k8s.core.v1.Secret(
            f"{self._name}-grafana-admin",
            metadata={"name": GRAFANA_SECRET, "namespace": self.namespace.metadata.name},
            type="Opaque",
            string_data={"admin-user": "admin", "admin-password": pulumi.Output.secret(password.result)},
            opts=self._k8s,
        )

    def _alertmanager_identity(self) -> list[pulumi.Resource]:
        a = self._args
        policy = pulumi.Output.all(a.topic_arn, a.topic_key_arn).apply(lambda v: publish_policy(v[0], v[1]))
        self.alertmanager_role, grants = irsa_role(
            f"{self._name}-alertmanager-role",
            oidc_provider=a.cluster.oidc_provider,
            issuer_url=a.cluster.oidc_issuer,
            namespace=NAMESPACE,
            service_account=ALERTMANAGER_SA,
            parent=self,
            inline_policy=policy,
        )
        return grants

    def _release(self, depends_on: list[pulumi.Resource]) -> k8s.helm.v3.Release:
        a = self._args
        values = pulumi.Output.all(self.alertmanager_role.arn, a.topic_arn).apply(lambda v: helm_values(a.settings, a.region, v[0], v[1]))
        return k8s.helm.v3.Release(
            f"{self._name}-kps",
            name=RELEASE,
            chart=CHART,
            version=CHART_VERSION,
            repository_opts={"repo": CHART_REPO},
            namespace=self.namespace.metadata.name,
            values=values,
            timeout=900,  # CRDs, webhook certificate job, volumes bound on first schedule
            # Nodes (Karpenter's: it does not tolerate the system taint), DNS and the EBS CSI driver
            # must be up; the role's grants before Alertmanager sends.
            opts=self._opts(a.cluster.metrics_server, a.cluster.ebs_csi_addon, *a.cluster.karpenter.capacity, *depends_on),
        )

    def _custom(self, suffix: str, kind: str, obj_name: str, spec: dict[str, Any]) -> k8s.apiextensions.CustomResource:
        return k8s.apiextensions.CustomResource(
            f"{self._name}-{suffix}",
            api_version="monitoring.coreos.com/v1",
            kind=kind,
            metadata={"name": obj_name, "namespace": NAMESPACE, "labels": RELEASE_LABEL},
            spec=spec,
            opts=self._opts(self.release),  # the CRDs come with the chart
        )

    def _scrape_targets(self) -> None:
        for component, port, interval in (
            (workload.API_COMPONENT, "http", API_SCRAPE_INTERVAL),
            (workload.WS_COMPONENT, "websocket", SCRAPE_INTERVAL),
        ):
            self._custom(f"sm-{component}", "ServiceMonitor", component, app_service_monitor(component, port, interval))

    def _dashboard(self) -> None:
        k8s.core.v1.ConfigMap(
            f"{self._name}-dashboard",
            metadata={
                "name": DASHBOARD_CONFIGMAP,
                "namespace": self.namespace.metadata.name,
                "labels": {"grafana_dashboard": "1"},  # the chart's dashboard sidecar label and value
            },
            data={"nox-api.json": json.dumps(dashboard(), sort_keys=True)},
            opts=self._k8s,
        )


def app_service_monitor(component: str, port: str, interval: str) -> dict[str, Any]:
    """Scrape one of the app's per-colour Services (each pod once), job named for the component."""
    return {
        "jobLabel": workload.COMPONENT_LABEL,
        "targetLabels": ["colour"],
        "namespaceSelector": {"matchNames": [workload.NAMESPACE]},
        "selector": {
            "matchLabels": {"app": workload.APP, workload.COMPONENT_LABEL: component},
            "matchExpressions": [{"key": "colour", "operator": "Exists"}],
        },
        "endpoints": [{"port": port, "path": METRICS_PATH, "interval": interval, "scheme": "http"}],
    }


def _hardened_container() -> dict[str, Any]:
    return {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def _resources(cpu: str, memory: str, cpu_limit: str, memory_limit: str) -> dict[str, Any]:
    return {"requests": {"cpu": cpu, "memory": memory}, "limits": {"cpu": cpu_limit, "memory": memory_limit}}


def _claim(gib: int) -> dict[str, Any]:
    spec = {"storageClassName": STORAGE_CLASS, "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": f"{gib}Gi"}}}
    return {"volumeClaimTemplate": {"spec": spec}}


def helm_values(settings: PrometheusSettings, region: str, alertmanager_role_arn: str, topic_arn: str) -> dict[str, Any]:
    """kube-prometheus-stack values (every key checked against the pinned chart's values.yaml)."""
    # Keep 15 % of the volume free: Prometheus deletes old blocks by size before the disk fills.
    retention_size = f"{int(settings.storage_gib * 0.85)}GiB"
    return {
        # EKS runs the control plane: its components cannot be scraped, their targets would be down.
        "kubeControllerManager": {"enabled": False},
        "kubeScheduler": {"enabled": False},
        "kubeEtcd": {"enabled": False},
        "kubeProxy": {"enabled": False},  # EKS's kube-proxy serves metrics on 127.0.0.1 only
        # Host network and PID (forbidden by the restricted Pod Security Standard); node metrics come
        # from Container Insights (the amazon-cloudwatch-observability add-on).
        "nodeExporter": {"enabled": False},
        "prometheusOperator": {
            "resources": _resources("100m", "128Mi", "500m", "256Mi"),
            "admissionWebhooks": {"patch": {"resources": _resources("10m", "32Mi", "100m", "64Mi")}},
        },
        "kube-state-metrics": {"resources": _resources("50m", "128Mi", "200m", "256Mi")},
        "prometheus": {
            "prometheusSpec": {
                "retention": settings.retention,
                "retentionSize": retention_size,
                "storageSpec": _claim(settings.storage_gib),
                "resources": _resources("250m", "1Gi", "1", "2Gi"),
                "scrapeInterval": SCRAPE_INTERVAL,
                "evaluationInterval": SCRAPE_INTERVAL,  # seed: evaluation_interval 15s
            }
        },
        "alertmanager": {
            "serviceAccount": {
                "create": True,
                "name": ALERTMANAGER_SA,
                "annotations": {"eks.amazonaws.com/role-arn": alertmanager_role_arn},
            },
            "config": alertmanager_config(topic_arn, region),
            "alertmanagerSpec": {"storage": _claim(ALERTMANAGER_STORAGE_GIB), "resources": _resources("50m", "64Mi", "200m", "128Mi")},
        },
        "grafana": {
            "admin": {"existingSecret": GRAFANA_SECRET, "userKey": "admin-user", "passwordKey": "admin-password"},
            "testFramework": {"enabled": False},  # an unhardened test pod for `helm test`
            "containerSecurityContext": _hardened_container(),
            "extraEmptyDirMounts": [{"name": "tmp", "mountPath": "/tmp"}],  # read-only root: scratch space
            "resources": _resources("100m", "128Mi", "500m", "512Mi"),
            "sidecar": {
                "resources": _resources("20m", "64Mi", "100m", "128Mi"),
                "securityContext": _hardened_container(),
                "dashboards": {"enabled": True, "label": "grafana_dashboard", "labelValue": "1"},
            },
        },
    }


# --- asg ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ManagedPrometheusArgs(Protected, Logged):
    region: str
    # The topic's policy and key policy must let aps.amazonaws.com publish (the alerting component's).
    topic_arn: pulumi.Input[str]
    runbook_base_url: str  # nox:runbookBaseUrl: each rule's runbook_url


class ManagedPrometheus(pulumi.ComponentResource):
    """An AMP workspace evaluating the app's four alerts, routed to SNS; instances remote-write to it."""

    key: aws.kms.Key
    log_group: aws.cloudwatch.LogGroup
    workspace: aws.amp.Workspace
    rules: aws.amp.RuleGroupNamespace
    alert_manager: aws.amp.AlertManagerDefinition
    remote_write_url: pulumi.Output[str]

    def __init__(self, name: str, args: ManagedPrometheusArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("nox:prometheus:ManagedPrometheus", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        prefix, self._region = args.name_prefix, args.region
        self.key = encryption_key(
            f"{prefix}-amp", description=f"{prefix} Amazon Managed Service for Prometheus workspace", parent=self, protect=args.protect
        )
        # AMP's vended logs (rule evaluation and alert manager errors) go to a log group of ours.
        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"/aws/vendedlogs/prometheus/{prefix}",
            retention_in_days=args.log_retention_days,
            kms_key_id=args.log_key.arn,
            opts=child,
        )
        self.workspace = aws.amp.Workspace(
            f"{name}-workspace",
            alias=f"{prefix}-nox-api",
            kms_key_arn=self.key.arn,
            logging_configuration={"log_group_arn": self.log_group.arn.apply(lambda arn: f"{arn}:*")},  # AMP wants the `:*` form
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        self.rules = aws.amp.RuleGroupNamespace(
            f"{name}-rules",
            name=alert_rules.GROUP,
            workspace_id=self.workspace.id,
            data=alert_rules.rules_yaml(alert_rules.PROMETHEUS_ALERTS, args.runbook_base_url),
            opts=child,
        )
        self.alert_manager = aws.amp.AlertManagerDefinition(
            f"{name}-alertmanager",
            workspace_id=self.workspace.id,
            definition=pulumi.Output.from_input(args.topic_arn).apply(lambda arn: amp_alertmanager_definition(arn, args.region)),
            opts=child,
        )
        self.remote_write_url = self.workspace.id.apply(lambda ws: remote_write_url(args.region, ws))
        self.register_outputs({"workspaceArn": self.workspace.arn, "remoteWriteUrl": self.remote_write_url})

    def remote_write_policy_json(self) -> pulumi.Output[str]:
        """What a writer may do: remote-write to this workspace, and use its key only through AMP
        (the workspace is encrypted with a customer key; the key policy delegates to IAM)."""

        def policy(arn: str, key_arn: str) -> str:
            statements = [
                {"Sid": "RemoteWrite", "Effect": "Allow", "Action": "aps:RemoteWrite", "Resource": arn},
                {
                    "Sid": "WorkspaceKeyThroughAmp",
                    "Effect": "Allow",
                    "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
                    "Resource": key_arn,
                    "Condition": {"StringEquals": {"kms:ViaService": f"aps.{self._region}.amazonaws.com"}},
                },
            ]
            return json.dumps({"Version": "2012-10-17", "Statement": statements})

        return pulumi.Output.all(self.workspace.arn, self.key.arn).apply(lambda a: policy(*a))
