"""Pictures of a plan: the component tree and the dependencies between components, critical path highlighted.

`mermaid` renders natively in GitHub Markdown; `dot` is Graphviz. Both are drawn from the plan
document and its estimates, so a saved plan draws exactly like a live one.
"""

from __future__ import annotations

import re
from typing import Any

from .graph import PlanView

CRITICAL_COLOUR = "#d62728"


def _components(view: PlanView) -> list[dict[str, Any]]:
    return [r for r in view.resources if not r["custom"]]


def _owner(view: PlanView, urn: str) -> str | None:
    """URN of the innermost component that holds `urn` (itself if it is one), None at the top level."""
    cur = view.by_urn.get(urn)
    while cur is not None and cur["custom"]:
        cur = view.by_urn.get(cur["parent"] or "")
    return None if cur is None else cur["urn"]


def component_edges(view: PlanView) -> list[tuple[str, str]]:
    """(needed, needing) pairs of component URNs: some resource of the second depends on one of the first."""
    edges: set[tuple[str, str]] = set()
    for res in view.resources:
        mine = _owner(view, res["urn"])
        for dep in res["dependencies"]:
            theirs = _owner(view, dep)
            if mine and theirs and mine != theirs and not _contains(view, theirs, mine) and not _contains(view, mine, theirs):
                edges.add((theirs, mine))
    return sorted(edges)


def _contains(view: PlanView, outer: str, inner: str) -> bool:
    cur = view.by_urn.get(inner)
    while cur is not None:
        if cur["urn"] == outer:
            return True
        cur = view.by_urn.get(cur["parent"] or "")
    return False


def critical_components(view: PlanView, path: list[str]) -> list[str]:
    """The components the critical path runs through, in order (consecutive repeats merged)."""
    out: list[str] = []
    for urn in path:
        owner = _owner(view, urn)
        if owner and (not out or out[-1] != owner):
            out.append(owner)
    return out


def _label(view: PlanView, urn: str, est: dict[str, Any]) -> list[str]:
    res = view.by_urn[urn]
    lines = [res["name"], res["type"]]
    money = est.get("monthlyCostUsd", {})
    if money.get("available"):
        cost = money["byComponent"].get(res["name"])
        if cost and view.component(urn) == res["name"]:
            lines.append(_range(cost))
    ready = est.get("componentReadyMinutes", {}).get(res["name"])
    if ready is not None:
        lines.append(f"ready after {ready:g} min")
    return lines


def _range(cost: dict[str, float]) -> str:
    low, high = round(cost["min"]), round(cost["max"])
    return f"${low:,}/mo" if low == high else f"${low:,}-{high:,}/mo"


def _node_id(view: PlanView, urn: str) -> str:
    return "c_" + re.sub(r"\W", "_", view.by_urn[urn]["name"])  # prefixed: `end` is a Mermaid keyword


def _critical_edges(view: PlanView, est: dict[str, Any]) -> set[tuple[str, str]]:
    chain = critical_components(view, est.get("criticalPath", []))
    return set(zip(chain, chain[1:], strict=False))


def _children(view: PlanView, parent: str | None) -> list[dict[str, Any]]:
    """The components drawn directly inside `parent` (None: the stack), in plan order."""
    return [c for c in _components(view) if _owner(view, c["parent"] or "") == parent]


def mermaid(doc: dict[str, Any], est: dict[str, Any]) -> str:
    view = PlanView(doc)
    critical = set(critical_components(view, est.get("criticalPath", [])))
    out = ["flowchart LR"]

    def emit(parent: str | None, indent: str) -> None:
        for comp in _children(view, parent):
            node, label = _node_id(view, comp["urn"]), "<br/>".join(_label(view, comp["urn"], est))
            if _children(view, comp["urn"]):
                out.append(f'{indent}subgraph {node}["{label}"]')
                emit(comp["urn"], indent + "  ")
                out.append(f"{indent}end")
            else:
                out.append(f'{indent}{node}["{label}"]' + (":::critical" if comp["urn"] in critical else ""))

    out.append(f'  subgraph stack["{doc["project"]}-{doc["stack"]}"]')
    emit(None, "    ")
    out.append("  end")
    crit_edges, styled = _critical_edges(view, est), []
    for i, (a, b) in enumerate(component_edges(view)):
        out.append(f"  {_node_id(view, a)} --> {_node_id(view, b)}")
        if (a, b) in crit_edges:
            styled.append(str(i))
    out.append(f"  classDef critical stroke:{CRITICAL_COLOUR},stroke-width:3px")
    if styled:
        out.append(f"  linkStyle {','.join(styled)} stroke:{CRITICAL_COLOUR},stroke-width:3px")
    return "\n".join(out) + "\n"


def dot(doc: dict[str, Any], est: dict[str, Any]) -> str:
    view = PlanView(doc)
    critical = set(critical_components(view, est.get("criticalPath", [])))
    out = [
        f'digraph "{doc["project"]}-{doc["stack"]}" {{',
        "  rankdir=LR;",
        '  node [shape=box, style=rounded, fontname="Helvetica"];',
        f'  subgraph cluster_stack {{ label="{doc["project"]}-{doc["stack"]}";',
    ]

    def emit(parent: str | None, indent: str) -> None:
        for comp in _children(view, parent):
            node, label = _node_id(view, comp["urn"]), "\\n".join(_label(view, comp["urn"], est))
            if _children(view, comp["urn"]):
                out.append(f'{indent}subgraph cluster_{node} {{ label="{label}";')
                emit(comp["urn"], indent + "  ")
                out.append(f"{indent}}}")
            else:
                style = f', color="{CRITICAL_COLOUR}", penwidth=3' if comp["urn"] in critical else ""
                out.append(f'{indent}{node} [label="{label}"{style}];')

    emit(None, "    ")
    out.append("  }")
    crit_edges = _critical_edges(view, est)
    for a, b in component_edges(view):
        style = f' [color="{CRITICAL_COLOUR}", penwidth=3]' if (a, b) in crit_edges else ""
        out.append(f"  {_node_id(view, a)} -> {_node_id(view, b)}{style};")
    out.append("}")
    return "\n".join(out) + "\n"
