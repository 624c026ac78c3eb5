"""The nox-security policy pack's policies, importable without starting the pack's gRPC server.

Imported as `policies.nox_policies` from the repository root (tests, the offline plan) and as
`nox_policies` by `policies/__main__.py` when the Pulumi CLI runs the pack; the modules use
relative imports so both work.
"""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, Policy

from . import aws, kubernetes, stack

PACK_NAME = "nox-security"
# Every policy is mandatory unless the policy-pack config says otherwise (README: policies).
PACK_ENFORCEMENT_LEVEL = EnforcementLevel.MANDATORY

ALL_POLICIES: list[Policy] = [*aws.POLICIES, *kubernetes.POLICIES, *stack.POLICIES]

_names = [p.name for p in ALL_POLICIES]
if len(_names) != len(set(_names)):
    raise RuntimeError(f"duplicate policy names: {sorted(n for n in _names if _names.count(n) > 1)}")

__all__ = ["ALL_POLICIES", "PACK_ENFORCEMENT_LEVEL", "PACK_NAME"]
