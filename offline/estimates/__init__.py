"""Estimates of a plan document: monthly cost (cost.py, prices.py), create/destroy time (timing.py).

Every function takes the plan *document* (the `--format json` dict) and returns plain JSON data,
so a saved plan estimates exactly like a live one and two estimates can be subtracted.
"""

from __future__ import annotations

from typing import Any

from . import cost, timing


def estimate(doc: dict[str, Any]) -> dict[str, Any]:
    """The document's `estimates` block (docs/plan-schema.md, "Estimates")."""
    return {"monthlyCostUsd": cost.monthly_cost(doc), **timing.estimate(doc)}
