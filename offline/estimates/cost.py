"""Monthly cost of a plan document, per resource and in total, as a range (autoscaled capacity at min and max).

Each priced type has a function that turns the resource's inputs into usages: (price key, quantity
at the minimum, quantity at the maximum, note). The price comes from the region's table
(prices.py); a key the table lacks makes the resource *unpriced*, listed with the reason. Types
with no charge of their own are in FREE with the reason. A type in neither is listed as unpriced
too, never silently zero (a test keeps every type of the shipped plans in one or the other).

Usage that the plan cannot know (traffic, log volume) comes from the named assumptions below,
each with its reason; they are reported with the estimate so a reader can scale them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import prices
from .graph import PlanView

HOURS_PER_MONTH = 730  # the AWS Pricing Calculator's month (8,760 h / 12)

# --- assumptions: usage the plan cannot know (per stack unless said otherwise) ---------------
# Internet egress of the private subnets through NAT: image pulls not served by the ECR endpoints,
# OS updates, the OAuth provider and other external APIs. A small API's order of magnitude.
NAT_DATA_GB = 100.0
# Average LCUs of an ALB: one LCU covers 3,000 active connections per minute, 25 new connections
# per second and 1 GB per hour, more than a modest WebSocket API keeps busy around the clock.
ALB_AVERAGE_LCU = 1.0
# Requests the WAF inspects per month: about 4 requests per second on average.
WAF_REQUESTS_MILLIONS = 10.0
# CloudWatch Logs ingestion per log group per month, by what writes to it.
FLOW_LOG_GB = 20.0  # VPC flow logs, ALL traffic at 1-minute aggregation: the largest writer
WAF_LOG_GB = 5.0  # one JSON record per inspected request (10 M requests x ~0.5 KB)
EKS_CONTROL_PLANE_LOG_GB = 10.0  # all five control plane log types; the audit log dominates
APP_LOG_GB = 5.0  # the app's JSON lines: about one ~0.5 KB line per request (10 M requests)
OTHER_LOG_GB = 1.0  # RDS postgresql/upgrade logs, Redis slow/engine logs, host logs: low volume
# CloudWatch bills archived logs compressed; about 15% of the ingested size.
LOG_ARCHIVE_RATIO = 0.15
# Traffic between AZs per month (ALB to targets in other AZs, app to the database primary and
# cache in another AZ, Multi-AZ replication is free for RDS). Billed $0.01/GB on each side.
CROSS_AZ_GB = 100.0
# Data through each interface endpoint per month (ECR layers are the bulk, on the ECR dkr/S3 path).
INTERFACE_ENDPOINT_GB = 5.0
# ALB access logs kept in S3: about 1 GB per month of the expiry window (~10 M requests).
ACCESS_LOG_GB_PER_MONTH = 1.0
# Log search (nox:logSearch): documents Firehose fails to index and keeps in S3 (a mapping
# conflict, a full domain); normally none.
SEARCH_FAILED_GB = 0.1
# Amazon Managed Prometheus: active series and scrape interval of a small cluster and its app.
AMP_ACTIVE_SERIES = 10_000
AMP_SCRAPE_INTERVAL_S = 30
AMP_BYTES_PER_SAMPLE = 2  # compressed, as AMP bills storage
AMP_RETENTION_MONTHS = 5  # AMP's default retention is 150 days
# Container Insights (the amazon-cloudwatch-observability add-on): performance log events per node.
CONTAINER_INSIGHTS_GB_PER_NODE = 1.0
# SNS publishes and SQS requests per month: alarm notifications and small work queues.
SNS_PUBLISHES_MILLIONS = 0.01
SQS_REQUESTS_MILLIONS = 1.0
# Node-based ElastiCache for Valkey is priced 20% below Redis OSS (AWS, October 2024 Valkey launch).
VALKEY_NODE_FACTOR = 0.8

ASSUMPTIONS = {
    name: value
    for name, value in dict(globals()).items()
    if name.isupper() and isinstance(value, int | float) and name not in {"HOURS_PER_MONTH"}
}

# --- types with no charge of their own, and why ---------------------------------------------
_CONFIG = "configuration only: no charge of its own"
FREE: dict[str, str] = {
    "aws:acm/certificate:Certificate": "public ACM certificates are free",
    "aws:acm/certificateValidation:CertificateValidation": "a wait for validation, nothing billed",
    "aws:autoscaling/policy:Policy": _CONFIG,
    "aws:amp/alertManagerDefinition:AlertManagerDefinition": _CONFIG + " (its SNS deliveries are billed on the topic)",
    # AMP bills rule evaluation as query samples processed ($0.10 per billion): four rules over a few
    # dozen series every minute stay far below a cent a month.
    "aws:amp/ruleGroupNamespace:RuleGroupNamespace": "rule evaluation is billed as AMP query samples: well under a cent",
    "aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration": "AWS Chatbot is free (the deliveries are billed on the topic)",
    "aws:elasticache/user:User": _CONFIG,
    "aws:elasticache/userGroup:UserGroup": _CONFIG,
    # The db-roles function runs once per deploy (seconds at 128-512 MB): inside the free tier.
    "aws:lambda/function:Function": "billed per invocation: it runs once per deploy, well under a cent",
    "aws:lambda/invocation:Invocation": "one invocation of the function per deploy: well under a cent",
    "aws:sns/topicPolicy:TopicPolicy": _CONFIG,
    "aws:sns/topicSubscription:TopicSubscription": "email and HTTPS deliveries are billed on the topic (SNS_PUBLISHES_MILLIONS)",
    "aws:backup/plan:Plan": "billed as the vault's stored backups",
    "aws:backup/selection:Selection": _CONFIG,
    "aws:backup/vaultLockConfiguration:VaultLockConfiguration": _CONFIG,
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": _CONFIG,
    "aws:ec2/flowLog:FlowLog": "billed as ingestion of its CloudWatch log group",
    "aws:cloudwatch/logMetricFilter:LogMetricFilter": "free; its metric is a custom metric (10 free per account), not counted",
    "aws:cloudwatch/logTransformer:LogTransformer": "log transformation has no charge of its own (the group's ingestion is billed)",
    "aws:cloudwatch/queryDefinition:QueryDefinition": "saved queries are free (running a query is billed per GB scanned)",
    "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": _CONFIG,
    "aws:cloudwatch/logStream:LogStream": "billed as ingestion of its log group",
    "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter": "free; what it delivers is billed on the Firehose stream",
    "aws:ec2/internetGateway:InternetGateway": "internet gateways are free (egress is billed as data transfer)",
    "aws:ec2/launchTemplate:LaunchTemplate": "billed as the instances of the group or node group using it",
    "aws:ec2/routeTable:RouteTable": _CONFIG,
    "aws:ec2/routeTableAssociation:RouteTableAssociation": _CONFIG,
    "aws:ec2/securityGroup:SecurityGroup": _CONFIG,
    "aws:ec2/subnet:Subnet": _CONFIG,
    "aws:eks/accessEntry:AccessEntry": _CONFIG,
    "aws:eks/accessPolicyAssociation:AccessPolicyAssociation": _CONFIG,
    "aws:eks/podIdentityAssociation:PodIdentityAssociation": _CONFIG,
    "aws:ec2/tag:Tag": _CONFIG,
    # EventBridge does not bill events AWS services publish (EventBridge pricing); the queue bills its requests.
    "aws:cloudwatch/eventRule:EventRule": "AWS service events on the default bus are free",
    "aws:cloudwatch/eventTarget:EventTarget": "billed as requests on the target queue (SQS_REQUESTS_MILLIONS)",
    "aws:sqs/queuePolicy:QueuePolicy": _CONFIG,
    "aws:elasticache/parameterGroup:ParameterGroup": _CONFIG,
    "aws:elasticache/subnetGroup:SubnetGroup": _CONFIG,
    "aws:iam/instanceProfile:InstanceProfile": "IAM is free",
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": "IAM is free",
    "aws:iam/policy:Policy": "IAM is free",
    "aws:iam/role:Role": "IAM is free",
    "aws:iam/rolePolicy:RolePolicy": "IAM is free",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": "IAM is free",
    "aws:iam/serviceLinkedRole:ServiceLinkedRole": "IAM is free",
    "aws:kms/alias:Alias": "aliases are free (the key is billed)",
    "aws:lb/listener:Listener": "billed in the load balancer's hours and LCUs",
    "aws:lb/listenerRule:ListenerRule": "billed in the load balancer's LCUs (rule evaluations)",
    "aws:lb/targetGroup:TargetGroup": _CONFIG,
    "aws:rds/parameterGroup:ParameterGroup": _CONFIG,
    "aws:rds/subnetGroup:SubnetGroup": _CONFIG,
    "aws:route53/record:Record": "records are free; the hosted zone is not managed here and alias queries to an ALB are free",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": _CONFIG,
    "aws:s3/bucketVersioning:BucketVersioning": _CONFIG,  # noncurrent versions are storage, priced on the bucket
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": _CONFIG,
    "aws:s3/bucketPolicy:BucketPolicy": _CONFIG,
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": _CONFIG,
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": "KMS requests: not modelled",
    "aws:secretsmanager/secretVersion:SecretVersion": "billed as the secret",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": _CONFIG,
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": _CONFIG,
    "aws:wafv2/webAclAssociation:WebAclAssociation": "billed as the web ACL",
    "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration": "billed as ingestion of its CloudWatch log group",
}
# Whole families: Kubernetes objects run on the nodes (billed as EC2), providers, generated
# values and our own components cost nothing themselves.
FREE_PREFIXES = {
    "kubernetes:": "a Kubernetes object: runs on the nodes, billed as their EC2 instances",
    "pulumi:providers:": "a Pulumi provider: no cloud resource",
    "random:": "generated locally: no cloud resource",
    "nox:": "a component: its children are billed",
}


@dataclass(frozen=True)
class Usage:
    key: str
    low: float  # quantity at the minimum
    high: float  # quantity at the maximum
    note: str = ""


Pricer = Callable[[dict[str, Any], PlanView], "list[Usage] | str"]  # a str: free, and why
PRICERS: dict[str, Pricer] = {}


def prices_type(*tokens: str) -> Callable[[Pricer], Pricer]:
    def register(fn: Pricer) -> Pricer:
        for token in tokens:
            PRICERS[token] = fn
        return fn

    return register


def hours(count_low: float, count_high: float | None = None) -> tuple[float, float]:
    return count_low * HOURS_PER_MONTH, (count_low if count_high is None else count_high) * HOURS_PER_MONTH


def _num(value: Any, default: float = 0.0) -> float:
    return default if value is None else float(value)


# --- compute ---------------------------------------------------------------------------------


def _gp3_gb(template: dict[str, Any] | None) -> float | None:
    """gp3 GiB per instance from a launch template's block devices (None: no template to read)."""
    if template is None:
        return None
    sizes = [m.get("ebs", {}) for m in template["inputs"].get("blockDeviceMappings", [])]
    return sum(_num(e.get("volumeSize")) for e in sizes if e.get("volumeType", "gp3") == "gp3")


def _instances(instance_type: str, low: int, high: int, disk_gb: float, note: str) -> list[Usage]:
    usages = [Usage(f"ec2.{instance_type}", *hours(low, high), note)]
    if disk_gb:
        usages.append(Usage("ebs.gp3", low * disk_gb, high * disk_gb, f"{disk_gb:g} GiB gp3 root volume per instance"))
    return usages


@prices_type("aws:autoscaling/group:Group")
def _asg(res: dict[str, Any], view: PlanView) -> list[Usage]:
    i = res["inputs"]
    templates = view.deps_of_type(res, "aws:ec2/launchTemplate:LaunchTemplate")
    template = templates[0] if templates else None
    instance_type = (template or {}).get("inputs", {}).get("instanceType", "unknown")
    low, high = int(_num(i.get("minSize"))), int(_num(i.get("maxSize")))
    note = f"min {low} .. max {high} instances (desired {int(_num(i.get('desiredCapacity'), low))})"
    return _instances(instance_type, low, high, _gp3_gb(template) or 0.0, note)


@prices_type("aws:eks/nodeGroup:NodeGroup")
def _node_group(res: dict[str, Any], view: PlanView) -> list[Usage]:
    i = res["inputs"]
    scaling = i.get("scalingConfig", {})
    low, high = int(_num(scaling.get("minSize"))), int(_num(scaling.get("maxSize")))
    templates = view.deps_of_type(res, "aws:ec2/launchTemplate:LaunchTemplate")
    template = templates[0] if templates else None
    # On-demand managed node groups launch the first listed type while it has capacity
    # (the "prioritized" allocation strategy); later types are fallbacks.
    types = i.get("instanceTypes") or [(template or {}).get("inputs", {}).get("instanceType", "unknown")]
    disk = _gp3_gb(template)
    disk = _num(i.get("diskSize"), 20.0) if disk is None else disk  # EKS's default disk is 20 GiB
    note = f"min {low} .. max {high} nodes (desired {int(_num(scaling.get('desiredSize'), low))}) of {types[0]}"
    return _instances(types[0], low, high, disk, note)


@prices_type("aws:eks/cluster:Cluster")
def _eks(res: dict[str, Any], view: PlanView) -> list[Usage]:
    support = (res["inputs"].get("upgradePolicy") or {}).get("supportType", "EXTENDED")  # EKS's default
    if support == "STANDARD":
        return [Usage("eks.standard", *hours(1), "standard support only: upgraded automatically at its end")]
    # Extended support is billed only once the version leaves standard support: a range.
    return [
        Usage("eks.standard", *hours(1, 0), "min: while the version is in standard support"),
        Usage("eks.extended", *hours(0, 1), "max: once it is in extended support (supportType EXTENDED)"),
    ]


# --- network ---------------------------------------------------------------------------------


@prices_type("aws:ec2/natGateway:NatGateway")
def _nat(res: dict[str, Any], view: PlanView) -> list[Usage]:
    share = NAT_DATA_GB / len(view.of_type(res["type"]))
    return [Usage("nat.hour", *hours(1)), Usage("nat.gb", share, share, f"NAT_DATA_GB {NAT_DATA_GB:g} shared by the stack's NAT gateways")]


@prices_type("aws:ec2/eip:Eip")
def _eip(res: dict[str, Any], view: PlanView) -> list[Usage]:
    return [Usage("ipv4.hour", *hours(1), "one public IPv4 address")]


def _alb(azs: int, internet_facing: bool) -> list[Usage]:
    usages = [Usage("alb.hour", *hours(1)), Usage("alb.lcu", *hours(ALB_AVERAGE_LCU), f"ALB_AVERAGE_LCU {ALB_AVERAGE_LCU:g}")]
    if internet_facing:
        usages.append(Usage("ipv4.hour", *hours(azs), f"one public IPv4 address per AZ ({azs})"))
    return usages


@prices_type("aws:lb/loadBalancer:LoadBalancer")
def _load_balancer(res: dict[str, Any], view: PlanView) -> list[Usage]:
    i = res["inputs"]
    if i.get("loadBalancerType", "application") != "application":
        return [Usage(f"elb.{i['loadBalancerType']}.hour", *hours(1))]  # no such key yet: unpriced, said so
    return _alb(len(i.get("subnets") or []) or view.az_count, not i.get("internal", False))


@prices_type("kubernetes:networking.k8s.io/v1:Ingress")
def _ingress(res: dict[str, Any], view: PlanView) -> list[Usage] | str:
    meta = res["inputs"].get("metadata", {})
    annotations = meta.get("annotations", {})
    if not any(k.startswith("alb.ingress.kubernetes.io/") for k in annotations):
        return "not an AWS Load Balancer Controller Ingress: no load balancer of its own"
    # The controller creates one ALB per Ingress (no group.name here) in the tagged public subnets.
    return _alb(view.az_count, annotations.get("alb.ingress.kubernetes.io/scheme") == "internet-facing")


@prices_type("aws:ec2/vpcEndpoint:VpcEndpoint")
def _endpoint(res: dict[str, Any], view: PlanView) -> list[Usage] | str:
    i = res["inputs"]
    if i.get("vpcEndpointType", "Gateway") != "Interface":
        return "gateway endpoints (S3, DynamoDB) are free"
    azs = len(i.get("subnetIds") or []) or view.az_count
    return [
        Usage("vpce.interface", *hours(azs), f"{azs} AZs"),
        Usage("vpce.gb", INTERFACE_ENDPOINT_GB, INTERFACE_ENDPOINT_GB, f"INTERFACE_ENDPOINT_GB {INTERFACE_ENDPOINT_GB:g}"),
    ]


@prices_type("aws:ec2/vpc:Vpc")
def _vpc(res: dict[str, Any], view: PlanView) -> list[Usage] | str:
    if view.az_count < 2:
        return "a single-AZ VPC has no cross-AZ traffic; the VPC itself is free"
    both_sides = 2 * CROSS_AZ_GB
    return [Usage("data.inter-az", both_sides, both_sides, f"CROSS_AZ_GB {CROSS_AZ_GB:g}, billed out and in")]


# --- data ------------------------------------------------------------------------------------


def _rds_source(res: dict[str, Any], view: PlanView) -> dict[str, Any]:
    """The primary a read replica copies its engine and storage from (itself when not a replica)."""
    source = res["inputs"].get("replicateSourceDb")
    for other in view.of_type(res["type"]):
        if source and other["inputs"].get("identifier") == source:
            return other
    return res


@prices_type("aws:rds/instance:Instance")
def _rds(res: dict[str, Any], view: PlanView) -> list[Usage]:
    i, source = res["inputs"], _rds_source(res, view)
    engine = source["inputs"].get("engine", "postgres")
    copies = 2 if i.get("multiAz") else 1
    storage = _num(i.get("allocatedStorage", source["inputs"].get("allocatedStorage"))) * copies
    what = "Multi-AZ: primary and standby" if copies == 2 else "Single-AZ"
    return [
        Usage(f"rds.{engine}.{i.get('instanceClass')}", *hours(copies), what),
        Usage(f"rds.{i.get('storageType', source['inputs'].get('storageType', 'gp2'))}", storage, storage, f"allocated storage x {copies}"),
    ]


@prices_type("aws:elasticache/replicationGroup:ReplicationGroup")
def _cache(res: dict[str, Any], view: PlanView) -> list[Usage]:
    i = res["inputs"]
    if i.get("numNodeGroups") is not None:
        shards, replicas = int(_num(i["numNodeGroups"])), int(_num(i.get("replicasPerNodeGroup")))
        nodes, note = shards * (1 + replicas), f"{shards} shard(s) x (1 primary + {replicas} replicas)"
    else:
        nodes = int(_num(i.get("numCacheClusters"), 1))
        note = f"{nodes} node(s)"
    factor = VALKEY_NODE_FACTOR if i.get("engine") == "valkey" else 1.0
    if factor != 1.0:
        note += f"; valkey at VALKEY_NODE_FACTOR {factor:g} of the Redis OSS rate"
    return [Usage(f"elasticache.{i.get('nodeType')}", *hours(nodes * factor), note)]


@prices_type("aws:backup/vault:Vault")
def _vault(res: dict[str, Any], view: PlanView) -> list[Usage]:
    # One full copy of every primary database (later snapshots are incremental).
    primaries = [r for r in view.of_type("aws:rds/instance:Instance") if not r["inputs"].get("replicateSourceDb")]
    gb = sum(_num(r["inputs"].get("allocatedStorage")) for r in primaries)
    return [Usage("backup.rds", gb, gb, "one full snapshot of each primary's allocated storage")]


@prices_type("aws:s3/bucket:Bucket")
def _bucket(res: dict[str, Any], view: PlanView) -> list[Usage]:
    if "-search-failed-" in (res["inputs"].get("bucketPrefix") or ""):  # components/logsearch.py
        return [Usage("s3.standard", SEARCH_FAILED_GB, SEARCH_FAILED_GB, f"SEARCH_FAILED_GB {SEARCH_FAILED_GB:g} of failed documents")]
    rules = [r for r in view.resources if r["type"] == "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"]
    days = [_num(rule.get("expiration", {}).get("days")) for lc in rules for rule in lc["inputs"].get("rules", [])]
    months = max(days, default=30.0) / 30
    gb = ACCESS_LOG_GB_PER_MONTH * months
    return [Usage("s3.standard", gb, gb, f"ACCESS_LOG_GB_PER_MONTH {ACCESS_LOG_GB_PER_MONTH:g} x {months:g} months kept")]


@prices_type("aws:opensearch/domain:Domain")
def _opensearch(res: dict[str, Any], view: PlanView) -> list[Usage]:
    cluster = res["inputs"].get("clusterConfig", {})
    count = int(_num(cluster.get("instanceCount"), 1))
    usages = [Usage(f"opensearch.{cluster.get('instanceType', 'unknown')}", *hours(count), f"{count} data node(s)")]
    if cluster.get("dedicatedMasterEnabled"):
        masters = int(_num(cluster.get("dedicatedMasterCount"), 3))
        usages.append(Usage(f"opensearch.{cluster.get('dedicatedMasterType')}", *hours(masters), f"{masters} dedicated masters"))
    ebs = res["inputs"].get("ebsOptions", {})
    if ebs.get("ebsEnabled", True) and ebs.get("volumeSize"):
        gb = _num(ebs["volumeSize"]) * count
        usages.append(Usage("opensearch.gp3", gb, gb, f"{_num(ebs['volumeSize']):g} GiB per data node"))
    return usages


@prices_type("aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream")
def _firehose(res: dict[str, Any], view: PlanView) -> list[Usage]:
    # The app group's events (the subscription filter sends all of them), and VPC delivery.
    usages = [Usage("firehose.ingest", APP_LOG_GB, APP_LOG_GB, f"APP_LOG_GB {APP_LOG_GB:g} from the subscription filter")]
    vpc = res["inputs"].get("opensearchConfiguration", {}).get("vpcConfig")
    if vpc:
        azs = len(vpc.get("subnetIds") or [])
        usages += [
            Usage("firehose.vpc-hour", *hours(azs), f"VPC delivery in {azs} AZ(s)"),
            Usage("firehose.vpc-gb", APP_LOG_GB, APP_LOG_GB, "VPC delivery: APP_LOG_GB processed"),
        ]
    return usages


# --- security, secrets, observability --------------------------------------------------------


@prices_type("aws:wafv2/webAcl:WebAcl")
def _waf(res: dict[str, Any], view: PlanView) -> list[Usage]:
    rules = len(res["inputs"].get("rules") or [])
    return [
        Usage("waf.web-acl", 1, 1),
        Usage("waf.rule", rules, rules, f"{rules} rules"),
        Usage("waf.requests", WAF_REQUESTS_MILLIONS, WAF_REQUESTS_MILLIONS, f"WAF_REQUESTS_MILLIONS {WAF_REQUESTS_MILLIONS:g}"),
    ]


@prices_type("aws:kms/key:Key")
def _kms(res: dict[str, Any], view: PlanView) -> list[Usage]:
    return [Usage("kms.key", 1, 1)]


@prices_type("aws:secretsmanager/secret:Secret")
def _secret(res: dict[str, Any], view: PlanView) -> list[Usage]:
    return [Usage("secretsmanager.secret", 1, 1)]


@prices_type("aws:cloudwatch/metricAlarm:MetricAlarm")
def _alarm(res: dict[str, Any], view: PlanView) -> list[Usage]:
    metrics = len([q for q in res["inputs"].get("metricQueries") or [] if q.get("metric")]) or 1
    return [Usage("cloudwatch.alarm", metrics, metrics, f"{metrics} metric(s), standard resolution")]


@prices_type("aws:cloudwatch/dashboard:Dashboard")
def _dashboard(res: dict[str, Any], view: PlanView) -> list[Usage]:
    return [Usage("cloudwatch.dashboard", 1, 1)]


def _log_ingest_gb(name: str) -> tuple[float, str]:
    if "flow-log" in name:
        return FLOW_LOG_GB, "FLOW_LOG_GB"
    if name.startswith("aws-waf-logs-"):
        return WAF_LOG_GB, "WAF_LOG_GB"
    if name.startswith("/aws/eks/"):
        return EKS_CONTROL_PLANE_LOG_GB, "EKS_CONTROL_PLANE_LOG_GB"
    if name.endswith(("/app", "/application")):  # components/logs.py: the app's group on either platform
        return APP_LOG_GB, "APP_LOG_GB"
    return OTHER_LOG_GB, "OTHER_LOG_GB"


@prices_type("aws:cloudwatch/logDataProtectionPolicy:LogDataProtectionPolicy")
def _data_protection(res: dict[str, Any], view: PlanView) -> list[Usage]:
    # It scans everything its group ingests: the app's group (components/logs.py).
    return [Usage("cloudwatch.logs-data-protection", APP_LOG_GB, APP_LOG_GB, f"APP_LOG_GB {APP_LOG_GB:g} scanned")]


@prices_type("aws:cloudwatch/logGroup:LogGroup")
def _log_group(res: dict[str, Any], view: PlanView) -> list[Usage]:
    ingest, constant = _log_ingest_gb(res["inputs"].get("name", ""))
    months = _num(res["inputs"].get("retentionInDays"), 3653) / 30  # unset: kept forever; ten years here
    stored = ingest * months * LOG_ARCHIVE_RATIO
    return [
        Usage("cloudwatch.logs-ingest", ingest, ingest, f"{constant} {ingest:g}"),
        Usage(
            "cloudwatch.logs-storage", stored, stored, f"steady state: {months:.1f} months kept x LOG_ARCHIVE_RATIO {LOG_ARCHIVE_RATIO:g}"
        ),
    ]


@prices_type("aws:eks/addon:Addon")
def _addon(res: dict[str, Any], view: PlanView) -> list[Usage] | str:
    if res["inputs"].get("addonName") != "amazon-cloudwatch-observability":
        return "EKS add-ons have no charge of their own (they run on the nodes)"
    low, high = _node_range(view)
    per = CONTAINER_INSIGHTS_GB_PER_NODE
    return [Usage("cloudwatch.logs-ingest", low * per, high * per, f"Container Insights: CONTAINER_INSIGHTS_GB_PER_NODE {per:g}")]


def _node_range(view: PlanView) -> tuple[int, int]:
    groups = [g["inputs"].get("scalingConfig", {}) for g in view.of_type("aws:eks/nodeGroup:NodeGroup")]
    return sum(int(_num(g.get("minSize"))) for g in groups), sum(int(_num(g.get("maxSize"))) for g in groups)


@prices_type("aws:amp/workspace:Workspace")
def _amp(res: dict[str, Any], view: PlanView) -> list[Usage]:
    samples = AMP_ACTIVE_SERIES * (HOURS_PER_MONTH * 3600 / AMP_SCRAPE_INTERVAL_S)
    stored_gb = samples * AMP_BYTES_PER_SAMPLE / 1e9 * AMP_RETENTION_MONTHS
    return [
        Usage("amp.ingest", samples / 1e7, samples / 1e7, f"AMP_ACTIVE_SERIES {AMP_ACTIVE_SERIES} every {AMP_SCRAPE_INTERVAL_S} s"),
        Usage("amp.storage", stored_gb, stored_gb, f"AMP_RETENTION_MONTHS {AMP_RETENTION_MONTHS}"),
    ]


@prices_type("aws:sns/topic:Topic")
def _sns(res: dict[str, Any], view: PlanView) -> list[Usage]:
    return [Usage("sns.requests", SNS_PUBLISHES_MILLIONS, SNS_PUBLISHES_MILLIONS, f"SNS_PUBLISHES_MILLIONS {SNS_PUBLISHES_MILLIONS:g}")]


@prices_type("aws:sqs/queue:Queue")
def _sqs(res: dict[str, Any], view: PlanView) -> list[Usage]:
    return [Usage("sqs.requests", SQS_REQUESTS_MILLIONS, SQS_REQUESTS_MILLIONS, f"SQS_REQUESTS_MILLIONS {SQS_REQUESTS_MILLIONS:g}")]


# --- the estimate ----------------------------------------------------------------------------


def free_reason(token: str) -> str | None:
    if token in FREE:
        return FREE[token]
    return next((why for prefix, why in FREE_PREFIXES.items() if token.startswith(prefix) and token not in PRICERS), None)


def _money(value: float) -> float:
    return round(value, 2)


def _line(usage: Usage, unit_price: float, unit: str) -> dict[str, Any]:
    return {
        "priceKey": usage.key,
        "unit": unit,
        "unitPriceUsd": unit_price,
        "quantity": {"min": round(usage.low, 4), "max": round(usage.high, 4)},
        "min": _money(usage.low * unit_price),
        "max": _money(usage.high * unit_price),
        "note": usage.note,
    }


def _price(res: dict[str, Any], view: PlanView, table: prices.PriceTable) -> tuple[str, Any]:
    """("priced", lines) | ("free", reason) | ("unpriced", reason) for one resource."""
    pricer = PRICERS.get(res["type"])
    if pricer is None:
        reason = free_reason(res["type"])
        return ("free", reason) if reason else ("unpriced", f"no cost model for type {res['type']}")
    usages = pricer(res, view)
    if isinstance(usages, str):
        return "free", usages
    missing = [u.key for u in usages if table.usd(u.key) is None]
    if missing:
        return "unpriced", f"no price for {', '.join(missing)} in the {table.region} table"
    return "priced", [_line(u, table.usd(u.key) or 0.0, table.prices[u.key]["unit"]) for u in usages]


def monthly_cost(doc: dict[str, Any]) -> dict[str, Any]:
    """`estimates.monthlyCostUsd` of a plan document (docs/plan-schema.md): plain JSON data."""
    view = PlanView(doc)
    region = view.region
    table = prices.load(region) if region else None
    if table is None:
        return {
            "available": False,
            "region": region,
            "reason": f"no price table for region {region!r} (have: {', '.join(prices.regions())}); docs/estimates.md, 'Adding a region'",
        }
    priced, unpriced, free = [], [], 0
    for res in view.resources:
        kind, detail = _price(res, view, table)
        ident = {"urn": res["urn"], "type": res["type"], "name": res["name"], "component": view.component(res["urn"])}
        if kind == "priced":
            low, high = sum(line["min"] for line in detail), sum(line["max"] for line in detail)
            priced.append({**ident, "min": _money(low), "max": _money(high), "lines": detail})
        elif kind == "unpriced":
            unpriced.append({**ident, "reason": detail})
        else:
            free += 1
    return {
        "available": True,
        "region": table.region,
        "currency": table.currency,
        "priceTableAsOf": table.as_of,
        "total": {"min": _money(sum(r["min"] for r in priced)), "max": _money(sum(r["max"] for r in priced))},
        "byComponent": by_component(priced),
        "resources": priced,
        "unpriced": unpriced,
        "freeResources": free,
        "assumptions": ASSUMPTIONS,
    }


def by_component(priced: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for res in priced:
        entry = out.setdefault(res["component"], {"min": 0.0, "max": 0.0})
        entry["min"], entry["max"] = _money(entry["min"] + res["min"]), _money(entry["max"] + res["max"])
    return out
