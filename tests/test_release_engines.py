"""The metric sources and the asg migration against real engines, not hand-written fakes (issue 18).

- Prometheus: Debian's `prometheus` server (`make promtool` installs the package), started here
  on 127.0.0.1 with a tmp dir, scraping every second two small apps (one per colour, the colour
  a target label as the platform's scrape configs set it) that export the seed's
  `http_requests_total{status_code}` and `http_request_duration_seconds` with prometheus_client.
- CloudWatch and SSM: moto's (boto3 clients against moto's in-memory AWS). moto's GetMetricData
  answers no percentile statistics, so the p95 query is checked with botocore's Stubber, which
  validates the request against the real CloudWatch model.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws
from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server
from test_release import FakeClock

from components.fleet import CONTAINER_NAME
from release import migrations
from release.gates import LatencyRule, compare_latency
from release.metrics import CloudWatchSource, Latency, MetricError, PrometheusSource, Traffic
from release.migrations import SsmMigration, migration_script

PROMETHEUS = shutil.which("prometheus")
BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0)


class ColourApp:
    """One colour's process: the seed's request counter and latency histogram on /metrics."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("http_requests", "requests", ["method", "route", "status_code"], registry=self.registry)
        self.duration = Histogram("http_request_duration_seconds", "latency", ["method", "route"], buckets=BUCKETS, registry=self.registry)
        for code in ("200", "500"):  # exported at 0 from the start, as a running app's series are
            self.requests.labels("GET", "/api", code)
        self.duration.labels("GET", "/api")
        self.server, _ = start_http_server(0, addr="127.0.0.1", registry=self.registry)
        self.port = self.server.server_port

    def serve(self, n: int, *, seconds: float, status: str = "200") -> None:
        for _ in range(n):
            self.requests.labels("GET", "/api", status).inc()
            self.duration.labels("GET", "/api").observe(seconds)


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=2) as r:
        return json.load(r)


def _wait(predicate, what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except (OSError, MetricError):  # not listening yet
            pass
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory) -> Iterator[tuple[PrometheusSource, dict[str, ColourApp]]]:
    if PROMETHEUS is None:
        pytest.skip("no prometheus binary: `make promtool` installs Debian's prometheus package (server and promtool)")
    apps = {"blue": ColourApp(), "green": ColourApp()}
    tmp = tmp_path_factory.mktemp("prometheus")
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "scrape_configs": [
            {
                "job_name": "nox-api",
                "static_configs": [{"targets": [f"127.0.0.1:{a.port}"], "labels": {"colour": c}} for c, a in apps.items()],
            }
        ],
    }
    (tmp / "prometheus.yml").write_text(json.dumps(config))  # JSON is YAML
    port = _free_port()
    proc = subprocess.Popen(
        [PROMETHEUS, f"--config.file={tmp / 'prometheus.yml'}", f"--storage.tsdb.path={tmp / 'data'}",
         f"--web.listen-address=127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=(tmp / "prometheus.log").open("w"),
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        source = PrometheusSource(url, timeout=2)
        _wait(lambda: source.query('count(up{job="nox-api"} == 1)') == 2, "both colours scraped")
        yield source, apps
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        for a in apps.values():
            a.server.shutdown()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _scraped(source: PrometheusSource, colour: str, total: int) -> bool:
    return source.query(f'sum(http_requests_total{{colour="{colour}"}})') == total


def test_prometheus_counts_ratio_latency_and_health_of_each_colour(prometheus):
    source, apps = prometheus
    apps["green"].serve(92, seconds=0.03)
    apps["green"].serve(8, seconds=0.03, status="500")
    apps["blue"].serve(50, seconds=0.03)
    apps["blue"].serve(50, seconds=0.4)
    _wait(lambda: _scraped(source, "green", 100) and _scraped(source, "blue", 100), "the requests scraped")
    time.sleep(1.2)  # one more scrape after the change: increase() sees the new value as a step inside the window

    green = source.traffic("green", 60)
    # increase() extrapolates each series to the window's edges; both are scraped together, so
    # the ratio is the served one to within that (per-series) extrapolation, the count at least what was served.
    assert green.ratio == pytest.approx(0.08, rel=0.01)
    assert 100 <= green.requests < 200
    assert source.traffic("blue", 60).ratio == 0.0

    # histogram_quantile interpolates inside the bucket of the 95th request, whatever the extrapolation:
    # green: all in (0, 0.05] -> 0.05 x 0.95; blue: the 95th of 100 in (0.25, 0.5] -> 0.25 + 0.25 x 45/50.
    g, b = source.latency("green", 60), source.latency("blue", 60)
    assert g.p95 == pytest.approx(0.0475) and b.p95 == pytest.approx(0.475)
    assert 100 <= g.requests < 200  # the histogram counts the same requests (another evaluation time: another extrapolation)
    assert source.healthy("green") is True and source.healthy("blue") is True

    # The latency gate on the real source: blue (stable) slower than green passes; the other way round fails.
    clock = FakeClock()
    clock.t = time.time()
    rule = LatencyRule(min_requests=50)
    assert compare_latency(source, clock, "green", "blue", since=clock.t - 60, rule=rule).ok
    failed = compare_latency(source, clock, "blue", "green", since=clock.t - 60, rule=rule)
    assert not failed.ok
    assert re.fullmatch(r"p95 latency 475ms on blue above 1\.5 x green over the same 60s \(4[78]ms\) and the 200ms floor", failed.reason)


def test_prometheus_colour_without_requests_has_no_p95():
    # (no server: the source must not ask for a quantile of nothing) a colour with 0 requests
    asked: list[str] = []

    def fetch(url: str, headers: dict) -> bytes:
        asked.append(urllib.parse.unquote_plus(url))
        return json.dumps({"status": "success", "data": {"resultType": "vector", "result": []}}).encode()

    import urllib.parse

    assert PrometheusSource("http://prom:9090", fetch=fetch).latency("green", 60) == Latency(None, 0.0)
    assert len(asked) == 1 and 'sum(increase(http_request_duration_seconds_count{colour="green"}[1m]))' in asked[0]


# --- CloudWatch (moto) -----------------------------------------------------------------------------

LB = "app/nox-prod-api/0123456789abcdef"
TGS = {"blue": "targetgroup/nox-prod-blue/aaaa", "green": "targetgroup/nox-prod-green/bbbb"}


def _put(cw, name: str, colour: str, values: list[float], at: datetime, unit: str = "Count") -> None:
    dims = [{"Name": "LoadBalancer", "Value": LB}, {"Name": "TargetGroup", "Value": TGS[colour]}]
    cw.put_metric_data(
        Namespace="AWS/ApplicationELB",
        MetricData=[{"MetricName": name, "Dimensions": dims, "Timestamp": at, "Value": v, "Unit": unit} for v in values],
    )


@mock_aws
def test_cloudwatch_traffic_and_health_from_moto():
    cw = boto3.client("cloudwatch", region_name="us-west-2")
    now = datetime.now(UTC).replace(microsecond=0)
    _put(cw, "RequestCount", "green", [600, 400], now - timedelta(seconds=90))
    _put(cw, "HTTPCode_Target_5XX_Count", "green", [30], now - timedelta(seconds=90))
    _put(cw, "RequestCount", "blue", [5000], now - timedelta(seconds=90))
    _put(cw, "HealthyHostCount", "green", [3], now - timedelta(seconds=30))
    _put(cw, "UnHealthyHostCount", "green", [0], now - timedelta(seconds=30))
    _put(cw, "HealthyHostCount", "blue", [3], now - timedelta(seconds=30))
    _put(cw, "UnHealthyHostCount", "blue", [1], now - timedelta(seconds=30))
    source = CloudWatchSource(LB, TGS, client=cw, now=lambda: now)
    assert source.traffic("green", 60) == Traffic(1000, 30)
    assert source.traffic("blue", 60) == Traffic(5000, 0)  # no 5xx datapoints: 0
    assert source.healthy("green") is True and source.healthy("blue") is False
    # moto computes no percentile (p95 comes back empty): the reading has no p95, the gate is inconclusive.
    assert source.latency("green", 300) == Latency(None, 1000)


def test_cloudwatch_p95_query_is_a_valid_get_metric_data_request():
    cw = boto3.client("cloudwatch", region_name="us-west-2", aws_access_key_id="x", aws_secret_access_key="x")
    now = datetime(2027, 1, 1, 12, 0, tzinfo=UTC)
    stub = Stubber(cw)
    queries = [
        {
            "Id": qid,
            "MetricStat": {
                "Metric": {
                    "Namespace": "AWS/ApplicationELB",
                    "MetricName": name,
                    "Dimensions": [{"Name": "LoadBalancer", "Value": LB}, {"Name": "TargetGroup", "Value": TGS["green"]}],
                },
                "Period": 300,
                "Stat": stat,
            },
            "ReturnData": True,
        }
        for qid, name, stat in (("p95", "TargetResponseTime", "p95"), ("requests", "RequestCount", "Sum"))
    ]
    stub.add_response(
        "get_metric_data",
        {
            "MetricDataResults": [
                {"Id": "p95", "Timestamps": [now - timedelta(seconds=300)], "Values": [0.42], "StatusCode": "Complete"},
                {"Id": "requests", "Timestamps": [now - timedelta(seconds=300)], "Values": [1200.0], "StatusCode": "Complete"},
            ]
        },
        {"MetricDataQueries": queries, "StartTime": now - timedelta(seconds=300), "EndTime": now, "ScanBy": "TimestampDescending"},
    )
    with stub:
        # 250 s rounds up to one 300 s period: percentiles of several periods cannot be combined.
        assert CloudWatchSource(LB, TGS, client=cw, now=lambda: now).latency("green", 250) == Latency(0.42, 1200.0)
    stub.assert_no_pending_responses()


# --- the asg migration: SSM Run Command (moto) ---------------------------------------------------------


@mock_aws
def test_ssm_migration_runs_once_on_one_healthy_instance_of_the_active_group():
    ec2 = boto3.client("ec2", region_name="us-west-2")
    ami = ec2.describe_images()["Images"][0]["ImageId"]
    lt = ec2.create_launch_template(LaunchTemplateName="api-blue", LaunchTemplateData={"ImageId": ami, "InstanceType": "t3.small"})
    asg = boto3.client("autoscaling", region_name="us-west-2")
    asg.create_auto_scaling_group(
        AutoScalingGroupName="nox-prod-api-blue",
        LaunchTemplate={"LaunchTemplateId": lt["LaunchTemplate"]["LaunchTemplateId"]},
        MinSize=2, MaxSize=2, DesiredCapacity=2, AvailabilityZones=["us-west-2a"],
    )  # fmt: skip
    ids = sorted(i["InstanceId"] for i in asg.describe_auto_scaling_groups()["AutoScalingGroups"][0]["Instances"])
    session = boto3.Session(region_name="us-west-2")
    runner = SsmMigration("nox-prod-api-blue", "npm run migrate", 600, clients=session.client, poll=5)
    clock = FakeClock()
    image = "123456789012.dkr.ecr.us-west-2.amazonaws.com/nox-api@sha256:" + "b" * 64
    verdict = runner.run(image, clock, "stage=migrate")
    assert verdict.ok
    sent = session.client("ssm").list_commands()["Commands"]
    assert runner.instance() == ids[0]  # (moto's ListCommands lists every instance it knows, whatever was targeted)
    assert len(sent) == 1 and sent[0]["DocumentName"] == "AWS-RunShellScript"
    assert sent[0]["Parameters"] == {"commands": [migration_script(image, "npm run migrate")], "executionTimeout": ["600"]}
    assert clock.sleeps == [5]


class ScriptedSsm:
    """An SSM client whose invocation goes InProgress, then `final` (moto's is always Success at once)."""

    def __init__(self, final: dict):
        self.final, self.polls = final, 0

    def describe_auto_scaling_groups(self, **kw):
        return {"AutoScalingGroups": [{"Instances": [
            {"InstanceId": "i-0b", "LifecycleState": "InService", "HealthStatus": "Healthy"},
            {"InstanceId": "i-0a", "LifecycleState": "Terminating", "HealthStatus": "Healthy"},
        ]}]}  # fmt: skip

    def send_command(self, **kw):
        self.sent = kw
        return {"Command": {"CommandId": "c-1"}}

    def get_command_invocation(self, **kw):
        self.polls += 1
        return {"Status": "InProgress"} if self.polls < 3 else self.final


def test_a_failed_ssm_migration_fails_with_its_stderr():
    client = ScriptedSsm({"Status": "Failed", "ResponseCode": 1, "StandardErrorContent": 'migrating...\nerror: relation "users" exists\n'})
    verdict = SsmMigration("g", "npm run migrate", 600, clients=lambda name: client).run("r/nox-api:v2", FakeClock(), "stage=migrate")
    assert (verdict.ok, verdict.reason) == (
        False,
        'migration failed: SSM command c-1 Failed (exit 1) on i-0b: error: relation "users" exists',
    )


def test_ssm_migration_output_goes_to_the_stacks_system_log_group():
    import botocore.session
    from botocore.validate import validate_parameters

    client = ScriptedSsm({"Status": "Success", "ResponseCode": 0})
    runner = SsmMigration("g", "npm run migrate", 600, clients=lambda name: client, log_group="/nox/nox-prod/system")
    assert runner.run("r/nox-api:v2", FakeClock(), "stage=migrate").ok
    assert client.sent["CloudWatchOutputConfig"] == {"CloudWatchLogGroupName": "/nox/nox-prod/system", "CloudWatchOutputEnabled": True}
    # The real API accepts exactly these arguments (botocore's SendCommand input shape).
    shape = botocore.session.get_session().get_service_model("ssm").operation_model("SendCommand").input_shape
    validate_parameters(client.sent, shape)
    SsmMigration("g", "npm run migrate", 600, clients=lambda name: client).run("r/nox-api:v2", FakeClock(), "stage=migrate")
    assert "CloudWatchOutputConfig" not in client.sent


def test_an_ssm_migration_still_running_after_its_timeout_fails():
    client = ScriptedSsm({"Status": "InProgress"})
    clock = FakeClock()
    verdict = SsmMigration("g", "npm run migrate", 60, clients=lambda name: client, poll=5).run("r/nox-api:v2", clock, "stage=migrate")
    assert verdict.reason == "migration: SSM command c-1 still InProgress after 60s" and clock.elapsed == 120


def test_the_migration_script_is_valid_shell_and_reuses_the_app_container():
    assert migrations.CONTAINER_NAME == CONTAINER_NAME
    script = migration_script("r/nox-api@sha256:" + "c" * 64, "npm run 'migrate:up'")
    assert script.endswith('"$IMAGE" npm run migrate:up\n')
    assert '--env-file "$env_file"' in script and f"docker inspect --format '{{{{.Image}}}}' {CONTAINER_NAME}" in script
    if shutil.which("shellcheck") is None:
        pytest.skip("no shellcheck: `make shellcheck` installs it")
    path = Path(pytest.importorskip("tempfile").mkdtemp()) / "migrate.sh"
    path.write_text("#!/bin/bash\n" + script)
    subprocess.run(["shellcheck", str(path)], check=True)
