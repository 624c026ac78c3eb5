"""Health and metric gates: pure loops over a `MetricSource` and a `Clock` (tests never sleep).

A gate returns a `Verdict`; it never changes the stack. The driver decides what a failed gate
means (roll back). Numbers come from the seed (`deploy-blue-green.sh`, `deploy-canary.sh`).
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from .metrics import Latency, MetricError, MetricSource, Traffic

log = logging.getLogger("release")

# The seed's numbers.
HEALTH_CHECK_TIMEOUT = 300  # deploy-blue-green.sh HEALTH_CHECK_TIMEOUT
HEALTH_CHECK_INTERVAL = 10  # deploy-blue-green.sh HEALTH_CHECK_INTERVAL
ERROR_THRESHOLD = 0.05  # deploy-canary.sh ERROR_THRESHOLD=5 (%); blue/green: success rate >= 95 %
METRIC_WINDOW = 60  # deploy-canary.sh queries rate(...[1m])
# The minimum-traffic guard (docs/releases.md "Minimum traffic"): below 200 requests a 5 % threshold
# means nothing. n·p >= 10, the usual condition for the normal approximation of a proportion,
# gives n >= 10 / 0.05 = 200; then one standard error at p = 5 % is sqrt(.05 × .95 / 200) = 1.5
# points, and a candidate at twice the threshold (10 %) sits 3.2 standard errors above it.
MIN_REQUESTS = 200
MAX_EXTENSIONS = 2  # an inconclusive stage is watched up to 3 × its duration, then fails
# Consecutive polls the metric source may fail (timeout, HTTP 5xx) before the gate fails: one
# flaky scrape must not roll back a release, a metrics outage must not let it proceed blind.
MAX_BLIND_POLLS = 3
# The latency gate (docs/releases.md "Latency"): the candidate fails when its p95 is more than 1.5 ×
# the stable colour's AND above 200 ms (a 5 ms -> 8 ms change on an idle stack is noise, not a
# regression); the seed's HighResponseTime alert is p95 > 1 s.
LATENCY_RATIO = 1.5
LATENCY_FLOOR = 0.2


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch."""
        ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


def stamp(clock: Clock) -> str:
    """The clock's time as an ISO 8601 UTC timestamp for log lines (never raises: rollbacks log with it)."""
    try:
        return datetime.fromtimestamp(clock.now(), UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    except (ValueError, OverflowError, OSError, TypeError):
        return "????-??-??T??:??:??Z"


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str = ""
    requests: float | None = None  # the candidate's requests in the stage's window, when it was measured


def _pct(ratio: float | None) -> str:
    return "no-traffic" if ratio is None else f"{ratio:.2%}"


def wait_healthy(
    metrics: MetricSource,
    clock: Clock,
    colour: str,
    *,
    timeout: float = HEALTH_CHECK_TIMEOUT,
    interval: float = HEALTH_CHECK_INTERVAL,
    context: str = "health",
) -> Verdict:
    """Poll `healthy(colour)` every `interval` s until it is true or `timeout` s have passed."""
    if not (math.isfinite(timeout) and math.isfinite(interval)) or timeout < 0 or interval <= 0:
        raise ValueError(f"health timeout must be finite and >= 0, interval finite and > 0; got {timeout!r}, {interval!r}")
    deadline = clock.now() + timeout
    attempt = 0
    while True:
        attempt += 1
        try:
            # Only a real True is healthy: a source answering None, NaN or "false" must not pass the gate.
            healthy = metrics.healthy(colour) is True
            problem = "" if healthy else "not healthy yet"
        except Exception as err:  # any failure of the source is "not healthy", never a pass or a crash
            healthy, problem = False, f"health source error: {type(err).__name__}: {err}"
        if healthy:
            log.info("%s %s colour=%s healthy=yes attempt=%d", stamp(clock), context, colour, attempt)
            return Verdict(True)
        remaining = deadline - clock.now()
        log.info(
            "%s %s colour=%s healthy=no attempt=%d (%s; %.0fs left)", stamp(clock), context, colour, attempt, problem, max(remaining, 0)
        )
        if remaining <= 0:
            return Verdict(False, f"{colour} did not become healthy within {timeout:g}s")
        clock.sleep(min(interval, remaining))


def _sample(metrics: MetricSource, colour: str, window: float) -> tuple[bool, Traffic]:
    """One (healthy, traffic) reading; MetricError when the source's answer is not a usable one."""
    healthy = metrics.healthy(colour)
    if not isinstance(healthy, bool):
        raise MetricError(f"health answer {healthy!r} is not a boolean")
    return healthy, _traffic(metrics, colour, window)


def _traffic(metrics: MetricSource, colour: str, window: float) -> Traffic:
    reading = metrics.traffic(colour, window)
    if not isinstance(reading, Traffic):
        raise MetricError(f"traffic answer {reading!r} is not a Traffic reading")
    for name, value in (("requests", reading.requests), ("errors", reading.errors)):
        # NaN and infinity fail the range check too.
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < math.inf:
            raise MetricError(f"{name} count {value!r} is not a finite number >= 0")
    return reading


def check_watch(duration: float, poll: float, max_blind: int = MAX_BLIND_POLLS) -> None:
    """A watch must be long enough for the blind-poll rule to fire, and every number finite."""
    if not (math.isfinite(duration) and math.isfinite(poll)) or poll <= 0:
        raise ValueError(f"watch duration and poll must be finite, poll > 0; got duration={duration!r}, poll={poll!r}")
    if duration < poll * max_blind:
        raise ValueError(
            f"a watch of {duration:g}s with a poll every {poll:g}s is shorter than {max_blind} polls "
            f"({poll * max_blind:g}s): a metrics outage could not fail it; lengthen the watch or poll more often"
        )


@dataclass(frozen=True)
class TrafficRule:
    """The minimum-traffic guard of a watch: below `min_requests` candidate requests a stage proves
    nothing, so it is inconclusive, extended by its own duration up to `max_extensions` times, then
    a failure (a pass, logged, with `pass_thin`: --allow-no-traffic)."""

    min_requests: int = MIN_REQUESTS
    max_extensions: int = MAX_EXTENSIONS
    pass_thin: bool = False

    def __post_init__(self) -> None:
        for name in ("min_requests", "max_extensions"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be a whole number >= 0, got {value!r}")

    def conclusive_failure(self, reading: Traffic, threshold: float) -> bool:
        """Above the threshold on enough requests, or with more errors than the threshold allows at
        the minimum: no number of later successes up to `min_requests` could bring it under."""
        ratio = reading.ratio
        if ratio is None or ratio <= threshold:
            return False
        return reading.requests >= self.min_requests or reading.errors > threshold * self.min_requests


DEFAULT_TRAFFIC = TrafficRule()
NO_MINIMUM = TrafficRule(min_requests=0, max_extensions=0)  # blue/green pre-switch: header traffic only, may be none


def _describe(reading: Traffic) -> str:
    return f"ratio={_pct(reading.ratio)} requests={reading.requests:.0f} errors={reading.errors:.0f}"


class _Watch:
    """State of one watch: its source, its log context and the consecutive blind polls."""

    def __init__(self, metrics: MetricSource, clock: Clock, colour: str, threshold: float, rule: TrafficRule, context: str, max_blind: int):
        self.metrics, self.clock, self.colour, self.threshold = metrics, clock, colour, threshold
        self.rule, self.context, self.max_blind = rule, context, max_blind
        self.blind = 0

    def _blind(self, err: Exception) -> Verdict | None:
        """Count a failed read (never a pass or a crash); a failure verdict once there are `max_blind` in a row."""
        self.blind += 1
        why = str(err) if isinstance(err, MetricError) else f"{type(err).__name__}: {err}"
        log.warning(
            "%s %s colour=%s metrics unavailable (%d/%d): %s", stamp(self.clock), self.context, self.colour, self.blind, self.max_blind, why
        )
        if self.blind >= self.max_blind:
            return Verdict(False, f"metrics for {self.colour} unavailable for {self.blind} consecutive polls: {why}")
        return None

    def polls(self, deadline: float, poll: float, window: float) -> Verdict | None:
        """Sample every `poll` s until `deadline` (at least once, the last at the end); a verdict only on failure."""
        while True:
            remaining = deadline - self.clock.now()
            if remaining > 0:
                self.clock.sleep(min(poll, remaining))
            try:
                healthy, reading = _sample(self.metrics, self.colour, window)
            except Exception as err:
                if failed := self._blind(err):
                    return failed
            else:
                self.blind = 0
                log.info(
                    "%s %s colour=%s %s healthy=%s threshold=%.2f%%",
                    stamp(self.clock),
                    self.context,
                    self.colour,
                    _describe(reading),
                    "yes" if healthy else "no",
                    self.threshold * 100,
                )
                if not healthy:
                    return Verdict(False, f"{self.colour} unhealthy")
                if self.rule.conclusive_failure(reading, self.threshold):
                    return self.too_many_errors(reading, f"the last {window:g}s")
            if self.clock.now() >= deadline:
                return None

    def total(self, since: float, poll: float) -> Traffic | Verdict:
        """The colour's traffic since `since` (the stage's whole window); read failures count as blind polls."""
        while True:
            window = max(1, math.ceil(self.clock.now() - since))
            try:
                reading = _traffic(self.metrics, self.colour, window)
            except Exception as err:
                if failed := self._blind(err):
                    return failed
                self.clock.sleep(poll)
            else:
                self.blind = 0
                log.info(
                    "%s %s colour=%s stage total over %ds: %s", stamp(self.clock), self.context, self.colour, window, _describe(reading)
                )
                return reading

    def extending(self, reading: Traffic, span: str, duration: float, n: int) -> None:
        log.warning(
            "%s %s colour=%s inconclusive: %.0f requests in %s, fewer than %d; extending by %gs (%d/%d)",
            stamp(self.clock), self.context, self.colour, reading.requests, span, self.rule.min_requests, duration, n,
            self.rule.max_extensions,
        )  # fmt: skip

    def too_many_errors(self, reading: Traffic, span: str) -> Verdict:
        return Verdict(
            False,
            f"error ratio {_pct(reading.ratio)} on {self.colour} above {self.threshold:.2%} "
            f"({reading.errors:.0f} of {reading.requests:.0f} requests in {span})",
            reading.requests,
        )


def watch(
    metrics: MetricSource,
    clock: Clock,
    colour: str,
    *,
    duration: float,
    poll: float,
    threshold: float = ERROR_THRESHOLD,
    window: float = METRIC_WINDOW,
    traffic: TrafficRule = DEFAULT_TRAFFIC,
    context: str = "watch",
    max_blind: int = MAX_BLIND_POLLS,
) -> Verdict:
    """Watch `colour` for `duration` s, sampling every `poll` s, then judge the stage's whole window.

    Fails at once when the colour is unhealthy or a sample (5xx / requests over `window` s) is
    conclusively above `threshold` (TrafficRule.conclusive_failure). At the end the stage's own
    traffic decides: at least `traffic.min_requests` requests and a ratio <= threshold pass; fewer
    requests extend the stage (the window keeps growing from its start) up to
    `traffic.max_extensions` times, then fail unless `traffic.pass_thin`.
    """
    check_watch(duration, poll, max_blind)
    run = _Watch(metrics, clock, colour, threshold, traffic, context, max_blind)
    start = clock.now()
    for extension in range(traffic.max_extensions + 1):
        failed = run.polls(start + duration * (extension + 1), poll, window)
        if failed:
            return failed
        reading = run.total(start, poll)
        if isinstance(reading, Verdict):
            return reading
        span = f"{clock.now() - start:.0f}s"
        if traffic.conclusive_failure(reading, threshold):
            return run.too_many_errors(reading, span)
        if reading.requests >= traffic.min_requests:
            return Verdict(True, requests=reading.requests)
        if extension < traffic.max_extensions:
            run.extending(reading, span, duration, extension + 1)
    thin = (
        f"inconclusive: {colour} served {reading.requests:.0f} requests in {span}, fewer than the minimum "
        f"{traffic.min_requests} (--min-requests), after {traffic.max_extensions} extension(s)"
    )
    if traffic.pass_thin:
        log.warning("%s %s colour=%s %s; passing (--allow-no-traffic)", stamp(clock), context, colour, thin)
        return Verdict(True, thin, reading.requests)
    return Verdict(False, thin, reading.requests)


# --- latency against the stable colour -------------------------------------------------------------


@dataclass(frozen=True)
class LatencyRule:
    """Fail a stage when the candidate's p95 is above `ratio` × the stable colour's and above
    `floor` seconds; inconclusive (a logged pass) when either side has fewer than `min_requests`."""

    ratio: float = LATENCY_RATIO
    floor: float = LATENCY_FLOOR
    min_requests: int = MIN_REQUESTS

    def __post_init__(self) -> None:
        if not (math.isfinite(self.ratio) and self.ratio >= 1):
            raise ValueError(f"latency ratio must be finite and >= 1, got {self.ratio!r}")
        if not (math.isfinite(self.floor) and self.floor >= 0):
            raise ValueError(f"latency floor must be finite and >= 0 seconds, got {self.floor!r}")
        if isinstance(self.min_requests, bool) or not isinstance(self.min_requests, int) or self.min_requests < 0:
            raise ValueError(f"min_requests must be a whole number >= 0, got {self.min_requests!r}")

    def limit(self, stable_p95: float) -> float:
        return max(self.ratio * stable_p95, self.floor)

    def enough(self, reading: Latency | None) -> bool:
        return reading is not None and reading.p95 is not None and reading.requests >= self.min_requests


def read_latency(metrics: MetricSource, colour: str, window: float) -> Latency:
    """A validated latency reading; MetricError when the source's answer is not a usable one."""
    reading = metrics.latency(colour, window)
    if not isinstance(reading, Latency):
        raise MetricError(f"latency answer {reading!r} is not a Latency reading")
    p95, n = reading.p95, reading.requests
    if p95 is not None and (isinstance(p95, bool) or not isinstance(p95, (int, float)) or not 0 <= p95 < math.inf):
        raise MetricError(f"p95 {p95!r} is not a finite number of seconds >= 0")
    if isinstance(n, bool) or not isinstance(n, (int, float)) or not 0 <= n < math.inf:
        raise MetricError(f"request count {n!r} is not a finite number >= 0")
    return reading


def baseline_latency(metrics: MetricSource, clock: Clock, colour: str, window: float, context: str) -> Latency | None:
    """The stable colour's latency over the `window` s before a stage (its reference when the
    stage leaves it too little traffic, e.g. at 100 %); None when it cannot be read."""
    try:
        reading = read_latency(metrics, colour, max(1, math.ceil(window)))
    except Exception as err:
        log.warning("%s %s colour=%s baseline latency unavailable: %s", stamp(clock), context, colour, err)
        return None
    log.info("%s %s colour=%s baseline %s", stamp(clock), context, colour, _latency_text(reading))
    return reading


def _ms(seconds: float | None) -> str:
    return "none" if seconds is None else f"{seconds * 1000:.0f}ms"


def _latency_text(reading: Latency) -> str:
    return f"p95={_ms(reading.p95)} requests={reading.requests:.0f}"


def compare_latency(
    metrics: MetricSource,
    clock: Clock,
    candidate: str,
    stable: str,
    *,
    since: float,
    rule: LatencyRule,
    baseline: Latency | None = None,
    poll: float = 1.0,
    context: str = "latency",
    max_blind: int = MAX_BLIND_POLLS,
) -> Verdict:
    """Compare both colours' p95 over the same window (from `since` to now). The stable colour's
    reference is its own reading on that window, else `baseline` (the window before the stage).
    A failed read is retried `max_blind` times, then fails the gate (a blind gate never passes)."""
    window = max(1, math.ceil(clock.now() - since))
    for attempt in range(1, max_blind + 1):
        try:
            cand, live = read_latency(metrics, candidate, window), read_latency(metrics, stable, window)
            break
        except Exception as err:
            log.warning("%s %s latency metrics unavailable (%d/%d): %s", stamp(clock), context, attempt, max_blind, err)
            if attempt == max_blind:
                return Verdict(False, f"latency metrics unavailable for {max_blind} consecutive reads: {err}")
            clock.sleep(poll)
    reference, which = (live, f"{stable} over the same {window}s") if rule.enough(live) else (baseline, f"{stable} before the stage")
    log.info(
        "%s %s latency over %ds: %s %s, %s %s", stamp(clock), context, window, candidate, _latency_text(cand), stable, _latency_text(live)
    )
    if not rule.enough(cand) or reference is None or not rule.enough(reference):
        thin = (
            f"latency inconclusive: fewer than {rule.min_requests} requests with a p95 "
            f"({candidate}: {cand.requests:.0f}, {stable}: {live.requests:.0f}"
            + (f", {stable} before the stage: {baseline.requests:.0f}" if baseline else "")
            + ")"
        )
        log.warning("%s %s %s; the error-ratio gate decides", stamp(clock), context, thin)
        return Verdict(True, thin)
    assert cand.p95 is not None and reference.p95 is not None  # rule.enough
    limit = rule.limit(reference.p95)
    if cand.p95 > limit:
        return Verdict(
            False,
            f"p95 latency {_ms(cand.p95)} on {candidate} above {rule.ratio:g} x {which} ({_ms(reference.p95)}) "
            f"and the {_ms(rule.floor)} floor",
        )
    log.info("%s %s latency ok: %s %s <= limit %s (%s)", stamp(clock), context, candidate, _ms(cand.p95), _ms(limit), which)
    return Verdict(True)
