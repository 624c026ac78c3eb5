"""Stack configuration read the way the Pulumi CLI reads it, for runs without the CLI.

`Pulumi.yaml` project-level values are merged under `Pulumi.<stack>.yaml`; `secure:` values
(ciphertext only the real backend can decrypt) become a placeholder that is marked secret;
`--set key=value` overrides come last. Values are handed to the program as the CLI hands them:
strings, with arrays and objects as JSON.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

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


def _load_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except FileNotFoundError:
        raise StackConfigError(f"{path.name} not found in {path.parent}") from None
    except yaml.YAMLError as err:
        raise StackConfigError(f"{path.name} is not valid YAML: {err}") from None
    if not isinstance(data, dict):
        raise StackConfigError(f"{path.name} must be a YAML mapping")
    return data


def read_stack_config(root: Path, stack: str, overrides: list[str] | tuple[str, ...] = ()) -> StackConfig:
    project_file = _load_yaml(root / "Pulumi.yaml")
    project = project_file.get("name")
    if not project:
        raise StackConfigError("Pulumi.yaml has no project name")
    values: dict[str, str] = {}
    secret: set[str] = set()

    for key, value in (project_file.get("config") or {}).items():
        full = key if ":" in key else f"{project}:{key}"
        if isinstance(value, dict):
            if "value" in value:
                values[full] = _as_cli_string(value["value"])
            elif "default" in value:
                values[full] = _as_cli_string(value["default"])
        else:
            values[full] = _as_cli_string(value)

    for key, value in (_load_yaml(root / f"Pulumi.{stack}.yaml").get("config") or {}).items():
        full = key if ":" in key else f"{project}:{key}"
        if isinstance(value, dict) and set(value) == {"secure"}:
            values[full] = SECRET_PLACEHOLDER
            secret.add(full)
        else:
            values[full] = _as_cli_string(value)

    for item in overrides:
        key, sep, value = item.partition("=")
        if not sep or ":" not in key:
            raise StackConfigError(f"--set {item!r}: expected namespace:key=value, e.g. nox:platform=asg")
        values[key] = value
        secret.discard(key)

    return StackConfig(project=project, stack=stack, values=values, secret_keys=tuple(sorted(secret)))
