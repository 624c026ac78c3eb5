"""Release CLI and gates under bad input: nothing starts on a bad argument, nothing is left half-applied.

Every case here failed before the bad-input work (issue 11): NaN/inf arguments, a CloudWatch source
with no load balancer, sources that raise or answer nonsense, exceptions after the first change.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_release import BASE, NEW, FakeClock, FakeEngine, FakeMetrics, rel

from release import driver, gates
from release.__main__ import build_parser, main
from release.driver import ACTIVE, WEIGHT, ReleaseError, blue_green, canary, weights
from release.metrics import Traffic

TAG = "123456789012.dkr.ecr.us-west-2.amazonaws.com/nox-api:v8.1.0"


def cli(args: list[str], engine: FakeEngine) -> int:
    return main(
        args,
        engine_factory=lambda a: engine,
        metrics_factory=lambda a, e: FakeMetrics(engine),
        migrations_factory=lambda a, e: None,
        checks_factory=lambda a, e: None,
        clock=FakeClock(),
    )


BAD_NUMBERS = [
    ("--window", "nan"),
    ("--window", "inf"),
    ("--window", "-60"),
    ("--window", "0"),
    ("--window", "30.5"),
    ("--window", "1e9"),
    ("--poll", "nan"),
    ("--poll", "inf"),
    ("--poll", "0"),
    ("--poll", "-1"),
    ("--stage-duration", "inf"),
    ("--stage-duration", "nan"),
    ("--stage-duration", "-1"),
    ("--stage-duration", "1e999"),
    ("--health-timeout", "nan"),
    ("--health-timeout", "-5"),
    ("--health-timeout", "inf"),
    ("--health-interval", "0"),
    ("--health-interval", "nan"),
    ("--max-error-percent", "100"),
    ("--max-error-percent", "nan"),
    ("--max-error-percent", "inf"),
    ("--max-error-percent", "-1"),
    ("--stage-duration", "10"),  # shorter than 3 polls of 30 s: the blind-poll rule could never fire
]


@pytest.mark.parametrize(("flag", "value"), BAD_NUMBERS)
def test_canary_numeric_arguments_finite_and_in_range(flag, value, capsys):
    engine = FakeEngine()
    assert cli(["canary", "--stack", "staging", "--image", NEW, flag, value], engine) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and (flag in err or "error" in err)
    assert engine.sets == [] and engine.ups == []  # nothing changed


@pytest.mark.parametrize(
    ("flag", "value"), [("--watch", "-1"), ("--watch", "nan"), ("--watch", "inf"), ("--watch", "20"), ("--poll", "nan")]
)
def test_bluegreen_numeric_arguments_finite_and_in_range(flag, value, capsys):
    engine = FakeEngine()
    assert cli(["bluegreen", "--stack", "staging", "--image", NEW, flag, value], engine) == 2
    assert "Traceback" not in capsys.readouterr().err
    assert engine.sets == []


@pytest.mark.parametrize(
    "kw",
    [
        {"poll": math.nan},
        {"poll": math.inf},
        {"stage_duration": math.inf},
        {"stage_duration": math.nan},
        {"window": math.nan},
        {"health_timeout": math.inf},
        {"health_interval": math.nan},
        {"error_threshold": math.nan},
        {"error_threshold": 1.0},
        {"stage_duration": 30, "poll": 30},  # one poll: a blind source could not fail it
    ],
)
def test_driver_refuses_non_finite_or_blind_durations_before_any_change(kw):
    engine = FakeEngine()
    with pytest.raises(ReleaseError):
        canary(engine, FakeMetrics(engine), FakeClock(), NEW, **kw)
    assert engine.sets == []


@pytest.mark.parametrize("kw", [{"watch_duration": -1}, {"watch_duration": math.nan}, {"watch_duration": 10}, {"poll": math.inf}])
def test_bluegreen_driver_refuses_bad_durations(kw):
    engine = FakeEngine()
    with pytest.raises(ReleaseError):
        blue_green(engine, FakeMetrics(engine), FakeClock(), NEW, **kw)
    assert engine.sets == []


def test_cloudwatch_without_a_load_balancer_exits_2_before_anything_starts(capsys):
    class NoStack(FakeEngine):
        def get_config(self):
            raise RuntimeError("no Pulumi CLI")

        def outputs(self):
            raise RuntimeError("no Pulumi CLI")

    engine = NoStack()
    code = main(
        ["canary", "--stack", "staging", "--image", NEW, "--metrics", "cloudwatch"], engine_factory=lambda a: engine, clock=FakeClock()
    )
    err = capsys.readouterr().err
    assert code == 2 and "--load-balancer" in err and "Traceback" not in err
    assert engine.sets == []


def test_an_engine_factory_that_fails_is_exit_2_not_a_traceback(capsys):
    def broken(args):
        raise FileNotFoundError("pulumi: command not found")

    assert main(["canary", "--stack", "staging", "--image", NEW], engine_factory=broken, clock=FakeClock()) == 2
    assert "could not start (nothing changed)" in capsys.readouterr().err


class Abort(BaseException):
    """Not an Exception: e.g. SystemExit raised from deep inside a library."""


def test_any_exception_after_the_first_change_rolls_back():
    engine = FakeEngine()
    original = engine.up

    def up():
        if engine.config.get(WEIGHT) == "5":
            raise Abort("gone")
        original()

    engine.up = up
    result = canary(engine, FakeMetrics(engine), FakeClock(), NEW)
    assert result.outcome == driver.ROLLED_BACK and result.failed_stage == "5%" and "Abort" in result.reason
    assert engine.live == rel()


def test_a_clock_that_breaks_mid_release_still_rolls_back():
    class BrokenClock(FakeClock):
        def sleep(self, seconds):
            if len(self.sleeps) == 3:
                raise OverflowError("timestamp out of range")
            super().sleep(seconds)

    engine = FakeEngine()
    result = canary(engine, FakeMetrics(engine), BrokenClock(), NEW)
    assert result.outcome == driver.ROLLED_BACK and "OverflowError" in result.reason
    assert engine.live == rel()


# --- gates: a source that raises or answers nonsense never passes --------------------------------------


GOOD = Traffic(1000.0, 0.0)


class Scripted:
    def __init__(self, healthy=True, traffic=GOOD):
        self._healthy, self._traffic = healthy, traffic

    def healthy(self, colour):
        if isinstance(self._healthy, BaseException):
            raise self._healthy
        return self._healthy

    def traffic(self, colour, window):
        if isinstance(self._traffic, BaseException):
            raise self._traffic
        return self._traffic


@pytest.mark.parametrize("answer", [ValueError("bad json"), KeyError("data"), math.nan, 1, "true", None, [True]])
def test_a_health_source_that_raises_or_answers_nonsense_fails_the_health_gate(answer):
    clock = FakeClock()
    verdict = gates.wait_healthy(Scripted(healthy=answer), clock, "green", timeout=30, interval=10)
    assert not verdict.ok and "within 30s" in verdict.reason
    assert clock.elapsed == 30


@pytest.mark.parametrize(
    ("answer", "why"),
    [
        (Traffic(math.nan, 0), "requests count nan is not a finite number >= 0"),
        (Traffic(math.inf, 0), "requests count inf is not"),
        (Traffic(-1.0, 0), "requests count -1.0 is not"),
        (Traffic(100, -0.5), "errors count -0.5 is not"),
        (Traffic("100", 0), "requests count '100' is not"),
        (Traffic(True, 0), "requests count True is not"),
        (0.01, "traffic answer 0.01 is not a Traffic reading"),
        (None, "traffic answer None is not"),
        (ZeroDivisionError("boom"), "ZeroDivisionError: boom"),
    ],
)
def test_a_nonsense_traffic_reading_is_a_blind_poll_and_fails_the_watch(answer, why):
    verdict = gates.watch(Scripted(traffic=answer), FakeClock(), "green", duration=30, poll=10)
    assert not verdict.ok and "unavailable for 3 consecutive polls" in verdict.reason and why in verdict.reason


def test_a_watch_shorter_than_the_blind_poll_limit_is_refused():
    with pytest.raises(ValueError, match="shorter than 3 polls"):
        gates.watch(Scripted(), FakeClock(), "green", duration=20, poll=10)
    with pytest.raises(ValueError):
        gates.watch(Scripted(), FakeClock(), "green", duration=math.inf, poll=10)
    assert gates.watch(Scripted(), FakeClock(), "green", duration=30, poll=10).ok


def test_wait_healthy_refuses_non_finite_timing():
    for timeout, interval in ((math.nan, 10), (math.inf, 10), (30, 0), (30, math.nan), (-1, 10)):
        with pytest.raises(ValueError):
            gates.wait_healthy(Scripted(), FakeClock(), "green", timeout=timeout, interval=interval)


def test_bluegreen_honours_a_custom_health_timeout():
    engine = FakeEngine()
    clock = FakeClock()
    result = blue_green(engine, FakeMetrics(engine, healthy=lambda c, cfg: c != "green"), clock, NEW, health_timeout=42, health_interval=7)
    assert result.outcome == driver.ROLLED_BACK and "within 42s" in result.reason
    assert clock.elapsed == 42


def test_cli_bluegreen_passes_the_health_timeout(capsys):
    engine = FakeEngine()
    code = main(
        ["bluegreen", "--stack", "staging", "--image", NEW, "--health-timeout", "20", "--health-interval", "5"],
        engine_factory=lambda a: engine,
        metrics_factory=lambda a, e: FakeMetrics(engine, healthy=lambda c, cfg: c != "green"),
        migrations_factory=lambda a, e: None,
        checks_factory=lambda a, e: None,
        clock=FakeClock(),
    )
    assert code == 1 and "within 20s" in capsys.readouterr().out


# --- prod images by digest -------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["prod", "prod-eu"])
def test_prod_release_cli_takes_digests_only(stack, capsys):
    engine = FakeEngine()
    assert cli(["canary", "--stack", stack, "--image", TAG], engine) == 2
    assert "repo@sha256:<64 hex>" in capsys.readouterr().err
    assert engine.sets == []


def test_prod_release_driver_takes_digests_only():
    engine = FakeEngine({**BASE, "nox:environment": "prod"})
    with pytest.raises(ReleaseError, match="pinned by digest"):
        canary(engine, FakeMetrics(engine), FakeClock(), TAG)
    staging = FakeEngine({**BASE, "nox:environment": "staging"})
    assert canary(staging, FakeMetrics(staging), FakeClock(), TAG).outcome == driver.PROMOTED


@pytest.mark.parametrize("image", [NEW + "\n", NEW + " ", TAG + "\n", "registry:0/nox-api:v1", "registry:99999/nox-api:v1"])
def test_release_image_is_matched_whole(image, capsys):
    engine = FakeEngine()
    assert cli(["canary", "--stack", "staging", "--image", image], engine) == 2
    assert engine.sets == []


# --- properties --------------------------------------------------------------------------------------------

ANSWERS = st.one_of(
    st.none(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.text(max_size=3),
    st.just(ValueError("x")),
)
COUNTS = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-5, 10**6), st.booleans(), st.text(max_size=3))
READINGS = st.one_of(st.builds(Traffic, COUNTS, COUNTS), ANSWERS)


def _valid(reading: object) -> bool:
    return isinstance(reading, Traffic) and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v < math.inf for v in (reading.requests, reading.errors)
    )


@settings(max_examples=150, deadline=None)
@given(st.lists(ANSWERS, min_size=1, max_size=8), st.lists(READINGS, min_size=1, max_size=8), st.floats(min_value=0, max_value=0.99))
def test_watch_property_never_crashes_and_passes_only_on_real_good_samples(health, readings, threshold):
    """Whatever a source answers, the watch returns a verdict; a pass means every valid sample was healthy,
    none conclusively above the threshold, and the last valid reading (the stage total) had enough requests."""
    health_answers, traffic_answers = iter(health * 100), iter(readings * 100)
    seen_health: list[object] = []
    seen: list[object] = []

    class Source:
        def healthy(self, colour):
            seen_health.append(h := next(health_answers))
            if isinstance(h, BaseException):
                raise h
            return h

        def traffic(self, colour, window):
            seen.append(r := next(traffic_answers))
            if isinstance(r, BaseException):
                raise r
            return r

    rule = gates.TrafficRule()
    verdict = gates.watch(Source(), FakeClock(), "green", duration=40, poll=10, threshold=threshold, traffic=rule)
    if verdict.ok:
        valid = [r for r in seen if _valid(r)]
        assert valid and not any(h is False for h in seen_health)
        assert not any(rule.conclusive_failure(r, threshold) for r in valid)
        last = valid[-1]
        assert last.requests >= rule.min_requests and (last.ratio is None or last.ratio <= threshold)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["--poll", "--window", "--health-timeout", "--stage-duration", "--max-error-percent"]), st.text(max_size=12))
def test_cli_number_property_any_text_is_refused_or_finite_in_range(flag, text):
    try:
        args = build_parser().parse_args(["canary", "--stack", "staging", "--image", NEW, flag, text])
    except SystemExit as exit_:
        assert exit_.code == 2
        return
    value = getattr(args, flag.removeprefix("--").replace("-", "_"))
    assert math.isfinite(value) and 0 <= value <= driver.MAX_SECONDS
    if flag == "--max-error-percent":
        assert value < 100


def test_weights_unchanged_after_refusal():
    engine = FakeEngine()
    cli(["canary", "--stack", "staging", "--image", NEW, "--poll", "nan"], engine)
    assert weights(engine.live) == {"blue": 100, "green": 0} and engine.live[ACTIVE] == "blue"


# --- mutation-testing kills (tools/mutate.py) ----------------------------------------------------------------


def test_wait_healthy_accepts_a_zero_timeout_and_sub_second_intervals():
    clock = FakeClock()
    assert not gates.wait_healthy(Scripted(healthy=False), clock, "green", timeout=0, interval=0.5).ok
    assert clock.sleeps == []  # one check, no wait
    clock = FakeClock()
    assert not gates.wait_healthy(Scripted(healthy=False), clock, "green", timeout=1, interval=0.5).ok
    assert clock.sleeps == [0.5, 0.5]
    assert gates.wait_healthy(Scripted(healthy=True), FakeClock(), "green", timeout=0, interval=1).ok


def test_wait_healthy_logs_numbered_attempts(caplog):
    answers = iter([False, True])
    source = Scripted()
    source.healthy = lambda colour: next(answers)
    with caplog.at_level("INFO", logger="release"):
        assert gates.wait_healthy(source, FakeClock(), "green", timeout=30, interval=10).ok
    lines = [r.getMessage() for r in caplog.records]
    assert "healthy=no attempt=1 " in lines[0] and "healthy=yes attempt=2" in lines[1]


def test_wait_healthy_logs_the_time_left_never_negative(caplog):
    with caplog.at_level("INFO", logger="release"):
        assert not gates.wait_healthy(Scripted(healthy=False), FakeClock(), "green", timeout=10, interval=10).ok
    lines = [r.getMessage() for r in caplog.records]
    assert "(not healthy yet; 10s left)" in lines[0] and "(not healthy yet; 0s left)" in lines[1]


def test_a_ratio_of_exactly_one_is_a_reading_not_a_blind_poll():
    verdict = gates.watch(Scripted(traffic=Traffic(1000, 1000)), FakeClock(), "green", duration=30, poll=10)
    assert not verdict.ok and verdict.reason == "error ratio 100.00% on green above 5.00% (1000 of 1000 requests in the last 60s)"
    assert gates.watch(Scripted(traffic=Traffic(1000, 0)), FakeClock(), "green", duration=30, poll=10, threshold=0).ok


def test_a_failing_stage_total_is_a_blind_poll_retried_after_a_poll():
    answers = iter([GOOD, GOOD, GOOD, ValueError("scrape"), ValueError("scrape"), GOOD])
    source = Scripted()

    def traffic(colour, window):
        answer = next(answers)
        if isinstance(answer, BaseException):
            raise answer
        return answer

    source.traffic = traffic
    clock = FakeClock()
    verdict = gates.watch(source, clock, "green", duration=30, poll=10)
    assert verdict.ok and verdict.requests == 1000
    assert clock.sleeps == [10, 10, 10, 10, 10]  # three samples, then two retries of the total
    answers = iter([GOOD, GOOD, GOOD, *[ValueError("scrape")] * 3])
    verdict = gates.watch(source, FakeClock(), "green", duration=30, poll=10)
    assert not verdict.ok and verdict.reason == "metrics for green unavailable for 3 consecutive polls: ValueError: scrape"


@pytest.mark.parametrize("bad", [-1, 1.5, True, "200"])
def test_a_traffic_rule_takes_whole_numbers_only(bad):
    with pytest.raises(ValueError, match="must be a whole number >= 0"):
        gates.TrafficRule(min_requests=bad)
    with pytest.raises(ValueError, match="max_extensions must be a whole number >= 0"):
        gates.TrafficRule(max_extensions=bad)


def test_check_watch_bounds():
    gates.check_watch(1.5, 0.5)  # sub-second polls are fine
    gates.check_watch(30, 10)  # exactly three polls
    for duration, poll in ((10, 0), (10, -1), (29.9, 10), (math.nan, 10), (30, math.inf)):
        with pytest.raises(ValueError):
            gates.check_watch(duration, poll)


def test_watch_sleeps_the_fractional_rest_of_its_duration():
    clock = FakeClock()
    assert gates.watch(Scripted(), clock, "green", duration=30.5, poll=10).ok
    assert clock.sleeps == [10, 10, 10, 0.5]


def test_a_good_sample_resets_the_blind_count():
    answers = iter([ValueError("scrape"), GOOD, ValueError("scrape"), ValueError("scrape"), GOOD, GOOD])

    class Flaky(Scripted):
        def traffic(self, colour, window):
            answer = next(answers)
            if isinstance(answer, BaseException):
                raise answer
            return answer

    assert gates.watch(Flaky(), FakeClock(), "green", duration=50, poll=10).ok  # never 3 blind polls in a row
