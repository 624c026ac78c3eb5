"""Evaluate the nox-security policy pack over a plan, the way `pulumi preview --policy-pack` does.

The same policy objects the pack assembles (`policies.nox_policies.ALL_POLICIES`) run over the
plan's resources, called exactly as the SDK's analyzer server calls them
(`pulumi_policy/policy.py`, `_PolicyAnalyzerServicer`):

- props: `unknown_checking_proxy(deserialize_properties(inputs))`;
- resource policies: `ResourceValidationArgs(type, props, urn, name, opts, provider, config, stack_tags)`
  per resource; stack policies: one `StackValidationArgs` of `PolicyResource`s with parent,
  dependencies, provider and `opts.protect` resolved to objects;
- enforcement level per policy: the policy-pack config (`{"name": "advisory"}`,
  `{"name": {"enforcementLevel": "disabled", ...}}`, or `"all"` for every policy), else the
  policy's own level, else the pack's (mandatory); `remediate` reports as mandatory, `disabled`
  skips; an `UnknownValueError` becomes an advisory "can't run during preview" like the engine's.

It always evaluates the plan *document* (`Plan.to_json()`, secrets already "[secret]"), so a live
run and a re-check of the saved JSON give identical results.

Interface (offline/cli.py relies on it):
    evaluate(plan: dict, config: dict | None = None) -> list[Violation]
    format_violations(violations) -> str      # grouped by enforcement level
    has_mandatory(violations) -> bool
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from inspect import isawaitable
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from policies.nox_policies import ALL_POLICIES, PACK_ENFORCEMENT_LEVEL, PACK_NAME

from .sdk import UnknownValueError, deserialize_properties, unknown_checking_proxy

LEVELS = ("mandatory", "advisory")  # the order violations are reported in


@dataclass(frozen=True)
class Violation:
    policy: str
    level: str  # mandatory | advisory
    message: str
    urn: str | None = None


class PlanError(ValueError):
    """The document is not a plan (`--format json`): the CLI exits 2."""


class PolicyConfigError(ValueError):
    """The policy-pack config names an unknown policy or level."""


# --- configuration --------------------------------------------------------------------------------


def _level(value: Any, where: str) -> EnforcementLevel:
    try:
        return EnforcementLevel(value)
    except ValueError:
        allowed = ", ".join(level.value for level in EnforcementLevel)
        raise PolicyConfigError(f"{where}: enforcement level {value!r} is not one of {allowed}") from None


def _split(entry: Any, where: str) -> tuple[EnforcementLevel | None, dict[str, Any]]:
    """A config entry: a level string, or an object with an optional enforcementLevel and properties."""
    if isinstance(entry, str):
        return _level(entry, where), {}
    if isinstance(entry, Mapping):
        props = {k: v for k, v in entry.items() if k != "enforcementLevel"}
        level = _level(entry["enforcementLevel"], where) if "enforcementLevel" in entry else None
        return level, props
    raise PolicyConfigError(f"{where}: expected a level string or an object, got {type(entry).__name__}")


def resolve(
    policies: list[Policy], config: Mapping[str, Any] | None, default: EnforcementLevel = PACK_ENFORCEMENT_LEVEL
) -> dict[str, tuple[EnforcementLevel, dict[str, Any]]]:
    """Per policy: (enforcement level, config properties), as the engine reconciles pack config."""
    config = dict(config or {})
    names = {p.name for p in policies}
    unknown = sorted(set(config) - names - {"all"})
    if unknown:
        raise PolicyConfigError(f"policy-pack config names unknown policies: {', '.join(unknown)}")
    all_level, all_props = _split(config["all"], "all") if "all" in config else (None, {})
    resolved = {}
    for policy in policies:
        level, props = _split(config[policy.name], policy.name) if policy.name in config else (None, {})
        level = level or all_level or policy.enforcement_level or default
        resolved[policy.name] = (level, {**all_props, **props})
    return resolved


# --- the plan as the engine presents it ----------------------------------------------------------


def _props(inputs: Any) -> Mapping[str, Any]:
    return unknown_checking_proxy(deserialize_properties(dict(inputs or {})))


def _options(record: Mapping[str, Any]) -> PolicyResourceOptions:
    return PolicyResourceOptions(
        protect=bool(record.get("protect")),
        ignore_changes=[],
        delete_before_replace=None,
        aliases=[],
        custom_timeouts=PolicyCustomTimeouts(0, 0, 0),
        additional_secret_outputs=[],
        parent=record.get("parent"),
    )


def _provider_urn(reference: str | None) -> str | None:
    """A provider reference is "<provider urn>::<provider id>"."""
    return reference.rsplit("::", 1)[0] if reference else None


def _records(plan: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    if not isinstance(plan, Mapping) or not isinstance(plan.get("resources"), list):
        raise PlanError("not a plan document: expected an object with a 'resources' list")
    for i, r in enumerate(plan["resources"]):
        if not isinstance(r, Mapping) or not all(isinstance(r.get(k), str) for k in ("urn", "type", "name")):
            raise PlanError(f"resources[{i}]: expected an object with string urn, type and name")
        if not isinstance(r.get("inputs", {}), Mapping) or not isinstance(r.get("dependencies", []), list):
            raise PlanError(f"resources[{i}] ({r['urn']}): inputs must be an object and dependencies a list")
    resources: list[Mapping[str, Any]] = plan["resources"]
    return resources


class _Collector:
    def __init__(self) -> None:
        self.found: list[Violation] = []

    def reporter(self, policy: Policy, level: EnforcementLevel, default_urn: str | None) -> Callable[..., None]:
        def report_violation(message: str, urn: str | None = None) -> None:
            # Resource policies always report against the resource validated (the engine ignores urn).
            where = default_urn if default_urn is not None else urn
            self.found.append(Violation(policy.name, _report_level(level), message or policy.description, where))

        return report_violation

    def unknown(self, policy: Policy, err: UnknownValueError, urn: str | None) -> None:
        self.found.append(
            Violation(
                policy.name,
                "advisory",
                f"can't run policy '{policy.name}' from policy pack '{PACK_NAME}' during preview: {err.message}",
                urn,
            )
        )


def _report_level(level: EnforcementLevel) -> str:
    return "mandatory" if level in (EnforcementLevel.MANDATORY, EnforcementLevel.REMEDIATE) else "advisory"


def _run(result: Any) -> None:
    if isawaitable(result):
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(result)
        finally:
            loop.close()


def evaluate(
    plan: Mapping[str, Any],
    config: Mapping[str, Any] | None = None,
    stack_tags: Mapping[str, str] | None = None,
    policies: list[Policy] | None = None,
) -> list[Violation]:
    """Every violation of the pack over `plan` (a `--format json` document), sorted for stable output."""
    records = _records(plan)
    policies = ALL_POLICIES if policies is None else policies
    levels = resolve(policies, config)
    tags = dict(stack_tags or {})
    by_urn = {r["urn"]: r for r in records}
    # Deserialized once per resource and shared by every policy, as the analyzer does per Analyze call.
    props_of = {r["urn"]: _props(r.get("inputs")) for r in records}

    def provider_of(record: Mapping[str, Any]) -> PolicyProviderResource | None:
        prov = by_urn.get(_provider_urn(record.get("provider")) or "")
        if prov is None:
            return None
        return PolicyProviderResource(prov["type"], props_of[prov["urn"]], prov["urn"], prov["name"])

    providers = {r["urn"]: provider_of(r) for r in records}

    collector = _Collector()
    for policy in policies:
        level, props = levels[policy.name]
        if level == EnforcementLevel.DISABLED:
            continue
        if isinstance(policy, ResourceValidationPolicy):
            for record in records:
                args = ResourceValidationArgs(
                    record["type"],
                    props_of[record["urn"]],
                    record["urn"],
                    record["name"],
                    _options(record),
                    providers[record["urn"]],
                    dict(props),
                    tags,
                )
                _validate(collector, policy, level, args, record["urn"])
        elif isinstance(policy, StackValidationPolicy):
            stack_args = StackValidationArgs(_stack_resources(records, props_of, providers), dict(props), tags)
            _validate(collector, policy, level, stack_args, None)
    return sorted(collector.found, key=lambda v: (LEVELS.index(v.level), v.policy, v.urn or "", v.message))


def _validate(
    collector: _Collector, policy: Policy, level: EnforcementLevel, args: ResourceValidationArgs | StackValidationArgs, urn: str | None
) -> None:
    try:
        _run(policy.validate(args, collector.reporter(policy, level, urn)))  # type: ignore[attr-defined]
    except UnknownValueError as err:
        collector.unknown(policy, err, urn)
    except Exception as err:  # a policy bug must show up as a failure, not pass silently or crash the report
        collector.found.append(Violation(policy.name, "mandatory", f"policy '{policy.name}' failed: {type(err).__name__}: {err}", urn))


def _stack_resources(
    records: list[Mapping[str, Any]], props_of: Mapping[str, Any], providers: Mapping[str, PolicyProviderResource | None]
) -> list[PolicyResource]:
    """PolicyResources with parent and dependencies resolved to objects, as AnalyzeStack builds them."""
    resources = {
        r["urn"]: PolicyResource(r["type"], props_of[r["urn"]], r["urn"], r["name"], _options(r), providers[r["urn"]], None, [], {})
        for r in records
    }
    for r in records:
        res = resources[r["urn"]]
        if r.get("parent") in resources:
            res.parent = resources[r["parent"]]
        res.dependencies.extend(resources[d] for d in r.get("dependencies", []) if d in resources)
    return list(resources.values())


# --- reporting ----------------------------------------------------------------------------------------


def _where(urn: str | None) -> str:
    if not urn:
        return "stack"
    head, _, name = urn.rpartition("::")
    return f"{head.rsplit('$', 1)[-1].rsplit('::', 1)[-1]} {name}"


def format_violations(violations: list[Violation]) -> str:
    """A report grouped by enforcement level (mandatory first), one violation per entry."""
    if not violations:
        return f"policy pack {PACK_NAME}: no violations"
    counts = ", ".join(f"{sum(v.level == lvl for v in violations)} {lvl}" for lvl in LEVELS if any(v.level == lvl for v in violations))
    lines = [f"policy pack {PACK_NAME}: {len(violations)} violation(s) ({counts})"]
    for level in LEVELS:
        group = [v for v in violations if v.level == level]
        if not group:
            continue
        lines += ["", f"{level} ({len(group)}):"]
        for v in group:
            lines += [f"  [{v.policy}] {_where(v.urn)}", f"      {v.message}"]
    return "\n".join(lines) + "\n"


def has_mandatory(violations: list[Violation]) -> bool:
    return any(v.level == "mandatory" for v in violations)
