"""Network: subnet math, AZs and NAT per environment, isolation of the data tier, flow logs."""

from __future__ import annotations

import ipaddress
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from components.network import INTERFACE_ENDPOINTS, TIERS, subnet_plan

SUBNET = "aws:ec2/subnet:Subnet"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation"
NAT = "aws:ec2/natGateway:NatGateway"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"


# --- subnet math (pure) ----------------------------------------------------------------------


def test_default_plan_is_exact():
    assert subnet_plan("10.0.0.0/16", 3) == {
        "private": ["10.0.0.0/19", "10.0.32.0/19", "10.0.64.0/19"],
        "data": ["10.0.128.0/21", "10.0.136.0/21", "10.0.144.0/21"],
        "public": ["10.0.160.0/21", "10.0.168.0/21", "10.0.176.0/21"],
    }


private_cidrs = st.builds(
    lambda base, prefix, n: str(ipaddress.ip_network((base, prefix), strict=False)),
    st.sampled_from(
        [ipaddress.ip_address("10.0.0.0") + i * 2**20 for i in range(16)]
        + [ipaddress.ip_address("172.16.0.0"), ipaddress.ip_address("192.168.0.0")]
    ),
    st.integers(16, 20),
    st.just(0),
)


@given(private_cidrs, st.integers(1, 3))
def test_adding_an_az_never_renumbers(cidr, azs):
    before, after = subnet_plan(cidr, azs), subnet_plan(cidr, azs + 1)
    for tier in TIERS:
        assert after[tier][:azs] == before[tier]


@given(private_cidrs, st.integers(1, 4))
def test_subnets_are_disjoint_and_inside_the_vpc(cidr, azs):
    vpc = ipaddress.ip_network(cidr)
    nets = [ipaddress.ip_network(c) for tier in TIERS for c in subnet_plan(cidr, azs)[tier]]
    assert len(nets) == 3 * azs
    assert all(n.subnet_of(vpc) and n.prefixlen <= 28 for n in nets)  # /28 is AWS's smallest subnet
    for i, a in enumerate(nets):
        assert not any(a.overlaps(b) for b in nets[i + 1 :])


def test_plan_rejects_az_counts_it_cannot_hold():
    with pytest.raises(ValueError, match="az_count must be 1..4"):
        subnet_plan("10.0.0.0/16", 5)


# --- planned resources -----------------------------------------------------------------------


@pytest.mark.parametrize(("stack", "azs", "nats"), [("dev", 2, 1), ("staging", 3, 1), ("prod", 3, 3)])
def test_az_and_nat_counts_per_environment(plan_for, stack, azs, nats):
    plan = plan_for(stack)
    subnets = plan.of_type(SUBNET)
    assert len(subnets) == 3 * azs
    assert sorted({s["inputs"]["availabilityZone"] for s in subnets}) == [f"us-west-2{x}" for x in "abc"[:azs]]
    assert len(plan.of_type(NAT)) == nats


def test_vpc_and_subnets(plan_for):
    plan = plan_for("prod")
    vpc = plan.one("aws:ec2/vpc:Vpc")
    assert vpc["inputs"]["cidrBlock"] == "10.0.0.0/16"
    assert vpc["inputs"]["enableDnsHostnames"] is True
    for subnet in plan.of_type(SUBNET):
        assert vpc["urn"] in subnet["dependencies"]
        assert subnet["inputs"]["mapPublicIpOnLaunch"] is False
    cidrs = {s["name"]: s["inputs"]["cidrBlock"] for s in plan.of_type(SUBNET)}
    assert cidrs["network-private-2"] == "10.0.64.0/19" and cidrs["network-public-0"] == "10.0.160.0/21"


def _routes_by_subnet(plan) -> dict[str, list[dict]]:
    tables = {t["urn"]: t for t in plan.of_type(ROUTE_TABLE)}
    subnets = {s["urn"]: s["name"] for s in plan.of_type(SUBNET)}
    out = {}
    for assoc in plan.of_type(ASSOCIATION):
        subnet = next(subnets[d] for d in assoc["dependencies"] if d in subnets)
        table = next(tables[d] for d in assoc["dependencies"] if d in tables)
        out[subnet] = table["inputs"].get("routes") or []
    return out


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_only_public_subnets_reach_the_internet_gateway_and_data_has_no_default_route(plan_for, stack):
    plan = plan_for(stack)
    routes = _routes_by_subnet(plan)
    azs = {"dev": 2, "prod": 3}[stack]
    # Every subnet has exactly one association (an unassociated one would fall back to the main table).
    assert sorted(routes) == sorted(s["name"] for s in plan.of_type(SUBNET))
    assert len(routes) == len(plan.of_type(ASSOCIATION)) == azs * 3
    assert {name.split("-")[1] for name in routes} == {"public", "private", "data"}
    for subnet, table in routes.items():
        defaults = [r for r in table if r.get("cidrBlock") == "0.0.0.0/0" or r.get("ipv6CidrBlock")]
        if "-data-" in subnet:
            assert table == []  # local route only
        elif "-public-" in subnet:
            assert len(defaults) == 1 and defaults[0]["gatewayId"].startswith("igw-")
        else:
            assert len(defaults) == 1 and defaults[0]["natGatewayId"].startswith("nat-")


def test_prod_private_subnets_use_their_own_az_nat(plan_for):
    routes = _routes_by_subnet(plan_for("prod"))
    nats = {routes[f"network-private-{i}"][0]["natGatewayId"] for i in range(3)}
    assert len(nats) == 3


def test_flow_logs_encrypted_with_retention(plan_for):
    plan = plan_for("prod")
    group = plan.one("aws:cloudwatch/logGroup:LogGroup", "network-flow-logs")
    assert group["inputs"]["retentionInDays"] == 365
    key = next(k for k in plan.of_type("aws:kms/key:Key") if k["name"] == "nox-prod-logs")
    assert key["urn"] in group["dependencies"] and key["inputs"]["enableKeyRotation"] is True
    policy = json.loads(key["inputs"]["policy"])
    logs = next(s for s in policy["Statement"] if s["Sid"] == "CloudWatchLogsOfThisAccount")
    assert logs["Principal"] == {"Service": "logs.us-west-2.amazonaws.com"}
    flow = plan.one("aws:ec2/flowLog:FlowLog")
    assert flow["inputs"]["trafficType"] == "ALL" and flow["inputs"]["logDestinationType"] == "cloud-watch-logs"
    assert plan_for("dev").one("aws:cloudwatch/logGroup:LogGroup", "network-flow-logs")["inputs"]["retentionInDays"] == 30


def test_flow_logs_role_is_guarded_against_confused_deputy(plan_for):
    plan = plan_for("prod")
    role = plan.one("aws:iam/role:Role", "network-flow-logs-role")
    trust = json.loads(role["inputs"]["assumeRolePolicy"])
    assert trust["Statement"] == [
        {
            "Effect": "Allow",
            "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {
                "StringEquals": {"aws:SourceAccount": "123456789012"},
                "ArnLike": {"aws:SourceArn": "arn:aws:ec2:us-west-2:123456789012:vpc-flow-log/*"},
            },
        }
    ]
    flow = plan.one("aws:ec2/flowLog:FlowLog")["inputs"]
    group = plan.one("aws:cloudwatch/logGroup:LogGroup", "network-flow-logs")
    assert flow["iamRoleArn"].endswith(":role/" + flow["iamRoleArn"].rsplit("/", 1)[1])
    assert flow["logDestination"].startswith("arn:aws:logs:us-west-2:123456789012:log-group:")
    assert not flow["logDestination"].endswith(":*")  # the provider's log group ARN, no stream wildcard
    assert flow["maxAggregationInterval"] == 60  # one-minute records, not the 10-minute default
    permissions = json.loads(plan.one("aws:iam/rolePolicy:RolePolicy", "network-flow-logs-policy")["inputs"]["policy"])
    assert permissions["Statement"][0]["Resource"] == [flow["logDestination"], flow["logDestination"] + ":*"]
    assert group["inputs"]["name"] in flow["logDestination"]


def test_default_security_group_is_adopted_with_no_rules(plan_for):
    sg = plan_for("dev").one("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    assert not sg["inputs"].get("ingress") and not sg["inputs"].get("egress")


def test_endpoints(plan_for):
    prod = plan_for("prod").of_type(ENDPOINT)
    services = sorted(e["inputs"]["serviceName"] for e in prod)
    assert services == sorted(["com.amazonaws.us-west-2.s3"] + [f"com.amazonaws.us-west-2.{s}" for s in INTERFACE_ENDPOINTS])
    # Image pulls, SSM sessions, secret reads, logs and the IRSA token exchange (sts), literally.
    assert set(INTERFACE_ENDPOINTS) == {"ecr.api", "ecr.dkr", "ssm", "ssmmessages", "ec2messages", "secretsmanager", "logs", "sts"}
    assert all(e["inputs"]["privateDnsEnabled"] for e in prod if e["inputs"]["vpcEndpointType"] == "Interface")
    dev = plan_for("dev").of_type(ENDPOINT)
    assert [e["inputs"]["vpcEndpointType"] for e in dev] == ["Gateway"]
    assert plan_for("dev", "nox:interfaceEndpoints=true").of_type(ENDPOINT).__len__() == 1 + len(INTERFACE_ENDPOINTS)


@pytest.mark.parametrize("platform", ["asg", "eks"])
def test_every_kms_key_rotates_yearly_with_a_30_day_deletion_window(plan_for, platform):
    plan = plan_for("prod") if platform == "eks" else plan_for("prod", "nox:platform=asg")
    keys = plan.of_type("aws:kms/key:Key")
    assert len(keys) >= 4
    for key in keys:
        inputs = key["inputs"]
        assert (inputs["enableKeyRotation"], inputs["rotationPeriodInDays"], inputs["deletionWindowInDays"]) == (True, 365, 30), key["name"]
        admin = json.loads(inputs["policy"])["Statement"][0]
        assert admin == {
            "Sid": "AccountAdministers",
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
            "Action": "kms:*",
            "Resource": "*",
        }


def test_log_key_serves_only_this_accounts_log_groups_in_this_region(plan_for):
    key = plan_for("prod").one("aws:kms/key:Key", "nox-prod-logs")
    logs = next(s for s in json.loads(key["inputs"]["policy"])["Statement"] if s["Sid"] == "CloudWatchLogsOfThisAccount")
    assert logs["Principal"] == {"Service": "logs.us-west-2.amazonaws.com"}
    assert logs["Condition"] == {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:us-west-2:123456789012:log-group:*"}}
    assert "kms:*" not in logs["Action"] and "kms:CreateGrant" not in logs["Action"]
