"""`nox:domain` on both platforms (issue 15 §2): an alias record to the platform's ALB, and one
record (one owner) across a platform switch."""

from __future__ import annotations

import pytest

from components import alb

RECORD = "aws:route53/record:Record"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
CERT_ARN = "arn:aws:acm:us-west-2:123456789012:certificate/12345678-1234-1234-1234-123456789012"


def _record(plan, name):
    return plan.one(RECORD, name)


def test_eks_record_aliases_the_controllers_alb_from_the_alarms_lookup(plan_for):
    plan = plan_for("prod")
    record = _record(plan, alb.EKS_DNS_RECORD)
    assert (record["inputs"]["zoneId"], record["inputs"]["name"], record["inputs"]["type"]) == (
        "Z0PRODNOXEXAMPLE",
        "api.nox.example.com",
        "A",
    )
    (target,) = record["inputs"]["aliases"]
    # The same lookup as the ALB alarms' LoadBalancer dimension (the mock names the ALB by its tags).
    dimension = plan.one(ALARM, "alarms-alb-elb-5xx")["inputs"]["dimensions"]["LoadBalancer"]
    assert target["name"].startswith(dimension.split("/")[1] + "-") and target["name"].endswith(".us-west-2.elb.amazonaws.com")
    assert (target["zoneId"], target["evaluateTargetHealth"]) == ("Z1H1FL5HABSF5", True)
    # Looked up once the Ingress exists; lives and goes with the platform (under the Workload).
    assert plan.one("kubernetes:networking.k8s.io/v1:Ingress")["urn"] in record["dependencies"]
    assert record["parent"] == plan.one("nox:eks:Workload")["urn"]
    assert not [r for r in plan.of_type(RECORD) if r["name"] == alb.ASG_DNS_RECORD]


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_a_platform_switch_keeps_one_record(plan_for, stack):
    """Each platform's record aliases the other's URN: Pulumi updates the one record in place
    (UPSERT) instead of creating a second one, which Route 53 would refuse, before deleting the first."""
    asg = _record(plan_for(stack, "nox:platform=asg"), alb.ASG_DNS_RECORD)
    eks = _record(plan_for(stack, "nox:platform=eks"), alb.EKS_DNS_RECORD)
    assert asg["urn"] in eks["aliases"] and eks["urn"] in asg["aliases"]
    # The record's URN from before the Edge split (tests/data/urns baselines) is covered too.
    assert f"urn:pulumi:{stack}::nox-infra::nox:edge:Edge$aws:lb/loadBalancer:LoadBalancer${RECORD}::edge-dns" in eks["aliases"]
    # Zone, name and type (the record's identity) are the same: only the alias target changes.
    assert {k: asg["inputs"][k] for k in ("zoneId", "name", "type")} == {k: eks["inputs"][k] for k in ("zoneId", "name", "type")}
    assert asg["inputs"]["aliases"][0]["name"] != eks["inputs"]["aliases"][0]["name"]


def test_no_zone_no_record_on_either_platform(plan_for):
    for platform in ("asg", "eks"):
        plan = plan_for("dev", f"nox:platform={platform}", "nox:hostedZoneId=", f"nox:certificateArn={CERT_ARN}")
        assert [r["name"] for r in plan.of_type(RECORD)] == []
