"""The offline policy evaluation: engine-equivalent calls, config resolution, reports, the shipped stacks, saved plans."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from google.protobuf import json_format, struct_pb2
from policy_harness import UNKNOWN, plan, policy, record
from pulumi.runtime import proto
from pulumi_policy import (
    EnforcementLevel,
    ResourceValidationPolicy,
    StackValidationPolicy,
)
from pulumi_policy.policy import _PolicyAnalyzerServicer

from offline import policycheck
from offline.policycheck import PlanError, PolicyConfigError, Violation, evaluate, format_violations, has_mandatory, resolve
from policies.nox_policies import ALL_POLICIES, PACK_ENFORCEMENT_LEVEL, PACK_NAME

ROOT = Path(__file__).resolve().parent.parent
STACKS = [(s, p) for s in ("dev", "staging", "prod") for p in ("asg", "eks")]

# Advisory violations the shipped stacks may have, each with the reason it is acceptable. None today.
JUSTIFIED_ADVISORIES: dict[tuple[str, str], str] = {}

PUBLIC_DB = record(
    "aws:rds/instance:Instance",
    "db",
    {"engine": "postgres", "publiclyAccessible": True, "storageEncrypted": True, "kmsKeyId": "k", "iamDatabaseAuthenticationEnabled": True},
)
OPEN_LOGS = record("aws:cloudwatch/logGroup:LogGroup", "logs", {"name": "x"})


# --- the shipped stacks ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("stack", "platform"), STACKS)
def test_shipped_stacks_have_no_mandatory_violation(plan_for, stack: str, platform: str) -> None:
    found = evaluate(plan_for(stack, f"nox:platform={platform}").to_json())
    assert not has_mandatory(found), format_violations(found)
    unexplained = [v for v in found if (v.policy, v.urn) not in JUSTIFIED_ADVISORIES]
    assert unexplained == [], format_violations(unexplained)


@pytest.mark.parametrize(("stack", "platform"), [("dev", "asg"), ("prod", "eks"), ("prod", "asg")])
def test_saved_plan_recheck_equals_the_live_result(plan_for, tmp_path: Path, stack: str, platform: str) -> None:
    live_plan = plan_for(stack, f"nox:platform={platform}")
    saved = tmp_path / "plan.json"
    saved.write_text(json.dumps(live_plan.to_json(), indent=2))
    live = evaluate(live_plan.to_json())
    assert evaluate(json.loads(saved.read_text())) == live
    # A violating variant gives the same (non-empty) answer both ways too.
    doc = live_plan.to_json()
    doc = dict(doc, resources=[*doc["resources"], PUBLIC_DB])
    assert evaluate(json.loads(json.dumps(doc))) == evaluate(doc) != []


def test_check_command_exit_codes(plan_for, tmp_path: Path, capsys) -> None:
    """`make check PLAN=...`: 0 clean, 1 mandatory violation, 2 unreadable plan."""
    from offline import cli

    clean = tmp_path / "clean.json"
    clean.write_text(json.dumps(plan_for("dev").to_json()))
    doc = plan_for("dev").to_json()
    dirty = tmp_path / "dirty.json"
    dirty.write_text(json.dumps(dict(doc, resources=[*doc["resources"], PUBLIC_DB])))
    garbage = tmp_path / "garbage.json"
    garbage.write_text("{not json")
    assert cli.main(["check", str(clean)]) == 0
    assert cli.main(["check", str(dirty)]) == 1
    assert "aws-rds-instance-disallow-public-access" in capsys.readouterr().out
    assert cli.main(["check", str(garbage)]) == 2
    assert cli.main(["check", str(tmp_path / "missing.json")]) == 2


# --- the engine's own analyzer gives the same answers -------------------------------------------------------


def _struct(value: dict[str, Any]) -> struct_pb2.Struct:
    s = struct_pb2.Struct()
    json_format.ParseDict(value, s)
    return s


def _engine_violations(doc: dict[str, Any], config: dict[str, Any] | None = None) -> list[Violation]:
    """Run the plan through pulumi_policy's gRPC servicer (the code `pulumi preview --policy-pack` talks to)."""
    servicer = _PolicyAnalyzerServicer(PACK_NAME, "0.0.1", ALL_POLICIES, PACK_ENFORCEMENT_LEVEL)
    if config:
        levels = resolve(ALL_POLICIES, config)
        servicer.Configure(
            proto.ConfigureAnalyzerRequest(
                policyConfig={
                    name: proto.PolicyConfig(enforcementLevel=servicer._map_enforcement_level(level), properties=_struct(props))
                    for name, (level, props) in levels.items()
                }
            ),
            None,
        )
    by_urn = {r["urn"]: r for r in doc["resources"]}

    def provider(r: dict[str, Any]) -> proto.AnalyzerProviderResource | None:
        p = by_urn.get((r.get("provider") or "").rsplit("::", 1)[0])
        return proto.AnalyzerProviderResource(type=p["type"], properties=_struct(p["inputs"]), urn=p["urn"], name=p["name"]) if p else None

    def options(r: dict[str, Any]) -> proto.AnalyzerResourceOptions:
        return proto.AnalyzerResourceOptions(protect=r["protect"], parent=r["parent"] or "")

    found: list[Violation] = []

    def collect(response: Any, default_urn: str | None) -> None:
        for d in response.diagnostics:
            level = "mandatory" if d.enforcementLevel == proto.MANDATORY else "advisory"
            message = d.message.removeprefix(d.description + "\n")
            found.append(Violation(d.policyName, level, message, d.urn or default_urn))

    for r in doc["resources"]:
        collect(
            servicer.Analyze(
                proto.AnalyzeRequest(
                    type=r["type"], properties=_struct(r["inputs"]), urn=r["urn"], name=r["name"], options=options(r), provider=provider(r)
                ),
                None,
            ),
            r["urn"],
        )
    resources = [
        proto.AnalyzerResource(
            type=r["type"],
            properties=_struct(r["inputs"]),
            urn=r["urn"],
            name=r["name"],
            options=options(r),
            provider=provider(r),
            parent=r["parent"] or "",
            dependencies=r["dependencies"],
        )
        for r in doc["resources"]
    ]
    collect(servicer.AnalyzeStack(proto.AnalyzeStackRequest(resources=resources), None), None)
    return sorted(found, key=lambda v: (policycheck.LEVELS.index(v.level), v.policy, v.urn or "", v.message))


@pytest.mark.parametrize(("stack", "platform"), [("prod", "eks"), ("dev", "asg")])
def test_offline_evaluation_matches_the_sdk_analyzer(plan_for, stack: str, platform: str) -> None:
    doc = plan_for(stack, f"nox:platform={platform}").to_json()
    doc = dict(doc, resources=[*doc["resources"], PUBLIC_DB, OPEN_LOGS])
    assert evaluate(doc) == _engine_violations(doc) != []
    config = {"aws-rds-instance-disallow-public-access": "advisory", "aws-cloudwatch-log-group-retention": "disabled"}
    assert evaluate(doc, config=config) == _engine_violations(doc, config)


def test_unknown_values_match_the_sdk_analyzer() -> None:
    doc = plan(
        record(
            "aws:rds/instance:Instance",
            "db",
            {"engine": "postgres", "publiclyAccessible": UNKNOWN, "kmsKeyId": UNKNOWN, "storageEncrypted": True},
        )
    )
    assert evaluate(doc) == _engine_violations(doc)


# --- evaluation mechanics ------------------------------------------------------------------------------------


def _probe(seen: list[Any], stack_level: bool = False):
    def validate(args, report_violation):
        seen.append(args)
        report_violation("probe says no", None)

    cls = StackValidationPolicy if stack_level else ResourceValidationPolicy
    return cls("probe-policy", "A probe.", validate)


def test_resource_args_are_built_like_the_engine() -> None:
    seen: list[Any] = []
    db = dict(PUBLIC_DB, protect=True)
    found = evaluate(plan(db), policies=[_probe(seen)], config={"probe-policy": {"enforcementLevel": "advisory", "limit": 3}})
    args = next(a for a in seen if a.urn == db["urn"])
    assert (args.resource_type, args.name, args.opts.protect, args.opts.parent) == (db["type"], "db", True, db["parent"])
    assert args.props["publiclyAccessible"] is True
    assert args.provider.resource_type == "pulumi:providers:aws"
    assert json.loads(args.provider.props["defaultTags"])["tags"]["Environment"] == "prod"
    assert dict(args.get_config()) == {"limit": 3}
    assert Violation("probe-policy", "advisory", "probe says no", db["urn"]) in found


def test_stack_args_resolve_parent_dependencies_and_provider() -> None:
    seen: list[Any] = []
    key = record("aws:kms/key:Key", "key", {"enableKeyRotation": True})
    db = dict(record("aws:rds/instance:Instance", "db", {"engine": "postgres"}, deps=[key]), parent=key["urn"])
    evaluate(plan(key, db), policies=[_probe(seen, stack_level=True)])
    (args,) = seen
    res = {r.name: r for r in args.resources}
    assert res["db"].parent is res["key"]
    assert res["db"].dependencies == [res["key"]]
    assert res["db"].provider.urn == res["aws"].urn
    assert res["key"].props["enableKeyRotation"] is True


def test_unknown_value_read_through_the_proxy_becomes_an_advisory_like_the_engine() -> None:
    def validate(args, report_violation):
        if args.resource_type == db["type"] and args.props["publiclyAccessible"]:  # raises UnknownValueError on the sentinel
            report_violation("public", None)

    naive = ResourceValidationPolicy("naive-policy", "Reads unknowns carelessly.", validate)
    db = record("aws:rds/instance:Instance", "db", {"publiclyAccessible": UNKNOWN})
    (found,) = evaluate(plan(db), policies=[naive])
    assert found.level == "advisory"
    assert found.message.startswith("can't run policy 'naive-policy' from policy pack 'nox-security' during preview")


def test_a_crashing_policy_is_a_mandatory_failure_not_a_crash() -> None:
    def validate(args, report_violation):
        raise KeyError("boom")

    (found,) = evaluate(plan(), policies=[StackValidationPolicy("broken-policy", "Broken.", validate)])
    assert (found.level, found.message) == ("mandatory", "policy 'broken-policy' failed: KeyError: 'boom'")


@pytest.mark.parametrize(
    "doc", [[], {}, {"resources": {}}, {"resources": [{"urn": "u"}]}, {"resources": [{"urn": "u", "type": "t", "name": "n", "inputs": []}]}]
)
def test_not_a_plan(doc: Any) -> None:
    with pytest.raises(PlanError):
        evaluate(doc)


# --- enforcement levels -------------------------------------------------------------------------------------


def test_mandatory_by_default() -> None:
    assert PACK_ENFORCEMENT_LEVEL is EnforcementLevel.MANDATORY
    assert all(p.enforcement_level is None for p in ALL_POLICIES)  # so the pack level and the config decide
    levels = resolve(ALL_POLICIES, None)
    assert {level for level, _ in levels.values()} == {EnforcementLevel.MANDATORY}


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        (None, "mandatory"),
        ({"aws-rds-instance-disallow-public-access": "advisory"}, "advisory"),
        ({"aws-rds-instance-disallow-public-access": {"enforcementLevel": "advisory"}}, "advisory"),
        ({"aws-rds-instance-disallow-public-access": "remediate"}, "mandatory"),
        ({"all": "advisory"}, "advisory"),
        ({"all": "advisory", "aws-rds-instance-disallow-public-access": "mandatory"}, "mandatory"),
        ({"aws-rds-instance-disallow-public-access": "disabled"}, None),
        ({"all": {"enforcementLevel": "disabled"}}, None),
    ],
)
def test_policy_pack_config_sets_levels(config: dict[str, Any] | None, expected: str | None) -> None:
    found = [v for v in evaluate(plan(PUBLIC_DB), config=config) if v.policy == "aws-rds-instance-disallow-public-access"]
    assert [v.level for v in found] == ([expected] if expected else [])


def test_level_precedence_is_the_engines_named_then_all_then_the_policys_own_then_the_pack():
    """As Pulumi's ReconcilePolicyPackConfig: defaults from each policy's own level, `all` overrides every
    policy, a policy named in the config overrides `all`; the pack level applies when nothing else does."""
    own = ResourceValidationPolicy(
        name="own-level", description="d", validate=lambda args, report: None, enforcement_level=EnforcementLevel.ADVISORY
    )
    none = ResourceValidationPolicy(name="no-level", description="d", validate=lambda args, report: None)

    def levels(config):
        return {name: level for name, (level, _) in resolve([own, none], config).items()}

    assert levels(None) == {"own-level": EnforcementLevel.ADVISORY, "no-level": EnforcementLevel.MANDATORY}
    assert levels({"all": "mandatory"}) == {"own-level": EnforcementLevel.MANDATORY, "no-level": EnforcementLevel.MANDATORY}
    assert levels({"all": "disabled", "own-level": "advisory"}) == {
        "own-level": EnforcementLevel.ADVISORY,
        "no-level": EnforcementLevel.DISABLED,
    }


@pytest.mark.parametrize(
    "config", [{"no-such-policy": "advisory"}, {"aws-kms-key-rotation-enabled": "loud"}, {"aws-kms-key-rotation-enabled": 3}]
)
def test_bad_policy_pack_config(config: dict[str, Any]) -> None:
    with pytest.raises(PolicyConfigError):
        evaluate(plan(), config=config)


def test_example_config_is_valid_and_documented() -> None:
    config = json.loads((ROOT / "policies" / "config.example.json").read_text())
    resolved = resolve(ALL_POLICIES, config)
    assert any(level is not EnforcementLevel.MANDATORY for level, _ in resolved.values())


# --- reports ------------------------------------------------------------------------------------------------


def test_format_groups_by_level_mandatory_first() -> None:
    found = evaluate(
        plan(PUBLIC_DB, OPEN_LOGS),
        config={"aws-cloudwatch-log-group-retention": "advisory"},
        policies=[policy("aws-rds-instance-disallow-public-access"), policy("aws-cloudwatch-log-group-retention")],
    )
    text = format_violations(found)
    assert text.startswith("policy pack nox-security: 2 violation(s) (1 mandatory, 1 advisory)")
    assert (
        text.index("mandatory (1):")
        < text.index("[aws-rds-instance-disallow-public-access] aws:rds/instance:Instance db")
        < text.index("advisory (1):")
        < text.index("[aws-cloudwatch-log-group-retention] aws:cloudwatch/logGroup:LogGroup logs")
    )
    assert "set publicly_accessible=False" in text
    assert has_mandatory(found) and not has_mandatory([v for v in found if v.level == "advisory"])
    assert format_violations([]) == "policy pack nox-security: no violations"


# --- the pack itself ----------------------------------------------------------------------------------------


def test_pack_main_only_assembles_the_pack() -> None:
    tree = ast.parse((ROOT / "policies" / "__main__.py").read_text())
    calls = [n for n in tree.body if isinstance(n, ast.Expr) and not isinstance(n.value, ast.Constant)]
    assert len(calls) == 1 and not [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef, ast.Assign))]
    call = calls[0].value
    assert isinstance(call, ast.Call) and call.func.id == "PolicyPack"
    assert call.args[0].value == PACK_NAME
    kwargs = {k.arg: k.value for k in call.keywords}
    assert kwargs["policies"].id == "ALL_POLICIES"
    assert ast.unparse(kwargs["enforcement_level"]) == f"EnforcementLevel.{PACK_ENFORCEMENT_LEVEL.name}"


def test_pack_is_standalone() -> None:
    """As the CLI loads it (policies/ as sys.path[0]): imports, and needs neither the program nor pulumi-aws."""
    code = (
        "import sys, nox_policies; "
        "bad = [m for m in ('settings', 'components', 'pulumi_aws', 'pulumi_kubernetes', 'offline') if m in sys.modules]; "
        "print(len(nox_policies.ALL_POLICIES), bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT / "policies", capture_output=True, text=True, check=True).stdout
    assert out.strip() == f"{len(ALL_POLICIES)} []"


def test_pulumi_policy_yaml() -> None:
    meta = yaml.safe_load((ROOT / "policies" / "PulumiPolicy.yaml").read_text())
    assert meta["runtime"]["name"] == "python"
    assert meta["runtime"]["options"]["virtualenv"] == "venv"
    assert meta["description"]
    requirements = (ROOT / "policies" / "requirements.txt").read_text()
    assert re.search(r"^pulumi-policy==1\.21\.0$", requirements, re.M)


def test_every_policy_is_named_described_and_documented() -> None:
    # The README's policy list, or the docs page of the area (the monitoring policies live in docs/monitoring.md).
    readme = "\n".join(f.read_text() for f in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))])
    names = [p.name for p in ALL_POLICIES]
    assert len(names) == len(set(names))
    for p in ALL_POLICIES:
        assert re.fullmatch(r"(aws|kubernetes|stack)(-[a-z0-9]+)+", p.name), p.name
        assert p.description.endswith("."), p.name
        assert f"`{p.name}`" in readme, f"{p.name} is missing from the README's policy list (or a docs/ page)"


def test_pack_serves_as_the_pulumi_cli_starts_it() -> None:
    """`pulumi preview --policy-pack policies` runs `python -m pulumi.policy <engine> <pack dir>`, which serves gRPC."""
    import grpc
    from google.protobuf import empty_pb2
    from pulumi.runtime.proto import analyzer_pb2_grpc

    with subprocess.Popen(
        [sys.executable, "-u", "-m", "pulumi.policy", "127.0.0.1:1", "."],
        cwd=ROOT / "policies",
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as server:
        try:
            port = server.stdout.readline().strip()
            assert port.isdigit(), server.stderr.read()
            with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
                stub = analyzer_pb2_grpc.AnalyzerStub(channel)
                info = stub.GetAnalyzerInfo(empty_pb2.Empty(), timeout=30)
                assert info.name == PACK_NAME
                assert [p.name for p in info.policies] == [p.name for p in ALL_POLICIES]
                assert {p.enforcementLevel for p in info.policies} == {proto.MANDATORY}
                found = stub.Analyze(
                    proto.AnalyzeRequest(type=PUBLIC_DB["type"], properties=_struct(PUBLIC_DB["inputs"]), urn=PUBLIC_DB["urn"], name="db"),
                    timeout=30,
                )
                assert "aws-rds-instance-disallow-public-access" in {d.policyName for d in found.diagnostics}
        finally:
            server.kill()  # the pack serves until killed, as under the Pulumi CLI
