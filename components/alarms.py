"""CloudWatch alarms for every part of the stack, all routed to the stack's alert topic.

What is watched follows AWS's "Recommended alarms" (CloudWatch user guide,
https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Best_Practice_Recommended_Alarms_AWS_Services.html)
for ALB, RDS, ElastiCache, WAF and Container Insights, plus the seed's alert rules where CloudWatch
has the same signal: DatabaseConnectionHigh and RedisMemoryHigh (evaluated only here) keep the
seed's names, thresholds and `for` durations; the ALB's 5xx ratio and p95 latency keep the seed's
HighErrorRate/HighResponseTime thresholds under names of their own (the Prometheus rules of the
seed's names watch the app's metrics). Metric names, namespaces, dimensions and
statistics are AWS's ("CloudWatch metrics for your Application Load Balancer", "Monitoring Amazon
RDS metrics with CloudWatch", "Metrics for Valkey and Redis OSS", "AWS WAF metrics and dimensions",
"Amazon EKS and Kubernetes Container Insights metrics").

`CHECKS` (via `checks()`) is the catalogue: one entry per failure mode and the kind of resource it
applies to; `Target`s are the stack's real resources of each kind. Every alarm has the topic as its
alarm AND OK action, so people hear when it clears too; its description ends with the link to the
check's runbook page (components/runbooks.py). `docs/monitoring.md` holds the table
`python -m components.alarms` prints (`--write` rewrites it there; a test keeps them equal).

On platform eks the ALB and its target groups belong to the AWS Load Balancer Controller. They are
looked up once the Ingress and the colours' Deployments are ready (`controller_load_balancer`),
rather than re-created by Pulumi and bound with `TargetGroupBinding`: that would drop the seed's
Ingress and move the ALB, its listeners and rules out of the controller into this program. The
lookups `depends_on` the Ingress and the Deployments: while either is still to be created (a
first preview) the lookup is skipped and the alarms show unknown dimensions instead of the
preview failing on an ALB that does not exist yet; a Deployment is ready only once its pods pass
the ALB target-group readiness gate, so by then the controller's target group exists.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws

from settings import AlertingSettings

from . import appspec, runbooks
from .base import Named

RECOMMENDED = "AWS Recommended alarms"
CHOSEN = "AWS Recommended alarms (metric); threshold ours"  # AWS leaves the threshold to the workload
ALB, RDS, CACHE, WAF, INSIGHTS = "AWS/ApplicationELB", "AWS/RDS", "AWS/ElastiCache", "AWS/WAFV2", "ContainerInsights"
GIB = 1024**3

# AWS-recommended thresholds (Recommended alarms page) where the seed has none.
RDS_CPU_PERCENT = 90  # RDS CPUUtilization: 90 %, 5 of 5 one-minute periods
CACHE_ENGINE_CPU_PERCENT = 90  # ElastiCache EngineCPUUtilization: 90 % as the starting point
REPLICA_LAG_SECONDS = 60  # RDS ReplicaLag: 60 s, 10 of 10 one-minute periods
REJECTED_CONNECTIONS = 0  # ALB RejectedConnectionCount: any (the ALB hit its connection limit)
UNHEALTHY_HOSTS = 0  # ALB UnHealthyHostCount: any unhealthy target
# AWS leaves these to the workload; the choices and why:
ELB_5XX_PER_MINUTE = 10  # the ALB itself failing (no target, 502/503/504): more than a stray error
FREE_STORAGE_FRACTION = 0.10  # FreeStorageSpace: 10 % of the allocated storage left
FREEABLE_MEMORY_FRACTION = 0.10  # FreeableMemory: 10 % of the instance's memory left
IO_LATENCY_SECONDS = 0.02  # Read/WriteLatency: 20 ms, several times gp3's single-digit ms
CACHE_EVICTIONS = 0  # Evictions: the cache also holds sessions (allkeys-lru), an eviction logs someone out
CACHE_CONNECTIONS = 1000  # CurrConnections per node: 40 app instances x a few each is far below; more is a leak
WAF_BLOCKED_PER_5_MINUTES = 1000  # BlockedRequests: a spike (an attack or a rule blocking real users)
NODE_UTILIZATION_PERCENT = 80  # Container Insights node CPU / memory: room left for a node to drain onto
POD_RESTARTS = 3  # pod_number_of_container_restarts: a crash loop, not a single restart

GREATER, LESS = "GreaterThanThreshold", "LessThanThreshold"
DESCRIPTION_MAX = 1024  # PutMetricAlarm AlarmDescription: max 1024 characters (botocore cloudwatch model)
OPERATOR = {GREATER: ">", LESS: "<"}


@dataclass(frozen=True)
class Query:
    """One metric of a metric-math alarm: `id` is the name the expression uses."""

    id: str
    metric: str
    stat: str


@dataclass(frozen=True)
class Check:
    """One failure mode: what to measure on a kind of resource, when it alarms, and why."""

    id: str  # alarm-name part; the seed's alert name where there is one
    kinds: tuple[str, ...]  # Target kinds it applies to
    summary: str
    namespace: str
    metric: str  # the metric, or the label of the expression's result
    stat: str  # Sum / Average / Minimum / Maximum / p95
    comparison: str
    threshold: float
    shown: str  # the threshold as the docs show it (setting-independent)
    period: int
    evaluation_periods: int
    datapoints: int
    treat_missing: str
    missing_reason: str
    source: str
    expression: str | None = None
    queries: tuple[Query, ...] = ()

    @property
    def metrics(self) -> tuple[str, ...]:
        return tuple(q.metric for q in self.queries) if self.expression else (self.metric,)


@dataclass(frozen=True)
class Target:
    """A resource alarms watch: its kind, a name part, and the CloudWatch dimensions that select it."""

    kind: str
    label: str
    dimensions: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)


def checks(s: AlertingSettings, *, max_connections: int, allocated_storage_gib: int, memory_gib: int) -> tuple[Check, ...]:
    """The catalogue, with this stack's thresholds."""
    minute = 60
    db = ("db-primary", "db-replica")
    return (
        # Named for what they watch, not after the seed's alerts: the Prometheus rules of those names
        # (alert_rules.py) evaluate the same signal from the app's metrics, and one bad minute must
        # not page twice under one name.
        Check(
            "alb-5xx-ratio",
            ("alb",),
            "Share of requests the API answers with a 5xx",
            ALB,
            "Target 5xx % of requests",
            "Sum",
            GREATER,
            s.error_rate_percent,
            "> 5 % (nox:alarmErrorRatePercent)",
            minute,
            2,
            2,
            "notBreaching",
            "no requests in the minute: nothing failed",
            "at the ALB, the seed's HighErrorRate (critical, for 2m) as a ratio; 5 %: the seed's 95 % success gate",
            expression="100 * FILL(errors, 0) / requests",
            queries=(Query("errors", "HTTPCode_Target_5XX_Count", "Sum"), Query("requests", "RequestCount", "Sum")),
        ),
        Check(
            "alb-p95-response-time",
            ("alb",),
            "95th percentile time the API takes to answer",
            ALB,
            "TargetResponseTime",
            "p95",
            GREATER,
            s.response_time_ms / 1000,
            "> 1 s (nox:alarmResponseTimeMs)",
            minute,
            5,
            5,
            "notBreaching",
            "no requests in the minute: nothing was slow",
            "at the ALB, the seed's HighResponseTime (warning, for 5m)",
        ),
        Check(
            "alb-elb-5xx",
            ("alb",),
            "5xx answered by the load balancer itself (no healthy target, 502/503/504)",
            ALB,
            "HTTPCode_ELB_5XX_Count",
            "Sum",
            GREATER,
            ELB_5XX_PER_MINUTE,
            f"> {ELB_5XX_PER_MINUTE} per minute",
            minute,
            5,
            3,
            "notBreaching",
            "ALB publishes it only when it answered a 5xx",
            CHOSEN,
        ),
        Check(
            "alb-rejected-connections",
            ("alb",),
            "Connections the load balancer refused (it reached its connection limit)",
            ALB,
            "RejectedConnectionCount",
            "Sum",
            GREATER,
            REJECTED_CONNECTIONS,
            "> 0",
            minute,
            5,
            5,
            "notBreaching",
            "ALB publishes it only when it rejected a connection",
            RECOMMENDED,
        ),
        Check(
            "alb-unhealthy-hosts",
            ("target-group",),
            "Targets failing the /health check",
            ALB,
            "UnHealthyHostCount",
            "Maximum",
            GREATER,
            UNHEALTHY_HOSTS,
            "> 0",
            minute,
            5,
            5,
            "notBreaching",
            "a target group without targets (an idle colour) publishes nothing",
            RECOMMENDED,
        ),
        Check(
            "db-cpu",
            db,
            "Database CPU",
            RDS,
            "CPUUtilization",
            "Average",
            GREATER,
            RDS_CPU_PERCENT,
            f"> {RDS_CPU_PERCENT} %",
            minute,
            5,
            5,
            "breaching",
            "RDS publishes it every minute while the instance runs: silence means it is down",
            RECOMMENDED,
        ),
        Check(
            "DatabaseConnectionHigh",
            db,
            "Open database connections against max_connections",
            RDS,
            "DatabaseConnections",
            "Maximum",
            GREATER,
            max_connections * s.db_connections_percent // 100,
            "> 80: 40 % of max_connections 200 (nox:alarmDbConnectionsPercent)",
            minute,
            5,
            5,
            "missing",
            "the CPU alarm already reports an instance that stopped publishing",
            "seed DatabaseConnectionHigh (warning, for 5m; pg_stat_database_numbackends > 80)",
        ),
        Check(
            "db-free-storage",
            db,
            "Free storage left before autoscaling or the ceiling",
            RDS,
            "FreeStorageSpace",
            "Minimum",
            LESS,
            FREE_STORAGE_FRACTION * allocated_storage_gib * GIB,
            "< 10 % of nox:dbAllocatedStorage (bytes)",
            minute,
            5,
            5,
            "missing",
            "the CPU alarm already reports an instance that stopped publishing",
            CHOSEN,
        ),
        Check(
            "db-freeable-memory",
            db,
            "Memory left to the database",
            RDS,
            "FreeableMemory",
            "Minimum",
            LESS,
            FREEABLE_MEMORY_FRACTION * memory_gib * GIB,
            "< 10 % of the instance class's memory (bytes)",
            minute,
            5,
            5,
            "missing",
            "the CPU alarm already reports an instance that stopped publishing",
            CHOSEN,
        ),
        *(
            Check(
                f"db-{io.lower()}-latency",
                db,
                f"Average {io.lower()} I/O latency",
                RDS,
                f"{io}Latency",
                "Average",
                GREATER,
                IO_LATENCY_SECONDS,
                f"> {IO_LATENCY_SECONDS * 1000:g} ms",
                minute,
                5,
                5,
                "missing",
                "the CPU alarm already reports an instance that stopped publishing",
                CHOSEN,
            )
            for io in ("Read", "Write")
        ),
        Check(
            "db-replica-lag",
            ("db-replica",),
            "How far the read replica is behind the primary",
            RDS,
            "ReplicaLag",
            "Maximum",
            GREATER,
            REPLICA_LAG_SECONDS,
            f"> {REPLICA_LAG_SECONDS} s",
            minute,
            10,
            10,
            "breaching",
            "a replica that stops reporting lag has stopped replicating",
            RECOMMENDED,
        ),
        Check(
            "RedisMemoryHigh",
            ("cache-node",),
            "Share of the node's memory (maxmemory) in use",
            CACHE,
            "DatabaseMemoryUsagePercentage",
            "Average",
            GREATER,
            s.redis_memory_percent,
            "> 80 % (nox:alarmRedisMemoryPercent)",
            minute,
            10,
            10,
            "missing",
            "the engine CPU alarm already reports a node that stopped publishing",
            "seed RedisMemoryHigh (warning, for 10m; used / max memory > 0.8)",
        ),
        Check(
            "cache-engine-cpu",
            ("cache-node",),
            "CPU of the (single-threaded) engine",
            CACHE,
            "EngineCPUUtilization",
            "Average",
            GREATER,
            CACHE_ENGINE_CPU_PERCENT,
            f"> {CACHE_ENGINE_CPU_PERCENT} %",
            minute,
            5,
            5,
            "breaching",
            "ElastiCache publishes it every minute per node: silence means the node is gone",
            RECOMMENDED,
        ),
        Check(
            "cache-evictions",
            ("cache-node",),
            "Keys evicted for memory (sessions are lost)",
            CACHE,
            "Evictions",
            "Sum",
            GREATER,
            CACHE_EVICTIONS,
            "> 0",
            minute,
            5,
            3,
            "missing",
            "the engine CPU alarm already reports a node that stopped publishing",
            CHOSEN,
        ),
        Check(
            "cache-connections",
            ("cache-node",),
            "Client connections to the node (a leak long before the 65,000 limit)",
            CACHE,
            "CurrConnections",
            "Maximum",
            GREATER,
            CACHE_CONNECTIONS,
            f"> {CACHE_CONNECTIONS}",
            minute,
            5,
            5,
            "missing",
            "the engine CPU alarm already reports a node that stopped publishing",
            CHOSEN,
        ),
        Check(
            "waf-blocked-spike",
            ("waf",),
            "Requests the web ACL blocked (an attack, or a rule blocking real users)",
            WAF,
            "BlockedRequests",
            "Sum",
            GREATER,
            WAF_BLOCKED_PER_5_MINUTES,
            f"> {WAF_BLOCKED_PER_5_MINUTES} in 5 minutes",
            5 * minute,
            1,
            1,
            "notBreaching",
            "WAF publishes it only when it blocked something",
            CHOSEN,
        ),
        *(
            Check(
                f"eks-node-{what}",
                ("eks-cluster",),
                f"Busiest node's {what}",
                INSIGHTS,
                f"node_{what}_utilization",
                "Maximum",
                GREATER,
                NODE_UTILIZATION_PERCENT,
                f"> {NODE_UTILIZATION_PERCENT} %",
                minute,
                5,
                5,
                missing,
                reason,
                CHOSEN + " (Container Insights)",
            )
            for what, missing, reason in (
                ("cpu", "breaching", "the CloudWatch agent publishes it every minute: silence means it stopped"),
                ("memory", "missing", "the node CPU alarm already reports an agent that stopped publishing"),
            )
        ),
        Check(
            "eks-pod-restarts",
            ("eks-pod",),
            "Container restarts of the colour's pods (a crash loop)",
            INSIGHTS,
            "pod_number_of_container_restarts",
            "Maximum",
            GREATER,
            POD_RESTARTS,
            f"> {POD_RESTARTS}",
            5 * minute,
            1,
            1,
            "notBreaching",
            "no pods of the colour yet: nothing restarted",
            CHOSEN + " (Container Insights)",
        ),
    )


# --- targets: the stack's resources by kind ------------------------------------------------------


def alb_targets(load_balancer: pulumi.Input[str], target_groups: Mapping[str, pulumi.Input[str]]) -> list[Target]:
    """The ALB and each target group, by ARN suffix (the LoadBalancer / TargetGroup dimension values)."""
    return [Target("alb", "", {"LoadBalancer": load_balancer})] + [
        Target("target-group", label, {"TargetGroup": tg, "LoadBalancer": load_balancer}) for label, tg in target_groups.items()
    ]


def database_targets(primary: pulumi.Input[str], replica: pulumi.Input[str] | None) -> list[Target]:
    targets = [Target("db-primary", "primary", {"DBInstanceIdentifier": primary})]
    if replica is not None:
        targets.append(Target("db-replica", "replica", {"DBInstanceIdentifier": replica}))
    return targets


def cache_node_ids(group_id: str, shards: int, replicas_per_shard: int) -> list[str]:
    """Cluster-mode node ids: `<group>-<shard 0001..>-<node 001..>`, primary and replicas of every shard."""
    return [f"{group_id}-{shard:04d}-{node:03d}" for shard in range(1, shards + 1) for node in range(1, replicas_per_shard + 2)]


def cache_targets(group_id: pulumi.Output[str], shards: int, replicas_per_shard: int) -> list[Target]:
    """One target per node (CacheClusterId): the node metrics exist per node, not per replication group."""
    suffixes = [n.removeprefix("g-") for n in cache_node_ids("g", shards, replicas_per_shard)]
    # Node ids are the group id plus the suffix (cache_node_ids), so the dimension is a concat.
    return [Target("cache-node", f"node-{suffix}", {"CacheClusterId": pulumi.Output.concat(group_id, f"-{suffix}")}) for suffix in suffixes]


def waf_target(web_acl_name: pulumi.Input[str], region: str) -> Target:
    # Rule=ALL: the web ACL's total over all rules (AWS WAF metrics and dimensions).
    return Target("waf", "", {"WebACL": web_acl_name, "Region": region, "Rule": "ALL"})


def eks_targets(cluster_name: pulumi.Input[str], namespace: str, pods: Mapping[str, str]) -> list[Target]:
    """The cluster's nodes, and each serving colour's pods (Container Insights' PodName is the workload name)."""
    return [Target("eks-cluster", "", {"ClusterName": cluster_name})] + [
        Target("eks-pod", colour, {"ClusterName": cluster_name, "Namespace": namespace, "PodName": pod}) for colour, pod in pods.items()
    ]


def controller_load_balancer(
    cluster_name: pulumi.Input[str], workload: Any, provider: pulumi.ProviderResource
) -> tuple[pulumi.Output[aws.lb.GetLoadBalancerResult], dict[str, pulumi.Output[str]]]:
    """The ALB the LB controller made for the Ingress (platform eks), and its target groups' ARN
    suffixes. The one lookup of that ALB: the alarms read its ARN suffix, the `nox:domain` alias
    record its DNS name and zone.

    Found by the tags the controller puts on what it creates (its docs, "Resource Tags"): the
    cluster, the stack `<namespace>/<ingress>`, and the resource id: `LoadBalancer`, and for a
    target group `<namespace>/<ingress>-<service>:<port>`.
    """
    from .workload import API_SERVICE_PORT, INGRESS_NAME, NAMESPACE, api_service_name, ws_service_name

    stack = f"{NAMESPACE}/{INGRESS_NAME}"

    def tags(resource: str) -> dict[str, pulumi.Input[str]]:
        return {"elbv2.k8s.aws/cluster": cluster_name, "ingress.k8s.aws/stack": stack, "ingress.k8s.aws/resource": resource}

    lb = aws.lb.get_load_balancer_output(
        tags=tags("LoadBalancer"), opts=pulumi.InvokeOutputOptions(provider=provider, depends_on=[workload.ingress])
    )
    groups: dict[str, pulumi.Output[str]] = {}
    for colour, deployment in workload.deployments.items():
        ready = pulumi.InvokeOutputOptions(provider=provider, depends_on=[workload.ingress, deployment])
        for kind, service, port in (("app", api_service_name(colour), API_SERVICE_PORT), ("ws", ws_service_name(colour), appspec.WS_PORT)):
            tg = aws.lb.get_target_group_output(tags=tags(f"{stack}-{service}:{port}"), opts=ready)
            groups[f"{colour}-{kind}"] = tg.arn_suffix
    return lb, groups


# --- alarms -----------------------------------------------------------------------------------------


def alarm_name(prefix: str, check: Check, target: Target) -> str:
    return "-".join(p for p in (prefix, check.id, target.label) if p)


def alarm_description(check: Check, target: Target, runbook_base_url: str) -> str:
    """The one place alarm descriptions are written; the runbook link ends it (the check's page)."""
    where = target.label or target.kind
    text = (
        f"{check.summary} ({where}): {check.metric} {check.stat} {OPERATOR[check.comparison]} {shown_value(check.threshold)}, "
        f"{check.datapoints} of {check.evaluation_periods} x {check.period} s. Source: {check.source}. "
        f"Missing data: {check.treat_missing} ({check.missing_reason}). Runbook: {runbooks.link(check.id, runbook_base_url)}"
    )
    if len(text) > DESCRIPTION_MAX:
        raise ValueError(f"alarm description of {check.id} is {len(text)} characters, over {DESCRIPTION_MAX}")
    return text


def shown_value(threshold: float) -> str:
    return f"{threshold / GIB:g} GiB" if threshold >= GIB else f"{threshold:g}"


def metric_arguments(check: Check, target: Target) -> dict[str, Any]:
    """The MetricAlarm arguments that select the data: one metric and statistic, or metric math."""
    if check.expression:
        queries: list[dict[str, Any]] = [
            {
                "id": q.id,
                "metric": {
                    "namespace": check.namespace,
                    "metric_name": q.metric,
                    "dimensions": dict(target.dimensions),
                    "period": check.period,
                    "stat": q.stat,
                },
                "return_data": False,
            }
            for q in check.queries
        ]
        queries.append({"id": "result", "expression": check.expression, "label": check.metric, "return_data": True})
        return {"metric_queries": queries}
    statistic = {"extended_statistic": check.stat} if check.stat.startswith("p") else {"statistic": check.stat}
    return {
        "namespace": check.namespace,
        "metric_name": check.metric,
        "dimensions": dict(target.dimensions),
        "period": check.period,
        **statistic,
    }


@dataclass(frozen=True)
class AlarmsArgs(Named):
    topic_arn: pulumi.Input[str]
    checks: tuple[Check, ...]
    targets: tuple[Target, ...]
    runbook_base_url: str  # nox:runbookBaseUrl ("": repository paths)

    def __post_init__(self) -> None:
        labels = [(t.kind, t.label) for t in self.targets]
        if len(labels) != len(set(labels)):
            raise ValueError(f"AlarmsArgs.targets repeat a (kind, label): {labels}")
        for t in self.targets:
            if not any(t.kind in c.kinds for c in self.checks):
                raise ValueError(f"AlarmsArgs: no check applies to target kind {t.kind!r}")


class Alarms(pulumi.ComponentResource):
    """One MetricAlarm per (check, target of its kind); alarm and OK actions are the topic."""

    alarms: dict[str, aws.cloudwatch.MetricAlarm]  # alarm name -> alarm

    def __init__(self, name: str, args: AlarmsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("nox:alarms:Alarms", name, None, opts)
        self.alarms = {}
        for target in args.targets:
            for check in (c for c in args.checks if target.kind in c.kinds):
                physical = alarm_name(args.name_prefix, check, target)
                self.alarms[physical] = aws.cloudwatch.MetricAlarm(
                    f"{name}-{'-'.join(p for p in (check.id, target.label) if p)}",
                    name=physical,
                    alarm_description=alarm_description(check, target, args.runbook_base_url),
                    comparison_operator=check.comparison,
                    threshold=check.threshold,
                    evaluation_periods=check.evaluation_periods,
                    datapoints_to_alarm=check.datapoints,
                    treat_missing_data=check.treat_missing,
                    actions_enabled=True,
                    alarm_actions=[args.topic_arn],
                    ok_actions=[args.topic_arn],
                    **metric_arguments(check, target),
                    opts=pulumi.ResourceOptions(parent=self),
                )
        self.register_outputs({"alarmNames": sorted(self.alarms)})


# --- docs ---------------------------------------------------------------------------------------

TABLE_BEGIN = "<!-- alarm-table:begin (generated by `python -m components.alarms`; do not edit by hand) -->"
TABLE_END = "<!-- alarm-table:end -->"
KIND_TEXT = {
    "alb": "ALB",
    "target-group": "each target group",
    "db-primary": "primary",
    "db-replica": "replica",
    "cache-node": "each cache node",
    "waf": "web ACL",
    "eks-cluster": "EKS nodes",
    "eks-pod": "each serving colour's pods",
    "app-logs": "the app's log group",
    "oauth": "each OAuth provider",
}


def alarm_table(catalogue: Sequence[Check]) -> str:
    rows = [
        TABLE_BEGIN,
        "| Alarm | On | Metric (namespace, statistic) | Threshold | For | Missing data | Source | Action | Runbook |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for c in catalogue:
        metric = f"`{c.expression}` over " + ", ".join(f"`{q.metric}`" for q in c.queries) if c.expression else f"`{c.metric}`"
        rows.append(
            f"| `{c.id}` | {', '.join(KIND_TEXT[k] for k in c.kinds)} | {metric} ({c.namespace}, {c.stat}) | "
            f"{c.shown} | {c.datapoints} of {c.evaluation_periods} x {c.period} s | "
            f"`{c.treat_missing}`: {c.missing_reason} | {c.source} | SNS topic (alarm and OK) | "
            f"[{c.id}](runbooks/{c.id}.md) |"
        )
    rows.append(TABLE_END)
    return "\n".join(rows)


def default_catalogue() -> tuple[Check, ...]:
    """The catalogue with the schema's default thresholds (what the docs table shows)."""
    from settings.model import MAX_CONNECTIONS
    from settings.schema import KEYS_BY_NAME

    def default(key: str) -> Any:
        return KEYS_BY_NAME[key].default

    s = AlertingSettings(
        emails=(),
        slack_workspace_id="",
        slack_channel_id="",
        https_endpoint="",
        response_time_ms=default("alarmResponseTimeMs"),
        error_rate_percent=default("alarmErrorRatePercent"),
        db_connections_percent=default("alarmDbConnectionsPercent"),
        redis_memory_percent=default("alarmRedisMemoryPercent"),
        runbook_base_url=default("runbookBaseUrl"),
    )
    from . import logs

    return checks(s, max_connections=MAX_CONNECTIONS, allocated_storage_gib=default("dbAllocatedStorage"), memory_gib=4) + logs.checks(
        logs.metric_namespace("nox-<stack>")
    )


MONITORING_DOC = Path(__file__).resolve().parent.parent / "docs" / "monitoring.md"


def write_table(path: Path = MONITORING_DOC) -> None:
    """Replace the generated block of docs/monitoring.md with the current table."""
    doc = path.read_text()
    start, end = doc.index(TABLE_BEGIN), doc.index(TABLE_END) + len(TABLE_END)
    path.write_text(doc[:start] + alarm_table(default_catalogue()) + doc[end:])


if __name__ == "__main__":  # python -m components.alarms [--write]: print the table, or rewrite docs/monitoring.md's
    import sys

    if sys.argv[1:] == ["--write"]:
        write_table()
    else:
        print(alarm_table(default_catalogue()))
