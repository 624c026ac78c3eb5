"""EC2 fleet (platform asg): one launch template and Auto Scaling group per deployed colour, and the
seed's CPU scaling (setup-autoscaling.sh) on every colour that serves traffic; and the instances'
security group (`AppSecurityGroup`), made before the data tier, which admits it.

Seed: ASG nox-api-asg MinSize 2, MaxSize 20, DesiredCapacity 3, DefaultCooldown 300, HealthCheckType
ELB, HealthCheckGracePeriod 300; scale-up ChangeInCapacity +2 and scale-down -1, cooldown 300;
alarms NOX-API-High-CPU (> 70) and NOX-API-Low-CPU (< 30), Average CPUUtilization, 2 x 300 s.
The seed's alarms had no dimension (they watched nothing in particular) and no action (they scaled
nothing): here each watches its group's `AutoScalingGroupName` and triggers its scaling policy.
"""

from __future__ import annotations

import base64
import json
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from settings import FleetSettings, ReleaseSettings

from . import appspec, logs, runbooks
from .base import InVpc, Named, Protected
from .cache import PORT as REDIS_PORT
from .database import PORT as POSTGRES_PORT
from .edge import FORMER_STEM
from .kms import encryption_key

# Amazon Linux 2023, resolved from AWS's public parameter when the program runs (each `pulumi up`
# picks up the current AMI, which changes the launch template and rolls the fleet through an
# instance refresh). `resolve:ssm:` in image_id would instead resolve at every launch, so one group
# could silently run two AMIs and a new AMI would never show in a preview.
AMI_PARAMETER = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
ROOT_DEVICE = "/dev/xvda"  # AL2023's root device name
ROOT_VOLUME_GIB = 30  # OS, Docker and a few image versions
MANAGED_POLICIES = (
    "AmazonSSMManagedInstanceCore",  # Session Manager instead of SSH (no key pair, no port 22)
    "CloudWatchAgentServerPolicy",  # CloudWatch agent: memory/disk metrics and log shipping
    "AmazonEC2ContainerRegistryPullOnly",  # pull the app image from ECR, nothing else in ECR
)
ENABLED_METRICS = (
    "GroupMinSize",
    "GroupMaxSize",
    "GroupDesiredCapacity",
    "GroupInServiceInstances",
    "GroupPendingInstances",
    "GroupStandbyInstances",
    "GroupTerminatingInstances",
    "GroupTotalInstances",
)
CONTAINER_NAME = "nox-api"
# Metrics collector (platform asg with the managed Prometheus workspace).
COLLECTOR_IMAGE = "public.ecr.aws/aws-observability/aws-otel-collector:v0.45.0"
COLLECTOR_NAME = "adot-collector"
COLLECTOR_DIR = "/etc/nox/otel"
COLLECTOR_JOB = "nox-api"  # the seed's scrape job name, as on eks
INSTANCE_ID_PLACEHOLDER = "__INSTANCE_ID__"

# The seed's numbers (AWS Auto Scaling Group JSON and setup-autoscaling.sh).
HEALTH_CHECK_TYPE = "ELB"
HEALTH_CHECK_GRACE_SECONDS = 300
DEFAULT_COOLDOWN_SECONDS = 300
SCALE_UP_ADJUSTMENT = 2
SCALE_DOWN_ADJUSTMENT = -1
POLICY_COOLDOWN_SECONDS = 300
ALARM_NAMESPACE, ALARM_METRIC, ALARM_STATISTIC = "AWS/EC2", "CPUUtilization", "Average"
ALARM_PERIOD_SECONDS = 300
ALARM_EVALUATION_PERIODS = 2
HIGH_CPU_PERCENT = 70
LOW_CPU_PERCENT = 30
HIGH_CPU_ALARM, LOW_CPU_ALARM = "NOX-API-High-CPU", "NOX-API-Low-CPU"  # the seed's names, kept as the prefix
# Instance refresh: keep 90 % in service (AWS still replaces at least one instance at a time, so a
# group of 3 dips to 2). No auto rollback: AWS rolls back to the group's configuration from before
# StartInstanceRefresh, but the provider updates the group's launch template version first
# (UpdateAutoScalingGroup, then StartInstanceRefresh), so a "rollback" would relaunch the new,
# failing version (hashicorp/terraform-provider-aws#34189). Rolling back is the release's job:
# the previous image on the other colour, or the previous config re-applied.
MIN_HEALTHY_PERCENTAGE = 90
AUTO_ROLLBACK = False


def capacity(settings: FleetSettings, release: ReleaseSettings, colour: str) -> dict[str, int]:
    """min/max/desired of a colour's group: the configured sizes when it serves, zero when idle.

    An idle colour keeps `max` so an operator can scale it by hand during a release; the next
    `pulumi up` sets its desired capacity back to 0 (an idle group does not ignore the field).
    """
    if colour in release.serving:
        return {"min_size": settings.min_size, "max_size": settings.max_size, "desired_capacity": settings.desired}
    return {"min_size": 0, "max_size": settings.max_size, "desired_capacity": 0}


def collector_config(*, colour: str, region: str, remote_write_url: str) -> str:
    """ADOT collector config: scrape the app's /metrics on this host (the seed's nox-api job, every
    10 s) and remote-write to the AMP workspace, signed with SigV4 by the instance role. `instance`
    is the EC2 instance id (written in at boot) instead of localhost:3000, which every host shares.
    """
    config = {
        "extensions": {"sigv4auth": {"region": region, "service": "aps"}},
        "receivers": {
            "prometheus": {
                "config": {
                    "scrape_configs": [
                        {
                            "job_name": COLLECTOR_JOB,
                            "scrape_interval": "10s",
                            "metrics_path": "/metrics",
                            "static_configs": [{"targets": [f"localhost:{appspec.APP_PORT}"], "labels": {"colour": colour}}],
                            "relabel_configs": [{"target_label": "instance", "replacement": INSTANCE_ID_PLACEHOLDER}],
                        }
                    ]
                }
            }
        },
        "exporters": {"prometheusremotewrite": {"endpoint": remote_write_url, "auth": {"authenticator": "sigv4auth"}}},
        "service": {
            "extensions": ["sigv4auth"],
            "pipelines": {"metrics": {"receivers": ["prometheus"], "exporters": ["prometheusremotewrite"]}},
        },
    }
    return json.dumps(config, separators=(",", ":"))  # JSON is YAML: the collector reads it as its config file


def _collector_script(colour: str, region: str, remote_write_url: str) -> str:
    config = collector_config(colour=colour, region=region, remote_write_url=remote_write_url)
    return f"""
# Metrics: the AWS Distro for OpenTelemetry collector scrapes the app's /metrics on this host and
# remote-writes to Amazon Managed Service for Prometheus (the instance role may write to that
# workspace only). Host network: it reaches localhost:{appspec.APP_PORT} and IMDS (hop limit 1) like the host.
install -d -m 0755 {COLLECTOR_DIR}
token="$(curl -sS -X PUT http://169.254.169.254/latest/api/token -H 'X-aws-ec2-metadata-token-ttl-seconds: 300')"
instance_id="$(curl -sS -H "X-aws-ec2-metadata-token: $token" http://169.254.169.254/latest/meta-data/instance-id)"
cat > {COLLECTOR_DIR}/config.yaml.tmpl <<'COLLECTOR_CONFIG'
{config}
COLLECTOR_CONFIG
sed "s/{INSTANCE_ID_PLACEHOLDER}/$instance_id/" {COLLECTOR_DIR}/config.yaml.tmpl > {COLLECTOR_DIR}/config.yaml
chmod 0644 {COLLECTOR_DIR}/config.yaml
docker rm -f {COLLECTOR_NAME} >/dev/null 2>&1 || true
docker run -d --name {COLLECTOR_NAME} --restart unless-stopped --network host \\
  --read-only --cap-drop ALL --security-opt no-new-privileges \\
  -v {COLLECTOR_DIR}/config.yaml:/etc/otel/config.yaml:ro \\
  --log-driver journald \\
  {COLLECTOR_IMAGE} --config=/etc/otel/config.yaml
"""


def user_data(
    *,
    colour: str,
    image: str,
    db_pool_max: int,
    connection_env: Mapping[str, str],
    region: str = "",
    remote_write_url: str | None = None,
    log_groups: Mapping[str, str] | None = None,
) -> str:
    """Boot script: Docker, (with `log_groups`) the log shipper, then the colour's container with
    its settings, then (with a managed Prometheus workspace) the metrics collector. The app is the
    one container on Docker's json-file driver, the file the CloudWatch agent ships
    (components/logs.py); the collector logs to the journal.

    No secret exists to fetch: the app signs IAM tokens for PostgreSQL and Redis with the instance
    role (docs/app-contract.md), and every value here is an endpoint or a setting. User data is
    readable by anyone who may describe the instance, so a secret must never be rendered in.
    """
    env = {**appspec.BASE_ENV, "DB_POOL_MAX": str(db_pool_max), "DEPLOYMENT_COLOR": colour, **connection_env}
    env_flags = " \\\n  ".join(f"-e {shlex.quote(f'{k}={v}')}" for k, v in env.items())
    uid = appspec.RUN_AS_UID
    return (
        f"""#!/bin/bash
# NOX API, colour {colour}: install Docker, run the container.
set -euo pipefail
export AWS_RETRY_MODE=standard AWS_MAX_ATTEMPTS=10
IMAGE={shlex.quote(image)}

dnf install -y docker
systemctl enable --now docker
"""
        + (logs.agent_script(log_groups, region) if log_groups else "")
        + f"""

# ECR needs a login (the instance role may pull); other registries are public.
registry="${{IMAGE%%/*}}"
if [[ "$registry" == *.dkr.ecr.*.amazonaws.com ]]; then
  aws ecr get-login-password --region "$(cut -d. -f4 <<<"$registry")" | docker login --username AWS --password-stdin "$registry"
fi
docker pull "$IMAGE"
docker rm -f {CONTAINER_NAME} >/dev/null 2>&1 || true
# Seed Dockerfile: files world-readable, so any non-root uid runs it (see appspec.RUN_AS_UID);
# an init process for signals (dumb-init), production env.
# Host network: the app signs its IAM database and cache tokens with the instance role, and IMDS
# (hop limit 1) answers only on the host's own network stack. The instance role holds nothing
# else the app could misuse beyond what the host already runs with.
docker run -d --name {CONTAINER_NAME} --restart unless-stopped \\
  --network host \\
  --user {uid}:{uid} --init --read-only --tmpfs /tmp \\
  --cap-drop ALL --security-opt no-new-privileges \\
  {env_flags} \\
  --log-opt max-size=50m --log-opt max-file=5 \\
  "$IMAGE"
"""
        + (_collector_script(colour, region, remote_write_url) if remote_write_url else "")
    )


@dataclass(frozen=True)
class AppSecurityGroupArgs(Named, InVpc):
    vpc_cidr: str
    alb_security_group: aws.ec2.SecurityGroup
    # The component these resources were created under before the split (the Edge): the group's
    # alias names it, and the rules inherit the alias from the groups they belong to.
    formerly_under: pulumi.Resource


class AppSecurityGroup(pulumi.ComponentResource):
    """The API instances' security group: app ports from the ALB only; out only HTTPS and the data tier.

    Its own component (not part of `AppFleet`) because the database and cache admit it, and the
    fleet needs their endpoints: the order is ALB, this group, data tier, fleet. The two rules on
    each side of the ALB-to-app path are made here, where both groups exist (each names the other).
    """

    group: aws.ec2.SecurityGroup

    def __init__(self, name: str, args: AppSecurityGroupArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("nox:fleet:AppSecurityGroup", name, None, opts)
        name = FORMER_STEM  # children keep the names they had under Edge
        prefix, alb_sg = args.name_prefix, args.alb_security_group
        self.group = app_sg = aws.ec2.SecurityGroup(
            f"{name}-app-sg",
            vpc_id=args.vpc_id,
            description=f"{prefix} NOX API instances",
            tags={"Name": f"{prefix}-app"},
            opts=pulumi.ResourceOptions(parent=self, aliases=[pulumi.Alias(parent=args.formerly_under)]),
        )

        def rule(
            kind: type[aws.vpc.SecurityGroupIngressRule | aws.vpc.SecurityGroupEgressRule],
            rule_name: str,
            group: aws.ec2.SecurityGroup,
            port: int,
            description: str,
            **peer: pulumi.Input[str],
        ) -> None:
            kind(
                rule_name,
                security_group_id=group.id,
                ip_protocol="tcp",
                from_port=port,
                to_port=port,
                description=description,
                opts=pulumi.ResourceOptions(parent=group),
                **peer,
            )

        for port, what in ((appspec.APP_PORT, "app"), (appspec.WS_PORT, "WebSocket")):
            rule(
                aws.vpc.SecurityGroupEgressRule,
                f"{name}-alb-out-{port}",
                alb_sg,
                port,
                f"To the {what} port of the API instances",
                referenced_security_group_id=app_sg.id,
            )
            rule(
                aws.vpc.SecurityGroupIngressRule,
                f"{name}-app-in-{port}",
                app_sg,
                port,
                f"{what} port from the ALB only",
                referenced_security_group_id=alb_sg.id,
            )
        # Instances reach AWS APIs, ECR and package repositories over HTTPS (via NAT or the VPC
        # endpoints) and the data tier inside the VPC; nothing else.
        for port, cidr, what in (
            (443, "0.0.0.0/0", "HTTPS to AWS APIs, ECR and package repositories"),
            (POSTGRES_PORT, args.vpc_cidr, "PostgreSQL in the VPC"),
            (REDIS_PORT, args.vpc_cidr, "Redis in the VPC"),
        ):
            rule(aws.vpc.SecurityGroupEgressRule, f"{name}-app-out-{port}", app_sg, port, what, cidr_ipv4=cidr)
        self.register_outputs({"securityGroupId": app_sg.id})


@dataclass(frozen=True)
class FleetArgs(Protected):
    settings: FleetSettings
    release: ReleaseSettings
    private_subnet_ids: list[pulumi.Output[str]]
    app_security_group_id: pulumi.Input[str]
    target_group_arns: dict[str, list[pulumi.Output[str]]]
    access: Any  # components.appaccess.AppAccess: env(), policy_json(), and `ready` to wait for
    db_pool_max: int
    region: str
    # Propagated to instances and volumes: the provider's default tags do not reach what an ASG launches.
    tags: Mapping[str, str] = field(default_factory=dict)
    # The stack's alert topic: the scaling alarms notify people too (alarm and OK), next to scaling.
    alarm_topic_arn: pulumi.Input[str] | None = None
    runbook_base_url: str = ""  # nox:runbookBaseUrl: the scaling alarms link their runbook page
    # components.prometheus.ManagedPrometheus (.remote_write_url, .remote_write_policy_json()), or None:
    # instances then run no metrics collector.
    prometheus: Any = None
    # components.logs.AppLogs with the asg sources (app, system), or None: instances ship no logs.
    logs: Any = None

    def __post_init__(self) -> None:
        missing = [c for c in self.release.deployed if c not in self.target_group_arns]
        if missing:
            raise ValueError(f"FleetArgs.target_group_arns has no target groups for colour(s) {missing}")
        if not self.private_subnet_ids:
            raise ValueError("FleetArgs.private_subnet_ids is empty: the fleet runs in the private subnets")


class AppFleet(pulumi.ComponentResource):
    """The API on EC2: per deployed colour a launch template and an ASG; scaling on serving colours."""

    role: aws.iam.Role
    instance_profile: aws.iam.InstanceProfile
    ebs_key: aws.kms.Key
    launch_templates: dict[str, aws.ec2.LaunchTemplate]
    groups: dict[str, aws.autoscaling.Group]
    scaling_policies: dict[str, dict[str, aws.autoscaling.Policy]]  # colour -> {"up": ..., "down": ...}
    alarms: dict[str, dict[str, aws.cloudwatch.MetricAlarm]]  # colour -> {"high": ..., "low": ...}

    def __init__(self, name: str, args: FleetArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("nox:fleet:AppFleet", name, None, opts)
        prefix = args.name_prefix
        invoke = pulumi.InvokeOutputOptions(parent=self)
        partition = aws.get_partition_output(opts=invoke).partition
        ami = aws.ssm.get_parameter_output(name=AMI_PARAMETER, opts=invoke).insecure_value

        self._instance_identity(name, args, partition)
        # A service-linked role of its own (AWSServiceRoleForAutoScaling_<prefix>) for these groups:
        # the EBS key's policy must name the role that launches instances, and the account's default
        # role may not exist yet in a fresh account (a key policy cannot name a missing principal).
        self.service_role = aws.iam.ServiceLinkedRole(
            f"{name}-autoscaling-role",
            aws_service_name="autoscaling.amazonaws.com",
            custom_suffix=prefix,
            description=f"{prefix} NOX API Auto Scaling groups (uses the fleet's EBS key)",
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.ebs_key = encryption_key(
            f"{prefix}-ebs",
            description=f"{prefix} NOX API instance volumes",
            parent=self,
            service_roles=[self.service_role.arn],
            protect=args.protect,
        )

        self.launch_templates, self.groups, self.scaling_policies, self.alarms = {}, {}, {}, {}
        serving = args.release.serving
        for colour in args.release.deployed:
            self.launch_templates[colour] = self._launch_template(name, args, colour, ami)
            self.groups[colour] = self._group(name, args, colour, colour in serving)
            if colour in serving:
                self._scaling(name, args, colour)

        self.register_outputs(
            {
                "groups": {c: g.name for c, g in self.groups.items()},
                "instanceRoleArn": self.role.arn,
            }
        )

    def _instance_identity(self, name: str, args: FleetArgs, partition: pulumi.Output[str]) -> None:
        self.role = aws.iam.Role(
            f"{name}-instance-role",
            description=f"{args.name_prefix} NOX API instances",
            assume_role_policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "ec2.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                }
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        role_child = pulumi.ResourceOptions(parent=self.role)
        for policy in MANAGED_POLICIES:
            aws.iam.RolePolicyAttachment(
                f"{name}-{policy}",
                role=self.role.name,
                policy_arn=pulumi.Output.concat("arn:", partition, ":iam::aws:policy/", policy),
                opts=role_child,
            )
        # IAM logins to the app's database user and cache user, nothing else (AppAccess owns the
        # policy's shape). The logical name is from when this policy read the app secret: kept, so
        # the URN does not change.
        aws.iam.RolePolicy(f"{name}-read-app-secret", role=self.role.id, policy=args.access.policy_json(), opts=role_child)
        if args.prometheus is not None:
            aws.iam.RolePolicy(
                f"{name}-prometheus-remote-write", role=self.role.id, policy=args.prometheus.remote_write_policy_json(), opts=role_child
            )
        self.instance_profile = aws.iam.InstanceProfile(f"{name}-instance-profile", role=self.role.name, opts=role_child)

    def _launch_template(self, name: str, args: FleetArgs, colour: str, ami: pulumi.Output[str]) -> aws.ec2.LaunchTemplate:
        prefix = args.name_prefix
        remote_write = args.prometheus.remote_write_url if args.prometheus is not None else None
        groups = {source: group.name for source, group in args.logs.groups.items()} if args.logs is not None else {}
        script = pulumi.Output.all(args.access.env(), remote_write, groups).apply(
            lambda a: user_data(
                colour=colour,
                image=args.release.image(colour),
                db_pool_max=args.db_pool_max,
                connection_env=a[0],
                region=args.region,
                remote_write_url=a[1],
                log_groups=a[2] or None,
            )
        )
        tags = {**args.tags, "Name": f"{prefix}-api-{colour}", "Colour": colour}
        return aws.ec2.LaunchTemplate(
            f"{name}-{colour}-lt",
            name=f"{prefix}-api-{colour}",
            description=f"{prefix} NOX API {colour}: {args.release.image(colour)}",
            image_id=ami,
            instance_type=args.settings.instance_type,
            iam_instance_profile={"arn": self.instance_profile.arn},
            # IMDSv2 only, one hop: the host's aws CLI gets credentials, containers (one more hop) do not.
            metadata_options={
                "http_endpoint": "enabled",
                "http_tokens": "required",
                "http_put_response_hop_limit": 1,
                "instance_metadata_tags": "disabled",
            },
            block_device_mappings=[
                {
                    "device_name": ROOT_DEVICE,
                    "ebs": {
                        "volume_type": "gp3",
                        "volume_size": ROOT_VOLUME_GIB,
                        "encrypted": "true",
                        "kms_key_id": self.ebs_key.arn,
                        "delete_on_termination": "true",
                    },
                }
            ],
            network_interfaces=[
                {
                    "device_index": 0,
                    "associate_public_ip_address": "false",
                    "security_groups": [args.app_security_group_id],
                    "delete_on_termination": "true",
                }
            ],
            monitoring={"enabled": True},  # 1-minute metrics: the CPU alarms see changes sooner
            user_data=script.apply(lambda s: base64.b64encode(s.encode()).decode()),
            update_default_version=True,
            tag_specifications=[{"resource_type": kind, "tags": tags} for kind in ("instance", "volume", "network-interface")],
            tags={"Name": f"{prefix}-api-{colour}", "Colour": colour},
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _group(self, name: str, args: FleetArgs, colour: str, serving: bool) -> aws.autoscaling.Group:
        prefix = args.name_prefix
        template = self.launch_templates[colour]
        tags = {**args.tags, "Name": f"{prefix}-api-{colour}", "Colour": colour}
        return aws.autoscaling.Group(
            f"{name}-{colour}",
            name=f"{prefix}-api-{colour}",
            **capacity(args.settings, args.release, colour),
            vpc_zone_identifiers=args.private_subnet_ids,
            target_group_arns=args.target_group_arns[colour],
            health_check_type=HEALTH_CHECK_TYPE,
            health_check_grace_period=HEALTH_CHECK_GRACE_SECONDS,
            default_cooldown=DEFAULT_COOLDOWN_SECONDS,
            # Only acts on Spot capacity; these groups are On-Demand, so it is inert until Spot is mixed in.
            capacity_rebalance=True,
            enabled_metrics=list(ENABLED_METRICS),
            metrics_granularity="1Minute",
            service_linked_role_arn=self.service_role.arn,
            # A pinned version (not $Latest): every template change is a new version, which starts
            # the instance refresh below (and the preview shows it).
            launch_template={"id": template.id, "version": template.latest_version.apply(str)},
            instance_refresh={
                "strategy": "Rolling",
                "preferences": {
                    "min_healthy_percentage": MIN_HEALTHY_PERCENTAGE,
                    "skip_matching": True,
                    "auto_rollback": AUTO_ROLLBACK,
                },
            },
            tags=[{"key": k, "value": v, "propagate_at_launch": True} for k, v in tags.items()],
            # A serving group's desired capacity belongs to its scaling policies once created; a
            # `pulumi up` must not reset it to the configured value in the middle of a busy hour.
            # An idle group has no policies, so it keeps the field and is held at zero. (An idle
            # group that starts serving is therefore raised by AWS to its new min size, not to
            # `desired`: UpdateAutoScalingGroup with a larger MinSize and no DesiredCapacity.)
            # depends_on the database role (and the cache user): the app logs in as them at boot;
            # launched earlier, instances would fail their health checks and be replaced until then.
            # And on the log groups: an agent that finds none creates its own, unencrypted, kept forever.
            opts=pulumi.ResourceOptions(
                parent=self,
                ignore_changes=["desired_capacity"] if serving else None,
                depends_on=[*args.access.ready, *(args.logs.groups.values() if args.logs is not None else ())],
            ),
        )

    def _scaling(self, name: str, args: FleetArgs, colour: str) -> None:
        prefix, group = args.name_prefix, self.groups[colour]
        child = pulumi.ResourceOptions(parent=group)
        policies = {
            direction: aws.autoscaling.Policy(
                f"{name}-{colour}-scale-{direction}",
                name=f"{prefix}-api-{colour}-scale-{direction}",
                autoscaling_group_name=group.name,
                policy_type="SimpleScaling",
                adjustment_type="ChangeInCapacity",
                scaling_adjustment=adjustment,
                cooldown=POLICY_COOLDOWN_SECONDS,
                opts=child,
            )
            for direction, adjustment in (("up", SCALE_UP_ADJUSTMENT), ("down", SCALE_DOWN_ADJUSTMENT))
        }
        alarms = {}
        notify = [args.alarm_topic_arn] if args.alarm_topic_arn is not None else []
        for level, alarm, threshold, operator, direction in (
            ("high", HIGH_CPU_ALARM, HIGH_CPU_PERCENT, "GreaterThanThreshold", "up"),
            ("low", LOW_CPU_ALARM, LOW_CPU_PERCENT, "LessThanThreshold", "down"),
        ):
            symbol = ">" if operator == "GreaterThanThreshold" else "<"
            alarms[level] = aws.cloudwatch.MetricAlarm(
                f"{name}-{colour}-{level}-cpu",
                name=f"{alarm}-{prefix}-{colour}",
                alarm_description=(
                    f"Scale {direction} {prefix} {colour} when CPU {symbol} {threshold}% (seed {alarm}). "
                    f"Runbook: {runbooks.link(alarm, args.runbook_base_url)}"
                ),
                namespace=ALARM_NAMESPACE,
                metric_name=ALARM_METRIC,
                statistic=ALARM_STATISTIC,
                period=ALARM_PERIOD_SECONDS,
                evaluation_periods=ALARM_EVALUATION_PERIODS,
                threshold=threshold,
                comparison_operator=operator,
                dimensions={"AutoScalingGroupName": group.name},
                alarm_actions=[policies[direction].arn, *notify],
                ok_actions=notify,
                opts=child,
            )
        self.scaling_policies[colour], self.alarms[colour] = policies, alarms
