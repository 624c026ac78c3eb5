"""Every `nox:` configuration key: type, default (global or per environment), rule, meaning.

This table is the single source of truth: the loader parses and validates against it,
`Pulumi.yaml` declares the same keys (a test keeps them in step) and the README's
configuration table is checked against it.
"""

from __future__ import annotations

import datetime
import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

ENVIRONMENTS = ("dev", "staging", "prod")

# CloudWatch Logs accepts only these retention values (PutRetentionPolicy).
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)

# TLS 1.2+ ALB policies (AWS "Security policies for your Application Load Balancer"). The 2025-09
# `PQ` policies add hybrid post-quantum key exchange (X25519MLKEM768, SecP256r1MLKEM768,
# SecP384r1MLKEM1024) and keep classical key exchange for clients without ML-KEM. AWS recommends
# ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09 (or its FIPS twin) for new listeners, and it is the
# console default: the default here. The TLS13-1-0 PQ variants allow TLS 1.0 and are left out.
# Forward-secret and AEAD-only (for a later tightening of this list): the -Res- and TLS13-1-3
# policies, PQ or not, i.e. TLS13-1-2-Res-PQ, TLS13-1-3-PQ, TLS13-1-2-Res-FIPS-PQ, TLS13-1-3-FIPS-PQ;
# the plain, Ext1, Ext2 and Ext0 variants also offer CBC or non-ECDHE ciphers under TLS 1.2.
DEFAULT_TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09"
TLS_POLICIES = (
    DEFAULT_TLS_POLICY,
    "ELBSecurityPolicy-TLS13-1-2-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-2-Ext1-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-2-Ext2-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-3-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-2-FIPS-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-2-Res-FIPS-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-2-Ext0-FIPS-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-2-Ext1-FIPS-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-2-Ext2-FIPS-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-3-FIPS-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Ext2-2021-06",
    "ELBSecurityPolicy-TLS13-1-3-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04",
    "ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04",
    "ELBSecurityPolicy-FS-1-2-Res-2020-10",
    "ELBSecurityPolicy-TLS-1-2-2017-01",
)

# RDS for PostgreSQL majors still in standard support; the family follows the major.
POSTGRES_MAJORS = ("14", "15", "16", "17")

# Memory (GiB) of the RDS classes we allow: the parameter group is sized against it.
DB_INSTANCE_MEMORY_GIB = {
    "db.t4g.micro": 1,
    "db.t4g.small": 2,
    "db.t4g.medium": 4,
    "db.t4g.large": 8,
    "db.t4g.xlarge": 16,
    "db.t4g.2xlarge": 32,
    "db.m7g.large": 8,
    "db.m7g.xlarge": 16,
    "db.m7g.2xlarge": 32,
    "db.m7g.4xlarge": 64,
    "db.r7g.large": 16,
    "db.r7g.xlarge": 32,
    "db.r7g.2xlarge": 64,
    "db.r7g.4xlarge": 128,
    "db.m6i.large": 8,
    "db.m6i.xlarge": 16,
    "db.m6i.2xlarge": 32,
    "db.r6i.large": 16,
    "db.r6i.xlarge": 32,
    "db.r6i.2xlarge": 64,
}

# ElastiCache engine versions and the parameter-group family each belongs to.
CACHE_ENGINE_FAMILIES = {
    "redis": {"7.0": "redis7", "7.1": "redis7"},
    "valkey": {"7.2": "valkey7", "8.0": "valkey8", "8.1": "valkey8"},
}

# EKS Kubernetes versions: (end of standard support, end of extended support), UTC dates from
# AWS's "Amazon EKS Kubernetes release calendar" (EKS User Guide, "Understand the Kubernetes version
# lifecycle on EKS"), as of EKS_CALENDAR_AS_OF. Standard support is 14 months from the EKS release,
# extended support 12 more. 1.36 is left out until its dates are in the calendar we checked.
# Update this table (and its date, and nox:eksSupportAsOf in Pulumi.yaml) when AWS adds a version.
EKS_CALENDAR_AS_OF = "2026-12-02"
EKS_SUPPORT = {
    "1.32": ("2026-03-23", "2027-03-23"),
    "1.33": ("2026-07-29", "2027-07-29"),
    "1.34": ("2026-12-02", "2027-12-02"),
    "1.35": ("2027-03-27", "2028-03-27"),
}
EKS_VERSIONS = tuple(EKS_SUPPORT)
EKS_SUPPORT_TYPES = ("STANDARD", "EXTENDED")
# The plan warns when the version leaves standard support within this many days of the as-of date.
EKS_SUPPORT_WARNING_DAYS = 90

_INSTANCE_TYPE = re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")
_CACHE_NODE = re.compile(r"^cache\.[a-z0-9]+\.[a-z0-9]+$")
_IMAGE = re.compile(
    r"^(?P<repo>[a-z0-9]+(?:[._/-][a-z0-9]+)*(?::[0-9]+(?=/))?(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*)"
    r"(?::(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?(?:@(?P<digest>sha256:[a-f0-9]{64}))?$"
)
_PROM_DURATION = re.compile(r"^[1-9][0-9]*(h|d|w|y)$")
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$")
_ACM_ARN = re.compile(r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]{36}$")
_VAULT_ARN = re.compile(r"^arn:aws[a-z-]*:backup:[a-z0-9-]+:\d{12}:backup-vault:[\w.-]+$")
_DOMAIN = re.compile(r"^(?=.{1,253}$)(?!-)([a-z0-9-]{1,63}\.)+[a-z]{2,63}$")
_ORIGIN = re.compile(r"^https://(?!-)([a-z0-9-]{1,63}\.)+[a-z]{2,63}(:\d{1,5})?$")
_ZONE_ID = re.compile(r"^Z[A-Z0-9]{1,31}$")
_TAG_VALUE = re.compile(r"^[\w .:/=+\-@]{1,256}$")
_SECURITY_GROUP_ID = re.compile(r"^sg-([0-9a-f]{8}|[0-9a-f]{17})$")
_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@(?!-)([A-Za-z0-9-]{1,63}\.)+[A-Za-z]{2,63}$")
# AWS Chatbot's CreateSlackChannelConfiguration: SlackTeamId [0-9A-Z]{1,255}, SlackChannelId [A-Za-z0-9]+ (botocore model).
_SLACK_TEAM = re.compile(r"^[0-9A-Z]{1,255}$")
_SLACK_CHANNEL = re.compile(r"^[A-Za-z0-9]{1,255}$")
_HTTPS_URL = re.compile(r"^https://(?!-)([A-Za-z0-9-]{1,63}\.)+[A-Za-z]{2,63}(:\d{1,5})?(/[^\s]*)?$")

Check = Callable[[Any], str | None]  # returns what is allowed when the value is not


def one_of(*allowed: Any) -> Check:
    return lambda v: None if v in allowed else "one of " + ", ".join(map(str, allowed))


def int_range(lo: int, hi: int) -> Check:
    return lambda v: None if lo <= v <= hi else f"an integer from {lo} to {hi}"


def matches(pattern: re.Pattern[str], what: str, allow_empty: bool = False) -> Check:
    def check(v: str) -> str | None:
        if allow_empty and v == "":
            return None
        return None if pattern.match(v) else what

    return check


def each(check: Check, what: str) -> Check:
    return lambda vs: None if all(check(v) is None for v in vs) else what


def image_problem(ref: str) -> str | None:
    """Why an image reference is not pinned, or None when it is (a tag other than latest, or a digest)."""
    m = _IMAGE.match(ref)
    if not m:
        return "an image reference like registry/nox-api:v8.0.0 or registry/nox-api@sha256:<64 hex>"
    if not m["tag"] and not m["digest"]:
        return "a pinned image: add a version tag or a sha256 digest (a bare name means latest)"
    if m["tag"] == "latest" and not m["digest"]:
        return "a pinned image: the tag latest is not allowed"
    return None


def _image(allow_empty: bool) -> Check:
    return lambda v: None if (allow_empty and v == "") else image_problem(v)


def _cidr(v: str) -> str | None:
    try:
        net = ipaddress.ip_network(v, strict=True)
    except ValueError:
        return "an IPv4 CIDR block with no host bits set, e.g. 10.0.0.0/16"
    if net.version != 4 or not 16 <= net.prefixlen <= 20:
        return "an IPv4 CIDR block from /16 to /20 (the subnet plan needs /16../20)"
    if not net.is_private:
        return "a private (RFC 1918) IPv4 CIDR block"
    return None


def _public_cidr(v: str) -> str | None:
    try:
        ipaddress.ip_network(v, strict=True)
    except ValueError:
        return "CIDR blocks with no host bits set, e.g. 203.0.113.0/24"
    return None


def _date(v: str) -> str | None:
    allowed = "a date YYYY-MM-DD, e.g. 2026-12-02"
    if not re.match(r"^\d{4}-\d{2}-\d{2}$", v):
        return allowed
    try:
        datetime.date.fromisoformat(v)
    except ValueError:
        return allowed
    return None


@dataclass(frozen=True)
class Key:
    """One `nox:` configuration key."""

    name: str
    kind: type  # str, int, bool or list (a list of strings)
    description: str
    default: Any = None  # project-wide default, declared in Pulumi.yaml too
    profile: dict[str, Any] | None = None  # per-environment defaults instead of `default`
    check: Check | None = None
    required: bool = False

    def default_for(self, environment: str) -> Any:
        return self.profile[environment] if self.profile else self.default


def per_env(dev: Any, staging: Any, prod: Any) -> dict[str, Any]:
    return {"dev": dev, "staging": staging, "prod": prod}


KEYS: tuple[Key, ...] = (
    # --- stack identity -------------------------------------------------------------------
    Key("environment", str, "Environment profile that supplies the per-environment defaults.", check=one_of(*ENVIRONMENTS), required=True),
    Key(
        "platform",
        str,
        "Compute platform for the API: EC2 Auto Scaling (`asg`) or EKS (`eks`).",
        profile=per_env("asg", "eks", "eks"),
        check=one_of("asg", "eks"),
    ),
    Key(
        "owner",
        str,
        "Owner tag on every resource.",
        default="platform-team",
        check=matches(_TAG_VALUE, "a tag value of 1-256 letters, digits, spaces or _.:/=+-@"),
    ),
    Key(
        "costCenter",
        str,
        "CostCenter tag on every resource.",
        default="nox-api",
        check=matches(_TAG_VALUE, "a tag value of 1-256 letters, digits, spaces or _.:/=+-@"),
    ),
    # --- network --------------------------------------------------------------------------
    Key("vpcCidr", str, "VPC CIDR block; subnets are carved from it deterministically.", default="10.0.0.0/16", check=_cidr),
    Key("azCount", int, "Availability zones used (2 in dev, 3 in prod).", profile=per_env(2, 3, 3), check=int_range(2, 4)),
    Key(
        "natGateways",
        str,
        "NAT gateways: `single` (one, cheaper) or `perAz` (one per AZ, no cross-AZ dependency).",
        profile=per_env("single", "single", "perAz"),
        check=one_of("single", "perAz"),
    ),
    Key(
        "interfaceEndpoints",
        bool,
        "Create VPC interface endpoints (ECR api/dkr, SSM with ssmmessages/ec2messages, Secrets Manager, Logs, STS).",
        profile=per_env(False, True, True),
    ),
    Key(
        "logRetentionDays",
        int,
        "Retention of every CloudWatch log group (flow, WAF, EKS, cache logs).",
        profile=per_env(30, 90, 365),
        check=one_of(*LOG_RETENTION_DAYS),
    ),
    # --- edge -----------------------------------------------------------------------------
    Key(
        "domain",
        str,
        "Public host name of the API (certificate and Ingress host).",
        required=True,
        check=matches(_DOMAIN, "a lower-case DNS name such as api.example.com"),
    ),
    Key(
        "hostedZoneId",
        str,
        "Route 53 zone for DNS validation of a new ACM certificate (or set certificateArn).",
        default="",
        check=matches(_ZONE_ID, "a Route 53 hosted zone id such as Z0123456789ABC", True),
    ),
    Key(
        "certificateArn",
        str,
        "Existing ACM certificate ARN to use instead of issuing one.",
        default="",
        check=matches(_ACM_ARN, "an ACM certificate ARN", True),
    ),
    Key(
        "sslPolicy",
        str,
        "ALB TLS policy (TLS 1.2+ only; default: AWS's recommended hybrid post-quantum policy).",
        default=DEFAULT_TLS_POLICY,
        check=one_of(*TLS_POLICIES),
    ),
    Key(
        "corsAllowOrigin",
        str,
        "Origin allowed by CORS (the seed's cors-allow-origin).",
        required=True,
        check=matches(_ORIGIN, "an https origin with no path, e.g. https://app.example.com"),
    ),
    Key("albIdleTimeout", int, "ALB idle timeout in seconds (long for WebSockets).", default=3600, check=int_range(60, 4000)),
    Key(
        "accessLogExpirationDays",
        int,
        "Days before ALB access logs expire from their bucket.",
        profile=per_env(30, 90, 365),
        check=int_range(1, 3650),
    ),
    Key(
        "wafGeoBlockCountries",
        list,
        "ISO 3166-1 alpha-2 country codes blocked by the WAF.",
        default=[],
        check=each(matches(re.compile(r"^[A-Z]{2}$"), ""), 'two-letter upper-case country codes, e.g. ["XX"]'),
    ),
    # --- release --------------------------------------------------------------------------
    Key(
        "releaseStrategy",
        str,
        "`bluegreen` (all traffic on the active colour) or `canary` (weighted split).",
        default="bluegreen",
        check=one_of("bluegreen", "canary"),
    ),
    Key("releaseActive", str, "Colour serving production traffic.", default="blue", check=one_of("blue", "green")),
    Key(
        "imageBlue",
        str,
        "Image of the blue colour (pinned tag or digest; empty: colour not deployed).",
        default="",
        check=_image(allow_empty=True),
    ),
    Key(
        "imageGreen",
        str,
        "Image of the green colour (pinned tag or digest; empty: colour not deployed).",
        default="",
        check=_image(allow_empty=True),
    ),
    Key("releaseCanaryWeight", int, "Percent of traffic sent to the candidate colour under `canary`.", default=0, check=int_range(0, 100)),
    # --- EC2 fleet (platform asg) ----------------------------------------------------------
    Key(
        "instanceType",
        str,
        "EC2 instance type of the API fleet.",
        profile=per_env("t3.small", "m6i.large", "m6i.large"),
        check=matches(_INSTANCE_TYPE, "an EC2 instance type such as m6i.large"),
    ),
    Key("asgMin", int, "Live colour's minimum instances (seed: 2).", profile=per_env(1, 2, 2), check=int_range(1, 100)),
    Key("asgMax", int, "Live colour's maximum instances (seed: 20).", profile=per_env(4, 20, 20), check=int_range(1, 100)),
    Key("asgDesired", int, "Live colour's desired instances (seed: 3).", profile=per_env(1, 3, 3), check=int_range(1, 100)),
    # --- database -------------------------------------------------------------------------
    Key(
        "dbEngineVersion",
        str,
        "PostgreSQL version (`16` or `16.4`); the parameter-group family follows the major.",
        default="17",
        check=lambda v: (
            None
            if v.split(".")[0] in POSTGRES_MAJORS and re.match(r"^\d+(\.\d+)?$", v)
            else "a PostgreSQL version with major " + ", ".join(POSTGRES_MAJORS)
        ),
    ),
    Key(
        "dbInstanceClass",
        str,
        "RDS instance class (must hold the seed's shared_buffers and effective_cache_size).",
        profile=per_env("db.t4g.medium", "db.m7g.large", "db.r7g.large"),
        check=one_of(*DB_INSTANCE_MEMORY_GIB),
    ),
    Key("dbAllocatedStorage", int, "Initial gp3 storage in GiB.", default=20, check=int_range(20, 65536)),
    Key("dbMaxAllocatedStorage", int, "Storage autoscaling ceiling in GiB.", profile=per_env(100, 500, 1000), check=int_range(21, 65536)),
    Key("dbMultiAz", bool, "Multi-AZ primary (standby in another AZ).", profile=per_env(False, True, True)),
    Key("dbReadReplica", bool, "Create the read replica (the seed's Replica DB).", profile=per_env(False, True, True)),
    Key("dbBackupRetentionDays", int, "Automated backup retention in days.", profile=per_env(1, 7, 30), check=int_range(1, 35)),
    Key(
        "backupCopyVaultArn",
        str,
        "Optional AWS Backup vault in another region to copy daily backups to.",
        default="",
        check=matches(_VAULT_ARN, "an AWS Backup vault ARN", True),
    ),
    Key(
        "deletionProtection",
        bool,
        "AWS deletion protection and Pulumi `protect` on stateful resources.",
        profile=per_env(False, True, True),
    ),
    Key(
        "teardown",
        str,
        "Lift protections before a removal (docs/deploying.md): `platform` (the current platform's ALB, "
        "cluster or fleet, before switching nox:platform), `stack` (everything, before `pulumi destroy`), or `none`.",
        default="none",
        check=one_of("none", "platform", "stack"),
    ),
    # --- cache ----------------------------------------------------------------------------
    Key("cacheEngine", str, "ElastiCache engine.", default="redis", check=one_of(*CACHE_ENGINE_FAMILIES)),
    Key(
        "cacheEngineVersion",
        str,
        "Engine version (redis 7.0/7.1, valkey 7.2/8.0/8.1); empty: newest for the engine.",
        default="",
        check=lambda v: (
            None
            if v == "" or any(v in f for f in CACHE_ENGINE_FAMILIES.values())
            else "one of " + ", ".join(sorted({x for f in CACHE_ENGINE_FAMILIES.values() for x in f}))
        ),
    ),
    Key(
        "cacheNodeType",
        str,
        "ElastiCache node type.",
        profile=per_env("cache.t4g.small", "cache.m7g.large", "cache.r7g.large"),
        check=matches(_CACHE_NODE, "an ElastiCache node type such as cache.r7g.large"),
    ),
    Key("cacheShards", int, "Cluster-mode shards (node groups).", default=1, check=int_range(1, 500)),
    Key(
        "cacheReplicasPerShard", int, "Replicas per shard (prod: 2, the seed's M1/S1/S2).", profile=per_env(0, 1, 2), check=int_range(0, 5)
    ),
    Key("cacheSnapshotRetentionDays", int, "Daily snapshot retention in days (0: none).", profile=per_env(1, 3, 7), check=int_range(0, 35)),
    # --- EKS (platform eks) ---------------------------------------------------------------
    Key("eksVersion", str, "EKS Kubernetes version (support dates: docs/deploying.md).", default="1.35", check=one_of(*EKS_VERSIONS)),
    Key(
        "eksSupportType",
        str,
        "EKS upgrade policy: `STANDARD` (versions in standard support only; AWS upgrades at its end) or `EXTENDED` (paid).",
        default="STANDARD",
        check=one_of(*EKS_SUPPORT_TYPES),
    ),
    Key(
        "eksSupportAsOf",
        str,
        "Date the EKS version's support is judged on (plans never read the clock); default: the support table's date.",
        default=EKS_CALENDAR_AS_OF,
        check=_date,
    ),
    Key(
        "eksPublicAccessCidrs",
        list,
        "CIDRs allowed to reach the public API endpoint (empty: endpoint off).",
        default=[],
        check=each(_public_cidr, 'CIDR blocks with no host bits set, e.g. ["203.0.113.0/24"]'),
    ),
    Key(
        "deployerCidrs",
        list,
        "CIDRs of deployers (CI runners, VPN) admitted on 443 to the EKS cluster security group (private endpoint).",
        default=[],
        # The same check as eksPublicAccessCidrs: one rule for every CIDR that reaches the EKS API.
        check=each(_public_cidr, 'CIDR blocks with no host bits set, e.g. ["10.20.0.0/24"]'),
    ),
    Key(
        "deployerSecurityGroupId",
        str,
        "Security group of an in-VPC deployer (self-hosted runner, CodeBuild) admitted on 443 to the EKS cluster security group.",
        default="",
        check=matches(_SECURITY_GROUP_ID, "a security group id such as sg-0123456789abcdef0", True),
    ),
    Key(
        "eksAdminRoleArn",
        str,
        "IAM role granted cluster admin through an EKS access entry.",
        default="",
        check=matches(_ROLE_ARN, "an IAM role ARN such as arn:aws:iam::123456789012:role/platform-admin", True),
    ),
    Key(
        "eksNodeInstanceTypes",
        list,
        "Managed node group instance types.",
        profile=per_env(["t3.large"], ["m6i.large"], ["m6i.large", "m7i.large"]),
        check=each(matches(_INSTANCE_TYPE, ""), 'EC2 instance types such as ["m6i.large"]'),
    ),
    Key("eksNodeMin", int, "Node group minimum size.", profile=per_env(2, 3, 3), check=int_range(1, 100)),
    Key("eksNodeMax", int, "Node group maximum size.", profile=per_env(4, 6, 10), check=int_range(1, 100)),
    Key("eksNodeDesired", int, "Node group desired size.", profile=per_env(2, 3, 3), check=int_range(1, 100)),
    Key("hpaMinReplicas", int, "HPA minimum pods (seed: 3).", profile=per_env(2, 3, 3), check=int_range(1, 100)),
    Key("hpaMaxReplicas", int, "HPA maximum pods (seed: 20).", profile=per_env(6, 20, 20), check=int_range(1, 100)),
    # --- alerting (every stack, dev included: same alarms, its own topic) -----------------------
    Key(
        "alertEmails",
        list,
        "Email addresses subscribed to the stack's alarm topic (each confirms once by mail).",
        default=[],
        check=each(matches(_EMAIL, ""), 'email addresses, e.g. ["oncall@example.com"]'),
    ),
    Key(
        "slackWorkspaceId",
        str,
        "Slack workspace (team) id authorised once in the AWS Chatbot console; with slackChannelId.",
        default="",
        check=matches(_SLACK_TEAM, "a Slack workspace id such as T07EA123LEP", True),
    ),
    Key(
        "slackChannelId",
        str,
        "Slack channel id that receives the alarms through AWS Chatbot; with slackWorkspaceId.",
        default="",
        check=matches(_SLACK_CHANNEL, "a Slack channel id such as C07EZ1ABC23", True),
    ),
    Key(
        "alertHttpsEndpoint",
        str,
        "Optional HTTPS endpoint subscribed to the alarm topic (an incident tool's SNS integration URL).",
        default="",
        check=matches(_HTTPS_URL, "an https:// URL", True),
    ),
    Key(
        "alarmResponseTimeMs",
        int,
        "p95 ALB target response time that alarms, in ms (seed HighResponseTime: 1 s).",
        default=1000,
        check=int_range(50, 60000),
    ),
    Key(
        "alarmErrorRatePercent",
        int,
        "Target 5xx responses as a percent of requests that alarms (seed HighErrorRate, as a ratio; 5: the seed's 95 % gate).",
        default=5,
        check=int_range(1, 100),
    ),
    Key(
        "alarmDbConnectionsPercent",
        int,
        "DatabaseConnections alarm as a percent of max_connections (seed DatabaseConnectionHigh: 80 of 200).",
        default=40,
        check=int_range(1, 100),
    ),
    Key(
        "alarmRedisMemoryPercent",
        int,
        "ElastiCache DatabaseMemoryUsagePercentage that alarms (seed RedisMemoryHigh: 80 %).",
        default=80,
        check=int_range(1, 100),
    ),
    # --- Prometheus (the seed's alert rules) ------------------------------------------------
    Key(
        "prometheusRetention",
        str,
        "eks: how long the in-cluster Prometheus keeps metrics (Prometheus duration, e.g. `15d`).",
        profile=per_env("7d", "15d", "30d"),
        check=matches(_PROM_DURATION, "a Prometheus duration in hours, days, weeks or years, e.g. 36h, 15d, 4w, 1y"),
    ),
    Key(
        "prometheusStorageGib",
        int,
        "eks: size of Prometheus's encrypted gp3 volume in GiB.",
        profile=per_env(20, 50, 100),
        check=int_range(10, 16384),
    ),
    Key(
        "managedPrometheus",
        bool,
        "asg: evaluate the app's alerts in Amazon Managed Service for Prometheus (only dev may turn it off).",
        default=True,
    ),
)

KEYS_BY_NAME = {k.name: k for k in KEYS}
