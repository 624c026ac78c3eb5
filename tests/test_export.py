"""`python -m offline export --format terraform-plan` and the checkov scan of the exports.

checkov runs once per session, on the dev asg and prod eks plans (between them every waiver is
exercised), from `.venv-scan` (`make test` creates it first: `make scan-env`).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from offline import cli, export, scan
from offline.export_waivers import WAIVERS

SCANNED = (("dev", "nox:platform=asg"), ("prod", "nox:platform=eks"))


@pytest.fixture(scope="module")
def dev_doc(plan_for):
    return json.loads(json.dumps(plan_for("dev").to_json()))


@pytest.fixture(scope="module")
def dev_tf(dev_doc):
    return export.terraform_plan(dev_doc)


def _config(tf, address):
    return next(r for r in tf["configuration"]["root_module"]["resources"] if r["address"] == address)


def _planned(tf, address):
    return next(r for r in tf["planned_values"]["root_module"]["resources"] if r["address"] == address)


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("aws:s3/bucket:Bucket", "aws_s3_bucket"),
        ("aws:ec2/vpc:Vpc", "aws_vpc"),
        ("aws:rds/instance:Instance", "aws_db_instance"),
        ("aws:lb/loadBalancer:LoadBalancer", "aws_lb"),
        ("aws:elasticache/replicationGroup:ReplicationGroup", "aws_elasticache_replication_group"),
        ("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "aws_vpc_security_group_ingress_rule"),
        ("random:index/randomPassword:RandomPassword", "random_password"),
        ("nox:network:Network", None),
        ("pulumi:providers:aws", None),
        ("kubernetes:apps/v1:Deployment", None),
    ],
)
def test_terraform_types(token, expected):
    assert export.terraform_type(token) == expected


def test_arguments_are_terraform_names_and_blocks():
    assert export.argument("defaultActions", [{"type": "redirect"}]) == "default_action"
    assert export.argument("subnetIds", ["subnet-1"]) == "subnet_ids"
    assert export.argument("blockDeviceMappings", [{"deviceName": "/dev/xvda"}]) == "block_device_mappings"
    assert export.argument("parameters", [{"name": "a"}]) == "parameter"
    assert export.values({"vpcConfig": {"subnetIds": ["a"]}, "tags": {"Name": "x"}}) == {
        "vpc_config": [{"subnet_ids": ["a"]}],
        "tags": {"Name": "x"},
    }


def test_plan_shape(dev_tf, dev_doc):
    assert dev_tf["format_version"].startswith("1.") and dev_tf["terraform_version"].startswith("1.")
    custom = [r for r in dev_doc["resources"] if r["custom"] and export.terraform_type(r["type"])]
    assert len(dev_tf["resource_changes"]) == len(custom) == len(dev_tf["planned_values"]["root_module"]["resources"])
    assert {tuple(c["change"]["actions"]) for c in dev_tf["resource_changes"]} == {("create",)}
    http = _planned(dev_tf, "aws_lb_listener.edge_http")["values"]
    assert http["default_action"] == [{"type": "redirect", "redirect": [{"protocol": "HTTPS", "status_code": "HTTP_301", "port": "443"}]}]


def test_references_between_resources(dev_tf):
    subnet = _config(dev_tf, "aws_subnet.network_data_0")
    assert subnet["expressions"]["vpc_id"] == {"references": ["aws_vpc.network_vpc.id", "aws_vpc.network_vpc"]}
    assert "vpc_id" not in _planned(dev_tf, "aws_subnet.network_data_0")["values"]  # unknown until the VPC exists, as in a real plan
    db = _config(dev_tf, "aws_db_instance.database_primary")["expressions"]
    assert db["kms_key_id"]["references"][0] == "aws_kms_key.nox_dev_db.arn"
    assert db["storage_encrypted"] == {"constant_value": True}


def test_cli_export(tmp_path, dev_doc):
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(dev_doc))
    out = tmp_path / "tf.json"
    assert cli.main(["export", str(plan), "--format", "terraform-plan", "--output", str(out)]) == 0
    assert json.loads(out.read_text())["format_version"] == export.FORMAT_VERSION
    (tmp_path / "bad.json").write_text("[]")
    assert cli.main(["export", str(tmp_path / "bad.json")]) == cli.EXIT_CONFIG


@pytest.fixture(scope="session")
def scanned(plan_for, tmp_path_factory):
    if not scan.CHECKOV.exists():
        pytest.skip("no .venv-scan: `make scan-env` creates it (`make test` does first)")
    out = tmp_path_factory.mktemp("scan")
    results = {}
    for stack, setting in SCANNED:
        path = out / f"{stack}.json"
        path.write_text(json.dumps(plan_for(stack, setting).to_json()))
        results[stack] = scan.scan_plan(str(path), out)
    return results


def _passed(result, check, address):
    return [check, address] in result["passed"]


def test_checkov_finds_no_unwaived_failure(scanned):
    for stack, result in scanned.items():
        assert result["failed"] == [], f"{stack}: fix the component or waive in offline/export_waivers.py"


def test_checkov_checks_that_pass(scanned):
    dev, prod = scanned["dev"], scanned["prod"]
    for result in (dev, prod):
        assert _passed(result, "CKV_AWS_16", "aws_db_instance.database_primary")  # storage encrypted
        assert _passed(result, "CKV_AWS_17", "aws_db_instance.database_primary")  # not public
        assert _passed(result, "CKV_AWS_19", "aws_s3_bucket.edge_access_logs")  # SSE, a graph check over the reference
        assert _passed(result, "CKV_AWS_192", "aws_wafv2_web_acl.edge_waf")  # Log4j managed rules
    assert _passed(dev, "CKV_AWS_2", "aws_lb_listener.edge_http")  # HTTP only redirects
    assert _passed(prod, "CKV_AWS_157", "aws_db_instance.database_primary")  # Multi-AZ in prod
    assert _passed(prod, "CKV_AWS_293", "aws_db_instance.database_primary")  # deletion protection in prod
    assert _passed(prod, "CKV_AWS_58", "aws_eks_cluster.cluster_eks")  # secrets envelope encryption


def test_every_waiver_is_used_and_says_why(scanned):
    used = {(w["check"], w["reason"]) for result in scanned.values() for w in result["waived"]}
    for waiver in WAIVERS:
        assert len(waiver.reason) > 30
        assert (waiver.check, waiver.reason) in used, f"stale waiver {waiver.check} {waiver.address}: remove it"
    assert all(w["check"] not in ("CKV_AWS_157", "CKV_AWS_293") for w in scanned["prod"]["waived"] if w["resource"].endswith("primary"))


def test_summary_and_sarif(scanned):
    results = list(scanned.values())
    text = scan.summary(results)
    assert "| `dev` |" in text and "Waived" in text
    failing = [{**results[0], "failed": [{"check": "CKV_X", "name": "n", "resource": "aws_vpc.v", "guideline": None}]}]
    doc = scan.sarif(failing)
    assert doc["version"] == "2.1.0" and doc["runs"][0]["results"][0]["ruleId"] == "CKV_X"
    assert Path(scan.ROOT / "__main__.py").exists()  # the SARIF location
