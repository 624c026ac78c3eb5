"""The `python -m offline plan|check` contract: formats, --output, --set, exit codes 0/1/2/3.

Mostly in-process (`cli.main(argv)`, plans served from the session cache); a few true
end-to-end runs through `make` and `python -m offline` check what scripts and CI rely on.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest

from offline import cli, engine, report

ROOT = Path(__file__).resolve().parent.parent
RDS = "aws:rds/instance:Instance"
PUBLIC_RDS_POLICY = "aws-rds-instance-disallow-public-access"


@pytest.fixture
def cached_engine(monkeypatch, plan_for):
    """`engine.run` answered from the session's plan cache (the CLI's own logic still runs)."""
    shipped = {"dev": "asg", "staging": "eks", "prod": "eks"}
    real = engine.run

    def run(stack, overrides=(), *, config=None, records=None, **kw):
        if config is None:  # the session cache filling itself
            return real(stack, overrides, **kw)
        platform = config.values["nox:platform"]  # the only --set these tests use
        return plan_for(stack) if platform == shipped[stack] else plan_for(stack, f"nox:platform={platform}")

    monkeypatch.setattr(engine, "run", run)


@pytest.fixture
def saved_plan(tmp_path, plan_for) -> Path:
    path = tmp_path / "plan.json"
    path.write_text(report.to_json(json.loads(json.dumps(plan_for("dev").to_json()))))
    return path


def public_rds_plan(saved_plan: Path) -> Path:
    doc = json.loads(saved_plan.read_text())
    rds = next(r for r in doc["resources"] if r["type"] == RDS)
    rds["inputs"]["publiclyAccessible"] = True
    path = saved_plan.with_name("public-rds.json")
    path.write_text(json.dumps(doc))
    return path


# --- plan: configuration errors (exit 2, message names the key, nothing registered) -----------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--set", "nox:platform=foo"], ["nox:platform", "'foo'", "asg, eks"]),
        (["--set", "nox:platfrom=asg"], ["nox:platfrom", "not a known setting"]),
        (["--set", "platform"], ["--set 'platform'", "namespace:key=value"]),
        (["--stack", "nosuch"], ["Pulumi.nosuch.yaml not found"]),
    ],
)
def test_plan_invalid_configuration_exits_2(capsys, args, expected):
    argv = ["plan", *args] if "--stack" in args else ["plan", "--stack", "dev", *args]
    assert cli.main(argv) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert "error: invalid configuration" in err and "nothing was registered" in err
    assert "Traceback" not in err
    for text in expected:
        assert text in err


def test_config_error_reports_what_was_registered(capsys, monkeypatch):
    """The message comes from the monitor's records: had anything been registered, it would say so."""
    from settings import ConfigError

    def run(stack, overrides=(), *, records, **_):
        records.append({"urn": "x"})
        raise ConfigError(["nox:asgMax = 0: must be 1..100"])

    monkeypatch.setattr(engine, "run", run)
    assert cli.main(["plan", "--stack", "dev"]) == 2
    assert "1 resource(s) were registered first" in capsys.readouterr().err


# --- plan: formats and output ------------------------------------------------------------------


def test_plan_tree_to_stdout_with_policy_results(capsys, cached_engine):
    assert cli.main(["plan", "--stack", "dev"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("Previewing update (dev)\n")
    assert "Resources:\n    + " in out and "\nBy type:\n" in out
    assert out.rstrip().endswith("policy pack nox-security: no violations")
    assert err == ""


def test_plan_json_output_file(tmp_path, capsys):
    """A real in-process run: the file holds exactly the plan document; stdout stays empty."""
    target = tmp_path / "plan.json"
    assert cli.main(["plan", "--stack", "dev", "--format", "json", "--output", str(target)]) == 0
    out, err = capsys.readouterr()
    assert out == ""
    doc = json.loads(target.read_text())
    report.validate(doc)
    assert list(doc) == ["project", "stack", "resources", "outputs", "warnings", "preflight", "estimates"] and doc["stack"] == "dev"
    assert doc["preflight"]["violations"] == [] and doc["preflight"]["checked"] > 300
    assert set(doc["estimates"]) >= {"monthlyCostUsd", "createMinutes", "destroyMinutes", "criticalPath"}
    assert f"wrote json plan of nox-infra/dev ({len(doc['resources']) + 1} resources) to {target}" in err
    assert "policy pack nox-security" in err  # policy results on stderr, never inside the document


def test_plan_json_on_stdout_is_only_the_document(capsys, cached_engine):
    assert cli.main(["plan", "--stack", "prod", "--format", "json", "--set", "nox:platform=asg"]) == 0
    out, err = capsys.readouterr()
    doc = json.loads(out)
    assert doc["stack"] == "prod" and not any(r["type"] == "pulumi:providers:kubernetes" for r in doc["resources"])
    assert "policy pack nox-security" in err


def test_plan_markdown(tmp_path, capsys, cached_engine):
    target = tmp_path / "plan.md"
    assert cli.main(["plan", "--stack", "prod", "--format", "markdown", "--output", str(target)]) == 0
    text = target.read_text()
    assert text.startswith("## Offline plan: `nox-infra` / `prod`")
    assert "<details>" in text and "### Protected resources" in text and "### Policy results" in text
    assert capsys.readouterr().out == ""


def test_unwritable_output_is_a_usage_error(tmp_path, capsys, cached_engine):
    assert cli.main(["plan", "--stack", "dev", "--output", str(tmp_path / "missing" / "plan.txt")]) == 2
    assert "--output" in capsys.readouterr().err


def test_policy_config_levels(tmp_path, capsys, monkeypatch, saved_plan):
    """--policy-config reaches the pack: a mandatory violation demoted to advisory exits 0."""
    doc = json.loads(public_rds_plan(saved_plan).read_text())
    monkeypatch.setattr(engine, "run", lambda *a, **k: engine.Plan(doc["project"], doc["stack"], doc["resources"], doc["outputs"]))
    assert cli.main(["plan", "--stack", "dev"]) == 1
    config = tmp_path / "policy.json"
    config.write_text(json.dumps({PUBLIC_RDS_POLICY: "advisory"}))
    capsys.readouterr()
    assert cli.main(["plan", "--stack", "dev", "--policy-config", str(config)]) == 0
    assert PUBLIC_RDS_POLICY in capsys.readouterr().out
    config.write_text(json.dumps({"no-such-policy": "advisory"}))
    assert cli.main(["plan", "--stack", "dev", "--policy-config", str(config)]) == 2
    assert "no-such-policy" in capsys.readouterr().err
    config.write_text("{")
    assert cli.main(["plan", "--stack", "dev", "--policy-config", str(config)]) == 2
    assert "not valid JSON" in capsys.readouterr().err


def test_other_failures_exit_3_with_traceback_only_on_debug(capsys, monkeypatch):
    def boom(*_, **__):
        raise RuntimeError("the program broke")

    monkeypatch.setattr(engine, "run", boom)
    assert cli.main(["plan", "--stack", "dev"]) == 3
    err = capsys.readouterr().err
    assert "RuntimeError: the program broke" in err and "Traceback" not in err and "--debug" in err
    assert cli.main(["plan", "--stack", "dev", "--debug"]) == 3
    assert "Traceback" in capsys.readouterr().err


def test_secure_nox_value_is_a_config_error(tmp_path, capsys, monkeypatch):
    """No `nox:` setting is secret: a `secure:` one is refused before any resource, not read in clear."""
    (tmp_path / "Pulumi.yaml").symlink_to(ROOT / "Pulumi.yaml")
    stack_file = (ROOT / "Pulumi.dev.yaml").read_text()
    (tmp_path / "Pulumi.leaky.yaml").write_text(stack_file.replace("config:\n", "config:\n  nox:owner:\n    secure: v1:AAAA\n", 1))
    monkeypatch.setattr(cli, "ROOT", tmp_path)
    assert cli.main(["plan", "--stack", "leaky", "--format", "json"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert "nox:owner is stored as a secret, but no nox: setting is secret" in err


def test_secret_in_clear_text_fails_the_plan(capsys, monkeypatch):
    """The last line of defence: a mock secret anywhere in the captured inputs fails the plan (exit 3)."""
    leaky = engine.Plan(
        "nox-infra",
        "dev",
        [
            {
                "urn": "urn:pulumi:dev::nox-infra::aws:ssm/parameter:Parameter::leak",
                "type": "aws:ssm/parameter:Parameter",
                "name": "leak",
                "parent": None,
                "dependencies": [],
                "provider": None,
                "protect": False,
                "custom": True,
                "inputs": {"value": "postgres://nox:MOCK-SECRET-database-master-password@db:5432/nox"},
            }
        ],
        {},
    )
    monkeypatch.setattr(engine, "run", lambda *a, **k: leaky)
    assert cli.main(["plan", "--stack", "dev", "--format", "json"]) == 3
    out, err = capsys.readouterr()
    assert out == ""
    assert "secret values reach the plan in clear text" in err and "aws:ssm/parameter:Parameter leak: inputs.value" in err


def test_secret_in_a_stack_output_fails_the_plan_too(capsys, monkeypatch):
    leaky = engine.Plan("nox-infra", "dev", [], {"ok": "visible", "db": {"url": "postgres://nox:MOCK-SECRET-pw@db:5432/nox"}})
    assert cli.secret_leaks(leaky.to_json()) == ["stack outputs.db.url"]
    monkeypatch.setattr(engine, "run", lambda *a, **k: leaky)
    assert cli.main(["plan", "--stack", "dev", "--format", "json"]) == 3
    out, err = capsys.readouterr()
    assert out == "" and "stack outputs.db.url" in err


def test_what_the_program_prints_never_reaches_the_json_document(capsys, monkeypatch, plan_for):
    dev = plan_for("dev")

    def noisy(*_, **__):
        print("debug: the program printed this")
        return dev

    monkeypatch.setattr(engine, "run", noisy)
    assert cli.main(["plan", "--stack", "dev", "--format", "json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["stack"] == "dev"
    assert "the program printed this" not in out and "debug: the program printed this" in err


def test_mandatory_violation_in_a_live_plan_exits_1(capsys, monkeypatch, saved_plan):
    doc = json.loads(public_rds_plan(saved_plan).read_text())
    monkeypatch.setattr(engine, "run", lambda *a, **k: engine.Plan(doc["project"], doc["stack"], doc["resources"], doc["outputs"]))
    assert cli.main(["plan", "--stack", "dev"]) == 1
    out = capsys.readouterr().out
    assert "mandatory" in out and PUBLIC_RDS_POLICY in out


# --- check ---------------------------------------------------------------------------------------


def test_check_clean_plan_exits_0(capsys, saved_plan):
    assert cli.main(["check", str(saved_plan)]) == 0
    assert "no violations" in capsys.readouterr().out


def test_check_mandatory_violation_exits_1(capsys, saved_plan):
    path = public_rds_plan(saved_plan)
    assert cli.main(["check", str(path)]) == 1
    out = capsys.readouterr().out
    assert PUBLIC_RDS_POLICY in out and "mandatory" in out
    assert cli.main(["check", str(path), "--format", "json"]) == 1
    result = json.loads(capsys.readouterr().out)
    assert result["mandatory"] is True
    assert any(v["policy"] == PUBLIC_RDS_POLICY and v["level"] == "mandatory" for v in result["violations"])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        ("{not json", "not valid JSON"),
        ('{"project": "nox-infra", "stack": "dev", "resources": []}', "missing outputs"),
        ("[1, 2]", "must be a JSON object"),
        ('{"project": "nox-infra", "stack": "dev", "resources": [{"urn": "u"}], "outputs": {}}', "resources[0]: missing type"),
        ('{"project": "nox-infra", "stack": "dev", "resources": [], "outputs": {}, "warnings": "x"}', "warnings must be a list"),
        ('{"project": "nox-infra", "stack": "dev", "resources": [], "outputs": {}, "warnings": [1]}', "warnings[0] must be a string"),
    ],
)
def test_check_unreadable_plan_exits_2(tmp_path, capsys, content, message):
    path = tmp_path / "plan.json"
    if content is not None:
        path.write_text(content)
    assert cli.main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert message in err and str(path) in err and "Traceback" not in err


def test_check_exits_2_when_the_evaluator_refuses_a_document_the_schema_let_through(tmp_path, capsys, monkeypatch):
    """Defence in depth: the policy evaluation's own plan check also ends in exit 2, never a crash or exit 3."""
    monkeypatch.setattr(report, "validate", lambda doc: None)
    path = tmp_path / "plan.json"
    path.write_text('{"project": "nox-infra", "stack": "dev", "resources": [{"urn": "u"}], "outputs": {}}')
    assert cli.main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"error: {path}: resources[0]: expected an object with string urn, type and name" in err
    assert "Traceback" not in err


def test_check_gives_the_same_results_as_the_live_run(capsys, monkeypatch, saved_plan):
    path = public_rds_plan(saved_plan)
    doc = json.loads(path.read_text())
    monkeypatch.setattr(engine, "run", lambda *a, **k: engine.Plan(doc["project"], doc["stack"], doc["resources"], doc["outputs"]))
    live_md = saved_plan.with_name("live.md")
    assert cli.main(["plan", "--stack", "dev", "--format", "markdown", "--output", str(live_md)]) == 1
    assert cli.main(["check", str(path), "--format", "markdown"]) == 1
    assert capsys.readouterr().out == live_md.read_text()
    assert cli.evaluate(copy.deepcopy(doc), None) == cli.evaluate(doc, None)


def test_plan_warnings_reach_every_format(tmp_path, capsys, monkeypatch, plan_for):
    """An EKS version near the end of standard support: a warning in the document, the tree, the
    Markdown and on stderr; the plan still exits 0. A saved plan from before `warnings` still checks."""
    live = plan_for("prod", "nox:eksSupportAsOf=2027-01-15")
    assert live.warnings == [
        "nox:eksVersion = '1.35' leaves EKS standard support on 2027-03-27, 71 days after nox:eksSupportAsOf (2027-01-15); "
        "then AWS upgrades the control plane automatically. Upgrade first (docs/deploying.md, EKS upgrades)."
    ]
    monkeypatch.setattr(engine, "run", lambda *a, **k: live)
    assert cli.main(["plan", "--stack", "prod"]) == 0
    tree = capsys.readouterr().out
    assert "Warnings:\n    warning: nox:eksVersion = '1.35' leaves EKS standard support on 2027-03-27" in tree
    target = tmp_path / "plan.json"
    assert cli.main(["plan", "--stack", "prod", "--format", "json", "--output", str(target)]) == 0
    assert "warning: nox:eksVersion = '1.35'" in capsys.readouterr().err
    doc = json.loads(target.read_text())
    assert doc["warnings"] == live.warnings
    assert "### Warnings" in report.markdown(doc, []) and "### Warnings" not in report.markdown({**doc, "warnings": []}, [])
    del doc["warnings"]
    target.write_text(json.dumps(doc))
    assert cli.main(["check", str(target)]) == 0


# --- end to end: the documented commands in fresh processes ----------------------------------------


def test_make_plan_contract_end_to_end(tmp_path):
    """`make -s plan STACK=prod ARGS='--format json --output plan.json --set nox:platform=asg'`, then `make check`."""
    target = tmp_path / "plan.json"
    make = ["make", "-s", "-o", "venv/.installed"]  # never (re)install dependencies from a test
    proc = subprocess.run(
        [*make, "plan", "STACK=prod", f"ARGS=--format json --output {target} --set nox:platform=asg"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    doc = json.loads(target.read_text())
    report.validate(doc)
    assert doc["stack"] == "prod" and any(r["type"] == "aws:autoscaling/group:Group" for r in doc["resources"])
    check = subprocess.run([*make, "check", f"PLAN={target}"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "no violations" in check.stdout


def test_invalid_configuration_end_to_end():
    proc = subprocess.run(
        [sys.executable, "-m", "offline", "plan", "--stack", "dev", "--set", "nox:natGateways=maybe"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "nox:natGateways" in proc.stderr and "'maybe'" in proc.stderr and "nothing was registered" in proc.stderr
    assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr
