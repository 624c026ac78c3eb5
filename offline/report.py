"""Render an offline plan: a `pulumi preview`-like tree, the stable JSON document, Markdown.

Every renderer takes the plan *document* (the `--format json` dict, see docs/plan-schema.md), so
a saved plan renders exactly like a live one. The schema check for saved plans lives here too.
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from collections.abc import Sequence
from typing import Any

from . import estimates
from .estimates import render as estimates_render

# The JSON document: these keys, in this order (docs/plan-schema.md), then the optional ones.
# `warnings` (schema 1.1) may be absent from older saved plans; `estimates` is derived from the
# rest, written by `plan --format json` and ignored by `check`.
TOP_LEVEL_KEYS = ("project", "stack", "resources", "outputs")
OPTIONAL_KEYS = ("warnings", "preflight", "estimates")  # older plans lack any of them; see docs/plan-schema.md
PREFLIGHT_KEYS = ("checked", "skipped", "unmappedTypes", "violations")
RESOURCE_KEYS = ("urn", "type", "name", "parent", "dependencies", "provider", "protect", "custom", "inputs")
OPTIONAL_RESOURCE_KEYS = ("aliases",)  # schema 1.2; older plans lack it
STACK_TYPE = "pulumi:pulumi:Stack"
LEVEL_ORDER = ("mandatory", "advisory", "remediate", "disabled")


class PlanSchemaError(ValueError):
    """A plan document does not follow docs/plan-schema.md; the message says where."""


# --- JSON ------------------------------------------------------------------------------------


def to_json(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def with_estimates(doc: dict[str, Any]) -> dict[str, Any]:
    """The document as `plan --format json` writes it: the plan, then its `estimates` (recomputed from it)."""
    plan = {k: v for k, v in doc.items() if k != "estimates"}
    return {**plan, "estimates": estimates.estimate(plan)}


def _check_type(where: str, value: Any, kinds: tuple[type, ...], what: str) -> None:
    # bool is an int in Python: keep "a boolean" and "a string" apart.
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        raise PlanSchemaError(f"{where} must be {what}, got {json.dumps(value)[:60]}")


# Deepest nesting a plan may have; the program's deepest inputs (WAF rule statements, pod specs) stay
# under 20 levels. Deeper documents would overflow the recursive policy walks instead.
MAX_DEPTH = 64


def _depth(doc: Any) -> int:
    """Nesting depth of a JSON value, counted without recursion."""
    deepest, todo = 0, [(doc, 1)]
    while todo:
        value, depth = todo.pop()
        if isinstance(value, (dict, list)):
            deepest = max(deepest, depth)
            if depth > MAX_DEPTH:
                break
            todo.extend((v, depth + 1) for v in (value.values() if isinstance(value, dict) else value))
    return deepest


def validate(doc: Any) -> None:
    """Raise PlanSchemaError unless `doc` is a plan document (exact keys, field types, a resource graph)."""
    if _depth(doc) > MAX_DEPTH:
        raise PlanSchemaError(f"nested deeper than {MAX_DEPTH} levels: not a plan document")
    if not isinstance(doc, dict):
        raise PlanSchemaError(f"the plan must be a JSON object with keys {', '.join(TOP_LEVEL_KEYS)}")
    missing = [k for k in TOP_LEVEL_KEYS if k not in doc]
    extra = sorted(set(doc) - set(TOP_LEVEL_KEYS) - set(OPTIONAL_KEYS))
    if missing or extra:
        parts = ([f"missing {', '.join(missing)}"] if missing else []) + ([f"unexpected {', '.join(extra)}"] if extra else [])
        expected = f"expected exactly {', '.join(TOP_LEVEL_KEYS)}, optionally {', '.join(OPTIONAL_KEYS)}"
        raise PlanSchemaError(f"top-level keys: {'; '.join(parts)} ({expected})")
    if "estimates" in doc:
        _check_type("estimates", doc["estimates"], (dict,), "an object")
    _check_type("project", doc["project"], (str,), "a string")
    _check_type("stack", doc["stack"], (str,), "a string")
    _check_type("resources", doc["resources"], (list,), "a list")
    _check_type("outputs", doc["outputs"], (dict,), "an object")
    _check_type("warnings", doc.get("warnings", []), (list,), "a list of strings")
    for i, warning in enumerate(doc.get("warnings", [])):
        _check_type(f"warnings[{i}]", warning, (str,), "a string")
    for i, res in enumerate(doc["resources"]):
        where = f"resources[{i}]"
        _check_type(where, res, (dict,), "an object")
        missing = [k for k in RESOURCE_KEYS if k not in res]
        extra = sorted(set(res) - set(RESOURCE_KEYS) - set(OPTIONAL_RESOURCE_KEYS))
        if missing or extra:
            parts = ([f"missing {', '.join(missing)}"] if missing else []) + ([f"unexpected {', '.join(extra)}"] if extra else [])
            raise PlanSchemaError(f"{where}: {'; '.join(parts)}")
        for key in ("urn", "type", "name"):
            _check_type(f"{where}.{key}", res[key], (str,), "a string")
        for key in ("parent", "provider"):
            _check_type(f"{where}.{key}", res[key], (str, type(None)), "a string or null")
        for key in ("protect", "custom"):
            _check_type(f"{where}.{key}", res[key], (bool,), "a boolean")
        _check_type(f"{where}.dependencies", res["dependencies"], (list,), "a list of URNs")
        _check_type(f"{where}.aliases", res.get("aliases", []), (list,), "a list of URNs")
        for j, dep in enumerate(res["dependencies"]):
            _check_type(f"{where}.dependencies[{j}]", dep, (str,), "a URN string")
        _check_type(f"{where}.inputs", res["inputs"], (dict,), "an object")
    if "preflight" in doc:
        _validate_preflight(doc["preflight"])
    _check_graph(doc)


def _validate_preflight(section: Any) -> None:
    _check_type("preflight", section, (dict,), "an object")
    if sorted(section) != sorted(PREFLIGHT_KEYS):
        raise PlanSchemaError(f"preflight: keys must be exactly {', '.join(PREFLIGHT_KEYS)}")
    _check_type("preflight.checked", section["checked"], (int,), "an integer")
    _check_type("preflight.skipped", section["skipped"], (dict,), "an object")
    for key in ("unknown", "secret"):
        _check_type(f"preflight.skipped.{key}", section["skipped"].get(key), (int,), "an integer")
    _check_type("preflight.unmappedTypes", section["unmappedTypes"], (list,), "a list of type tokens")
    _check_type("preflight.violations", section["violations"], (list,), "a list")
    for i, item in enumerate(section["violations"]):
        _check_type(f"preflight.violations[{i}]", item, (dict,), "an object")


def _check_graph(doc: dict[str, Any]) -> None:
    """A plan with no resources, a URN twice or a parent that is not in the plan is not one the program made."""
    if not doc["resources"]:
        raise PlanSchemaError("resources is empty: a plan of this program always registers resources")
    seen: set[str] = set()
    for i, res in enumerate(doc["resources"]):
        if res["urn"] in seen:
            raise PlanSchemaError(f"resources[{i}].urn {json.dumps(res['urn'])[:120]} appears twice")
        seen.add(res["urn"])
    known = seen | {stack_urn(doc)}
    for i, res in enumerate(doc["resources"]):
        if res["parent"] is not None and res["parent"] not in known:
            raise PlanSchemaError(f"resources[{i}].parent {json.dumps(res['parent'])[:120]} is not a resource of this plan")


# --- summaries -------------------------------------------------------------------------------


def stack_urn(doc: dict[str, Any]) -> str:
    return f"urn:pulumi:{doc['stack']}::{doc['project']}::{STACK_TYPE}::{doc['project']}-{doc['stack']}"


def counts_by_type(doc: dict[str, Any]) -> list[tuple[str, int]]:
    """(type, count), most frequent first; the root stack counted as `pulumi preview` counts it."""
    counts = Counter(r["type"] for r in doc["resources"])
    counts[STACK_TYPE] += 1
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def total(doc: dict[str, Any]) -> int:
    return len(doc["resources"]) + 1  # + the root stack, as `pulumi preview` counts


def _tree_rows(doc: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(prefix + type, name, plan, info) per resource, depth-first by parent, registration order."""
    root = stack_urn(doc)
    urns = {r["urn"] for r in doc["resources"]}
    children: dict[str, list[dict[str, Any]]] = {}
    for res in doc["resources"]:
        parent = res["parent"] if res["parent"] in urns else root
        children.setdefault(parent, []).append(res)
    rows = [(STACK_TYPE, f"{doc['project']}-{doc['stack']}", "create", "")]

    def walk(urn: str, indent: str) -> None:
        kids = children.get(urn, [])
        for i, res in enumerate(kids):
            last = i == len(kids) - 1
            rows.append((f"{indent}{'└─' if last else '├─'} {res['type']}", res["name"], "create", "protected" if res["protect"] else ""))
            walk(res["urn"], indent + ("   " if last else "│  "))

    walk(root, "")
    return rows


def _table(rows: Sequence[tuple[str, ...]], lead: str) -> list[str]:
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    return [(lead + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True))).rstrip() for row in rows]


def _output_value(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


# --- tree (like `pulumi preview`) ------------------------------------------------------------


def tree_lines(doc: dict[str, Any]) -> list[str]:
    rows = [("Type", "Name", "Plan", "Info")] + _tree_rows(doc)
    table = _table(rows, "")
    return ["     " + table[0]] + [" +   " + line for line in table[1:]]


def tree(doc: dict[str, Any]) -> str:
    out = [f"Previewing update ({doc['stack']})", "", *tree_lines(doc), ""]
    if doc["outputs"]:
        out.append("Outputs:")
        width = max(len(k) for k in doc["outputs"])
        out += [f"    {k + ':':<{width + 1}} {_output_value(v)}" for k, v in doc["outputs"].items()]
        out.append("")
    out += warning_lines(doc)
    protected = sum(r["protect"] for r in doc["resources"])
    out += ["Resources:", f"    + {total(doc)} to create" + (f" ({protected} protected)" if protected else ""), ""]
    out.append("By type:")
    rows = [(t, str(n)) for t, n in counts_by_type(doc)] + [("total", str(total(doc)))]
    width = max(len(t) for t, _ in rows)
    count_width = max(len(n) for _, n in rows)
    for t, n in rows:
        if t == "total":
            out.append("    " + "-" * (width + 2 + count_width))
        out.append(f"    {t:<{width}}  {n:>{count_width}}")
    out += ["", *estimates_render.tree_lines(doc, estimates.estimate(doc))]
    return "\n".join(out) + "\n"


def warning_lines(doc: dict[str, Any]) -> list[str]:
    """The plan's warnings (e.g. an EKS version near the end of standard support); none: no lines."""
    warnings = doc.get("warnings") or []
    return ["Warnings:", *[f"    warning: {w}" for w in warnings], ""] if warnings else []


# --- AWS API preflight (offline/preflight) -----------------------------------------------------


def preflight_summary(section: dict[str, Any]) -> str:
    found = section["violations"]
    status = "passed" if not found else f"{len(found)} violation(s)"
    return (
        f"AWS API preflight {status}: {section['checked']} value(s) checked, "
        f"{section['skipped']['unknown']} unknown and {section['skipped']['secret']} secret skipped"
    )


def _preflight_line(v: dict[str, Any]) -> str:
    return f"{v['type']} {v['name']}: {v['path']} = {v['value']}: {v['constraint']} [{v['origin']}: {v['source']}]"


def preflight_tree(section: dict[str, Any]) -> str:
    lines = [f"    {_preflight_line(v)}" for v in section["violations"]]
    if section["unmappedTypes"]:
        lines.append("    not checked (no mapping): " + ", ".join(section["unmappedTypes"]))
    return "\n".join([preflight_summary(section), *lines]) + "\n"


def _preflight_markdown(doc: dict[str, Any]) -> list[str]:
    section = doc.get("preflight")
    if section is None:
        return []
    out = ["### AWS API preflight", "", preflight_summary(section) + ".", ""]
    if section["violations"]:
        out += ["| Resource | Property | Value | Constraint | Source |", "| --- | --- | --- | --- | --- |"]
        out += [
            f"| `{v['type']}` **{_md(v['name'])}** | `{_md(v['path'])}` | `{_md(v['value'])}` | {_md(v['constraint'])} "
            f"| {_md(v['origin'])}: {_md(v['source'])} |"
            for v in section["violations"]
        ]
        out.append("")
    if section["unmappedTypes"]:
        out += ["Not checked (no mapping): " + ", ".join(f"`{t}`" for t in section["unmappedTypes"]), ""]
    return out


# --- policy results --------------------------------------------------------------------------


def violation_dict(violation: Any) -> dict[str, Any]:
    if dataclasses.is_dataclass(violation) and not isinstance(violation, type):
        return dataclasses.asdict(violation)
    return dict(vars(violation))


def _by_level(violations: list[Any]) -> list[tuple[str, list[Any]]]:
    groups: dict[str, list[Any]] = {}
    for v in violations:
        groups.setdefault(str(getattr(v, "level", "mandatory")), []).append(v)
    order = {level: i for i, level in enumerate(LEVEL_ORDER)}
    return sorted(groups.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0]))


def _md(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _policy_markdown(doc: dict[str, Any], violations: list[Any]) -> list[str]:
    out = ["### Policy results", ""]
    if not violations:
        return out + ["No violations: every policy of the pack passed.", ""]
    by_urn = {r["urn"]: r for r in doc["resources"]}
    for level, items in _by_level(violations):
        out += [f"**{level.capitalize()}** ({len(items)})", ""]
        for v in items:
            res = by_urn.get(getattr(v, "urn", None) or "")
            where = f" on `{res['type']}` **{res['name']}**" if res else " (stack)"
            out.append(f"- `{getattr(v, 'policy', '?')}`{where}: {_md(getattr(v, 'message', ''))}")
        out.append("")
    return out


def policy_summary(violations: list[Any]) -> str:
    if not violations:
        return "no policy violations"
    return ", ".join(f"{len(items)} {level}" for level, items in _by_level(violations)) + " policy violation(s)"


# --- Markdown (pull-request comments) --------------------------------------------------------


def markdown(doc: dict[str, Any], violations: list[Any]) -> str:
    mandatory = sum(getattr(v, "level", "") == "mandatory" for v in violations)
    failed = mandatory or bool((doc.get("preflight") or {}).get("violations"))
    status = "❌" if failed else ("⚠️" if violations else "✅")
    protected = [r for r in doc["resources"] if r["protect"]]
    out = [
        f"## Offline plan: `{doc['project']}` / `{doc['stack']}`",
        "",
        f"{status} **+{total(doc)} to create** · {len(protected)} protected · {policy_summary(violations)}",
        "",
        "| Type | Count |",
        "| --- | ---: |",
        *[f"| `{t}` | {n} |" for t, n in counts_by_type(doc)],
        f"| **Total** | **{total(doc)}** |",
        "",
        "<details>",
        f"<summary>Resource tree ({total(doc)} resources)</summary>",
        "",
        "```text",
        *tree_lines(doc),
        "```",
        "",
        "</details>",
        "",
        "### Protected resources",
        "",
    ]
    if protected:
        out += [f"- `{r['type']}` **{r['name']}**" for r in protected]
    else:
        out.append("None: nothing in this stack has `protect` set.")
    out.append("")
    if doc.get("warnings"):
        out += ["### Warnings", "", *[f"- ⚠️ {_md(w)}" for w in doc["warnings"]], ""]
    out += _preflight_markdown(doc)
    out += estimates_render.markdown_lines(doc, estimates.estimate(doc))
    out += _policy_markdown(doc, violations)
    if doc["outputs"]:
        out += [
            "<details>",
            "<summary>Stack outputs</summary>",
            "",
            "| Output | Value |",
            "| --- | --- |",
            *[f"| `{k}` | `{_md(_output_value(v))}` |" for k, v in doc["outputs"].items()],
            "",
            "</details>",
            "",
        ]
    out.append("_Offline plan under Pulumi's mock engine: no cloud state, so every resource shows as `create`._")
    return "\n".join(out) + "\n"
