"""No refactor changes a real stack's URNs unless an alias carries the old URN over."""

from __future__ import annotations

import pulumi
import pytest

from offline import engine, urns
from offline.config import read_stack_config

SHIPPED = {stack: read_stack_config(engine.ROOT, stack).values["nox:platform"] for stack in ("dev", "staging", "prod")}


@pytest.mark.parametrize(("stack", "platform"), urns.STACKS)
def test_every_baseline_urn_survives(plan_for, stack, platform):
    plan = plan_for(stack) if SHIPPED[stack] == platform else plan_for(stack, f"nox:platform={platform}")
    baseline = urns.read_baseline(stack, platform)
    assert len(baseline) > 100  # a truncated baseline would guard nothing
    assert urns.lost(baseline, plan.resources) == []


class _Box(pulumi.ComponentResource):
    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None):
        super().__init__("nox:test:Box", name, None, opts)
        pulumi.CustomResource("nox:test:Thing", f"{name}-thing", {}, pulumi.ResourceOptions(parent=self))


def _program(renamed: bool, alias: bool) -> engine.Plan:
    def program() -> None:
        if not renamed:
            _Box("old")
            pulumi.CustomResource("nox:test:Thing", "loose", {})
            return
        aliases = [pulumi.Alias(name="old")] if alias else []
        box = _Box("new", pulumi.ResourceOptions(aliases=aliases))
        # Moved under the component: its old URN had the stack as parent.
        moved = [pulumi.Alias(parent=pulumi.ROOT_STACK_RESOURCE)] if alias else []
        pulumi.CustomResource("nox:test:Thing", "loose", {}, pulumi.ResourceOptions(parent=box, aliases=moved))

    return engine.run("dev", program=program)


def test_aliases_are_recorded_as_the_engine_resolves_them():
    before = [r["urn"] for r in _program(renamed=False, alias=False).resources]
    after = _program(renamed=True, alias=True).resources
    box = next(r for r in after if r["type"] == "nox:test:Box")
    assert box["aliases"] == ["urn:pulumi:dev::nox-infra::nox:test:Box::old"]
    loose = next(r for r in after if r["name"] == "loose")
    assert loose["aliases"] == ["urn:pulumi:dev::nox-infra::nox:test:Thing::loose"]
    # The child keeps its name but not its parent's: covered by the inherited alias only.
    assert "urn:pulumi:dev::nox-infra::nox:test:Box$nox:test:Thing::new-thing" not in before
    assert urns.lost(before, after) == ["urn:pulumi:dev::nox-infra::nox:test:Box$nox:test:Thing::old-thing"]


def test_a_move_without_alias_is_a_loss():
    before = [r["urn"] for r in _program(renamed=False, alias=False).resources]
    after = _program(renamed=True, alias=False).resources
    assert urns.lost(before, after) == [
        "urn:pulumi:dev::nox-infra::nox:test:Box$nox:test:Thing::old-thing",
        "urn:pulumi:dev::nox-infra::nox:test:Box::old",
        "urn:pulumi:dev::nox-infra::nox:test:Thing::loose",
    ]


def test_parent_aliases_pass_down_to_children():
    records = [
        {"urn": "urn:pulumi:dev::nox::a:b:C::new", "parent": None, "aliases": ["urn:pulumi:dev::nox::a:b:C::old"]},
        {"urn": "urn:pulumi:dev::nox::a:b:C$x:y:Z::kid", "parent": "urn:pulumi:dev::nox::a:b:C::new", "aliases": []},
    ]
    # The engine inherits the parent's alias with the child's own name and type.
    assert "urn:pulumi:dev::nox::a:b:C$x:y:Z::kid" in urns.covered(records)
    assert urns.lost(["urn:pulumi:dev::nox::a:b:C$x:y:Z::kid", "urn:pulumi:dev::nox::a:b:C::old"], records) == []
