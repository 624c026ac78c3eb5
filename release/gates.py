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

from .metrics import MetricError, MetricSource

log = logging.getLogger("release")

# The seed's numbers.
HEALTH_CHECK_TIMEOUT = 300  # deploy-blue-green.sh HEALTH_CHECK_TIMEOUT
HEALTH_CHECK_INTERVAL = 10  # deploy-blue-green.sh HEALTH_CHECK_INTERVAL
ERROR_THRESHOLD = 0.05  # deploy-canary.sh ERROR_THRESHOLD=5 (%); blue/green: success rate >= 95 %
METRIC_WINDOW = 60  # deploy-canary.sh queries rate(...[1m])
# Consecutive polls the metric source may fail (timeout, HTTP 5xx) before the gate fails: one
# flaky scrape must not roll back a release, a metrics outage must not let it proceed blind.
MAX_BLIND_POLLS = 3


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


def _sample(metrics: MetricSource, colour: str, window: float) -> tuple[bool, float | None]:
    """One (healthy, error ratio) reading; MetricError when the source's answer is not a usable one."""
    healthy = metrics.healthy(colour)
    ratio = metrics.error_ratio(colour, window)
    if not isinstance(healthy, bool):
        raise MetricError(f"health answer {healthy!r} is not a boolean")
    if ratio is not None and (isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or not 0 <= ratio <= 1):
        raise MetricError(f"error ratio {ratio!r} is not a number from 0 to 1")  # NaN fails 0 <= ratio too
    return healthy, ratio


def check_watch(duration: float, poll: float, max_blind: int = MAX_BLIND_POLLS) -> None:
    """A watch must be long enough for the blind-poll rule to fire, and every number finite."""
    if not (math.isfinite(duration) and math.isfinite(poll)) or poll <= 0:
        raise ValueError(f"watch duration and poll must be finite, poll > 0; got duration={duration!r}, poll={poll!r}")
    if duration < poll * max_blind:
        raise ValueError(
            f"a watch of {duration:g}s with a poll every {poll:g}s is shorter than {max_blind} polls "
            f"({poll * max_blind:g}s): a metrics outage could not fail it; lengthen the watch or poll more often"
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
    require_traffic: bool = False,
    context: str = "watch",
    max_blind: int = MAX_BLIND_POLLS,
) -> Verdict:
    """Watch `colour` for `duration` s, sampling every `poll` s (at least once, the last at the end).

    Fails at once when the colour is unhealthy or its error ratio (5xx / requests over `window` s)
    is strictly greater than `threshold`. A sample with no traffic (ratio None) is logged, not a
    failure; with `require_traffic` the whole watch must have seen traffic at least once.
    """
    check_watch(duration, poll, max_blind)
    deadline = clock.now() + duration
    saw_traffic = False
    samples = blind = 0
    while True:
        remaining = deadline - clock.now()
        if remaining > 0:
            clock.sleep(min(poll, remaining))
        try:
            healthy, ratio = _sample(metrics, colour, window)
        except Exception as err:  # a failing or nonsensical source is a blind poll, never a pass or a crash
            blind += 1
            why = str(err) if isinstance(err, MetricError) else f"{type(err).__name__}: {err}"
            log.warning("%s %s colour=%s metrics unavailable (%d/%d): %s", stamp(clock), context, colour, blind, max_blind, why)
            if blind >= max_blind:
                return Verdict(False, f"metrics for {colour} unavailable for {blind} consecutive polls: {why}")
        else:
            blind = 0
            samples += 1
            log.info(
                "%s %s colour=%s ratio=%s healthy=%s threshold=%.2f%%",
                stamp(clock),
                context,
                colour,
                _pct(ratio),
                "yes" if healthy else "no",
                threshold * 100,
            )
            if not healthy:
                return Verdict(False, f"{colour} unhealthy")
            if ratio is None:
                log.warning("%s %s colour=%s no traffic in the last %gs", stamp(clock), context, colour, window)
            else:
                saw_traffic = True
                if ratio > threshold:
                    return Verdict(False, f"error ratio {ratio:.2%} on {colour} above {threshold:.2%}")
        if clock.now() >= deadline:
            break
    if not samples:
        return Verdict(False, f"no metric sample for {colour} succeeded during {duration:g}s")
    if require_traffic and not saw_traffic:
        return Verdict(
            False,
            f"no traffic observed on {colour} for {duration:g}s: the gate would pass blind "
            "(weights not applied, or the metric has no colour label)",
        )
    return Verdict(True)
