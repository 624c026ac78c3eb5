"""The seed's six Prometheus alerts (alert_rules.yml), one catalogue, each evaluated in exactly one place.

`evaluated_by` says where:
- PROMETHEUS: HighResponseTime, HighErrorRate, WebSocketConnectionsHigh, AISecurityThreatDetected, on
  the app's /metrics. eks loads them as a `PrometheusRule`, asg as an Amazon Managed Service for
  Prometheus rule groups namespace; tests/promtool/ unit-tests exactly these four.
- CLOUDWATCH: DatabaseConnectionHigh and RedisMemoryHigh, on both platforms, as the CloudWatch alarms
  of the same name in components/alarms.py (RDS DatabaseConnections, ElastiCache
  DatabaseMemoryUsagePercentage). The seed's postgres_exporter and redis_exporter would need a stored
  password, and the app has none any more (IAM database auth, ElastiCache RBAC with an IAM user; an
  IAM token expires after 15 minutes), so no exporter runs; tests/test_alarms.py checks the alarms
  against this catalogue (metric, threshold, period x evaluation periods = the seed's `for`).

Names, severities and `for` durations are the seed's. The Prometheus expressions are fixed where the
seed is wrong, checked against the metrics the app exports (the seed's metrics.js:
`http_request_duration_seconds` and `http_requests_total` with labels method/route/status_code,
`websocket_active_connections`, `ai_security_threat_level`):

- HighResponseTime: the seed took `histogram_quantile` of every bucket series on its own, i.e. one
  p95 per method x route x status code x pod, so one slow request to a rare route fired it and the
  service's p95 was never measured. Buckets are summed by `le` first (per job and colour).
- HighErrorRate: the seed compared a per-series rate of 5xx (errors per second) with 0.1 and called
  it a percentage, and matched a `status` label the app does not have (metrics.js: `status_code`),
  so it never fired. Now the ratio of 5xx to all requests per job and colour, above 5 % (the same
  5 % as the ALB alarm, nox:alarmErrorRatePercent): the seed's own deployment gate requires a 95 %
  success rate. A busy healthy service stays silent, a small failing one fires; with no traffic the
  ratio is NaN and nothing fires.
- WebSocketConnectionsHigh, AISecurityThreatDetected: metric names match metrics.js; unchanged
  (both are per-process gauges, compared per scraped process as in the seed).
- DatabaseConnectionHigh (seed `pg_stat_database_numbackends > 80`): RDS DatabaseConnections (Maximum)
  above 80, i.e. 40 % of max_connections 200. RedisMemoryHigh (seed used / max memory > 0.8):
  ElastiCache DatabaseMemoryUsagePercentage (used memory against maxmemory) above 80 %.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from . import runbooks

GROUP = "nox-api-alerts"  # the seed's group name
ERROR_RATIO = 0.05  # the seed's deployment gate: 95 % of requests must succeed
AGGREGATE = "job, colour"  # one alert per scraped service and release colour (canary vs stable)
PROMETHEUS = "prometheus"  # the PrometheusRule (eks) and the AMP rule group (asg)
CLOUDWATCH = "cloudwatch"  # the CloudWatch alarm of the same name (components/alarms.py), both platforms


@dataclass(frozen=True)
class AlertRule:
    name: str
    expr: str  # PromQL (PROMETHEUS); for CLOUDWATCH what the alarm measures, for people
    duration: str  # the rule's `for`
    severity: str
    summary: str
    description: str
    evaluated_by: str  # PROMETHEUS or CLOUDWATCH: one place per alert, never both

    def to_dict(self, runbook_base_url: str) -> dict[str, object]:
        # runbook_url: the annotation Prometheus's and Alertmanager's tooling (and the chart's own
        # rules) use for the page to open; the page is named after the alert (components/runbooks.py).
        return {
            "alert": self.name,
            "expr": self.expr,
            "for": self.duration,
            "labels": {"severity": self.severity},
            "annotations": {
                "summary": self.summary,
                "description": self.description,
                "runbook_url": runbooks.link(self.name, runbook_base_url),
            },
        }


RULES: tuple[AlertRule, ...] = (
    AlertRule(
        "HighResponseTime",
        f"histogram_quantile(0.95, sum by ({AGGREGATE}, le) (rate(http_request_duration_seconds_bucket[5m]))) > 1",
        "5m",
        "warning",
        "High response time detected",
        "95th percentile response time of {{ $labels.job }} ({{ $labels.colour }}) is {{ $value | humanize }}s",
        PROMETHEUS,
    ),
    AlertRule(
        "HighErrorRate",
        f'sum by ({AGGREGATE}) (rate(http_requests_total{{status_code=~"5.."}}[5m]))'
        f" / sum by ({AGGREGATE}) (rate(http_requests_total[5m])) > {ERROR_RATIO}",
        "2m",
        "critical",
        "High error rate detected",
        "{{ $value | humanizePercentage }} of requests to {{ $labels.job }} ({{ $labels.colour }}) failed with 5xx over the last 5 minutes",
        PROMETHEUS,
    ),
    AlertRule(
        "DatabaseConnectionHigh",
        "AWS/RDS DatabaseConnections (Maximum) > 80 per instance (nox:alarmDbConnectionsPercent of max_connections)",
        "5m",
        "warning",
        "High database connection count",
        "CloudWatch alarm <stack>-DatabaseConnectionHigh-<primary|replica>",
        CLOUDWATCH,
    ),
    AlertRule(
        "RedisMemoryHigh",
        "AWS/ElastiCache DatabaseMemoryUsagePercentage (Average) > 80 per node (nox:alarmRedisMemoryPercent)",
        "10m",
        "warning",
        "Redis memory usage high",
        "CloudWatch alarm <stack>-RedisMemoryHigh-node-<shard>-<node>",
        CLOUDWATCH,
    ),
    AlertRule(
        "WebSocketConnectionsHigh",
        "websocket_active_connections > 5000",
        "5m",
        "warning",
        "High WebSocket connection count",
        "{{ $value }} WebSocket connections on {{ $labels.instance }}",
        PROMETHEUS,
    ),
    AlertRule(
        "AISecurityThreatDetected",
        "ai_security_threat_level > 0.8",
        "0s",
        "critical",
        "High-level security threat detected",
        "AI security system detected threat level {{ $value }}",
        PROMETHEUS,
    ),
)

RULES_BY_NAME = {r.name: r for r in RULES}
PROMETHEUS_ALERTS = tuple(r.name for r in RULES if r.evaluated_by == PROMETHEUS)
CLOUDWATCH_ALERTS = tuple(r.name for r in RULES if r.evaluated_by == CLOUDWATCH)


def rule_groups(names: tuple[str, ...] = PROMETHEUS_ALERTS, runbook_base_url: str = "") -> dict[str, object]:
    """The Prometheus rule file document (`groups:`): the named Prometheus-evaluated rules in seed order.

    `runbook_base_url` is nox:runbookBaseUrl ("": the rules link the repository paths).
    """
    unknown = set(names) - set(RULES_BY_NAME)
    if unknown:
        raise ValueError(f"unknown alert(s) {sorted(unknown)}: the rules are {list(RULES_BY_NAME)}")
    elsewhere = [n for n in names if RULES_BY_NAME[n].evaluated_by != PROMETHEUS]
    if elsewhere:
        raise ValueError(f"{elsewhere} are CloudWatch alarms (components/alarms.py), never Prometheus rules too")
    return {"groups": [{"name": GROUP, "rules": [r.to_dict(runbook_base_url) for r in RULES if r.name in names]}]}


def rules_yaml(names: tuple[str, ...] = PROMETHEUS_ALERTS, runbook_base_url: str = "") -> str:
    return yaml.safe_dump(rule_groups(names, runbook_base_url), sort_keys=False, width=1000)


def render(path: Path, names: tuple[str, ...] = PROMETHEUS_ALERTS) -> Path:
    """Write the rule file (for promtool, or to inspect what ships)."""
    path.write_text(rules_yaml(names))
    return path
