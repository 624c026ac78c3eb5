"""Shared fixtures: offline plans are cached per (stack, overrides) for the whole session."""

from __future__ import annotations

import functools

import pytest
from hypothesis import settings as hypothesis_settings

from offline import engine
from settings import schema

# No test is timed (performance is measured by `make bench`): hypothesis's per-example deadline
# would only turn a busy CI machine into failures.
hypothesis_settings.register_profile("nox", deadline=None)
hypothesis_settings.load_profile("nox")
# The botocore catalogues load on first use (about a second); load them once up front.
schema.ec2_instance_types(), schema.country_codes(), schema.aws_regions()


@functools.cache
def _cached_plan(stack: str, overrides: tuple[str, ...]) -> engine.Plan:
    return engine.run(stack, overrides)


@pytest.fixture(scope="session")
def plan_for():
    """plan_for("prod", "nox:platform=asg") -> engine.Plan (cached; treat as read-only)."""
    return lambda stack, *overrides: _cached_plan(stack, tuple(overrides))
