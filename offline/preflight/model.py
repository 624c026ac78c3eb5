"""Constraints from botocore's service models, resolved once and cached in a file that ships with the code.

Loading the models a plan needs costs seconds (the EC2 model alone is ~0.5 s), several times
the preflight itself. So the shapes the mapping reaches (each mapped member, and everything under
a mapped structure: WAF statements nest) are resolved once from the pinned botocore into
`botocore-shapes.json` (`python -m offline.preflight.model` rewrites it; a test fails when it is
stale). A plan reads that file; a member it lacks (a new mapping not regenerated yet) or another
botocore version falls back to the live models, each loaded once per process.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

NUMBER_TYPES = ("integer", "long", "double", "float")
CACHE = Path(__file__).with_name("botocore-shapes.json")


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


@dataclass(eq=False)
class Node:
    """One botocore shape, reduced to what the preflight reads."""

    name: str
    type_name: str
    limits: dict[str, Any] = field(default_factory=dict)  # pattern / min / max / enum
    members: dict[str, Node] = field(default_factory=dict)  # structure
    member: Node | None = None  # list
    key: Node | None = None  # map
    value: Node | None = None  # map


class MappingError(LookupError):
    """A mapping names a service, operation or member the pinned botocore does not have."""


# --- the live models (slow path, and the generator of the cache) ------------------------------


@functools.cache
def _session() -> Any:  # botocore has no type information
    import botocore.session

    return botocore.session.get_session()


@functools.cache
def service(name: str) -> Any:  # a botocore ServiceModel
    """One botocore ServiceModel per service per process."""
    try:
        return _session().get_service_model(name)
    except Exception as err:  # UnknownServiceError and friends
        raise MappingError(f"botocore has no service {name!r}: {err}") from None


def _kind(type_name: str) -> str | None:
    if type_name in NUMBER_TYPES:
        return "number"
    return type_name if type_name in ("string", "list") else None


def _limits(shape: Any) -> dict[str, Any]:
    kind, meta = _kind(shape.type_name), shape.metadata
    if kind is None:
        return {}
    found = {k: meta[k] for k in ("min", "max") if k in meta}
    if kind == "string":
        if meta.get("pattern"):
            found["pattern"] = meta["pattern"]
        if getattr(shape, "enum", None):
            found["enum"] = list(shape.enum)
    return found


def _botocore_shape(service_name: str, operation: str, member_path: str) -> Any:
    model = service(service_name)
    try:
        shape = model.operation_model(operation).input_shape
    except Exception:
        raise MappingError(f"botocore {service_name} has no operation {operation!r}") from None
    for segment in member_path.split(".") if member_path else ():
        name = segment.split("[", 1)[0].split("{", 1)[0]
        if name:
            members = getattr(shape, "members", None) or {}
            if name not in members:
                known = ", ".join(sorted(members)) or "none"
                raise MappingError(
                    f"{service_name} {operation} {member_path}: shape {shape.name} has no member {name!r} (members: {known})"
                )
            shape = members[name]
        expected = "list" if segment.endswith("[]") else "map" if segment.endswith(("{k}", "{v}")) else None
        if expected and shape.type_name != expected:
            raise MappingError(f"{service_name} {operation} {member_path}: {shape.name} is a {shape.type_name}, not a {expected}")
        if expected == "list":
            shape = shape.member
        elif expected == "map":
            shape = shape.key if segment.endswith("{k}") else shape.value
    return shape


class _Builder:
    """botocore shapes -> Nodes, one Node per (service, shape name)."""

    def __init__(self) -> None:
        self.nodes: dict[tuple[str, str], Node] = {}

    def node(self, service_name: str, shape: Any) -> Node:
        key = (service_name, shape.name)
        if key in self.nodes:
            return self.nodes[key]
        node = self.nodes[key] = Node(shape.name, shape.type_name, _limits(shape))
        if shape.type_name == "structure":
            node.members = {name: self.node(service_name, member) for name, member in shape.members.items()}
        elif shape.type_name == "list":
            node.member = self.node(service_name, shape.member)
        elif shape.type_name == "map":
            node.key, node.value = self.node(service_name, shape.key), self.node(service_name, shape.value)
        return node


_LIVE = _Builder()


def _resolve_live(service_name: str, operation: str, member_path: str) -> Node:
    return _LIVE.node(service_name, _botocore_shape(service_name, operation, member_path))


# --- the cache file ---------------------------------------------------------------------------


def root_key(service_name: str, operation: str, member_path: str) -> str:
    return f"{service_name} {operation} {member_path}"


def dump(roots: list[tuple[str, str, str]]) -> dict[str, Any]:
    """The cache document for these mapped members (and every shape under them)."""
    import botocore

    builder = _Builder()
    root_nodes = {root_key(*r): builder.node(r[0], _botocore_shape(*r)) for r in sorted(set(roots))}
    index = {id(node): i for i, node in enumerate(builder.nodes.values())}

    def ref(node: Node | None) -> int | None:
        return None if node is None else index[id(node)]

    shapes = []
    for node in builder.nodes.values():
        entry: dict[str, Any] = {"name": node.name, "type": node.type_name}
        if node.limits:
            entry["limits"] = node.limits
        if node.members:
            entry["members"] = {name: ref(m) for name, m in node.members.items()}
        for attr in ("member", "key", "value"):
            if getattr(node, attr) is not None:
                entry[attr] = ref(getattr(node, attr))
        shapes.append(entry)
    return {"botocore": botocore.__version__, "roots": {k: ref(n) for k, n in root_nodes.items()}, "shapes": shapes}


@functools.cache
def _cached_roots() -> dict[str, Node]:
    """The cache file's roots as Nodes, or {} when it is missing or for another botocore version."""
    try:
        doc = json.loads(CACHE.read_text())
    except (OSError, ValueError):
        return {}
    import botocore  # the package only (its __init__ is light): the installed version

    if doc.get("botocore") != botocore.__version__:
        return {}
    nodes = [Node(s["name"], s["type"], s.get("limits", {})) for s in doc["shapes"]]
    for node, entry in zip(nodes, doc["shapes"], strict=True):
        node.members = {name: nodes[i] for name, i in entry.get("members", {}).items()}
        for attr in ("member", "key", "value"):
            if attr in entry:
                setattr(node, attr, nodes[entry[attr]])
    return {key: nodes[i] for key, i in doc["roots"].items()}


@functools.cache
def resolve(service_name: str, operation: str, member_path: str) -> Node:
    """The shape at `member_path` of `operation`'s input (e.g. "Rules[].Statement"): from the cache file,
    else from the live botocore model."""
    cached = _cached_roots().get(root_key(service_name, operation, member_path))
    return cached if cached is not None else _resolve_live(service_name, operation, member_path)


@functools.cache
def constraint_of(node: Node, where: str) -> Constraint | None:
    """The shape's pattern/min/max/enum, or None when it has none (structures, booleans, free text)."""
    kind = _kind(node.type_name)
    if kind is None or not node.limits:
        return None
    limits = node.limits
    return Constraint(
        kind=kind,
        source=f"{where} (shape {node.name})",
        pattern=limits.get("pattern"),
        min=limits.get("min"),
        max=limits.get("max"),
        enum=tuple(limits.get("enum", ())),
    )


@functools.cache
def members_by_key(node: Node) -> dict[str, tuple[str, Node]]:
    """Structure members by normalised name (lower case, no `_`): Pulumi's `cloudwatchMetricsEnabled`
    is botocore's `CloudWatchMetricsEnabled`."""
    return {name.lower().replace("_", ""): (name, member) for name, member in node.members.items()}


def write_cache() -> Path:
    from .mapping import MAPPINGS

    roots = [f.api for fields in MAPPINGS.values() for f in fields if f.api]
    CACHE.write_text(json.dumps(dump(roots), indent=None, separators=(",", ":"), sort_keys=False) + "\n")
    return CACHE
