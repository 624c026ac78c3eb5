"""Where the gates read traffic and health: Prometheus (stdlib HTTP) or CloudWatch (boto3).

A reading is one colour's request and 5xx COUNTS over a window (`Traffic`); the gate compares
their ratio with a fraction (0.05 = 5 %) and the request count with a minimum (gates.TrafficRule).
The seed's `rate(http_requests_total{status=~"5.."}[..])` is errors per SECOND, not a
percentage: at 1000 req/s a 0.5 % error ratio is 5 errors/s, which the seed's canary script reads
as "500 %" and its HighErrorRate alert (> 0.1) fires on, while at 1 req/s a 50 % error ratio is
0.5/s. Neither source here reproduces that.
"""

from __future__ import annotations

import json
import math
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from settings.model import COLOURS


class MetricError(Exception):
    """The metric source could not answer (unreachable, error response, unparsable)."""


class MetricSetupError(RuntimeError):
    """The metric source cannot work at all here (missing dependency or settings): stop before starting."""


@dataclass(frozen=True)
class Traffic:
    """Requests and 5xx responses of one colour over a window (counts, possibly extrapolated floats)."""

    requests: float
    errors: float

    @property
    def ratio(self) -> float | None:
        """5xx / requests; None when there were no requests. Capped at 1: extrapolated counts may cross."""
        return None if self.requests <= 0 else min(self.errors / self.requests, 1.0)


@dataclass(frozen=True)
class Latency:
    """One colour's 95th-percentile response time (seconds; None: no requests) and its request count over a window."""

    p95: float | None
    requests: float


class MetricSource(Protocol):
    def traffic(self, colour: str, window_s: float) -> Traffic:
        """Requests and 5xx responses of `colour` over the last `window_s` s."""
        ...

    def healthy(self, colour: str) -> bool:
        """True when every target (instance or pod) of `colour` is healthy, and there is at least one."""
        ...

    def latency(self, colour: str, window_s: float) -> Latency:
        """The p95 response time of `colour` over the last `window_s` s, and the requests it is computed from."""
        ...


def _check_colour(colour: str) -> None:
    if colour not in COLOURS:
        raise ValueError(f"colour must be one of {', '.join(COLOURS)}, got {colour!r}")


def redact_url(url: str) -> str:
    """The URL without user:password, for log lines."""
    parts = urllib.parse.urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    return urllib.parse.urlunsplit((parts.scheme, "***@" + host, parts.path, parts.query, parts.fragment))


# --- Prometheus --------------------------------------------------------------------------------

REQUESTS_METRIC = "http_requests_total"  # the seed's counter (metrics.js)
DURATION_METRIC = "http_request_duration_seconds"  # the seed's histogram (metrics.js)
# The labels the platform's series carry, the same as the alert rules use (docs/prometheus.md):
# metrics.js labels the status `status_code` (the seed's `status=~"5.."` matched nothing), and the
# colour is a target label, set by the ServiceMonitor's targetLabels (eks) and the collector's
# static label (asg). A gate on a label no series has would read 0 errors and pass everything.
STATUS_LABEL = "status_code"
COLOUR_LABEL = "colour"
# Default health query: every scraped target of the colour is up (no target at all: no answer, unhealthy).
HEALTH_QUERY = 'min(up{{label}="{colour}"})'


def promql_duration(seconds: float) -> str:
    s = int(seconds)
    if s <= 0 or s != seconds:
        raise ValueError(f"window must be a positive whole number of seconds, got {seconds!r}")
    return f"{s // 60}m" if s % 60 == 0 else f"{s}s"


def traffic_queries(colour: str, window_s: float, label: str = COLOUR_LABEL, metric: str = REQUESTS_METRIC) -> tuple[str, str]:
    """PromQL for one colour's (requests, 5xx) counts over the window.

    `increase`, not the seed's `rate`: counts, so the gate can require a minimum number of
    requests, and their ratio is the error ratio. `or vector(0)`: a colour that never answered
    5xx has no 5xx series at all. No requests: the request sum is empty, read as 0.
    """
    _check_colour(colour)
    w = promql_duration(window_s)
    requests = f'sum(increase({metric}{{{label}="{colour}"}}[{w}]))'
    errors = f'sum(increase({metric}{{{STATUS_LABEL}=~"5..",{label}="{colour}"}}[{w}])) or vector(0)'
    return requests, errors


def latency_queries(colour: str, window_s: float, label: str = COLOUR_LABEL, metric: str = DURATION_METRIC) -> tuple[str, str]:
    """PromQL for one colour's (p95 seconds, request count) over the window, from the histogram:
    the buckets' increases summed over every series of the colour, by `le` only."""
    _check_colour(colour)
    w = promql_duration(window_s)
    p95 = f'histogram_quantile(0.95, sum by (le) (increase({metric}_bucket{{{label}="{colour}"}}[{w}])))'
    count = f'sum(increase({metric}_count{{{label}="{colour}"}}[{w}]))'
    return p95, count


def health_query(colour: str, template: str = HEALTH_QUERY, label: str = COLOUR_LABEL) -> str:
    """The health PromQL for a colour: `{colour}` and `{label}` in the template are replaced."""
    _check_colour(colour)
    return template.replace("{label}", label).replace("{colour}", colour)


def _urllib_fetch(timeout: float) -> Callable[[str, Mapping[str, str]], bytes]:
    def fetch(url: str, headers: Mapping[str, str]) -> bytes:
        request = urllib.request.Request(url, headers=dict(headers))
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body: bytes = response.read()
            return body

    return fetch


def parse_vector_value(body: bytes | str) -> float | None:
    """The single value of an instant-query answer; None for an empty vector or NaN."""
    try:
        doc = json.loads(body)
    except (ValueError, TypeError) as err:
        raise MetricError(f"Prometheus answer is not JSON: {err}") from None
    if not isinstance(doc, dict) or doc.get("status") != "success":
        what = doc.get("errorType", "error") if isinstance(doc, dict) else "error"
        detail = doc.get("error", "") if isinstance(doc, dict) else ""
        raise MetricError(f"Prometheus query failed: {what}: {detail}".rstrip(": "))
    data: dict[str, Any] = doc.get("data") or {}
    kind = data.get("resultType")
    result: Any = data.get("result")
    try:
        if kind == "scalar":
            raw = result[1]
        elif kind == "vector":
            if not result:
                return None
            if len(result) > 1:
                raise MetricError(f"Prometheus returned {len(result)} series where one was expected")
            raw = result[0]["value"][1]
        else:
            raise MetricError(f"unexpected Prometheus result type {kind!r}")
        value = float(raw)
    except (KeyError, IndexError, TypeError, ValueError) as err:
        raise MetricError(f"unexpected Prometheus answer shape: {err!r}") from None
    if math.isnan(value):
        return None
    return value


class PrometheusSource:
    """Prometheus HTTP API (`/api/v1/query`), stdlib only.

    Reads `http_requests_total` by `status_code` and the `colour` target label, as the platform's
    scrape configs set them (`--colour-label` for another Prometheus).
    """

    def __init__(
        self,
        url: str,
        *,
        label: str = COLOUR_LABEL,
        health_template: str = HEALTH_QUERY,
        timeout: float = 10.0,
        token: str | None = None,
        fetch: Callable[[str, Mapping[str, str]], bytes] | None = None,
    ):
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise MetricSetupError(f"Prometheus URL must be http(s)://host[:port][/prefix], got {redact_url(url)!r}")
        self.url = url.rstrip("/")
        self.label = label
        self.health_template = health_template
        self._headers = {"Accept": "application/json"}
        if token:
            self._headers["Authorization"] = f"Bearer {token}"
        self._fetch = fetch or _urllib_fetch(timeout)

    def __repr__(self) -> str:  # never the token
        return f"PrometheusSource({redact_url(self.url)!r})"

    def query(self, promql: str) -> float | None:
        url = f"{self.url}/api/v1/query?" + urllib.parse.urlencode({"query": promql})
        try:
            body = self._fetch(url, self._headers)
        except urllib.error.HTTPError as err:
            # Prometheus answers 400/422/503 with a JSON error body worth showing.
            try:
                return parse_vector_value(err.read())
            except MetricError as parsed:
                raise MetricError(f"HTTP {err.code} from {redact_url(self.url)}: {parsed}") from None
        except (OSError, ValueError) as err:  # URLError, timeouts, connection refused
            raise MetricError(f"cannot reach Prometheus at {redact_url(self.url)}: {err}") from None
        return parse_vector_value(body)

    def traffic(self, colour: str, window_s: float) -> Traffic:
        requests, errors = (self.query(q) or 0.0 for q in traffic_queries(colour, window_s, self.label))
        return Traffic(requests, errors)

    def healthy(self, colour: str) -> bool:
        value = self.query(health_query(colour, self.health_template, self.label))
        return value is not None and value >= 1

    def latency(self, colour: str, window_s: float) -> Latency:
        p95_query, count_query = latency_queries(colour, window_s, self.label)
        requests = self.query(count_query) or 0.0
        return Latency(self.query(p95_query) if requests > 0 else None, requests)


# --- CloudWatch (ALB) ----------------------------------------------------------------------------

ALB_NAMESPACE = "AWS/ApplicationELB"
PERIOD = 60
# ALB metrics land in CloudWatch about a minute late: look back at least this far.
MIN_LOOKBACK = 120


def _dimensions(load_balancer: str, target_group: str) -> list[dict[str, str]]:
    return [{"Name": "LoadBalancer", "Value": load_balancer}, {"Name": "TargetGroup", "Value": target_group}]


def metric_query(qid: str, name: str, stat: str, load_balancer: str, target_group: str, period: int = PERIOD) -> dict[str, Any]:
    return {
        "Id": qid,
        "MetricStat": {
            "Metric": {"Namespace": ALB_NAMESPACE, "MetricName": name, "Dimensions": _dimensions(load_balancer, target_group)},
            "Period": period,
            "Stat": stat,
        },
        "ReturnData": True,
    }


class CloudWatchSource:
    """ALB metrics per colour target group (the asg platform, or any ALB whose suffixes you know).

    `load_balancer` is the ALB's ARN suffix (`app/<name>/<id>`), `target_groups` maps each colour
    to its target group's ARN suffix (`targetgroup/<name>/<id>`). Traffic is the sums of
    `RequestCount` and `HTTPCode_Target_5XX_Count` over the window; health is `HealthyHostCount >= 1` and
    `UnHealthyHostCount == 0` at the latest datapoint. boto3 is an operator-side dependency,
    imported only when the first query runs (or `connect()` is called).
    """

    def __init__(
        self,
        load_balancer: str,
        target_groups: Mapping[str, str],
        *,
        region: str | None = None,
        client: Any = None,
        now: Callable[[], datetime] | None = None,
        period: int = PERIOD,
        min_lookback: int = MIN_LOOKBACK,
    ):
        if not load_balancer.startswith("app/"):
            raise MetricSetupError(f"load balancer must be an ALB ARN suffix app/<name>/<id>, got {load_balancer!r}")
        for colour in COLOURS:
            tg = target_groups.get(colour, "")
            if not tg.startswith("targetgroup/"):
                raise MetricSetupError(f"target group of {colour} must be an ARN suffix targetgroup/<name>/<id>, got {tg!r}")
        self.load_balancer = load_balancer
        self.target_groups = dict(target_groups)
        self.region = region
        self.period = period
        self.min_lookback = min_lookback
        self._client = client
        self._now = now or (lambda: datetime.now(UTC))

    def connect(self) -> Any:
        if self._client is None:
            try:
                import boto3  # requirements-dev.txt (the release driver's), not the program's requirements.txt
            except ImportError:
                raise MetricSetupError(
                    "--metrics cloudwatch needs boto3: make setup installs it (requirements.lock), "
                    "with AWS credentials that may call cloudwatch:GetMetricData"
                ) from None
            self._client = boto3.client("cloudwatch", region_name=self.region)
        return self._client

    def _fetch(self, queries: list[dict[str, Any]], lookback: float) -> dict[str, list[float]]:
        """Values per query id, newest first."""
        end = self._now()
        return self._fetch_between(queries, end - timedelta(seconds=max(lookback, self.min_lookback)), end)

    def _fetch_between(self, queries: list[dict[str, Any]], start: datetime, end: datetime) -> dict[str, list[float]]:
        """Values per query id between `start` and `end`, newest first."""
        client = self.connect()
        values: dict[str, list[tuple[datetime, float]]] = {q["Id"]: [] for q in queries}
        kwargs: dict[str, Any] = {"MetricDataQueries": queries, "StartTime": start, "EndTime": end, "ScanBy": "TimestampDescending"}
        try:
            while True:
                page = client.get_metric_data(**kwargs)
                for res in page.get("MetricDataResults", []):
                    values.setdefault(res["Id"], []).extend(zip(res.get("Timestamps", []), res.get("Values", []), strict=False))
                token = page.get("NextToken")
                if not token:
                    break
                kwargs["NextToken"] = token
        except MetricSetupError:
            raise
        except Exception as err:  # botocore ClientError / EndpointConnectionError / credentials
            raise MetricError(f"CloudWatch GetMetricData failed: {err}") from None
        return {qid: [v for _, v in sorted(pairs, key=lambda p: p[0], reverse=True)] for qid, pairs in values.items()}

    def _tg(self, colour: str) -> str:
        _check_colour(colour)
        return self.target_groups[colour]

    def traffic(self, colour: str, window_s: float) -> Traffic:
        tg = self._tg(colour)
        data = self._fetch(
            [
                metric_query("errors", "HTTPCode_Target_5XX_Count", "Sum", self.load_balancer, tg, self.period),
                metric_query("requests", "RequestCount", "Sum", self.load_balancer, tg, self.period),
            ],
            window_s,
        )
        # ALB publishes HTTPCode_* only for minutes that had such responses: no datapoints means 0.
        return Traffic(sum(data.get("requests", [])), sum(data.get("errors", [])))

    def healthy(self, colour: str) -> bool:
        tg = self._tg(colour)
        data = self._fetch(
            [
                metric_query("healthy", "HealthyHostCount", "Minimum", self.load_balancer, tg, self.period),
                metric_query("unhealthy", "UnHealthyHostCount", "Maximum", self.load_balancer, tg, self.period),
            ],
            self.min_lookback,
        )
        healthy, unhealthy = data.get("healthy", []), data.get("unhealthy", [])
        return bool(healthy) and healthy[0] >= 1 and (not unhealthy or unhealthy[0] == 0)

    def latency(self, colour: str, window_s: float) -> Latency:
        """`TargetResponseTime` p95 of the colour's target group in ONE period covering the window
        (percentiles of several periods cannot be combined), with `RequestCount` of the same period."""
        tg = self._tg(colour)
        period = max(PERIOD, math.ceil(window_s / PERIOD) * PERIOD)  # GetMetricData: a multiple of 60 s
        # Whole minutes, so the one period is one datapoint (CloudWatch buckets on minute boundaries).
        end = self._now().replace(second=0, microsecond=0)
        data = self._fetch_between(
            [
                metric_query("p95", "TargetResponseTime", "p95", self.load_balancer, tg, period),
                metric_query("requests", "RequestCount", "Sum", self.load_balancer, tg, period),
            ],
            end - timedelta(seconds=period),
            end,
        )
        requests = sum(v for v in data.get("requests", []) if v is not None)
        p95 = [v for v in data.get("p95", []) if v is not None]
        return Latency(p95[0] if p95 and requests > 0 else None, requests)
