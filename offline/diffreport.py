"""Render an offline plan diff (offline/diff.py): text for a terminal, Markdown for a pull-request comment.

The Markdown of one or more stacks is one comment: MARKER first, then a section per stack, then any
appended Markdown (the scanner summary). It is cut to fit COMMENT_LIMIT: every section keeps its
counts, warnings, verdicts and estimates; the diagrams go first, then the rows of the changed
resources from the end, and each cut says how many rows (and characters) were left out.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from .diff import ACTIONS, COMMENT_LIMIT, MARKER

SYMBOL = {"create": "+", "update": "~", "replace": "+-", "delete": "-"}
MAX_VALUE = 80
MAX_LIST = 50  # warnings / verdicts listed per section before "and N more"


def _value(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


def change_text(change: dict[str, Any]) -> str:
    if change["secret"]:
        text = f"{change['path']}: changed (secret)"
    else:
        text = f"{change['path']}: {_value(change['before'])} => {_value(change['after'])}"
    return text + (" (forces replacement)" if change["forcesReplacement"] else "")


def counts_line(result: dict[str, Any]) -> str:
    c = result["counts"]
    return " · ".join(f"{c[a]} to {a}" for a in ACTIONS) + f" · {c['unchanged']} unchanged"


def _estimate_lines(result: dict[str, Any]) -> list[str]:
    est, out = result["estimates"], []
    if "monthlyCostUsd" in est:
        m = est["monthlyCostUsd"]
        out.append(
            f"Monthly cost: ${m['base']['min']:,.2f} - ${m['base']['max']:,.2f} → ${m['head']['min']:,.2f} - ${m['head']['max']:,.2f} "
            f"(Δ {m['delta']['min']:+,.2f} / {m['delta']['max']:+,.2f} USD)"
        )
    if "createMinutes" in est:
        t = est["createMinutes"]
        out.append(f"`pulumi up` from scratch: {t['base']:g} → {t['head']:g} min (Δ {t['delta']:+g})")
    path = est.get("criticalPath", {})
    if path.get("changed"):
        out.append("Critical path changed: " + " → ".join(path["head"]))
    return out


def _verdict_lines(result: dict[str, Any]) -> list[str]:
    out = []
    for kind in ("new", "fixed"):
        for v in result["policy"][kind]:
            where, message = _name(v.get("urn")), _md(v.get("message", ""))
            out.append(f"{kind.capitalize()} {v.get('level', '')} policy `{v.get('policy')}` on `{where}`: {message}")
    for kind in ("new", "fixed"):
        for v in (result.get("preflight") or {}).get(kind, []):
            where = f"`{_name(v['urn'])}` `{v['property']}`"
            out.append(f"{kind.capitalize()} preflight violation on {where}: {_md(v['constraint'])}")
    return out


def _name(urn: str | None) -> str:
    return urn.rsplit("::", 1)[-1] if urn else "(stack)"


def _md(text: Any) -> str:
    """Plain text safe inside a Markdown table cell or list item (no HTML, no pipes, no code-span breaks)."""
    return " ".join(str(text).split()).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|").replace("`", "'")


def _code(text: str) -> str:
    """Text for a code span in a table cell: HTML shows literally there; only pipes and backticks need care."""
    return " ".join(text.split()).replace("`", "'").replace("|", "\\|")


def _capped(lines: list[str], what: str) -> list[str]:
    extra = len(lines) - MAX_LIST
    return lines[:MAX_LIST] + ([f"- … and {extra} more {what}"] if extra > 0 else [])


def essentials(result: dict[str, Any], title: str) -> list[str]:
    status = "❌" if result["blocking"] else ("⚠️" if result["warnings"] else "✅")
    out = [f"## {status} {title}", "", f"**{counts_line(result)}**", ""]
    if result["warnings"]:
        out += ["> [!WARNING]", *[f"> - {w}" for w in _capped(result["warnings"], "warnings")], ""]
    verdicts = _verdict_lines(result)
    out += [
        "**Policy and preflight:** " + ("no new or fixed verdicts." if not verdicts else ""),
        *_capped([f"- {v}" for v in verdicts], "verdicts"),
        "",
    ]
    if result.get("preflight") is None:
        out += ["_No preflight section in these plans._", ""]
    out += [*[f"- {line}" for line in _estimate_lines(result)], ""]
    return out


def resource_rows(result: dict[str, Any]) -> list[str]:
    rows = []
    for c in result["resources"]:
        cell = "<br>".join(f"`{_code(change_text(ch))}`" for ch in c["changes"]) or "-"
        rows.append(f"| {SYMBOL[c['action']]} {c['action']} | `{c['type']}` | **{_md(c['name'])}** | {cell} |")
    return rows


def section(result: dict[str, Any], title: str, budget: int, diagram: str | None = None) -> str:
    """One stack's Markdown, at most `budget` characters (the essentials always, even if over)."""
    if not result["resources"] and not _verdict_lines(result):
        return f"## ✅ {title}\n\nNo changes: {counts_line(result)}.\n\n"
    head = "\n".join(essentials(result, title)) + "\n"
    rows = resource_rows(result)
    if not rows:
        return head
    table_head = (
        f"<details>\n<summary>Changed resources ({len(rows)})</summary>\n\n"
        "| Action | Type | Name | Changed inputs |\n| --- | --- | --- | --- |\n"
    )
    tail = "\n</details>\n\n"
    pic = f"<details>\n<summary>Changed components</summary>\n\n```mermaid\n{diagram}```\n\n</details>\n\n" if diagram else ""
    full = head + table_head + "\n".join(rows) + "\n" + tail + pic
    if len(full) <= budget:
        return full
    room = budget - len(head) - len(table_head) - len(tail) - 200  # 200: the truncation note
    kept: list[str] = []
    for row in rows:
        if sum(len(r) + 1 for r in kept) + len(row) + 1 > room:
            break
        kept.append(row)
    left = len(rows) - len(kept)
    chars = sum(len(r) + 1 for r in rows[len(kept) :]) + len(pic)
    note = (
        f"\n_… {left} more changed resource(s) and the diagram left out ({chars:,} characters) "
        "to fit a GitHub comment: see the workflow artifact._\n"
    )
    return head + table_head + "\n".join(kept) + ("\n" if kept else "") + note + tail


def markdown(sections: list[tuple[dict[str, Any], str, str | None]], appendix: Sequence[str] = (), limit: int = COMMENT_LIMIT) -> str:
    """The whole comment: (result, title, diagram) per stack, then the appended Markdown, within `limit`."""
    top = (
        f"{MARKER}\n# Offline plan diff\n\n"
        + "\n".join(f"- {title}: {counts_line(r)}" + (" ❌" if r["blocking"] else "") for r, title, _ in sections)
        + "\n\n"
    )
    footer = (
        "_Offline plans under Pulumi's mock engine (`python -m offline diff`): replacements are predicted "
        "from the provider's replace-on-change inputs (offline/replacements.py)._\n"
    )
    extra = "".join(a if a.endswith("\n") else a + "\n" for a in appendix)
    extra_budget = min(len(extra), (limit - len(top) - len(footer)) // 4)
    if len(extra) > extra_budget:
        cut = f"\n_… {len(extra) - extra_budget + 120:,} characters of the appended report left out._\n"
        extra = extra[: max(0, extra_budget - 120)] + cut
    budget = (limit - len(top) - len(footer) - len(extra)) // max(1, len(sections))
    body = "".join(section(r, title, budget, diagram) for r, title, diagram in sections)
    return top + body + extra + "\n" + footer


def tree(result: dict[str, Any], title: str) -> str:
    out = [f"Diff of {title}: {counts_line(result)}", ""]
    for c in result["resources"]:
        out.append(f" {SYMBOL[c['action']]:>2} {c['type']}  {c['name']}")
        out += [f"        {change_text(ch)}" for ch in c["changes"]]
    if result["warnings"]:
        out += ["", "Warnings:", *[f"    {w.replace('**', '').replace('`', '')}" for w in result["warnings"]]]
    verdicts = _verdict_lines(result)
    out += ["", "Policy and preflight:", *([f"    {v.replace('`', '')}" for v in verdicts] or ["    no new or fixed verdicts"])]
    est = _estimate_lines(result)
    if est:
        out += ["", "Estimates:", *[f"    {line.replace('`', '')}" for line in est]]
    return "\n".join(out) + "\n"
