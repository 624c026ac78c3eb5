"""The stack's CloudWatch dashboard: traffic, latency, errors, hosts, database, cache, WAF, nodes.

Widgets plot the metrics the alarms watch (components.alarms), on the same resources, plus the
few AWS documents alongside them (`COMPANION_METRICS`: healthy hosts next to unhealthy ones,
allowed requests next to blocked ones). The body follows CloudWatch's dashboard body structure
(CloudWatch API reference, "Dashboard Body Structure and Syntax"): `widgets` of type `metric`,
each metric an array `[namespace, name, dimension, value, ..., {options}]`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from .alarms import ALB, CACHE, INSIGHTS, RDS, WAF, Target
from .base import Named

WIDTH, HEIGHT, COLUMNS = 12, 6, 2
PERIOD = 60
COMPANION_METRICS = {ALB: ("HealthyHostCount",), WAF: ("AllowedRequests",)}


def _line(namespace: str, metric: str, target: Target, **options: Any) -> list[Any]:
    line: list[Any] = [namespace, metric]
    for key, value in target.dimensions.items():
        line += [key, value]
    return line + ([options] if options else [])


def _widget(title: str, metrics: list[list[Any]], region: str, stat: str = "Average", **properties: Any) -> dict[str, Any]:
    return {
        "type": "metric",
        "properties": {
            "title": title,
            "region": region,
            "view": "timeSeries",
            "stat": stat,
            "period": PERIOD,
            "metrics": metrics,
            **properties,
        },
    }


def widgets(targets: Sequence[Target], region: str) -> list[dict[str, Any]]:
    """The widgets for the targets the stack has, in reading order."""
    by_kind: dict[str, list[Target]] = {}
    for t in targets:
        by_kind.setdefault(t.kind, []).append(t)
    out: list[dict[str, Any]] = []
    for alb in by_kind.get("alb", []):
        out.append(_widget("Requests per minute", [_line(ALB, "RequestCount", alb, label="requests")], region, stat="Sum"))
        out.append(
            _widget(
                "Target response time (s)",
                [_line(ALB, "TargetResponseTime", alb, stat=p, label=p) for p in ("p50", "p95", "p99")],
                region,
            )
        )
        out.append(
            _widget(
                "5xx (% of requests; ELB-generated count)",
                [
                    [{"expression": "100 * FILL(errors, 0) / requests", "label": "target 5xx %", "id": "ratio"}],
                    _line(ALB, "HTTPCode_Target_5XX_Count", alb, id="errors", visible=False),
                    _line(ALB, "RequestCount", alb, id="requests", visible=False),
                    _line(ALB, "HTTPCode_ELB_5XX_Count", alb, label="ELB 5xx"),
                ],
                region,
                stat="Sum",
            )
        )
    groups = by_kind.get("target-group", [])
    if groups:
        lines = [
            _line(ALB, m, g, label=f"{g.label} {word}")
            for g in groups
            for m, word in (("HealthyHostCount", "healthy"), ("UnHealthyHostCount", "unhealthy"))
        ]
        out.append(_widget("Hosts per target group", lines, region, stat="Maximum"))
    databases = by_kind.get("db-primary", []) + by_kind.get("db-replica", [])
    for metric, title in (
        ("CPUUtilization", "Database CPU %"),
        ("DatabaseConnections", "Database connections"),
        ("FreeStorageSpace", "Database free storage (bytes)"),
    ):
        if databases:
            out.append(_widget(title, [_line(RDS, metric, d, label=d.label) for d in databases], region))
    for replica in by_kind.get("db-replica", []):
        out.append(_widget("Replica lag (s)", [_line(RDS, "ReplicaLag", replica, label=replica.label)], region, stat="Maximum"))
    nodes = by_kind.get("cache-node", [])
    for metric, title in (("DatabaseMemoryUsagePercentage", "Redis memory used %"), ("EngineCPUUtilization", "Redis engine CPU %")):
        if nodes:
            out.append(_widget(title, [_line(CACHE, metric, n, label=n.label) for n in nodes], region))
    for acl in by_kind.get("waf", []):
        out.append(
            _widget(
                "WAF requests",
                [_line(WAF, "BlockedRequests", acl, label="blocked"), _line(WAF, "AllowedRequests", acl, label="allowed")],
                region,
                stat="Sum",
            )
        )
    for cluster in by_kind.get("eks-cluster", []):
        out.append(
            _widget(
                "EKS nodes (busiest) %",
                [_line(INSIGHTS, f"node_{m}_utilization", cluster, label=m) for m in ("cpu", "memory")],
                region,
                stat="Maximum",
            )
        )
    for i, w in enumerate(out):
        w.update({"x": (i % COLUMNS) * WIDTH, "y": (i // COLUMNS) * HEIGHT, "width": WIDTH, "height": HEIGHT})
    return out


@dataclass(frozen=True)
class DashboardArgs(Named):
    region: str
    targets: tuple[Target, ...]


class Dashboard(pulumi.ComponentResource):
    """One CloudWatch dashboard named after the stack."""

    dashboard: aws.cloudwatch.Dashboard

    def __init__(self, name: str, args: DashboardArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("nox:alarms:Dashboard", name, None, opts)
        # Output.from_input resolves the dimension values nested anywhere in the widgets.
        body = pulumi.Output.from_input({"widgets": widgets(args.targets, args.region)}).apply(lambda b: json.dumps(b, sort_keys=True))
        self.dashboard = aws.cloudwatch.Dashboard(
            f"{name}-dashboard", dashboard_name=f"{args.name_prefix}-api", dashboard_body=body, opts=pulumi.ResourceOptions(parent=self)
        )
        self.register_outputs({"dashboardName": self.dashboard.dashboard_name})
