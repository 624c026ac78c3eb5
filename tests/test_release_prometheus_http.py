"""The minimum-traffic guard end to end against a real HTTP metric source on localhost.

A small Prometheus HTTP API (`/api/v1/query`, the JSON shapes of the real one) answers the
queries `PrometheusSource` sends over urllib: health, and `increase(...)` counts integrated from
a traffic profile, where the candidate's share follows the weights the release applied (recorded
at each `up()` on the fake clock). Only the engine and the clock are fakes.
"""

from __future__ import annotations

import json
import re
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from test_release import NEW, FakeClock, FakeEngine

from release import driver
from release.driver import canary, weights
from release.metrics import PrometheusSource


class Timeline(FakeEngine):
    """A fake engine that records (time, candidate weight) at every successful update."""

    def __init__(self, clock: FakeClock):
        super().__init__()
        self.clock = clock
        self.changes: list[tuple[float, int]] = [(clock.now(), 0)]

    def up(self) -> None:
        super().up()
        self.changes.append((self.clock.now(), weights(self.live)["green"]))

    def weight_at(self, t: float) -> int:
        return ([0] + [w for at, w in self.changes if at <= t])[-1]  # before the release: none on green


class Traffic:
    """`rps` requests a second to the service, `error_share` of the candidate's answered 5xx."""

    def __init__(self, engine: Timeline, rps: float, error_share: float = 0.0):
        self.engine, self.rps, self.error_share = engine, rps, error_share

    def count(self, colour: str, window: int, errors: bool) -> float:
        now = self.engine.clock.now()
        share = [self.engine.weight_at(now - s - 0.5) / 100 for s in range(window)]  # one-second steps
        if colour == "blue":
            share = [1 - x for x in share]
        total = self.rps * sum(share)
        return total * self.error_share if errors and colour == "green" else 0.0 if errors else total


def answer(traffic: Traffic, promql: str) -> dict:
    colour = re.search(r'colour="(\w+)"', promql).group(1)
    if promql.startswith("min(up"):
        value: float | None = 1.0
    else:
        n, unit = re.search(r"\[(\d+)([ms])\]", promql).groups()
        value = traffic.count(colour, int(n) * (60 if unit == "m" else 1), errors='status_code=~"5.."' in promql)
        if value == 0 and "or vector(0)" not in promql:
            value = None  # no request series at all
    result = [] if value is None else [{"metric": {}, "value": [traffic.engine.clock.now(), str(value)]}]
    return {"status": "success", "data": {"resultType": "vector", "result": result}}


@pytest.fixture
def prometheus() -> Iterator[tuple[str, list[Traffic]]]:
    """The server's URL, and a one-element list the test puts its traffic profile in."""
    profile: list[Traffic] = []
    queries: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            url = urllib.parse.urlsplit(self.path)
            if url.path != "/api/v1/query":
                self.send_error(404)
                return
            promql = urllib.parse.parse_qs(url.query)["query"][0]
            queries.append(promql)
            body = json.dumps(answer(profile[0], promql)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:  # keep pytest's output clean
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", profile
    finally:
        server.shutdown()
        server.server_close()
    assert any("increase(http_requests_total" in q for q in queries)  # the source really asked


def release(prometheus: tuple[str, list[Traffic]], rps: float, error_share: float = 0.0):
    url, profile = prometheus
    clock = FakeClock()
    engine = Timeline(clock)
    profile.append(Traffic(engine, rps, error_share))
    source = PrometheusSource(url, timeout=5)
    result = canary(engine, source, clock, NEW, stages=(50, 100), stage_duration=60, poll=20)
    return result, engine, clock


def test_enough_traffic_passes_every_stage_at_its_duration(prometheus):
    result, _, clock = release(prometheus, rps=10)  # 50 %: 300 requests a minute
    assert result.outcome == driver.PROMOTED
    assert dict(result.requests) == {"50%": pytest.approx(300), "100%": pytest.approx(600)}
    assert clock.elapsed == 60 + 60


def test_thin_traffic_is_inconclusive_then_passes_on_the_extension(prometheus, caplog):
    with caplog.at_level("INFO", logger="release"):
        result, _, clock = release(prometheus, rps=3)  # 50 %: 90 a minute, 180 after two, 270 after three
    assert result.outcome == driver.PROMOTED
    assert dict(result.requests)["50%"] == pytest.approx(270)
    assert clock.elapsed == 180 + 120  # 50 %: extended twice; 100 %: 180 in 60 s, extended once
    assert "inconclusive: 90 requests in 60s, fewer than 200; extending by 60s (1/2)" in caplog.text


def test_thin_traffic_that_stays_thin_rolls_back(prometheus):
    result, engine, clock = release(prometheus, rps=1)  # 50 %: 30 a minute
    assert result.outcome == driver.ROLLED_BACK and result.failed_stage == "50%"
    assert result.reason == (
        "inconclusive: green served 90 requests in 180s, fewer than the minimum 200 (--min-requests), after 2 extension(s)"
    )
    assert weights(engine.live) == {"blue": 100, "green": 0}
    assert clock.elapsed == 180


def test_errors_on_enough_traffic_roll_back(prometheus):
    result, engine, _ = release(prometheus, rps=10, error_share=0.08)
    assert result.outcome == driver.ROLLED_BACK and result.failed_stage == "50%"
    # At 20 s the sample's 100 requests and 8 errors prove nothing; at 40 s 200 requests do.
    assert result.reason == "error ratio 8.00% on green above 5.00% (16 of 200 requests in the last 60s)"
    assert weights(engine.live) == {"blue": 100, "green": 0}
