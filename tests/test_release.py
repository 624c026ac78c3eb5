"""Release driver: canary and blue/green walks, gates, rollback, metric sources, CLI. All offline.

A fake engine records the release config of every `up()`, a fake clock never sleeps, scripted
metrics answer from the config that is live (the last successful `up()`).
"""

from __future__ import annotations

import json
import logging
import re
import urllib.parse
from collections.abc import Callable
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pulumi import automation as auto

from release import driver, gates
from release.__main__ import main
from release.automation import AutomationEngine
from release.driver import ACTIVE, IMAGE, STRATEGY, WEIGHT, ReleaseError, blue_green, canary, release_config, weights
from release.metrics import (
    COLOUR_LABEL,
    STATUS_LABEL,
    CloudWatchSource,
    Latency,
    MetricError,
    MetricSetupError,
    PrometheusSource,
    Traffic,
    health_query,
    parse_vector_value,
    redact_url,
    traffic_queries,
)

# Prod releases take digests only (release.driver, settings.schema.digest_problem).
OLD = "123456789012.dkr.ecr.us-west-2.amazonaws.com/nox-api@sha256:" + "a" * 64
NEW = "123456789012.dkr.ecr.us-west-2.amazonaws.com/nox-api@sha256:" + "b" * 64
BASE = {"aws:region": "us-west-2", "nox:environment": "prod", "nox:imageBlue": OLD}  # release keys: defaults
START = 1_800_000_000.0


# --- fakes --------------------------------------------------------------------------------------


class FakeEngine:
    """Stack config in memory; `ups` is the release config of every successful update, in order."""

    def __init__(self, config: dict[str, str] | None = None, fail: Callable[[dict[str, str], int], bool] | None = None):
        self.config = dict(BASE if config is None else config)
        self.fail = fail or (lambda cfg, attempt: False)
        self.attempts: list[dict[str, str]] = []
        self.ups: list[dict[str, str]] = []
        self.sets: list[dict[str, str]] = []

    def get_config(self) -> dict[str, str]:
        return dict(self.config)

    def set_config(self, values: dict[str, str]) -> None:
        assert all(isinstance(v, str) for v in values.values())
        self.sets.append(dict(values))
        self.config.update(values)

    def up(self) -> None:
        cfg = release_config(self.config)
        self.attempts.append(cfg)
        if self.fail(cfg, len(self.attempts)):
            raise RuntimeError(f"update failed (attempt {len(self.attempts)})")
        self.ups.append(cfg)

    @property
    def live(self) -> dict[str, str]:
        return self.ups[-1] if self.ups else release_config(BASE)


class FakeClock:
    def __init__(self) -> None:
        self.t = START
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        assert seconds > 0
        self.sleeps.append(seconds)
        self.t += seconds

    @property
    def elapsed(self) -> float:
        return self.t - START


class FakeMetrics:
    """Answers from the live config: `ratio(colour, weight_of_colour, live_cfg)` (None: no requests),
    `per_minute(colour, weight, live_cfg)` requests a minute, `healthy(colour, live_cfg)`."""

    def __init__(
        self,
        engine: FakeEngine,
        ratio: Callable[..., float | None] = lambda c, w, cfg: 0.001,
        healthy: Callable[..., bool] = lambda c, cfg: True,
        per_minute: Callable[..., float] = lambda c, w, cfg: 1000.0,
    ):
        self.engine, self._ratio, self._healthy, self._per_minute = engine, ratio, healthy, per_minute
        self.ratio_calls: list[tuple[str, int]] = []
        self.windows: list[float] = []

    def traffic(self, colour: str, window_s: float) -> Traffic:
        cfg = self.engine.live
        weight = weights(cfg)[colour]
        self.ratio_calls.append((colour, weight))
        self.windows.append(window_s)
        ratio = self._ratio(colour, weight, cfg)
        if ratio is None:
            return Traffic(0.0, 0.0)
        requests = self._per_minute(colour, weight, cfg) * window_s / 60
        return Traffic(requests, ratio * requests)

    def healthy(self, colour: str) -> bool:
        return self._healthy(colour, self.engine.live)

    def latency(self, colour: str, window_s: float) -> Latency:
        """Both colours equally fast (50 ms) on their share of the requests (tests/test_release_gates.py varies it)."""
        weight = weights(self.engine.live)[colour]
        requests = self._per_minute(colour, weight, self.engine.live) * window_s / 60 if weight else 0.0
        return Latency(0.05 if requests else None, requests)


def rel(active="blue", strategy="bluegreen", weight=0, green="", blue=OLD) -> dict[str, str]:
    return {STRATEGY: strategy, ACTIVE: active, IMAGE["blue"]: blue, IMAGE["green"]: green, WEIGHT: str(weight)}


def run_canary(engine=None, metrics=None, **kw):
    engine = engine or FakeEngine()
    metrics = metrics or FakeMetrics(engine)
    clock = FakeClock()
    return canary(engine, metrics, clock, NEW, **kw), engine, clock


# --- canary ----------------------------------------------------------------------------------------


def test_canary_happy_path_walks_every_seed_stage_then_promotes():
    result, engine, clock = run_canary()
    assert result.outcome == driver.PROMOTED and result.exit_code == 0
    assert engine.ups == [
        rel(strategy="canary", weight=0, green=NEW),  # deploy the candidate, no traffic
        rel(strategy="canary", weight=1, green=NEW),
        rel(strategy="canary", weight=5, green=NEW),
        rel(strategy="canary", weight=10, green=NEW),
        rel(strategy="canary", weight=25, green=NEW),
        rel(strategy="canary", weight=50, green=NEW),
        rel(strategy="canary", weight=100, green=NEW),
        rel(active="green", strategy="bluegreen", weight=0, green=NEW),  # promote: green active, blue kept
    ]
    assert [weights(c)["green"] for c in engine.ups] == [0, 1, 5, 10, 25, 50, 100, 100]
    assert result.completed == ("deploy", "health", "1%", "5%", "10%", "25%", "50%", "100%", "promote")
    # Seed timing: 6 stages x 300 s, polled every 30 s (10 samples a stage, the last at the stage's end).
    assert clock.elapsed == 6 * 300
    assert set(clock.sleeps) == {30}


def test_canary_samples_only_the_candidate_at_each_weight():
    engine = FakeEngine()
    metrics = FakeMetrics(engine)
    canary(engine, metrics, FakeClock(), NEW)
    assert {c for c, _ in metrics.ratio_calls} == {"green"}
    per_weight = {w: sum(1 for _, x in metrics.ratio_calls if x == w) for w in (1, 5, 10, 25, 50, 100)}
    assert per_weight == dict.fromkeys((1, 5, 10, 25, 50, 100), 11)  # 10 samples, then the stage's total
    assert metrics.windows[:11] == [60] * 10 + [300]  # samples over the seed's 1 m, the total over the stage


def test_canary_bad_ratio_at_stage_10_rolls_back_to_weight_0_and_stops(caplog):
    engine = FakeEngine()
    metrics = FakeMetrics(engine, ratio=lambda c, w, cfg: 0.12 if w == 10 else 0.0)
    with caplog.at_level(logging.INFO, logger="release"):
        result, _, clock = run_canary(engine, metrics)
    assert result.outcome == driver.ROLLED_BACK and result.exit_code == 1
    assert result.failed_stage == "10%"
    assert "12.00%" in result.reason and "5.00%" in result.reason
    assert [int(c[WEIGHT]) for c in engine.ups] == [0, 1, 5, 10, 0]
    assert engine.ups[-1] == rel(strategy="canary", weight=0, green=NEW)  # seed: update_canary_traffic 0
    assert weights(engine.live) == {"blue": 100, "green": 0}
    assert result.completed == ("deploy", "health", "1%", "5%")
    assert clock.elapsed == 2 * 300 + 30  # failed on the first poll of stage 10
    assert "ROLLBACK" in caplog.text


@pytest.mark.parametrize(
    ("ratio", "outcome"), [(0.05, driver.PROMOTED), (0.0501, driver.ROLLED_BACK), (5 / 100, driver.PROMOTED), (0.0, driver.PROMOTED)]
)
def test_threshold_is_strictly_greater_than_5_percent(ratio, outcome):
    engine = FakeEngine()
    result, _, _ = run_canary(engine, FakeMetrics(engine, ratio=lambda c, w, cfg: ratio))
    assert result.outcome == outcome
    if outcome == driver.ROLLED_BACK:
        assert result.failed_stage == "1%"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.floats(min_value=0, max_value=1, allow_nan=False))
def test_gate_property_promoted_iff_ratio_at_most_threshold(ratio):
    engine = FakeEngine()
    result = canary(engine, FakeMetrics(engine, ratio=lambda c, w, cfg: ratio), FakeClock(), NEW, stages=(50, 100), stage_duration=90)
    assert (result.outcome == driver.PROMOTED) == (ratio <= 0.05)
    assert weights(engine.live)[result.candidate if result.outcome == driver.PROMOTED else "blue"] == 100


# --- the minimum-traffic guard -------------------------------------------------------------------


def thin(per_minute_at: dict[int, float], default: float = 1000.0) -> Callable[..., float]:
    """Requests a minute by candidate weight: quiet stages, busy ones."""
    return lambda c, w, cfg: per_minute_at.get(w, default)


def test_the_stage_counts_are_in_the_summary():
    result, _, _ = run_canary()
    assert dict(result.requests) == {f"{w}%": 5000 for w in (1, 5, 10, 25, 50, 100)}  # 1000 a minute x 300 s
    assert "steps: deploy, health, 1% (5000 requests), 5% (5000 requests)," in result.summary()


def test_a_thin_stage_is_extended_then_passes(caplog):
    engine = FakeEngine()
    metrics = FakeMetrics(engine, per_minute=thin({1: 30}))  # 150 requests in 300 s: fewer than 200
    with caplog.at_level(logging.INFO, logger="release"):
        result, _, clock = run_canary(engine, metrics)
    assert result.outcome == driver.PROMOTED
    assert dict(result.requests)["1%"] == 300  # the window grew to 600 s: 300 requests
    assert clock.elapsed == 2 * 300 + 5 * 300  # the 1 % stage ran twice its duration
    assert "inconclusive: 150 requests in 300s, fewer than 200; extending by 300s (1/2)" in caplog.text
    assert "1% (300 requests)" in result.summary()


def test_a_stage_that_stays_thin_rolls_back_after_its_extensions():
    engine = FakeEngine()
    result, _, clock = run_canary(engine, FakeMetrics(engine, per_minute=thin({5: 10})))  # 50 requests per 300 s
    assert result.outcome == driver.ROLLED_BACK and result.failed_stage == "5%"
    assert result.reason == (
        "inconclusive: green served 150 requests in 900s, fewer than the minimum 200 (--min-requests), after 2 extension(s)"
    )
    assert dict(result.requests)["5%"] == 150
    assert clock.elapsed == 300 + 3 * 300
    assert weights(engine.live) == {"blue": 100, "green": 0}


@pytest.mark.parametrize(("per_minute", "outcome"), [(40.0, driver.PROMOTED), (39.8, driver.ROLLED_BACK)])
def test_the_minimum_is_inclusive(per_minute, outcome):
    engine = FakeEngine()
    metrics = FakeMetrics(engine, per_minute=lambda c, w, cfg: per_minute)  # 200 or 199 requests in 300 s
    result, _, _ = run_canary(engine, metrics, stages=(100,), traffic=gates.TrafficRule(200, 0))
    assert result.outcome == outcome


def test_no_traffic_at_all_rolls_back_at_the_first_stage():
    engine = FakeEngine()
    result, _, _ = run_canary(engine, FakeMetrics(engine, ratio=lambda c, w, cfg: None))
    assert result.outcome == driver.ROLLED_BACK and result.failed_stage == "1%"
    assert "served 0 requests in 900s" in result.reason


def test_allow_no_traffic_passes_a_thin_stage_and_says_so(caplog):
    engine = FakeEngine()
    with caplog.at_level(logging.INFO, logger="release"):
        result, _, _ = run_canary(engine, FakeMetrics(engine, ratio=lambda c, w, cfg: None), traffic=gates.TrafficRule(pass_thin=True))
    assert result.outcome == driver.PROMOTED
    assert "ratio=no-traffic requests=0 errors=0" in caplog.text
    assert "fewer than the minimum 200 (--min-requests), after 2 extension(s); passing (--allow-no-traffic)" in caplog.text


def test_many_errors_on_few_requests_fail_at_once():
    """50 requests a minute at 30 %: 15 errors, more than 5 % of 200 could ever absorb."""
    engine = FakeEngine()
    metrics = FakeMetrics(engine, ratio=lambda c, w, cfg: 0.3, per_minute=lambda c, w, cfg: 50)
    result, _, clock = run_canary(engine, metrics)
    assert result.outcome == driver.ROLLED_BACK and result.failed_stage == "1%"
    assert result.reason == "error ratio 30.00% on green above 5.00% (15 of 50 requests in the last 60s)"
    assert clock.elapsed == 30  # the first sample


def test_few_errors_on_few_requests_wait_for_the_stage_total():
    """50 requests a minute at 10 %: a sample's 5 errors prove nothing; the stage's 250 requests do."""
    engine = FakeEngine()
    metrics = FakeMetrics(engine, ratio=lambda c, w, cfg: 0.1, per_minute=lambda c, w, cfg: 50)
    result, _, clock = run_canary(engine, metrics)
    assert result.outcome == driver.ROLLED_BACK and result.failed_stage == "1%"
    assert result.reason == "error ratio 10.00% on green above 5.00% (25 of 250 requests in 300s)"
    assert clock.elapsed == 300


def test_candidate_never_healthy_rolls_back_before_any_traffic():
    engine = FakeEngine()
    result, _, clock = run_canary(engine, FakeMetrics(engine, healthy=lambda c, cfg: c != "green"))
    assert result.outcome == driver.ROLLED_BACK
    assert result.failed_stage == "health" and "within 300s" in result.reason
    assert all(weights(c)["green"] == 0 for c in engine.attempts)  # no traffic ever reached green
    assert engine.ups == [rel(strategy="canary", weight=0, green=NEW)]  # nothing else to apply
    assert clock.elapsed == 300 and set(clock.sleeps) == {10}  # seed: every 10 s for 300 s


def test_candidate_becomes_healthy_after_a_while():
    engine = FakeEngine()
    clock = FakeClock()
    metrics = FakeMetrics(engine, healthy=lambda c, cfg: clock.elapsed >= 120)
    result = canary(engine, metrics, clock, NEW)
    assert result.outcome == driver.PROMOTED
    assert clock.elapsed == 120 + 6 * 300


def test_candidate_unhealthy_mid_canary_rolls_back():
    engine = FakeEngine()
    metrics = FakeMetrics(engine, healthy=lambda c, cfg: not (c == "green" and weights(cfg)["green"] == 50))
    result, _, _ = run_canary(engine, metrics)
    assert result.outcome == driver.ROLLED_BACK and result.failed_stage == "50%"
    assert "unhealthy" in result.reason
    assert weights(engine.live) == {"blue": 100, "green": 0}


def test_up_failing_at_stage_25_restores_the_exact_previous_config():
    engine = FakeEngine(fail=lambda cfg, n: cfg[WEIGHT] == "25")
    before = release_config(engine.get_config())
    result, _, _ = run_canary(engine)
    assert result.outcome == driver.ROLLED_BACK and result.failed_stage == "25%"
    assert "pulumi up failed" in result.reason
    assert [int(c[WEIGHT]) for c in engine.attempts] == [0, 1, 5, 10, 25, 0]
    assert engine.ups[-1] == before == rel()  # imageGreen back to empty, strategy back to bluegreen
    assert release_config(engine.config) == before
    assert engine.sets[-1] == before


def test_rollback_retries_once_then_reports_failed_for_manual_intervention():
    engine = FakeEngine(fail=lambda cfg, n: n >= 3)  # deploy and 1 % work, then every update fails
    result, _, _ = run_canary(engine)
    assert result.outcome == driver.FAILED and result.exit_code == 3
    assert "MANUAL INTERVENTION" in result.reason and "nox:releaseCanaryWeight='0'" in result.reason
    assert len(engine.attempts) == 3 + driver.ROLLBACK_ATTEMPTS


def test_rollback_succeeding_on_second_attempt():
    engine = FakeEngine(fail=lambda cfg, n: n in (3, 4))  # stage 5 % fails, first rollback attempt too
    result, _, _ = run_canary(engine)
    assert result.outcome == driver.ROLLED_BACK
    assert engine.live == rel()


def test_interrupt_during_a_stage_rolls_back():
    engine = FakeEngine()

    def ratio(c, w, cfg):
        if w == 5:
            raise KeyboardInterrupt
        return 0.0

    result, _, _ = run_canary(engine, FakeMetrics(engine, ratio=ratio))
    assert result.outcome == driver.ROLLED_BACK and result.failed_stage == "5%"
    assert "interrupted" in result.reason
    assert engine.live == rel()  # the pre-release config, exactly


def test_interrupt_during_up_rolls_back():
    engine = FakeEngine()
    original_up = engine.up

    def up():
        if engine.config.get(WEIGHT) == "10":
            raise KeyboardInterrupt
        original_up()

    engine.up = up
    result, _, _ = run_canary(engine)
    assert result.outcome == driver.ROLLED_BACK and result.failed_stage == "10%"
    assert engine.live == rel() and release_config(engine.config) == rel()


def test_unexpected_error_in_a_metric_source_rolls_back():
    # Any error of a source is a blind poll (not a crash): three in a row fail the gate, traffic goes back.
    engine = FakeEngine()
    result, _, _ = run_canary(engine, FakeMetrics(engine, ratio=lambda c, w, cfg: 1 / 0))
    assert result.outcome == driver.ROLLED_BACK and "3 consecutive polls: ZeroDivisionError" in result.reason
    assert engine.live == rel(strategy="canary", weight=0, green=NEW) and weights(engine.live) == {"blue": 100, "green": 0}


def test_metric_outage_tolerates_two_blind_polls_and_fails_on_three():
    engine = FakeEngine()
    blind = {"n": 0}

    def flaky(c, w, cfg):
        if w == 5 and blind["n"] < 2:
            blind["n"] += 1
            raise MetricError("timeout")
        return 0.0

    result, _, _ = run_canary(engine, FakeMetrics(engine, ratio=flaky))
    assert result.outcome == driver.PROMOTED

    engine = FakeEngine()

    def down(c, w, cfg):
        if w == 5:
            raise MetricError("connection refused")
        return 0.0

    result, _, _ = run_canary(engine, FakeMetrics(engine, ratio=down))
    assert result.outcome == driver.ROLLED_BACK and result.failed_stage == "5%"
    assert "3 consecutive polls" in result.reason


@settings(max_examples=40, deadline=None)
@given(mode=st.sampled_from(["ratio", "unhealthy", "up", "interrupt"]), stage=st.sampled_from([1, 5, 10, 25, 50, 100]))
def test_any_failure_leaves_all_traffic_on_the_old_colour(mode, stage):
    engine = FakeEngine(fail=(lambda cfg, n: cfg[WEIGHT] == str(stage)) if mode == "up" else None)

    def ratio(c, w, cfg):
        if w == stage and mode == "interrupt":
            raise KeyboardInterrupt
        return 0.5 if (w == stage and mode == "ratio") else 0.0

    metrics = FakeMetrics(engine, ratio=ratio, healthy=lambda c, cfg: not (mode == "unhealthy" and weights(cfg)["green"] == stage))
    result = canary(engine, metrics, FakeClock(), NEW)
    assert result.outcome == driver.ROLLED_BACK and result.failed_stage == f"{stage}%"
    assert weights(engine.live) == {"blue": 100, "green": 0}
    assert engine.live[ACTIVE] == "blue" and engine.live[IMAGE["blue"]] == OLD


def test_canary_from_green_targets_blue():
    engine = FakeEngine({**BASE, "nox:releaseActive": "green", "nox:imageGreen": OLD, "nox:imageBlue": "registry/nox-api:v7.9.0"})
    result, _, _ = run_canary(engine)
    assert result.candidate == "blue" and result.outcome == driver.PROMOTED
    assert engine.ups[0] == rel(active="green", strategy="canary", weight=0, green=OLD, blue=NEW)
    assert engine.ups[-1] == rel(active="blue", green=OLD, blue=NEW)


def test_custom_stages_and_durations():
    engine = FakeEngine()
    result, _, clock = run_canary(engine, stages=(10, 100), stage_duration=135, poll=45)
    assert result.outcome == driver.PROMOTED
    assert [int(c[WEIGHT]) for c in engine.ups] == [0, 10, 100, 0]
    assert clock.elapsed == 270


def test_a_canary_restarted_after_a_rolled_back_one():
    engine = FakeEngine({**BASE, **rel(strategy="canary", weight=0, green="registry/nox-api:v8.0.9")})
    result, _, _ = run_canary(engine)
    assert result.outcome == driver.PROMOTED and engine.ups[0][IMAGE["green"]] == NEW


@pytest.mark.parametrize(
    ("config", "image", "message"),
    [
        (BASE, "registry/nox-api:latest", "latest"),
        (BASE, "registry/nox-api", "pinned"),
        (BASE, OLD, "already the active image"),
        ({**BASE, "nox:releaseStrategy": "canary", "nox:imageGreen": NEW, "nox:releaseCanaryWeight": "25"}, NEW, "a canary is in progress"),
        ({k: v for k, v in BASE.items() if k != "nox:imageBlue"}, NEW, "active colour needs an image"),
        ({**BASE, "nox:releaseActive": "purple"}, NEW, "one of blue, green"),
    ],
)
def test_refuses_to_start_without_changing_anything(config, image, message):
    engine = FakeEngine(config)
    with pytest.raises(ReleaseError, match=message):
        canary(engine, FakeMetrics(engine), FakeClock(), image)
    assert engine.sets == [] and engine.attempts == []


@pytest.mark.parametrize("stages", [(), (1, 5), (5, 1, 100), (0, 100), (50, 50, 100), (1, 101)])
def test_bad_stages_rejected(stages):
    with pytest.raises(ReleaseError):
        run_canary(stages=stages)


def test_unreadable_stack_config_refuses_to_start():
    engine = FakeEngine()
    engine.get_config = lambda: (_ for _ in ()).throw(FileNotFoundError("pulumi: command not found"))
    with pytest.raises(ReleaseError, match="cannot read the stack config"):
        canary(engine, FakeMetrics(engine), FakeClock(), NEW)


def test_log_lines_carry_timestamp_stage_weight_and_ratio(caplog):
    with caplog.at_level(logging.INFO, logger="release"):
        run_canary()
    lines = caplog.messages
    ts = datetime.fromtimestamp(START, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert lines[0].startswith(ts)
    sample = next(m for m in lines if "stage=10%" in m and "ratio=" in m)
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ ", sample)
    assert "weight=10%" in sample and "ratio=0.10%" in sample and "colour=green" in sample
    assert any("apply weights blue=90% green=10%" in m for m in lines)


# --- blue/green --------------------------------------------------------------------------------------


def run_bg(engine=None, metrics=None, **kw):
    engine = engine or FakeEngine()
    metrics = metrics or FakeMetrics(engine)
    clock = FakeClock()
    return blue_green(engine, metrics, clock, NEW, **kw), engine, clock


def test_blue_green_switches_all_traffic_after_gates():
    result, engine, clock = run_bg()
    assert result.outcome == driver.PROMOTED
    assert engine.ups == [
        rel(strategy="canary", weight=0, green=NEW),  # warm the candidate: full size, header route, no traffic
        rel(strategy="canary", weight=100, green=NEW),  # the switch: all traffic at once, blue still warm
        rel(active="green", strategy="bluegreen", weight=0, green=NEW),  # promote: green is the active colour
    ]
    assert [weights(c) for c in engine.ups] == [{"blue": 100, "green": 0}, {"blue": 0, "green": 100}, {"blue": 0, "green": 100}]
    assert result.completed == ("deploy", "health", "pre-switch", "switch", "watch", "promote")
    assert clock.elapsed == 60 + 60  # seed: monitor 60 s before and after the switch


def test_blue_green_switches_back_when_the_new_colour_fails_after_the_switch():
    engine = FakeEngine()
    # Header (X-Canary-User) traffic looked fine; real traffic after the switch errors at 7 %.
    metrics = FakeMetrics(engine, ratio=lambda c, w, cfg: 0.07 if w == 100 else 0.01)
    result, _, _ = run_bg(engine, metrics)
    assert result.outcome == driver.ROLLED_BACK and result.failed_stage == "watch"
    assert [int(c[WEIGHT]) for c in engine.ups] == [0, 100, 0]  # switched back: one weight change
    assert engine.live == rel(strategy="canary", weight=0, green=NEW)
    assert weights(engine.live) == {"blue": 100, "green": 0}


def test_blue_green_success_rate_95_percent_passes():
    engine = FakeEngine()
    result, _, _ = run_bg(engine, FakeMetrics(engine, ratio=lambda c, w, cfg: 0.05))
    assert result.outcome == driver.PROMOTED


def test_blue_green_unhealthy_after_switch_switches_back():
    engine = FakeEngine()
    metrics = FakeMetrics(engine, healthy=lambda c, cfg: weights(cfg)["green"] < 100)
    result, _, _ = run_bg(engine, metrics)
    assert result.outcome == driver.ROLLED_BACK and result.failed_stage == "watch"
    assert engine.live[ACTIVE] == "blue" and weights(engine.live) == {"blue": 100, "green": 0}


def test_blue_green_pre_switch_header_traffic_failure_never_switches():
    engine = FakeEngine()
    metrics = FakeMetrics(engine, ratio=lambda c, w, cfg: 0.3)
    result, _, _ = run_bg(engine, metrics)
    assert result.outcome == driver.ROLLED_BACK and result.failed_stage == "pre-switch"
    assert engine.ups == [rel(strategy="canary", weight=0, green=NEW)]  # no switch, nothing to undo
    assert all(weights(c)["green"] == 0 for c in engine.attempts)


def test_blue_green_without_header_traffic_passes_pre_switch():
    engine = FakeEngine()
    metrics = FakeMetrics(engine, ratio=lambda c, w, cfg: None if w == 0 else 0.0)
    result, _, _ = run_bg(engine, metrics)
    assert result.outcome == driver.PROMOTED


def test_blue_green_needs_the_minimum_traffic_after_the_switch_unless_told_otherwise():
    engine = FakeEngine()
    result, _, clock = run_bg(engine, FakeMetrics(engine, ratio=lambda c, w, cfg: None))
    assert result.outcome == driver.ROLLED_BACK and result.failed_stage == "watch"
    assert "served 0 requests in 180s" in result.reason  # 60 s, extended twice
    assert clock.elapsed == 60 + 180 and weights(engine.live) == {"blue": 100, "green": 0}
    engine = FakeEngine()
    result, _, _ = run_bg(engine, FakeMetrics(engine, ratio=lambda c, w, cfg: None), traffic=gates.TrafficRule(pass_thin=True))
    assert result.outcome == driver.PROMOTED


def test_blue_green_pre_switch_check_optional():
    result, _, clock = run_bg(pre_switch_check=False)
    assert result.completed == ("deploy", "health", "switch", "watch", "promote") and clock.elapsed == 60


def test_blue_green_up_failure_at_switch_restores_previous_config():
    engine = FakeEngine(fail=lambda cfg, n: cfg[WEIGHT] == "100" and n == 2)
    result, _, _ = run_bg(engine)
    assert result.outcome == driver.ROLLED_BACK and result.failed_stage == "switch"
    assert engine.live == rel()


def test_blue_green_up_failure_at_promotion_restores_previous_config():
    engine = FakeEngine(fail=lambda cfg, n: cfg[ACTIVE] == "green" and n == 3)
    result, _, _ = run_bg(engine)
    assert result.outcome == driver.ROLLED_BACK and result.failed_stage == "promote"
    assert engine.live == rel() and result.completed == ("deploy", "health", "pre-switch", "switch", "watch")


def test_blue_green_interrupt_after_switch_switches_back():
    engine = FakeEngine()

    def ratio(c, w, cfg):
        if w == 100:
            raise KeyboardInterrupt
        return 0.0

    result, _, _ = run_bg(engine, FakeMetrics(engine, ratio=ratio))
    assert result.outcome == driver.ROLLED_BACK and "interrupted" in result.reason
    assert engine.live == rel()


# --- every config the driver applies is one the program accepts, on both platforms -----------------


@pytest.mark.parametrize("stack", ["dev", "prod"])
@pytest.mark.parametrize("strategy", ["canary", "bluegreen"])
def test_applied_configs_pass_the_settings_loader_and_keep_the_right_colours_serving(stack, strategy):
    """Gates run only while the candidate serves (asg scales a non-serving colour to zero); the old
    colour serves until the promotion, so every rollback is a weight change."""
    from pathlib import Path

    from offline.config import read_stack_config
    from settings import build

    root = Path(__file__).resolve().parent.parent
    stack_cfg = read_stack_config(root, stack).values
    engine = FakeEngine(dict(stack_cfg))
    run = canary if strategy == "canary" else blue_green
    result = run(engine, FakeMetrics(engine), FakeClock(), NEW)
    assert result.outcome == driver.PROMOTED
    old = stack_cfg.get("nox:releaseActive", "blue")
    for cfg in engine.ups:
        raw = {k.removeprefix("nox:"): v for k, v in {**stack_cfg, **cfg}.items() if k.startswith("nox:")}
        release = build("nox-infra", stack, "us-west-2", raw).release  # raises ConfigError if the loader refuses
        assert release.weights == weights(cfg)
        if cfg is not engine.ups[-1]:
            assert set(release.serving) == {"blue", "green"}
            assert release.active == old
    final = build(
        "nox-infra",
        stack,
        "us-west-2",
        {k.removeprefix("nox:"): v for k, v in {**stack_cfg, **engine.ups[-1]}.items() if k.startswith("nox:")},
    ).release
    assert final.active == result.candidate and final.serving == (result.candidate,)
    assert final.image(old) == stack_cfg[IMAGE[old]]  # the old colour keeps its image for a quick way back


# --- the seed's rate-vs-percentage bug --------------------------------------------------------------


def window_of(promql: str) -> float:
    """The range of a query's `[..]` selector in seconds (1m, 90s)."""
    n, unit = re.search(r"\[(\d+)([ms])\]", promql).groups()
    return int(n) * (60 if unit == "m" else 1)


class FakePrometheus:
    """Evaluates the query shapes the source sends (health, request and 5xx counts) from per-colour rates."""

    def __init__(self, rates: dict[str, tuple[float, float]], up: dict[str, float] | None = None):
        self.rates = rates  # colour -> (requests/s, 5xx/s)
        self.up = up or {"blue": 1, "green": 1}
        self.urls: list[str] = []
        self.headers: list[dict[str, str]] = []

    def __call__(self, url: str, headers) -> bytes:
        self.urls.append(url)
        self.headers.append(dict(headers))
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["query"][0]
        colour = re.search(r'colour="(\w+)"', q).group(1)
        if q.startswith("min(up"):
            return vector(self.up[colour])
        total, errors = self.rates[colour]
        if "5.." in q:
            return vector(errors * window_of(q))  # with `or vector(0)`: never empty
        return vector(total * window_of(q) if total else None)  # no requests: no series


def vector(value: float | None) -> bytes:
    result = [] if value is None else [{"metric": {}, "value": [START, str(value).replace("nan", "NaN")]}]
    return json.dumps({"status": "success", "data": {"resultType": "vector", "result": result}}).encode()


def test_high_request_rate_with_low_error_ratio_passes():
    """2000 req/s with 5 errors/s: ratio 0.25 %. The seed's `rate(5xx) * 100 > 5` reads 500 % and rolls back."""
    errors_per_s, requests_per_s = 5.0, 2000.0
    seed_error_rate = errors_per_s * 100  # deploy-canary.sh: rate(...) | awk '{print $1 * 100}'
    assert seed_error_rate > 5 and errors_per_s > 0.1  # the seed's canary and HighErrorRate would both fire
    engine = FakeEngine()
    prom = FakePrometheus({"blue": (requests_per_s, 0.0), "green": (requests_per_s, errors_per_s)})
    result = canary(engine, PrometheusSource("http://prometheus:9090", fetch=prom), FakeClock(), NEW)
    assert result.outcome == driver.PROMOTED
    assert all("sum(increase(http_requests_total{" in urllib.parse.unquote_plus(u) for u in prom.urls if "up%7B" not in u)


def test_low_request_rate_with_high_error_ratio_fails():
    """1 req/s with 0.08 errors/s: ratio 8 %. The seed's HighErrorRate (> 0.1/s) would stay silent."""
    engine = FakeEngine()
    prom = FakePrometheus({"blue": (1.0, 0.0), "green": (1.0, 0.08)})
    result = canary(engine, PrometheusSource("http://prometheus:9090", fetch=prom), FakeClock(), NEW)
    assert result.outcome == driver.ROLLED_BACK and result.failed_stage == "1%"
    assert "8.00%" in result.reason


# --- Prometheus source ---------------------------------------------------------------------------------


def test_traffic_queries_count_the_colours_requests_and_5xx():
    assert traffic_queries("green", 60) == (
        'sum(increase(http_requests_total{colour="green"}[1m]))',
        'sum(increase(http_requests_total{status_code=~"5..",colour="green"}[1m])) or vector(0)',
    )
    assert all("[90s]" in q for q in traffic_queries("blue", 90))
    assert all('color="blue"' in q for q in traffic_queries("blue", 60, label="color"))
    with pytest.raises(ValueError):
        traffic_queries('green"} or vector(1) #', 60)
    with pytest.raises(ValueError):
        traffic_queries("green", 0)


@pytest.mark.parametrize(("requests", "errors", "ratio"), [(200, 10, 0.05), (0, 0, None), (0.0, 3, None), (100, 101.5, 1.0), (1e6, 0, 0.0)])
def test_traffic_ratio(requests, errors, ratio):
    assert Traffic(requests, errors).ratio == ratio  # None: no requests; capped at 1 (extrapolated counts)


def test_the_gate_reads_the_labels_the_platform_scrapes_and_alerts_on():
    """A gate on a label no series carries reads 0 errors and passes everything (the seed's `status`)."""
    from components import alert_rules, fleet, prometheus

    assert prometheus.app_service_monitor("api", "http", "15s")["targetLabels"] == [COLOUR_LABEL]  # eks
    asg = json.loads(fleet.collector_config(colour="green", region="us-west-2", remote_write_url="https://aps.example/api/v1/remote_write"))
    assert asg["receivers"]["prometheus"]["config"]["scrape_configs"][0]["static_configs"][0]["labels"] == {COLOUR_LABEL: "green"}
    assert f'{STATUS_LABEL}=~"5.."' in alert_rules.RULES_BY_NAME["HighErrorRate"].expr
    requests, errors = traffic_queries("green", 60)
    assert f'{STATUS_LABEL}=~"5.."' in errors and f'{COLOUR_LABEL}="green"' in requests


def test_health_query_template():
    assert health_query("blue") == 'min(up{colour="blue"})'
    assert (
        health_query("green", 'min(kube_deployment_status_replicas_available{deployment="nox-api-{colour}"})')
        == 'min(kube_deployment_status_replicas_available{deployment="nox-api-green"})'
    )
    assert health_query("green", label="color") == 'min(up{color="green"})'


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (vector(0.0123), 0.0123),
        (vector(None), None),  # no series: no requests
        (vector(float("nan")), None),  # 0 / 0: no requests in the window
        (json.dumps({"status": "success", "data": {"resultType": "scalar", "result": [START, "0.5"]}}), 0.5),
    ],
)
def test_parse_vector_value(body, expected):
    assert parse_vector_value(body) == expected


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        json.dumps({"status": "error", "errorType": "bad_data", "error": "parse error at char 5"}),
        json.dumps({"status": "success", "data": {"resultType": "matrix", "result": []}}),
        json.dumps(
            {
                "status": "success",
                "data": {
                    "resultType": "vector",
                    "result": [{"metric": {"a": "1"}, "value": [1, "0.1"]}, {"metric": {"a": "2"}, "value": [1, "0.2"]}],
                },
            }
        ),
        json.dumps({"status": "success", "data": {"resultType": "vector", "result": [{"metric": {}}]}}),
    ],
)
def test_parse_vector_value_errors(body):
    with pytest.raises(MetricError):
        parse_vector_value(body)


def test_prometheus_source_requests_and_parsing():
    prom = FakePrometheus({"green": (100.0, 2.0), "blue": (0.0, 0.0)}, up={"blue": 1, "green": 0})
    src = PrometheusSource("https://prom.example.com/prometheus/", fetch=prom, token="s3cr3t-token")
    assert src.traffic("green", 60) == Traffic(6000.0, 120.0)
    assert src.traffic("blue", 60) == Traffic(0.0, 0.0)  # no request series: no requests
    assert src.healthy("blue") is True and src.healthy("green") is False
    url = urllib.parse.urlsplit(prom.urls[0])
    assert url.scheme == "https" and url.netloc == "prom.example.com" and url.path == "/prometheus/api/v1/query"
    assert prom.headers[0]["Authorization"] == "Bearer s3cr3t-token"
    assert "s3cr3t" not in repr(src)


def test_prometheus_source_no_targets_is_unhealthy_and_unreachable_is_a_metric_error():
    src = PrometheusSource("http://prom:9090", fetch=lambda url, h: vector(None))
    assert src.healthy("green") is False

    def refuse(url, headers):
        raise ConnectionRefusedError("connection refused")

    with pytest.raises(MetricError, match="cannot reach Prometheus at http://prom:9090"):
        PrometheusSource("http://prom:9090", fetch=refuse).traffic("green", 60)


def test_prometheus_urls_with_credentials_are_redacted():
    assert redact_url("https://user:pw@prom.example.com:9090/x") == "https://***@prom.example.com:9090/x"
    assert redact_url("http://prom:9090") == "http://prom:9090"

    def refuse(url, headers):
        raise TimeoutError("timed out")

    with pytest.raises(MetricError) as err:
        PrometheusSource("https://user:pw@prom.example.com", fetch=refuse).healthy("blue")
    assert "pw" not in str(err.value)
    with pytest.raises(MetricSetupError):
        PrometheusSource("prom:9090")


# --- CloudWatch source -----------------------------------------------------------------------------------

LB = "app/nox-prod-alb/50dc6c495c0c9188"
TGS = {"blue": "targetgroup/nox-prod-blue/73e2d6bc24d8a067", "green": "targetgroup/nox-prod-green/943f017f100becff"}
NOW = datetime(2027, 1, 1, 12, 0, tzinfo=UTC)


class FakeCloudWatch:
    def __init__(self, pages: list[dict]):
        self.pages = list(pages)
        self.calls: list[dict] = []

    def get_metric_data(self, **kwargs):
        self.calls.append(kwargs)
        return self.pages.pop(0)


def page(values: dict[str, list[float]], token: str | None = None) -> dict:
    out = {
        "MetricDataResults": [
            {
                "Id": qid,
                "Timestamps": [datetime(2027, 1, 1, 11, 59 - i, tzinfo=UTC) for i in range(len(v))],
                "Values": v,
                "StatusCode": "Complete",
            }
            for qid, v in values.items()
        ]
    }
    if token:
        out["NextToken"] = token
    return out


def test_cloudwatch_traffic_sums_target_5xx_and_request_count():
    cw = FakeCloudWatch([page({"errors": [3.0, 1.0], "requests": [600.0, 400.0]})])
    src = CloudWatchSource(LB, TGS, client=cw, now=lambda: NOW)
    assert src.traffic("green", 60) == Traffic(1000.0, 4.0)
    call = cw.calls[0]
    assert call["EndTime"] == NOW and (NOW - call["StartTime"]).total_seconds() == 120  # ALB metrics lag a minute
    by_id = {q["Id"]: q["MetricStat"] for q in call["MetricDataQueries"]}
    assert by_id["errors"]["Metric"]["MetricName"] == "HTTPCode_Target_5XX_Count"
    assert by_id["requests"]["Metric"]["MetricName"] == "RequestCount"
    for stat in by_id.values():
        assert stat["Metric"]["Namespace"] == "AWS/ApplicationELB"
        assert stat["Metric"]["Dimensions"] == [{"Name": "LoadBalancer", "Value": LB}, {"Name": "TargetGroup", "Value": TGS["green"]}]
        assert stat["Stat"] == "Sum" and stat["Period"] == 60


def test_cloudwatch_no_5xx_datapoints_means_zero_and_no_requests_means_no_traffic():
    src = CloudWatchSource(LB, TGS, client=FakeCloudWatch([page({"errors": [], "requests": [250.0]})]), now=lambda: NOW)
    assert src.traffic("blue", 60) == Traffic(250.0, 0.0)
    src = CloudWatchSource(LB, TGS, client=FakeCloudWatch([page({"errors": [], "requests": []})]), now=lambda: NOW)
    assert src.traffic("blue", 60) == Traffic(0.0, 0.0)
    cw = FakeCloudWatch([page({"errors": [], "requests": [0.0]})])
    assert CloudWatchSource(LB, TGS, client=cw, now=lambda: NOW).traffic("blue", 300).ratio is None
    assert (NOW - cw.calls[0]["StartTime"]).total_seconds() == 300  # a stage total looks back over the stage


def test_cloudwatch_follows_next_token():
    cw = FakeCloudWatch([page({"errors": [5.0], "requests": [50.0]}, token="t1"), page({"errors": [], "requests": [50.0]})])
    assert CloudWatchSource(LB, TGS, client=cw, now=lambda: NOW).traffic("green", 120) == Traffic(100.0, 5.0)
    assert cw.calls[1]["NextToken"] == "t1"


@pytest.mark.parametrize(
    ("healthy", "unhealthy", "expected"),
    [
        ([3.0, 2.0], [0.0, 1.0], True),  # latest datapoint first: 3 healthy, 0 unhealthy
        ([3.0], [1.0], False),
        ([0.0], [0.0], False),
        ([], [], False),  # no datapoints: no targets registered
        ([2.0], [], True),
    ],
)
def test_cloudwatch_health(healthy, unhealthy, expected):
    cw = FakeCloudWatch([page({"healthy": healthy, "unhealthy": unhealthy})])
    assert CloudWatchSource(LB, TGS, client=cw, now=lambda: NOW).healthy("green") is expected
    stats = {q["Id"]: (q["MetricStat"]["Metric"]["MetricName"], q["MetricStat"]["Stat"]) for q in cw.calls[0]["MetricDataQueries"]}
    assert stats == {"healthy": ("HealthyHostCount", "Minimum"), "unhealthy": ("UnHealthyHostCount", "Maximum")}


def test_cloudwatch_errors_become_metric_errors():
    class Broken:
        def get_metric_data(self, **kw):
            raise RuntimeError("ThrottlingException: Rate exceeded")

    with pytest.raises(MetricError, match="Rate exceeded"):
        CloudWatchSource(LB, TGS, client=Broken(), now=lambda: NOW).traffic("green", 60)


def test_cloudwatch_needs_boto3_only_when_used(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "boto3", None)  # import boto3 -> ImportError
    src = CloudWatchSource(LB, TGS, region="us-west-2")  # constructing needs nothing
    with pytest.raises(MetricSetupError, match="needs boto3: make setup installs it"):
        src.connect()


def test_cloudwatch_rejects_full_arns():
    with pytest.raises(MetricSetupError, match="ARN suffix"):
        CloudWatchSource("arn:aws:elasticloadbalancing:us-west-2:123456789012:loadbalancer/" + LB, TGS)
    with pytest.raises(MetricSetupError, match="green"):
        CloudWatchSource(LB, {"blue": TGS["blue"]})


# --- Automation API engine -----------------------------------------------------------------------------


class FakeStack:
    def __init__(self, result="succeeded"):
        self.calls: list[tuple[str, object]] = []
        self.result = result

    def get_all_config(self):
        return {
            "nox:imageBlue": auto.ConfigValue(OLD),
            "aws:region": auto.ConfigValue("us-west-2"),
            "nox:someToken": auto.ConfigValue("s3cr3t", secret=True),
        }

    def set_all_config(self, config):
        self.calls.append(("set", config))

    def preview(self, **kwargs):
        self.calls.append(("preview", kwargs))

    def up(self, **kwargs):
        self.calls.append(("up", kwargs))
        return SimpleNamespace(summary=SimpleNamespace(result=self.result))

    def outputs(self):
        return {"albArnSuffix": auto.OutputValue(LB, False), "kubeconfig": auto.OutputValue("{...}", True)}


def test_automation_engine_maps_calls_to_the_automation_api(tmp_path):
    stack = FakeStack()
    selected = []
    eng = AutomationEngine(
        "prod",
        work_dir=tmp_path,
        policy_packs=["policies"],
        preview_first=True,
        select_stack=lambda **kw: selected.append(kw) or stack,
        message="release canary x",
    )
    assert selected == []  # lazy: constructing needs no CLI
    assert eng.get_config() == {"nox:imageBlue": OLD, "aws:region": "us-west-2"}  # secrets never leave the engine
    assert selected == [{"stack_name": "prod", "work_dir": str(tmp_path.resolve())}]
    eng.set_config({"nox:releaseCanaryWeight": "5"})
    kind, config = stack.calls[0]
    assert kind == "set" and isinstance(config["nox:releaseCanaryWeight"], auto.ConfigValue)
    assert config["nox:releaseCanaryWeight"].value == "5" and not config["nox:releaseCanaryWeight"].secret
    eng.up()
    assert [c[0] for c in stack.calls] == ["set", "preview", "up"]
    up_args = stack.calls[2][1]
    assert up_args["policy_packs"] == [str(tmp_path.resolve() / "policies")]
    assert up_args["show_secrets"] is False and up_args["suppress_outputs"] is True
    assert up_args["on_output"] is print and up_args["message"] == "release canary x"
    assert eng.outputs() == {"albArnSuffix": LB}


def test_automation_engine_waits_for_a_locked_stack_then_gives_up():
    from pulumi.automation.errors import create_command_error

    locked = create_command_error(
        auto.CommandResult(stdout="Updating (prod)\n", stderr="error: [409] Conflict: Another update is currently in progress.\n", code=255)
    )
    assert isinstance(locked, auto.ConcurrentUpdateError)

    class LockedStack(FakeStack):
        def __init__(self, locked_times):
            super().__init__()
            self.locked_times = locked_times

        def up(self, **kwargs):
            if self.locked_times:
                self.locked_times -= 1
                raise locked
            return super().up(**kwargs)

    t = {"now": 0.0}
    sleeps = []

    def sleep(s):
        sleeps.append(s)
        t["now"] += s

    eng = AutomationEngine(
        "prod", select_stack=lambda **kw: LockedStack(2), lock_wait=60, lock_poll=15, sleep=sleep, monotonic=lambda: t["now"]
    )
    eng.up()
    assert sleeps == [15, 15]
    eng = AutomationEngine(
        "prod", select_stack=lambda **kw: LockedStack(100), lock_wait=60, lock_poll=15, sleep=sleep, monotonic=lambda: t["now"]
    )
    with pytest.raises(auto.ConcurrentUpdateError):
        eng.up()


def test_engine_errors_are_shortened_in_the_reason():
    from pulumi.automation.errors import create_command_error

    err = create_command_error(
        auto.CommandResult(stdout="Updating (prod)\n" + "x" * 5000, stderr="error: update failed: AccessDenied", code=255)
    )
    engine = FakeEngine()

    def up():
        if engine.config.get(WEIGHT) == "5":
            raise err
        FakeEngine.up(engine)

    engine.up = up
    result, _, _ = run_canary(engine)
    assert result.outcome == driver.ROLLED_BACK
    assert "AccessDenied" in result.reason and "xxxx" not in result.reason and len(result.reason) < 400


def test_automation_engine_raises_when_the_update_did_not_succeed():
    eng = AutomationEngine("prod", select_stack=lambda **kw: FakeStack(result="failed"))
    with pytest.raises(RuntimeError, match="failed"):
        eng.up()


def test_policy_packs_supported_by_this_pulumi_version():
    import inspect

    assert "policy_packs" in inspect.signature(auto.Stack.up).parameters


# --- CLI ---------------------------------------------------------------------------------------------------


def cli(args: list[str], engine: FakeEngine, metrics_for: Callable[[FakeEngine], object] | None = None):
    return main(
        args,
        engine_factory=lambda a: engine,
        metrics_factory=lambda a, e: (metrics_for or FakeMetrics)(engine),
        migrations_factory=lambda a, e: None,
        checks_factory=lambda a, e: None,
        clock=FakeClock(),
    )


def test_cli_canary_promoted_exit_0(capsys):
    engine = FakeEngine()
    assert cli(["canary", "--stack", "prod", "--image", NEW], engine) == 0
    assert [int(c[WEIGHT]) for c in engine.ups] == [0, 1, 5, 10, 25, 50, 100, 0]
    assert "promoted green" in capsys.readouterr().out


def test_cli_custom_stages_and_threshold():
    engine = FakeEngine()
    metrics = lambda e: FakeMetrics(e, ratio=lambda c, w, cfg: 0.08)  # noqa: E731
    assert (
        cli(
            ["canary", "--stack", "prod", "--image", NEW, "--stages", "10,100", "--stage-duration", "90", "--max-error-percent", "10"],
            engine,
            metrics,
        )
        == 0
    )
    assert [int(c[WEIGHT]) for c in engine.ups] == [0, 10, 100, 0]


def test_cli_rolled_back_exit_1():
    engine = FakeEngine()
    metrics = lambda e: FakeMetrics(e, ratio=lambda c, w, cfg: 0.2)  # noqa: E731
    assert cli(["canary", "--stack", "prod", "--image", NEW], engine, metrics) == 1
    assert cli(["bluegreen", "--stack", "prod", "--image", NEW], FakeEngine(), metrics) == 1


def test_cli_bluegreen_promoted():
    engine = FakeEngine()
    assert cli(["bluegreen", "--stack", "prod", "--image", NEW, "--watch", "30", "--no-pre-switch-check"], engine) == 0
    assert engine.live[ACTIVE] == "green"


def test_cli_traffic_guard_flags(capsys):
    quiet = lambda e: FakeMetrics(e, per_minute=lambda c, w, cfg: 10)  # noqa: E731  50 requests a 300 s stage
    engine = FakeEngine()
    assert cli(["canary", "--stack", "prod", "--image", NEW, "--stages", "100"], engine, quiet) == 1
    assert "green served 150 requests in 900s, fewer than the minimum 200" in capsys.readouterr().out
    assert cli(["canary", "--stack", "prod", "--image", NEW, "--stages", "100", "--min-requests", "50"], FakeEngine(), quiet) == 0
    assert "100% (50 requests)" in capsys.readouterr().out
    args = ["canary", "--stack", "prod", "--image", NEW, "--stages", "100", "--max-extensions", "0"]
    assert cli(args, FakeEngine(), quiet) == 1
    assert "served 50 requests in 300s" in capsys.readouterr().out
    assert cli([*args, "--allow-no-traffic"], FakeEngine(), quiet) == 0
    assert cli(["bluegreen", "--stack", "prod", "--image", NEW, "--min-requests", "10000"], FakeEngine()) == 1
    assert "fewer than the minimum 10000" in capsys.readouterr().out


def test_cli_failed_rollback_exit_3():
    engine = FakeEngine(fail=lambda cfg, n: n >= 2)
    assert cli(["canary", "--stack", "prod", "--image", NEW], engine) == 3


@pytest.mark.parametrize(
    "args",
    [
        ["canary", "--stack", "prod", "--image", "registry/nox-api:latest"],
        ["canary", "--stack", "prod", "--image", "registry/nox-api"],
        ["canary", "--stack", "prod", "--image", NEW, "--stages", "1,5,50"],
        ["canary", "--stack", "prod", "--image", NEW, "--stages", "a,b"],
        ["canary", "--stack", "prod", "--image", NEW, "--max-error-percent", "150"],
        ["canary", "--stack", "prod", "--image", NEW, "--metrics", "datadog"],
        ["canary", "--stack", "prod", "--image", NEW, "--min-requests", "0"],
        ["canary", "--stack", "prod", "--image", NEW, "--min-requests", "2.5"],
        ["canary", "--stack", "prod", "--image", NEW, "--min-requests", "-3"],
        ["bluegreen", "--stack", "prod", "--image", NEW, "--max-extensions", "11"],
        ["bluegreen", "--stack", "prod", "--image", NEW, "--max-extensions", "x"],
        ["canary", "--image", NEW],
        ["rollout", "--stack", "prod", "--image", NEW],
        [],
    ],
)
def test_cli_bad_arguments_exit_2(args):
    engine = FakeEngine()
    assert cli(args, engine) == 2
    assert engine.sets == []


def test_cli_refuses_a_stack_mid_canary_exit_2(capsys):
    engine = FakeEngine({**BASE, "nox:releaseStrategy": "canary", "nox:imageGreen": NEW, "nox:releaseCanaryWeight": "10"})
    assert cli(["canary", "--stack", "prod", "--image", NEW], engine) == 2
    assert "canary is in progress" in capsys.readouterr().err


def test_cli_metric_setup_errors_exit_2(monkeypatch, capsys):
    monkeypatch.delenv("PROMETHEUS_URL", raising=False)
    engine = FakeEngine()
    assert main(["canary", "--stack", "prod", "--image", NEW], engine_factory=lambda a: engine, clock=FakeClock()) == 2
    assert "--prometheus-url" in capsys.readouterr().err
    # CloudWatch without ALB / target-group suffixes (the fake engine has no stack outputs).
    assert (
        main(["canary", "--stack", "prod", "--image", NEW, "--metrics", "cloudwatch"], engine_factory=lambda a: engine, clock=FakeClock())
        == 2
    )
    assert "ARN suffixes" in capsys.readouterr().err
    assert engine.sets == []


def test_cli_cloudwatch_suffixes_from_stack_outputs(monkeypatch):
    engine = FakeEngine()
    engine.outputs = lambda: {"albArnSuffix": LB, "targetGroupArnSuffixes": TGS}
    made = {}

    def fake_connect(self):
        made["source"] = self
        return object()

    monkeypatch.setattr(CloudWatchSource, "connect", fake_connect)
    from release.__main__ import build_parser, make_metrics

    args = build_parser().parse_args(
        ["canary", "--stack", "prod", "--image", NEW, "--metrics", "cloudwatch", "--target-group", "green=targetgroup/override/1"]
    )
    src = make_metrics(args, engine)
    assert src is made["source"] and src.load_balancer == LB and src.region == "us-west-2"
    assert src.target_groups == {"blue": TGS["blue"], "green": "targetgroup/override/1"}


def test_cli_missing_policy_pack_exit_2(tmp_path, capsys):
    assert main(["canary", "--stack", "prod", "--image", NEW, "--work-dir", str(tmp_path), "--prometheus-url", "http://prom:9090"]) == 2
    assert "policy pack" in capsys.readouterr().err


def test_cli_help_exit_0(capsys):
    assert main(["--help"]) == 0
    assert "Exit codes" in capsys.readouterr().out


def test_gate_constants_are_the_seeds():
    assert driver.CANARY_STAGES == (1, 5, 10, 25, 50, 100)
    assert (driver.STAGE_DURATION, driver.CANARY_POLL) == (300, 30)
    assert (gates.HEALTH_CHECK_TIMEOUT, gates.HEALTH_CHECK_INTERVAL) == (300, 10)
    assert gates.ERROR_THRESHOLD == 0.05 and driver.BLUE_GREEN_WATCH == 60
