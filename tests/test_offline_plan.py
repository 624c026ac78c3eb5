"""Offline plan: every stack plans on both platforms, the JSON schema, secrets, dependencies, reports."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pulumi
import pytest

from offline import engine, report
from offline.config import SECRET_PLACEHOLDER, StackConfig
from offline.mocks import MOCK_SECRET_PREFIX, NoxMocks
from settings import ConfigError

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = {"dev": "asg", "staging": "eks", "prod": "eks"}
CASES = [(stack, platform) for stack in SHIPPED for platform in ("asg", "eks")]
URN = re.compile(r"^urn:pulumi:(?P<stack>[a-z]+)::nox-infra::(?P<qualified>.+)::(?P<name>[^:]+)$")


def plan_doc(plan_for, stack: str, platform: str) -> dict:
    """The plan as the CLI writes it (JSON round trip), reusing the session's cached plans."""
    plan = plan_for(stack) if SHIPPED[stack] == platform else plan_for(stack, f"nox:platform={platform}")
    return json.loads(json.dumps(plan.to_json()))


@pytest.mark.parametrize(("stack", "platform"), CASES)
def test_every_stack_plans_on_both_platforms(plan_for, stack, platform):
    doc = plan_doc(plan_for, stack, platform)
    assert (doc["project"], doc["stack"]) == ("nox-infra", stack)
    types = {r["type"] for r in doc["resources"]}
    assert {"pulumi:providers:aws", "nox:network:Network", "aws:ec2/vpc:Vpc"} <= types
    # The platform switch really switches: only EKS plans a Kubernetes provider.
    assert ("pulumi:providers:kubernetes" in types) == (platform == "eks")
    assert len({r["urn"] for r in doc["resources"]}) == len(doc["resources"]), "URNs are unique"


@pytest.mark.parametrize(("stack", "platform"), CASES)
def test_json_schema_shape(plan_for, stack, platform):
    doc = plan_doc(plan_for, stack, platform)
    assert list(doc) == ["project", "stack", "resources", "outputs", "warnings"]
    assert doc["warnings"] == []  # shipped stacks are clean: no EKS version near its end of support
    assert isinstance(doc["outputs"], dict) and doc["outputs"]
    urns = {r["urn"] for r in doc["resources"]}
    stack_urn = report.stack_urn(doc)
    for res in doc["resources"]:
        assert list(res) == ["urn", "type", "name", "parent", "dependencies", "provider", "protect", "custom", "inputs", "aliases"]
        urn = URN.match(res["urn"])
        assert urn and urn["stack"] == stack and urn["name"] == res["name"]
        assert urn["qualified"].split("$")[-1] == res["type"]
        assert isinstance(res["type"], str) and res["type"].count(":") == 2
        assert res["parent"] in urns | {stack_urn}
        assert isinstance(res["dependencies"], list) and all(d in urns for d in res["dependencies"])
        assert res["provider"] is None or res["provider"].split("::")[-2] in {r["name"] for r in doc["resources"]}
        assert isinstance(res["protect"], bool) and isinstance(res["custom"], bool)
        assert isinstance(res["inputs"], dict)
        assert res["custom"] == (not res["type"].startswith("nox:"))  # components are ours, the rest custom
    report.validate(doc)  # and the validator `check` uses agrees


@pytest.mark.parametrize(("stack", "platform"), CASES)
def test_no_mock_secret_anywhere_and_secrets_show_as_redacted(plan_for, stack, platform):
    text = json.dumps(plan_doc(plan_for, stack, platform))
    assert MOCK_SECRET_PREFIX not in text
    assert SECRET_PLACEHOLDER not in text
    # The app has no stored credential any more (IAM logins); what is secret (the eks kubeconfig) shows redacted.
    assert ('"[secret]"' in text) is (platform == "eks")


def test_the_leak_marker_is_real_the_mocks_produce_it_and_the_plan_redacts_it(plan_for):
    """The absence checks above mean something: a generated secret does carry the marker under the
    mocks, and where it flows (Grafana's admin Secret on eks) the plan shows `[secret]` instead."""
    plan = plan_for("prod", "nox:platform=eks")
    password = plan.one("random:index/randomPassword:RandomPassword", "monitoring-grafana-admin")
    mocked = NoxMocks("us-west-2").new_resource(
        pulumi.runtime.MockResourceArgs(password["type"], password["name"], password["inputs"], custom=True)
    )[1]
    assert mocked["result"].startswith(MOCK_SECRET_PREFIX)
    [secret] = [r for r in plan.of_type("kubernetes:core/v1:Secret") if password["urn"] in r["dependencies"]]
    assert secret["inputs"]["stringData"] == "[secret]"
    assert MOCK_SECRET_PREFIX not in json.dumps(plan.to_json())


def test_secure_stack_config_never_reaches_the_plan(tmp_path):
    """A `secure:` value in a stack file becomes a secret placeholder that appears nowhere in the plan."""
    for item in ("__main__.py", "Pulumi.yaml", "components", "settings"):
        (tmp_path / item).symlink_to(ROOT / item)
    stack_file = (ROOT / "Pulumi.dev.yaml").read_text()
    stack_file = stack_file.replace("config:\n", "config:\n  aws:secretKey:\n    secure: v1:AAAAAAAAAAAAAAAAAAAAAAAA\n", 1)
    (tmp_path / "Pulumi.sectest.yaml").write_text(stack_file)
    plan = engine.run("sectest", root=tmp_path)
    assert plan.resources
    assert SECRET_PLACEHOLDER not in json.dumps(plan.to_json())


def test_secret_inputs_and_outputs_are_redacted_by_the_engine():
    """The recording monitor turns every secret into "[secret]", nested ones and stack outputs too."""
    config = StackConfig(project="nox-infra", stack="redact", values={"demo:token": SECRET_PLACEHOLDER}, secret_keys=("demo:token",))

    def program() -> None:
        token = pulumi.Config("demo").require_secret("token")
        res = pulumi.CustomResource(
            "demo:index:Thing", "thing", {"token": token, "plain": "visible", "nested": {"deep": token, "list": [token, "ok"]}}
        )
        pulumi.export("token", token)
        pulumi.export("plain", "visible")
        pulumi.export("derived", res.urn.apply(lambda _: "x"))

    plan = engine.run("redact", config=config, program=program)
    inputs = plan.one("demo:index:Thing")["inputs"]
    assert inputs == {"token": "[secret]", "plain": "visible", "nested": {"deep": "[secret]", "list": ["[secret]", "ok"]}}
    assert plan.outputs == {"token": "[secret]", "plain": "visible", "derived": "x"}
    assert SECRET_PLACEHOLDER not in json.dumps(plan.to_json())


def test_redact_turns_every_engine_wire_form_into_plain_json():
    """Secrets (bare and as output values), resource references, unknowns, at any depth."""
    from pulumi.runtime import rpc

    def secret(value):
        return {engine._SIG: engine._SECRET, "value": value}

    wire = {
        "secret": secret("MOCK-SECRET-a"),
        "secretOutput": {engine._SIG: engine._OUTPUT, "value": "MOCK-SECRET-b", "secret": True, "dependencies": ["u"]},
        "plainOutput": {engine._SIG: engine._OUTPUT, "value": {"n": [1, secret("MOCK-SECRET-c")]}, "dependencies": []},
        "unknownOutput": {engine._SIG: engine._OUTPUT, "dependencies": []},
        "resource": {engine._SIG: engine._RESOURCE, "urn": "urn:pulumi:s::p::aws:ec2/vpc:Vpc::v", "id": "vpc-1"},
        "unknown": rpc.UNKNOWN,
        "list": [rpc.UNKNOWN, "ok", secret("MOCK-SECRET-d"), [secret("MOCK-SECRET-e")]],
        "plain": {"a": 1, "b": True, "c": None, "d": "text"},
    }
    assert engine.redact(wire) == {
        "secret": "[secret]",
        "secretOutput": "[secret]",
        "plainOutput": {"n": [1, "[secret]"]},
        "unknownOutput": None,
        "resource": "urn:pulumi:s::p::aws:ec2/vpc:Vpc::v",
        "unknown": None,
        "list": [None, "ok", "[secret]", ["[secret]"]],
        "plain": {"a": 1, "b": True, "c": None, "d": "text"},
    }


def test_monitor_keeps_outputs_secret_like_the_real_engine(monkeypatch):
    """The stock mock monitor hands computed outputs back plain. Ours re-marks, as the engine does, an
    output whose input was secret (even when the provider computes a new value for it) and an output the
    resource declares secret (RandomPassword.result via additionalSecretOutputs), so a value derived
    from either stays "[secret]" where it is used."""
    import pulumi_random as random

    from offline import mocks

    # A provider that answers a secret input with a value of its own (here: normalised), in clear.
    monkeypatch.setitem(mocks.COMPUTED, "demo:index:Normalising", lambda ctx, name, inputs: {"token": MOCK_SECRET_PREFIX + "normalised"})

    config = StackConfig(project="nox-infra", stack="remark", values={"demo:token": SECRET_PLACEHOLDER}, secret_keys=("demo:token",))

    def program() -> None:
        token = pulumi.Config("demo").require_secret("token")
        thing = pulumi.CustomResource("demo:index:Thing", "thing", {"token": token, "plain": "visible"})
        normalising = pulumi.CustomResource("demo:index:Normalising", "normalising", {"token": token})
        password = random.RandomPassword("password", length=16, special=False)
        pulumi.CustomResource(
            "demo:index:User",
            "user",
            {
                "fromSecretInput": thing.token,
                "fromPlainInput": thing.plain,
                "recomputedFromSecret": normalising.token,
                "declaredSecret": password.result,
                "declaredPlain": password.length,
            },
        )
        pulumi.export("fromSecretInput", thing.token)
        pulumi.export("declaredSecret", password.result)
        pulumi.export("plain", thing.plain)

    plan = engine.run("remark", config=config, program=program)
    assert plan.one("demo:index:User")["inputs"] == {
        "fromSecretInput": "[secret]",
        "fromPlainInput": "visible",
        "recomputedFromSecret": "[secret]",
        "declaredSecret": "[secret]",
        "declaredPlain": 16,
    }
    assert plan.outputs == {"fromSecretInput": "[secret]", "declaredSecret": "[secret]", "plain": "visible"}
    assert MOCK_SECRET_PREFIX not in json.dumps(plan.to_json()) and SECRET_PLACEHOLDER not in json.dumps(plan.to_json())


def test_records_are_ordered_parents_first_then_providers_components_resources_by_type_and_natural_name():
    def rec(name: str, type_: str, parent: str | None = None, custom: bool = True) -> dict:
        return {"urn": f"urn:{type_}::{name}", "type": type_, "name": name, "parent": parent, "custom": custom}

    net = rec("network", "nox:network:Network", custom=False)
    vpc = rec("vpc", "aws:ec2/vpc:Vpc", parent=net["urn"])
    subnets = [rec(f"subnet-{i}", "aws:ec2/subnet:Subnet", parent=vpc["urn"]) for i in (10, 2, 1)]
    igw = rec("igw", "aws:ec2/internetGateway:InternetGateway", parent=vpc["urn"])
    provider = rec("aws", "pulumi:providers:aws")
    key = rec("key", "aws:kms/key:Key")
    orphan = rec("orphan", "aws:s3/bucket:Bucket", parent="urn:not-in-the-plan")  # treated as a root
    shuffled = [subnets[0], key, igw, orphan, subnets[2], vpc, provider, subnets[1], net]
    assert [r["name"] for r in engine.ordered(shuffled)] == [
        "aws",  # providers first
        "network",
        "vpc",
        "igw",
        "subnet-1",
        "subnet-2",
        "subnet-10",  # a component, then its subtree depth first
        "key",
        "orphan",  # cloud resources by type
    ]


def test_subnets_depend_on_and_sit_under_their_vpc(plan_for):
    plan = plan_for("prod")
    vpc = plan.one("aws:ec2/vpc:Vpc")
    subnets = plan.of_type("aws:ec2/subnet:Subnet")
    assert len(subnets) == 9
    for subnet in subnets:
        assert vpc["urn"] in subnet["dependencies"]
        assert subnet["parent"] == vpc["urn"]
        assert subnet["provider"].startswith(plan.one("pulumi:providers:aws")["urn"] + "::")
    network = plan.one("nox:network:Network")
    assert vpc["parent"] == network["urn"] and network["custom"] is False


def test_bad_config_registers_nothing():
    records: list[dict] = []
    with pytest.raises(ConfigError) as err:
        engine.run("dev", ["nox:platform=foo"], records=records)
    assert records == []
    assert any("nox:platform" in p and "'foo'" in p for p in err.value.problems)


def test_plans_are_deterministic(plan_for):
    assert json.dumps(engine.run("dev").to_json()) == json.dumps(plan_for("dev").to_json())


# --- reports ---------------------------------------------------------------------------------


def test_tree_report_like_pulumi_preview(plan_for):
    doc = plan_doc(plan_for, "prod", "eks")
    text = report.tree(doc)
    lines = text.splitlines()
    assert lines[0] == "Previewing update (prod)"
    assert re.match(r"^ {5}Type +Name +Plan +Info$", lines[2])
    assert re.match(r"^ \+   pulumi:pulumi:Stack +nox-infra-prod +create$", lines[3])
    total = len(doc["resources"]) + 1
    assert f"Resources:\n    + {total} to create" in text
    assert re.search(rf"^    total +{total}$", text, re.M)
    # one line per resource, indented under its parent: a subnet sits one level deeper than its VPC
    rows = [line for line in lines if line.startswith(" +   ")]
    assert len(rows) == total
    vpc = next(line for line in rows if "aws:ec2/vpc:Vpc " in line)
    subnet = next(line for line in rows if "aws:ec2/subnet:Subnet " in line)
    assert subnet.index("aws:") == vpc.index("aws:") + 3
    assert re.search(r"[├└]─ aws:ec2/vpc:Vpc +network-vpc +create", text)
    protected = [r for r in doc["resources"] if r["protect"]]
    assert protected and sum(line.endswith(" protected") for line in rows) == len(protected)
    assert "Outputs:" in text and '"[secret]"' in text  # kubeconfig


def test_summary_by_type_counts_every_resource(plan_for):
    doc = plan_doc(plan_for, "dev", "asg")
    counts = dict(report.counts_by_type(doc))
    assert sum(counts.values()) == report.total(doc) == len(doc["resources"]) + 1
    assert counts["aws:ec2/subnet:Subnet"] == 6 and counts["pulumi:pulumi:Stack"] == 1


def test_markdown_report(plan_for):
    from offline.policycheck import Violation

    doc = plan_doc(plan_for, "prod", "eks")
    rds = doc["resources"][[r["type"] for r in doc["resources"]].index("aws:rds/instance:Instance")]
    violations = [
        Violation("aws-rds-instance-disallow-public-access", "mandatory", "RDS is public | fix it", rds["urn"]),
        Violation("aws-kms-key-rotation-enabled", "advisory", "rotate", None),
    ]
    text = report.markdown(doc, violations)
    assert text.startswith("## Offline plan: `nox-infra` / `prod`")
    assert f"| **Total** | **{len(doc['resources']) + 1}** |" in text
    assert "| `aws:ec2/subnet:Subnet` | 9 |" in text
    assert "<details>" in text and "```text" in text and "─ aws:ec2/vpc:Vpc" in text
    for res in doc["resources"]:
        if res["protect"]:
            assert f"- `{res['type']}` **{res['name']}**" in text
    assert "**Mandatory** (1)" in text and "**Advisory** (1)" in text
    assert f"`aws-rds-instance-disallow-public-access` on `aws:rds/instance:Instance` **{rds['name']}**: RDS is public \\| fix it" in text
    clean = report.markdown(doc, [])
    assert "No violations" in clean and "✅" in clean


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.pop("outputs"), "missing outputs"),
        (lambda d: d.update(policy=[]), "unexpected policy"),
        (lambda d: d["resources"][0].update(protect="yes"), "resources[0].protect must be a boolean"),
        (lambda d: d["resources"][1].pop("inputs"), "resources[1]: missing inputs"),
        (lambda d: d["resources"][2].update(dependencies=[1]), "resources[2].dependencies[0] must be a URN string"),
        (lambda d: d.update(stack=None), "stack must be a string"),
    ],
)
def test_schema_validator_says_what_is_wrong(plan_for, mutate, message):
    doc = plan_doc(plan_for, "dev", "asg")
    mutate(doc)
    with pytest.raises(report.PlanSchemaError, match=re.escape(message)):
        report.validate(doc)


# --- benchmark helpers (the timing itself is `make bench`, not a test) ------------------------------


def test_bench_floor_loads_what_the_plan_loaded_and_prints_a_table():
    from offline import bench

    log = "\n".join(
        [
            "import time: self [us] | cumulative | imported package",
            "import time:       116 |        116 |   _io",
            "import time:      5000 |      9000 |     pulumi_aws.ec2._inputs",
            "import time:       300 |        300 | pulumi_aws.ec2.vpc",
            "import time:       200 |        200 | pulumi_random.random_password",
            "import time:       100 |        100 | settings.loader",
            "import time:       100 |        100 | pulumi_policy",
        ]
    )
    modules = bench._sdk_modules(log)
    assert modules == ["pulumi_aws.ec2._inputs", "pulumi_aws.ec2.vpc", "pulumi_random.random_password"]
    # packages first (their __init__ is what a program runs on `aws.ec2.Vpc`), then the modules
    assert bench._load_order(modules) == ["pulumi_aws", "pulumi_random", "pulumi_aws.ec2", *modules]
    rows = [
        {"stack": "dev", "resources": 115, "plan": 1.3, "floor": 1.0, "ratio": 1.3, "plan_cpu": 1.2, "floor_cpu": 1.0, "cpu_ratio": 1.2},
        {"stack": "prod", "resources": 151, "plan": 1.5, "floor": 1.0, "ratio": 1.5, "plan_cpu": 1.5, "floor_cpu": 1.0, "cpu_ratio": 1.5},
    ]
    rows[0] |= {"preflight_cpu": 0.1, "preflight_adds": 0.1 / 1.1}
    rows[1] |= {"preflight_cpu": 0.2, "preflight_adds": 0.2 / 1.3}
    text = bench.table(rows, 5)
    assert "  dev: 0.100 s of 1.200 s plan CPU, adds 9.1% ok" in text
    assert "  prod: 0.200 s of 1.500 s plan CPU, adds 15.4% above 10%" in text
    assert "median of 5 fresh processes" in text
    assert re.search(r"^dev +115 +1\.300 +1\.000 +1\.30 +ok", text, re.M)
    assert re.search(r"^prod +151 +1\.500 +1\.000 +1\.50 +above 1\.3", text, re.M)
    assert bench.plan_cmd("prod", ["nox:platform=asg"])[-2:] == ["--set", "nox:platform=asg"]
    # the floor program itself, in-process: the same engine, N trivial resources
    assert bench.run_floor({"stack": "dev", "count": 7, "modules": ["pulumi_random.random_password"], "overrides": []}) == 7


def test_bench_preflight_probe_runs_the_stage_on_a_saved_plan(plan_for, tmp_path, capsys):
    from offline import bench

    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan_for("dev").to_json()))
    bench.run_preflight_probe(str(path))
    assert float(capsys.readouterr().out) >= 0
