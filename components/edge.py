"""STUB (replaced by the edge issue): interface only."""
from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

import pulumi
import pulumi_aws as aws

from settings import EdgeSettings, ReleaseSettings


@dataclass(frozen=True)
class EdgeArgs:
    settings: EdgeSettings
    release: ReleaseSettings
    platform: str  # asg: this component builds the ALB; eks: the LB controller does, from the Ingress
    name_prefix: str
    protect: bool
    vpc_id: pulumi.Input[str]
    vpc_cidr: str
    public_subnet_ids: list[pulumi.Output[str]]
    log_key: aws.kms.Key
    log_retention_days: int


class Edge(pulumi.ComponentResource):
    def __init__(self, name: str, args: EdgeArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("nox:edge:Edge", name, None, opts)
        stub = pulumi.Output.from_input("stub")
        self.certificate_arn = stub
        self.web_acl = SimpleNamespace(arn=stub)
        self.access_log_bucket = SimpleNamespace(bucket=stub)
        self.app_security_group = aws.ec2.SecurityGroup(f"{name}-app-sg", vpc_id=args.vpc_id, description="app",
                                                        opts=pulumi.ResourceOptions(parent=self))
        self.load_balancer = SimpleNamespace(dns_name=stub)
        self.target_group_arns = {"blue": [stub], "green": [stub]}
        self.register_outputs({})
