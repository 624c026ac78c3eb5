"""The GitHub workflows: actionlint (with shellcheck on every `run:`, script-injection and
deprecation checks) and GitHub's workflow JSON schema, plus the properties the delivery relies on."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
BIN = Path(sys.executable).parent
FILES = sorted(WORKFLOWS.glob("*.yml"))


def _load(name: str) -> dict:
    return yaml.safe_load((WORKFLOWS / name).read_text())


def _actionlint(*paths: Path) -> subprocess.CompletedProcess:
    assert shutil.which("shellcheck"), "shellcheck missing: `make shellcheck` installs it (Debian package)"
    return subprocess.run(
        [str(BIN / "actionlint"), "-shellcheck", shutil.which("shellcheck"), *map(str, paths)], capture_output=True, text=True
    )


def test_the_workflows_exist():
    assert {p.name for p in FILES} >= {"pr.yml", "pr-comment.yml", "preview.yml", "deploy.yml", "up.yml", "release.yml", "security.yml"}


def test_actionlint_with_shellcheck_is_clean():
    result = _actionlint(*FILES)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_catches_script_injection(tmp_path):
    """The check the suite relies on is live: an untrusted title in a script fails."""
    bad = tmp_path / "bad.yml"
    bad.write_text(
        'on: pull_request\njobs:\n  x:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo "${{ github.event.pull_request.title }}"\n'
    )
    result = _actionlint(bad)
    assert result.returncode == 1 and "potentially untrusted" in result.stdout


def test_github_workflow_schema():
    result = subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows", *map(str, FILES)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_shellcheck_on_the_plan_diff_script():
    result = subprocess.run(["shellcheck", str(ROOT / ".github/scripts/plan-diff.sh")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_third_party_action_is_pinned_to_a_commit(path):
    uses = re.findall(r"uses:\s*([^\s#]+)", path.read_text())
    for ref in uses:
        if ref.startswith("./"):
            continue
        assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", ref), f"{path.name}: {ref} is not pinned to a full commit SHA"


def test_pr_workflow_is_read_only_and_credential_free():
    pr = _load("pr.yml")
    assert pr["permissions"] == {"contents": "read"}
    text = (WORKFLOWS / "pr.yml").read_text()
    assert "secrets." not in text and "id-token" not in text and "configure-aws-credentials" not in text
    assert all(
        step.get("with", {}).get("persist-credentials") is False
        for job in pr["jobs"].values()
        for step in job["steps"]
        if "checkout" in step.get("uses", "")
    )


def test_comment_workflow_never_puts_expressions_in_scripts():
    """Artifact data and workflow_run fields reach scripts only through env: nothing is interpolated into `run:`."""
    wf = _load("pr-comment.yml")
    assert wf["permissions"] == {}
    job = wf["jobs"]["comment"]
    assert job["permissions"]["security-events"] == "write"
    for step in job["steps"]:
        assert "${{" not in step.get("run", ""), step.get("name")


def test_deploy_order_concurrency_and_policy_pack():
    deploy, up = _load("deploy.yml"), _load("up.yml")
    assert deploy["jobs"]["staging"]["needs"] == "dev" and deploy["jobs"]["prod"]["needs"] == "staging"
    assert deploy["jobs"]["prod"]["with"]["runner"].startswith('${{ vars.NOX_EKS_RUNNER || \'["self-hosted","nox-deployer"]\'')
    job = up["jobs"]["up"]
    assert job["concurrency"] == {"group": "nox-stack-${{ inputs.stack }}", "cancel-in-progress": False}
    assert job["environment"] == "${{ inputs.stack }}"
    pulumi = next(s for s in job["steps"] if s.get("uses", "").startswith("pulumi/actions@"))
    assert pulumi["with"]["command"] == "up" and pulumi["with"]["policyPacks"] == "policies"
    release = _load("release.yml")["jobs"]["release"]
    assert release["concurrency"] == job["concurrency"] | {"group": "nox-stack-${{ inputs.stack }}"}


def test_release_lets_only_dev_pass_thin_stages():
    """Nobody calls dev; staging and prod stages must reach the release gate's minimum traffic."""
    step = next(s for s in _load("release.yml")["jobs"]["release"]["steps"] if s.get("name") == "Release")
    script = step["run"]
    for stack, flag in (("dev", True), ("staging", False), ("prod", False)):
        out = subprocess.run(
            ["bash", "-c", script.replace("venv/bin/python -m release", "echo")],
            env={"PATH": os.environ["PATH"], "STACK": stack, "STRATEGY": "canary", "IMAGE": "img@sha256:" + "a" * 64},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert ("--allow-no-traffic" in out) is flag, (stack, out)
        assert out.startswith(f"canary --stack {stack} --image img@sha256:")


def test_preview_uses_oidc_and_is_skipped_with_a_notice_when_unconfigured():
    wf = _load("preview.yml")
    assert wf["jobs"]["not-configured"]["if"] == "vars.NOX_AWS_ROLE_ARN == ''"
    preview = wf["jobs"]["preview"]
    assert preview["permissions"]["id-token"] == "write"
    pulumi = next(s for s in preview["steps"] if s.get("uses", "").startswith("pulumi/actions@"))
    assert (
        pulumi["with"]["command"] == "preview" and pulumi["with"]["comment-on-pr"] is True and pulumi["with"]["policyPacks"] == "policies"
    )


def test_restore_drill_is_scheduled_restores_the_copy_and_always_tears_down():
    wf = _load("restore-drill.yml")
    assert set(wf[True]) == {"schedule", "workflow_dispatch"}  # `on:` is YAML's True
    job = wf["jobs"]["drill"]
    assert job["concurrency"] == {"group": "nox-stack-staging-drill", "cancel-in-progress": False}
    assert job["permissions"] == {"contents": "read", "id-token": "write"} and wf["permissions"] == {"contents": "read"}
    steps = {s.get("name"): s for s in job["steps"]}
    configure = steps["Configure the drill stack (staging profile, restored from the copy)"]["run"]
    assert "cp Pulumi.staging.yaml" in configure
    for key in ("nox:dbRestoreSnapshot", "nox:dbRestoreKmsKeyArn", 'nox:restoreConfirm "$STACK"', "nox:teardown stack", "nox:domain"):
        assert key in configure, key
    assert "--policy-pack policies" in steps["Bring it up (the measured RTO)"]["run"]
    teardown = steps["Tear it down"]
    assert teardown["if"] == "always()" and "pulumi destroy" in teardown["run"] and "pulumi stack rm" in teardown["run"]
    assert job["env"]["SOURCE_VAULT"] == "nox-prod-db-copy"  # components/database.py: <prefix>-db-copy of prod
