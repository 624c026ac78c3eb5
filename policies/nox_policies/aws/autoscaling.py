"""Auto Scaling groups."""

from __future__ import annotations

from collections.abc import Iterator

from ..common import UNKNOWN, Res, blank, env_note, is_prod, items, resource_environment, resource_policy
from .tokens import ASG


def check_elb_health_check(r: Res) -> Iterator[str]:
    """FSBP AutoScaling.1: a group behind a load balancer replaces instances its target groups find unhealthy."""
    targets, kind = r.get("targetGroupArns"), r.get("healthCheckType")
    if targets is UNKNOWN or kind is UNKNOWN or (blank(targets) and blank(r.get("trafficSources"))):
        return
    if kind != "ELB":
        yield (
            f"Auto Scaling group '{r.name}' serves a target group but health-checks with {kind or 'EC2 (the default)'}: "
            "set health_check_type='ELB' so instances failing /health are replaced."
        )


def check_several_zones(r: Res) -> Iterator[str]:
    """FSBP AutoScaling.2: the group spans several Availability Zones (one subnet per zone)."""
    env = resource_environment(r)
    subnets, zones = r.get("vpcZoneIdentifiers"), r.get("availabilityZones")
    if not is_prod(env) or subnets is UNKNOWN or zones is UNKNOWN or UNKNOWN in items(subnets):
        return
    if max(len(items(subnets)), len(items(zones))) < 2:
        yield (
            f"Auto Scaling group '{r.name}' runs in a single subnet/zone in {env_note(env)}: set vpc_zone_identifiers to "
            "the private subnets of at least two Availability Zones."
        )


POLICIES = [
    resource_policy(
        "aws-autoscaling-group-elb-health-check",
        "FSBP AutoScaling.1: Auto Scaling groups behind a load balancer use ELB health checks.",
        [ASG],
        check_elb_health_check,
    ),
    resource_policy(
        "aws-autoscaling-group-multi-az-prod",
        "FSBP AutoScaling.2: Auto Scaling groups span at least two Availability Zones in prod.",
        [ASG],
        check_several_zones,
    ),
]
