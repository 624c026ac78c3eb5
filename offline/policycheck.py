"""STUB (replaced by the policy-pack issue): evaluate the policy pack over a plan's resources.

Interface the CLI relies on:
    evaluate(plan: dict) -> list[Violation]   # plan is the `--format json` document
    format_violations(violations) -> str      # grouped by enforcement level
    has_mandatory(violations) -> bool
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Violation:
    policy: str
    level: str  # mandatory | advisory
    message: str
    urn: str | None = None


def evaluate(plan: dict[str, Any]) -> list[Violation]:
    return []


def format_violations(violations: list[Violation]) -> str:
    return "policy pack nox-security: no violations" if not violations else "\n".join(v.message for v in violations)


def has_mandatory(violations: list[Violation]) -> bool:
    return any(v.level == "mandatory" for v in violations)
