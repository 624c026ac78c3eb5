"""The subset of CloudWatch Logs the log pipeline uses, as AWS documents it, to run sample lines offline.

- Transformer processors (CloudWatch Logs user guide, "Processors that you can use"): parseJSON
  (source, destination; keys placed under the root by default), grok (source, match; WORD,
  NUMBER, GREEDYDATA, DATA), parseKeyValue (source, destination, fieldDelimiter,
  keyValueDelimiter; a token without the delimiter is not a pair), moveKeys, deleteKeys,
  substituteString (Java regular expressions; `$1` in the replacement), typeConverter (integer,
  double, string, boolean). Assumed where the guide is silent, and to be confirmed with
  `aws logs test-transformer` (docs/logs.md): a processor whose source key is absent, or whose
  grok does not match, leaves the event as it is.
- Metric filter patterns (user guide, "Filter pattern syntax for metric filters", JSON log
  events): `{ $.key = "text" }`, `{ $.key >= number }` and `&&`; a missing key never matches.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

GROK = {"WORD": r"\b\w+\b", "NUMBER": r"(?:[+-]?(?:\d+(?:\.\d*)?|\.\d+))", "GREEDYDATA": r".*", "DATA": r".*?"}


def _get(event: dict[str, Any], path: str) -> Any:
    node: Any = event
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _set(event: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    node = event
    for part in parents:
        node = node.setdefault(part, {})
    node[last] = value


def _delete(event: dict[str, Any], path: str) -> None:
    *parents, last = path.split(".")
    node: Any = event
    for part in parents:
        node = node.get(part) if isinstance(node, dict) else None
    if isinstance(node, dict):
        node.pop(last, None)


def _source(event: dict[str, Any], raw: str, body: dict[str, Any]) -> Any:
    source = body.get("source", "@message")
    return raw if source == "@message" else _get(event, source)


def grok_regex(match: str) -> re.Pattern[str]:
    def name(m: re.Match[str]) -> str:
        pattern, field = m.group(1), m.group(2)
        return f"(?P<{field}>{GROK[pattern]})" if field else f"(?:{GROK[pattern]})"

    return re.compile(re.sub(r"%\{(\w+)(?::(\w+))?\}", name, match))


def _convert(value: Any, kind: str) -> Any:
    try:
        return {"integer": int, "double": float, "string": str, "boolean": lambda v: str(v).lower() == "true"}[kind](value)
    except (TypeError, ValueError):
        return value  # not convertible: left as it is


def transform(raw: str, processors: tuple[dict[str, Any], ...]) -> dict[str, Any]:
    """The transformed event of one raw log event."""
    event: dict[str, Any] = {}
    for processor in processors:
        [(kind, body)] = processor.items()
        value = _source(event, raw, body)
        if kind == "parseJSON" and isinstance(value, str):
            try:
                parsed = json.loads(value)
            except ValueError:
                continue
            if isinstance(parsed, dict):
                target = event.setdefault(body["destination"], {}) if "destination" in body else event
                target.update(parsed)
        elif kind == "grok" and isinstance(value, str):
            m = grok_regex(body["match"]).search(value)
            if m:
                event.update({k: v for k, v in m.groupdict().items() if v is not None})
        elif kind == "parseKeyValue" and isinstance(value, str):
            pairs = {}
            for token in value.split(body.get("fieldDelimiter", "&")):
                key, sep, val = token.partition(body.get("keyValueDelimiter", "="))
                if sep and key:
                    pairs[key] = val
            if pairs:
                if "destination" in body:
                    _set(event, body["destination"], pairs)
                else:
                    event.update(pairs)
        elif kind == "moveKeys":
            for entry in body["entries"]:
                moved = _get(event, entry["source"])
                if moved is not None:
                    _delete(event, entry["source"])
                    _set(event, entry["target"], moved)
        elif kind == "deleteKeys":
            for key in body["withKeys"]:
                _delete(event, key)
        elif kind == "substituteString":
            for entry in body["entries"]:
                text = _get(event, entry["source"])
                if isinstance(text, str):
                    # The patterns used are in the syntax Java and Python share ((?i), \s, classes, groups).
                    _set(event, entry["source"], re.sub(entry["from"], entry["to"].replace("$", "\\"), text))
        elif kind == "typeConverter":
            for entry in body["entries"]:
                if _get(event, entry["key"]) is not None:
                    _set(event, entry["key"], _convert(_get(event, entry["key"]), entry["type"]))
    return copy.deepcopy(event)


_COMPARE = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    ">=": lambda a, b: a >= b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    "<": lambda a, b: a < b,
}
_TERM_SYNTAX = r'\$\.([\w.]+)\s*(=|!=|>=|<=|>|<)\s*("(?:[^"\\]|\\.)*"|[-+]?\d+(?:\.\d+)?|\*)'  # key, operator, literal
_TERM = re.compile(_TERM_SYNTAX)
_TOKEN = re.compile(r"\s*(\(|\)|&&|\|\||" + _TERM_SYNTAX + ")")  # group 1: the whole token


def _term(term: str, event: dict[str, Any]) -> bool:
    m = _TERM.fullmatch(term.strip())
    assert m, f"unsupported filter term {term!r}"
    key, op, literal = m.groups()
    value = _get(event, key)
    if value is None:
        return False
    if literal.startswith('"'):
        text = json.loads(literal)
        return isinstance(value, str) and op in ("=", "!=") and _COMPARE[op](value, text)
    return not isinstance(value, bool) and isinstance(value, (int, float)) and _COMPARE[op](value, float(literal))


def matches(pattern: str, event: dict[str, Any]) -> bool:
    """A JSON metric-filter pattern (terms, `&&`, `||` and parentheses; `&&` binds tighter) against an event."""
    body = pattern.strip()
    assert body.startswith("{") and body.endswith("}"), pattern
    tokens, text = [], body[1:-1].strip()
    while text:
        m = _TOKEN.match(text)
        assert m, f"unsupported filter syntax at {text!r}"
        tokens.append(m.group(1))
        text = text[m.end() :].strip()
    position = 0

    def expression() -> bool:  # or-of-ands
        nonlocal position
        result = conjunction()
        while position < len(tokens) and tokens[position] == "||":
            position += 1
            result = conjunction() or result
        return result

    def conjunction() -> bool:
        nonlocal position
        result = atom()
        while position < len(tokens) and tokens[position] == "&&":
            position += 1
            result = atom() and result
        return result

    def atom() -> bool:
        nonlocal position
        token = tokens[position]
        position += 1
        if token == "(":
            result = expression()
            assert tokens[position] == ")", pattern
            position += 1
            return result
        return _term(token, event)

    result = expression()
    assert position == len(tokens), pattern
    return result


def metric_value(value: str, event: dict[str, Any]) -> float | None:
    """A metric transformation's value for a matching event: a number, or `$.field`."""
    if value.startswith("$."):
        found = _get(event, value[2:])
        return float(found) if isinstance(found, (int, float)) and not isinstance(found, bool) else None
    return float(value)
