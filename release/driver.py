"""The release driver: walk a canary or blue/green release by changing stack config and running `up()`.

Traffic moves by one mechanism only: the release keys of the stack config (`nox:releaseActive`,
`nox:releaseStrategy`, `nox:releaseCanaryWeight`, `nox:image<Colour>`), which the program turns
into ALB weighted target groups (asg) or Ingress weights (eks). The driver is pure logic over
`Engine`, `MetricSource` and `Clock`, so every path (gates, rollback, interrupt) is tested offline.

Both strategies warm the candidate as a canary at weight 0 (the asg platform runs a colour at
full size only when it is active or the candidate of a canary), move traffic with the canary
weight (canary: 1, 5, 10, 25, 50, 100 %; blue/green: 0 -> 100 % at once), and finish by making the
candidate `releaseActive` under `bluegreen`. Until that last step the old colour keeps serving
capacity, so a rollback is a weight change, not a scale-up.

Rollback rules:
- a gate fails (candidate unhealthy, error ratio above the threshold, metrics blind, too few
  requests to judge after the extensions: gates.TrafficRule): canary
  weight back to 0 (the seed's `update_canary_traffic 0`), all traffic on the old colour; the
  candidate stays warm at 0 %, reachable with `X-Canary-User: true` for diagnosis;
- `up()` fails, Ctrl-C / SIGTERM, or any unexpected error: the exact release config from before
  the release is restored and applied (the failed update may have left anything half-done);
- the rollback itself fails (twice): outcome `failed`, the log says which config to apply.
"""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from settings.model import COLOURS, ReleaseSettings
from settings.schema import KEYS_BY_NAME, digest_problem, image_problem

from .automation import Engine
from .checks import CheckResult
from .gates import (
    DEFAULT_TRAFFIC,
    ERROR_THRESHOLD,
    HEALTH_CHECK_INTERVAL,
    HEALTH_CHECK_TIMEOUT,
    METRIC_WINDOW,
    NO_MINIMUM,
    Clock,
    LatencyRule,
    TrafficRule,
    Verdict,
    baseline_latency,
    check_watch,
    compare_latency,
    stamp,
    wait_healthy,
    watch,
)
from .metrics import Latency, MetricSource
from .migrations import Migrations

log = logging.getLogger("release")

NS = "nox:"
STRATEGY = f"{NS}releaseStrategy"
ACTIVE = f"{NS}releaseActive"
WEIGHT = f"{NS}releaseCanaryWeight"
IMAGE = {c: f"{NS}image{c.capitalize()}" for c in COLOURS}
RELEASE_KEYS = (STRATEGY, ACTIVE, IMAGE["blue"], IMAGE["green"], WEIGHT)

# deploy-canary.sh
CANARY_STAGES = (1, 5, 10, 25, 50, 100)
STAGE_DURATION = 300
CANARY_POLL = 30
# deploy-blue-green.sh monitor_performance: 60 s; we poll at the health-check interval.
BLUE_GREEN_WATCH = 60
BLUE_GREEN_POLL = HEALTH_CHECK_INTERVAL
ROLLBACK_ATTEMPTS = 2

PROMOTED, ROLLED_BACK, FAILED = "promoted", "rolled_back", "failed"
EXIT_CODES = {PROMOTED: 0, ROLLED_BACK: 1, FAILED: 3}


class ReleaseError(Exception):
    """The release cannot start (bad arguments or stack state); nothing was changed."""


@dataclass(frozen=True)
class Result:
    strategy: str  # canary | bluegreen
    outcome: str  # promoted | rolled_back | failed
    candidate: str  # colour the new image went to
    image: str
    completed: tuple[str, ...]  # steps passed: deploy, health, 1%, 5%, ..., promote | pre-switch, switch, watch
    reason: str = ""  # why it did not promote (empty when promoted)
    failed_stage: str | None = None
    requests: tuple[tuple[str, float], ...] = ()  # (stage, candidate requests in its window) of every measured gate
    checks: tuple[CheckResult, ...] = ()  # the integration checks and the success-rate watch, as run

    def _steps(self) -> str:
        counts = dict(self.requests)
        return ", ".join(f"{s} ({counts[s]:.0f} requests)" if s in counts else s for s in self.completed) or "nothing"

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.outcome]

    def summary(self) -> str:
        done = self._steps()
        checks = "; checks: " + ", ".join(f"{c.name} {'ok' if c.ok else 'FAILED'}" for c in self.checks) if self.checks else ""
        if self.outcome == PROMOTED:
            return f"{self.strategy}: promoted {self.candidate} ({self.image}); steps: {done}{checks}"
        return f"{self.strategy}: {self.outcome} at {self.failed_stage}: {self.reason}; steps passed: {done}{checks}"


# --- release config ------------------------------------------------------------------------------


def release_config(config: dict[str, str]) -> dict[str, str]:
    """The five release keys of a stack config, project defaults filled in (as strings)."""
    out = {}
    for key in RELEASE_KEYS:
        default = KEYS_BY_NAME[key.removeprefix(NS)].default
        out[key] = str(config.get(key, default))
    return out


def problems(cfg: dict[str, str]) -> list[str]:
    """The schema's per-key checks and the loader's release cross-field rules, on a release config."""
    found = []
    values: dict[str, Any] = {}
    for key in RELEASE_KEYS:
        spec = KEYS_BY_NAME[key.removeprefix(NS)]
        raw = cfg[key]
        try:
            value = int(raw) if spec.kind is int else raw
        except ValueError:
            found.append(f"{key} = {raw!r}: must be an integer")
            continue
        allowed = spec.check(value) if spec.check else None
        if allowed:
            found.append(f"{key} = {raw!r}: must be {allowed}")
        values[key] = value
    if found:
        return found
    active = values[ACTIVE]
    candidate = _other(active)
    if not values[IMAGE[active]]:
        found.append(f"{IMAGE[active]} is empty but {ACTIVE} = {active!r}: the active colour needs an image")
    if values[STRATEGY] == "canary" and not values[IMAGE[candidate]]:
        found.append(f"{IMAGE[candidate]} is empty but {STRATEGY} = 'canary'")
    if values[STRATEGY] == "bluegreen" and values[WEIGHT] != 0:
        found.append(f"{WEIGHT} = {values[WEIGHT]}: must be 0 when {STRATEGY} = 'bluegreen'")
    return found


def weights(cfg: dict[str, str]) -> dict[str, int]:
    """Traffic percent per colour for a release config (the same rule the program applies)."""
    return ReleaseSettings(
        strategy=cfg[STRATEGY], active=cfg[ACTIVE], images=tuple((c, cfg[IMAGE[c]]) for c in COLOURS), canary_weight=int(cfg[WEIGHT])
    ).weights


def _short(err: BaseException | None, limit: int = 300) -> str:
    """An error for a one-line reason: the Automation API's errors carry the whole update output."""
    text = str(err)
    if "\n stderr: " in text:  # pulumi.automation.CommandError: code, stdout, stderr; stderr says why
        text = text.split("\n stderr: ", 1)[1].strip() or text
    text = " ".join(f"{type(err).__name__}: {text}".split())
    return text if len(text) <= limit else text[:limit] + " ..."


def _other(colour: str) -> str:
    return "green" if colour == "blue" else "blue"


def _show_weights(cfg: dict[str, str]) -> str:
    w = weights(cfg)
    return " ".join(f"{c}={w[c]}%" for c in COLOURS)


# --- one release run ------------------------------------------------------------------------------


class _GateFailed(Exception):
    def __init__(self, stage: str, reason: str):
        super().__init__(reason)
        self.stage, self.reason = stage, reason


class _MigrationFailed(Exception):
    """The migration failed: roll back to the config from before the release, with `undo` (the
    migration's own keys emptied, so the rollback update does not run it again)."""

    def __init__(self, reason: str, undo: dict[str, str]):
        super().__init__(reason)
        self.reason, self.undo = reason, undo


class Checks(Protocol):
    def run(self, clock: Clock, context: str) -> tuple[Verdict, list[CheckResult]]:
        """The integration checks and the success-rate watch on the candidate (checks.HttpChecks)."""
        ...


class _EngineFailed(Exception):
    def __init__(self, stage: str, error: BaseException):
        super().__init__(str(error))
        self.stage, self.error = stage, error


class _Release:
    def __init__(self, strategy: str, engine: Engine, metrics: MetricSource, clock: Clock, image: str):
        bad = image_problem(image)
        if bad:
            raise ReleaseError(f"image {image!r}: must be {bad}")
        self.strategy, self.engine, self.metrics, self.clock, self.image = strategy, engine, metrics, clock, image
        try:
            current = engine.get_config()
        except Exception as err:  # no CLI, not logged in, no such stack: nothing changed yet
            raise ReleaseError(f"cannot read the stack config: {err}") from err
        if current.get("nox:environment") == "prod" and digest_problem(image):
            raise ReleaseError(f"image {image!r}: must be {digest_problem(image)}")
        snapshot = release_config(current)
        bad_config = problems(snapshot)
        if bad_config:
            raise ReleaseError("the stack's release config is invalid: " + "; ".join(bad_config))
        if int(snapshot[WEIGHT]) != 0:
            raise ReleaseError(
                f"{WEIGHT} = {snapshot[WEIGHT]}: a canary is in progress (or was abandoned); "
                f"finish it or set it to 0 and run pulumi up before starting a release"
            )
        self.active = snapshot[ACTIVE]
        self.candidate = _other(self.active)
        if snapshot[IMAGE[self.active]] == image:
            raise ReleaseError(f"{image} is already the active image ({self.active}); nothing to release")
        self.snapshot = snapshot
        self.applied = dict(snapshot)  # last config whose up() succeeded
        self.dirty = False  # an up() started and did not finish: the stack may be anywhere
        self.completed: list[str] = []
        self.requests: list[tuple[str, float]] = []
        self.checks: list[CheckResult] = []
        self.stage = "start"

    def log(self, level: int, msg: str, *args: Any) -> None:
        log.log(level, "%s %s " + msg, stamp(self.clock), self.strategy, *args)

    def apply(self, stage: str, changes: Mapping[str, str], record: bool = False) -> None:
        self.stage = stage
        cfg = {**self.applied, **{k: str(v) for k, v in changes.items()}}
        wrong = problems(cfg)
        if wrong:  # a bug in the driver, never a stack to apply
            raise RuntimeError("refusing to apply an invalid release config: " + "; ".join(wrong))
        other = "".join(f", {k}={v}" for k, v in changes.items() if k not in RELEASE_KEYS)  # e.g. nox:migrationImage
        self.log(
            logging.INFO,
            "stage=%s apply weights %s (active=%s, %s=%s%s)",
            stage,
            _show_weights(cfg),
            cfg[ACTIVE],
            IMAGE[self.candidate],
            cfg[IMAGE[self.candidate]],
            other,
        )
        self.dirty = True
        try:
            self.engine.set_config(dict(cfg))
            self.engine.up()
        except Exception as err:
            raise _EngineFailed(stage, err) from err
        self.applied, self.dirty = cfg, False
        self.log(logging.INFO, "stage=%s applied weights %s", stage, _show_weights(cfg))
        if record:
            self.completed.append(stage)

    def gate(self, stage: str, check: Callable[[], Verdict]) -> None:
        self.stage = stage
        verdict = check()
        if verdict.requests is not None:
            self.requests.append((stage, verdict.requests))
        if not verdict.ok:
            raise _GateFailed(stage, verdict.reason)
        self.log(logging.INFO, "stage=%s passed", stage)
        self.completed.append(stage)

    def migrate(self, migrations: Migrations | None) -> None:
        """Step 1: the candidate image's migrations, before the candidate is deployed."""
        self.stage = "migrate"
        if migrations is None:
            self.log(logging.WARNING, "stage=migrate skipped: no migration command (nox:migrationCommand is empty)")
            return
        changes = migrations.changes(self.image)
        undo = dict.fromkeys(changes, "")
        if changes:
            try:
                self.apply("migrate", changes)
            except _EngineFailed as failed:
                self.log(logging.ERROR, "stage=migrate pulumi up failed:\n%s", failed.error)
                raise _MigrationFailed(f"migration failed: pulumi up: {_short(failed.error)}", undo) from failed
        verdict = migrations.run(self.image, self.clock, "stage=migrate")
        if not verdict.ok:
            raise _MigrationFailed(verdict.reason, undo)
        self.log(logging.INFO, "stage=migrate passed%s", f" ({verdict.reason})" if verdict.reason else "")
        self.completed.append("migrate")

    def integration(self, checks: Checks | None) -> None:
        """The integration checks and the success-rate watch on the candidate, before any weighted traffic."""
        if checks is None:
            self.log(logging.WARNING, "stage=checks skipped (--no-checks)")
            return

        def run_checks() -> Verdict:
            verdict, results = checks.run(self.clock, "stage=checks")
            self.checks.extend(results)
            return verdict

        self.gate("checks", run_checks)

    def judged(
        self,
        metrics: MetricSource,
        watch_check: Callable[[], Verdict],
        latency: LatencyRule | None,
        context: str,
        baseline: Latency | None,
    ) -> Callable[[], Verdict]:
        """A stage's gate: its error-ratio watch, then (when it passed) the candidate's p95 against the
        stable colour's over the stage's window; `baseline` (read before the stage's update) is the
        stable colour's over the window before, for stages that leave it no traffic (100 %)."""

        def check() -> Verdict:
            start = self.clock.now()
            verdict = watch_check()
            if not verdict.ok or latency is None:
                return verdict
            lat = compare_latency(
                metrics, self.clock, self.candidate, self.active, since=start, rule=latency, baseline=baseline, context=context
            )
            return verdict if lat.ok else Verdict(False, lat.reason, verdict.requests)

        return check

    def baseline(self, metrics: MetricSource, latency: LatencyRule | None, window: float, context: str) -> Latency | None:
        """The stable colour's latency over the last `window` s, read before a stage moves traffic."""
        return baseline_latency(metrics, self.clock, self.active, window, context) if latency else None

    def result(self, outcome: str, reason: str = "", stage: str | None = None) -> Result:
        res = Result(
            self.strategy,
            outcome,
            self.candidate,
            self.image,
            tuple(self.completed),
            reason,
            stage,
            tuple(self.requests),
            tuple(self.checks),
        )
        self.log(logging.INFO if outcome == PROMOTED else logging.ERROR, "result: %s", res.summary())
        return res

    def run(self, steps: Callable[[], None]) -> Result:
        self.log(
            logging.INFO, "start: %s -> %s, image %s, weights %s", self.active, self.candidate, self.image, _show_weights(self.applied)
        )
        try:
            steps()
        except _MigrationFailed as failed:
            return self.rollback("migrate", failed.reason, {**self.snapshot, **failed.undo})
        except _GateFailed as failed:
            # Traffic back to the previous colour; the candidate keeps its image at 0 %.
            target = {**self.applied, ACTIVE: self.active, WEIGHT: "0"}
            return self.rollback(failed.stage, failed.reason, target)
        except _EngineFailed as failed:
            self.log(logging.ERROR, "stage=%s pulumi up failed:\n%s", failed.stage, failed.error)
            return self.rollback(failed.stage, f"pulumi up failed: {_short(failed.error)}", self.snapshot)
        except KeyboardInterrupt:
            return self.rollback(self.stage, "interrupted (SIGINT/SIGTERM)", self.snapshot)
        except BaseException as err:  # anything at all after the first change: never leave a stage half-applied
            log.exception("unexpected error during the release")
            return self.rollback(self.stage, f"unexpected error: {err!r}", self.snapshot)
        return self.result(PROMOTED)

    def rollback(self, stage: str, reason: str, target: dict[str, str]) -> Result:
        self.log(logging.ERROR, "stage=%s ROLLBACK: %s", stage, reason)
        if target == self.applied and not self.dirty:
            self.log(
                logging.INFO, "stage=%s traffic never left %s (weights %s): nothing to apply", stage, self.active, _show_weights(target)
            )
            return self.result(ROLLED_BACK, reason, stage)
        last: BaseException | None = None
        for attempt in range(1, ROLLBACK_ATTEMPTS + 1):
            self.dirty = True
            try:
                self.engine.set_config(dict(target))
                self.engine.up()
            except (Exception, KeyboardInterrupt) as err:
                last = err
                self.log(logging.ERROR, "rollback attempt %d/%d failed: %r", attempt, ROLLBACK_ATTEMPTS, err)
                if isinstance(err, KeyboardInterrupt):
                    break
                continue
            self.applied, self.dirty = dict(target), False
            self.log(logging.INFO, "rollback applied: weights %s", _show_weights(target))
            return self.result(ROLLED_BACK, reason, stage)
        wanted = ", ".join(f"{k}={v!r}" for k, v in target.items())
        return self.result(
            FAILED, f"{reason}; rollback failed ({_short(last)}): MANUAL INTERVENTION: set {wanted} and run pulumi up", stage
        )


# Longest any single duration may be: a day. A longer (or infinite) watch would never finish.
MAX_SECONDS = 86_400
MAX_WINDOW = 3_600  # PromQL range and CloudWatch lookback of the error-ratio gate


def _check_common(
    error_threshold: float, health_timeout: float, health_interval: float, poll: float, window: float, watch_duration: float
) -> None:
    """Every number finite and in range before anything changes (NaN compares false to everything)."""
    numbers = {
        "error threshold": error_threshold,
        "health timeout": health_timeout,
        "health interval": health_interval,
        "poll": poll,
        "window": window,
        "watch duration": watch_duration,
    }
    for what, value in numbers.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ReleaseError(f"{what} must be a finite number, got {value!r}")
    if not 0 <= error_threshold < 1:
        raise ReleaseError(f"error threshold must be a fraction in [0, 1) (a gate at 100 % could never fail), got {error_threshold}")
    if not 0 <= health_timeout <= MAX_SECONDS or not 0 < health_interval <= MAX_SECONDS or not 0 < poll <= MAX_SECONDS:
        raise ReleaseError(f"health timeout must be 0..{MAX_SECONDS}s, health interval and poll above 0 and at most {MAX_SECONDS}s")
    if not 0 <= watch_duration <= MAX_SECONDS:
        raise ReleaseError(f"watch and stage durations must be 0..{MAX_SECONDS}s, got {watch_duration:g}")
    if not 0 < window <= MAX_WINDOW or window != int(window):
        raise ReleaseError(f"the metric window must be a whole number of seconds from 1 to {MAX_WINDOW}, got {window}")
    try:
        check_watch(watch_duration, poll)
    except ValueError as err:
        raise ReleaseError(str(err)) from None


def check_stages(stages: Sequence[int]) -> tuple[int, ...]:
    st = tuple(stages)
    if not st or any(not isinstance(s, int) or not 1 <= s <= 100 for s in st):
        raise ReleaseError(f"stages must be percentages from 1 to 100, got {list(st)}")
    if list(st) != sorted(set(st)):
        raise ReleaseError(f"stages must increase strictly, got {list(st)}")
    if st[-1] != 100:
        raise ReleaseError(f"the last stage must be 100 (the candidate takes all traffic before promotion), got {list(st)}")
    return st


# --- strategies ------------------------------------------------------------------------------------


def canary(
    engine: Engine,
    metrics: MetricSource,
    clock: Clock,
    image: str,
    *,
    stages: Sequence[int] = CANARY_STAGES,
    stage_duration: float = STAGE_DURATION,
    poll: float = CANARY_POLL,
    error_threshold: float = ERROR_THRESHOLD,
    health_timeout: float = HEALTH_CHECK_TIMEOUT,
    health_interval: float = HEALTH_CHECK_INTERVAL,
    window: float = METRIC_WINDOW,
    traffic: TrafficRule = DEFAULT_TRAFFIC,
    migrations: Migrations | None = None,
    checks: Checks | None = None,
    latency: LatencyRule | None = None,
) -> Result:
    """Migrate, deploy `image` to the idle colour at 0 %, gate on health and the integration checks,
    walk the weights (error ratio, then p95 latency against the stable colour), then promote.

    Each stage: set the weight, `up()`, watch the candidate for `stage_duration` s (health and
    error ratio every `poll` s). After the 100 % stage the candidate becomes the active colour
    under `bluegreen` (same traffic, no split left); the old colour keeps its image for an
    instant switch back.
    """
    stages = check_stages(stages)
    _check_common(error_threshold, health_timeout, health_interval, poll, window, stage_duration)
    run = _Release("canary", engine, metrics, clock, image)
    cand, n = run.candidate, len(stages)

    def steps() -> None:
        run.migrate(migrations)
        run.apply("deploy", {IMAGE[cand]: image, STRATEGY: "canary", WEIGHT: "0"}, record=True)
        run.gate(
            "health", lambda: wait_healthy(metrics, clock, cand, timeout=health_timeout, interval=health_interval, context="stage=health")
        )
        run.integration(checks)
        for i, weight in enumerate(stages, 1):
            stage = f"{weight}%"
            context = f"stage={weight}% ({i}/{n}) weight={weight}%"
            before = run.baseline(metrics, latency, stage_duration, context)
            run.apply(stage, {WEIGHT: str(weight)})
            error_watch = functools.partial(
                watch,
                metrics,
                clock,
                cand,
                duration=stage_duration,
                poll=poll,
                threshold=error_threshold,
                window=window,
                traffic=traffic,
                context=context,
            )
            run.gate(stage, run.judged(metrics, error_watch, latency, context, before))
        run.apply("promote", {ACTIVE: cand, STRATEGY: "bluegreen", WEIGHT: "0"}, record=True)

    return run.run(steps)


def blue_green(
    engine: Engine,
    metrics: MetricSource,
    clock: Clock,
    image: str,
    *,
    health_timeout: float = HEALTH_CHECK_TIMEOUT,
    health_interval: float = HEALTH_CHECK_INTERVAL,
    watch_duration: float = BLUE_GREEN_WATCH,
    poll: float = BLUE_GREEN_POLL,
    error_threshold: float = ERROR_THRESHOLD,
    window: float = METRIC_WINDOW,
    pre_switch_check: bool = True,
    traffic: TrafficRule = DEFAULT_TRAFFIC,
    migrations: Migrations | None = None,
    checks: Checks | None = None,
    latency: LatencyRule | None = None,
) -> Result:
    """Deploy `image` to the idle colour, gate on health, switch all traffic at once, watch, then promote.

    The candidate is warmed as a canary at weight 0: the platform runs it at full size with the
    `X-Canary-User: true` route but no weighted traffic (under `bluegreen` the asg platform keeps
    a non-active colour scaled to zero). The pre-switch check watches its error ratio on that
    header traffic only; with none it passes (logged). The switch is weight 100: every request
    goes to the candidate while the old colour stays warm, so switching back (weight 0) is one
    listener change. The new colour must stay healthy with an error ratio <= the threshold (the
    seed's success rate >= 95 %) for `watch_duration` s, on at least `traffic.min_requests`
    requests (gates.TrafficRule: extended, then failed unless `pass_thin`). Then it becomes `releaseActive` under `bluegreen`.
    """
    _check_common(error_threshold, health_timeout, health_interval, poll, window, watch_duration)
    run = _Release("bluegreen", engine, metrics, clock, image)
    cand = run.candidate

    def watch_candidate(rule: TrafficRule, context: str) -> Callable[[], Verdict]:
        """The candidate's error-ratio watch: the same before and after the switch but for the traffic rule and log context."""
        return lambda: watch(
            metrics,
            clock,
            cand,
            duration=watch_duration,
            poll=poll,
            threshold=error_threshold,
            window=window,
            traffic=rule,
            context=context,
        )

    def steps() -> None:
        run.migrate(migrations)
        run.apply("deploy", {IMAGE[cand]: image, STRATEGY: "canary", WEIGHT: "0"}, record=True)
        run.gate(
            "health", lambda: wait_healthy(metrics, clock, cand, timeout=health_timeout, interval=health_interval, context="stage=health")
        )
        run.integration(checks)
        if pre_switch_check:
            run.gate("pre-switch", watch_candidate(NO_MINIMUM, "stage=pre-switch (X-Canary-User traffic only) weight=0%"))
        context = "stage=watch weight=100%"
        # The stable colour's p95 while it still serves everything: after the switch it serves nothing.
        before = run.baseline(metrics, latency, watch_duration, "stage=switch")
        run.apply("switch", {WEIGHT: "100"}, record=True)
        run.gate("watch", run.judged(metrics, watch_candidate(traffic, context), latency, context, before))
        run.apply("promote", {ACTIVE: cand, STRATEGY: "bluegreen", WEIGHT: "0"}, record=True)

    return run.run(steps)
