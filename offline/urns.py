"""URN baselines: a refactor must not change a resource's URN without an alias.

A real `pulumi up` treats a changed URN as a new resource: it creates the new one and deletes the
old (for a database, the data). `tests/data/urns/<stack>-<platform>.txt` holds the URNs of every
stack's plan as of the last deliberate change. The test `test_urns.py` fails when a baseline URN
is neither in today's plan nor covered by an alias, resolved as the engine resolves them: a
resource's own `aliases`, and the aliases its parents pass down to their children.

    venv/bin/python -m offline.urns            # compare every stack with its baseline (exit 1 on a loss)
    venv/bin/python -m offline.urns --write    # rewrite the baselines: only for a deliberate removal

Adding resources never needs `--write`; the baseline only has to hold what must not be lost.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from . import engine

BASELINES = Path(__file__).resolve().parent.parent / "tests" / "data" / "urns"
STACKS = tuple((stack, platform) for stack in ("dev", "staging", "prod") for platform in ("asg", "eks"))


def _split(urn: str) -> tuple[str, str, str]:
    """URN -> (prefix `urn:pulumi:<stack>::<project>`, type chain, name)."""
    head, project, chain, name = urn.split("::", 3)
    return f"{head}::{project}", chain, name


def _own_type(chain: str) -> str:
    return chain.rsplit("$", 1)[-1]


def covered(resources: Iterable[dict[str, Any]]) -> set[str]:
    """Every URN the engine would match to a resource of this plan: its URN and its aliases,
    with each parent's covered URNs passed down (the engine's alias inheritance)."""
    by_urn = {r["urn"]: r for r in resources}
    memo: dict[str, set[str]] = {}

    def of(urn: str) -> set[str]:
        if urn in memo:
            return memo[urn]
        rec = by_urn[urn]
        names = {urn, *rec.get("aliases", ())}
        parent = rec.get("parent")
        if isinstance(parent, str) and parent in by_urn:
            for old_parent in of(parent) - {parent}:
                prefix, chain, _ = _split(old_parent)
                for alias in set(names):
                    _, own_chain, name = _split(alias)
                    names.add(f"{prefix}::{chain}${_own_type(own_chain)}::{name}")
        memo[urn] = names
        return names

    return set().union(*(of(urn) for urn in by_urn)) if by_urn else set()


def baseline_path(stack: str, platform: str) -> Path:
    return BASELINES / f"{stack}-{platform}.txt"


def read_baseline(stack: str, platform: str) -> list[str]:
    return [line for line in baseline_path(stack, platform).read_text().splitlines() if line]


def lost(baseline: Iterable[str], resources: Iterable[dict[str, Any]]) -> list[str]:
    """Baseline URNs that no resource of the plan would take over: each would be deleted."""
    have = covered(resources)
    return sorted(u for u in baseline if u not in have)


def plan(stack: str, platform: str) -> engine.Plan:
    return engine.run(stack, [f"nox:platform={platform}"])


def main(argv: list[str]) -> int:
    write = argv == ["--write"]
    if argv and not write:
        print("usage: python -m offline.urns [--write]", file=sys.stderr)
        return 2
    status = 0
    for stack, platform in STACKS:
        resources = plan(stack, platform).resources
        if write:
            BASELINES.mkdir(parents=True, exist_ok=True)
            baseline_path(stack, platform).write_text("".join(f"{r['urn']}\n" for r in sorted(resources, key=lambda r: r["urn"])))
            continue
        missing = lost(read_baseline(stack, platform), resources)
        print(f"{stack}/{platform}: {len(missing)} URN(s) lost")
        for urn in missing:
            print(f"  {urn}")
        status |= bool(missing)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
