"""Security groups shared by the data stores."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_aws as aws


def app_only_security_group(
    name: str,
    *,
    service: str,
    port: int,
    physical_name: str,
    vpc_id: pulumi.Input[str],
    sources: Sequence[pulumi.Input[str]],
    parent: pulumi.Resource,
) -> aws.ec2.SecurityGroup:
    """A group admitting `port` only from the app's security groups, one described rule per source.

    No egress rules: a data store answers connections, it never opens one.
    """
    group = aws.ec2.SecurityGroup(
        f"{name}-sg",
        vpc_id=vpc_id,
        description=f"{physical_name} {service}: {port} from the app only",
        tags={"Name": physical_name},
        opts=pulumi.ResourceOptions(parent=parent),
    )
    for i, source in enumerate(sources):
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-from-app-{i}",
            security_group_id=group.id,
            referenced_security_group_id=source,
            ip_protocol="tcp",
            from_port=port,
            to_port=port,
            description=f"{service} from app security group {i}",
            opts=pulumi.ResourceOptions(parent=group),
        )
    return group
