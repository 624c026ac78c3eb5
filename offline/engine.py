"""Run the Pulumi program for a stack under the mock engine and capture what it registers.

No Pulumi CLI, no credentials, no network: `pulumi.runtime.set_mocks` stands in for the engine;
a recording monitor keeps every RegisterResource request (urn, type, name, parent,
dependencies, provider, protect, custom, inputs as the engine sees them, secrets redacted).
"""

from __future__ import annotations

import gc
import logging
import re
import runpy
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from google.protobuf import json_format, struct_pb2
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime.stack import run_pulumi_func

from . import sdk
from .config import StackConfig, read_stack_config
from .mocks import NoxMocks

ROOT = Path(__file__).resolve().parent.parent
REDACTED = "[secret]"
_SIG, _SECRET, _RESOURCE, _OUTPUT = sdk.SIG_KEY, sdk.SECRET, sdk.RESOURCE, sdk.OUTPUT_VALUE


@dataclass
class Plan:
    project: str
    stack: str
    resources: list[dict[str, Any]] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)  # what the program sent to pulumi.log.warn

    def to_json(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "stack": self.stack,
            "resources": self.resources,
            "outputs": self.outputs,
            "warnings": self.warnings,
        }

    # Helpers for tests and reports.
    def of_type(self, token: str) -> list[dict[str, Any]]:
        return [r for r in self.resources if r["type"] == token]

    def one(self, token: str, name: str | None = None) -> dict[str, Any]:
        found = [r for r in self.of_type(token) if name is None or r["name"] == name]
        if len(found) != 1:
            raise LookupError(f"expected one {token} named {name!r}, found {[r['name'] for r in found]}")
        return found[0]

    def by_urn(self, urn: str) -> dict[str, Any]:
        return next(r for r in self.resources if r["urn"] == urn)


def redact(value: Any) -> Any:
    """Engine-wire value -> plain JSON, with every secret replaced by "[secret]"."""
    if isinstance(value, dict):
        sig = value.get(_SIG)
        if sig == _SECRET:
            return REDACTED
        if sig == _OUTPUT:
            return REDACTED if value.get("secret") else redact(value.get("value"))
        if sig == _RESOURCE:
            return value.get("urn")
        return {k: redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    if value == sdk.UNKNOWN:
        return None
    return value


def _secret_keys(obj: struct_pb2.Struct) -> set[str]:
    wire = json_format.MessageToDict(obj)
    return {k for k, v in wire.items() if isinstance(v, dict) and v.get(_SIG) == _SECRET}


def _qualified_type(urn: str) -> str:
    """`urn:pulumi:<stack>::<project>::<parent types$type>::<name>` -> the type chain."""
    return urn.split("::")[2]


def alias_urns(request: Any) -> list[str]:
    """The old URNs a registration declares (`opts.aliases`), as the engine resolves them.

    The SDK sends alias specs (the mock monitor supports them); a spec's empty fields mean "as
    now". Children of an aliased parent inherit its aliases in the engine: see `offline/urns.py`.
    """
    stack, project = runtime_settings.get_stack(), runtime_settings.get_project()
    out = []
    for alias in request.aliases:
        if alias.WhichOneof("alias") == "urn":
            out.append(alias.urn)
            continue
        spec = alias.spec
        parent = request.parent
        if spec.WhichOneof("parent") == "parentUrn":
            parent = spec.parentUrn
        elif spec.noParent:
            parent = ""
        typ = spec.type or request.type
        chain = typ if not parent or _qualified_type(parent) == "pulumi:pulumi:Stack" else f"{_qualified_type(parent)}${typ}"
        out.append(f"urn:pulumi:{spec.stack or stack}::{spec.project or project}::{chain}::{spec.name or request.name}")
    return sorted(out)


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """MockMonitor that records registrations and keeps secrets secret like the real engine.

    The stock mock unwraps secret inputs and ignores `additionalSecretOutputs`, so an output
    derived from a secret would silently turn plain. Here, outputs whose input was secret, and
    those the resource declares secret (e.g. RandomPassword.result), come back secret.
    """

    def __init__(self, mocks: pulumi.runtime.Mocks, records: list[dict[str, Any]] | None = None):
        super().__init__(mocks)
        self.records: list[dict[str, Any]] = [] if records is None else records

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        """The engine's URN: the parent's whole type chain, the root stack left out.

        The stock mock joins only the parent's own type, and prefixes `pulumi:pulumi:Stack$` to
        top-level resources: URNs no real stack has, so aliases could not be checked against them.
        """
        if parent and _qualified_type(parent) != "pulumi:pulumi:Stack":
            type_ = f"{_qualified_type(parent)}${type_}"
        return f"urn:pulumi:{runtime_settings.get_stack()}::{runtime_settings.get_project()}::{type_}::{name}"

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]  # the SDK's mock monitor is unannotated
        if request.type == "pulumi:pulumi:Stack":
            return response
        wire = json_format.MessageToDict(request.object)
        self.records.append(
            {
                "urn": response.urn,
                "type": request.type,
                "name": request.name,
                "parent": request.parent or None,
                "dependencies": sorted(set(request.dependencies)),
                "provider": request.provider or None,
                "protect": bool(request.protect),
                "custom": bool(request.custom),
                "inputs": redact(wire),
                "aliases": alias_urns(request),
            }
        )
        secret = _secret_keys(request.object) | set(request.additionalSecretOutputs)
        if secret and response.object is not None:
            out = json_format.MessageToDict(response.object)
            for key in secret & set(out):
                out[key] = {_SIG: _SECRET, "value": out[key]}
            struct = struct_pb2.Struct()
            json_format.ParseDict(out, struct)
            response = type(response)(urn=response.urn, id=response.id, object=struct)
        return response


def _natural(text: str) -> tuple[Any, ...]:
    """ "subnet-10" after "subnet-2": digit runs compare as numbers."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", text) if part)


def ordered(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Records in a stable order: parents before children, depth first; siblings by kind
    (providers, components, then cloud resources), type and name.

    The engine completes registrations concurrently, so arrival order varies between runs; a
    plan must not, or two plans of the same program could not be diffed.
    """
    urns = {r["urn"] for r in records}
    children: dict[str | None, list[dict[str, Any]]] = {}
    for rec in records:
        children.setdefault(rec["parent"] if rec["parent"] in urns else None, []).append(rec)

    def key(rec: dict[str, Any]) -> tuple[Any, ...]:
        kind = 0 if rec["type"].startswith("pulumi:providers:") else 1 if not rec["custom"] else 2
        return kind, rec["type"], _natural(rec["name"])

    out: list[dict[str, Any]] = []
    stack = sorted(children.get(None, []), key=key, reverse=True)
    while stack:
        rec = stack.pop()
        out.append(rec)
        stack.extend(sorted(children.get(rec["urn"], []), key=key, reverse=True))
    return out


async def _resolve_outputs(root: pulumi.Resource | None) -> dict[str, Any]:
    outputs = getattr(root, "outputs", None) or {}
    resolved: dict[str, Any] = {}
    for name, value in outputs.items():
        out = pulumi.Output.from_input(value)
        is_secret = await out.is_secret()
        data = await out.future(with_unknowns=True)
        resolved[name] = REDACTED if is_secret else redact(_plain(data))
    return resolved


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


class _WarningCollector(logging.Handler):
    """The mock engine hands `pulumi.log.warn` messages to a logger: keep them for the plan."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno == logging.WARNING:
            self.messages.append(record.getMessage())


def run(
    stack: str,
    overrides: list[str] | tuple[str, ...] = (),
    root: Path = ROOT,
    config: StackConfig | None = None,
    records: list[dict[str, Any]] | None = None,
    program: Callable[[], None] | None = None,
) -> Plan:
    """Run `__main__.py` of `root` for `stack`. Raises the program's exception, if any.

    `records`, if given, is the list the monitor appends every registration to: after a failure
    the caller can still tell what (if anything) was registered. `program` replaces `__main__.py`
    (the benchmark's floor runs a trivial program through exactly the same machinery).
    """
    config = config or read_stack_config(root, stack, overrides)
    region = config.values.get("aws:region", "us-east-1")
    mocks = NoxMocks(region)
    monitor = RecordingMonitor(mocks, records)
    runtime_settings.reset_options(project=config.project, stack=stack)
    pulumi.runtime.set_all_config(config.values, list(config.secret_keys))
    collector = _WarningCollector()
    logger = logging.getLogger(f"nox.offline.plan.{id(collector)}")
    logger.propagate = False  # collected for the report, not printed twice
    logger.addHandler(collector)
    pulumi.runtime.set_mocks(mocks, project=config.project, stack=stack, preview=False, monitor=monitor, logger=logger)
    root_resource = runtime_settings.get_root_resource()

    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    failure: list[BaseException] = []

    def main() -> None:
        try:
            if program is None:
                runpy.run_path(str(root / "__main__.py"), run_name="__main__")
            else:
                program()
        except BaseException as err:  # re-raised below, after the engine settles
            failure.append(err)

    # A plan allocates heavily (the provider SDK modules the program loads, then thousands of
    # Outputs and tasks) and frees almost nothing, so the cyclic GC would keep re-scanning about a
    # million live SDK objects for no garbage: about a quarter of a prod plan's time. Paused for the
    # run only; reference counting still frees everything acyclic.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        with sdk.no_stack_traces():
            sdk.sync_await(run_pulumi_func(main))
            if failure:
                raise failure[0]
            # Sorted and de-duplicated: arrival order follows the engine's concurrency.
            plan = Plan(project=config.project, stack=stack, resources=ordered(monitor.records), warnings=sorted(set(collector.messages)))
            plan.outputs = sdk.sync_await(_resolve_outputs(root_resource))
    finally:
        if gc_was_enabled:
            gc.enable()
    return plan
