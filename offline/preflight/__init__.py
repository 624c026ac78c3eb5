"""The AWS API preflight: every resource input we can map, checked against what the real API accepts.

The mock engine accepts anything; AWS does not. For each resource of a plan document, the mapping
table (`mapping.py`) names, per input property path, the botocore API member that receives the
value (its `pattern`, `min`/`max` and `enum` come from botocore's service models, pinned in
requirements-dev.txt) and/or a documented rule (`rules.py`) where the model carries no
machine-readable constraint. Values are matched as AWS matches them: the whole value, Java regex
semantics (`javaregex.py`). Unknown (null) and secret ("[secret]") values are skipped and counted.

Interface (offline/cli.py and report.py rely on it):
    run(doc) -> Result                 # a plan document (`--format json`), saved or live
    Result.to_json() -> dict           # the plan document's `preflight` section (docs/plan-schema.md)
(report.py renders the section: `preflight_tree`, `preflight_summary`, and a Markdown table.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .javaregex import compile_java
from .mapping import AUTONAME_SUFFIX, MAPPINGS, Field, nothing_to_check
from .model import Constraint, constraint_of, members_by_key, resolve
from .rules import RULES

REDACTED = "[secret]"
VALUE_WIDTH = 80


@dataclass(frozen=True)
class Finding:
    urn: str
    type: str
    name: str
    path: str
    value: str
    constraint: str
    source: str
    origin: str  # "botocore model" | "documented rule"


@dataclass
class Result:
    checked: int = 0
    skipped_unknown: int = 0
    skipped_secret: int = 0
    unmapped_types: list[str] = field(default_factory=list)
    violations: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations

    def to_json(self) -> dict[str, Any]:
        return {
            "checked": self.checked,
            "skipped": {"unknown": self.skipped_unknown, "secret": self.skipped_secret},
            "unmappedTypes": list(self.unmapped_types),
            "violations": [
                {k: getattr(f, k) for k in ("urn", "type", "name", "path", "value", "constraint", "source", "origin")}
                for f in self.violations
            ],
        }


# --- values at a Pulumi input path -------------------------------------------------------------


def values_at(inputs: Any, path: str) -> list[tuple[str, Any]]:
    """(concrete path, value) for `path` in `inputs`: `a.b`, `a[]` (each element), `a{k}`/`a{v}` (map keys/values)."""
    found: list[tuple[str, Any]] = [("", inputs)]
    for segment in path.split("."):
        name = segment.split("[", 1)[0].split("{", 1)[0]
        step: list[tuple[str, Any]] = []
        for where, value in found:
            if not isinstance(value, dict) or name not in value:
                continue
            where, value = f"{where}.{name}" if where else name, value[name]
            if segment.endswith("[]"):
                step += [(f"{where}[{i}]", item) for i, item in enumerate(value)] if isinstance(value, list) else []
            elif segment.endswith("{k}"):
                step += [(f"{where} key {k!r}", k) for k in value] if isinstance(value, dict) else []
            elif segment.endswith("{v}"):
                step += [(f"{where}[{k!r}]", v) for k, v in value.items()] if isinstance(value, dict) else []
            else:
                step.append((where, value))
        found = step
    return found


# --- one value against one constraint ----------------------------------------------------------


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _as_text(value: Any) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value) if isinstance(value, (str, int, float)) else None


def _number_text(number: float) -> str:
    return str(int(number)) if number.is_integer() else str(number)


def _java_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2  # Java counts UTF-16 code units


def violation(value: Any, c: Constraint, suffix: int = 0) -> str | None:
    """Why AWS would reject `value` under `c`, or None. `suffix`: chars the provider appends to a prefix."""
    if c.kind == "list":
        return _list_violation(value, c) if isinstance(value, list) else None
    if c.kind == "number":
        return None if isinstance(value, bool) else _number_violation(value, c)
    text = _as_text(value)
    return None if text is None else _text_violation(text, c, suffix)


def _list_violation(items: list[Any], c: Constraint) -> str | None:
    if c.min is not None and len(items) < c.min:
        return f"{len(items)} item(s), fewer than the minimum {int(c.min)}"
    if c.max is not None and len(items) > c.max:
        return f"{len(items)} items, more than the maximum {int(c.max)}"
    return None


def _number_violation(value: Any, c: Constraint) -> str | None:
    number = _as_number(value)
    if number is None:
        return f"{value!r} is not a number"
    text = _number_text(number)
    step = c.multiple_of
    multiple = step is not None and step != 0 and number > 0 and number % step == 0
    if (c.enum or c.multiple_of) and not (text in c.enum or multiple):
        allowed = " or ".join(([", ".join(c.enum)] if c.enum else []) + ([f"a multiple of {c.multiple_of}"] if c.multiple_of else []))
        return f"{text} is not {'one of ' if c.enum else ''}{allowed}"
    if c.min is not None and number < c.min:
        return f"{text} is below the minimum {_number_text(float(c.min))}"
    if c.max is not None and number > c.max:
        return f"{text} is above the maximum {_number_text(float(c.max))}"
    if c.pattern and not compile_java(c.pattern).fullmatch(text):
        return f"{text} does not match {c.pattern}"
    return None


def _text_violation(text: str, c: Constraint, suffix: int) -> str | None:
    full = text + "0" * suffix  # a prefix: judge the shortest name the provider can make from it
    budget = f" (with the provider's {suffix}-character unique suffix)" if suffix else ""
    if c.enum and text not in c.enum:
        return f"not one of {', '.join(c.enum[:12])}{', ...' if len(c.enum) > 12 else ''}"
    length = _java_length(full)
    if c.min is not None and length < c.min:
        return f"length {length} is below the minimum {int(c.min)}{budget}"
    if c.max is not None and length > c.max:
        return f"length {length} is above the maximum {int(c.max)}{budget}"
    if c.pattern and not compile_java(c.pattern).fullmatch(full):
        return f"does not match the pattern {c.pattern}{budget}"
    return None


# --- walking a resource ------------------------------------------------------------------------


class _Walk:
    def __init__(self, res: dict[str, Any], result: Result):
        self.res, self.result = res, result

    def skipped(self, value: Any) -> bool:
        if value is None:
            self.result.skipped_unknown += 1
            return True
        if value == REDACTED:
            self.result.skipped_secret += 1
            return True
        return False

    def judge(self, where: str, value: Any, constraints: list[Constraint], suffix: int) -> None:
        if not constraints or self.skipped(value):
            return
        self.result.checked += 1
        for c in constraints:
            why = violation(value, c, suffix)
            if why:
                text = _as_text(value) if not isinstance(value, (list, dict)) else None
                shown = repr(text if text is not None else value)
                if len(shown) > VALUE_WIDTH:
                    shown = shown[: VALUE_WIDTH - 3] + "..."
                self.result.violations.append(
                    Finding(self.res.get("urn", ""), self.res["type"], self.res.get("name", ""), where, shown, why, c.source, c.origin)
                )

    def shape(self, where: str, value: Any, shape: Any, source: str) -> None:
        """Check `value` against botocore `shape`, descending into structures, lists and maps."""
        leaf = constraint_of(shape, source)
        kind = shape.type_name
        if kind == "list" and isinstance(value, list):
            self.judge(where, value, [leaf] if leaf else [], 0)
            for i, item in enumerate(value):
                self.shape(f"{where}[{i}]", item, shape.member, f"{source}[]")
        elif kind == "structure" and isinstance(value, dict):
            members = members_by_key(shape)
            for key, item in value.items():
                match = members.get(key.lower().replace("_", ""))
                if match:
                    self.shape(f"{where}.{key}", item, match[1], f"{source}.{match[0]}")
        elif kind == "map" and isinstance(value, dict):
            for key, item in value.items():
                self.shape(f"{where} key {key!r}", key, shape.key, f"{source}{{key}}")
                self.shape(f"{where}[{key!r}]", item, shape.value, f"{source}{{value}}")
        elif not isinstance(value, (dict, list)):
            self.judge(where, value, [leaf] if leaf else [], 0)

    def field(self, spec: Field) -> None:
        shape = resolve(*spec.api) if spec.api else None
        source = f"{spec.api[0]} {spec.api[1]} {spec.api[2]}" if spec.api else ""
        rule = RULES[spec.rule] if spec.rule else None
        found = values_at(self.res["inputs"], spec.path)
        if not found and spec.autoname and not any(k.endswith("Prefix") for k in self.res["inputs"]):
            # The name AWS gets is the logical name + "-" + 7 hex characters: judge that.
            constraints = [c for c in (constraint_of(shape, source) if shape is not None else None, rule) if c]
            self.judge(f"{spec.path} (autonamed)", f"{self.res.get('name', '')}-", constraints, AUTONAME_SUFFIX)
            return
        for where, value in found:
            if shape is not None and rule is None and shape.type_name in ("structure", "list", "map"):
                self.shape(where, value, shape, source)
                continue
            constraints = [c for c in (constraint_of(shape, source) if shape is not None else None, rule) if c]
            self.judge(where, value, constraints, spec.prefix)


def run(doc: dict[str, Any]) -> Result:
    """Preflight every resource of a plan document."""
    result = Result()
    unmapped: set[str] = set()
    for res in doc["resources"]:
        if not isinstance(res, dict) or not isinstance(res.get("type"), str) or not isinstance(res.get("inputs"), dict):
            continue  # not a resource object: the schema check (report.validate) reports it, not us
        fields = MAPPINGS.get(res["type"])
        if fields is None:
            if not nothing_to_check(res["type"]):
                unmapped.add(res["type"])
            continue
        walk = _Walk(res, result)
        for spec in fields:
            walk.field(spec)
    result.unmapped_types = sorted(unmapped)
    return result
