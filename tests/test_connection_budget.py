"""Connection budget: the seed's pool (max 20) times every app instance that can run fits max_connections 200."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from offline import engine
from settings import ConfigError, pool_size
from settings.model import ADMIN_CONNECTION_HEADROOM, MAX_CONNECTIONS, MIN_POOL, SEED_POOL_MAX


def test_constants_are_the_seed():
    assert (SEED_POOL_MAX, MAX_CONNECTIONS, ADMIN_CONNECTION_HEADROOM, MIN_POOL) == (20, 200, 20, 2)


@pytest.mark.parametrize(
    ("instances", "pool"),
    [
        (1, 20),
        (8, 20),
        (9, 20),
        (10, 18),
        (40, 4),
        (45, 4),
        (60, 3),
        (90, 2),
        (91, 1),
    ],
)
def test_pool_formula(instances, pool):
    # min(seed pool, (max_connections - admin headroom) // instances)
    assert pool_size(instances) == pool


@given(st.integers(1, 500))
def test_pool_always_fits_with_headroom(instances):
    pool = pool_size(instances)
    assert pool <= SEED_POOL_MAX
    assert pool * instances + ADMIN_CONNECTION_HEADROOM <= MAX_CONNECTIONS or pool < MIN_POOL
    if pool >= MIN_POOL:  # and it is the largest pool that fits
        assert pool == SEED_POOL_MAX or (pool + 1) * instances + ADMIN_CONNECTION_HEADROOM > MAX_CONNECTIONS


@pytest.mark.parametrize(
    ("stack", "overrides", "pool"),
    [
        ("dev", (), 20),  # asg: 4 max x 2 colours = 8 -> the seed's 20
        ("staging", (), 4),  # eks: HPA 20 x 2 colours = 40 -> 180 // 40
        ("prod", (), 4),
        ("prod", ("nox:platform=asg",), 4),  # asg 20 x 2
        ("dev", ("nox:asgMax=10", "nox:asgDesired=1"), 9),  # 20 instances -> 180 // 20
        # 90 pods: the last size that fits (the NodePool raised to hold them: the capacity rule).
        ("prod", ("nox:hpaMaxReplicas=45", "nox:karpenterCpuLimit=40", "nox:karpenterMemoryLimitGib=160"), 2),
    ],
)
def test_pool_handed_to_the_app(plan_for, stack, overrides, pool):
    plan = plan_for(stack, *overrides)
    assert plan.outputs["dbPoolMax"] == pool


@pytest.mark.parametrize(
    ("stack", "override", "message"),
    [
        (
            "dev",
            "nox:asgMax=100",
            "nox:asgMax = 100: 200 app instances (100 x 2 colours during a release) cannot each get "
            "a pool of 2 within max_connections 200; lower nox:asgMax",
        ),
        ("dev", "nox:asgMax=46", "nox:asgMax = 46: 92 app instances"),
        ("prod", "nox:hpaMaxReplicas=46", "nox:hpaMaxReplicas = 46: 92 app instances"),
    ],
)
def test_budget_that_cannot_fit_fails_with_the_key_named(stack, override, message):
    # The NodePool is large enough, so the connection budget is the only problem left.
    room = ["nox:karpenterCpuLimit=100", "nox:karpenterMemoryLimitGib=400"] if stack == "prod" else []
    with pytest.raises(ConfigError) as err:
        engine.run(stack, [override, *room])
    assert message in str(err.value)
    assert len(err.value.problems) == 1


def test_budget_counts_the_platform_that_runs(plan_for):
    # asgMax does not matter on EKS, hpaMaxReplicas does not matter on EC2
    assert plan_for("prod", "nox:asgMax=100").outputs["dbPoolMax"] == 4
    assert plan_for("dev", "nox:hpaMaxReplicas=100").outputs["dbPoolMax"] == 20


def test_parameter_group_max_connections_is_the_budgets(plan_for):
    params = plan_for("prod").one("aws:rds/parameterGroup:ParameterGroup")["inputs"]["parameters"]
    assert next(p["value"] for p in params if p["name"] == "max_connections") == str(MAX_CONNECTIONS)
