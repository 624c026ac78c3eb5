"""The eks migration Job in the offline plan: named by the digest, awaited, one attempt, the app's pod."""

from __future__ import annotations

import pytest

from components.workload import MIGRATION_TTL_SECONDS, migration_job_name

EKS = "nox:platform=eks"
JOB = "kubernetes:batch/v1:Job"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
IMAGE = "123456789012.dkr.ecr.us-west-2.amazonaws.com/nox-api@sha256:" + "c" * 64


@pytest.fixture(scope="module")
def plan(plan_for):
    return plan_for("prod", EKS, f"nox:migrationImage={IMAGE}")


def test_no_migration_image_no_job(plan_for):
    assert plan_for("prod", EKS).of_type(JOB) == []


def test_empty_command_no_job(plan_for):
    assert plan_for("prod", EKS, f"nox:migrationImage={IMAGE}", "nox:migrationCommand=").of_type(JOB) == []


def test_the_job_runs_the_command_once_in_the_apps_pod(plan):
    job = plan.one(JOB)
    inputs, spec = job["inputs"], job["inputs"]["spec"]
    assert inputs["metadata"]["name"] == "nox-api-migrate-cccccccccccc" == migration_job_name(IMAGE)
    assert inputs["metadata"]["annotations"] == {"pulumi.com/replaceUnready": "true"}
    assert (spec["backoffLimit"], spec["activeDeadlineSeconds"], spec["ttlSecondsAfterFinished"]) == (0, 600, MIGRATION_TTL_SECONDS)
    assert MIGRATION_TTL_SECONDS == 604_800
    pod = spec["template"]["spec"]
    [container] = pod["containers"]
    app = plan.of_type(DEPLOYMENT)[0]["inputs"]["spec"]["template"]["spec"]
    assert (container["image"], container["command"], pod["restartPolicy"]) == (IMAGE, ["npm", "run", "migrate"], "Never")
    assert pod["serviceAccountName"] == app["serviceAccountName"] == "nox-api"  # the app's IRSA role: its database login
    assert pod["securityContext"] == app["securityContext"]
    assert container["securityContext"] == app["containers"][0]["securityContext"]
    app_env = [e for e in app["containers"][0]["env"] if e["name"] != "DEPLOYMENT_COLOR"]
    assert container["env"] == app_env
    assert not {"ports", "livenessProbe", "readinessProbe", "lifecycle"} & set(container)
    # The NetworkPolicy that lets the app reach the database selects the Job's pods too.
    assert spec["template"]["metadata"]["labels"]["app"] == "nox-api"


def test_the_job_waits_for_the_apps_identity(plan):
    job = plan.one(JOB)
    deps = set(job["dependencies"])
    assert any(d.endswith("kubernetes:core/v1:ServiceAccount::workload-sa") for d in deps)
    assert any("db-roles-app-role" in d for d in deps)


def test_a_tag_image_is_named_by_its_hash():
    assert (
        migration_job_name("registry.example.com/nox-api:v8.1.0")
        == "nox-api-migrate-" + __import__("hashlib").sha256(b"registry.example.com/nox-api:v8.1.0").hexdigest()[:12]
    )
