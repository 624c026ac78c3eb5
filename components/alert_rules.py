"""The seed's six Prometheus alerts (alert_rules.yml), the one source of truth for every platform.

eks loads them as a `PrometheusRule`, asg as an Amazon Managed Service for Prometheus rule groups
namespace (the four application alerts), and the promtool tests render them to a file.

Names, severities and `for` durations are the seed's. The expressions are fixed where the seed is
wrong, checked against the metrics the app exports (the seed's metrics.js: `http_request_duration_seconds`
and `http_requests_total` with labels method/route/status_code, `websocket_active_connections`,
`ai_security_threat_level`) and the exporters' metric names (postgres_exporter, redis_exporter):

- HighResponseTime: the seed took `histogram_quantile` of every bucket series on its own, i.e. one
  p95 per method x route x status code x pod, so one slow request to a rare route fired it and the
  service's p95 was never measured. Buckets are summed by `le` first (per job and colour).
- HighErrorRate: the seed compared a per-series rate of 5xx (errors per second) with 0.1 and called
  it a percentage, and matched a `status` label the app does not have (metrics.js: `status_code`),
  so it never fired. Now the ratio of 5xx to all requests per job and colour, above 5 %: the seed's
  own deployment gate requires a 95 % success rate. A busy healthy service stays silent, a small
  failing one fires; with no traffic the ratio is NaN and nothing fires.
- DatabaseConnectionHigh: `pg_stat_database_numbackends` is one series per database; PostgreSQL's
  limit (`max_connections`) counts them all, so they are summed per exporter, then the exporter
  replicas (which all see the same server, labelled `server` by their scrape config) are merged by max.
- RedisMemoryHigh: redis_exporter reports `redis_memory_max_bytes` 0 when no maxmemory is set, and
  x / 0 is +Inf, which fired the seed's rule; only servers with a limit are compared, one alert per
  `server` however many exporter replicas scrape it.
- WebSocketConnectionsHigh, AISecurityThreatDetected: metric names match metrics.js; unchanged
  (both are per-process gauges, compared per scraped process as in the seed).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

GROUP = "nox-api-alerts"  # the seed's group name
ERROR_RATIO = 0.05  # the seed's deployment gate: 95 % of requests must succeed
AGGREGATE = "job, colour"  # one alert per scraped service and release colour (canary vs stable)


@dataclass(frozen=True)
class AlertRule:
    name: str
    expr: str
    duration: str  # the rule's `for`
    severity: str
    summary: str
    description: str
    source: str  # "app": the application's /metrics; "exporter": postgres/redis exporters (eks only)

    def to_dict(self) -> dict[str, object]:
        return {
            "alert": self.name,
            "expr": self.expr,
            "for": self.duration,
            "labels": {"severity": self.severity},
            "annotations": {"summary": self.summary, "description": self.description},
        }


RULES: tuple[AlertRule, ...] = (
    AlertRule(
        "HighResponseTime",
        f"histogram_quantile(0.95, sum by ({AGGREGATE}, le) (rate(http_request_duration_seconds_bucket[5m]))) > 1",
        "5m",
        "warning",
        "High response time detected",
        "95th percentile response time of {{ $labels.job }} ({{ $labels.colour }}) is {{ $value | humanize }}s",
        "app",
    ),
    AlertRule(
        "HighErrorRate",
        f'sum by ({AGGREGATE}) (rate(http_requests_total{{status_code=~"5.."}}[5m]))'
        f" / sum by ({AGGREGATE}) (rate(http_requests_total[5m])) > {ERROR_RATIO}",
        "2m",
        "critical",
        "High error rate detected",
        "{{ $value | humanizePercentage }} of requests to {{ $labels.job }} ({{ $labels.colour }}) failed with 5xx over the last 5 minutes",
        "app",
    ),
    AlertRule(
        "DatabaseConnectionHigh",
        "max by (job, server) (sum without (datid, datname) (pg_stat_database_numbackends)) > 80",
        "5m",
        "warning",
        "High database connection count",
        "{{ $value }} backends connected to PostgreSQL {{ $labels.server }}",
        "exporter",
    ),
    AlertRule(
        "RedisMemoryHigh",
        "max by (job, server) (redis_memory_used_bytes / (redis_memory_max_bytes > 0)) > 0.8",
        "10m",
        "warning",
        "Redis memory usage high",
        "Redis {{ $labels.server }} uses {{ $value | humanizePercentage }} of its maxmemory",
        "exporter",
    ),
    AlertRule(
        "WebSocketConnectionsHigh",
        "websocket_active_connections > 5000",
        "5m",
        "warning",
        "High WebSocket connection count",
        "{{ $value }} WebSocket connections on {{ $labels.instance }}",
        "app",
    ),
    AlertRule(
        "AISecurityThreatDetected",
        "ai_security_threat_level > 0.8",
        "0s",
        "critical",
        "High-level security threat detected",
        "AI security system detected threat level {{ $value }}",
        "app",
    ),
)

RULES_BY_NAME = {r.name: r for r in RULES}
# On asg the app's metrics are all there is (no exporter per instance): the database and Redis
# alerts are CloudWatch alarms on the equivalent RDS and ElastiCache metrics there.
APP_ALERTS = tuple(r.name for r in RULES if r.source == "app")


def rule_groups(names: tuple[str, ...] | None = None) -> dict[str, object]:
    """The Prometheus rule file document (`groups:`), all six rules or the named ones in seed order."""
    chosen = [r for r in RULES if names is None or r.name in names]
    unknown = set(names or ()) - set(RULES_BY_NAME)
    if unknown:
        raise ValueError(f"unknown alert(s) {sorted(unknown)}: the rules are {list(RULES_BY_NAME)}")
    return {"groups": [{"name": GROUP, "rules": [r.to_dict() for r in chosen]}]}


def rules_yaml(names: tuple[str, ...] | None = None) -> str:
    return yaml.safe_dump(rule_groups(names), sort_keys=False, width=1000)


def render(path: Path, names: tuple[str, ...] | None = None) -> Path:
    """Write the rule file (for promtool, or to inspect what ships)."""
    path.write_text(rules_yaml(names))
    return path
