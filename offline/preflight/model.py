"""Constraints from botocore's service models: resolve a member path once, cache it, load each model once."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

NUMBER_TYPES = ("integer", "long", "double", "float")


@dataclass(frozen=True)
class Constraint:
    """What one API member (or documented rule) accepts. kind: string | number | list."""

    kind: str
    source: str  # e.g. "wafv2 CreateWebACL Description (shape EntityDescription)" or a rule's citation
    origin: str = "botocore model"  # or "documented rule"
    pattern: str | None = None
    min: float | None = None
    max: float | None = None
    enum: tuple[str, ...] = ()
    multiple_of: int | None = None  # numbers: also valid when a positive multiple of this (alarm periods)

    @property
    def checkable(self) -> bool:
        return bool(self.pattern or self.enum or self.multiple_of) or self.min is not None or self.max is not None


class MappingError(LookupError):
    """A mapping names a service, operation or member the pinned botocore does not have."""


@functools.cache
def _session():
    import botocore.session

    return botocore.session.get_session()


@functools.cache
def service(name: str):
    """One botocore ServiceModel per service per process (loading a model costs 10-100 ms)."""
    try:
        return _session().get_service_model(name)
    except Exception as err:  # UnknownServiceError and friends
        raise MappingError(f"botocore has no service {name!r}: {err}") from None


def _step(shape: Any, segment: str) -> Any:
    """One segment of a member path: `Name`, `Name[]` (list element), `Name{k}` / `Name{v}` (map)."""
    name, _, suffix = segment.partition("[") if "[" in segment else segment.partition("{")
    if name:
        members = getattr(shape, "members", None) or {}
        if name not in members:
            raise MappingError(f"shape {shape.name} has no member {name!r} (members: {', '.join(sorted(members)) or 'none'})")
        shape = members[name]
    if segment.endswith("[]"):
        if shape.type_name != "list":
            raise MappingError(f"{shape.name} is a {shape.type_name}, not a list")
        shape = shape.member
    elif segment.endswith("{k}") or segment.endswith("{v}"):
        if shape.type_name != "map":
            raise MappingError(f"{shape.name} is a {shape.type_name}, not a map")
        shape = shape.key if segment.endswith("{k}") else shape.value
    return shape


@functools.cache
def resolve(service_name: str, operation: str, member_path: str) -> Any:
    """The botocore Shape at `member_path` of `operation`'s input (e.g. "Rules[].Statement")."""
    model = service(service_name)
    try:
        shape = model.operation_model(operation).input_shape
    except Exception:
        raise MappingError(f"botocore {service_name} has no operation {operation!r}") from None
    for segment in member_path.split(".") if member_path else ():
        try:
            shape = _step(shape, segment)
        except MappingError as err:
            raise MappingError(f"{service_name} {operation} {member_path}: {err}") from None
    return shape


def _kind(shape: Any) -> str | None:
    if shape.type_name == "string":
        return "string"
    if shape.type_name in NUMBER_TYPES:
        return "number"
    if shape.type_name == "list":
        return "list"
    return None


@functools.cache
def constraint_of(shape: Any, where: str) -> Constraint | None:
    """The shape's pattern/min/max/enum, or None when it has none (structures, booleans, free text)."""
    kind = _kind(shape)
    if kind is None:
        return None
    meta = shape.metadata
    found = Constraint(
        kind=kind,
        source=f"{where} (shape {shape.name})",
        pattern=meta.get("pattern") if kind == "string" else None,
        min=meta.get("min"),
        max=meta.get("max"),
        enum=tuple(getattr(shape, "enum", None) or ()) if kind == "string" else (),
    )
    return found if found.checkable else None


def members_by_key(shape: Any) -> dict[str, tuple[str, Any]]:
    """Structure members by normalised name (lower case, no `_`): Pulumi's `cloudwatchMetricsEnabled`
    is botocore's `CloudWatchMetricsEnabled`."""
    return _members_by_key(shape)


@functools.cache
def _members_by_key(shape: Any) -> dict[str, tuple[str, Any]]:
    return {name.lower().replace("_", ""): (name, member) for name, member in (getattr(shape, "members", None) or {}).items()}
