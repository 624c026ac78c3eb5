"""Run single policies over small synthetic plans, exactly as the offline evaluation (and the engine) does.

A synthetic plan is a list of plan records (the `--format json` resource shape). `offline.policycheck`
turns them into `ResourceValidationArgs` / `StackValidationArgs` with props from
`deserialize_properties` + `unknown_checking_proxy`, so an unknown sentinel placed in an input is
seen by the policy as the engine would show it during a first preview.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable
from typing import Any

from pulumi_policy import Policy
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from offline.policycheck import Violation, evaluate
from policies.nox_policies import ALL_POLICIES

STACK = "urn:pulumi:test::nox-infra::pulumi:pulumi:Stack::nox-infra-test"
AWS_PROVIDER_URN = "urn:pulumi:test::nox-infra::pulumi:pulumi:Stack$pulumi:providers:aws::aws"
K8S_PROVIDER_URN = "urn:pulumi:test::nox-infra::pulumi:pulumi:Stack$pulumi:providers:kubernetes::k8s"
UNKNOWN = UNKNOWN_STRING_VALUE  # what the engine sends for a value it cannot know yet
DELETE = object()  # a mutation value: remove the key

TAGS = {"Project": "nox-infra", "ManagedBy": "pulumi", "Owner": "platform-team", "CostCenter": "nox-api"}


def policy(name: str) -> Policy:
    return next(p for p in ALL_POLICIES if p.name == name)


def urn(type_: str, name: str) -> str:
    return f"urn:pulumi:test::nox-infra::{type_}::{name}"


def aws_provider(environment: str | None = "prod") -> dict[str, Any]:
    tags = dict(TAGS, Environment=environment) if environment else dict(TAGS)
    # As the engine sees an explicit aws provider: object config JSON-encoded (see a real plan).
    return {
        "urn": AWS_PROVIDER_URN,
        "type": "pulumi:providers:aws",
        "name": "aws",
        "parent": STACK,
        "dependencies": [],
        "provider": None,
        "protect": False,
        "custom": True,
        "inputs": {"region": "us-west-2", "defaultTags": json.dumps({"tags": tags})},
    }


def k8s_provider() -> dict[str, Any]:
    return {
        "urn": K8S_PROVIDER_URN,
        "type": "pulumi:providers:kubernetes",
        "name": "k8s",
        "parent": STACK,
        "dependencies": [],
        "provider": None,
        "protect": False,
        "custom": True,
        "inputs": {"kubeconfig": "[secret]"},
    }


def record(
    type_: str, name: str, inputs: dict[str, Any], *, deps: Iterable[dict[str, Any] | str] = (), protect: bool = False
) -> dict[str, Any]:
    provider = K8S_PROVIDER_URN if type_.startswith("kubernetes:") else AWS_PROVIDER_URN
    return {
        "urn": urn(type_, name),
        "type": type_,
        "name": name,
        "parent": STACK,
        "dependencies": sorted(d if isinstance(d, str) else d["urn"] for d in deps),
        "provider": f"{provider}::{provider.rsplit('::', 1)[-1]}-0000",
        "protect": protect,
        "custom": True,
        "inputs": copy.deepcopy(inputs),
    }


def plan(*records: dict[str, Any], environment: str | None = "prod") -> dict[str, Any]:
    return {"project": "nox-infra", "stack": "test", "outputs": {}, "resources": [aws_provider(environment), k8s_provider(), *records]}


def run(name: str, *records: dict[str, Any], environment: str | None = "prod", config: dict[str, Any] | None = None) -> list[Violation]:
    """Violations of one policy over a synthetic plan; a crashing policy fails the test."""
    found = evaluate(plan(*records, environment=environment), config=config, policies=[policy(name)])
    crashed = [v for v in found if f"policy '{name}' failed" in v.message]
    assert not crashed, crashed[0].message
    return found


def run_all(policies: list[Policy], *records: dict[str, Any], environment: str | None = "prod") -> list[Violation]:
    """Violations of several policies at once (one evaluation); a crashing policy fails the test."""
    found = evaluate(plan(*records, environment=environment), policies=policies)
    crashed = [v for v in found if v.message.startswith(f"policy '{v.policy}' failed")]
    assert not crashed, crashed[0].message
    return found


def messages(name: str, *records: dict[str, Any], environment: str | None = "prod") -> list[str]:
    return [v.message for v in run(name, *records, environment=environment) if v.level == "mandatory"]


def mutate(inputs: dict[str, Any], path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    """A deep copy of `inputs` with the value at `path` replaced (or removed with DELETE); path () merges a dict."""
    out = copy.deepcopy(inputs)
    if not path:
        return {**out, **copy.deepcopy(value)}
    node: Any = out
    for step in path[:-1]:
        if isinstance(node, dict) and step not in node:
            node[step] = {}
        node = node[step]
    if value is DELETE:
        if isinstance(node, dict):
            node.pop(path[-1], None)
        else:
            del node[path[-1]]
    else:
        node[path[-1]] = value
    return out


def leaf_paths(value: Any, prefix: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    """Every path in a props tree (inner nodes too), for the unknown-value sweep."""
    paths: list[tuple[str | int, ...]] = [prefix] if prefix else []
    if isinstance(value, dict):
        for k, v in value.items():
            paths += leaf_paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            paths += leaf_paths(v, (*prefix, i))
    return paths
