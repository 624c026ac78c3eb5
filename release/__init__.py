"""Progressive delivery for nox-infra: canary and blue/green releases driven through stack config.

`driver.canary` / `driver.blue_green` walk the stages (migrate, deploy, health, checks, traffic
stages, promote) over small interfaces: `Engine` (`automation.py`: read/write config, `up()`),
`MetricSource` (`metrics.py`: request and 5xx counts, health, p95 latency), `Migrations`
(`migrations.py`: the eks Job, the asg SSM command), `Checks` (`checks.py`: the integration checks
on the candidate) and `Clock` (`gates.py`), so the whole release logic runs offline in tests.
CLI: `python -m release canary|bluegreen --stack <stack> --image <pinned image>`.
"""

from .automation import AutomationEngine, Engine
from .driver import (
    CANARY_STAGES,
    FAILED,
    PROMOTED,
    ROLLED_BACK,
    ReleaseError,
    Result,
    blue_green,
    canary,
)
from .gates import Clock, SystemClock
from .metrics import CloudWatchSource, MetricError, MetricSetupError, MetricSource, PrometheusSource

__all__ = [
    "CANARY_STAGES",
    "FAILED",
    "PROMOTED",
    "ROLLED_BACK",
    "AutomationEngine",
    "Clock",
    "CloudWatchSource",
    "Engine",
    "MetricError",
    "MetricSetupError",
    "MetricSource",
    "PrometheusSource",
    "ReleaseError",
    "Result",
    "SystemClock",
    "blue_green",
    "canary",
]
