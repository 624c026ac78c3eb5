"""Mocks answer like AWS: data sources through the real SDK calls, ids and ARNs for every type."""

from __future__ import annotations

import json
import re

import pulumi
import pulumi_aws as aws
import pytest
from pulumi.runtime import MockResourceArgs

from offline import engine
from offline.config import StackConfig
from offline.mocks import ACCOUNT, GLOBAL_SERVICES, NO_ACCOUNT_SERVICES, NoxMocks, type_properties

REGION = "us-west-2"
ARN = re.compile(r"^arn:aws:(?P<service>[a-z0-9-]+):(?P<region>[a-z0-9-]*):(?P<account>\d*):(?P<resource>.+)$")


def run_program(program, region: str = REGION) -> engine.Plan:
    config = StackConfig(project="nox-infra", stack="mocks", values={"aws:region": region}, secret_keys=())
    return engine.run("mocks", config=config, program=program)


def new(token: str, name: str, inputs: dict | None = None, mocks: NoxMocks | None = None, provider: str | None = None):
    return (mocks or NoxMocks(REGION)).new_resource(MockResourceArgs(token, name, inputs or {}, provider=provider))


# --- data sources, called the way components call them -----------------------------------------


def test_get_policy_document_renders_real_iam_json():
    def program() -> None:
        doc = aws.iam.get_policy_document_output(
            statements=[
                {
                    "sid": "ReadLogs",
                    "effect": "Allow",
                    "actions": ["s3:GetObject"],
                    "resources": ["arn:aws:s3:::logs/*"],
                    "principals": [{"type": "Service", "identifiers": ["delivery.logs.amazonaws.com"]}],
                    "conditions": [{"test": "Bool", "variable": "aws:SecureTransport", "values": ["true"]}],
                },
                {"effect": "Deny", "actions": ["s3:*", "kms:*"], "resources": ["*"], "principals": [{"type": "AWS", "identifiers": ["*"]}]},
            ]
        )
        pulumi.CustomResource("demo:index:Policy", "policy", {"policy": doc.json, "min": doc.minified_json})

    inputs = run_program(program).one("demo:index:Policy")["inputs"]
    expected = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ReadLogs",
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::logs/*",
                "Principal": {"Service": "delivery.logs.amazonaws.com"},
                "Condition": {"Bool": {"aws:SecureTransport": "true"}},
            },
            {"Effect": "Deny", "Action": ["s3:*", "kms:*"], "Resource": "*", "Principal": {"AWS": "*"}},
        ],
    }
    assert json.loads(inputs["policy"]) == expected
    assert inputs["min"] == json.dumps(expected, separators=(",", ":"))


def test_account_region_partition_azs_and_ami_parameters():
    def program() -> None:
        pulumi.export("account", aws.get_caller_identity_output().account_id)
        pulumi.export("region", aws.get_region_output().region)
        part = aws.get_partition_output()
        pulumi.export("partition", part.partition)
        pulumi.export("dnsSuffix", part.dns_suffix)
        azs = aws.get_availability_zones_output(state="available")
        pulumi.export("azs", azs.names)
        pulumi.export("zoneIds", azs.zone_ids)
        pulumi.export(
            "al2023",
            aws.ssm.get_parameter_output(name="/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64").insecure_value,
        )
        pulumi.export(
            "eksAmi",
            aws.ssm.get_parameter_output(
                name="/aws/service/eks/optimized-ami/1.35/amazon-linux-2023/x86_64/standard/recommended/image_id"
            ).value,
        )
        pulumi.export(
            "ami", aws.ec2.get_ami_output(most_recent=True, owners=["amazon"], filters=[{"name": "name", "values": ["al2023-ami-*"]}]).id
        )

    out = run_program(program, region="eu-central-1").outputs
    assert out["account"] == ACCOUNT and re.fullmatch(r"\d{12}", out["account"])
    assert out["region"] == "eu-central-1"
    assert (out["partition"], out["dnsSuffix"]) == ("aws", "amazonaws.com")
    assert out["azs"][:3] == ["eu-central-1a", "eu-central-1b", "eu-central-1c"]
    assert out["zoneIds"][0] == "euc1-az1"
    for key in ("al2023", "eksAmi", "ami"):
        assert re.fullmatch(r"ami-[0-9a-f]{17}", out[key]), key
    assert out["al2023"] != out["eksAmi"]


# --- resources: ids, ARNs, computed outputs ---------------------------------------------------------


@pytest.mark.parametrize("platform", ["asg", "eks"])
def test_every_planned_aws_type_gets_a_plausible_id_and_arn(plan_for, platform):
    """Replay every AWS resource of a prod plan through the mocks: ARNs carry region and account
    exactly where AWS puts them, and only types that have an ARN get one."""
    plan = plan_for("prod") if platform == "eks" else plan_for("prod", "nox:platform=asg")
    mocks = NoxMocks(REGION)
    seen = set()
    for rec in plan.resources:
        if not rec["type"].startswith("aws:"):
            continue
        id_, state = new(rec["type"], rec["name"], rec["inputs"], mocks)
        seen.add(rec["type"])
        assert isinstance(id_, str) and id_ and " " not in id_, rec["urn"]
        props = type_properties(rec["type"])
        assert props is not None, f"{rec['type']}: not in the provider's registry"
        if "arn" not in props:
            assert "arn" not in state, f"{rec['type']} has no ARN in AWS"
            continue
        arn = ARN.match(state["arn"])
        assert arn, f"{rec['type']}: {state['arn']}"
        service = arn["service"]
        # a resource's own `region` input (pulumi-aws 7) wins over the provider's
        assert arn["region"] == ("" if service in GLOBAL_SERVICES else rec["inputs"].get("region", REGION)), state["arn"]
        assert arn["account"] == ("" if service in NO_ACCOUNT_SERVICES else ACCOUNT), state["arn"]
        assert "None" not in state["arn"], state["arn"]
    assert {"aws:ec2/vpc:Vpc", "aws:iam/role:Role", "aws:rds/instance:Instance", "aws:kms/key:Key"} <= seen


@pytest.mark.parametrize(
    ("token", "inputs", "arn"),
    [
        ("aws:ec2/vpc:Vpc", {}, r"arn:aws:ec2:us-west-2:123456789012:vpc/vpc-[0-9a-f]{17}"),
        ("aws:ec2/securityGroup:SecurityGroup", {"name": "web"}, r"arn:aws:ec2:us-west-2:123456789012:security-group/sg-[0-9a-f]{17}"),
        ("aws:iam/role:Role", {}, r"arn:aws:iam::123456789012:role/r-[0-9a-f]{7}"),
        ("aws:iam/policy:Policy", {"name": "p"}, r"arn:aws:iam::123456789012:policy/p"),
        ("aws:s3/bucket:Bucket", {"bucket": "nox-logs"}, r"arn:aws:s3:::nox-logs"),
        ("aws:cloudwatch/metricAlarm:MetricAlarm", {"name": "cpu-high"}, r"arn:aws:cloudwatch:us-west-2:123456789012:alarm:cpu-high"),
        ("aws:cloudwatch/logGroup:LogGroup", {"name": "/nox/app"}, r"arn:aws:logs:us-west-2:123456789012:log-group:/nox/app"),
        ("aws:sns/topic:Topic", {"name": "alerts"}, r"arn:aws:sns:us-west-2:123456789012:alerts"),
        ("aws:backup/vault:Vault", {"name": "v"}, r"arn:aws:backup:us-west-2:123456789012:backup-vault:v"),
        ("aws:backup/vault:Vault", {"name": "v", "region": "us-east-1"}, r"arn:aws:backup:us-east-1:123456789012:backup-vault:v"),
        ("aws:kms/key:Key", {"region": "eu-west-1"}, r"arn:aws:kms:eu-west-1:123456789012:key/[0-9a-f-]{36}"),
        ("aws:ecr/repository:Repository", {"name": "nox-api"}, r"arn:aws:ecr:us-west-2:123456789012:repository/nox-api"),
        (
            "aws:lb/targetGroup:TargetGroup",
            {"name": "blue"},
            r"arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/blue/[0-9a-f]{16}",
        ),
    ],
)
def test_arn_shapes(token, inputs, arn):
    _, state = new(token, "r", inputs)
    assert re.fullmatch(arn, state["arn"]), state["arn"]


def test_types_without_an_arn_get_none():
    for token in ("aws:route53/record:Record", "aws:ec2/routeTableAssociation:RouteTableAssociation", "aws:iam/rolePolicy:RolePolicy"):
        _, state = new(token, "r", {"name": "x"})
        assert "arn" not in state, token


def test_load_balancer_outputs():
    _, state = new("aws:lb/loadBalancer:LoadBalancer", "edge-alb", {"name": "nox-prod", "loadBalancerType": "application"})
    assert re.fullmatch(r"app/nox-prod/[0-9a-f]{16}", state["arnSuffix"])
    assert state["arn"].endswith(":loadbalancer/" + state["arnSuffix"])
    assert state["dnsName"].endswith(f".{REGION}.elb.amazonaws.com") and state["zoneId"]


def test_autonaming_like_pulumi():
    _, role = new("aws:iam/role:Role", "fleet-role", {})
    assert re.fullmatch(r"fleet-role-[0-9a-f]{7}", role["name"])
    _, named = new("aws:iam/role:Role", "fleet-role", {"name": "explicit"})
    assert named["name"] == "explicit"
    _, tg = new("aws:lb/targetGroup:TargetGroup", "a-very-long-logical-name-for-a-target-group", {})
    assert len(tg["name"]) <= 32
    _, vpc = new("aws:ec2/vpc:Vpc", "network-vpc", {})
    assert "name" not in vpc  # VPCs have no name property
    _, ns = new("kubernetes:core/v1:Namespace", "nox", {"metadata": {}})
    assert re.fullmatch(r"nox-[0-9a-f]{8}", ns["metadata"]["name"])
    _, named_ns = new("kubernetes:core/v1:Namespace", "nox", {"metadata": {"name": "nox"}})
    assert named_ns["metadata"]["name"] == "nox"


def test_tags_all_merges_the_provider_default_tags():
    mocks = NoxMocks(REGION)
    default_tags = {"tags": {"Project": "nox-infra", "Environment": "prod"}}
    provider_id, _ = new("pulumi:providers:aws", "aws", {"region": REGION, "defaultTags": json.dumps(default_tags)}, mocks)
    ref = f"urn:pulumi:prod::nox-infra::pulumi:providers:aws::aws::{provider_id}"
    _, state = new("aws:ec2/vpc:Vpc", "vpc", {"tags": {"Name": "nox-prod", "Environment": "override"}}, mocks, provider=ref)
    assert state["tagsAll"] == {"Project": "nox-infra", "Environment": "override", "Name": "nox-prod"}
    _, untagged = new("aws:ec2/routeTableAssociation:RouteTableAssociation", "rta", {}, mocks, provider=ref)
    assert "tagsAll" not in untagged  # not a taggable type


def test_mocks_are_deterministic():
    args = ("aws:rds/instance:Instance", "db", {"identifier": "nox-prod-db", "port": 5432})
    assert new(*args) == new(*args)
    assert new("aws:ec2/subnet:Subnet", "a")[0] != new("aws:ec2/subnet:Subnet", "b")[0]


# --- ids: what the provider reports (the "Import" sections of the pulumi-aws docs) -----------------

ARN_PREFIX = "arn:aws:"
PROVIDER_IDS = [
    ("aws:iam/role:Role", {"name": "nox-prod-node"}, "nox-prod-node"),
    ("aws:iam/instanceProfile:InstanceProfile", {"name": "nox-prod-app"}, "nox-prod-app"),
    ("aws:iam/policy:Policy", {"name": "lb"}, "arn:aws:iam::123456789012:policy/lb"),
    ("aws:iam/rolePolicy:RolePolicy", {"role": "nox-prod-node", "name": "kms"}, "nox-prod-node:kms"),
    (
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        {"role": "r", "policyArn": "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"},
        "r/arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
    ),
    (
        "aws:iam/serviceLinkedRole:ServiceLinkedRole",
        {"awsServiceName": "autoscaling.amazonaws.com", "customSuffix": "nox-prod"},
        "arn:aws:iam::123456789012:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling_nox-prod",
    ),
    ("aws:cloudwatch/logGroup:LogGroup", {"name": "/aws/eks/nox-prod/cluster"}, "/aws/eks/nox-prod/cluster"),
    ("aws:cloudwatch/metricAlarm:MetricAlarm", {"name": "cpu-high"}, "cpu-high"),
    ("aws:kms/alias:Alias", {"name": "alias/nox-prod-ebs"}, "alias/nox-prod-ebs"),
    ("aws:s3/bucket:Bucket", {"bucket": "nox-logs"}, "nox-logs"),
    ("aws:s3/bucketPolicy:BucketPolicy", {"bucket": "nox-logs"}, "nox-logs"),
    ("aws:s3/bucketVersioning:BucketVersioning", {"bucket": "nox-logs"}, "nox-logs"),
    ("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", {"bucket": "nox-logs"}, "nox-logs"),
    ("aws:rds/parameterGroup:ParameterGroup", {"name": "nox-prod-pg17"}, "nox-prod-pg17"),
    ("aws:rds/subnetGroup:SubnetGroup", {"name": "nox-prod-db"}, "nox-prod-db"),
    ("aws:elasticache/replicationGroup:ReplicationGroup", {"replicationGroupId": "nox-prod-redis"}, "nox-prod-redis"),
    ("aws:elasticache/subnetGroup:SubnetGroup", {"name": "nox-prod-cache"}, "nox-prod-cache"),
    ("aws:autoscaling/group:Group", {"name": "nox-prod-blue"}, "nox-prod-blue"),
    ("aws:autoscaling/policy:Policy", {"name": "up", "autoscalingGroupName": "nox-prod-blue"}, "up"),
    ("aws:eks/cluster:Cluster", {"name": "nox-prod"}, "nox-prod"),
    ("aws:eks/nodeGroup:NodeGroup", {"clusterName": "nox-prod", "nodeGroupName": "main"}, "nox-prod:main"),
    ("aws:eks/addon:Addon", {"clusterName": "nox-prod", "addonName": "vpc-cni"}, "nox-prod:vpc-cni"),
    (
        "aws:eks/accessEntry:AccessEntry",
        {"clusterName": "nox-prod", "principalArn": "arn:aws:iam::123456789012:role/admin"},
        "nox-prod:arn:aws:iam::123456789012:role/admin",
    ),
    (
        "aws:eks/accessPolicyAssociation:AccessPolicyAssociation",
        {"clusterName": "c", "principalArn": "arn:aws:iam::123456789012:role/a", "policyArn": "arn:aws:eks::aws:cluster-access-policy/P"},
        "c#arn:aws:iam::123456789012:role/a#arn:aws:eks::aws:cluster-access-policy/P",
    ),
    ("aws:route53/record:Record", {"zoneId": "Z0PROD", "name": "api.nox.example.com", "type": "A"}, "Z0PROD_api.nox.example.com_A"),
    (
        "aws:wafv2/webAclAssociation:WebAclAssociation",
        {"webAclArn": "arn:aws:wafv2:x", "resourceArn": "arn:aws:elasticloadbalancing:y"},
        "arn:aws:wafv2:x,arn:aws:elasticloadbalancing:y",
    ),
    ("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration", {"resourceArn": "arn:aws:wafv2:x"}, "arn:aws:wafv2:x"),
    ("aws:backup/vault:Vault", {"name": "nox-prod"}, "nox-prod"),
]


@pytest.mark.parametrize(("token", "inputs", "expected"), PROVIDER_IDS, ids=[t.rsplit(":", 1)[-1] for t, _, _ in PROVIDER_IDS])
def test_ids_are_what_the_provider_reports(token, inputs, expected):
    assert new(token, "r", inputs)[0] == expected


@pytest.mark.parametrize(
    "token",
    [
        "aws:secretsmanager/secret:Secret",
        "aws:sns/topic:Topic",
        "aws:acm/certificate:Certificate",
        "aws:lb/loadBalancer:LoadBalancer",
        "aws:lb/targetGroup:TargetGroup",
        "aws:lb/listener:Listener",
        "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
    ],
)
def test_arn_identified_types_use_their_arn(token):
    id_, state = new(token, "r", {"name": "x"})
    assert id_ == state["arn"] and id_.startswith(ARN_PREFIX)


def test_ids_computed_by_aws():
    id_, state = new("aws:kms/key:Key", "k")
    assert id_ == state["keyId"] and re.fullmatch(r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}", id_)
    # RDS: imported by identifier, but the provider's id is the DBI resource id (provider v6+).
    id_, state = new("aws:rds/instance:Instance", "db", {"identifier": "nox-prod-db"})
    assert id_ == state["resourceId"] and re.fullmatch(r"db-[0-9A-F]{26}", id_)
    id_, state = new("aws:wafv2/webAcl:WebAcl", "acl", {"name": "nox-prod-api", "scope": "REGIONAL"})
    assert state["arn"].endswith("/" + id_) and re.fullmatch(r"[0-9a-f-]{36}", id_)
    id_, state = new("aws:secretsmanager/secretVersion:SecretVersion", "v", {"secretId": "arn:aws:secretsmanager:s"})
    assert id_ == f"arn:aws:secretsmanager:s|{state['versionId']}"
    for token, prefix in (
        ("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "sgr-"),
        ("aws:ec2/routeTableAssociation:RouteTableAssociation", "rtbassoc-"),
        ("aws:ec2/subnet:Subnet", "subnet-"),
    ):
        assert re.fullmatch(prefix + "[0-9a-f]{17}", new(token, "r")[0]), token


def test_a_type_missing_its_id_fields_falls_back():
    id_, state = new("aws:eks/nodeGroup:NodeGroup", "ng", {"clusterName": "c"})  # no nodeGroupName
    assert id_ == state["arn"] and "c:" not in id_


def test_plans_reference_roles_by_name(plan_for):
    """`role.id` is the role's name, as the real provider reports it: inline policies name the role."""
    plan = plan_for("prod", "nox:platform=asg")
    inline = plan.of_type("aws:iam/rolePolicy:RolePolicy")
    assert inline and all(not p["inputs"]["role"].startswith(ARN_PREFIX) for p in inline)
