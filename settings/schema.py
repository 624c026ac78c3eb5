"""Every `nox:` configuration key: type, default (global or per environment), rule, meaning.

This table is the single source of truth: the loader parses and validates against it and, through
each key's `field`, puts the value into the typed settings (`loader.mapped_fields`); `Pulumi.yaml`
declares the same keys (a test keeps them in step) and the README's configuration table is
generated from it.
"""

from __future__ import annotations

import datetime
import functools
import ipaddress
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import botocore
import botocore.session

ENVIRONMENTS = ("dev", "staging", "prod")

# CloudWatch Logs accepts only these retention values (PutRetentionPolicy).
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)

# Forward-secret, AEAD-only TLS 1.2+ ALB policies (AWS "Security policies for your Application Load
# Balancer"; seed ssl-config.conf: TLSv1.2/1.3 with ECDHE AES-GCM/CHACHA20 only): the -Res- and
# TLS13-1-3 policies, PQ or not. The plain TLS13-1-2, FIPS-2023-04, Ext0/Ext1/Ext2 and
# TLS-1-2-2017-01 policies also offer CBC or non-ECDHE ciphers under TLS 1.2 and are left out, as are
# the TLS13-1-0 variants (TLS 1.0). The 2025-09 `PQ` policies add hybrid post-quantum key exchange
# (X25519MLKEM768, SecP256r1MLKEM768, SecP384r1MLKEM1024) and keep classical key exchange for
# clients without ML-KEM. AWS recommends ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09 (or its FIPS
# twin) for new listeners, and it is the console default: the default here. The policy pack keeps a
# copy (policies/nox_policies/aws/elb.py).
DEFAULT_TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09"
TLS_POLICIES = (
    DEFAULT_TLS_POLICY,
    "ELBSecurityPolicy-TLS13-1-3-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-2-Res-FIPS-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-3-FIPS-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
    "ELBSecurityPolicy-TLS13-1-3-2021-06",
    "ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04",
    "ELBSecurityPolicy-FS-1-2-Res-2020-10",
)

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

# --- AWS catalogues -------------------------------------------------------------------------------
# Read from the pinned botocore (requirements.txt) where the API model carries them, so a value AWS
# does not know fails here, not halfway through `pulumi up`.
# Loaded on first use (parsing the EC2 model costs about a second): `offline check` and the release
# CLI import this module without needing them.


@functools.cache
def _botocore() -> botocore.session.Session:
    return botocore.session.get_session()


@functools.cache
def ec2_instance_types() -> frozenset[str]:
    """EC2 `InstanceType` enum of the pinned botocore's service model."""
    return frozenset(_botocore().get_service_model("ec2").shape_for("InstanceType").enum)


@functools.cache
def country_codes() -> frozenset[str]:
    """WAFv2 `CountryCode` enum: ISO 3166-1 alpha-2 plus XK (Kosovo), exactly what a geo-match statement accepts."""
    return frozenset(_botocore().get_service_model("wafv2").shape_for("CountryCode").enum)


@functools.cache
def aws_regions() -> frozenset[str]:
    """Regions of every partition in botocore's endpoints data (endpoints.json)."""
    session = _botocore()
    return frozenset(r for p in session.get_available_partitions() for r in session.get_available_regions("ec2", partition_name=p))


# Processor architecture per EC2 family, as of 2026-11 (AWS "Amazon EC2 instance types", Graviton:
# https://aws.amazon.com/ec2/graviton/). botocore has no architecture data offline. Every family of
# the pinned enum that is not listed here is x86_64, except the Mac families (dedicated hosts only).
ARM64_FAMILIES = frozenset(
    [
        "a1",
        "c6g",
        "c6gd",
        "c6gn",
        "c7g",
        "c7gd",
        "c7gn",
        "c8g",
        "c8gb",
        "c8gd",
        "c8gn",
        "c9g",
        "c9gd",
        "g5g",
        "hpc7g",
        "i4g",
        "i8g",
        "i8ge",
        "im4gn",
        "is4gen",
        "m6g",
        "m6gd",
        "m7g",
        "m7gd",
        "m8g",
        "m8gb",
        "m8gd",
        "m8gn",
        "m9g",
        "m9gd",
        "p6e-gb200",
        "r6g",
        "r6gd",
        "r7g",
        "r7gd",
        "r8g",
        "r8gb",
        "r8gd",
        "r8gn",
        "r9g",
        "r9gd",
        "t4g",
        "x2gd",
        "x8g",
    ]
)
# The AMIs the program boots: components/fleet.py AMI_PARAMETER (al2023 x86_64) and
# components/eks/nodes.py AMI_TYPE (AL2023_x86_64_STANDARD); a test keeps these in step.
FLEET_AMI_ARCH = "x86_64"
EKS_NODE_AMI_ARCH = "x86_64"
# Karpenter nodes boot the same AMI family (al2023) in the node group's architecture, by its
# Kubernetes name (`kubernetes.io/arch`).
KUBERNETES_ARCH = {"x86_64": "amd64", "arm64": "arm64"}

# The seed's container requests (components/workload.py REQUESTS is built from them): what the
# scheduler, and so Karpenter, reserves per app pod.
APP_POD_CPU_MILLI = 250
APP_POD_MEMORY_MIB = 256
# Node-pool headroom over the pods' requests: DaemonSets on every node, kubelet and system reserves,
# and bin-packing loss (node capacity is counted, not allocatable).
NODE_POOL_HEADROOM = 1.5
# GiB of memory per vCPU of the instance categories a NodePool may use (EC2 instance types: c 2,
# m 4, r 8). A pool that reaches its CPU on the memory-richest category must not hit its memory
# limit first.
KARPENTER_CATEGORY_GIB_PER_VCPU = {"c": 2, "m": 4, "r": 8}
KARPENTER_CAPACITY_TYPES = ("on-demand", "spot")


def node_pool_needs(hpa_max: int, colours: int, categories: list[str] | tuple[str, ...]) -> tuple[int, int]:
    """(vCPU, GiB) a NodePool's limits must allow so that every colour can reach its HPA maximum:
    the pods' requests times the headroom, and for memory at least what nodes of the memory-richest
    allowed category bring along with that CPU (Karpenter counts node capacity against the limits)."""
    pods = hpa_max * colours
    cpu = -(-pods * APP_POD_CPU_MILLI * NODE_POOL_HEADROOM // 1000)
    memory = -(-pods * APP_POD_MEMORY_MIB * NODE_POOL_HEADROOM // 1024)
    richest = max(KARPENTER_CATEGORY_GIB_PER_VCPU[c] for c in categories)
    return int(cpu), int(max(memory, cpu * richest))


# ElastiCache node types we allow, as of 2026-11 (AWS ElastiCache User Guide, "Supported node types",
# https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/CacheNodes.SupportedTypes.html); botocore
# has no enum for them. Current generation only.
_SIZES = ["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"]
CACHE_NODE_TYPES = frozenset(
    [f"cache.{f}.{s}" for f in ("t4g", "t3") for s in ("micro", "small", "medium")]
    + [f"cache.{f}.{s}" for f in ("m7g", "m6g", "r7g", "r6g", "c7gn") for s in _SIZES]
    + [f"cache.{f}.{s}" for f in ("m5", "r5") for s in ("large", "xlarge", "2xlarge", "4xlarge", "12xlarge", "24xlarge")]
)
CACHE_NODE_RULE = (
    "a current-generation ElastiCache node type: cache.t4g or cache.t3 micro/small/medium, cache.m7g, m6g, r7g, r6g "
    "or c7gn large to 16xlarge, cache.m5 or r5 large to 24xlarge"
)

# RDS for PostgreSQL minor versions in standard support, as of 2026-11 (Amazon RDS for PostgreSQL
# release notes, https://docs.aws.amazon.com/AmazonRDS/latest/PostgreSQLReleaseNotes/postgresql-versions.html;
# 14.14-14.17, 15.9-15.12, 16.5-16.8 and 17.1-17.4 left standard support on 2026-05-31). A bare
# major (`17`) lets RDS pick its newest minor. Add a newer minor here when AWS releases it.
POSTGRES_VERSIONS = {
    "14": ("14.18", "14.19", "14.20"),
    "15": ("15.13", "15.14", "15.15"),
    "16": ("16.9", "16.10", "16.11"),
    "17": ("17.5", "17.6", "17.7"),
}

# --- patterns (always matched against the whole value: fullmatch, never `$`) --------------------------
_IMAGE = re.compile(
    r"(?P<repo>(?:(?P<registry>[a-z0-9]+(?:[.-][a-z0-9]+)*)(?::(?P<port>[0-9]{1,5}))?/)?"
    r"[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*)"
    r"(?::(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?(?:@(?P<digest>sha256:[a-f0-9]{64}))?"
)
_ROLE_ARN = re.compile(r"arn:aws(?:-cn|-us-gov)?:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}")
_ACM_ARN = re.compile(
    r"arn:aws(?:-cn|-us-gov)?:acm:[a-z0-9-]+:[0-9]{12}:certificate/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
)
_VAULT_ARN = re.compile(r"arn:aws(?:-cn|-us-gov)?:backup:[a-z0-9-]+:[0-9]{12}:backup-vault:[A-Za-z0-9_.-]{2,50}")
# Restore sources (botocore rds RestoreDBInstanceFromDBSnapshot / RestoreDBInstanceToPointInTime).
# A snapshot identifier: manual (`nox-prod-db-pre-upgrade`), automated (`rds:nox-prod-db-2026-12-01-03-05`)
# or an AWS Backup recovery point (`awsbackup:job-<uuid>`, its cross-region copy `awsbackup:copyjob-<uuid>`);
# or the snapshot's ARN (required for a snapshot shared from another account). RDS restores only a
# snapshot in the stack's own region (a cross-region recovery point is first copied there).
_SNAPSHOT_ID = r"(?:rds:|awsbackup:)?[A-Za-z](?:[A-Za-z0-9]|-(?!-)){0,254}(?<!-)"
_RDS_SNAPSHOT = re.compile(rf"{_SNAPSHOT_ID}|arn:aws(?:-cn|-us-gov)?:rds:(?P<region>[a-z0-9-]+):[0-9]{{12}}:snapshot:{_SNAPSHOT_ID}")
# DB instance identifiers: 1-63 letters, digits or hyphens, a letter first, no `--`, no trailing hyphen.
_DB_IDENTIFIER = re.compile(r"[a-z](?:[a-z0-9]|-(?!-)){0,62}(?<!-)")
# RestoreTime: "a time in Universal Coordinated Time (UTC) format", e.g. 2009-09-07T23:45:00Z.
_UTC_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")
_KMS_KEY_ARN = re.compile(r"arn:aws(?:-cn|-us-gov)?:kms:(?P<region>[a-z0-9-]+):[0-9]{12}:key/(?:mrk-[0-9a-f]{32}|[0-9a-f-]{36})")
# ElastiCache snapshot names (CreateReplicationGroup SnapshotName): manual, or `automatic.<group>-<date>`.
_CACHE_SNAPSHOT = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.]|-(?!-)){0,254}")
_DOMAIN = re.compile(r"(?=.{1,253}\Z)(?:(?!-)[a-z0-9-]{1,63}(?<!-)\.)+[a-z]{2,63}")
_ORIGIN = re.compile(r"https://(?P<host>(?:(?!-)[a-z0-9-]{1,63}(?<!-)\.)+[a-z]{2,63})(?::(?P<port>[0-9]{1,5}))?")
# Route 53 hosted zone ids: Z plus 9-31 upper-case letters or digits (botocore ResourceId max 32;
# real ids are 13 to 21 characters, e.g. Z2FDTNDATAQYW2).
_ZONE_ID = re.compile(r"Z[A-Z0-9]{9,31}")
_TAG_VALUE = re.compile(r"[\w .:/=+\-@]{1,256}")
_INT = re.compile(r"-?(?:0|[1-9][0-9]{0,8})")  # ASCII digits only: not ٣٦٠٠, 1_000 or +600
_SECURITY_GROUP_ID = re.compile(r"sg-(?:[0-9a-f]{8}|[0-9a-f]{17})")
_PROM_DURATION = re.compile(r"[1-9][0-9]*(h|d|w|y)")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@(?!-)(?:[A-Za-z0-9-]{1,63}\.)+[A-Za-z]{2,63}")
# AWS Chatbot's CreateSlackChannelConfiguration: SlackTeamId [0-9A-Z]{1,255}, SlackChannelId [A-Za-z0-9]+ (botocore model).
_SLACK_TEAM = re.compile(r"[0-9A-Z]{1,255}")
_SLACK_CHANNEL = re.compile(r"[A-Za-z0-9]{1,255}")
_HTTPS_URL = re.compile(r"https://(?!-)(?:[A-Za-z0-9-]{1,63}\.)+[A-Za-z]{2,63}(?::[0-9]{1,5})?(?:/[!-~]*)?")

Check = Callable[[Any], str | None]  # returns what is allowed when the value is not

# nox:runbookBaseUrl goes into every alarm description (PutMetricAlarm AlarmDescription, at most
# 1024 characters); the longest description leaves well over this much (tests/test_runbooks.py).
RUNBOOK_BASE_URL_MAX = 200


def one_of(*allowed: Any) -> Check:
    return lambda v: None if v in allowed else "one of " + ", ".join(map(str, allowed))


def int_range(lo: int, hi: int) -> Check:
    return lambda v: None if lo <= v <= hi else f"an integer from {lo} to {hi}"


def matches(pattern: re.Pattern[str], what: str, allow_empty: bool = False) -> Check:
    def check(v: str) -> str | None:
        if allow_empty and v == "":
            return None
        return None if pattern.fullmatch(v) else what

    return check


def _runbook_base_url(v: str) -> str | None:
    allowed = f"an https:// URL without a trailing slash, at most {RUNBOOK_BASE_URL_MAX} characters, or empty"
    if v == "":
        return None
    return None if _HTTPS_URL.fullmatch(v) and not v.endswith("/") and len(v) <= RUNBOOK_BASE_URL_MAX else allowed


def each(check: Check, what: str, *, min_items: int = 0) -> Check:
    """A list rule: at least `min_items` items, each passing `check`; the message names the first bad one."""

    def check_all(vs: list[str]) -> str | None:
        if len(vs) < min_items:
            return f"{what} (at least {min_items} item{'s' if min_items > 1 else ''})"
        bad = next((x for x in vs if check(x) is not None), None)
        return None if bad is None else f"{what}; {bad[:40]!r} is not ({check(bad)})"

    return check_all


def port_ok(text: str | None) -> bool:
    return text is None or 1 <= int(text) <= 65535


def image_problem(ref: str) -> str | None:
    """Why an image reference is not pinned, or None when it is (a tag other than latest, or a digest)."""
    m = _IMAGE.fullmatch(ref)
    if not m or not port_ok(m["port"]):
        return "an image reference like registry/nox-api:v8.0.0 or registry/nox-api@sha256:<64 hex> (registry port 1-65535)"
    if not m["tag"] and not m["digest"]:
        return "a pinned image: add a version tag or a sha256 digest (a bare name means latest)"
    if m["tag"] == "latest" and not m["digest"]:
        return "a pinned image: the tag latest is not allowed"
    return None


def digest_problem(ref: str) -> str | None:
    """Prod runs images pinned by digest only (`repo@sha256:<64 hex>`): a tag can be moved, a digest cannot."""
    m = _IMAGE.fullmatch(ref)
    if image_problem(ref) or not m or not m["digest"] or m["tag"]:
        return "an image pinned by digest, repo@sha256:<64 hex> (no tag), in prod; resolve the tag in CI (docs/configuration-rules.md)"
    return None


def _image(allow_empty: bool) -> Check:
    return lambda v: None if (allow_empty and v == "") else image_problem(v)


def _command(v: str) -> str | None:
    """A migration command: split like a shell would (shlex), run without one (Job command, docker run)."""
    if not v:
        return None  # no migrations
    if len(v) > 512 or not v.isascii() or not v.isprintable() or v != v.strip():
        return "one line of printable ASCII, at most 512 characters, no surrounding spaces, e.g. npm run migrate"
    try:
        shlex.split(v)
    except ValueError:
        return "a command with balanced quotes, e.g. npm run migrate"
    return None


def _origin(v: str) -> str | None:
    m = _ORIGIN.fullmatch(v)
    return None if m and port_ok(m["port"]) else "an https origin with no path, e.g. https://app.example.com (port 1-65535)"


# RFC 1918: the only ranges a VPC should use (is_private also admits 127/8, 169.254/16, 198.18/15, ...).
RFC1918 = tuple(ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))


def _vpc_cidr(v: str) -> str | None:
    try:
        net = ipaddress.ip_network(v, strict=True)
    except ValueError:
        net = None
    if not isinstance(net, ipaddress.IPv4Network) or str(net) != v or not 16 <= net.prefixlen <= 20:
        return "an IPv4 CIDR block from /16 to /20 with no host bits set, e.g. 10.0.0.0/16 (the subnet plan needs /16../20)"
    if not any(net.subnet_of(r) for r in RFC1918):
        return "inside an RFC 1918 range: 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16"
    return None


# IANA IPv4 and IPv6 Special-Purpose Address Registries (RFC 6890 and successors).
# Never a real source of traffic to us (this host, loopback, link-local, documentation, multicast, reserved):
NEVER_SOURCE = tuple(
    ipaddress.ip_network(n)
    for n in [
        "0.0.0.0/8",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "192.0.2.0/24",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",
        "240.0.0.0/4",
        "::/127",
        "::ffff:0:0/96",
        "fe80::/10",
        "ff00::/8",
        "2001:db8::/32",
        "3fff::/20",
    ]
)
# Private or otherwise not internet-routable: fine behind a VPN or peering, never seen by a public endpoint.
NOT_PUBLIC = tuple(
    ipaddress.ip_network(n)
    for n in [
        "10.0.0.0/8",
        "100.64.0.0/10",
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.88.99.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "fc00::/7",
        "2001::/23",
        "2002::/16",
    ]
)
GLOBAL_UNICAST_V6 = ipaddress.IPv6Network("2000::/3")
# Prod allow-lists name networks, not continents: nothing wider than this.
PROD_MIN_PREFIX = {4: 16, 6: 32}


def cidr_problem(v: str, *, prod: bool, public: bool = True) -> str | None:
    """Why `v` is not an acceptable source CIDR for an allow-list (None when it is).

    The one rule for every key that lists traffic sources: eksPublicAccessCidrs (`public`: seen by
    a public endpoint, so public unicast only) and deployer CIDRs on a private endpoint (`public=False`:
    private ranges allowed). Always a canonical network (no host bits, `::/0` not `0::/0`) that
    overlaps no never-a-source range (loopback, link-local, documentation, multicast, reserved);
    in prod no wider than /16 (IPv4) or /32 (IPv6). Networks are compared, never strings.
    """
    try:
        net = ipaddress.ip_network(v, strict=True)
    except ValueError:
        net = None
    if net is None or str(net) != v:
        return "a CIDR block in canonical form with no host bits set, e.g. 81.2.69.0/24 or 2a02:1388::/32"
    same = [r for r in NEVER_SOURCE if r.version == net.version]
    if any(net.overlaps(r) for r in same):
        return "a real source range: it overlaps a loopback, link-local, documentation, multicast or reserved range"
    if public:
        private = any(net.overlaps(r) for r in NOT_PUBLIC if r.version == net.version)
        if private or (isinstance(net, ipaddress.IPv6Network) and not net.subnet_of(GLOBAL_UNICAST_V6)):
            return "a public range: it overlaps a private or non-routable range (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7, ...)"
    if prod and net.prefixlen < PROD_MIN_PREFIX[net.version]:
        return f"no wider than /{PROD_MIN_PREFIX[4]} (IPv4) or /{PROD_MIN_PREFIX[6]} (IPv6) in prod"
    return None


def _restore_time(v: str) -> str | None:
    allowed = "latest (the newest restorable time) or a UTC time YYYY-MM-DDTHH:MM:SSZ, e.g. 2026-12-01T03:04:05Z"
    if v in ("", "latest"):
        return None
    if not _UTC_TIME.fullmatch(v):
        return allowed
    try:
        datetime.datetime.fromisoformat(v.replace("Z", "+00:00"))
    except ValueError:
        return allowed
    return None


def snapshot_region(snapshot: str) -> str:
    """The region in a snapshot ARN ("" for a bare identifier: the stack's own region)."""
    m = _RDS_SNAPSHOT.fullmatch(snapshot)
    return (m["region"] or "") if m else ""


def kms_key_region(arn: str) -> str:
    m = _KMS_KEY_ARN.fullmatch(arn)
    return m["region"] if m else ""


def _region(v: str) -> str | None:
    return None if v == "" or v in aws_regions() else "a region the pinned botocore knows (e.g. us-east-1), or empty"


def _date(v: str) -> str | None:
    allowed = "a date YYYY-MM-DD, e.g. 2026-12-02"
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", v):
        return allowed
    try:
        datetime.date.fromisoformat(v)
    except ValueError:
        return allowed
    return None


# Stack names become physical-name prefixes (`nox-<stack>-green` is a 32-character-max target group,
# S3 bucket names are lower-case): 1-20 lower-case letters, digits and inner hyphens.
_STACK = re.compile(r"[a-z](?:[a-z0-9-]{0,18}[a-z0-9])?")


def stack_name_problem(stack: str) -> str | None:
    if _STACK.fullmatch(stack):
        return None
    return "1-20 lower-case letters, digits and inner hyphens, starting with a letter (it prefixes AWS names of at most 32 characters)"


def is_prod_stack(stack: str) -> bool:
    """A stack named prod or prod-<anything> always uses the prod profile."""
    return stack == "prod" or stack.startswith("prod-")


def instance_type_problem(v: str) -> str | None:
    if v not in ec2_instance_types():
        return (
            f"an EC2 instance type the pinned botocore {botocore.__version__} knows, e.g. m6i.large "
            "(for a newer type, update the botocore pin in requirements.txt)"
        )
    if v.split(".")[0].startswith("mac"):
        return "not a Mac instance type (they need dedicated hosts and macOS AMIs)"
    return None


def architecture(instance_type: str) -> str:
    return "arm64" if instance_type.split(".")[0] in ARM64_FAMILIES else "x86_64"


def _postgres_version(v: str) -> str | None:
    if v in POSTGRES_VERSIONS or any(v in minors for minors in POSTGRES_VERSIONS.values()):
        return None
    return (
        "a major ("
        + ", ".join(POSTGRES_VERSIONS)
        + ") or a minor in standard support: "
        + ", ".join(m for minors in POSTGRES_VERSIONS.values() for m in minors)
    )


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
    # Where the value lands in `StackSettings`: "section.attribute" (or a top-level "attribute"),
    # list values as tuples. Empty: read only by the cross-field rules or a derived field in
    # `loader.build`. This is the one place a key is wired to the model.
    field: str = ""

    def default_for(self, environment: str) -> Any:
        return self.profile[environment] if self.profile else self.default


def per_env(dev: Any, staging: Any, prod: Any) -> dict[str, Any]:
    return {"dev": dev, "staging": staging, "prod": prod}


KEYS: tuple[Key, ...] = (
    # --- stack identity -------------------------------------------------------------------
    Key(
        "environment",
        str,
        "Environment profile that supplies the per-environment defaults.",
        check=one_of(*ENVIRONMENTS),
        required=True,
        field="environment",
    ),
    Key(
        "platform",
        str,
        "Compute platform for the API: EC2 Auto Scaling (`asg`) or EKS (`eks`).",
        profile=per_env("asg", "eks", "eks"),
        check=one_of("asg", "eks"),
        field="platform",
    ),
    Key(
        "owner",
        str,
        "Owner tag on every resource.",
        default="platform-team",
        check=matches(_TAG_VALUE, "a tag value of 1-256 letters, digits, spaces or _.:/=+-@"),
        field="owner",
    ),
    Key(
        "costCenter",
        str,
        "CostCenter tag on every resource.",
        default="nox-api",
        check=matches(_TAG_VALUE, "a tag value of 1-256 letters, digits, spaces or _.:/=+-@"),
        field="cost_center",
    ),
    # --- network --------------------------------------------------------------------------
    Key(
        "vpcCidr",
        str,
        "VPC CIDR block; subnets are carved from it deterministically.",
        default="10.0.0.0/16",
        check=_vpc_cidr,
        field="network.cidr",
    ),
    Key(
        "azCount",
        int,
        "Availability zones used (2 in dev, 3 in prod).",
        profile=per_env(2, 3, 3),
        check=int_range(2, 4),
        field="network.az_count",
    ),
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
        field="network.interface_endpoints",
    ),
    Key(
        "logRetentionDays",
        int,
        "Retention of every CloudWatch log group (flow, WAF, EKS, cache logs).",
        profile=per_env(30, 90, 365),
        check=one_of(*LOG_RETENTION_DAYS),
        field="network.log_retention_days",
    ),
    # --- edge -----------------------------------------------------------------------------
    Key(
        "domain",
        str,
        "Public host name of the API (certificate and Ingress host).",
        required=True,
        check=matches(_DOMAIN, "a lower-case DNS name such as api.example.com"),
        field="edge.domain",
    ),
    Key(
        "hostedZoneId",
        str,
        "Route 53 zone for DNS validation of a new ACM certificate (or set certificateArn).",
        default="",
        check=matches(_ZONE_ID, "a Route 53 hosted zone id such as Z0123456789ABC", True),
        field="edge.hosted_zone_id",
    ),
    Key(
        "certificateArn",
        str,
        "Existing ACM certificate ARN to use instead of issuing one.",
        default="",
        check=matches(_ACM_ARN, "an ACM certificate ARN", True),
        field="edge.certificate_arn",
    ),
    Key(
        "sslPolicy",
        str,
        "ALB TLS policy (forward-secret AEAD-only TLS 1.2+ policies; default: AWS's recommended hybrid post-quantum policy).",
        default=DEFAULT_TLS_POLICY,
        # Eight names would drown the message: name the default and where the list lives.
        check=lambda v: (
            None
            if v in TLS_POLICIES
            else f"one of the {len(TLS_POLICIES)} forward-secret AEAD-only TLS 1.2+ ALB policies in settings/schema.py "
            f"TLS_POLICIES, e.g. {DEFAULT_TLS_POLICY}"
        ),
        field="edge.ssl_policy",
    ),
    Key(
        "corsAllowOrigin",
        str,
        "Origin allowed by CORS (the seed's cors-allow-origin).",
        required=True,
        check=_origin,
        field="edge.cors_allow_origin",
    ),
    Key(
        "albIdleTimeout",
        int,
        "ALB idle timeout in seconds (long for WebSockets).",
        default=3600,
        check=int_range(60, 4000),
        field="edge.idle_timeout",
    ),
    Key(
        "accessLogExpirationDays",
        int,
        "Days before ALB access logs expire from their bucket.",
        profile=per_env(30, 90, 365),
        check=int_range(1, 3650),
        field="edge.access_log_expiration_days",
    ),
    Key(
        "wafGeoBlockCountries",
        list,
        "ISO 3166-1 alpha-2 country codes blocked by the WAF.",
        default=[],
        check=each(lambda c: None if c in country_codes() else "ISO 3166-1 alpha-2", 'ISO 3166-1 alpha-2 country codes, e.g. ["KP", "IR"]'),
        field="edge.geo_block_countries",
    ),
    # --- release --------------------------------------------------------------------------
    Key(
        "releaseStrategy",
        str,
        "`bluegreen` (all traffic on the active colour) or `canary` (weighted split).",
        default="bluegreen",
        check=one_of("bluegreen", "canary"),
        field="release.strategy",
    ),
    Key("releaseActive", str, "Colour serving production traffic.", default="blue", check=one_of("blue", "green"), field="release.active"),
    Key(
        "imageBlue",
        str,
        "Image of the blue colour (pinned tag or digest, prod: digest only; empty: colour not deployed).",
        default="",
        check=_image(allow_empty=True),
    ),
    Key(
        "imageGreen",
        str,
        "Image of the green colour (pinned tag or digest, prod: digest only; empty: colour not deployed).",
        default="",
        check=_image(allow_empty=True),
    ),
    Key(
        "releaseCanaryWeight",
        int,
        "Percent of traffic sent to the candidate colour under `canary`.",
        default=0,
        check=int_range(0, 100),
        field="release.canary_weight",
    ),
    Key(
        "migrationCommand",
        str,
        "Database migration command of the app image (argv, no shell; empty: no migrations), run once per release before any traffic.",
        default="npm run migrate",
        check=_command,
        field="release.migration_command",
    ),
    Key(
        "migrationImage",
        str,
        "Image whose migrations have run (set by the release driver; on `eks` a Job named by it runs `migrationCommand`).",
        default="",
        check=_image(allow_empty=True),
        field="release.migration_image",
    ),
    Key(
        "migrationTimeout",
        int,
        "Seconds a release waits for the migrations before it fails and rolls back.",
        default=600,
        check=int_range(60, 3600),
        field="release.migration_timeout",
    ),
    # --- EC2 fleet (platform asg) ----------------------------------------------------------
    Key(
        "instanceType",
        str,
        "EC2 instance type of the API fleet.",
        profile=per_env("t3.small", "m6i.large", "m6i.large"),
        check=instance_type_problem,
        field="fleet.instance_type",
    ),
    Key(
        "asgMin",
        int,
        "Live colour's minimum instances (seed: 2).",
        profile=per_env(1, 2, 2),
        check=int_range(1, 100),
        field="fleet.min_size",
    ),
    Key(
        "asgMax",
        int,
        "Live colour's maximum instances (seed: 20).",
        profile=per_env(4, 20, 20),
        check=int_range(1, 100),
        field="fleet.max_size",
    ),
    Key(
        "asgDesired",
        int,
        "Live colour's desired instances (seed: 3).",
        profile=per_env(1, 3, 3),
        check=int_range(1, 100),
        field="fleet.desired",
    ),
    # --- database -------------------------------------------------------------------------
    Key(
        "dbEngineVersion",
        str,
        "PostgreSQL version (`16` or `16.10`); the parameter-group family follows the major.",
        default="17",
        check=_postgres_version,
        field="database.engine_version",
    ),
    Key(
        "dbInstanceClass",
        str,
        "RDS instance class (must hold the seed's shared_buffers and effective_cache_size).",
        profile=per_env("db.t4g.medium", "db.m7g.large", "db.r7g.large"),
        check=one_of(*DB_INSTANCE_MEMORY_GIB),
        field="database.instance_class",
    ),
    Key(
        "dbAllocatedStorage", int, "Initial gp3 storage in GiB.", default=20, check=int_range(20, 65536), field="database.allocated_storage"
    ),
    Key(
        "dbMaxAllocatedStorage",
        int,
        "Storage autoscaling ceiling in GiB.",
        profile=per_env(100, 500, 1000),
        check=int_range(21, 65536),
        field="database.max_allocated_storage",
    ),
    Key("dbMultiAz", bool, "Multi-AZ primary (standby in another AZ).", profile=per_env(False, True, True), field="database.multi_az"),
    Key(
        "dbReadReplica",
        bool,
        "Create the read replica (the seed's Replica DB).",
        profile=per_env(False, True, True),
        field="database.read_replica",
    ),
    Key(
        "dbBackupRetentionDays",
        int,
        "Automated backup retention in days.",
        profile=per_env(1, 7, 30),
        check=int_range(1, 35),
        field="database.backup_retention_days",
    ),
    Key(
        "backupCopyVaultArn",
        str,
        "Optional AWS Backup vault in another region to copy daily backups to.",
        default="",
        check=matches(_VAULT_ARN, "an AWS Backup vault ARN", True),
        field="database.backup_copy_vault_arn",
    ),
    Key(
        "drRegion",
        str,
        "Second region: a KMS key and a backup vault there (vault lock in prod) receive a copy of every "
        "daily recovery point (docs/operations.md, Disaster recovery); empty: none. Must differ from aws:region.",
        profile=per_env("", "", "us-east-1"),
        check=_region,
        field="database.dr_region",
    ),
    # --- restore (create-time only: on an existing stack a restore key replaces the database) --------
    Key(
        "dbRestoreSnapshot",
        str,
        "Create the database from this RDS snapshot or AWS Backup recovery point (identifier or ARN, in the "
        "stack's region) instead of empty. Create-time only; needs nox:restoreConfirm and nox:dbRestoreKmsKeyArn.",
        default="",
        check=matches(
            _RDS_SNAPSHOT,
            "an RDS snapshot identifier (name, rds:<name>, awsbackup:job-<id>, awsbackup:copyjob-<id>) or its ARN",
            True,
        ),
        field="database.restore_snapshot",
    ),
    Key(
        "dbRestoreSourceInstance",
        str,
        "Create the database as a point-in-time restore of this DB instance (identifier, same region); with "
        "nox:dbRestoreTime. Create-time only; needs nox:restoreConfirm and nox:dbRestoreKmsKeyArn.",
        default="",
        check=matches(_DB_IDENTIFIER, "a DB instance identifier: 1-63 lower-case letters, digits, single hyphens, a letter first", True),
        field="database.restore_source",
    ),
    Key(
        "dbRestoreTime",
        str,
        "Point in time of the restore from nox:dbRestoreSourceInstance: `latest` or a UTC time "
        "(YYYY-MM-DDTHH:MM:SSZ) inside the source's backup retention window.",
        default="",
        check=_restore_time,
        field="database.restore_time",
    ),
    Key(
        "dbRestoreKmsKeyArn",
        str,
        "KMS key the restore source is encrypted with (RDS restores keep it: the restore APIs take no key). Required with a restore.",
        default="",
        check=matches(_KMS_KEY_ARN, "a KMS key ARN such as arn:aws:kms:us-east-1:123456789012:key/<uuid>", True),
        field="database.restore_kms_key_arn",
    ),
    Key(
        "cacheRestoreSnapshot",
        str,
        "Create the cache from this ElastiCache snapshot (name, same region) instead of empty. Create-time only; needs nox:restoreConfirm.",
        default="",
        check=matches(_CACHE_SNAPSHOT, "an ElastiCache snapshot name: letters, digits, dots and single hyphens", True),
        field="cache.restore_snapshot",
    ),
    Key(
        "restoreConfirm",
        str,
        "The stack's own name, to confirm a restore key: on an existing stack any restore key replaces the "
        "database or cache with the restored one.",
        default="",
        check=lambda v: (
            None if v == "" or _STACK.fullmatch(v) else "a stack name (1-20 lower-case letters, digits, inner hyphens) or empty"
        ),
    ),
    Key(
        "dbPromoteReplica",
        bool,
        "Promote the read replica to a standalone primary; the app's endpoints move to it (docs/operations.md, Promote the replica).",
        default=False,
        field="database.promote_replica",
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
        field="teardown",
    ),
    # --- cache ----------------------------------------------------------------------------
    Key("cacheEngine", str, "ElastiCache engine.", default="redis", check=one_of(*CACHE_ENGINE_FAMILIES), field="cache.engine"),
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
        check=lambda v: None if v in CACHE_NODE_TYPES else CACHE_NODE_RULE,
        field="cache.node_type",
    ),
    Key("cacheShards", int, "Cluster-mode shards (node groups).", default=1, check=int_range(1, 500), field="cache.shards"),
    Key(
        "cacheReplicasPerShard",
        int,
        "Replicas per shard (prod: 2, the seed's M1/S1/S2).",
        profile=per_env(0, 1, 2),
        check=int_range(0, 5),
        field="cache.replicas_per_shard",
    ),
    Key(
        "cacheSnapshotRetentionDays",
        int,
        "Daily snapshot retention in days (0: none).",
        profile=per_env(1, 3, 7),
        check=int_range(0, 35),
        field="cache.snapshot_retention_days",
    ),
    # --- EKS (platform eks) ---------------------------------------------------------------
    Key(
        "eksVersion",
        str,
        "EKS Kubernetes version (support dates: docs/deploying.md).",
        default="1.35",
        check=one_of(*EKS_VERSIONS),
        field="eks.version",
    ),
    Key(
        "eksSupportType",
        str,
        "EKS upgrade policy: `STANDARD` (versions in standard support only; AWS upgrades at its end) or `EXTENDED` (paid).",
        default="STANDARD",
        check=one_of(*EKS_SUPPORT_TYPES),
        field="eks.support_type",
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
        check=each(lambda c: cidr_problem(c, prod=False), 'public CIDR blocks, e.g. ["81.2.69.0/24"]'),
        field="eks.public_access_cidrs",
    ),
    Key(
        "deployerCidrs",
        list,
        "CIDRs of deployers (CI runners, VPN) admitted on 443 to the EKS cluster security group (private endpoint).",
        default=[],
        # The same rule as eksPublicAccessCidrs (cidr_problem), private ranges allowed: the endpoint is private.
        check=each(lambda c: cidr_problem(c, prod=False, public=False), 'CIDR blocks in canonical form, e.g. ["10.20.0.0/24"]'),
        field="eks.deployer_cidrs",
    ),
    Key(
        "deployerSecurityGroupId",
        str,
        "Security group of an in-VPC deployer (self-hosted runner, CodeBuild) admitted on 443 to the EKS cluster security group.",
        default="",
        check=matches(_SECURITY_GROUP_ID, "a security group id such as sg-0123456789abcdef0", True),
        field="eks.deployer_security_group_id",
    ),
    Key(
        "eksAdminRoleArn",
        str,
        "IAM role granted cluster admin through an EKS access entry.",
        default="",
        check=matches(_ROLE_ARN, "an IAM role ARN such as arn:aws:iam::123456789012:role/platform-admin", True),
        field="eks.admin_role_arn",
    ),
    Key(
        "eksNodeInstanceTypes",
        list,
        "Managed node group instance types.",
        profile=per_env(["t3.large"], ["m6i.large"], ["m6i.large", "m7i.large"]),
        check=each(instance_type_problem, 'EC2 instance types such as ["m6i.large"]', min_items=1),
        field="eks.node_instance_types",
    ),
    Key("eksNodeMin", int, "Node group minimum size.", profile=per_env(2, 3, 3), check=int_range(1, 100), field="eks.node_min"),
    Key("eksNodeMax", int, "Node group maximum size.", profile=per_env(4, 6, 10), check=int_range(1, 100), field="eks.node_max"),
    Key("eksNodeDesired", int, "Node group desired size.", profile=per_env(2, 3, 3), check=int_range(1, 100), field="eks.node_desired"),
    Key("hpaMinReplicas", int, "HPA minimum pods (seed: 3).", profile=per_env(2, 3, 3), check=int_range(1, 100), field="eks.hpa_min"),
    Key("hpaMaxReplicas", int, "HPA maximum pods (seed: 20).", profile=per_env(6, 20, 20), check=int_range(1, 100), field="eks.hpa_max"),
    # --- Karpenter (platform eks: the app's nodes) ------------------------------------------
    Key(
        "karpenterArchitecture",
        str,
        "CPU architecture of Karpenter nodes (`kubernetes.io/arch`); must match the node AMI's.",
        default="amd64",
        check=one_of(*KUBERNETES_ARCH.values()),
        field="eks.karpenter_architecture",
    ),
    Key(
        "karpenterCapacityTypes",
        list,
        "Purchase options Karpenter may launch (`karpenter.sh/capacity-type`).",
        profile=per_env(["spot", "on-demand"], ["spot", "on-demand"], ["on-demand"]),
        check=each(one_of(*KARPENTER_CAPACITY_TYPES), 'capacity types from on-demand, spot, e.g. ["on-demand"]', min_items=1),
        field="eks.karpenter_capacity_types",
    ),
    Key(
        "karpenterInstanceCategories",
        list,
        "EC2 instance categories Karpenter may launch (`karpenter.k8s.aws/instance-category`).",
        default=["c", "m"],
        check=each(one_of(*KARPENTER_CATEGORY_GIB_PER_VCPU), 'instance categories from c, m, r, e.g. ["c", "m"]', min_items=1),
        field="eks.karpenter_instance_categories",
    ),
    Key(
        "karpenterCpuLimit",
        int,
        "NodePool limit on the vCPUs of all Karpenter nodes; must hold both colours' HPA maxima (configuration rules).",
        profile=per_env(8, 16, 16),
        check=int_range(1, 10000),
        field="eks.karpenter_cpu_limit",
    ),
    Key(
        "karpenterMemoryLimitGib",
        int,
        "NodePool limit on the memory (GiB) of all Karpenter nodes; must hold both colours' HPA maxima (configuration rules).",
        profile=per_env(32, 64, 64),
        check=int_range(1, 100000),
        field="eks.karpenter_memory_limit_gib",
    ),
    # --- alerting (every stack, dev included: same alarms, its own topic) -----------------------
    Key(
        "alertEmails",
        list,
        "Email addresses subscribed to the stack's alarm topic (each confirms once by mail).",
        default=[],
        check=each(matches(_EMAIL, ""), 'email addresses, e.g. ["oncall@example.com"]'),
        field="alerting.emails",
    ),
    Key(
        "slackWorkspaceId",
        str,
        "Slack workspace (team) id authorised once in the AWS Chatbot console; with slackChannelId.",
        default="",
        check=matches(_SLACK_TEAM, "a Slack workspace id such as T07EA123LEP", True),
        field="alerting.slack_workspace_id",
    ),
    Key(
        "slackChannelId",
        str,
        "Slack channel id that receives the alarms through AWS Chatbot; with slackWorkspaceId.",
        default="",
        check=matches(_SLACK_CHANNEL, "a Slack channel id such as C07EZ1ABC23", True),
        field="alerting.slack_channel_id",
    ),
    Key(
        "alertHttpsEndpoint",
        str,
        "Optional HTTPS endpoint subscribed to the alarm topic (an incident tool's SNS integration URL).",
        default="",
        check=matches(_HTTPS_URL, "an https:// URL", True),
        field="alerting.https_endpoint",
    ),
    Key(
        "runbookBaseUrl",
        str,
        "Where docs/runbooks/ is read (e.g. the repository's web view of that folder): alarms and alert rules "
        "link `<url>/<alarm>.md`; empty: the repository path `docs/runbooks/<alarm>.md`.",
        default="",
        check=_runbook_base_url,
        field="alerting.runbook_base_url",
    ),
    Key(
        "alarmResponseTimeMs",
        int,
        "p95 ALB target response time that alarms, in ms (seed HighResponseTime: 1 s).",
        default=1000,
        check=int_range(50, 60000),
        field="alerting.response_time_ms",
    ),
    Key(
        "alarmErrorRatePercent",
        int,
        "Target 5xx responses as a percent of requests that alarms (seed HighErrorRate, as a ratio; 5: the seed's 95 % gate).",
        default=5,
        check=int_range(1, 100),
        field="alerting.error_rate_percent",
    ),
    Key(
        "alarmDbConnectionsPercent",
        int,
        "DatabaseConnections alarm as a percent of max_connections (seed DatabaseConnectionHigh: 80 of 200).",
        default=40,
        check=int_range(1, 100),
        field="alerting.db_connections_percent",
    ),
    Key(
        "alarmRedisMemoryPercent",
        int,
        "ElastiCache DatabaseMemoryUsagePercentage that alarms (seed RedisMemoryHigh: 80 %).",
        default=80,
        check=int_range(1, 100),
        field="alerting.redis_memory_percent",
    ),
    # --- log search (docs/logs.md, "Search (optional)") -------------------------------------
    Key(
        "logSearch",
        bool,
        "An OpenSearch Service domain fed the app's parsed logs (GeoIP, the seed's index template); off on every stack.",
        default=False,
        field="log_search.enabled",
    ),
    Key(
        "logSearchRetentionDays",
        int,
        "With logSearch: days the domain keeps a daily nox-api-* index (its ISM policy deletes older ones).",
        default=30,
        check=int_range(1, 3650),
        field="log_search.retention_days",
    ),
    # --- Prometheus (the seed's alert rules) ------------------------------------------------
    Key(
        "prometheusRetention",
        str,
        "eks: how long the in-cluster Prometheus keeps metrics (Prometheus duration, e.g. `15d`).",
        profile=per_env("7d", "15d", "30d"),
        check=matches(_PROM_DURATION, "a Prometheus duration in hours, days, weeks or years, e.g. 36h, 15d, 4w, 1y"),
        field="prometheus.retention",
    ),
    Key(
        "prometheusStorageGib",
        int,
        "eks: size of Prometheus's encrypted gp3 volume in GiB.",
        profile=per_env(20, 50, 100),
        check=int_range(10, 16384),
        field="prometheus.storage_gib",
    ),
    Key(
        "managedPrometheus",
        bool,
        "asg: evaluate the app's alerts in Amazon Managed Service for Prometheus (only dev may turn it off).",
        default=True,
        field="prometheus.managed",
    ),
)

KEYS_BY_NAME = {k.name: k for k in KEYS}
