"""Shared fixtures: offline plans are cached per (stack, overrides) for the whole session."""

from __future__ import annotations

import functools

import pytest

from offline import engine
from settings import schema

# The botocore catalogues load on first use (about a second); load them once here so no timed
# hypothesis example pays for them.
schema.ec2_instance_types(), schema.country_codes(), schema.aws_regions()


@functools.cache
def _cached_plan(stack: str, overrides: tuple[str, ...]) -> engine.Plan:
    return engine.run(stack, overrides)


@pytest.fixture(scope="session")
def plan_for():
    """plan_for("prod", "nox:platform=asg") -> engine.Plan (cached; treat as read-only)."""
    return lambda stack, *overrides: _cached_plan(stack, tuple(overrides))
