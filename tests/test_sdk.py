"""Every private SDK internal the offline engine relies on is still there and still means the same.

Each test names the internal it checks: an SDK upgrade that moves or changes one fails here first,
loudly, instead of a plan silently recording secrets in clear or losing its ARNs.
"""

from __future__ import annotations

import asyncio
import inspect

import pulumi
from pulumi.runtime import resource as runtime_resource

from offline import sdk


def test_wire_signatures_are_the_engine_protocol_constants():
    # The values are part of the engine's wire protocol (sdk/go/common/resource/sig): they never
    # change, only where the Python SDK keeps them can.
    assert sdk.SIG_KEY == "4dabf18193072939515e22adb298388d"
    assert sdk.SECRET == "1b47061264138c4ac30d75fd1eb44270"
    assert sdk.RESOURCE == "5cf8f73096256a8f31e491e813e4eb8e"
    assert sdk.OUTPUT_VALUE == "d0e6a833031e9bbcd3f4e8bde6ca49a4"
    assert sdk.UNKNOWN == "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


def test_sync_await_runs_a_coroutine_to_completion():
    async def seven() -> int:
        await asyncio.sleep(0)
        return 7

    assert sdk.sync_await(seven()) == 7


def test_the_resource_module_registry_knows_the_provider_classes():
    import pulumi_aws  # noqa: F401  (registers its modules on import)

    modules = sdk.resource_modules()
    # Keyed "<pkg>:<module>" of the type token; offline/mocks.py reads `mod_info` exactly like this.
    info = modules["aws:ec2/vpc"][0].mod_info
    assert (info["fqn"], info["classes"]["aws:ec2/vpc:Vpc"]) == ("pulumi_aws.ec2", "Vpc")


def test_stack_traces_are_switched_off_and_back_on():
    original = runtime_resource._get_stack_trace
    assert callable(original) and inspect.signature(original)  # the hook the SDK calls per registration
    with sdk.no_stack_traces():
        assert runtime_resource._get_stack_trace is not original
        assert type(runtime_resource._get_stack_trace()).__name__ == "StackTrace"
    assert runtime_resource._get_stack_trace is original


def test_policy_sdk_proxy_raises_on_unknowns():
    props = sdk.deserialize_properties({"known": "x", "later": sdk.UNKNOWN})
    proxy = sdk.unknown_checking_proxy(props)
    assert proxy["known"] == "x"
    try:
        proxy["later"]
    except sdk.UnknownValueError:
        pass
    else:  # pragma: no cover - only on an SDK change
        raise AssertionError("pulumi_policy no longer raises UnknownValueError on an unknown value")
    assert pulumi.Output  # the public SDK still imports alongside the internals
