"""Alerting: the topic and its key, every alarm routed to it and watching a resource of the plan,
the seed's thresholds, the dashboard, Container Insights, and the generated docs table."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pulumi
import pytest

from components import alarms as catalogue
from components import alert_rules
from components.dashboard import COMPANION_METRICS
from components.kms import publisher_statements
from offline.mocks import ACCOUNT, CALLS, Ctx, NoxMocks

ROOT = Path(__file__).resolve().parent.parent
REGION = "us-west-2"
ALARM, TOPIC, KEY = "aws:cloudwatch/metricAlarm:MetricAlarm", "aws:sns/topic:Topic", "aws:kms/key:Key"
SUBSCRIPTION, DASHBOARD = "aws:sns/topicSubscription:TopicSubscription", "aws:cloudwatch/dashboard:Dashboard"
COMBOS = [(s, p) for s in ("dev", "staging", "prod") for p in ("asg", "eks")]


def computed(rec: dict) -> tuple[str, dict]:
    """(id, outputs) the mocks give this recorded resource: the values other resources received."""
    return NoxMocks(REGION).new_resource(pulumi.runtime.MockResourceArgs(rec["type"], rec["name"], rec["inputs"], custom=True))


def ours(plan) -> list[dict]:
    """The alarms of the Alarms component (the fleet's two CPU alarms are tested in test_fleet)."""
    return [a for a in plan.of_type(ALARM) if a["name"].startswith("alarms-")]


def by_name(plan) -> dict[str, dict]:
    return {a["inputs"]["name"]: a["inputs"] for a in ours(plan)}


def dims(alarm: dict) -> list[dict]:
    """Every dimension set an alarm reads: its metric's, or each metric of its math."""
    if "metricQueries" in alarm:
        return [q["metric"]["dimensions"] for q in alarm["metricQueries"] if "metric" in q]
    return [alarm["dimensions"]]


@pytest.fixture(scope="module", params=COMBOS, ids=[f"{s}-{p}" for s, p in COMBOS])
def any_plan(request, plan_for):
    stack, platform = request.param
    return plan_for(stack, f"nox:platform={platform}")


# --- routing -------------------------------------------------------------------------------------


def test_one_topic_per_stack_on_its_own_customer_key(any_plan):
    topic = any_plan.one(TOPIC)
    key = next(k for k in any_plan.of_type(KEY) if k["urn"] in topic["dependencies"])
    assert topic["inputs"]["kmsMasterKeyId"] == computed(key)[1]["arn"]
    assert topic["inputs"]["name"] == f"nox-{any_plan.stack}-alerts"
    assert any_plan.outputs["alertTopicArn"] == f"arn:aws:sns:{REGION}:{ACCOUNT}:nox-{any_plan.stack}-alerts"
    assert any_plan.outputs["alertKeyArn"] == computed(key)[1]["arn"]
    alias = next(a for a in any_plan.of_type("aws:kms/alias:Alias") if a["inputs"]["name"] == f"alias/nox-{any_plan.stack}-alerts")
    assert alias["inputs"]["targetKeyId"] == computed(key)[1]["keyId"]


def test_key_policy_lets_exactly_the_publishers_use_it(plan_for):
    plan = plan_for("prod")
    key = next(k for k in plan.of_type(KEY) if k["inputs"]["description"].startswith("nox-prod alarm topic"))
    statements = {s["Sid"]: s for s in json.loads(key["inputs"]["policy"])["Statement"]}
    assert set(statements) == {"AccountAdministers", "ServicesPublishToEncryptedTopics", "EventBridgePublishesToEncryptedTopics"}
    services = statements["ServicesPublishToEncryptedTopics"]
    assert services["Principal"] == {"Service": ["cloudwatch.amazonaws.com", "aps.amazonaws.com"]}
    assert services["Action"] == ["kms:GenerateDataKey*", "kms:Decrypt"]
    assert services["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}
    events = statements["EventBridgePublishesToEncryptedTopics"]
    assert events["Principal"] == {"Service": ["events.amazonaws.com"]} and "Condition" not in events
    assert events["Action"] == ["kms:GenerateDataKey*", "kms:Decrypt"]


def test_publisher_statements_only_for_what_is_asked():
    assert publisher_statements([], ACCOUNT) == []
    (only,) = publisher_statements(["cloudwatch.amazonaws.com"], ACCOUNT)
    assert only["Principal"] == {"Service": ["cloudwatch.amazonaws.com"]}


def test_topic_policy_admits_the_publishers_from_this_account_only(plan_for):
    plan = plan_for("prod")
    policy = json.loads(plan.one("aws:sns/topicPolicy:TopicPolicy")["inputs"]["policy"])
    topic = f"arn:aws:sns:{REGION}:{ACCOUNT}:nox-prod-alerts"
    statements = {s["Sid"]: s for s in policy["Statement"]}
    assert statements["DenyInsecureTransport"]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    for sid, service, source, actions in (
        ("PublishCloudwatch", "cloudwatch", "alarm:*", ["sns:Publish"]),
        ("PublishEvents", "events", "rule/*", ["sns:Publish"]),
        ("PublishAps", "aps", "workspace/*", ["sns:Publish", "sns:GetTopicAttributes"]),
    ):
        s = statements[sid]
        assert s["Principal"] == {"Service": f"{service}.amazonaws.com"} and s["Resource"] == topic and s["Action"] == actions
        assert s["Condition"] == {
            "StringEquals": {"aws:SourceAccount": ACCOUNT},
            "ArnLike": {"aws:SourceArn": f"arn:aws:{service}:{REGION}:{ACCOUNT}:{source}"},
        }
    assert len(statements) == 4


def test_subscriptions_come_from_config(plan_for):
    plan = plan_for(
        "dev",
        "nox:slackWorkspaceId=T07EA123LEP",
        "nox:slackChannelId=C07EZ1ABC23",
        "nox:alertHttpsEndpoint=https://events.example.com/integration/sns",
        'nox:alertEmails=["a@example.com","b@example.com"]',
    )
    topic = "arn:aws:sns:us-west-2:123456789012:nox-dev-alerts"
    subs = {(s["inputs"]["protocol"], s["inputs"]["endpoint"]) for s in plan.of_type(SUBSCRIPTION)}
    assert subs == {("email", "a@example.com"), ("email", "b@example.com"), ("https", "https://events.example.com/integration/sns")}
    assert {s["inputs"]["topic"] for s in plan.of_type(SUBSCRIPTION)} == {topic}
    slack = plan.one("aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration")["inputs"]
    assert (slack["slackTeamId"], slack["slackChannelId"], slack["snsTopicArns"]) == ("T07EA123LEP", "C07EZ1ABC23", [topic])
    assert slack["guardrailPolicyArns"] == ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
    role = next(r for r in plan.of_type("aws:iam/role:Role") if "chatbot" in r["name"])
    assert json.loads(role["inputs"]["assumeRolePolicy"])["Statement"][0]["Principal"] == {"Service": "chatbot.amazonaws.com"}
    # The shipped stacks: one address, no Slack.
    assert {s["inputs"]["endpoint"] for s in plan_for("dev").of_type(SUBSCRIPTION)} == {"oncall@nox.example.com"}
    assert not plan_for("dev").of_type("aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration")


def test_every_alarm_notifies_the_topic_on_alarm_and_ok(any_plan):
    topic = any_plan.outputs["alertTopicArn"]
    for a in any_plan.of_type(ALARM):
        i = a["inputs"]
        assert topic in i["alarmActions"] and i["okActions"] == [topic], i["name"]
        assert i.get("actionsEnabled", True) is True


def test_dev_has_the_same_alarms_as_prod(plan_for):
    def kinds(plan):
        return {
            re.sub(r"-(primary|replica|node-\d{4}-\d{3}|blue|green)(-app|-ws)?$", "", n.removeprefix(f"nox-{plan.stack}-"))
            for n in by_name(plan)
        }

    for platform in ("asg", "eks"):
        dev, prod = plan_for("dev", f"nox:platform={platform}"), plan_for("prod", f"nox:platform={platform}")
        assert kinds(prod) - kinds(dev) == {"db-replica-lag"}  # dev runs no replica, so has no replica to watch
        assert kinds(dev) <= kinds(prod)


# --- dimensions are the stack's resources -----------------------------------------------------------


def test_alb_alarms_watch_the_stacks_alb_and_target_groups_on_asg(plan_for):
    plan = plan_for("prod", "nox:platform=asg")
    lb = computed(plan.one("aws:lb/loadBalancer:LoadBalancer"))[1]["arnSuffix"]
    groups = {r["name"].removeprefix("edge-"): computed(r)[1]["arnSuffix"] for r in plan.of_type("aws:lb/targetGroup:TargetGroup")}
    assert lb == plan.outputs["albArnSuffix"]
    alarms = by_name(plan)
    for name in ("alb-5xx-ratio", "alb-p95-response-time", "alb-elb-5xx", "alb-rejected-connections"):
        assert all(d == {"LoadBalancer": lb} for d in dims(alarms[f"nox-prod-{name}"]))
    unhealthy = {n.removeprefix("nox-prod-alb-unhealthy-hosts-"): a["dimensions"] for n, a in alarms.items() if "unhealthy" in n}
    assert unhealthy == {g: {"TargetGroup": suffix, "LoadBalancer": lb} for g, suffix in groups.items()}
    assert set(unhealthy) == {"blue-app", "blue-ws", "green-app", "green-ws"}


def test_alb_alarms_watch_the_controllers_alb_on_eks(plan_for):
    plan = plan_for(
        "prod",
        "nox:platform=eks",
        "nox:releaseStrategy=canary",
        "nox:imageGreen=123456789012.dkr.ecr.us-west-2.amazonaws.com/nox-api@sha256:" + "b1" * 32,  # prod: digests only
    )
    cluster = plan.one("aws:eks/cluster:Cluster")["inputs"]["name"]
    ingress = plan.one("kubernetes:networking.k8s.io/v1:Ingress")["inputs"]["metadata"]
    stack = f"{ingress['namespace']}/{ingress['name']}"

    def lookup(token: str, resource: str) -> str:
        tags = {"elbv2.k8s.aws/cluster": cluster, "ingress.k8s.aws/stack": stack, "ingress.k8s.aws/resource": resource}
        return CALLS[token](Ctx(REGION), {"tags": tags})["arnSuffix"]

    lb = lookup("aws:lb/getLoadBalancer:getLoadBalancer", "LoadBalancer")
    alarms = by_name(plan)
    assert dims(alarms["nox-prod-alb-p95-response-time"]) == [{"LoadBalancer": lb}]
    # One per Service the Ingress's actions forward to (both colours serve during a canary).
    services = {
        s["inputs"]["metadata"]["name"]: s["inputs"]["spec"]["ports"][0]["port"] for s in plan.of_type("kubernetes:core/v1:Service")
    }
    for colour in ("blue", "green"):
        for kind, service in (("app", f"nox-api-service-{colour}"), ("ws", f"nox-websocket-service-{colour}")):
            tg = lookup("aws:lb/getTargetGroup:getTargetGroup", f"{stack}-{service}:{int(services[service])}")
            assert alarms[f"nox-prod-alb-unhealthy-hosts-{colour}-{kind}"]["dimensions"] == {"TargetGroup": tg, "LoadBalancer": lb}


def test_database_and_cache_alarms_watch_every_instance_and_node(plan_for):
    plan = plan_for("prod")
    alarms = by_name(plan)
    identifiers = {r["inputs"]["identifier"] for r in plan.of_type("aws:rds/instance:Instance")}
    assert identifiers == {"nox-prod-db", "nox-prod-db-replica"}
    for metric in ("db-cpu", "DatabaseConnectionHigh", "db-free-storage", "db-freeable-memory", "db-read-latency", "db-write-latency"):
        assert {alarms[f"nox-prod-{metric}-{w}"]["dimensions"]["DBInstanceIdentifier"] for w in ("primary", "replica")} == identifiers
    assert alarms["nox-prod-db-replica-lag-replica"]["dimensions"] == {"DBInstanceIdentifier": "nox-prod-db-replica"}

    group = computed(plan.one("aws:elasticache/replicationGroup:ReplicationGroup"))[1]["replicationGroupId"]
    # prod: 1 shard, 2 replicas -> the seed's M1/S1/S2 as nodes 001..003 of shard 0001.
    nodes = {f"{group}-0001-00{n}" for n in (1, 2, 3)}
    for metric in ("RedisMemoryHigh", "cache-engine-cpu", "cache-evictions", "cache-connections"):
        watched = {a["dimensions"]["CacheClusterId"] for n, a in alarms.items() if n.startswith(f"nox-prod-{metric}-node-")}
        assert watched == nodes, metric


def test_cache_node_ids_follow_cluster_mode_naming():
    assert catalogue.cache_node_ids("g", 2, 1) == ["g-0001-001", "g-0001-002", "g-0002-001", "g-0002-002"]
    assert catalogue.cache_node_ids("g", 1, 0) == ["g-0001-001"]


def test_waf_and_eks_alarms_watch_the_web_acl_cluster_and_pods(plan_for):
    plan = plan_for("prod", "nox:platform=eks")
    alarms = by_name(plan)
    acl = plan.one("aws:wafv2/webAcl:WebAcl")["inputs"]["name"]
    assert alarms["nox-prod-waf-blocked-spike"]["dimensions"] == {"WebACL": acl, "Region": REGION, "Rule": "ALL"}
    assert alarms["nox-prod-waf-blocked-spike"]["namespace"] == "AWS/WAFV2"
    cluster = plan.one("aws:eks/cluster:Cluster")["inputs"]["name"]
    for what in ("cpu", "memory"):
        a = alarms[f"nox-prod-eks-node-{what}"]
        assert (a["namespace"], a["metricName"], a["dimensions"]) == (
            "ContainerInsights",
            f"node_{what}_utilization",
            {"ClusterName": cluster},
        )
    deployment = plan.one("kubernetes:apps/v1:Deployment")["inputs"]["metadata"]
    restarts = alarms["nox-prod-eks-pod-restarts-blue"]
    assert restarts["dimensions"] == {"ClusterName": cluster, "Namespace": deployment["namespace"], "PodName": deployment["name"]}
    assert restarts["metricName"] == "pod_number_of_container_restarts"


# --- the seed's thresholds and AWS's metrics ---------------------------------------------------------


def test_seed_alerts_keep_their_thresholds_and_durations(plan_for):
    alarms = by_name(plan_for("prod"))
    slow = alarms["nox-prod-alb-p95-response-time"]
    assert (slow["metricName"], slow["extendedStatistic"], slow["threshold"]) == ("TargetResponseTime", "p95", 1.0)
    assert (slow["period"], slow["evaluationPeriods"], slow["datapointsToAlarm"]) == (60, 5, 5)  # for: 5m
    assert "statistic" not in slow
    errors = alarms["nox-prod-alb-5xx-ratio"]
    assert (errors["threshold"], errors["comparisonOperator"], errors["evaluationPeriods"], errors["datapointsToAlarm"]) == (
        5,
        "GreaterThanThreshold",
        2,
        2,
    )
    connections = alarms["nox-prod-DatabaseConnectionHigh-primary"]
    assert (connections["metricName"], connections["threshold"], connections["evaluationPeriods"]) == (
        "DatabaseConnections",
        80,
        5,
    )  # 80 of 200
    memory = alarms["nox-prod-RedisMemoryHigh-node-0001-001"]
    assert (memory["metricName"], memory["namespace"], memory["threshold"], memory["evaluationPeriods"]) == (
        "DatabaseMemoryUsagePercentage",
        "AWS/ElastiCache",
        80,
        10,
    )  # for: 10m


SECONDS = {"m": 60, "h": 3600}


@pytest.mark.parametrize("platform", ["asg", "eks"])
def test_database_and_redis_seed_alerts_are_these_cloudwatch_alarms_on_both_platforms(plan_for, platform):
    """DatabaseConnectionHigh and RedisMemoryHigh are evaluated here only (alert_rules.CLOUDWATCH_ALERTS):
    the seed's metric by its CloudWatch equivalent, on the stack's own instances and nodes, at the
    seed's threshold, alarming after exactly the seed's `for` (every period breaching)."""
    plan = plan_for("prod", f"nox:platform={platform}")
    alarms = by_name(plan)
    identifiers = {r["name"]: r["inputs"]["identifier"] for r in plan.of_type("aws:rds/instance:Instance")}
    group = computed(plan.one("aws:elasticache/replicationGroup:ReplicationGroup"))[1]["replicationGroupId"]
    expected = {
        "DatabaseConnectionHigh": ("AWS/RDS", "DatabaseConnections", "Maximum", 80),  # 80 of max_connections 200
        "RedisMemoryHigh": ("AWS/ElastiCache", "DatabaseMemoryUsagePercentage", "Average", 80),  # 80 %
    }
    assert set(expected) == set(alert_rules.CLOUDWATCH_ALERTS)
    for name, (namespace, metric, stat, threshold) in expected.items():
        rule = alert_rules.RULES_BY_NAME[name]
        watched = {n: a for n, a in alarms.items() if n.startswith(f"nox-prod-{name}-")}
        assert watched, name
        for alarm in watched.values():
            assert (alarm["namespace"], alarm["metricName"], alarm["statistic"], alarm["threshold"]) == (namespace, metric, stat, threshold)
            assert alarm["comparisonOperator"] == "GreaterThanThreshold"
            assert alarm["period"] * alarm["evaluationPeriods"] == int(rule.duration[:-1]) * SECONDS[rule.duration[-1]]
            assert alarm["datapointsToAlarm"] == alarm["evaluationPeriods"]
        if name == "DatabaseConnectionHigh":
            assert {a["dimensions"]["DBInstanceIdentifier"] for a in watched.values()} == {
                identifiers["database-primary"],
                identifiers["database-replica"],
            }
        else:
            assert {a["dimensions"]["CacheClusterId"] for a in watched.values()} == {f"{group}-0001-00{n}" for n in (1, 2, 3)}


def test_error_rate_alarm_and_prometheus_rule_agree_on_5_percent(plan_for):
    default = next(c for c in catalogue.default_catalogue() if c.id == "alb-5xx-ratio")
    assert default.threshold == alert_rules.ERROR_RATIO * 100 == 5
    assert alert_rules.RULES_BY_NAME["HighErrorRate"].expr.endswith(f"> {alert_rules.ERROR_RATIO}")
    assert by_name(plan_for("prod", "nox:platform=eks"))["nox-prod-alb-5xx-ratio"]["threshold"] == 5


def test_thresholds_follow_their_settings(plan_for):
    alarms = by_name(plan_for("dev", "nox:alarmResponseTimeMs=1500", "nox:alarmDbConnectionsPercent=50", "nox:alarmErrorRatePercent=7"))
    assert alarms["nox-dev-alb-p95-response-time"]["threshold"] == 1.5
    assert alarms["nox-dev-DatabaseConnectionHigh-primary"]["threshold"] == 100  # 50 % of 200
    assert alarms["nox-dev-alb-5xx-ratio"]["threshold"] == 7


def test_error_rate_is_a_ratio_by_metric_math(plan_for):
    alarm = by_name(plan_for("prod", "nox:platform=asg"))["nox-prod-alb-5xx-ratio"]
    assert "metricName" not in alarm and "namespace" not in alarm
    queries = {q["id"]: q for q in alarm["metricQueries"]}
    assert queries["result"] == {
        "id": "result",
        "expression": "100 * FILL(errors, 0) / requests",
        "label": "Target 5xx % of requests",
        "returnData": True,
    }
    for qid, metric in (("errors", "HTTPCode_Target_5XX_Count"), ("requests", "RequestCount")):
        m = queries[qid]["metric"]
        assert (m["namespace"], m["metricName"], m["stat"], m["period"]) == ("AWS/ApplicationELB", metric, "Sum", 60)
        assert queries[qid]["returnData"] is False
    assert alarm["treatMissingData"] == "notBreaching"


def test_database_thresholds_derive_from_the_instance(plan_for):
    alarms = by_name(plan_for("prod"))  # db.r7g.large: 16 GiB; 20 GiB allocated
    assert alarms["nox-prod-db-freeable-memory-primary"]["threshold"] == pytest.approx(0.1 * 16 * 1024**3)
    assert alarms["nox-prod-db-free-storage-primary"]["threshold"] == pytest.approx(0.1 * 20 * 1024**3)
    assert alarms["nox-prod-db-free-storage-primary"]["comparisonOperator"] == "LessThanThreshold"


def test_every_alarm_is_a_valid_put_metric_alarm(any_plan):
    for a in ours(any_plan):
        i = a["inputs"]
        assert 1 <= len(i["name"]) <= 255 and not re.search(r"[\x00-\x1f\x7f]", i["name"])
        assert len(i["alarmDescription"]) <= 1024 and "Missing data:" in i["alarmDescription"]
        assert i["treatMissingData"] in ("breaching", "notBreaching", "ignore", "missing")
        assert i["comparisonOperator"] in ("GreaterThanThreshold", "LessThanThreshold")
        assert 1 <= i["datapointsToAlarm"] <= i["evaluationPeriods"]
        if "metricQueries" not in i:
            assert ("statistic" in i) != ("extendedStatistic" in i)
            assert i["statistic" if "statistic" in i else "extendedStatistic"] in ("Sum", "Average", "Minimum", "Maximum", "p95")
        for d in dims(i):
            # The log metrics of the app's group have no dimension (components/logs.py); all others do.
            assert d or i.get("namespace", "").endswith("/logs"), i["name"]
            assert all(isinstance(v, str) and v for v in d.values()), i["name"]


def test_descriptions_come_from_one_helper():
    check = catalogue.default_catalogue()[0]
    text = catalogue.alarm_description(check, catalogue.Target("alb", ""), "")
    assert text.startswith("Share of requests the API answers with a 5xx (alb): Target 5xx % of requests Sum > 5, 2 of 2 x 60 s.")
    assert text.endswith(" Runbook: docs/runbooks/alb-5xx-ratio.md")
    with pytest.raises(ValueError, match="over 1024"):
        catalogue.alarm_description(check.__class__(**{**check.__dict__, "summary": "x" * 1100}), catalogue.Target("alb", ""), "")


def test_alarms_args_refuse_targets_no_check_watches():
    with pytest.raises(ValueError, match="no check applies to target kind 'queue'"):
        catalogue.AlarmsArgs(
            name_prefix="p",
            topic_arn="t",
            checks=catalogue.default_catalogue(),
            targets=(catalogue.Target("queue", "q"),),
            runbook_base_url="",
        )


# --- dashboard ------------------------------------------------------------------------------------


def dashboard_lines(plan) -> list[list]:
    body = json.loads(plan.one(DASHBOARD)["inputs"]["dashboardBody"])
    for w in body["widgets"]:
        assert w["type"] == "metric" and {"x", "y", "width", "height"} <= set(w)
        assert w["properties"]["region"] == REGION and w["properties"]["view"] == "timeSeries"
    return [line for w in body["widgets"] for line in w["properties"]["metrics"]]


def test_dashboard_plots_the_alarms_metrics_on_the_same_resources(any_plan):
    assert any_plan.one(DASHBOARD)["inputs"]["dashboardName"] == f"nox-{any_plan.stack}-api"
    watched: set[tuple] = set()
    for a in ours(any_plan):
        i = a["inputs"]
        if "metricQueries" in i:
            watched |= {(q["metric"]["namespace"], q["metric"]["metricName"]) for q in i["metricQueries"] if "metric" in q}
        else:
            watched.add((i["namespace"], i["metricName"]))
    companions = {(ns, m) for ns, ms in COMPANION_METRICS.items() for m in ms}
    alarm_dims = [d for a in ours(any_plan) for d in dims(a["inputs"])]
    expressions = 0
    for line in dashboard_lines(any_plan):
        if isinstance(line[0], dict):
            expressions += 1
            assert line[0]["expression"] == "100 * FILL(errors, 0) / requests"
            continue
        namespace, metric, *rest = line
        assert (namespace, metric) in watched | companions, (namespace, metric)
        pairs = [x for x in rest if not isinstance(x, dict)]
        dimensions = dict(zip(pairs[::2], pairs[1::2], strict=True))
        assert dimensions in alarm_dims, (metric, dimensions)
    assert expressions == 1
    assert {("AWS/ApplicationELB", "TargetResponseTime"), ("AWS/WAFV2", "BlockedRequests"), ("AWS/RDS", "DatabaseConnections")} <= {
        tuple(line[:2]) for line in dashboard_lines(any_plan) if not isinstance(line[0], dict)
    }


def test_dashboard_latency_percentiles(plan_for):
    lines = [line for line in dashboard_lines(plan_for("prod")) if line[1:2] == ["TargetResponseTime"]]
    assert [line[-1]["stat"] for line in lines] == ["p50", "p95", "p99"]


# --- Container Insights (eks) --------------------------------------------------------------------------


def test_container_insights_addon_with_its_own_role(plan_for):
    plan = plan_for("prod", "nox:platform=eks")
    addon = next(a for a in plan.of_type("aws:eks/addon:Addon") if a["inputs"]["addonName"] == "amazon-cloudwatch-observability")["inputs"]
    assert json.loads(addon["configurationValues"])["containerLogs"]["enabled"] is True  # Fluent Bit: tests/test_logs.py
    role = next(r for r in plan.of_type("aws:iam/role:Role") if r["name"] == "container-insights-agent-role")
    condition = json.loads(role["inputs"]["assumeRolePolicy"])["Statement"][0]["Condition"]["StringEquals"]
    assert any(v == "system:serviceaccount:amazon-cloudwatch:cloudwatch-agent" for v in condition.values())
    assert addon["serviceAccountRoleArn"] == computed(role)[1]["arn"]
    attachment = next(
        r for r in plan.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment") if r["name"].startswith("container-insights")
    )
    assert attachment["inputs"]["policyArn"] == "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy"
    logs = next(g for g in plan.of_type("aws:cloudwatch/logGroup:LogGroup") if g["name"] == "container-insights-performance-logs")["inputs"]
    assert logs["name"] == "/aws/containerinsights/nox-prod/performance" and logs["kmsKeyId"] and logs["retentionInDays"] == 365
    assert not [a for a in plan_for("prod", "nox:platform=asg").of_type("aws:eks/addon:Addon")]


# --- docs -------------------------------------------------------------------------------------------


def test_monitoring_doc_table_is_generated_from_the_catalogue():
    doc = (ROOT / "docs" / "monitoring.md").read_text()
    start, end = doc.index(catalogue.TABLE_BEGIN), doc.index(catalogue.TABLE_END) + len(catalogue.TABLE_END)
    assert doc[start:end] == catalogue.alarm_table(catalogue.default_catalogue()), "run: python -m components.alarms"


def test_doc_table_names_every_check_once():
    table = catalogue.alarm_table(catalogue.default_catalogue())
    for check in catalogue.default_catalogue():
        assert table.count(f"| `{check.id}` |") == 1
