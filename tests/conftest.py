"""Shared fixtures: offline plans are cached per (stack, overrides) for the whole session."""

from __future__ import annotations

import functools

import pytest

from offline import engine


@functools.cache
def _cached_plan(stack: str, overrides: tuple[str, ...]) -> engine.Plan:
    return engine.run(stack, overrides)


@pytest.fixture(scope="session")
def plan_for():
    """plan_for("prod", "nox:platform=asg") -> engine.Plan (cached; treat as read-only)."""
    return lambda stack, *overrides: _cached_plan(stack, tuple(overrides))
