"""The one place the offline engine touches private Pulumi SDK internals.

The mock engine needs a few things the SDK does not export: the wire signatures of secrets,
resource references and output values, the synchronous await it runs programs with, the
provider SDKs' resource-module registry, the stack-trace hook it switches off, and the policy
SDK's property deserializer and unknown-value proxy. Each is named
here once; `tests/test_sdk.py` checks every one of them against the installed SDK, so an upgrade
that moves one fails that test by name instead of silently changing what a plan records.
"""

from __future__ import annotations

import contextlib
from collections.abc import Coroutine, Iterator, Mapping
from typing import Any, TypeVar

from pulumi.runtime import resource as _runtime_resource
from pulumi.runtime import rpc as _rpc
from pulumi.runtime.proto import source_pb2 as _source_pb2
from pulumi.runtime.sync_await import _sync_await

# pulumi_policy's analyzer-side helpers: how the real `--policy-pack` run turns engine
# properties into what a policy sees (unknowns raise when read).
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.proxy import UnknownValueError, unknown_checking_proxy

__all__ = ["UnknownValueError", "deserialize_properties", "unknown_checking_proxy"]

T = TypeVar("T")

# Wire signatures (`"4dabf18193072939515e22adb298388d"` and friends): a dict carrying
# SIG_KEY == SECRET is a secret, and so on.
SIG_KEY: str = _rpc._special_sig_key
SECRET: str = _rpc._special_secret_sig
RESOURCE: str = _rpc._special_resource_sig
OUTPUT_VALUE: str = _rpc._special_output_value_sig
UNKNOWN: str = _rpc.UNKNOWN


def sync_await(awaitable: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion on the SDK's own event loop (as `pulumi up` does)."""
    return _sync_await(awaitable)


def resource_modules() -> Mapping[str, list[Any]]:
    """`"<pkg>:<module>"` -> the provider SDK modules registered for it (filled on import)."""
    return _rpc._RESOURCE_MODULES


@contextlib.contextmanager
def no_stack_traces() -> Iterator[None]:
    """Skip the SDK's per-registration walk of the Python stack (source positions the mock
    monitor ignores): a large share of a plan's time otherwise."""
    saved = _runtime_resource._get_stack_trace
    _runtime_resource._get_stack_trace = _source_pb2.StackTrace
    try:
        yield
    finally:
        _runtime_resource._get_stack_trace = saved
