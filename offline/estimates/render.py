"""The estimates section of the tree and Markdown reports: a table by component, totals, the critical path."""

from __future__ import annotations

from typing import Any

from .graph import PlanView


def _usd(value: float) -> str:
    return f"${value:,.2f}"


def _range(cost: dict[str, float] | None) -> str:
    if cost is None:
        return "-"
    return _usd(cost["min"]) if cost["min"] == cost["max"] else f"{_usd(cost['min'])} - {_usd(cost['max'])}"


def rows(doc: dict[str, Any], est: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(component, monthly cost range, ready after minutes) per top-level component, then the total."""
    money = est["monthlyCostUsd"]
    by_cost = money.get("byComponent", {}) if money.get("available") else {}
    ready = est["componentReadyMinutes"]
    names = list(dict.fromkeys([*ready, *by_cost]))
    out = [(name, _range(by_cost.get(name)) if by_cost else "-", f"{ready[name]:g}" if name in ready else "-") for name in names]
    total = _range(money["total"]) if money.get("available") else "no price table"
    return [*out, ("total", total, f"{est['createMinutes']:g}")]


def notes(doc: dict[str, Any], est: dict[str, Any]) -> list[str]:
    money, view = est["monthlyCostUsd"], PlanView(doc)
    out = []
    if not money.get("available"):
        out.append(f"Monthly cost not estimated: {money['reason']}.")
    else:
        out.append(
            f"On-demand {money['region']} prices as of {money['priceTableAsOf']}, min = autoscaled capacity at its minimum, "
            f"max = at its maximum; usage assumptions in docs/estimates.md."
        )
        if money["unpriced"]:
            out.append(
                f"Not priced ({len(money['unpriced'])}, not included): "
                + "; ".join(f"{u['name']} ({u['reason']})" for u in money["unpriced"])
            )
    path = [view.by_urn[u]["name"] for u in est["criticalPath"] if u in view.by_urn]
    out.append(f"`pulumi up` about {est['createMinutes']:g} min, `pulumi destroy` about {est['destroyMinutes']:g} min.")
    out.append("Critical path: " + " -> ".join(path))
    return out


def tree_lines(doc: dict[str, Any], est: dict[str, Any]) -> list[str]:
    table = [("Component", "Monthly USD", "Ready after (min)"), *rows(doc, est)]
    widths = [max(len(r[i]) for r in table) for i in range(3)]
    lines = [
        "    " + "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))) for r in table
    ]
    lines.insert(-1, "    " + "-" * (sum(widths) + 4))
    return ["Estimates:", *lines, *["    " + n for n in notes(doc, est)]]


def markdown_lines(doc: dict[str, Any], est: dict[str, Any]) -> list[str]:
    body = [f"| {name} | {cost} | {ready} |" for name, cost, ready in rows(doc, est)]
    body[-1] = "| **total** | **{}** | **{}** |".format(*rows(doc, est)[-1][1:])
    return [
        "### Estimates",
        "",
        "| Component | Monthly USD | Ready after (min) |",
        "| --- | ---: | ---: |",
        *body,
        "",
        *[f"- {n}" for n in notes(doc, est)],
        "",
    ]
