"""Stack configuration read the way the Pulumi CLI reads it, for runs without the CLI.

`Pulumi.yaml` project-level values are merged under `Pulumi.<stack>.yaml`; `secure:` values
(ciphertext only the real backend can decrypt) become a placeholder that is marked secret;
`--set key=value` overrides come last. Values are handed to the program as the CLI hands them:
strings, with arrays and objects as JSON.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from settings.schema import KEYS_BY_NAME, stack_name_problem

# Stands in for every `secure:` value: the tests assert it never reaches a plan.
SECRET_PLACEHOLDER = "MOCK-SECRET-config-value"


class StackConfigError(Exception):
    """The project or stack file cannot be read (not a settings validation problem)."""


@dataclass(frozen=True)
class StackConfig:
    project: str
    stack: str
    values: dict[str, str]  # "namespace:key" -> value as the CLI passes it
    secret_keys: tuple[str, ...]


def _as_cli_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return str(value)


# Namespaces this project reads; a key in a namespace that is almost one of these is a typo that
# would otherwise be ignored in silence (`nxo:platform`, `NOX:platform`).
KNOWN_NAMESPACES = ("nox", "aws", "kubernetes", "pulumi")


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys, as the Pulumi CLI does (PyYAML keeps the last one)."""


def _strict_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if isinstance(key, (list, dict)):
            continue  # refused below with the key's name
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _strict_mapping)


def _load_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_StrictLoader)  # noqa: S506 (a SafeLoader)
    except FileNotFoundError:
        raise StackConfigError(f"{path.name} not found in {path.parent}") from None
    except UnicodeDecodeError:
        raise StackConfigError(f"{path.name} is not a UTF-8 text file") from None
    except OSError as err:
        raise StackConfigError(f"{path.name}: cannot read: {err.strerror or err}") from None
    except (yaml.YAMLError, RecursionError) as err:
        raise StackConfigError(f"{path.name} is not valid YAML: {str(err)[:300]}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise StackConfigError(f"{path.name} must be a YAML mapping")
    return data


def _config_section(data: dict[str, Any], file: str) -> dict[str, Any]:
    """The `config:` mapping, every key a `namespace:name` string in a known (not near-miss) namespace."""
    config = data.get("config")
    if config is None:
        return {}
    if not isinstance(config, dict):
        raise StackConfigError(f"{file}: config must be a mapping of namespace:key to value, got {type(config).__name__}")
    for key in config:
        _check_key(key, file)
    return config


def _check_key(key: Any, where: str) -> None:
    if not isinstance(key, str):
        raise StackConfigError(f"{where}: config key {key!r} must be a string namespace:key, e.g. nox:platform")
    namespace, sep, name = key.partition(":")
    if not sep or not namespace or not name:
        raise StackConfigError(f"{where}: config key {key[:80]!r} has no namespace: write it as namespace:key, e.g. nox:{key[:40]}")
    if namespace not in KNOWN_NAMESPACES:
        near = difflib.get_close_matches(namespace.lower(), KNOWN_NAMESPACES, n=1, cutoff=0.6)
        if near or namespace.lower() in KNOWN_NAMESPACES:
            guess = near[0] if near else namespace.lower()
            raise StackConfigError(f"{where}: config key {key[:80]!r}: unknown namespace {namespace!r}; did you mean {guess}:{name[:40]}?")


def _check_value(key: str, value: Any, where: str) -> None:
    """YAML typing that would change a value's meaning is refused, not converted."""
    if value is None:
        raise StackConfigError(f"{where}: {key} has no value (YAML null): set a value, or delete the line to use the default")
    spec = KEYS_BY_NAME.get(key.removeprefix("nox:")) if key.startswith("nox:") else None
    if spec is not None and spec.kind is str and not isinstance(value, str):
        raise StackConfigError(
            f"{where}: {key} = {json.dumps(value, default=str)[:80]} is a YAML {type(value).__name__}, but the setting is a string: "
            f'quote it, e.g. {key}: "{value}" (unquoted, 16.10 would be read as the number 16.1)'
        )


def read_stack_config(root: Path, stack: str, overrides: list[str] | tuple[str, ...] = ()) -> StackConfig:
    bad_name = stack_name_problem(stack)
    if bad_name:
        raise StackConfigError(f"stack name {stack[:80]!r}{'...' if len(stack) > 80 else ''}: must be {bad_name}")
    project_file = _load_yaml(root / "Pulumi.yaml")
    project = project_file.get("name")
    if not project:
        raise StackConfigError("Pulumi.yaml has no project name")
    values: dict[str, str] = {}
    secret: set[str] = set()

    for key, value in _config_section(project_file, "Pulumi.yaml").items():
        if isinstance(value, dict):
            if "value" not in value and "default" not in value:
                continue  # a schema (`type:` only) sets no value
            value = value["value"] if "value" in value else value["default"]
        _check_value(key, value, "Pulumi.yaml")
        values[key] = _as_cli_string(value)

    stack_file = f"Pulumi.{stack}.yaml"
    for key, value in _config_section(_load_yaml(root / stack_file), stack_file).items():
        if isinstance(value, dict) and set(value) == {"secure"}:
            values[key] = SECRET_PLACEHOLDER
            secret.add(key)
            continue
        _check_value(key, value, stack_file)
        values[key] = _as_cli_string(value)

    for item in overrides:
        key, sep, value = item.partition("=")
        if not sep or ":" not in key:
            raise StackConfigError(f"--set {item[:80]!r}: expected namespace:key=value, e.g. nox:platform=asg")
        _check_key(key, "--set")
        values[key] = value
        secret.discard(key)

    return StackConfig(project=project, stack=stack, values=values, secret_keys=tuple(sorted(secret)))
