"""Integration checks, migrations and the latency gate, against real local servers (issue 18).

An HTTP server (http.server) plays the app's REST side and a WebSocket server (the `websockets`
library) its `/ws`, both on 127.0.0.1; each test sets how they answer. Checks talk to them over
real sockets with the canary header; only the engine and the clock of a release are fakes (the
success-rate watch sleeps on the fake clock, so no test waits more than the WebSocket timeouts
below, a fraction of a second).
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from test_release import NEW, OLD, FakeClock, FakeEngine, FakeMetrics
from websockets.exceptions import ConnectionClosed
from websockets.sync.server import ServerConnection, serve

from release import driver
from release.checks import CheckConfig, HttpChecks, integration, oauth_url, success_rate, websocket_ping
from release.driver import ACTIVE, IMAGE, WEIGHT, blue_green, canary, release_config, weights
from release.gates import LatencyRule, compare_latency
from release.metrics import Latency
from release.migrations import MIGRATION_IMAGE, StackJob

WS_TIMEOUT = 0.5  # the seed's 10 s, shortened: the no-pong tests wait this long


@dataclass
class App:
    """How the fake app answers; `seen` records (method, path, X-Canary-User) of every request."""

    status: dict[str, int] = field(default_factory=dict)  # path -> status (default 200)
    health: list[int] = field(default_factory=list)  # successive /health statuses (then 200)
    ws: str = "pong"  # pong | silent | greet-then-pong | close
    seen: list[tuple[str, str, str | None]] = field(default_factory=list)


@pytest.fixture
def app() -> Iterator[tuple[App, CheckConfig]]:
    state = App()

    class Handler(BaseHTTPRequestHandler):
        def answer(self) -> None:
            state.seen.append((self.command, self.path, self.headers.get("X-Canary-User")))
            code = state.health.pop(0) if self.path == "/health" and state.health else state.status.get(self.path, 200)
            body = json.dumps({"url": "https://accounts.example.com/o/oauth2/auth"}).encode()
            self.send_response(code)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = answer  # noqa: N815 (http.server's names)

        def log_message(self, *args: object) -> None:
            pass

    def ws_handler(conn: ServerConnection) -> None:
        state.seen.append(("WS", conn.request.path, conn.request.headers.get("X-Canary-User")))
        message = json.loads(conn.recv())
        if state.ws == "close":
            return
        if state.ws == "greet-then-pong":
            conn.send(json.dumps({"type": "welcome"}))
        if state.ws != "silent" and message == {"type": "ping"}:
            conn.send(json.dumps({"type": "pong"}))
        with contextlib.suppress(ConnectionClosed):
            conn.recv()  # hold the connection until the client closes it

    http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    ws = serve(ws_handler, "127.0.0.1", 0)
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in (http, ws)]
    for t in threads:
        t.start()
    cfg = CheckConfig(
        f"http://127.0.0.1:{http.server_address[1]}",
        ws_base_url=f"http://127.0.0.1:{ws.socket.getsockname()[1]}",
        ws_timeout=WS_TIMEOUT,
        http_timeout=2,
    )
    try:
        yield state, cfg
    finally:
        http.shutdown()
        http.server_close()
        ws.shutdown()


# --- each check ----------------------------------------------------------------------------------


def test_every_check_passes_through_the_canary_header(app):
    state, cfg = app
    results = integration(cfg)
    assert [(r.name, r.ok, r.detail) for r in results] == [
        ("oauth:google", True, "/api/auth/google/url: HTTP 200"),
        ("oauth:github", True, "/api/auth/github/url: HTTP 200"),
        ("oauth:microsoft", True, "/api/auth/microsoft/url: HTTP 200"),
        ("websocket", True, "/ws: pong"),
    ]
    assert state.seen == [
        ("GET", "/api/auth/google/url", "true"),
        ("GET", "/api/auth/github/url", "true"),
        ("GET", "/api/auth/microsoft/url", "true"),
        ("WS", "/ws", "true"),
    ]  # the AI endpoint is not called when it is off


@pytest.mark.parametrize("provider", ["google", "github", "microsoft"])
def test_an_oauth_provider_answering_5xx_fails(app, provider):
    state, cfg = app
    state.status[f"/api/auth/{provider}/url"] = 503
    results = {r.name: r for r in integration(cfg)}
    assert not results[f"oauth:{provider}"].ok and results[f"oauth:{provider}"].detail == f"/api/auth/{provider}/url: HTTP 503"
    assert [n for n, r in results.items() if not r.ok] == [f"oauth:{provider}"]


def test_oauth_3xx_is_not_a_pass_and_404_fails(app):
    state, cfg = app
    state.status["/api/auth/google/url"] = 404
    assert oauth_url(cfg, "google").detail == "/api/auth/google/url: HTTP 404" and not oauth_url(cfg, "google").ok


def test_no_answer_at_all_fails_with_the_transport_error():
    cfg = CheckConfig("http://127.0.0.1:9", http_timeout=1, ws_timeout=WS_TIMEOUT)  # discard port: refused
    result = oauth_url(cfg, "google")
    assert not result.ok and result.detail.startswith("/api/auth/google/url: no answer: URLError")
    ws = websocket_ping(cfg)
    assert not ws.ok and "ConnectionRefusedError" in ws.detail


def test_a_websocket_that_never_pongs_times_out(app):
    state, cfg = app
    state.ws = "silent"
    result = websocket_ping(cfg)
    assert (result.ok, result.detail) == (False, f"/ws: no pong within {WS_TIMEOUT:g}s")


def test_a_websocket_closed_without_pong_fails(app):
    state, cfg = app
    state.ws = "close"
    result = websocket_ping(cfg)
    assert not result.ok and result.detail.startswith("/ws: ConnectionClosed")


def test_a_greeting_before_the_pong_is_skipped(app):
    state, cfg = app
    state.ws = "greet-then-pong"
    assert websocket_ping(cfg).ok


@pytest.mark.parametrize(("status", "ok"), [(200, True), (401, True), (403, False), (500, False)])
def test_the_ai_security_endpoint_answers_401_or_200_when_enabled(app, status, ok):
    state, base = app
    cfg = CheckConfig(base.base_url, ws_base_url=base.ws_base_url, ws_timeout=WS_TIMEOUT, ai_security=True)
    state.status["/api/ai/security/analyze"] = status
    results = integration(cfg)
    assert (results[-1].name, results[-1].ok, results[-1].detail) == ("ai-security", ok, f"/api/ai/security/analyze: HTTP {status}")
    assert ("POST", "/api/ai/security/analyze", "true") in state.seen


@pytest.mark.parametrize(("failures", "ok"), [(3, True), (4, False)])
def test_success_rate_needs_95_percent_of_60_polls(app, failures, ok):
    state, cfg = app
    state.health = [500] * failures  # 61 polls (t = 0 .. 60 s): 3 failures = 95.1 %, 4 = 93.4 %
    clock = FakeClock()
    result = success_rate(cfg, clock)
    assert result.ok is ok
    assert result.detail == f"{61 - failures}/61 /health answered 200, {(61 - failures) / 61:.1%} (minimum 95%)"
    assert clock.elapsed == 60 and clock.sleeps == [1.0] * 60


def test_the_checks_cli_runs_them_against_a_url(app, capsys):
    from release.checks import main

    state, cfg = app
    assert main(["--url", cfg.base_url, "--ws-url", cfg.ws_base_url], clock=FakeClock()) == 0
    out = capsys.readouterr().out
    assert "oauth:google" in out and "websocket" in out and "success-rate" in out and out.endswith("all checks passed\n")
    state.status["/api/auth/github/url"] = 503
    assert main(["--url", cfg.base_url, "--ws-url", cfg.ws_base_url], clock=FakeClock()) == 1
    assert "integration checks failed: oauth:github" in capsys.readouterr().out
    assert main(["--url", "ftp://x"]) == 2
    with pytest.raises(SystemExit) as exit_:
        main([])
    assert exit_.value.code == 2


# --- in a release ----------------------------------------------------------------------------------


def test_a_release_runs_migrate_deploy_health_checks_then_the_stages(app, caplog):
    _, cfg = app
    engine = FakeEngine({**FakeEngine().config, "nox:platform": "eks"})
    metrics = FakeMetrics(engine)
    with caplog.at_level(logging.INFO, logger="release"):
        result = canary(
            engine, metrics, FakeClock(), NEW, stages=(50, 100), stage_duration=60, poll=20,
            migrations=StackJob(), checks=HttpChecks(cfg), latency=LatencyRule(),
        )  # fmt: skip
    assert result.outcome == driver.PROMOTED
    assert result.completed == ("migrate", "deploy", "health", "checks", "50%", "100%", "promote")
    assert engine.sets[0][MIGRATION_IMAGE] == NEW and engine.sets[0][IMAGE["green"]] == ""  # migrated before green exists
    assert [c.name for c in result.checks] == ["oauth:google", "oauth:github", "oauth:microsoft", "websocket", "success-rate"]
    assert "checks: oauth:google ok, oauth:github ok, oauth:microsoft ok, websocket ok, success-rate ok" in result.summary()
    assert "stage=checks check websocket ok (/ws: pong)" in caplog.text
    assert "latency ok: green 50ms <= limit 200ms" in caplog.text


@pytest.mark.parametrize("strategy", ["canary", "bluegreen"])
def test_a_failed_check_rolls_back_before_any_weighted_traffic(app, strategy):
    state, cfg = app
    state.ws = "silent"
    engine = FakeEngine()
    run = canary if strategy == "canary" else blue_green
    result = run(engine, FakeMetrics(engine), FakeClock(), NEW, checks=HttpChecks(cfg))
    assert result.outcome == driver.ROLLED_BACK and result.failed_stage == "checks"
    assert result.reason == f"integration checks failed: websocket FAILED (/ws: no pong within {WS_TIMEOUT:g}s)"
    assert [int(c[WEIGHT]) for c in engine.ups] == [0]  # deployed at 0 %, never moved: the rollback has nothing to apply
    assert weights(engine.live) == {"blue": 100, "green": 0}
    assert "success-rate" not in [c.name for c in result.checks]  # a failed check is not watched for a minute first


def test_a_low_success_rate_rolls_back(app):
    state, cfg = app
    state.health = [503] * 10
    engine = FakeEngine()
    result = blue_green(engine, FakeMetrics(engine), FakeClock(), NEW, checks=HttpChecks(cfg))
    assert result.failed_stage == "checks" and "success-rate FAILED (51/61 /health answered 200, 83.6%" in result.reason


# --- migrations ------------------------------------------------------------------------------------


def failing_migration(cfg: dict[str, str], attempt: int, engine: FakeEngine) -> bool:
    return engine.config.get(MIGRATION_IMAGE) == NEW  # the Job of the new image fails its update


@pytest.mark.parametrize("strategy", ["canary", "bluegreen"])
def test_a_failed_migration_job_rolls_back_without_running_it_again(strategy):
    engine = FakeEngine({**FakeEngine().config, MIGRATION_IMAGE: OLD})
    engine.fail = lambda cfg, attempt: failing_migration(cfg, attempt, engine)
    run = canary if strategy == "canary" else blue_green
    result = run(engine, FakeMetrics(engine), FakeClock(), NEW, migrations=StackJob())
    assert result.outcome == driver.ROLLED_BACK and result.failed_stage == "migrate"
    assert result.reason == "migration failed: pulumi up: RuntimeError: update failed (attempt 1)"
    assert engine.sets == [
        {**release_config(FakeEngine().config), MIGRATION_IMAGE: NEW},
        {**release_config(FakeEngine().config), MIGRATION_IMAGE: ""},
    ]
    assert engine.config[IMAGE["green"]] == "" and engine.config[ACTIVE] == "blue"  # green never deployed
    assert result.completed == ()


class Runner:
    """A Migrations runner outside the stack (the asg shape) with a scripted verdict."""

    def __init__(self, ok: bool):
        self.ok, self.calls = ok, []

    def changes(self, image: str) -> dict[str, str]:
        return {}

    def run(self, image: str, clock: Any, context: str):
        from release.gates import Verdict

        self.calls.append(image)
        return Verdict(self.ok, "" if self.ok else "migration failed: SSM command c-1 Failed (exit 1) on i-1: relation exists")


def test_a_failed_out_of_stack_migration_changes_nothing():
    engine = FakeEngine()
    runner = Runner(ok=False)
    result = canary(engine, FakeMetrics(engine), FakeClock(), NEW, migrations=runner)
    assert runner.calls == [NEW] and engine.ups == [] and engine.sets == []
    assert result.outcome == driver.ROLLED_BACK and result.reason.endswith("relation exists")


def test_no_migration_runner_is_logged_and_skipped(caplog):
    engine = FakeEngine()
    with caplog.at_level(logging.INFO, logger="release"):
        result = canary(engine, FakeMetrics(engine), FakeClock(), NEW)
    assert result.completed[0] == "deploy" and "stage=migrate skipped: no migration command" in caplog.text


# --- latency ---------------------------------------------------------------------------------------


class Slow(FakeMetrics):
    """p95 per colour (seconds) from `p95`, requests from the traffic share."""

    def __init__(self, engine: FakeEngine, p95: dict[str, float], **kw: Any):
        super().__init__(engine, **kw)
        self.p95 = p95

    def latency(self, colour: str, window_s: float) -> Latency:
        base = super().latency(colour, window_s)
        return Latency(self.p95[colour] if base.p95 is not None else None, base.requests)


@pytest.mark.parametrize(
    ("blue", "green", "ok"),
    [(0.200, 0.290, True), (0.200, 0.310, False), (0.005, 0.008, True), (0.005, 0.210, False), (0.300, 0.440, True)],
)
def test_candidate_p95_against_stable_ratio_and_floor(blue, green, ok):
    engine = FakeEngine()
    result = canary(engine, Slow(engine, {"blue": blue, "green": green}), FakeClock(), NEW, stages=(50, 100), latency=LatencyRule())
    assert (result.outcome == driver.PROMOTED) is ok
    if not ok:
        assert result.failed_stage == "50%"
        assert result.reason == (
            f"p95 latency {green * 1000:.0f}ms on green above 1.5 x blue over the same 300s ({blue * 1000:.0f}ms) and the 200ms floor"
        )
        assert weights(engine.live) == {"blue": 100, "green": 0}


def test_at_100_percent_the_stable_reference_is_the_window_before_the_stage():
    engine = FakeEngine()
    result = canary(engine, Slow(engine, {"blue": 0.1, "green": 0.4}), FakeClock(), NEW, stages=(100,), latency=LatencyRule())
    assert result.failed_stage == "100%" and "above 1.5 x blue before the stage (100ms)" in result.reason


def test_bluegreen_compares_with_the_stable_colour_before_the_switch():
    engine = FakeEngine()
    result = blue_green(engine, Slow(engine, {"blue": 0.1, "green": 0.4}), FakeClock(), NEW, latency=LatencyRule())
    assert result.failed_stage == "watch" and "blue before the stage (100ms)" in result.reason
    assert weights(engine.live) == {"blue": 100, "green": 0}


def test_too_few_requests_on_either_side_is_inconclusive_and_logged(caplog):
    engine = FakeEngine()
    metrics = Slow(engine, {"blue": 0.1, "green": 0.9}, per_minute=lambda c, w, cfg: 100.0)
    clock = FakeClock()
    with caplog.at_level(logging.INFO, logger="release"):
        verdict = compare_latency(metrics, clock, "green", "blue", since=clock.now() - 60, rule=LatencyRule())
    assert verdict.ok and verdict.reason.startswith("latency inconclusive: fewer than 200 requests")
    assert "the error-ratio gate decides" in caplog.text


def test_latency_metrics_that_stay_unavailable_fail_the_gate():
    class Blind(FakeMetrics):
        def latency(self, colour: str, window_s: float) -> Latency:
            raise TimeoutError("prometheus timed out")

    engine = FakeEngine()
    clock = FakeClock()
    verdict = compare_latency(Blind(engine), clock, "green", "blue", since=clock.now() - 60, rule=LatencyRule())
    assert not verdict.ok and verdict.reason == "latency metrics unavailable for 3 consecutive reads: prometheus timed out"


@pytest.mark.parametrize("bad", [{"ratio": 0.9}, {"ratio": float("nan")}, {"floor": -1}, {"min_requests": True}])
def test_latency_rule_rejects_nonsense(bad):
    with pytest.raises(ValueError):
        LatencyRule(**bad)


# --- CLI wiring ------------------------------------------------------------------------------------


def _args(*extra: str):
    from release.__main__ import build_parser

    return build_parser().parse_args(["canary", "--stack", "prod", "--image", NEW, *extra])


class WithOutputs(FakeEngine):
    def __init__(self, config: dict[str, str], outputs: dict[str, Any]):
        super().__init__(config)
        self._outputs = outputs

    def outputs(self) -> dict[str, Any]:
        return self._outputs


def test_cli_migrations_follow_the_platform_and_the_command():
    from release.__main__ import UsageError, make_migrations

    base = FakeEngine().config
    assert isinstance(make_migrations(_args(), FakeEngine({**base, "nox:platform": "eks"})), StackJob)
    assert make_migrations(_args(), FakeEngine({**base, "nox:platform": "eks", "nox:migrationCommand": ""})) is None
    groups = {"autoScalingGroups": {"blue": "nox-prod-api-blue"}}
    ssm = make_migrations(_args(), WithOutputs({**base, "nox:migrationTimeout": "900"}, groups))
    assert (ssm.group, ssm.command, ssm.timeout) == ("nox-prod-api-blue", "npm run migrate", 900)
    with pytest.raises(UsageError, match="stack output autoScalingGroups has no 'blue'"):
        make_migrations(_args(), WithOutputs(base, {}))


def test_cli_checks_default_to_the_stack_domain_and_take_the_seed_defaults():
    from release.__main__ import UsageError, make_checks

    checks = make_checks(_args(), FakeEngine({**FakeEngine().config, "nox:domain": "api.nox.example.com"}))
    assert checks.cfg == CheckConfig("https://api.nox.example.com")
    assert checks.cfg.ws_url() == "wss://api.nox.example.com/ws"
    custom = make_checks(_args("--candidate-url", "https://alb.example.com", "--oauth-providers", "github", "--ai-security",
                               "--min-success-percent", "99", "--ws-timeout", "3"), FakeEngine())  # fmt: skip
    assert (custom.cfg.base_url, custom.cfg.providers, custom.cfg.ai_security, custom.cfg.min_success, custom.cfg.ws_timeout) == (
        "https://alb.example.com",
        ("github",),
        True,
        0.99,
        3.0,
    )
    assert make_checks(_args("--no-checks"), FakeEngine()) is None
    with pytest.raises(UsageError, match="--candidate-url"):
        make_checks(_args(), FakeEngine())


def test_cli_latency_rule_from_the_options(monkeypatch):
    from release import __main__ as cli

    seen: dict[str, Any] = {}

    def fake_canary(engine, metrics, clock, image, **kw):
        seen.update(kw)
        return driver.Result("canary", driver.PROMOTED, "green", image, ())

    monkeypatch.setattr(cli.driver, "canary", fake_canary)
    argv = ["canary", "--stack", "prod", "--image", NEW, "--latency-ratio", "2", "--latency-floor-ms", "300", "--min-requests", "500"]
    engine = FakeEngine()
    kw = {"engine_factory": lambda a: engine, "metrics_factory": lambda a, e: FakeMetrics(engine),
          "migrations_factory": lambda a, e: None, "checks_factory": lambda a, e: None, "clock": FakeClock()}  # fmt: skip
    assert cli.main(argv, **kw) == 0 and seen["latency"] == LatencyRule(2.0, 0.3, 500)
    assert cli.main([*argv, "--no-latency-gate"], **kw) == 0 and seen["latency"] is None
    assert cli.main([*argv[:5], "--latency-ratio", "0.5"], **kw) == 2  # below 1 would fail an identical candidate


def test_bluegreen_on_asg_runs_the_ssm_shaped_migration_checks_and_latency_in_order(app, caplog):
    _, cfg = app
    engine = FakeEngine()
    runner = Runner(ok=True)
    with caplog.at_level(logging.INFO, logger="release"):
        result = blue_green(engine, FakeMetrics(engine), FakeClock(), NEW, migrations=runner, checks=HttpChecks(cfg), latency=LatencyRule())
    assert result.outcome == driver.PROMOTED and runner.calls == [NEW]
    assert result.completed == ("migrate", "deploy", "health", "checks", "pre-switch", "switch", "watch", "promote")
    assert MIGRATION_IMAGE not in engine.config  # asg: the migration is outside the stack
    order = [caplog.text.index(m) for m in ("stage=migrate passed", "stage=deploy apply", "stage=checks passed", "latency ok")]
    assert order == sorted(order)
