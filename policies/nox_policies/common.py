"""Shared helpers: plain values out of the engine's proxies, unknown values, environment, policy builders.

Every validator receives the resource's properties wrapped the way the analyzer wraps them
(`deserialize_properties` + `unknown_checking_proxy`). Touching an unknown value through the proxy
raises `UnknownValueError` and the engine would turn the *whole* policy into an advisory "can't run
during preview". Instead, `plain()` copies the properties once into dicts and lists with the
`UNKNOWN` marker in place of each unknown value, so each check can decide for itself: a value that
is unknown in a preview is skipped by the check that reads it (it is computed from another resource
and the policy runs again, on known values, during `pulumi up`); the other checks still run.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pulumi_policy import (
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import _is_unknown
from pulumi_policy.secret import Secret


class _Unknown:
    """A value the engine cannot know yet (first preview, computed from another resource)."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()

REQUIRED_TAGS = ("Project", "Environment", "ManagedBy", "Owner", "CostCenter")
PROD = "prod"


# --- values ------------------------------------------------------------------------------------


def plain(value: Any) -> Any:
    """Proxied engine value -> plain dicts/lists, each unknown replaced by UNKNOWN, secrets unwrapped.

    Reads the proxies' targets directly, so no `UnknownValueError` is raised here.
    """
    if isinstance(value, Secret):
        return plain(value.value)
    if isinstance(value, Mapping):
        target = value if isinstance(value, dict) else _target(value)
        return {k: plain(target[k]) for k in target}
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        target = value if isinstance(value, (list, tuple)) else _target(value)
        return [plain(v) for v in target]
    if _is_unknown(value):
        return UNKNOWN
    return value


def _target(proxy: Any) -> Any:
    """What an SDK proxy (unknown-checking or secrets-preserving) wraps; other containers as they are."""
    try:
        return proxy["__target"]
    except (KeyError, IndexError, TypeError):
        return proxy


def get(value: Any, *path: str | int) -> Any:
    """value[path0][path1]...: None when a step is missing, UNKNOWN when a step is unknown."""
    for step in path:
        if value is UNKNOWN:
            return UNKNOWN
        if isinstance(value, dict):
            value = value.get(step) if isinstance(step, str) else None
        elif isinstance(value, list) and isinstance(step, int):
            value = value[step] if -len(value) <= step < len(value) else None
        else:
            return None
    return value


def items(value: Any) -> list[Any]:
    """A list property as a list ([] when absent or unknown: callers check for UNKNOWN first where it matters)."""
    return value if isinstance(value, list) else []


def is_true(value: Any) -> bool:
    """Booleans arrive as bools, or as strings for some schemas (e.g. launch template EBS `encrypted`)."""
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def is_false(value: Any) -> bool:
    return value is False or (isinstance(value, str) and value.strip().lower() == "false")


def as_int(value: Any) -> int | None:
    """Numbers arrive as floats from the engine (protobuf) or as strings; None when not a number."""
    if isinstance(value, bool) or value is None or value is UNKNOWN:
        return None
    if isinstance(value, (int, float)):
        return int(value)
    if isinstance(value, str):
        try:
            return int(float(value.strip()))
        except ValueError:
            return None
    return None


def as_json(value: Any) -> Any:
    """A JSON document given as a string (policy documents, provider config) or already parsed."""
    if value is UNKNOWN or isinstance(value, (dict, list)):
        return value
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return None


def as_list(value: Any) -> list[Any]:
    """IAM-style "one or many": a scalar becomes a one-element list."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def has_unknown(value: Any) -> bool:
    """Whether any part of a value is not known yet (then something "missing" may be there)."""
    if value is UNKNOWN:
        return True
    if isinstance(value, dict):
        return any(has_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(has_unknown(v) for v in value)
    return False


def blank(value: Any) -> bool:
    """Not set: None, empty string or empty collection (UNKNOWN is not blank: it will be set)."""
    return value is None or value == "" or value == [] or value == {}


# --- resources and stacks ------------------------------------------------------------------------


@dataclass
class Res:
    """One resource as the validators see it: plain props, options, provider and graph edges."""

    type: str
    name: str
    urn: str
    props: dict[str, Any]
    protect: bool = False
    provider_type: str | None = None
    provider_props: dict[str, Any] = field(default_factory=dict)
    parent: str | None = None
    dependencies: list[str] = field(default_factory=list)
    stack_tags: Mapping[str, str] = field(default_factory=dict)

    def get(self, *path: str | int) -> Any:
        return get(self.props, *path)

    @property
    def label(self) -> str:
        return f"{self.type.rsplit(':', 1)[-1]} '{self.name}'"


def res_from_args(args: ResourceValidationArgs) -> Res:
    provider = args.provider
    return Res(
        type=args.resource_type,
        name=args.name,
        urn=args.urn,
        props=plain(args.props),
        protect=bool(getattr(args.opts, "protect", False)),
        provider_type=provider.resource_type if provider else None,
        provider_props=plain(provider.props) if provider else {},
        parent=getattr(args.opts, "parent", None),
        stack_tags=dict(args.stack_tags or {}),
    )


def res_from_policy_resource(r: PolicyResource, stack_tags: Mapping[str, str]) -> Res:
    provider = r.provider
    parent = r.parent.urn if r.parent is not None else getattr(r.opts, "parent", None)
    return Res(
        type=r.resource_type,
        name=r.name,
        urn=r.urn,
        props=plain(r.props),
        protect=bool(getattr(r.opts, "protect", False)),
        provider_type=provider.resource_type if provider else None,
        provider_props=plain(provider.props) if provider else {},
        parent=parent,
        dependencies=[d.urn for d in (r.dependencies or [])],
        stack_tags=dict(stack_tags or {}),
    )


class Stack:
    """The whole stack as a graph: resources by URN, by type, and who depends on whom."""

    def __init__(self, resources: Iterable[Res], stack_tags: Mapping[str, str] | None = None):
        self.resources = list(resources)
        self.stack_tags = dict(stack_tags or {})
        self.by_urn = {r.urn: r for r in self.resources}
        self._dependents: dict[str, list[Res]] = {}
        for r in self.resources:
            for d in r.dependencies:
                self._dependents.setdefault(d, []).append(r)

    @classmethod
    def from_args(cls, args: StackValidationArgs) -> Stack:
        tags = dict(args.stack_tags or {})
        return cls((res_from_policy_resource(r, tags) for r in args.resources), tags)

    def of_type(self, *types: str) -> list[Res]:
        return [r for r in self.resources if r.type in types]

    def dependencies_of(self, r: Res, *types: str) -> list[Res]:
        found = [self.by_urn[d] for d in r.dependencies if d in self.by_urn]
        return [x for x in found if not types or x.type in types]

    def dependents_of(self, r: Res, *types: str) -> list[Res]:
        return [x for x in self._dependents.get(r.urn, []) if not types or x.type in types]

    @property
    def environment(self) -> str | None:
        return stack_environment(self)


# --- environment ----------------------------------------------------------------------------------


def _tag(tags: Any, key: str) -> Any:
    if not isinstance(tags, dict):
        return None
    for k, v in tags.items():
        if k.lower() == key.lower():
            return v
    return None


def default_tags(provider_props: Mapping[str, Any]) -> dict[str, Any]:
    """An aws provider's `defaultTags.tags` (the engine passes provider object config as a JSON string)."""
    config = as_json(get(dict(provider_props), "defaultTags"))
    tags = get(config, "tags") if isinstance(config, dict) else None
    return tags if isinstance(tags, dict) else {}


def resource_environment(r: Res) -> str | None:
    """The stack's environment as this resource sees it: stack tag, then its aws provider's default tags.

    `nox:environment` is turned into the provider's `Environment` default tag by the program, so
    the environment comes from configuration, never from resource or stack names.
    """
    env = _tag(r.stack_tags, "environment")
    if isinstance(env, str) and env:
        return env.lower()
    if r.provider_type == "pulumi:providers:aws":
        env = _tag(default_tags(r.provider_props), "Environment")
        if isinstance(env, str) and env:
            return env.lower()
    env = _tag(r.get("tags"), "Environment")
    return env.lower() if isinstance(env, str) and env else None


def stack_environment(stack: Stack) -> str | None:
    env = _tag(stack.stack_tags, "environment")
    if isinstance(env, str) and env:
        return env.lower()
    # The provider resources themselves, and the provider each resource reports (same props).
    configs = [p.props for p in stack.of_type("pulumi:providers:aws")]
    configs += [r.provider_props for r in stack.resources if r.provider_type == "pulumi:providers:aws"]
    found = {env.lower() for env in (_tag(default_tags(c), "Environment") for c in configs) if isinstance(env, str) and env}
    if len(found) == 1:
        return found.pop()
    return PROD if PROD in found else None


def is_prod(environment: str | None) -> bool:
    """Prod rules apply in prod and, failing safe, when the environment cannot be determined."""
    return environment is None or environment == PROD


def env_note(environment: str | None) -> str:
    return "prod" if environment else "an undetermined environment (treated as prod: tag the aws provider with Environment)"


# --- policy builders --------------------------------------------------------------------------------

ResourceCheck = Callable[[Res], Iterable[str]]
StackCheck = Callable[[Stack], Iterable[tuple[str, str | None]]]


def resource_policy(
    name: str, description: str, types: Iterable[str], check: ResourceCheck, remediation: str | None = None
) -> ResourceValidationPolicy:
    """A ResourceValidationPolicy running `check` (a plain function: Res -> messages) on `types`."""
    wanted = frozenset(types)

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if args.resource_type not in wanted:
            return
        for message in check(res_from_args(args)):
            report_violation(message, None)

    policy = ResourceValidationPolicy(name=name, description=description, validate=validate, remediation_steps=remediation)
    policy.resource_types = wanted  # type: ignore[attr-defined]  # for docs and tests
    policy.check = check  # type: ignore[attr-defined]
    return policy


def stack_policy(name: str, description: str, check: StackCheck, remediation: str | None = None) -> StackValidationPolicy:
    """A StackValidationPolicy running `check` (a plain function: Stack -> (message, urn)) once per stack."""

    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        for message, urn in check(Stack.from_args(args)):
            report_violation(message, urn)

    policy = StackValidationPolicy(name=name, description=description, validate=validate, remediation_steps=remediation)
    policy.check = check  # type: ignore[attr-defined]
    return policy


# --- secrets in plain text --------------------------------------------------------------------------

# What the offline plan writes in place of a Pulumi secret: a value derived from a secret.
REDACTED = "[secret]"

# Credentials that must never appear in user data or literal environment values. Shell
# expansions (`$VAR`, `$(...)`) are how a value fetched at boot is used, so they do not match.
CREDENTIAL_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("a PostgreSQL URL with a password", re.compile(r"postgres(?:ql)?://[^\s:/@$]+:(?!\$)[^\s@]+@", re.I)),
    ("a Redis URL with a password", re.compile(r"rediss?://[^\s:/@$]*:(?!\$)[^\s@]+@", re.I)),
    ("an AWS access key id", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("an AWS secret access key", re.compile(r"(?i)aws_secret_access_key[\"']?\s*[=:]\s*[\"']?[A-Za-z0-9/+=]{40}")),
    ("a private key", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")),
    ("a literal password", re.compile(r"(?i)passw(?:or)?d[\"']?\s*[=:]\s*[\"']?(?![\s\"'$])[^\s\"']+")),
)


def credentials_in(text: str) -> list[str]:
    """What kinds of credentials `text` contains (empty when none)."""
    return [what for what, pattern in CREDENTIAL_PATTERNS if pattern.search(text)]
