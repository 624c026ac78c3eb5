"""`python -m offline diff BASE.json HEAD.json`: what a change to the program does to a stack.

Two saved plans (`plan --format json`) compared by URN: creates, updates, replaces (predicted from
offline/replacements.py, the provider's replace-on-change inputs) and deletes; the changed inputs per
resource (a value that is "[secret]" in either plan is reported as "changed (secret)", never shown);
the policy verdicts that are new or fixed (both plans re-evaluated with `cli.evaluate`, the path
`check` takes); the preflight verdicts when the documents carry a `preflight` section; cost and
create-time deltas from their `estimates`; and a Mermaid picture of the changed components.

Exit codes:
    0  no changes
    1  a mandatory policy or preflight violation the base did not have (in the head plan)
    2  an unreadable or invalid plan file, or a bad flag value
    3  any other failure
    4  changes, none blocking (stateful replacements are warned about, not blocking)

Markdown is made for a pull-request comment: it starts with MARKER (the workflow finds and updates
its comment by it) and stays under GitHub's 65,536-character limit: the diagram goes first, then the
changed-resource rows from the end; counts, warnings, verdicts and estimates are always kept, and the
cut says how much was left out (offline/diffreport.py).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import replacements, report

MARKER = "<!-- nox-infra-plan-diff -->"
COMMENT_LIMIT = 65_536  # characters in a GitHub issue/PR comment body
SECRET = "[secret]"
ACTIONS = ("create", "update", "replace", "delete")
MAX_DIAGRAM_NODES = 25
EXIT_NO_CHANGES, EXIT_BLOCKING, EXIT_USAGE, EXIT_FAILURE, EXIT_CHANGES = 0, 1, 2, 3, 4


class PlanFileError(Exception):
    """A plan file cannot be read or is not a plan document."""


@dataclass
class Side:
    """One plan: the document (without `preflight`), its policy violations and preflight violations."""

    doc: dict[str, Any]
    violations: list[Any]
    preflight: list[dict[str, Any]] | None = None
    estimates: dict[str, Any] = field(default_factory=dict)


def load(path: str) -> tuple[dict[str, Any], list[dict[str, Any]] | None]:
    """(document without `preflight`, the preflight violations or None when the plan has no preflight section)."""
    try:
        doc = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise PlanFileError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as err:
        raise PlanFileError(f"{path}: cannot read: {getattr(err, 'strerror', None) or err}") from None
    except ValueError as err:
        raise PlanFileError(f"{path}: not valid JSON: {err}") from None
    section = doc.pop("preflight", None) if isinstance(doc, dict) else None
    try:
        report.validate(doc)
    except report.PlanSchemaError as err:
        raise PlanFileError(f"{path}: not a plan document (docs/plan-schema.md): {err}") from None
    if section is None:
        return doc, None
    found = section.get("violations") if isinstance(section, dict) else None
    if not isinstance(found, list) or not all(isinstance(v, dict) and {"urn", "property", "constraint"} <= set(v) for v in found):
        raise PlanFileError(f"{path}: preflight.violations must be a list of objects with urn, property and constraint")
    return doc, found


# --- comparing inputs ------------------------------------------------------------------------


def flatten(value: Any, path: str = "") -> dict[str, Any]:
    """Leaves of a JSON value by path (`a.b`, `a[0].b`); lists of scalars and secrets are leaves."""
    if isinstance(value, dict) and value:
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(flatten(item, f"{path}.{key}" if path else key))
        return out
    if isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value):
        out = {}
        for i, item in enumerate(value):
            out.update(flatten(item, f"{path}[{i}]"))
        return out
    return {path: value}


def _under_secret(path: str, leaves: dict[str, Any]) -> bool:
    """Whether `path` or one of its ancestors is a secret in `leaves`."""
    return any(v == SECRET and (path == p or path.startswith((p + ".", p + "["))) for p, v in leaves.items())


def changes(token: str, before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    """Changed input leaves, each {path, before, after, secret, forcesReplacement}; secret ones carry no values."""
    old, new = flatten(before), flatten(after)
    out = []
    for path in sorted(set(old) | set(new)):
        if old.get(path, _MISSING) == new.get(path, _MISSING):
            continue
        secret = _under_secret(path, old) or _under_secret(path, new)
        item = {"path": path, "secret": secret, "forcesReplacement": replacements.forces_replacement(token, path)}
        if not secret:
            item["before"], item["after"] = old.get(path), new.get(path)
        out.append(item)
    return out


_MISSING = object()


def _provider_urn(res: dict[str, Any]) -> str | None:
    ref = res.get("provider")
    return ref.rsplit("::", 1)[0] if ref else None


def resource_change(base: dict[str, Any], head: dict[str, Any]) -> dict[str, Any] | None:
    found = changes(head["type"], base["inputs"], head["inputs"])
    reasons = [c["path"] for c in found if c["forcesReplacement"]]
    if _provider_urn(base) != _provider_urn(head):
        reasons.append("provider")
    if base["protect"] != head["protect"]:
        found.append(
            {"path": "(protect)", "secret": False, "forcesReplacement": False, "before": base["protect"], "after": head["protect"]}
        )
    if not found and not reasons:
        return None
    return {**_ident(head), "action": "replace" if reasons else "update", "changes": found, "replaceReasons": reasons}


def _ident(res: dict[str, Any]) -> dict[str, Any]:
    return {"urn": res["urn"], "type": res["type"], "name": res["name"], "protect": res["protect"]}


def resource_changes(base: dict[str, Any], head: dict[str, Any]) -> list[dict[str, Any]]:
    """Every changed resource, in head order, deletes (in base order) last."""
    old = {r["urn"]: r for r in base["resources"]}
    new = {r["urn"] for r in head["resources"]}
    out: list[dict[str, Any]] = []
    for res in head["resources"]:
        if res["urn"] not in old:
            out.append({**_ident(res), "action": "create", "changes": [], "replaceReasons": []})
        elif (change := resource_change(old[res["urn"]], res)) is not None:
            out.append(change)
    out += [{**_ident(r), "action": "delete", "changes": [], "replaceReasons": []} for r in base["resources"] if r["urn"] not in new]
    return out


def may_replace(head: dict[str, Any], changed: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Unchanged resources that depend on a replaced one through a replace-on-change reference input.

    A plan holds mock IDs that do not change when a resource is replaced, so a subnet's `vpcId` looks
    the same after its VPC is replaced; in the cloud it changes and replaces the subnet too. Followed
    transitively; reported as "may be replaced" since which input holds which reference is not known.
    """
    touched = {c["urn"] for c in changed}
    replaced = {c["urn"] for c in changed if c["action"] == "replace"}
    found: dict[str, dict[str, Any]] = {}
    grew = True
    while grew:
        grew = False
        for res in head["resources"]:
            via = sorted(set(res["dependencies"]) & replaced)
            if res["urn"] in touched or res["urn"] in found or not via or not _references(res):
                continue
            found[res["urn"]] = {**_ident(res), "via": [u.rsplit("::", 1)[-1] for u in via]}
            replaced.add(res["urn"])
            grew = True
    return list(found.values())


def _references(res: dict[str, Any]) -> bool:
    """Whether the resource sets a replace-on-change input that holds another resource's ID, ARN or name."""
    _, paths = replacements.FORCE_NEW.get(res["type"], ("", ()))
    return any(p in res["inputs"] and p.endswith(("Id", "Ids", "Arn", "Name", "role")) for p in paths)


# --- verdicts, estimates, warnings -----------------------------------------------------------


def _policy_key(v: Any) -> tuple[str, str | None]:
    return (getattr(v, "policy", "?"), getattr(v, "urn", None))


def policy_delta(base: list[Any], head: list[Any]) -> dict[str, list[dict[str, Any]]]:
    """Violations only the head has (`new`) and only the base had (`fixed`), matched by (policy, URN)."""
    old, new = {_policy_key(v) for v in base}, {_policy_key(v) for v in head}
    return {
        "new": [report.violation_dict(v) for v in head if _policy_key(v) not in old],
        "fixed": [report.violation_dict(v) for v in base if _policy_key(v) not in new],
    }


def _preflight_key(v: dict[str, Any]) -> tuple[str, str, str]:
    return (str(v["urn"]), str(v["property"]), str(v["constraint"]))


def preflight_delta(base: list[dict[str, Any]] | None, head: list[dict[str, Any]] | None) -> dict[str, Any] | None:
    if base is None and head is None:
        return None
    old, new = {_preflight_key(v) for v in base or []}, {_preflight_key(v) for v in head or []}
    return {
        "new": [v for v in head or [] if _preflight_key(v) not in old],
        "fixed": [v for v in base or [] if _preflight_key(v) not in new],
        "checked": {"base": base is not None, "head": head is not None},
    }


def _delta(old: float, new: float) -> float:
    return round(new - old, 2)


def estimates_delta(base: Side, head: Side) -> dict[str, Any]:
    old, new = base.estimates, head.estimates
    out: dict[str, Any] = {}
    money_old, money_new = old.get("monthlyCostUsd", {}), new.get("monthlyCostUsd", {})
    if money_old.get("available") and money_new.get("available"):
        a, b = money_old["total"], money_new["total"]
        out["monthlyCostUsd"] = {"base": a, "head": b, "delta": {k: _delta(a[k], b[k]) for k in ("min", "max")}}
    if "createMinutes" in old and "createMinutes" in new:
        out["createMinutes"] = {
            "base": old["createMinutes"],
            "head": new["createMinutes"],
            "delta": _delta(old["createMinutes"], new["createMinutes"]),
        }
    names = {r["urn"]: r["name"] for r in [*base.doc["resources"], *head.doc["resources"]]}
    paths = [[names.get(u, u) for u in side.get("criticalPath", [])] for side in (old, new)]
    out["criticalPath"] = {"changed": paths[0] != paths[1], "base": paths[0], "head": paths[1]}
    return out


def warnings(changed: list[dict[str, Any]], cascade: Sequence[dict[str, Any]] = ()) -> list[str]:
    """Loud lines for stateful resources replaced or deleted, and for protected ones `up` would refuse to touch."""
    out = []
    if cascade:
        names = ", ".join(f"**{c['name']}**" for c in cascade[:15]) + (f" and {len(cascade) - 15} more" if len(cascade) > 15 else "")
        out.append(
            f"{len(cascade)} more resource(s) reference a replaced resource in a replace-on-change input and may be replaced too: {names}."
        )
        out += [
            f"MAY REPLACE stateful `{c['type']}` **{c['name']}** (via {', '.join(c['via'])}): {replacements.STATEFUL[c['type']]}."
            for c in cascade
            if c["type"] in replacements.STATEFUL
        ]
    for c in changed:
        if c["action"] not in ("replace", "delete"):
            continue
        why = replacements.STATEFUL.get(c["type"])
        verb = "REPLACES" if c["action"] == "replace" else "DELETES"
        cause = f" (replace-on-change: {', '.join(c['replaceReasons'])})" if c["replaceReasons"] else ""
        if why:
            out.append(f"{verb} stateful `{c['type']}` **{c['name']}**{cause}: {why}.")
        if c["protect"]:
            out.append(f"`{c['type']}` **{c['name']}** is protected: `pulumi up` refuses to {c['action']} it until `protect` is lifted.")
    return out


# --- the diff --------------------------------------------------------------------------------


def compute(base: Side, head: Side) -> dict[str, Any]:
    """The diff as JSON data (`--format json`)."""
    changed = resource_changes(base.doc, head.doc)
    cascade = may_replace(head.doc, changed)
    counts = {a: sum(c["action"] == a for c in changed) for a in ACTIONS}
    counts["unchanged"] = len(head.doc["resources"]) - counts["create"] - counts["update"] - counts["replace"]
    policy = policy_delta(base.violations, head.violations)
    preflight = preflight_delta(base.preflight, head.preflight)
    blocking = [v for v in policy["new"] if v.get("level") == "mandatory"] + (preflight["new"] if preflight else [])
    return {
        "project": head.doc["project"],
        "stack": head.doc["stack"],
        "baseStack": base.doc["stack"],
        "counts": counts,
        "resources": changed,
        "mayReplace": cascade,
        "warnings": warnings(changed, cascade),
        "policy": policy,
        "preflight": preflight,
        "estimates": estimates_delta(base, head),
        "blocking": bool(blocking),
        "headViolations": {level: sum(v.level == level for v in head.violations) for level in ("mandatory", "advisory")},
    }


def exit_code(result: dict[str, Any]) -> int:
    if result["blocking"]:
        return EXIT_BLOCKING
    return EXIT_CHANGES if any(result["counts"][a] for a in ACTIONS) else EXIT_NO_CHANGES


# --- diagram and command ---------------------------------------------------------------------


def changed_diagram(base: Side, head: Side, result: dict[str, Any]) -> str | None:
    """Mermaid of the components holding a change (head's, plus those only the base had), or None when too big."""
    from .estimates import diagram

    urns = {c["urn"] for c in result["resources"]}
    both = {r["urn"]: r for r in [*base.doc["resources"], *head.doc["resources"]]}
    keep: set[str] = set()
    for urn in urns:
        cur = both.get(urn)
        while cur is not None and cur["urn"] not in keep:
            keep.add(cur["urn"])
            cur = both.get(cur["parent"] or "")
    subset = [r for r in both.values() if r["urn"] in keep]
    components = sum(not r["custom"] for r in subset)
    if not components or components > MAX_DIAGRAM_NODES:
        return None
    doc = {**head.doc, "resources": subset}
    return diagram.mermaid(doc, head.estimates)


def side(path: str, policy_config: dict[str, Any] | None) -> Side:
    doc, preflight = load(path)
    return side_of(doc, preflight, policy_config)


def side_of(doc: dict[str, Any], preflight: list[dict[str, Any]] | None = None, policy_config: dict[str, Any] | None = None) -> Side:
    """A plan document with its verdicts (re-evaluated, as `check` does) and estimates (its own block, else computed)."""
    from . import cli, estimates

    est = doc.get("estimates") or estimates.estimate({k: v for k, v in doc.items() if k != "estimates"})
    return Side(doc=doc, violations=cli.evaluate(doc, policy_config), preflight=preflight, estimates=est)


def title(base: Side, head: Side) -> str:
    platforms = {"nox:fleet:AppFleet": "asg", "nox:eks:Cluster": "eks"}
    kind = next((platforms[r["type"]] for r in head.doc["resources"] if r["type"] in platforms), "")
    stack = f"`{head.doc['project']}` / `{head.doc['stack']}`" + (f" ({kind})" if kind else "")
    return stack if base.doc["stack"] == head.doc["stack"] else f"{stack} (base: `{base.doc['stack']}`)"


def run(args: Any) -> int:
    """`diff BASE HEAD [BASE HEAD ...]`: see the module docstring for the exit codes."""
    from . import cli, diffreport

    if len(args.plans) % 2:
        raise cli.UsageError("diff takes pairs of plan files: BASE.json HEAD.json [BASE.json HEAD.json ...]")
    policy_config = cli._policy_config(args.policy_config)
    sections, results = [], []
    try:
        for base_path, head_path in zip(args.plans[::2], args.plans[1::2], strict=True):
            base, head = side(base_path, policy_config), side(head_path, policy_config)
            result = compute(base, head)
            results.append(result)
            sections.append((result, title(base, head), changed_diagram(base, head, result)))
    except PlanFileError as err:
        cli._err(f"error: {err}")
        return EXIT_USAGE
    appendix = [_read_append(path) for path in args.append]
    if args.format == "json":
        text = json.dumps(results[0] if len(results) == 1 else results, indent=2, ensure_ascii=False) + "\n"
    elif args.format == "markdown":
        text = diffreport.markdown(sections, appendix)
    else:
        text = "\n".join(diffreport.tree(r, t.replace("`", "")) for r, t, _ in sections)
    cli._write(text, args.output)
    codes = [exit_code(r) for r in results]
    return EXIT_BLOCKING if EXIT_BLOCKING in codes else max(codes)


def _read_append(path: str) -> str:
    from . import cli

    try:
        return Path(path).read_text()
    except (OSError, UnicodeDecodeError) as err:
        raise cli.UsageError(f"--append {path}: cannot read: {err}") from None


def add_parser(sub: Any) -> None:
    """The `diff` subcommand (offline/cli.py registers it)."""
    parser = sub.add_parser(
        "diff",
        help="compare saved plans: creates, updates, replaces, deletes, verdicts, estimates",
        description="Compare two saved `plan --format json` documents by URN (pairs may repeat: one Markdown comment for "
        "several stacks). Exit 0 no changes, 1 a new mandatory policy or preflight violation, 2 unreadable plan or bad "
        "flag, 3 other failure, 4 changes without a blocking violation.",
    )
    parser.add_argument("plans", nargs="+", metavar="BASE.json HEAD.json", help="base plan then head plan, repeatable")
    parser.add_argument("--format", choices=("tree", "json", "markdown"), default="tree", help="report format (default: tree)")
    parser.add_argument("--output", metavar="FILE", help="write the report to FILE instead of stdout")
    parser.add_argument(
        "--append", action="append", default=[], metavar="FILE", help="Markdown appended to the comment (e.g. the scan summary)"
    )
    parser.add_argument("--policy-config", metavar="FILE", help="policy pack config JSON, as for `check`")
    parser.add_argument("--debug", action="store_true", help="print the traceback of an unexpected failure")
    parser.set_defaults(func=_guarded)


def _guarded(args: Any) -> int:
    from . import cli

    try:
        return run(args)
    except cli.UsageError:
        raise
    except Exception as err:
        return cli._fail("diff failed", err, args.debug)
