"""Logs: sample lines through the parser and the metric filters, the shippers' configs, the planned groups and alarms."""

from __future__ import annotations

import base64
import json
import re

import pytest
from log_pipeline import matches, metric_value, transform
from test_fleet import computed

from components import logs
from components.fleet import user_data

ALARM, GROUP = "aws:cloudwatch/metricAlarm:MetricAlarm", "aws:cloudwatch/logGroup:LogGroup"
FILTER, TRANSFORMER = "aws:cloudwatch/logMetricFilter:LogMetricFilter", "aws:cloudwatch/logTransformer:LogTransformer"
EKS = "nox:platform=eks"
NOW = "2026-12-03T10:15:30.123Z"


def app_line(message: str, level: str = "INFO", **fields: object) -> str:
    """One line of the log contract (docs/logs.md)."""
    return json.dumps({"timestamp": NOW, "level": level, "service": "nox-api", "message": message, **fields})


def docker(line: str) -> str:
    """What the CloudWatch agent ships on asg: Docker's json-file record of the line."""
    return json.dumps({"log": line + "\n", "stream": "stdout", "time": NOW})


def fluent_bit(line: str) -> str:
    """What Fluent Bit ships on eks (tail + kubernetes filter, Merge_Log Off)."""
    return json.dumps({"log": line, "stream": "stdout", "time": NOW, "kubernetes": {"namespace_name": "nox", "pod_name": "nox-api-blue-x"}})


SHIPPERS = pytest.mark.parametrize("ship", [docker, fluent_bit], ids=["asg-agent", "eks-fluent-bit"])


def parsed(raw: str) -> dict:
    return transform(raw, logs.TRANSFORMER)


# --- parsing ---------------------------------------------------------------------------------------


@SHIPPERS
def test_a_request_line_becomes_its_fields(ship):
    line = app_line(
        "GET /api/users 200", route="/api/users", method="GET", status="200", response_time="42", client_ip="203.0.113.7", user_id="u-1"
    )
    event = parsed(ship(line))
    fields = {k: event[k] for k in ("level", "service", "route", "method", "status", "response_time", "client_ip", "user_id")}
    assert fields == {
        "level": "INFO",
        "service": "nox-api",
        "route": "/api/users",
        "method": "GET",
        "status": 200,  # typeConverter: integer
        "response_time": 42.0,  # double
        "client_ip": "203.0.113.7",
        "user_id": "u-1",
    }
    assert "log" not in event and "kv" not in event  # the raw line and the key=value scratch are dropped


@SHIPPERS
def test_the_seeds_oauth_message_becomes_provider_action_result(ship):
    event = parsed(ship(app_line("OAuth google login failure", level="WARN", client_ip="198.51.100.9")))
    assert (event["provider"], event["action"], event["result"]) == ("google", "login", "failure")


@SHIPPERS
def test_the_seeds_ai_security_message_becomes_numbers(ship):
    event = parsed(ship(app_line("AI Security threat_level=0.92 confidence=0.87", level="WARN", client_ip="198.51.100.9")))
    assert (event["threat_level"], event["confidence"]) == (0.92, 0.87)
    assert "provider" not in event  # the OAuth grok does not match it


def test_a_line_that_is_not_the_contract_is_kept_unparsed():
    event = parsed(docker("plain text from a library"))
    assert event == {"stream": "stdout", "time": NOW}  # the record's fields; @message stays as it was


# --- no secrets --------------------------------------------------------------------------------------

SECRET = "s3cr3t-VALUE-9f8e7d"


@SHIPPERS
def test_credential_fields_are_deleted_and_messages_masked(ship):
    line = app_line(
        f"login attempt Authorization: Bearer {SECRET} password={SECRET} cookie: session={SECRET}",
        authorization=f"Bearer {SECRET}",
        cookie=f"session={SECRET}",
        password=SECRET,
        token=SECRET,
        headers={"authorization": f"Basic {SECRET}"},
    )
    event = parsed(ship(line))
    assert SECRET not in json.dumps(event)
    assert event["message"] == "login attempt Authorization: *** password=*** cookie: ***"
    assert not {"authorization", "cookie", "password", "token", "headers"} & set(event)


def test_the_data_protection_policy_masks_what_reaches_the_raw_event():
    """The raw @message keeps the line as shipped: the policy's identifiers must match the secrets in it."""
    for ship in (docker, fluent_bit):
        raw = ship(app_line(f"Authorization: Bearer {SECRET} cookie: sid={SECRET}", password=SECRET))
        found = {name for name, regex in logs.PROTECTED_PATTERNS.items() if re.search(regex, raw)}
        assert found == {"BearerToken", "CookieHeader", "PasswordField"}
        masked = raw
        for regex in logs.PROTECTED_PATTERNS.values():
            masked = re.sub(regex, "****", masked)
        assert SECRET not in masked, masked
    doc = json.loads(logs.data_protection_policy("nox-prod-app-logs"))
    assert doc["Version"] == "2021-06-01" and [s["Operation"] for s in doc["Statement"]] == [
        {"Audit": {"FindingsDestination": {}}},
        {"Deidentify": {"MaskConfig": {}}},
    ]
    custom = [c["Name"] for c in doc["Configuration"]["CustomDataIdentifier"]]
    assert all(set(s["DataIdentifier"]) == {*custom, "arn:aws:dataprotection::aws:data-identifier/AwsSecretKey"} for s in doc["Statement"])


# --- metric filters ----------------------------------------------------------------------------------

FILTERS = {f.name: f for f in logs.METRIC_FILTERS}


def metrics_of(raw: str) -> dict[str, tuple[float, dict[str, object]]]:
    """metric name -> (value, dimensions) for every filter the event matches."""
    event, out = parsed(raw), {}
    for f in logs.METRIC_FILTERS:
        if matches(f.pattern, event):
            value = metric_value(f.value, event)
            assert value is not None, f.name
            dims = {k: event[v[2:]] for k, v in (f.dimensions or {}).items()}
            out[f.metric] = (value, dims)
    return out


@SHIPPERS
@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (app_line("database timeout", level="ERROR"), {"ErrorLogLines": (1.0, {})}),
        (app_line("pool exhausted", level="CRITICAL"), {"CriticalLogLines": (1.0, {})}),
        (app_line("OAuth github login failure"), {"OAuthFailures": (1.0, {"Provider": "github"})}),
        (app_line("OAuth microsoft callback success"), {}),
        (app_line("AI Security threat_level=0.92 confidence=0.87"), {"AIThreatLevel": (0.92, {})}),
        (app_line("AI Security threat_level=0 confidence=0.5"), {"AIThreatLevel": (0.0, {})}),
        (app_line("GET /health 200", status="200"), {}),
        (app_line("socket closed", level="ERROR", service="nox-websocket"), {"ErrorLogLines": (1.0, {})}),
        # Another pod's JSON line in the eks application group: not the app's error.
        (json.dumps({"level": "ERROR", "service": "aws-load-balancer-controller", "message": "reconcile failed"}), {}),
        (json.dumps({"level": "CRITICAL", "message": "no service field"}), {}),
    ],
)
def test_sample_lines_produce_the_expected_metrics(ship, line, expected):
    assert metrics_of(ship(line)) == expected


def test_the_filter_grammar_is_the_subset_the_emulator_knows():
    from log_pipeline import matches

    event = {"level": "ERROR", "service": "nox-api", "n": 3}
    assert matches('{ ($.level = "ERROR") && (($.service = "x") || ($.service = "nox-api")) }', event)
    assert not matches('{ ($.level = "ERROR") && (($.service = "x") || ($.service = "y")) }', event)
    assert matches('{ $.level = "WARN" || $.n >= 3 && $.service = "nox-api" }', event)  # && binds tighter
    assert not matches('{ $.missing = "ERROR" }', event) and not matches("{ $.level >= 1 }", event)
    with pytest.raises(AssertionError, match="unsupported"):
        matches("{ $.level ~ x }", event)


def test_the_alarm_thresholds_fire_on_the_seeds_cases():
    by_id = {c.id: c for c in logs.checks("nox-prod/logs")}
    assert by_id["ai-threat-logged"].threshold == 0.8 and by_id["ai-threat-logged"].stat == "Maximum"  # seed: > 0.8, for 0s
    assert 0.92 > by_id["ai-threat-logged"].threshold >= 0.8
    assert (by_id["log-critical"].threshold, by_id["log-critical"].period) == (0, 60)  # every CRITICAL line notifies
    assert (by_id["log-errors"].threshold, by_id["log-errors"].period) == (10, 300)
    assert {c.metric for c in by_id.values()} == {f.metric for f in logs.METRIC_FILTERS}  # every metric has its alarm


# --- the shippers' configuration -----------------------------------------------------------------------


def fluent_bit_sections(text: str) -> list[tuple[str, dict[str, str]]]:
    sections: list[tuple[str, dict[str, str]]] = []
    for line in text.splitlines():
        if re.fullmatch(r"\[(INPUT|FILTER|OUTPUT)\]", line.strip()):
            sections.append((line.strip()[1:-1], {}))
        elif line.strip():
            key, value = line.split(None, 1)
            sections[-1][1][key] = value.strip()
    return sections


def test_fluent_bit_application_input_is_parsed_routed_and_never_creates_groups():
    sections = fluent_bit_sections(logs.FLUENT_BIT_APPLICATION)
    inputs = [s for kind, s in sections if kind == "INPUT"]
    outputs = [s for kind, s in sections if kind == "OUTPUT"]
    assert [kind for kind, _ in sections] == ["INPUT", "FILTER", "OUTPUT"]
    for i in inputs:
        assert {p.strip() for p in i["multiline.parser"].split(",")} <= {"docker", "cri"}  # Fluent Bit's built-in parsers
        tag = i["Tag"].rstrip("*")
        assert any(tag.startswith(o["Match"].rstrip("*")) for o in outputs), i["Tag"]
    [(_, k8s)] = [(k, s) for k, s in sections if k == "FILTER"]
    assert (k8s["Name"], k8s["Merge_Log"], k8s["K8S-Logging.Parser"]) == ("kubernetes", "Off", "Off")
    [out] = outputs
    assert out["log_group_name"] == logs.eks_group_name("${CLUSTER_NAME}", logs.EKS_APP)
    assert (out["Name"], out["auto_create_group"], out["region"]) == ("cloudwatch_logs", "false", "${AWS_REGION}")
    assert "/var/log/containers/fluent-bit*" in inputs[0]["Exclude_Path"]


# The CloudWatch agent's schema (amazon-cloudwatch-agent translator/config/schema.json,
# logsFilesDefinition): an entry's allowed keys and its one required key.
AGENT_FILE_KEYS = {
    "file_path", "log_group_name", "log_stream_name", "log_group_class", "multi_line_start_pattern", "timestamp_format", "timezone",
    "trim_timestamp", "encoding", "auto_removal", "backpressure_mode", "blacklist", "publish_multi_logs", "retention_in_days", "filters",
    "service.name", "deployment.environment",
}  # fmt: skip


def test_the_agent_ships_the_app_and_system_logs_to_pulumis_groups():
    groups = logs.asg_group_names("nox-prod")
    config = logs.agent_config(groups, "us-west-2")
    assert set(config) == {"agent", "logs"} and config["agent"]["region"] == "us-west-2"
    entries = config["logs"]["logs_collected"]["files"]["collect_list"]
    for entry in entries:
        assert "file_path" in entry and set(entry) <= AGENT_FILE_KEYS
        assert "retention_in_days" not in entry  # the group's retention is Pulumi's
        assert 1 <= len(entry["log_stream_name"]) <= 512 and entry["log_group_name"] in groups.values()
    assert {(e["file_path"], e["log_group_name"]) for e in entries} == {
        ("/var/lib/docker/containers/*/*-json.log", "/nox/nox-prod/app"),
        ("/var/log/messages", "/nox/nox-prod/system"),
        ("/var/log/secure", "/nox/nox-prod/system"),
        ("/var/log/cloud-init-output.log", "/nox/nox-prod/system"),
    }
    assert len({e["log_stream_name"] for e in entries}) == len(entries)


def test_user_data_starts_the_agent_before_the_app_and_keeps_the_collector_out_of_the_app_log():
    groups = logs.asg_group_names("nox-dev")
    script = user_data(
        colour="blue",
        image="r/a:1",
        db_pool_max=4,
        connection_env={},
        region="us-west-2",
        remote_write_url="https://aps/x",
        log_groups=groups,
    )
    agent = script.index("amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c file:" + logs.AGENT_CONFIG_PATH)
    assert script.index("dnf install -y rsyslog amazon-cloudwatch-agent") < agent < script.index('  "$IMAGE"')
    config = json.loads(script.split("<<'AGENT_CONFIG'\n", 1)[1].split("\nAGENT_CONFIG\n", 1)[0])
    assert config == logs.agent_config(groups, "us-west-2")
    assert "--log-driver journald" in script.split("docker run -d --name adot-collector", 1)[1]
    assert "amazon-cloudwatch-agent" not in user_data(colour="blue", image="r/a:1", db_pool_max=4, connection_env={})


# --- the plan --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("stack", "platform", "sources", "retention"), [
    ("dev", "asg", {"app": "/nox/nox-dev/app", "system": "/nox/nox-dev/system"}, 30),
    ("prod", "asg", {"app": "/nox/nox-prod/app", "system": "/nox/nox-prod/system"}, 365),
    ("prod", "eks", {s: f"/aws/containerinsights/nox-prod/{s}" for s in ("application", "dataplane", "host")}, 365),
])  # fmt: skip
def test_each_platform_creates_its_groups_encrypted_with_retention(plan_for, stack, platform, sources, retention):
    plan = plan_for(stack, f"nox:platform={platform}")
    log_key = plan.one("aws:kms/key:Key", f"nox-{stack}-logs")
    groups = {g["name"].removeprefix("logs-"): g["inputs"] for g in plan.of_type(GROUP) if g["name"].startswith("logs-")}
    assert {s: g["name"] for s, g in groups.items()} == sources
    for g in groups.values():
        assert (g["retentionInDays"], g["kmsKeyId"]) == (retention, computed(log_key)[1]["arn"])
    assert plan.outputs["logGroups"] == sources


@pytest.mark.parametrize("platform", ["asg", "eks"])
def test_the_app_group_gets_the_parser_the_masking_the_filters_and_the_queries(plan_for, platform):
    plan = plan_for("prod", f"nox:platform={platform}")
    app = plan.one(GROUP, "logs-app" if platform == "asg" else "logs-application")
    arn, name = computed(app)[1]["arn"], app["inputs"]["name"]
    transformer = plan.one(TRANSFORMER)
    assert transformer["inputs"]["logGroupArn"] == arn and len(transformer["inputs"]["transformerConfigs"]) == len(logs.TRANSFORMER)
    assert plan.one("aws:cloudwatch/logDataProtectionPolicy:LogDataProtectionPolicy")["inputs"]["logGroupName"] == name
    filters = plan.of_type(FILTER)
    assert {f["inputs"]["metricTransformation"]["name"] for f in filters} == {
        "ErrorLogLines",
        "CriticalLogLines",
        "OAuthFailures",
        "AIThreatLevel",
    }
    for f in filters:
        assert f["inputs"]["logGroupName"] == name and f["inputs"]["applyOnTransformedLogs"] is True
        assert transformer["urn"] in f["dependencies"]  # the fields exist only once the parser does
        assert f["inputs"]["metricTransformation"]["namespace"] == "nox-prod/logs"
    queries = plan.of_type("aws:cloudwatch/queryDefinition:QueryDefinition")
    assert {q["inputs"]["name"] for q in queries} == {f"nox-prod/{q}" for q in logs.QUERIES}
    assert all(q["inputs"]["logGroupNames"] == [name] for q in queries)


@pytest.mark.parametrize("platform", ["asg", "eks"])
def test_log_alarms_watch_the_filters_metrics_and_notify_the_topic(plan_for, platform):
    plan = plan_for("prod", f"nox:platform={platform}")
    topic = computed(plan.one("aws:sns/topic:Topic"))[1]["arn"]
    alarms = {a["inputs"]["name"]: a["inputs"] for a in plan.of_type(ALARM) if a["inputs"].get("namespace") == "nox-prod/logs"}
    assert set(alarms) == {
        "nox-prod-log-errors",
        "nox-prod-log-critical",
        "nox-prod-ai-threat-logged",
        "nox-prod-oauth-failures-google",
        "nox-prod-oauth-failures-github",
        "nox-prod-oauth-failures-microsoft",
    }
    for name, a in alarms.items():
        assert a["alarmActions"] == [topic] and a["okActions"] == [topic], name
    assert alarms["nox-prod-oauth-failures-github"]["dimensions"] == {"Provider": "github"}
    assert (alarms["nox-prod-ai-threat-logged"]["statistic"], alarms["nox-prod-ai-threat-logged"]["threshold"]) == ("Maximum", 0.8)
    assert "Runbook: docs/runbooks/oauth-failures.md" in alarms["nox-prod-oauth-failures-google"]["alarmDescription"]


def test_asg_instances_launch_after_the_groups_and_ship_to_them(plan_for):
    plan = plan_for("prod", "nox:platform=asg")
    groups = {g["urn"] for g in plan.of_type(GROUP) if g["name"].startswith("logs-")}
    for asg in plan.of_type("aws:autoscaling/group:Group"):
        assert groups <= set(asg["dependencies"]), asg["name"]
    script = base64.b64decode(plan.one("aws:ec2/launchTemplate:LaunchTemplate", "fleet-blue-lt")["inputs"]["userData"]).decode()
    assert '"log_group_name": "/nox/nox-prod/app"' in script and '"log_group_name": "/nox/nox-prod/system"' in script


def test_eks_fluent_bit_ships_to_the_groups_made_first(plan_for):
    plan = plan_for("prod", EKS)
    addon = next(a for a in plan.of_type("aws:eks/addon:Addon") if a["inputs"]["addonName"] == "amazon-cloudwatch-observability")
    values = json.loads(addon["inputs"]["configurationValues"])
    assert values == {
        "containerLogs": {"enabled": True, "fluentBit": {"config": {"extraFiles": {"application-log.conf": logs.FLUENT_BIT_APPLICATION}}}}
    }
    groups = {g["urn"] for g in plan.of_type(GROUP) if g["name"].startswith("logs-")}
    assert len(groups) == 3 and groups <= set(addon["dependencies"])
