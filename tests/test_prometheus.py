"""Prometheus monitoring in the whole-stack plans: kube-prometheus-stack and its objects on eks
(validated against the cluster's schema), AMP and the instances' collector on asg, and the
relationships between them (this ServiceMonitor scrapes those Services, that role publishes to
this topic, this key encrypts that volume)."""

from __future__ import annotations

import base64
import json

import kubernetes_validate
import pytest
import yaml

from components import alert_rules, fleet, workload
from components import prometheus as prom
from offline.mocks import _uuid
from policies.nox_policies.stack import selector_matches

EKS, ASG = "nox:platform=eks", "nox:platform=asg"
RELEASE = "kubernetes:helm.sh/v3:Release"
SERVICE_MONITOR = "kubernetes:monitoring.coreos.com/v1:ServiceMonitor"
PROMETHEUS_RULE = "kubernetes:monitoring.coreos.com/v1:PrometheusRule"
MONITORING = "nox:prometheus:ClusterMonitoring$"
# The seed's metrics.js: the metrics the dashboard and the four Prometheus-evaluated rules use.
APP_METRICS = {"http_request_duration_seconds_bucket", "http_requests_total", "websocket_active_connections", "ai_security_threat_level"}


def _ints(value):
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _ints(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_ints(v) for v in value]
    return value


def monitoring_objects(plan) -> list[dict]:
    return [
        _ints(r["inputs"])
        for r in plan.resources
        if r["type"].startswith("kubernetes:") and r["type"] != RELEASE and MONITORING in r["urn"]
    ]


def obj(plan, kind: str, name: str) -> dict:
    [m] = [m for m in monitoring_objects(plan) if m["kind"] == kind and m["metadata"]["name"] == name]
    return m


def kps(plan) -> dict:
    return next(r for r in plan.of_type(RELEASE) if r["inputs"]["chart"] == prom.CHART)


@pytest.fixture(scope="module")
def prod(plan_for):
    return plan_for("prod", EKS)


@pytest.fixture(scope="module")
def prod_asg(plan_for):
    return plan_for("prod", ASG)


# --- eks: schema, namespace, storage -------------------------------------------------------------


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_core_objects_validate_against_the_cluster_schema(plan_for, stack):
    plan = plan_for(stack, EKS)
    version = plan.one("aws:eks/cluster:Cluster")["inputs"]["version"]
    core = [m for m in monitoring_objects(plan) if m["apiVersion"] != "monitoring.coreos.com/v1"]
    # No exporter Deployment, Service or NetworkPolicy: the database and Redis alerts are CloudWatch's.
    assert {m["kind"] for m in core} == {"Namespace", "StorageClass", "Secret", "ConfigMap"}
    for m in core:
        if m["kind"] == "Secret":
            assert m["stringData"] == "[secret]"  # redacted whole: not even the keys reach the plan
            m = {**m, "stringData": {"redacted": "x"}}
        assert kubernetes_validate.validate(m, version, strict=True) == version, m["metadata"]["name"]


def test_namespace_enforces_restricted(prod):
    labels = obj(prod, "Namespace", prom.NAMESPACE)["metadata"]["labels"]
    for mode in ("enforce", "audit", "warn"):
        assert labels[f"pod-security.kubernetes.io/{mode}"] == "restricted"


@pytest.mark.parametrize(("stack", "reclaim"), [("prod", "Retain"), ("dev", "Delete")])
def test_storage_class_is_encrypted_gp3_with_a_key_the_ebs_driver_may_use(plan_for, stack, reclaim):
    plan = plan_for(stack, EKS)
    sc = obj(plan, "StorageClass", prom.STORAGE_CLASS)
    assert sc["provisioner"] == "ebs.csi.aws.com" and sc["volumeBindingMode"] == "WaitForFirstConsumer"
    assert sc["reclaimPolicy"] == reclaim
    key = plan.one("aws:kms/key:Key", f"nox-{stack}-prometheus")
    assert sc["parameters"] == {"type": "gp3", "encrypted": "true", "kmsKeyId": key_arn(plan, key)}
    # The role the EBS CSI driver runs as (the add-on's service account role).
    ebs_role_arn = plan.one("aws:eks/addon:Addon", "cluster-addon-aws-ebs-csi-driver")["inputs"]["serviceAccountRoleArn"]
    statements = json.loads(key["inputs"]["policy"])["Statement"]
    grant = next(s for s in statements if s["Action"] == "kms:CreateGrant")
    assert grant["Principal"]["AWS"] == [ebs_role_arn]
    assert grant["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}
    assert key["protect"] is (stack == "prod")


def key_arn(plan, key) -> str:
    """The ARN the mock engine gives a key (the plan records inputs, not outputs)."""
    return f"arn:aws:kms:us-west-2:123456789012:key/{_uuid(key['name'])}"


# --- eks: the chart ------------------------------------------------------------------------------


@pytest.mark.parametrize(("stack", "retention", "gib"), [("dev", "7d", 20), ("prod", "30d", 100)])
def test_chart_pinned_with_retention_and_storage_from_config(plan_for, stack, retention, gib):
    plan = plan_for(stack, EKS)
    release = kps(plan)
    i = release["inputs"]
    assert (i["chart"], i["version"], i["repositoryOpts"]["repo"], i["name"]) == (
        "kube-prometheus-stack",
        "88.5.3",
        "https://prometheus-community.github.io/helm-charts",
        "kps",
    )
    assert i["namespace"] == prom.NAMESPACE
    assert release["provider"].startswith(plan.one("pulumi:providers:kubernetes")["urn"] + "::")
    spec = i["values"]["prometheus"]["prometheusSpec"]
    assert spec["retention"] == retention and spec["retentionSize"] == f"{int(gib * 0.85)}GiB"
    claim = spec["storageSpec"]["volumeClaimTemplate"]["spec"]
    assert claim["storageClassName"] == prom.STORAGE_CLASS and claim["resources"]["requests"]["storage"] == f"{gib}Gi"
    assert (
        kps(plan_for(stack, EKS, "nox:prometheusRetention=36h"))["inputs"]["values"]["prometheus"]["prometheusSpec"]["retention"] == "36h"
    )


def test_chart_waits_for_storage_secret_driver_and_alertmanager_grants(prod):
    deps = set(kps(prod)["dependencies"])
    for name, token in (
        ("monitoring-gp3", "kubernetes:storage.k8s.io/v1:StorageClass"),
        ("monitoring-grafana-admin", "kubernetes:core/v1:Secret"),
        ("monitoring-alertmanager-role-inline", "aws:iam/rolePolicy:RolePolicy"),
        ("cluster-addon-aws-ebs-csi-driver", "aws:eks/addon:Addon"),
        ("cluster-metrics-server", RELEASE),
    ):
        assert prod.one(token, name)["urn"] in deps, name


def test_node_exporter_and_unscrapeable_control_plane_are_off(prod):
    values = kps(prod)["inputs"]["values"]
    for key in ("nodeExporter", "kubeControllerManager", "kubeScheduler", "kubeEtcd", "kubeProxy"):
        assert values[key] == {"enabled": False}, key


def test_alertmanager_publishes_to_the_topic_with_its_irsa_role(prod):
    values = kps(prod)["inputs"]["values"]["alertmanager"]
    topic = prod.one("aws:sns/topic:Topic")
    topic_arn = f"arn:aws:sns:us-west-2:123456789012:{topic['inputs']['name']}"
    [sns] = [r for r in values["config"]["receivers"] if r["name"] == values["config"]["route"]["receiver"]]
    assert sns["sns_configs"] == [{"topic_arn": topic_arn, "sigv4": {"region": "us-west-2"}, "send_resolved": True}]
    role = prod.one("aws:iam/role:Role", "monitoring-alertmanager-role")
    trust = json.loads(role["inputs"]["assumeRolePolicy"])["Statement"][0]["Condition"]["StringEquals"]
    assert f"system:serviceaccount:{prom.NAMESPACE}:{values['serviceAccount']['name']}" in trust.values()
    assert values["serviceAccount"]["annotations"]["eks.amazonaws.com/role-arn"].split("/")[-1].startswith(role["name"])
    policy = json.loads(prod.one("aws:iam/rolePolicy:RolePolicy", "monitoring-alertmanager-role-inline")["inputs"]["policy"])
    actions = {s["Sid"]: (s["Action"], s["Resource"]) for s in policy["Statement"]}
    assert actions["PublishAlerts"] == ("sns:Publish", topic_arn)
    assert actions["EncryptedTopic"][0] == ["kms:GenerateDataKey*", "kms:Decrypt"]
    # The alerting component's topic and key (no other topic exists).
    assert topic_arn == prod.outputs["alertTopicArn"]
    alerts_key = prod.one("aws:kms/key:Key", "nox-prod-alerts")
    assert topic["inputs"]["kmsMasterKeyId"] == key_arn(prod, alerts_key)
    assert actions["EncryptedTopic"][1] == key_arn(prod, alerts_key) == prod.outputs["alertKeyArn"]


def test_watchdog_goes_nowhere_and_everything_else_is_paged():
    config = prom.alertmanager_config("arn:aws:sns:us-west-2:123456789012:t", "us-west-2")
    assert config["route"]["receiver"] == "sns"
    assert config["route"]["routes"] == [{"receiver": "null", "matchers": ['alertname =~ "Watchdog|InfoInhibitor"']}]


def test_grafana_admin_password_is_a_generated_secret(prod):
    grafana = kps(prod)["inputs"]["values"]["grafana"]
    secret = obj(prod, "Secret", grafana["admin"]["existingSecret"])
    assert secret["stringData"] == "[secret]"
    assert grafana["admin"] == {"existingSecret": prom.GRAFANA_SECRET, "userKey": "admin-user", "passwordKey": "admin-password"}
    password = prod.one("random:index/randomPassword:RandomPassword", "monitoring-grafana-admin")
    assert password["inputs"]["length"] == 32
    assert "adminPassword" not in grafana


def test_chart_pods_are_hardened(prod):
    values = kps(prod)["inputs"]["values"]
    for ctx in (values["grafana"]["containerSecurityContext"], values["grafana"]["sidecar"]["securityContext"]):
        assert ctx["readOnlyRootFilesystem"] is True and ctx["allowPrivilegeEscalation"] is False
        assert ctx["capabilities"] == {"drop": ["ALL"]} and ctx["seccompProfile"] == {"type": "RuntimeDefault"}
    for resources in (
        values["prometheus"]["prometheusSpec"]["resources"],
        values["alertmanager"]["alertmanagerSpec"]["resources"],
        values["grafana"]["resources"],
        values["prometheusOperator"]["resources"],
        values["kube-state-metrics"]["resources"],
    ):
        assert set(resources) == {"requests", "limits"}


# --- eks: what Prometheus scrapes and evaluates -------------------------------------------------------


def test_every_service_monitor_and_rule_is_selected_by_the_release(prod):
    release = kps(prod)["inputs"]["name"]
    crs = prod.of_type(SERVICE_MONITOR) + prod.of_type(PROMETHEUS_RULE)
    assert len(crs) == 3  # the API and WebSocket ServiceMonitors and the rules
    for r in crs:
        assert r["inputs"]["metadata"]["labels"] == {"release": release}
        assert kps(prod)["urn"] in r["dependencies"]  # the CRDs come with the chart


@pytest.mark.parametrize(("component", "port", "interval"), [("nox-api", "http", "10s"), ("nox-websocket", "websocket", "15s")])
def test_app_service_monitor_scrapes_each_pod_once(plan_for, component, port, interval):
    plan = plan_for("prod", "nox:releaseStrategy=canary", "nox:imageGreen=123456789012.dkr.ecr.us-west-2.amazonaws.com/nox-api:v8.1.0")
    [sm] = [m for m in plan.of_type(SERVICE_MONITOR) if m["inputs"]["metadata"]["name"] == component]
    spec = sm["inputs"]["spec"]
    assert spec["namespaceSelector"] == {"matchNames": [workload.NAMESPACE]}
    assert spec["endpoints"] == [{"port": port, "path": "/metrics", "interval": interval, "scheme": "http"}]
    assert spec["jobLabel"] == workload.COMPONENT_LABEL and spec["targetLabels"] == ["colour"]
    services = [_ints(r["inputs"]) for r in plan.of_type("kubernetes:core/v1:Service") if "nox:eks:Workload$" in r["urn"]]
    selected = [s for s in services if selector_matches(spec["selector"], s["metadata"]["labels"])]
    # One Service per serving colour (the seed-named Services select the same pods again: not scraped).
    assert sorted(s["metadata"]["name"] for s in selected) == sorted(f"{component}-service-{c}" for c in ("blue", "green"))
    assert sorted(s["spec"]["selector"]["colour"] for s in selected) == ["blue", "green"]
    for s in selected:
        assert s["metadata"]["labels"][workload.COMPONENT_LABEL] == component  # the job label's value
        assert [p["name"] for p in s["spec"]["ports"]] == [port]


def test_prometheus_rule_is_the_four_app_rules(prod):
    rule = obj(prod, "PrometheusRule", alert_rules.GROUP)
    assert rule["spec"] == _ints({"groups": alert_rules.rule_groups(alert_rules.PROMETHEUS_ALERTS)["groups"]})
    assert [r["alert"] for r in rule["spec"]["groups"][0]["rules"]] == [
        "HighResponseTime",
        "HighErrorRate",
        "WebSocketConnectionsHigh",
        "AISecurityThreatDetected",
    ]


@pytest.mark.parametrize("platform", [EKS, ASG])
def test_database_and_redis_alerts_are_never_prometheus_rules(plan_for, platform):
    """DatabaseConnectionHigh and RedisMemoryHigh are CloudWatch alarms only (tests/test_alarms.py):
    no rule, no exporter, no database or cache credential in the cluster."""
    plan = plan_for("prod", platform)
    text = json.dumps([r["inputs"] for r in plan.of_type(PROMETHEUS_RULE) + plan.of_type("aws:amp/ruleGroupNamespace:RuleGroupNamespace")])
    for name in alert_rules.CLOUDWATCH_ALERTS:
        assert name not in text
    assert "pg_stat_database" not in text and "redis_memory" not in text
    assert not [m for m in monitoring_objects(plan) if m["kind"] in ("Deployment", "Service", "NetworkPolicy")]
    assert not [sm for sm in plan.of_type(SERVICE_MONITOR) if "exporter" in sm["inputs"]["metadata"]["name"]]


def test_prometheus_secrets_never_reach_the_plan(prod):
    text = json.dumps(prod.to_json())
    assert "MOCK-SECRET-" not in text and "rediss://" not in text


# --- eks: the dashboard ------------------------------------------------------------------------------


def test_dashboard_configmap_is_loaded_by_the_sidecar(prod):
    cm = obj(prod, "ConfigMap", prom.DASHBOARD_CONFIGMAP)
    sidecar = kps(prod)["inputs"]["values"]["grafana"]["sidecar"]["dashboards"]
    assert cm["metadata"]["labels"] == {sidecar["label"]: sidecar["labelValue"]} == {"grafana_dashboard": "1"}
    assert json.loads(cm["data"]["nox-api.json"]) == prom.dashboard()


def test_dashboard_is_the_seeds_in_todays_schema():
    d = prom.dashboard()
    assert d["title"] == "NOX API v8.0.0 Production Dashboard" and d["tags"] == ["nox", "api", "production"]
    assert [(p["title"], p["type"]) for p in d["panels"]] == [
        ("Request Rate", "timeseries"),
        ("Response Time", "timeseries"),
        ("WebSocket Connections", "stat"),
        ("AI Security Threat Level", "gauge"),
    ]
    assert [t["legendFormat"] for t in d["panels"][1]["targets"]] == ["50th percentile", "95th percentile", "99th percentile"]
    gauge = d["panels"][3]["fieldConfig"]["defaults"]
    assert (gauge["min"], gauge["max"]) == (0, 1)
    assert gauge["thresholds"]["steps"] == [
        {"color": "green", "value": None},
        {"color": "yellow", "value": 0.5},
        {"color": "red", "value": 0.8},
    ]
    assert len({p["id"] for p in d["panels"]}) == 4
    for p in d["panels"]:
        for t in p["targets"]:
            assert "status=" not in t["expr"] and "{{ status }}" not in t["legendFormat"]  # the app's label is status_code
            assert any(m in t["expr"] for m in APP_METRICS), t["expr"]


# --- asg: Amazon Managed Service for Prometheus -----------------------------------------------------


def test_workspace_is_encrypted_and_logs_to_an_encrypted_group(prod_asg):
    ws = prod_asg.one("aws:amp/workspace:Workspace")
    key = prod_asg.one("aws:kms/key:Key", "nox-prod-amp")
    assert ws["inputs"]["kmsKeyArn"] == key_arn(prod_asg, key) and key["protect"] is True
    group = prod_asg.one("aws:cloudwatch/logGroup:LogGroup", "managed-prometheus-logs")
    assert (
        ws["inputs"]["loggingConfiguration"]["logGroupArn"] == f"arn:aws:logs:us-west-2:123456789012:log-group:{group['inputs']['name']}:*"
    )
    assert group["inputs"]["kmsKeyId"] and group["inputs"]["retentionInDays"] == 365
    assert ws["protect"] is True


def test_workspace_evaluates_the_four_app_alerts_and_routes_them_to_the_topic(prod_asg):
    ws_id = prod_asg.one("aws:amp/ruleGroupNamespace:RuleGroupNamespace")["inputs"]
    assert yaml.safe_load(ws_id["data"]) == alert_rules.rule_groups(alert_rules.PROMETHEUS_ALERTS)
    definition = prod_asg.one("aws:amp/alertManagerDefinition:AlertManagerDefinition")["inputs"]
    assert definition["workspaceId"] == ws_id["workspaceId"]
    config = yaml.safe_load(yaml.safe_load(definition["definition"])["alertmanager_config"])
    topic = prod_asg.one("aws:sns/topic:Topic")["inputs"]["name"]
    [receiver] = config["receivers"]
    assert config["route"]["receiver"] == receiver["name"]
    assert receiver["sns_configs"] == [
        {"topic_arn": f"arn:aws:sns:us-west-2:123456789012:{topic}", "sigv4": {"region": "us-west-2"}, "send_resolved": True}
    ]


def test_instances_may_only_remote_write_to_the_workspace(prod_asg):
    policy = json.loads(prod_asg.one("aws:iam/rolePolicy:RolePolicy", "fleet-prometheus-remote-write")["inputs"]["policy"])
    ws = prod_asg.one("aws:amp/workspace:Workspace")
    write, key = policy["Statement"]
    assert write["Action"] == "aps:RemoteWrite" and write["Effect"] == "Allow"
    assert write["Resource"].startswith("arn:aws:amp:us-west-2:123456789012:workspace/") and ws["name"] in write["Resource"]
    assert key["Resource"] == ws["inputs"]["kmsKeyArn"] and key["Action"] == ["kms:GenerateDataKey", "kms:Decrypt"]
    assert key["Condition"] == {"StringEquals": {"kms:ViaService": "aps.us-west-2.amazonaws.com"}}


def user_data_of(plan) -> list[str]:
    return [base64.b64decode(lt["inputs"]["userData"]).decode() for lt in plan.of_type("aws:ec2/launchTemplate:LaunchTemplate")]


def test_instances_run_the_collector_writing_to_the_workspace(prod_asg):
    ws_id = prod_asg.one("aws:amp/ruleGroupNamespace:RuleGroupNamespace")["inputs"]["workspaceId"]
    [script] = user_data_of(prod_asg)
    config = json.loads(script.split("<<'COLLECTOR_CONFIG'\n", 1)[1].split("\nCOLLECTOR_CONFIG\n", 1)[0])
    assert config["exporters"]["prometheusremotewrite"]["endpoint"] == prom.remote_write_url("us-west-2", ws_id)
    [job] = config["receivers"]["prometheus"]["config"]["scrape_configs"]
    assert job["static_configs"] == [{"targets": ["localhost:3000"], "labels": {"colour": "blue"}}]
    assert (job["job_name"], job["metrics_path"], job["scrape_interval"]) == ("nox-api", "/metrics", "10s")
    assert config["extensions"]["sigv4auth"] == {"region": "us-west-2", "service": "aps"}
    assert f"{fleet.COLLECTOR_IMAGE} --config=/etc/otel/config.yaml" in script and "--network host" in script
    # Next to main's app container: host network too (IAM token signing needs IMDS at hop limit 1),
    # no secret fetched; the collector is the script's last step, after the app runs.
    app, collector = script.split("# Metrics: the AWS Distro for OpenTelemetry collector", 1)
    assert f"docker run -d --name {fleet.CONTAINER_NAME} --restart unless-stopped \\\n  --network host" in app
    assert "secretsmanager" not in script and "--env-file" not in script
    assert f"--name {fleet.COLLECTOR_NAME}" in collector


def test_dev_may_turn_the_workspace_off(plan_for):
    plan = plan_for("dev", ASG, "nox:managedPrometheus=false")
    assert not [r for r in plan.resources if r["type"].startswith("aws:amp/")]
    assert not [r for r in plan.of_type("aws:iam/rolePolicy:RolePolicy") if r["name"] == "fleet-prometheus-remote-write"]
    assert all(fleet.COLLECTOR_NAME not in s for s in user_data_of(plan))
    assert plan_for("dev", ASG).of_type("aws:amp/workspace:Workspace")  # on by default


def test_remote_write_url_is_amps_documented_endpoint():
    assert (
        prom.remote_write_url("eu-west-1", "ws-1234")
        == "https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-1234/api/v1/remote_write"
    )
