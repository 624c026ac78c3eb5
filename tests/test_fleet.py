"""EC2 fleet: launch template, instance identity, one ASG per colour, the seed's CPU scaling.

The seed's ASG numbers (2/20/3) are the staging/prod profile, so the main plan is prod on asg;
alarm -> policy -> group wiring is checked against the ARNs and names the mocks compute.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess

import pulumi
import pytest

from components.fleet import AMI_PARAMETER, ENABLED_METRICS, capacity, user_data
from offline import engine
from offline.mocks import MOCK_SECRET_PREFIX, Ctx, NoxMocks, _ssm_parameter
from settings import FleetSettings, ReleaseSettings

REGION = "us-west-2"
ACCOUNT = "123456789012"
GREEN_IMAGE = "123456789012.dkr.ecr.us-west-2.amazonaws.com/nox-api:v8.1.0"
BLUE_IMAGE = "123456789012.dkr.ecr.us-west-2.amazonaws.com/nox-api:v8.0.0"
PROD_IMAGE = "123456789012.dkr.ecr.us-west-2.amazonaws.com/nox-api@sha256:" + "0" * 64  # Pulumi.prod.yaml
GREEN = f"nox:imageGreen={GREEN_IMAGE}"

ASG = "aws:autoscaling/group:Group"
LT = "aws:ec2/launchTemplate:LaunchTemplate"
POLICY = "aws:autoscaling/policy:Policy"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TG = "aws:lb/targetGroup:TargetGroup"


def computed(rec: dict) -> tuple[str, dict]:
    """(id, outputs) the mocks give this recorded resource: the values other resources received."""
    return NoxMocks(REGION).new_resource(pulumi.runtime.MockResourceArgs(rec["type"], rec["name"], rec["inputs"], custom=True))


def rid(plan, token: str, name: str) -> str:
    return computed(plan.one(token, name))[0]


def out(plan, token: str, name: str) -> dict:
    return computed(plan.one(token, name))[1]


def decoded_user_data(plan, colour: str) -> str:
    return base64.b64decode(plan.one(LT, f"fleet-{colour}-lt")["inputs"]["userData"]).decode()


@pytest.fixture(scope="module")
def prod_asg(plan_for):
    return plan_for("prod", "nox:platform=asg")


@pytest.fixture(scope="module")
def dev(plan_for):
    return plan_for("dev")


@pytest.fixture(scope="module")
def canary25(plan_for):
    return plan_for("dev", "nox:releaseStrategy=canary", GREEN, "nox:releaseCanaryWeight=25")


@pytest.fixture(scope="module")
def flipped():
    """Blue/green after the switch to green: blue keeps its image but is idle. Records ignoreChanges too."""

    class Monitor(engine.RecordingMonitor):
        def RegisterResource(self, request):  # noqa: N802
            response = super().RegisterResource(request)
            if self.records and self.records[-1]["urn"] == response.urn:
                self.records[-1]["ignoreChanges"] = list(request.ignoreChanges)
            return response

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(engine, "RecordingMonitor", Monitor)
        return engine.run("dev", ("nox:releaseActive=green", GREEN))


# --- the seed's group ------------------------------------------------------------------------


def test_live_group_has_the_seed_sizes_and_health_checks(prod_asg):
    (group,) = prod_asg.of_type(ASG)
    g = group["inputs"]
    assert (g["minSize"], g["maxSize"], g["desiredCapacity"]) == (2, 20, 3)
    assert (g["healthCheckType"], g["healthCheckGracePeriod"], g["defaultCooldown"]) == ("ELB", 300, 300)
    assert g["name"] == "nox-prod-api-blue" and g["capacityRebalance"] is True
    assert g["enabledMetrics"] == list(ENABLED_METRICS)
    # No auto rollback: the provider sets the new template version on the group before it starts
    # the refresh, so AWS would "roll back" to the failing version (see fleet.AUTO_ROLLBACK).
    assert g["instanceRefresh"] == {
        "strategy": "Rolling",
        "preferences": {"minHealthyPercentage": 90, "skipMatching": True, "autoRollback": False},
    }
    assert {"key": "Name", "value": "nox-prod-api-blue", "propagateAtLaunch": True} in g["tags"]
    assert {"key": "Environment", "value": "prod", "propagateAtLaunch": True} in g["tags"]


def test_groups_launch_only_once_the_database_role_and_cache_user_exist(prod_asg, canary25):
    # The app logs in as nox_app at boot; before the db-roles invocation has created it every
    # instance would fail its health checks and be replaced.
    for plan in (prod_asg, canary25):
        role_bootstrap = plan.one("aws:lambda/invocation:Invocation", "db-roles-app-role")["urn"]
        cache = plan.one("aws:elasticache/replicationGroup:ReplicationGroup")["urn"]
        for group in plan.of_type(ASG):
            assert {role_bootstrap, cache} <= set(group["dependencies"]), group["name"]


def test_group_runs_in_every_private_subnet_behind_its_colour_target_groups(prod_asg):
    g = prod_asg.one(ASG)["inputs"]
    assert g["vpcZoneIdentifiers"] == [rid(prod_asg, "aws:ec2/subnet:Subnet", f"network-private-{i}") for i in range(3)]
    assert g["targetGroupArns"] == [out(prod_asg, TG, "edge-blue-app")["arn"], out(prod_asg, TG, "edge-blue-ws")["arn"]]
    lt_id, lt = computed(prod_asg.one(LT, "fleet-blue-lt"))
    assert g["launchTemplate"] == {"id": lt_id, "version": str(lt["latestVersion"])}


def test_launch_template(prod_asg):
    lt = prod_asg.one(LT, "fleet-blue-lt")["inputs"]
    assert lt["imageId"] == _ssm_parameter(Ctx(REGION), {"name": AMI_PARAMETER})["insecureValue"]
    assert lt["instanceType"] == "m6i.large"
    assert lt["metadataOptions"] == {
        "httpEndpoint": "enabled",
        "httpTokens": "required",
        "httpPutResponseHopLimit": 1,
        "instanceMetadataTags": "disabled",
    }
    assert lt["blockDeviceMappings"] == [
        {
            "deviceName": "/dev/xvda",
            "ebs": {
                "volumeType": "gp3",
                "volumeSize": 30,
                "encrypted": "true",
                "deleteOnTermination": "true",
                "kmsKeyId": out(prod_asg, "aws:kms/key:Key", "nox-prod-ebs")["arn"],
            },
        }
    ]
    assert lt["networkInterfaces"] == [
        {
            "deviceIndex": 0,
            "associatePublicIpAddress": "false",
            "deleteOnTermination": "true",
            "securityGroups": [rid(prod_asg, "aws:ec2/securityGroup:SecurityGroup", "edge-app-sg")],
        }
    ]
    assert lt["monitoring"] == {"enabled": True}
    assert lt["iamInstanceProfile"] == {"arn": out(prod_asg, "aws:iam/instanceProfile:InstanceProfile", "fleet-instance-profile")["arn"]}
    # The provider's default tags do not reach what an ASG launches: the template carries them.
    assert {t["resourceType"] for t in lt["tagSpecifications"]} == {"instance", "volume", "network-interface"}
    for spec in lt["tagSpecifications"]:
        assert spec["tags"]["Name"] == "nox-prod-api-blue" and spec["tags"]["Environment"] == "prod"


def test_ebs_key_admits_the_fleets_own_autoscaling_service_role(prod_asg):
    role = prod_asg.one("aws:iam/serviceLinkedRole:ServiceLinkedRole")
    assert role["inputs"]["awsServiceName"] == "autoscaling.amazonaws.com" and role["inputs"]["customSuffix"] == "nox-prod"
    role_arn = computed(role)[1]["arn"]
    assert role_arn == f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling_nox-prod"
    assert prod_asg.one(ASG)["inputs"]["serviceLinkedRoleArn"] == role_arn
    key = prod_asg.one("aws:kms/key:Key", "nox-prod-ebs")
    statements = {s["Sid"]: s for s in json.loads(key["inputs"]["policy"])["Statement"]}
    assert statements["ServiceRolesUseKey"]["Principal"] == {"AWS": [role_arn]}
    assert set(statements["ServiceRolesUseKey"]["Action"]) == {
        "kms:Encrypt",
        "kms:Decrypt",
        "kms:ReEncrypt*",
        "kms:GenerateDataKey*",
        "kms:DescribeKey",
    }
    assert statements["ServiceRolesGrantForAwsResources"]["Action"] == "kms:CreateGrant"
    assert statements["ServiceRolesGrantForAwsResources"]["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}
    assert key["inputs"]["enableKeyRotation"] is True and key["protect"] is True


def test_instance_role_has_ssm_cloudwatch_ecr_pull_and_logs_in_only_as_the_app(prod_asg):
    role = prod_asg.one("aws:iam/role:Role", "fleet-instance-role")
    assert json.loads(role["inputs"]["assumeRolePolicy"])["Statement"] == [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ]
    role_name = computed(role)[1]["name"]
    attached = {
        a["inputs"]["policyArn"]
        for a in prod_asg.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if a["inputs"]["role"] == role_name
    }
    assert attached == {
        f"arn:aws:iam::aws:policy/{p}"
        for p in ("AmazonSSMManagedInstanceCore", "CloudWatchAgentServerPolicy", "AmazonEC2ContainerRegistryPullOnly")
    }
    inline = prod_asg.one("aws:iam/rolePolicy:RolePolicy", "fleet-read-app-secret")["inputs"]
    ids = [out(prod_asg, "aws:rds/instance:Instance", n)["resourceId"] for n in ("database-primary", "database-replica")]
    group_arn = out(prod_asg, "aws:elasticache/replicationGroup:ReplicationGroup", "cache-redis")["arn"]
    assert json.loads(inline["policy"])["Statement"] == [
        {
            "Sid": "PostgresAsAppUser",
            "Effect": "Allow",
            "Action": "rds-db:connect",
            "Resource": [f"arn:aws:rds-db:{REGION}:{ACCOUNT}:dbuser:{i}/nox_app" for i in ids],
        },
        {
            "Sid": "CacheAsAppUser",
            "Effect": "Allow",
            "Action": "elasticache:Connect",
            "Resource": [group_arn, f"arn:aws:elasticache:{REGION}:{ACCOUNT}:user:nox-prod-app"],
        },
    ]
    assert not prod_asg.of_type("aws:secretsmanager/secret:Secret")  # the app has no stored credential
    assert prod_asg.one("aws:iam/instanceProfile:InstanceProfile")["inputs"]["role"] == role_name


# --- scaling: alarm -> policy -> group -------------------------------------------------------


def test_scaling_policies_and_cpu_alarms_are_the_seeds_and_wired(prod_asg):
    group = computed(prod_asg.one(ASG))[1]["name"]
    up, down = (prod_asg.one(POLICY, f"fleet-blue-scale-{d}") for d in ("up", "down"))
    for policy, direction, adjustment in ((up, "up", 2), (down, "down", -1)):
        assert policy["inputs"] == {
            "name": f"nox-prod-api-blue-scale-{direction}",
            "autoscalingGroupName": group,
            "policyType": "SimpleScaling",
            "adjustmentType": "ChangeInCapacity",
            "scalingAdjustment": adjustment,
            "cooldown": 300,
        }
    high, low = prod_asg.one(ALARM, "fleet-blue-high-cpu")["inputs"], prod_asg.one(ALARM, "fleet-blue-low-cpu")["inputs"]
    for alarm, name, threshold, operator, policy in (
        (high, "NOX-API-High-CPU-nox-prod-blue", 70, "GreaterThanThreshold", up),
        (low, "NOX-API-Low-CPU-nox-prod-blue", 30, "LessThanThreshold", down),
    ):
        assert alarm["name"] == name
        assert (alarm["namespace"], alarm["metricName"], alarm["statistic"]) == ("AWS/EC2", "CPUUtilization", "Average")
        assert (alarm["period"], alarm["evaluationPeriods"], alarm["threshold"]) == (300, 2, threshold)
        assert alarm["comparisonOperator"] == operator
        assert alarm["dimensions"] == {"AutoScalingGroupName": group}
        # Scaling stays the first action; the stack's alert topic is told too, and when it clears.
        topic = prod_asg.outputs["alertTopicArn"]
        assert topic == "arn:aws:sns:us-west-2:123456789012:nox-prod-alerts"
        assert alarm["alarmActions"] == [computed(policy)[1]["arn"], topic]
        assert alarm["okActions"] == [topic]


def test_cpu_alarms_keep_their_urns_when_they_notify_the_topic(prod_asg):
    # Same name, type and parent (the group) as before the topic was added: no replacement.
    parent = "nox:fleet:AppFleet$aws:autoscaling/group:Group$aws:cloudwatch/metricAlarm:MetricAlarm"
    urns = sorted(a["urn"] for a in prod_asg.of_type(ALARM) if a["name"].startswith("fleet-"))
    assert urns == [f"urn:pulumi:prod::nox-infra::{parent}::fleet-blue-{level}-cpu" for level in ("high", "low")]


def test_alarm_names_are_unique_across_stacks_and_colours(prod_asg, canary25):
    names = [a["inputs"]["name"] for plan in (prod_asg, canary25) for a in plan.of_type(ALARM) if a["name"].startswith("fleet-")]
    assert len(names) == len(set(names)) == 6
    assert all(n.startswith(("NOX-API-High-CPU-", "NOX-API-Low-CPU-")) for n in names)


# --- user data -----------------------------------------------------------------------------------


def test_user_data_runs_the_colour_image_hardened_and_holds_no_secret(prod_asg):
    script = decoded_user_data(prod_asg, "blue")
    assert f"IMAGE={PROD_IMAGE}\n" in script
    primary = out(prod_asg, "aws:rds/instance:Instance", "database-primary")["address"]
    replica = out(prod_asg, "aws:rds/instance:Instance", "database-replica")["address"]
    redis = out(prod_asg, "aws:elasticache/replicationGroup:ReplicationGroup", "cache-redis")["configurationEndpointAddress"]
    for flag in (
        "--user 10001:10001",
        "--network host",  # IMDS (hop limit 1) for the IAM tokens
        "--init",
        "--read-only",
        "--tmpfs /tmp",
        "--restart unless-stopped",
        "-e NODE_ENV=production",
        "-e PORT=3000",
        "-e DEPLOYMENT_COLOR=blue",
        f"-e DB_POOL_MAX={prod_asg.outputs['dbPoolMax']}",
        f"-e DATABASE_HOST={primary}",
        f"-e DATABASE_READONLY_HOST={replica}",
        "-e DATABASE_USER=nox_app",
        "-e DATABASE_AUTH=iam",
        f"-e REDIS_HOST={redis}",
        "-e REDIS_USER=nox-prod-app",
        "-e REDIS_AUTH=iam",
    ):
        assert flag in script, flag
    assert "secretsmanager" not in script and "--env-file" not in script
    for leak in (MOCK_SECRET_PREFIX, "postgres://", "postgresql://", "rediss://", "redis://", "[secret]", "PASSWORD"):
        assert leak not in script, leak


def test_user_data_quotes_what_it_interpolates():
    script = user_data(colour="green", image="r/a:1", db_pool_max=7, connection_env={"DATABASE_HOST": "db; rm -rf /"})
    assert "-e 'DATABASE_HOST=db; rm -rf /'" in script
    assert "-e DEPLOYMENT_COLOR=green" in script and "-e DB_POOL_MAX=7" in script
    assert script.startswith("#!/bin/bash\n") and "set -euo pipefail" in script


# --- colours and releases ------------------------------------------------------------------------


def test_dev_runs_only_the_deployed_colour(dev):
    assert [g["inputs"]["name"] for g in dev.of_type(ASG)] == ["nox-dev-api-blue"]
    assert [lt["name"] for lt in dev.of_type(LT)] == ["fleet-blue-lt"]
    assert (lambda g: (g["minSize"], g["maxSize"], g["desiredCapacity"]))(dev.one(ASG)["inputs"]) == (1, 4, 1)
    assert dev.outputs["autoScalingGroups"] == {"blue": "nox-dev-api-blue"}


def test_canary_runs_both_colours_at_full_size_each_with_its_image_and_scaling(canary25):
    for colour, image in (("blue", BLUE_IMAGE), ("green", GREEN_IMAGE)):
        g = canary25.one(ASG, f"fleet-{colour}")["inputs"]
        assert (g["minSize"], g["maxSize"], g["desiredCapacity"]) == (1, 4, 1)
        assert g["targetGroupArns"] == [out(canary25, TG, f"edge-{colour}-app")["arn"], out(canary25, TG, f"edge-{colour}-ws")["arn"]]
        script = decoded_user_data(canary25, colour)
        assert f"IMAGE={image}\n" in script and f"-e DEPLOYMENT_COLOR={colour}" in script
        alarm = canary25.one(ALARM, f"fleet-{colour}-high-cpu")["inputs"]
        assert alarm["dimensions"] == {"AutoScalingGroupName": f"nox-dev-api-{colour}"}


def test_idle_colour_is_held_at_zero_and_only_serving_groups_ignore_desired_capacity(flipped):
    green, blue = flipped.one(ASG, "fleet-green"), flipped.one(ASG, "fleet-blue")
    assert (green["inputs"]["minSize"], green["inputs"]["maxSize"], green["inputs"]["desiredCapacity"]) == (1, 4, 1)
    assert (blue["inputs"]["minSize"], blue["inputs"]["maxSize"], blue["inputs"]["desiredCapacity"]) == (0, 4, 0)
    # Scaling policies own a serving group's desired capacity; an idle one is reset to 0 on every up.
    assert green["ignoreChanges"] == ["desiredCapacity"] and blue["ignoreChanges"] == []
    assert {p["name"] for p in flipped.of_type(POLICY)} == {"fleet-green-scale-up", "fleet-green-scale-down"}
    assert {a["name"] for a in flipped.of_type(ALARM) if a["name"].startswith("fleet-")} == {"fleet-green-high-cpu", "fleet-green-low-cpu"}
    assert flipped.outputs["trafficWeights"] == {"green": 100, "blue": 0}


def test_capacity_per_release_state():
    sizes = FleetSettings(instance_type="m6i.large", min_size=2, max_size=20, desired=3)
    images = (("blue", "r/a:1"), ("green", "r/a:2"))
    bluegreen = ReleaseSettings(strategy="bluegreen", active="blue", images=images, canary_weight=0)
    canary = ReleaseSettings(strategy="canary", active="blue", images=images, canary_weight=0)
    live = {"min_size": 2, "max_size": 20, "desired_capacity": 3}
    assert capacity(sizes, bluegreen, "blue") == live
    assert capacity(sizes, bluegreen, "green") == {"min_size": 0, "max_size": 20, "desired_capacity": 0}
    assert capacity(sizes, canary, "green") == live  # warm at weight 0, reachable with X-Canary-User


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck is not installed (`make test` installs it)")
@pytest.mark.parametrize("colour", ["blue", "green"])
def test_rendered_user_data_passes_shellcheck(canary25, colour, tmp_path):
    """The boot script exactly as the program renders it into each colour's launch template."""
    script = tmp_path / f"user-data-{colour}.sh"
    script.write_text(decoded_user_data(canary25, colour))
    result = subprocess.run(["shellcheck", "--severity=style", str(script)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
