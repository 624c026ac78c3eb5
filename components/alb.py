"""The Application Load Balancer of platform `asg`: its security group, the HTTP and HTTPS
listeners, the blue/green target groups, the release's weighted forward and canary header rules,
and the alias record of `nox:domain`.

The seed's nginx duties it takes over (nginx-canary.conf, ssl-config.conf): TLS termination and the
security headers (HTTPS listener: `ssl_policy`, response-header attributes from
`appspec.response_header_attributes`); `upstream ... weight=` and the `X-Canary-User` header
(a weighted forward between the colours plus a header rule, the one traffic mechanism of releases).
The certificate, WAF web ACL and access-log bucket it uses are the shared `Edge`'s: on platform
`eks` the AWS Load Balancer Controller builds the ALB from the Ingress instead, with the same three.

These resources were created as children of `Edge` before it was split; each direct child carries
an alias to that parent (its children inherit it), so existing stacks keep every resource.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from settings import COLOURS, EdgeSettings, ReleaseSettings

from . import appspec
from .base import InVpc, Named
from .edge import ACCESS_LOG_PREFIX, FORMER_STEM, Edge

# The seed's Ingress routes `/ws` (Prefix) to the WebSocket service: the path itself and below it.
WS_PATHS = ("/ws", "/ws/*")
# Listener rule priorities: the canary header first (WebSocket before app), then WebSockets.
CANARY_WS_PRIORITY, CANARY_PRIORITY, WS_PRIORITY = 10, 20, 30


def weighted_forward(target_group_arns: Mapping[str, pulumi.Input[str]], weights: Mapping[str, int]) -> dict[str, Any]:
    """A forward action splitting requests between the colours by weight (both listed, 0 allowed).

    Group stickiness is off: each request is weighted on its own (WebSocket connections stay on the
    target they opened on); a user who must see the candidate sends `X-Canary-User: true`.
    """
    return {
        "type": "forward",
        "forward": {
            "target_groups": [{"arn": target_group_arns[c], "weight": weights[c]} for c in COLOURS],
            "stickiness": {"enabled": False, "duration": 1},  # duration is required by the API even when off
        },
    }


def listener_header_arguments(cors_allow_origin: str) -> dict[str, str | bool]:
    """`appspec.response_header_attributes` as `aws.lb.Listener` keyword arguments.

    `routing.http.response.x.header_value` is the argument `routing_http_response_x_header_value`;
    an attribute the SDK has no argument for is an error here rather than a silently dropped header.
    """
    accepted = inspect.signature(aws.lb.ListenerArgs.__init__).parameters
    arguments: dict[str, str | bool] = {}
    for attribute, value in appspec.response_header_attributes(cors_allow_origin).items():
        argument = attribute.replace(".", "_")
        if argument not in accepted:
            raise ValueError(f"listener attribute {attribute!r} has no aws.lb.Listener argument {argument!r}")
        arguments[argument] = (value == "true") if argument.endswith("_enabled") else value
    return arguments


@dataclass(frozen=True)
class AlbArgs(Named, InVpc):
    settings: EdgeSettings
    release: ReleaseSettings
    edge: Edge  # certificate, WAF, access-log bucket; and the former parent the aliases name
    public_subnet_ids: list[pulumi.Output[str]]
    # The ALB's own protection (`Settings.platform_protect`): lifted by `nox:teardown: platform`
    # so a platform switch can delete it while the shared edge resources stay protected.
    protect: bool

    def __post_init__(self) -> None:
        if not self.public_subnet_ids:
            raise ValueError("AlbArgs.public_subnet_ids is empty: the internet-facing ALB needs public subnets")


class Alb(pulumi.ComponentResource):
    """The internet-facing ALB of platform asg, its listeners and the blue/green target groups."""

    security_group: aws.ec2.SecurityGroup
    load_balancer: aws.lb.LoadBalancer
    http_listener: aws.lb.Listener
    https_listener: aws.lb.Listener
    target_groups: dict[str, dict[str, aws.lb.TargetGroup]]  # colour -> {"app": tg, "ws": tg}
    target_group_arns: dict[str, list[pulumi.Output[str]]]  # colour -> [app tg arn, websocket tg arn]

    def __init__(self, name: str, args: AlbArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("nox:alb:Alb", name, None, opts)
        name = FORMER_STEM  # children keep the names they had under Edge
        # Direct children: parent this component, formerly the Edge.
        self._child = pulumi.ResourceOptions(parent=self, aliases=[pulumi.Alias(parent=args.edge)])
        self.security_group = self._security_group(name, args)
        self.load_balancer = self._load_balancer(name, args)
        self.target_groups = {
            colour: {kind: self._target_group(f"{name}-{colour}-{kind}", args, colour, port) for kind, port in _TARGET_PORTS.items()}
            for colour in COLOURS
        }
        self.target_group_arns = {c: [tgs["app"].arn, tgs["ws"].arn] for c, tgs in self.target_groups.items()}
        self._listeners(name, args)
        domain_record(
            ASG_DNS_RECORD,
            args.settings,
            self.load_balancer.dns_name,
            self.load_balancer.zone_id,
            pulumi.ResourceOptions(parent=self.load_balancer, aliases=[eks_record_urn()]),
        )
        self.register_outputs({"loadBalancerDnsName": self.load_balancer.dns_name, "targetGroupArns": self.target_group_arns})

    def _security_group(self, name: str, args: AlbArgs) -> aws.ec2.SecurityGroup:
        """HTTP and HTTPS from the internet; its egress to the app ports is added by the app's group
        (`fleet.AppSecurityGroup`), which needs this group's id as this one needs its id."""
        group = aws.ec2.SecurityGroup(
            f"{name}-alb-sg",
            vpc_id=args.vpc_id,
            description=f"{args.name_prefix} ALB: HTTP/HTTPS in, app ports out",
            tags={"Name": f"{args.name_prefix}-alb"},
            opts=self._child,
        )
        for port in (80, 443):
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-alb-in-{port}",
                security_group_id=group.id,
                ip_protocol="tcp",
                from_port=port,
                to_port=port,
                cidr_ipv4="0.0.0.0/0",
                description=f"{'HTTPS' if port == 443 else 'HTTP (redirected to HTTPS)'} from the internet",
                opts=pulumi.ResourceOptions(parent=group),
            )
        return group

    def _load_balancer(self, name: str, args: AlbArgs) -> aws.lb.LoadBalancer:
        prefix, edge = args.name_prefix, args.edge
        # The name stays nox-<stack>-api (a new name would replace the ALB); the EKS Ingress's ALB
        # has its own name (workload.py), so a platform switch does not collide on it.
        lb = aws.lb.LoadBalancer(
            f"{name}-alb",
            name=f"{prefix}-api"[:32],
            load_balancer_type="application",
            internal=False,
            ip_address_type="ipv4",
            security_groups=[self.security_group.id],
            subnets=args.public_subnet_ids,
            drop_invalid_header_fields=True,
            desync_mitigation_mode="defensive",
            enable_deletion_protection=args.protect,
            enable_http2=True,
            idle_timeout=args.settings.idle_timeout,
            access_logs={"bucket": edge.access_log_bucket.bucket, "prefix": ACCESS_LOG_PREFIX, "enabled": True},
            tags={"Name": f"{prefix}-api"},
            # The ALB checks it can write its access logs when logging is switched on.
            opts=pulumi.ResourceOptions.merge(self._child, pulumi.ResourceOptions(protect=args.protect, depends_on=edge.access_logs_ready)),
        )
        aws.wafv2.WebAclAssociation(
            f"{name}-waf-association", resource_arn=lb.arn, web_acl_arn=edge.web_acl.arn, opts=pulumi.ResourceOptions(parent=lb)
        )
        return lb

    def _listeners(self, name: str, args: AlbArgs) -> None:
        lb, release = self.load_balancer, args.release
        app_arns = {c: tgs["app"].arn for c, tgs in self.target_groups.items()}
        ws_arns = {c: tgs["ws"].arn for c, tgs in self.target_groups.items()}
        lb_child = pulumi.ResourceOptions(parent=lb)
        self.http_listener = aws.lb.Listener(
            f"{name}-http",
            load_balancer_arn=lb.arn,
            port=80,
            protocol="HTTP",
            default_actions=[{"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443", "status_code": "HTTP_301"}}],
            opts=lb_child,
        )
        # Default policy ELBSecurityPolicy-TLS13-1-2-Res-2021-06: TLS 1.3, and TLS 1.2 with ECDHE
        # AES-GCM only, i.e. the seed's ssl_ciphers minus its two CHACHA20-POLY1305 suites, which
        # ALB does not offer for TLS 1.2 (and ALB has no custom policies). Session cache, tickets
        # and OCSP stapling are ALB's own.
        self.https_listener = https = aws.lb.Listener(
            f"{name}-https",
            load_balancer_arn=lb.arn,
            port=443,
            protocol="HTTPS",
            ssl_policy=args.settings.ssl_policy,
            certificate_arn=args.edge.certificate_arn,
            default_actions=[weighted_forward(app_arns, release.weights)],
            **listener_header_arguments(args.settings.cors_allow_origin),
            opts=lb_child,
        )

        def rule(suffix: str, priority: int, conditions: list[dict[str, Any]], action: dict[str, Any]) -> None:
            aws.lb.ListenerRule(
                f"{name}-{suffix}",
                listener_arn=https.arn,
                priority=priority,
                conditions=conditions,
                actions=[action],
                opts=pulumi.ResourceOptions(parent=https),
            )

        websocket = {"path_pattern": {"values": list(WS_PATHS)}}
        if release.candidate in release.serving:
            canary = {"http_header": {"http_header_name": appspec.CANARY_HEADER, "values": [appspec.CANARY_HEADER_VALUE]}}
            rule("canary-ws", CANARY_WS_PRIORITY, [canary, websocket], {"type": "forward", "target_group_arn": ws_arns[release.candidate]})
            rule("canary", CANARY_PRIORITY, [canary], {"type": "forward", "target_group_arn": app_arns[release.candidate]})
        rule("websocket", WS_PRIORITY, [websocket], weighted_forward(ws_arns, release.weights))

    def _target_group(self, resource_name: str, args: AlbArgs, colour: str, port: int) -> aws.lb.TargetGroup:
        # Auto-named (<= 32 characters): a replacement can then be created before the old one goes.
        # Both groups check the app's /health on the app port: the seed's health check, and the
        # WebSocket server lives in the same container.
        return aws.lb.TargetGroup(
            resource_name,
            port=port,
            protocol="HTTP",
            target_type="instance",
            vpc_id=args.vpc_id,
            deregistration_delay=appspec.DEREGISTRATION_DELAY_SECONDS,
            health_check={
                "enabled": True,
                "protocol": "HTTP",
                "path": appspec.HEALTH_PATH,
                "port": str(appspec.APP_PORT),
                "interval": appspec.HEALTH_INTERVAL_SECONDS,
                "timeout": appspec.HEALTH_TIMEOUT_SECONDS,
                "healthy_threshold": appspec.HEALTHY_THRESHOLD,
                "unhealthy_threshold": appspec.UNHEALTHY_THRESHOLD,
                "matcher": "200",
            },
            tags={"Name": f"{args.name_prefix}-{colour}-{'app' if port == appspec.APP_PORT else 'ws'}", "Colour": colour},
            opts=self._child,
        )


_TARGET_PORTS = {"app": appspec.APP_PORT, "ws": appspec.WS_PORT}

# `nox:domain`'s alias record, one per platform: asg's under its ALB, eks's under the Workload
# (the controller's ALB, looked up: alarms.controller_load_balancer).
ASG_DNS_RECORD = f"{FORMER_STEM}-dns"
EKS_DNS_RECORD = f"{FORMER_STEM}-dns-eks"
_RECORD = "aws:route53/record:Record"


def _urn(chain: str, name: str) -> str:
    return f"urn:pulumi:{pulumi.get_stack()}::{pulumi.get_project()}::{chain}${_RECORD}::{name}"


def asg_record_urns() -> list[str]:
    """The asg record's URNs: under the Alb's load balancer, and under the Edge's from before the split."""
    return [_urn(f"{parent}$aws:lb/loadBalancer:LoadBalancer", ASG_DNS_RECORD) for parent in ("nox:alb:Alb", "nox:edge:Edge")]


def eks_record_urn() -> str:
    return _urn("nox:eks:Workload", EKS_DNS_RECORD)


def domain_record(
    resource_name: str, settings: EdgeSettings, dns_name: pulumi.Input[str], zone_id: pulumi.Input[str], opts: pulumi.ResourceOptions
) -> aws.route53.Record | None:
    """The A alias record of `nox:domain` to a platform's ALB, when Pulumi manages the zone.

    One owner across a platform switch: each platform's record aliases the other's URN, so Pulumi
    sees one record whose alias target changes (an in-place UPSERT, DNS moves to the new ALB before
    the old one is deleted). Two records would collide: the new one is created before the old one
    is deleted, and Route 53 refuses to CREATE a name and type that exist.
    """
    if not settings.hosted_zone_id:
        return None
    return aws.route53.Record(
        resource_name,
        zone_id=settings.hosted_zone_id,
        name=settings.domain,
        type="A",
        aliases=[{"name": dns_name, "zone_id": zone_id, "evaluate_target_health": True}],
        opts=opts,
    )
