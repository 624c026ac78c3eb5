"""Java regular expressions (the dialect of botocore's `pattern` traits) as Python `re` patterns.

AWS validates a member against its pattern with Java's `java.util.regex` semantics: the WHOLE value
must match, and `\\w`, `\\d`, `\\s` are ASCII-only (`[a-zA-Z0-9_]`, `[0-9]`, `[ \\t\\n\\x0B\\f\\r]`).
Python's `re.ASCII` gives exactly those classes; callers use `fullmatch`. What Python spells
differently is rewritten here:

- `\\p{L}`, `\\p{N}`, `\\p{Z}`, `\\p{Zs}`, `\\p{ASCII}`, ... (Unicode categories, no `re` syntax):
  `\\p{Z}`/`\\p{Zs}`/`\\p{ASCII}` exactly (the Unicode 15 space separators, listed below); `\\p{L}` as
  Python's Unicode letters `[^\\W\\d_]` and `\\p{N}` as Unicode `\\d`. A documented approximation:
  `[^\\W\\d_]` also admits the numerics Nl/No, `\\d` only the decimal digits Nd, so a value with
  `Ⅻ` or `½` may be judged unlike AWS would; no name or tag we set hinges on that. Other
  categories are computed exactly from `unicodedata`, once, on first use (about a second).
  Inside a class, `[a\\p{L}]` becomes `(?:[a]|letter)`; a negated class with a category raises
  `UnsupportedPattern` (none in the models we map; a test compiles every one).
- `\\uD800\\uDC00`-style surrogate pairs (Java strings are UTF-16) -> the supplementary code point.
- `\\x{h..h}` -> `\\U%08x`; `\\Q...\\E` -> escaped literal; `\\z` -> `\\Z`; `(?<name>` -> `(?P<name>`.
- In a class, a `-` right after a class escape (`[\\w-_]`, a literal `-` in Java) -> `\\-`; a `[`
  (a nested union in Java) is taken literally; `&&` (intersection) raises `UnsupportedPattern`.
"""

from __future__ import annotations

import functools
import re
import sys
import unicodedata

_SPACE_SEPARATORS = "\\u0020\\u00a0\\u1680\\u2000-\\u200a\\u202f\\u205f\\u3000"  # Unicode 15 category Zs
_LINE_PARAGRAPH = "\\u2028\\u2029"  # Zl, Zp
_CLASS_ESCAPES = set("wWdDsS")


class UnsupportedPattern(ValueError):
    """A Java construct with no faithful Python translation here."""


@functools.cache
def _category_class(category: str) -> str:
    """Exact `[...]` of every code point whose Unicode category starts with `category` (slow, cached)."""
    ranges: list[list[int]] = []
    for cp in range(sys.maxunicode + 1):
        if unicodedata.category(chr(cp)).startswith(category):
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1][1] = cp
            else:
                ranges.append([cp, cp])
    return "[" + "".join(f"\\U{a:08x}" if a == b else f"\\U{a:08x}-\\U{b:08x}" for a, b in ranges) + "]"


def _property(name: str) -> str:
    """A Python expression (matching one character) for Java's `\\p{name}`."""
    simple = {
        "L": "(?u:[^\\W\\d_])",
        "N": "(?u:\\d)",
        "Z": f"[{_SPACE_SEPARATORS}{_LINE_PARAGRAPH}]",
        "Zs": f"[{_SPACE_SEPARATORS}]",
        "ASCII": "[\\x00-\\x7f]",
        "Alnum": "[a-zA-Z0-9]",
        "Alpha": "[a-zA-Z]",
        "Digit": "[0-9]",
        "XDigit": "[0-9a-fA-F]",  # POSIX hex digit (java.util.regex.Pattern)
        "Punct": "[!-/:-@\\[-`{-~]",
    }
    if name in simple:
        return simple[name]
    key = name.removeprefix("Is")
    if len(key) in (1, 2) and key[0].isupper():
        return _category_class(key)
    raise UnsupportedPattern(f"\\p{{{name}}}")


def _code_point(text: str, i: int) -> tuple[str, int]:
    """`\\uXXXX` at i (with a following low surrogate folded in) -> (python escape, next index)."""
    high = int(text[i + 2 : i + 6], 16)
    j = i + 6
    if 0xD800 <= high <= 0xDBFF and text.startswith("\\u", j):
        low = int(text[j + 2 : j + 6], 16)
        if 0xDC00 <= low <= 0xDFFF:
            return f"\\U{0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00):08x}", j + 6
    return f"\\u{high:04x}", j


def _escape(text: str, i: int) -> tuple[str, int, str | None]:
    """The escape at text[i] ('\\'): (python text, next index, category expression if \\p/\\P)."""
    c = text[i + 1] if i + 1 < len(text) else ""
    if c in "pP":
        if text[i + 2 : i + 3] == "{":
            end = text.index("}", i)
            name = text[i + 3 : end]
        else:
            end, name = i + 2, text[i + 2]
        if c == "P":
            raise UnsupportedPattern(f"\\P{{{name}}}")
        return "", end + 1, _property(name)
    if c == "u":
        out, j = _code_point(text, i)
        return out, j, None
    if c == "x" and text[i + 2 : i + 3] == "{":
        end = text.index("}", i)
        return f"\\U{int(text[i + 3 : end], 16):08x}", end + 1, None
    if c == "Q":
        end = text.find("\\E", i + 2)
        end = len(text) if end < 0 else end
        return re.escape(text[i + 2 : end]), min(end + 2, len(text)), None
    if c == "z":
        return "\\Z", i + 2, None
    return text[i : i + 2], i + 2, None


def _char_class(text: str, i: int) -> tuple[str, int]:
    """The class starting at text[i] ('[') -> (python text, index after its ']')."""
    j = i + 1
    negated = text.startswith("^", j)
    j += negated
    body, alternatives = [], []
    if text.startswith("]", j):  # a leading ']' is literal in both dialects
        body.append("\\]")
        j += 1
    previous_was_class = False
    while j < len(text) and text[j] != "]":
        c = text[j]
        if c == "\\":
            out, j, category = _escape(text, j)
            if category:
                alternatives.append(category)
            else:
                body.append(out)
            previous_was_class = category is not None or (len(out) == 2 and out[1] in _CLASS_ESCAPES)
            continue
        if text.startswith("&&", j):
            raise UnsupportedPattern("class intersection &&")
        body.append("\\-" if c == "-" and previous_was_class else "\\[" if c == "[" else c)
        previous_was_class = False
        j += 1
    if j >= len(text):
        raise UnsupportedPattern("unterminated character class")
    if not alternatives:
        return "[" + "^" * negated + "".join(body) + "]", j + 1
    if negated:
        raise UnsupportedPattern("negated class with a Unicode category")
    parts = (["[" + "".join(body) + "]"] if body else []) + alternatives
    return "(?:" + "|".join(parts) + ")", j + 1


@functools.cache
def translate(pattern: str) -> str:
    """Java regex source -> Python `re` source (to compile with re.ASCII and use with fullmatch)."""
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            text, i, category = _escape(pattern, i)
            out.append(category or text)
        elif c == "[":
            text, i = _char_class(pattern, i)
            out.append(text)
        elif pattern.startswith("(?<", i) and pattern[i + 3 : i + 4] not in ("=", "!"):
            out.append("(?P<")
            i += 3
        else:
            out.append(c)
            i += 1
    return "".join(out)


@functools.cache
def compile_java(pattern: str) -> re.Pattern[str]:
    """Compiled once per distinct pattern; `.fullmatch(value)` is AWS's test."""
    return re.compile(translate(pattern), re.ASCII)
