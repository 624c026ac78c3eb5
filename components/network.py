"""Network: VPC, three subnet tiers per AZ, NAT, flow logs, endpoints, a rule-less default SG."""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from settings import NetworkSettings

from .base import Protected
from .kms import encryption_key

TIERS = ("public", "private", "data")
MAX_AZS = 4
# Interface endpoints keep image pulls, SSM sessions, secret reads, logs and IRSA token
# exchange off the NAT gateways (cheaper, and no internet path for them).
INTERFACE_ENDPOINTS = ("ecr.api", "ecr.dkr", "ssm", "ssmmessages", "ec2messages", "secretsmanager", "logs", "sts")


def subnet_plan(vpc_cidr: str, az_count: int) -> dict[str, list[str]]:
    """CIDRs per tier, one per AZ, at fixed slots so that adding an AZ never renumbers a subnet.

    The VPC is cut into eighths: private (app, pods on EKS) subnets take a whole eighth each
    (slots 0-3, half the VPC); data and public subnets take 1/32 each from the fifth eighth
    (data) and the sixth (public). The last quarter stays free for growth.
    """
    if not 1 <= az_count <= MAX_AZS:
        raise ValueError(f"az_count must be 1..{MAX_AZS}, got {az_count}")
    vpc = ipaddress.IPv4Network(vpc_cidr)  # settings/schema.py admits IPv4 only
    eighths = list(vpc.subnets(prefixlen_diff=3))
    small = list(vpc.subnets(prefixlen_diff=5))  # 32 slots; slots 16-19 data, 20-23 public
    plan = {
        "private": [str(eighths[i]) for i in range(az_count)],
        "data": [str(small[16 + i]) for i in range(az_count)],
        "public": [str(small[20 + i]) for i in range(az_count)],
    }
    for cidrs in plan.values():
        assert all(ipaddress.IPv4Network(c).subnet_of(vpc) for c in cidrs)
    return plan


@dataclass(frozen=True)
class NetworkArgs(Protected):
    settings: NetworkSettings


class Network(pulumi.ComponentResource):
    """The VPC every other component lives in."""

    vpc: aws.ec2.Vpc
    public_subnet_ids: list[pulumi.Output[str]]
    private_subnet_ids: list[pulumi.Output[str]]
    data_subnet_ids: list[pulumi.Output[str]]
    private_route_table_ids: list[pulumi.Output[str]]
    log_key: aws.kms.Key

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("nox:network:Network", name, None, opts)
        s = args.settings
        child = pulumi.ResourceOptions(parent=self)
        region = aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=self)).region
        azs = aws.get_availability_zones_output(
            state="available",
            filters=[{"name": "opt-in-status", "values": ["opt-in-not-required"]}],
            opts=pulumi.InvokeOutputOptions(parent=self),
        ).names
        plan = subnet_plan(s.cidr, s.az_count)

        self.vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=s.cidr,
            enable_dns_support=True,
            enable_dns_hostnames=True,
            tags={"Name": args.name_prefix},
            opts=child,
        )
        vpc_child = pulumi.ResourceOptions(parent=self.vpc)
        # Adopting the default security group with no rules leaves nothing that could use it open.
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg", vpc_id=self.vpc.id, tags={"Name": f"{args.name_prefix}-default-unused"}, opts=vpc_child
        )
        igw = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=self.vpc.id, tags={"Name": args.name_prefix}, opts=vpc_child)

        subnets: dict[str, list[aws.ec2.Subnet]] = {t: [] for t in TIERS}
        # Subnet discovery tags for the AWS Load Balancer Controller (EKS path).
        # Private subnets: also where Karpenter launches the app's nodes (EC2NodeClass subnetSelectorTerms;
        # the value is the cluster's name, components/eks/karpenter.py DISCOVERY_TAG).
        role_tags = {
            "public": {"kubernetes.io/role/elb": "1"},
            "private": {"kubernetes.io/role/internal-elb": "1", "karpenter.sh/discovery": args.name_prefix},
            "data": {},
        }
        for tier in TIERS:
            for i, cidr in enumerate(plan[tier]):
                subnets[tier].append(
                    aws.ec2.Subnet(
                        f"{name}-{tier}-{i}",
                        vpc_id=self.vpc.id,
                        cidr_block=cidr,
                        availability_zone=azs[i],
                        map_public_ip_on_launch=False,  # nothing gets a public IP implicitly
                        tags={"Name": f"{args.name_prefix}-{tier}-{i}", "Tier": tier, **role_tags[tier]},
                        opts=vpc_child,
                    )
                )

        public_rt = aws.ec2.RouteTable(
            f"{name}-public-rt",
            vpc_id=self.vpc.id,
            routes=[{"cidr_block": "0.0.0.0/0", "gateway_id": igw.id}],
            tags={"Name": f"{args.name_prefix}-public"},
            opts=vpc_child,
        )
        for i, subnet in enumerate(subnets["public"]):
            aws.ec2.RouteTableAssociation(f"{name}-public-rta-{i}", subnet_id=subnet.id, route_table_id=public_rt.id, opts=vpc_child)

        nat_count = s.az_count if s.nat_per_az else 1
        nats = []
        for i in range(nat_count):
            eip = aws.ec2.Eip(f"{name}-nat-eip-{i}", domain="vpc", tags={"Name": f"{args.name_prefix}-nat-{i}"}, opts=vpc_child)
            nats.append(
                aws.ec2.NatGateway(
                    f"{name}-nat-{i}",
                    allocation_id=eip.id,
                    subnet_id=subnets["public"][i].id,
                    tags={"Name": f"{args.name_prefix}-nat-{i}"},
                    opts=pulumi.ResourceOptions(parent=self.vpc, depends_on=[igw]),
                )
            )

        self.private_route_table_ids = []
        for i, subnet in enumerate(subnets["private"]):
            rt = aws.ec2.RouteTable(
                f"{name}-private-rt-{i}",
                vpc_id=self.vpc.id,
                routes=[{"cidr_block": "0.0.0.0/0", "nat_gateway_id": nats[i % nat_count].id}],
                tags={"Name": f"{args.name_prefix}-private-{i}"},
                opts=vpc_child,
            )
            aws.ec2.RouteTableAssociation(f"{name}-private-rta-{i}", subnet_id=subnet.id, route_table_id=rt.id, opts=vpc_child)
            self.private_route_table_ids.append(rt.id)

        # Data subnets: the local route only. RDS and ElastiCache never reach the internet.
        data_rt = aws.ec2.RouteTable(f"{name}-data-rt", vpc_id=self.vpc.id, tags={"Name": f"{args.name_prefix}-data"}, opts=vpc_child)
        for i, subnet in enumerate(subnets["data"]):
            aws.ec2.RouteTableAssociation(f"{name}-data-rta-{i}", subnet_id=subnet.id, route_table_id=data_rt.id, opts=vpc_child)

        self.log_key = encryption_key(
            f"{args.name_prefix}-logs",
            description=f"{args.name_prefix} CloudWatch log groups",
            parent=self,
            logs_service=True,
            protect=args.protect,
        )
        self._flow_logs(name, args, s)
        self._endpoints(name, args, s, region, [subnet.id for subnet in subnets["private"]])

        self.public_subnet_ids = [x.id for x in subnets["public"]]
        self.private_subnet_ids = [x.id for x in subnets["private"]]
        self.data_subnet_ids = [x.id for x in subnets["data"]]
        self.register_outputs(
            {
                "vpcId": self.vpc.id,
                "publicSubnetIds": self.public_subnet_ids,
                "privateSubnetIds": self.private_subnet_ids,
                "dataSubnetIds": self.data_subnet_ids,
            }
        )

    def _flow_logs(self, name: str, args: NetworkArgs, s: NetworkSettings) -> None:
        child = pulumi.ResourceOptions(parent=self)
        group = aws.cloudwatch.LogGroup(
            f"{name}-flow-logs",
            name=f"/nox/{args.name_prefix}/vpc-flow-logs",
            retention_in_days=s.log_retention_days,
            kms_key_id=self.log_key.arn,
            opts=child,
        )
        invoke = pulumi.InvokeOutputOptions(parent=self)
        account = aws.get_caller_identity_output(opts=invoke).account_id
        region = aws.get_region_output(opts=invoke).region
        partition = aws.get_partition_output(opts=invoke).partition
        # Confused-deputy guard (AWS's flow-logs role example): only flow logs of this account
        # and region may assume the role.
        role = aws.iam.Role(
            f"{name}-flow-logs-role",
            assume_role_policy=pulumi.Output.all(account, region, partition).apply(
                lambda a: json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
                                "Action": "sts:AssumeRole",
                                "Condition": {
                                    "StringEquals": {"aws:SourceAccount": a[0]},
                                    "ArnLike": {"aws:SourceArn": f"arn:{a[2]}:ec2:{a[1]}:{a[0]}:vpc-flow-log/*"},
                                },
                            }
                        ],
                    }
                )
            ),
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-flow-logs-policy",
            role=role.id,
            policy=group.arn.apply(
                lambda arn: json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                                "Resource": [arn, f"{arn}:*"],
                            }
                        ],
                    }
                )
            ),
            opts=pulumi.ResourceOptions(parent=role),
        )
        aws.ec2.FlowLog(
            f"{name}-flow-log",
            vpc_id=self.vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=60,
            opts=child,
        )

    def _endpoints(
        self, name: str, args: NetworkArgs, s: NetworkSettings, region: pulumi.Output[str], private_subnet_ids: list[pulumi.Output[str]]
    ) -> None:
        child = pulumi.ResourceOptions(parent=self.vpc)
        aws.ec2.VpcEndpoint(
            f"{name}-s3-endpoint",
            vpc_id=self.vpc.id,
            vpc_endpoint_type="Gateway",
            service_name=region.apply(lambda r: f"com.amazonaws.{r}.s3"),
            route_table_ids=self.private_route_table_ids,
            opts=child,
        )
        if not s.interface_endpoints:
            return
        sg = aws.ec2.SecurityGroup(
            f"{name}-endpoints-sg",
            vpc_id=self.vpc.id,
            description="VPC interface endpoints: HTTPS from inside the VPC",
            ingress=[{"protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_blocks": [s.cidr], "description": "HTTPS from the VPC"}],
            tags={"Name": f"{args.name_prefix}-endpoints"},
            opts=child,
        )
        for service in INTERFACE_ENDPOINTS:
            aws.ec2.VpcEndpoint(
                f"{name}-{service.replace('.', '-')}-endpoint",
                vpc_id=self.vpc.id,
                vpc_endpoint_type="Interface",
                service_name=pulumi.Output.concat("com.amazonaws.", region, ".", service),
                private_dns_enabled=True,
                subnet_ids=private_subnet_ids,
                security_group_ids=[sg.id],
                opts=child,
            )
