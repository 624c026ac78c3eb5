"""Settings: every key's rule, the cross-field rules, profiles, and Pulumi.yaml kept in step."""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from offline.config import read_stack_config
from settings import ConfigError, build
from settings.schema import KEYS, KEYS_BY_NAME, LOG_RETENTION_DAYS, image_problem

ROOT = Path(__file__).resolve().parent.parent
IMAGE = "123456789012.dkr.ecr.us-west-2.amazonaws.com/nox-api:v8.0.0"
IMAGE2 = "123456789012.dkr.ecr.us-west-2.amazonaws.com/nox-api:v8.1.0"
DIGEST = "123456789012.dkr.ecr.us-west-2.amazonaws.com/nox-api@sha256:" + "ab" * 32


def stack_raw(stack: str) -> dict[str, str]:
    """The `nox:` values of a shipped stack, as the CLI would hand them over (namespace stripped)."""
    cfg = read_stack_config(ROOT, stack)
    return {k.split(":", 1)[1]: v for k, v in cfg.values.items() if k.startswith("nox:")}


def settings_for(stack: str = "dev", **overrides):
    raw = stack_raw(stack)
    raw.update(
        {k: (json.dumps(v) if isinstance(v, list) else str(v).lower() if isinstance(v, bool) else str(v)) for k, v in overrides.items()}
    )
    return build("nox-infra", stack, "us-west-2", raw)


def problems(stack: str = "dev", **overrides) -> str:
    with pytest.raises(ConfigError) as err:
        settings_for(stack, **overrides)
    return str(err.value)


# --- shipped stacks and profiles ---------------------------------------------------------


def test_shipped_stacks_build_with_their_profiles():
    dev, staging, prod = (settings_for(s) for s in ("dev", "staging", "prod"))
    assert (dev.platform, staging.platform, prod.platform) == ("asg", "eks", "eks")
    assert (dev.network.az_count, prod.network.az_count) == (2, 3)
    assert (dev.network.nat_per_az, prod.network.nat_per_az) == (False, True)
    assert (dev.network.interface_endpoints, prod.network.interface_endpoints) == (False, True)
    assert (dev.database.backup_retention_days, staging.database.backup_retention_days, prod.database.backup_retention_days) == (1, 7, 30)
    assert (dev.database.multi_az, dev.database.read_replica) == (False, False)
    assert (prod.database.multi_az, prod.database.read_replica, prod.deletion_protection) == (True, True, True)
    assert prod.cache.replicas_per_shard == 2 and prod.cache.shards == 1  # the seed's M1/S1/S2
    assert prod.cache.snapshot_retention_days == 7
    assert prod.network.cidr == "10.0.0.0/16"


def profile_defaults(environment: str, **extra):
    """Settings of a stack that sets only what is required: every other value is the profile's default."""
    raw = {
        "environment": environment,
        "domain": "api.example.com",
        "hostedZoneId": "Z0EXAMPLE1234",
        "corsAllowOrigin": "https://app.example.com",
        "imageBlue": DIGEST if environment == "prod" else IMAGE,
        "eksAdminRoleArn": "arn:aws:iam::123456789012:role/admin",
        "deployerSecurityGroupId": "sg-0123456789abcdef0",
        "alertEmails": '["oncall@example.com"]',
        **extra,
    }
    return build("nox-infra", environment, "us-west-2", raw)


# Each environment's defaults. staging and prod carry the seed's numbers (ASG 2/20/3, HPA 3/20).
PROFILES = {
    "dev": {
        "platform": "asg",
        "azs": 2,
        "nat_per_az": False,
        "endpoints": False,
        "logs": 30,
        "access_logs": 30,
        "instance": "t3.small",
        "asg": (1, 4, 1),
        "db_class": "db.t4g.medium",
        "db_max_storage": 100,
        "multi_az": False,
        "replica": False,
        "backups": 1,
        "protect": False,
        "cache_node": "cache.t4g.small",
        "cache_replicas": 0,
        "snapshots": 1,
        "nodes": (["t3.large"], 2, 4, 2),
        "hpa": (2, 6),
    },
    "staging": {
        "platform": "eks",
        "azs": 3,
        "nat_per_az": False,
        "endpoints": True,
        "logs": 90,
        "access_logs": 90,
        "instance": "m6i.large",
        "asg": (2, 20, 3),
        "db_class": "db.m7g.large",
        "db_max_storage": 500,
        "multi_az": True,
        "replica": True,
        "backups": 7,
        "protect": True,
        "cache_node": "cache.m7g.large",
        "cache_replicas": 1,
        "snapshots": 3,
        "nodes": (["m6i.large"], 3, 6, 3),
        "hpa": (3, 20),
    },
    "prod": {
        "platform": "eks",
        "azs": 3,
        "nat_per_az": True,
        "endpoints": True,
        "logs": 365,
        "access_logs": 365,
        "instance": "m6i.large",
        "asg": (2, 20, 3),
        "db_class": "db.r7g.large",
        "db_max_storage": 1000,
        "multi_az": True,
        "replica": True,
        "backups": 30,
        "protect": True,
        "cache_node": "cache.r7g.large",
        "cache_replicas": 2,
        "snapshots": 7,
        "nodes": (["m6i.large", "m7i.large"], 3, 10, 3),
        "hpa": (3, 20),
    },
}


@pytest.mark.parametrize("environment", PROFILES)
def test_profile_defaults_are_exact(environment):
    s, want = profile_defaults(environment), PROFILES[environment]
    assert s.platform == want["platform"]
    assert (s.network.az_count, s.network.nat_per_az, s.network.interface_endpoints, s.network.log_retention_days) == (
        want["azs"],
        want["nat_per_az"],
        want["endpoints"],
        want["logs"],
    )
    assert s.edge.access_log_expiration_days == want["access_logs"]
    assert s.fleet.instance_type == want["instance"]
    assert (s.fleet.min_size, s.fleet.max_size, s.fleet.desired) == want["asg"]
    d = s.database
    assert (d.instance_class, d.max_allocated_storage, d.multi_az, d.read_replica, d.backup_retention_days) == (
        want["db_class"],
        want["db_max_storage"],
        want["multi_az"],
        want["replica"],
        want["backups"],
    )
    assert s.deletion_protection is want["protect"]
    c = s.cache
    assert (c.node_type, c.shards, c.replicas_per_shard, c.snapshot_retention_days) == (
        want["cache_node"],
        1,
        want["cache_replicas"],
        want["snapshots"],
    )
    e = s.eks
    assert (list(e.node_instance_types), e.node_min, e.node_max, e.node_desired) == (want["nodes"][0], *want["nodes"][1:])
    assert (e.hpa_min, e.hpa_max) == want["hpa"]


def test_global_defaults_are_exact():
    s = profile_defaults("prod")
    # AWS's recommended policy today: hybrid post-quantum key exchange, TLS 1.2 restricted ciphers.
    assert (s.edge.ssl_policy, s.edge.idle_timeout, s.edge.geo_block_countries) == ("ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09", 3600, ())
    assert (s.eks.support_type, s.teardown, s.eks.deployer_cidrs) == ("STANDARD", "none", ())
    assert (s.release.strategy, s.release.active, s.release.canary_weight) == ("bluegreen", "blue", 0)
    assert (s.network.cidr, s.owner, s.cost_center) == ("10.0.0.0/16", "platform-team", "nox-api")
    assert (s.database.engine_version, s.database.allocated_storage, s.cache.engine, s.eks.version) == ("17", 20, "redis", "1.35")


def test_prod_carries_the_seed_numbers():
    prod = settings_for("prod", platform="asg")
    assert (prod.fleet.min_size, prod.fleet.max_size, prod.fleet.desired) == (2, 20, 3)
    assert (prod.eks.hpa_min, prod.eks.hpa_max) == (3, 20)
    assert prod.edge.idle_timeout == 3600
    assert prod.edge.ssl_policy == "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09"
    assert prod.database.max_connections == 200


def test_tags_come_from_config():
    s = settings_for("staging", owner="team-nox", costCenter="cc-42")
    assert s.tags == {"Project": "nox-infra", "Environment": "staging", "ManagedBy": "pulumi", "Owner": "team-nox", "CostCenter": "cc-42"}


def test_stack_value_overrides_profile_default():
    assert settings_for("dev", azCount=3).network.az_count == 3
    assert settings_for("staging", natGateways="perAz").network.nat_per_az is True


# --- one bad value per key -----------------------------------------------------------------

BAD_VALUES = [
    ("environment", "production", "one of dev, staging, prod"),
    ("platform", "ecs", "one of asg, eks"),
    ("vpcCidr", "10.0.0.1/16", "no host bits"),
    ("vpcCidr", "10.0.0.0/24", "/16 to /20"),
    ("vpcCidr", "8.8.0.0/16", "RFC 1918"),
    ("vpcCidr", "banana", "IPv4 CIDR"),
    ("azCount", "1", "from 2 to 4"),
    ("azCount", "three", "an integer"),
    ("natGateways", "none", "single, perAz"),
    ("interfaceEndpoints", "yes", "true or false"),
    ("logRetentionDays", "10", "one of 1, 3, 5"),
    ("domain", "API.Example.COM", "lower-case DNS name"),
    ("hostedZoneId", "zone-1", "hosted zone id"),
    ("certificateArn", "arn:aws:iam::123456789012:server-certificate/x", "ACM certificate ARN"),
    ("sslPolicy", "ELBSecurityPolicy-2016-08", "TLS_POLICIES, e.g. ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09"),
    ("sslPolicy", "ELBSecurityPolicy-TLS13-1-0-PQ-2025-09", "one of the 8 forward-secret AEAD-only TLS 1.2+ ALB policies"),
    ("sslPolicy", "ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06", "one of the 8 forward-secret AEAD-only"),
    ("corsAllowOrigin", "http://app.example.com", "https origin"),
    ("corsAllowOrigin", "https://app.example.com/path", "https origin"),
    ("albIdleTimeout", "30", "from 60 to 4000"),
    ("accessLogExpirationDays", "0", "from 1 to 3650"),
    ("wafGeoBlockCountries", '["cn"]', "ISO 3166-1 alpha-2"),
    ("wafGeoBlockCountries", "CN", "list of strings"),
    ("releaseStrategy", "rolling", "bluegreen, canary"),
    ("releaseActive", "red", "blue, green"),
    ("imageBlue", "nox-api:latest", "latest is not allowed"),
    ("imageBlue", "nox-api", "add a version tag or a sha256 digest"),
    ("imageGreen", "Nox Api", "image reference"),
    ("releaseCanaryWeight", "101", "from 0 to 100"),
    ("instanceType", "large", "EC2 instance type"),
    ("asgMax", "0", "from 1 to 100"),
    ("dbEngineVersion", "13", "a major (14, 15, 16, 17) or a minor in standard support"),
    ("dbEngineVersion", "16.x", "a major (14, 15, 16, 17) or a minor in standard support"),
    ("dbInstanceClass", "db.x9.huge", "one of db.t4g.micro"),
    ("dbAllocatedStorage", "10", "from 20 to 65536"),
    ("dbBackupRetentionDays", "36", "from 1 to 35"),
    ("backupCopyVaultArn", "arn:aws:s3:::bucket", "AWS Backup vault ARN"),
    ("deletionProtection", "maybe", "true or false"),
    ("cacheEngine", "memcached", "one of redis, valkey"),
    ("cacheEngineVersion", "6.2", "one of 7.0, 7.1, 7.2, 8.0, 8.1"),
    ("cacheNodeType", "r7g.large", "ElastiCache node type"),
    ("cacheReplicasPerShard", "6", "from 0 to 5"),
    ("eksVersion", "1.29", "one of 1.32"),
    ("eksPublicAccessCidrs", '["1.2.3.4/8"]', "no host bits"),
    ("deployerCidrs", '["10.1.2.3/16"]', "no host bits"),
    ("deployerCidrs", "10.1.0.0/16", "list of strings"),
    ("deployerSecurityGroupId", "sg-123", "security group id such as sg-0123456789abcdef0"),
    ("deployerSecurityGroupId", "sg-0123456789ABCDEF0", "security group id"),
    ("eksSupportType", "standard", "one of STANDARD, EXTENDED"),
    ("eksSupportAsOf", "2026-13-01", "a date YYYY-MM-DD"),
    ("eksSupportAsOf", "2 Dec 2026", "a date YYYY-MM-DD"),
    ("teardown", "all", "one of none, platform, stack"),
    ("eksAdminRoleArn", "arn:aws:iam::123:user/x", "IAM role ARN"),
    ("eksNodeInstanceTypes", '["big"]', "EC2 instance types"),
    ("hpaMaxReplicas", "101", "from 1 to 100"),
    ("migrationCommand", "x" * 600, "at most 512 characters"),
    ("migrationImage", "registry.example.com/nox-api:latest", "latest is not allowed"),
    ("migrationTimeout", "30", "from 60 to 3600"),
    ("karpenterArchitecture", "x86_64", "one of amd64, arm64"),
    ("karpenterCapacityTypes", '["ondemand"]', "capacity types from on-demand, spot"),
    ("karpenterCapacityTypes", "[]", "at least 1 item"),
    ("karpenterInstanceCategories", '["x"]', "instance categories from c, m, r"),
    ("karpenterCpuLimit", "0", "from 1 to 10000"),
    ("karpenterMemoryLimitGib", "0", "from 1 to 100000"),
    ("prometheusRetention", "15 days", "Prometheus duration"),
    ("prometheusRetention", "90m", "Prometheus duration"),
    ("prometheusStorageGib", "5", "from 10 to 16384"),
    ("managedPrometheus", "off", "true or false"),
    ("owner", "x" * 300, "tag value"),
    ("alertEmails", '["oncall"]', "email addresses"),
    ("alertEmails", "oncall@example.com", "list of strings"),
    ("slackWorkspaceId", "t07ea123lep", "Slack workspace id"),
    ("slackChannelId", "C07-EZ1", "Slack channel id"),
    ("alertHttpsEndpoint", "http://events.example.com/sns", "https:// URL"),
    ("runbookBaseUrl", "https://git.example.com/nox-infra/docs/runbooks/", "without a trailing slash"),
    ("runbookBaseUrl", "https://git.example.com/" + "x" * 200, "at most 200 characters"),
    ("runbookBaseUrl", "docs/runbooks", "https:// URL"),
    ("alarmResponseTimeMs", "10", "from 50 to 60000"),
    ("alarmErrorRatePercent", "0", "from 1 to 100"),
    ("alarmDbConnectionsPercent", "101", "from 1 to 100"),
    ("alarmRedisMemoryPercent", "0", "from 1 to 100"),
    ("logSearch", "yes", "true or false"),
    ("logSearchRetentionDays", "0", "from 1 to 3650"),
    ("drRegion", "us-west", "a region the pinned botocore knows"),
    ("dbRestoreSnapshot", "rds:-bad", "an RDS snapshot identifier"),
    ("dbRestoreSnapshot", "arn:aws:rds:us-west-2:123:snapshot:x", "an RDS snapshot identifier"),
    ("dbRestoreSourceInstance", "nox-prod-db-", "a DB instance identifier"),
    ("dbRestoreTime", "2026-12-01T03:04:05+01:00", "a UTC time YYYY-MM-DDTHH:MM:SSZ"),
    ("dbRestoreTime", "yesterday", "latest (the newest restorable time)"),
    ("dbRestoreKmsKeyArn", "arn:aws:kms:us-west-2:123456789012:alias/nox", "a KMS key ARN"),
    ("cacheRestoreSnapshot", "-nox", "an ElastiCache snapshot name"),
    ("restoreConfirm", "Staging", "a stack name"),
]


@pytest.mark.parametrize(("key", "value", "allowed"), BAD_VALUES, ids=[f"{k}={v[:20]}" for k, v, _ in BAD_VALUES])
def test_bad_value_names_key_value_and_what_is_allowed(key, value, allowed):
    message = problems("dev", **{key: value})
    line = next(line for line in message.splitlines() if f"nox:{key}" in line)
    assert value[:20] in line or key == "owner"
    assert allowed in line


def test_every_key_has_a_bad_value_case_or_is_free_form():
    tested = {k for k, _, _ in BAD_VALUES}
    free_form = {"costCenter", "interfaceEndpoints", "dbMultiAz", "dbReadReplica"}  # booleans / same rule as owner
    untested = {k.name for k in KEYS if k.check} - tested - free_form
    # Keys whose rule is the same helper as a tested key (ranges) are covered by that helper's test.
    assert untested <= {
        "asgMin",
        "asgDesired",
        "dbMaxAllocatedStorage",
        "cacheShards",
        "cacheSnapshotRetentionDays",
        "eksNodeMin",
        "eksNodeMax",
        "eksNodeDesired",
        "hpaMinReplicas",
    }


def test_secret_nox_value_is_refused_not_unwrapped():
    raw = stack_raw("dev")
    raw["corsAllowOrigin"] = ""  # a secret value is never read: what the loader hands over
    with pytest.raises(ConfigError) as err:
        build("nox-infra", "dev", "us-west-2", raw, secret_keys=["corsAllowOrigin"])
    # One message for the key, not a second one about the value it was never given.
    assert err.value.problems == [
        "nox:corsAllowOrigin is stored as a secret, but no nox: setting is secret: "
        "set it without --secret (pulumi config set nox:corsAllowOrigin <value>)"
    ]


def test_unknown_key_is_an_error_not_ignored():
    assert "nox:azCuont is not a known setting" in problems("dev", azCuont="3")


def test_environment_is_required():
    raw = stack_raw("dev")
    del raw["environment"]
    with pytest.raises(ConfigError, match="nox:environment is required"):
        build("nox-infra", "dev", "us-west-2", raw)


def test_region_is_required():
    with pytest.raises(ConfigError, match="aws:region is required"):
        build("nox-infra", "dev", None, stack_raw("dev"))


def test_required_key_missing_is_named():
    raw = stack_raw("dev")
    del raw["corsAllowOrigin"]
    with pytest.raises(ConfigError, match="nox:corsAllowOrigin is required"):
        build("nox-infra", "dev", "us-west-2", raw)


def test_all_problems_reported_together():
    message = problems("dev", azCount="9", platform="ecs")
    assert "nox:azCount" in message and "nox:platform" in message


# --- ranges and CIDRs, property-based --------------------------------------------------------


@given(st.integers(min_value=-5, max_value=12))
def test_az_count_range(n):
    if 2 <= n <= 4:
        assert settings_for("dev", azCount=n).network.az_count == n
    else:
        assert "nox:azCount" in problems("dev", azCount=n)


@given(st.sampled_from(["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]), st.integers(16, 20), st.data())
def test_any_private_cidr_from_16_to_20_is_accepted(block, prefix, data):
    parent = ipaddress.ip_network(block)
    if prefix < parent.prefixlen:
        return
    subnets = 2 ** (prefix - parent.prefixlen)
    index = data.draw(st.integers(0, subnets - 1))
    cidr = str(
        list(parent.subnets(new_prefix=prefix))[index]
        if subnets <= 4096
        else ipaddress.ip_network((int(parent.network_address) + index * 2 ** (32 - prefix), prefix))
    )
    assert settings_for("dev", vpcCidr=cidr).network.cidr == cidr


@given(st.integers(0, 2**32 - 1), st.integers(16, 20))
def test_cidr_with_host_bits_is_rejected(address, prefix):
    net = ipaddress.ip_network((address, prefix), strict=False)
    if int(net.network_address) == address:
        return
    assert "no host bits" in problems("dev", vpcCidr=f"{ipaddress.ip_address(address)}/{prefix}")


@given(st.integers(min_value=-10, max_value=4000))
def test_log_retention_only_cloudwatch_values(days):
    if days in LOG_RETENTION_DAYS:
        assert settings_for("dev", logRetentionDays=days).network.log_retention_days == days
    else:
        assert "nox:logRetentionDays" in problems("dev", logRetentionDays=days)


# --- cross-field rules ------------------------------------------------------------------------


@pytest.mark.parametrize(("lo", "mid", "hi"), [("asgMin", "asgDesired", "asgMax"), ("eksNodeMin", "eksNodeDesired", "eksNodeMax")])
def test_min_le_desired_le_max(lo, mid, hi):
    message = problems("staging", **{lo: 5, mid: 4, hi: 6})
    assert f"nox:{lo} (5) <= nox:{mid} (4) <= nox:{hi} (6) must hold" in message
    assert f"nox:{mid} (9)" in problems("staging", **{lo: 2, mid: 9, hi: 6})


def test_hpa_min_le_max():
    assert "nox:hpaMinReplicas (7) <= nox:hpaMaxReplicas (6)" in problems("dev", hpaMinReplicas=7, hpaMaxReplicas=6)


def test_storage_autoscaling_needs_headroom():
    assert "nox:dbMaxAllocatedStorage = 21: must be at least 110% of nox:dbAllocatedStorage (20), i.e. >= 22" in problems(
        "dev", dbMaxAllocatedStorage=21
    )
    assert settings_for("dev", dbMaxAllocatedStorage=22).database.max_allocated_storage == 22
    assert ">= 112" in problems("dev", dbAllocatedStorage=101, dbMaxAllocatedStorage=110)  # 111.1 rounds up


def test_certificate_source_exactly_one():
    assert "set exactly one" in problems("dev", hostedZoneId="")
    arn = "arn:aws:acm:us-west-2:123456789012:certificate/0a1b2c3d-0000-4000-8000-0123456789ab"
    assert "set exactly one" in problems("dev", certificateArn=arn)
    assert settings_for("dev", hostedZoneId="", certificateArn=arn).edge.certificate_arn == arn


def test_release_rules():
    assert "nox:imageGreen is empty but nox:releaseActive = 'green'" in problems("dev", releaseActive="green")
    assert "candidate colour (green) needs an image" in problems("dev", releaseStrategy="canary", releaseCanaryWeight=10)
    assert "must be 0 when nox:releaseStrategy = 'bluegreen'" in problems("dev", imageGreen=IMAGE2, releaseCanaryWeight=10)


def test_bluegreen_puts_all_traffic_on_the_active_colour():
    s = settings_for("dev", imageGreen=IMAGE2)
    assert s.release.weights == {"blue": 100, "green": 0}
    assert s.release.deployed == ("blue", "green")
    s = settings_for("dev", imageGreen=IMAGE2, releaseActive="green")
    assert s.release.weights == {"green": 100, "blue": 0}
    assert settings_for("dev").release.deployed == ("blue",)


@pytest.mark.parametrize("stage", [0, 1, 5, 10, 25, 50, 100])  # the seed's CANARY_STAGES, and rollback
def test_canary_stage_weights(stage):
    s = settings_for("dev", imageGreen=IMAGE2, releaseStrategy="canary", releaseCanaryWeight=stage)
    assert s.release.weights == {"blue": 100 - stage, "green": stage}
    assert sum(s.release.weights.values()) == 100


@pytest.mark.parametrize(
    ("ref", "ok"),
    [
        (IMAGE, True),
        ("ghcr.io/nox/nox-api@sha256:" + "a" * 64, True),
        ("nox-api:latest@sha256:" + "b" * 64, True),  # the digest pins it
        ("localhost:5000/nox-api:v8", True),
        ("registry.example.com:443/team/nox-api:8", True),
        # A numeric tag is a tag, not a registry port (a port is always followed by a path).
        ("nox-api:1234", True),
        ("123456789012.dkr.ecr.us-west-2.amazonaws.com/nox-api:20240101", True),
        ("localhost:5000/nox-api", False),  # a port and no tag: latest
        ("nox-api:5000:v1", False),
        ("nox-api:latest", False),
        ("nox-api", False),
        ("nox-api@sha256:abc", False),
        ("nox-api@sha256:" + "a" * 32, False),  # a digest is exactly 64 hex digits, no shorter
        ("nox-api@sha256:" + "a" * 63, False),
        ("nox-api@sha256:" + "A" * 64, False),  # lower-case hex only
    ],
)
def test_image_must_be_pinned(ref, ok):
    assert (image_problem(ref) is None) is ok


def test_instance_memory_must_hold_the_seed_buffers():
    message = problems("dev", dbInstanceClass="db.t4g.micro")
    assert "nox:dbInstanceClass = 'db.t4g.micro' (1 GiB)" in message
    assert "effective_cache_size 1024MB" in message
    assert settings_for("dev", dbInstanceClass="db.t4g.small").database.memory_gib == 2


def test_seed_memory_rule_is_40_percent_for_shared_buffers_and_75_for_cache_size(monkeypatch):
    """Both halves of the rule at their boundary (2 GiB = 2048 MiB: 40 % = 819.2, 75 % = 1536).

    With the seed's own buffers the cache-size half always binds first, so the shared_buffers half is
    pinned here with other buffer sizes.
    """
    from settings import model

    monkeypatch.setattr(model, "EFFECTIVE_CACHE_SIZE_MIB", 0)
    monkeypatch.setattr(model, "SHARED_BUFFERS_MIB", 819)
    assert model.fits_seed_memory(2)
    monkeypatch.setattr(model, "SHARED_BUFFERS_MIB", 820)
    assert not model.fits_seed_memory(2)
    monkeypatch.setattr(model, "SHARED_BUFFERS_MIB", 0)
    monkeypatch.setattr(model, "EFFECTIVE_CACHE_SIZE_MIB", 1536)
    assert model.fits_seed_memory(2)
    monkeypatch.setattr(model, "EFFECTIVE_CACHE_SIZE_MIB", 1537)
    assert not model.fits_seed_memory(2)


def test_postgres_family_follows_major():
    assert settings_for("dev", dbEngineVersion="16.10").database.family == "postgres16"
    assert settings_for("dev").database.family == "postgres17"


def test_cache_engine_version_must_match_engine():
    assert "for nox:cacheEngine = 'valkey'" in problems("dev", cacheEngine="valkey", cacheEngineVersion="7.1")
    valkey = settings_for("dev", cacheEngine="valkey")
    assert (valkey.cache.engine_version, valkey.cache.family) == ("8.1", "valkey8")
    assert settings_for("dev").cache.family == "redis7"


PROD_FLOORS = [
    ("deletionProtection", False, "must be true in prod"),
    ("dbMultiAz", False, "must be true in prod"),
    ("dbBackupRetentionDays", 3, "must be at least 7 in prod"),
    ("cacheReplicasPerShard", 0, "must be at least 1 (automatic failover needs a replica) in prod"),
    ("cacheSnapshotRetentionDays", 0, "must be at least 1 in prod"),
    ("asgMin", 1, "must be at least 2 in prod"),
    ("hpaMinReplicas", 1, "must be at least 2 in prod"),
]


@pytest.mark.parametrize(("key", "value", "message"), PROD_FLOORS)
def test_prod_is_never_weaker(key, value, message):
    assert f"nox:{key} = {json.dumps(value)}: {message}" in problems("prod", **{key: value})
    settings_for("dev", **{key: value})  # the same value is fine outside prod


@pytest.mark.parametrize(
    ("key", "weakest_allowed", "too_weak"),
    [
        ("dbBackupRetentionDays", 7, 6),
        ("cacheReplicasPerShard", 1, 0),
        ("cacheSnapshotRetentionDays", 1, 0),
        ("asgMin", 2, 1),
        ("hpaMinReplicas", 2, 1),
    ],
)
def test_prod_floors_sit_exactly_at_the_documented_minimum(key, weakest_allowed, too_weak):
    assert built_value(settings_for("prod", **{key: weakest_allowed}), key) == weakest_allowed
    assert f"nox:{key} = {too_weak}: must be at least" in problems("prod", **{key: too_weak})


def built_value(settings, key: str):
    """The built setting a `nox:` key lands in."""
    return {
        "dbBackupRetentionDays": settings.database.backup_retention_days,
        "cacheReplicasPerShard": settings.cache.replicas_per_shard,
        "cacheSnapshotRetentionDays": settings.cache.snapshot_retention_days,
        "asgMin": settings.fleet.min_size,
        "hpaMinReplicas": settings.eks.hpa_min,
    }[key]


def test_eks_needs_an_admin_role():
    assert "nox:eksAdminRoleArn is empty but nox:platform = 'eks'" in problems("prod", eksAdminRoleArn="")
    settings_for("dev", eksAdminRoleArn="")  # asg needs none


def test_prod_eks_api_never_open_to_the_world():
    assert "'0.0.0.0/0' is not (a real source range" in problems("prod", eksPublicAccessCidrs=["0.0.0.0/0"])
    assert "'::/0' is not (a real source range" in problems("prod", eksPublicAccessCidrs=["81.2.69.0/24", "::/0"])
    assert "'10.0.0.0/16' is not (a public range" in problems("dev", eksPublicAccessCidrs=["10.0.0.0/16"])
    assert settings_for("prod", eksPublicAccessCidrs=["81.2.69.0/24"]).eks.public_access_cidrs == ("81.2.69.0/24",)


# --- connection budget ---------------------------------------------------------------------


def test_connection_budget_per_platform():
    # dev asg: 4 max x 2 colours = 8 instances -> min(20, 180 // 8) = 20 (the seed's pool)
    assert settings_for("dev").database.pool_max == 20
    # prod eks: 20 pods x 2 colours = 40 -> 180 // 40 = 4
    assert settings_for("prod").database.pool_max == 4
    assert settings_for("prod", platform="asg").database.pool_max == 4
    # (45 pods a colour need 34 vCPU / 136 GiB of nodes: the NodePool capacity rule.)
    assert settings_for("prod", hpaMaxReplicas=45, karpenterCpuLimit=34, karpenterMemoryLimitGib=136).database.pool_max == 2


def test_connection_budget_error_names_the_key():
    message = problems("dev", asgMax=46)
    assert "nox:asgMax = 46: 92 app instances" in message and "max_connections 200" in message
    assert "nox:hpaMaxReplicas = 50" in problems("prod", hpaMaxReplicas=50)


# --- Pulumi.yaml and stack files stay in step with the schema ------------------------------


def test_pulumi_yaml_declares_every_global_default():
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    assert project["name"] == "nox-infra"
    assert project["runtime"] == {"name": "python", "options": {"toolchain": "pip", "virtualenv": "venv"}}
    declared = {}
    for key, value in project["config"].items():
        assert key.startswith("nox:"), key
        # The CLI rejects type/default schemas on keys outside the project's namespace.
        assert not (isinstance(value, dict) and set(value) & {"type", "default"}), key
        declared[key[4:]] = value["value"] if isinstance(value, dict) else value
    expected = {k.name: k.default for k in KEYS if not k.profile and not k.required}
    assert declared == expected


def test_pulumi_yaml_config_block_is_generated_from_the_schema():
    from settings.docs import pulumi_yaml_config

    text = (ROOT / "Pulumi.yaml").read_text()
    assert text[text.index("config:\n") :] == pulumi_yaml_config(), "run: venv/bin/python -m settings.docs --write"


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_stack_files_use_only_known_keys(stack):
    config = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
    for key in config:
        namespace, name = key.split(":")
        assert namespace in ("nox", "aws")
        assert namespace == "aws" or name in KEYS_BY_NAME
    assert config["nox:environment"] == stack


def test_readme_config_table_is_generated_from_the_schema():
    from settings.docs import BEGIN, END, config_table

    readme = (ROOT / "README.md").read_text()
    assert readme[readme.index(BEGIN) : readme.index(END) + len(END)] == config_table()


# --- EKS: a deployer path, supported versions, teardown ------------------------------------------


def test_eks_needs_a_deployer_path():
    message = problems("prod", deployerSecurityGroupId="")
    assert "nox:eksPublicAccessCidrs, nox:deployerCidrs and nox:deployerSecurityGroupId are all empty" in message
    assert "nox:platform = 'eks'" in message
    settings_for("prod", deployerSecurityGroupId="", platform="asg")  # no cluster, no path needed
    by_cidr = settings_for("prod", deployerSecurityGroupId="", deployerCidrs=["10.20.0.0/24"])
    assert by_cidr.eks.deployer_cidrs == ("10.20.0.0/24",) and by_cidr.eks.deployer_security_group_id == ""
    public = settings_for("dev", platform="eks", deployerSecurityGroupId="", eksPublicAccessCidrs=["81.2.69.0/24"])
    assert public.eks.public_access_cidrs == ("81.2.69.0/24",) and not public.eks.deployer_cidrs
    assert settings_for("dev", platform="eks").eks.deployer_security_group_id == "sg-0123456789abcdef0"
    assert settings_for("prod").eks.deployer_security_group_id == "sg-0123456789abcdef0"


def test_deployer_cidrs_use_the_eks_cidr_rules():
    # The same rule (cidr_problem) as eksPublicAccessCidrs, with private ranges allowed: host bits,
    # never-a-source ranges (so any /0) and, in prod, anything wider than /16 are refused.
    assert KEYS_BY_NAME["deployerCidrs"].check(["1.2.3.4/8"]) and KEYS_BY_NAME["eksPublicAccessCidrs"].check(["1.2.3.4/8"])
    for cidrs in (["0.0.0.0/0"], ["10.0.0.0/24", "::/0"]):
        assert "nox:deployerCidrs = " in problems("dev", deployerCidrs=cidrs)
    assert "no wider than /16 (IPv4) or /32 (IPv6) in prod" in problems("prod", deployerCidrs=["10.0.0.0/8"])
    assert settings_for("dev", deployerCidrs=["10.0.0.0/8"]).eks.deployer_cidrs == ("10.0.0.0/8",)
    assert settings_for("prod", deployerCidrs=["10.20.0.0/24"]).eks.deployer_cidrs == ("10.20.0.0/24",)


def test_eks_version_must_be_in_standard_support_unless_extended():
    message = problems("prod", eksVersion="1.33")
    assert "nox:eksVersion = '1.33': standard support ended on 2026-07-29" in message
    assert "nox:eksSupportAsOf (2026-12-02)" in message and "use one of 1.35" in message
    assert "or set nox:eksSupportType = 'EXTENDED'" in message
    # 1.34 leaves standard support on the table's date itself (support ends at 00:00 UTC that day).
    assert "nox:eksVersion = '1.34'" in problems("prod", eksVersion="1.34")
    extended = settings_for("prod", eksVersion="1.33", eksSupportType="EXTENDED")
    assert (extended.eks.version, extended.eks.support_type) == ("1.33", "EXTENDED")
    assert settings_for("prod", eksVersion="1.34", eksSupportAsOf="2026-12-01").eks.version == "1.34"
    # Past the end of extended support nothing helps but another version.
    late = problems("prod", eksVersion="1.32", eksSupportType="EXTENDED", eksSupportAsOf="2027-03-23")
    assert "extended support ended on 2027-03-23" in late and "use one of 1.33, 1.34, 1.35" in late and "'EXTENDED' (paid)" not in late
    assert "no known version is supported then" in problems("prod", eksSupportAsOf="2028-04-01", eksSupportType="EXTENDED")
    settings_for("dev", eksVersion="1.33")  # platform asg: no cluster, no rule


def test_eks_support_warning_within_90_days_of_the_as_of_date():
    assert settings_for("prod").warnings == ()  # 1.35 ends 2027-03-27: 115 days after the table's date
    soon = settings_for("prod", eksSupportAsOf="2026-12-27")  # exactly 90 days before
    assert soon.warnings == (
        "nox:eksVersion = '1.35' leaves EKS standard support on 2027-03-27, 90 days after nox:eksSupportAsOf "
        "(2026-12-27); then AWS upgrades the control plane automatically. Upgrade first (docs/deploying.md, EKS upgrades).",
    )
    assert settings_for("prod", eksSupportAsOf="2026-12-26").warnings == ()  # 91 days
    extended = settings_for("prod", eksSupportAsOf="2027-03-01", eksSupportType="EXTENDED")
    assert "extended support (paid) begins" in extended.warnings[0]
    assert settings_for("prod", eksSupportAsOf="2027-03-01", platform="asg").warnings == ()


def test_teardown_lifts_protections():
    prod = settings_for("prod")
    assert (prod.deletion_protection, prod.platform_protect) == (True, True)
    platform = settings_for("prod", teardown="platform")
    assert (platform.deletion_protection, platform.platform_protect) == (True, False)
    stack = settings_for("prod", teardown="stack")
    assert (stack.deletion_protection, stack.platform_protect) == (False, False)
    # The prod floor holds unless the stack is being torn down, and its message says how.
    message = problems("prod", deletionProtection=False)
    assert "nox:deletionProtection = false: must be true in prod; to tear prod down set nox:teardown = 'stack'" in message
    assert settings_for("prod", deletionProtection=False, teardown="stack").deletion_protection is False
    assert "nox:deletionProtection" in problems("prod", deletionProtection=False, teardown="platform")


# --- alerting ----------------------------------------------------------------------------------


def test_alerting_defaults_are_the_seed_thresholds_and_the_shipped_destinations():
    for stack in ("dev", "staging", "prod"):
        a = settings_for(stack).alerting
        assert a.emails == ("oncall@nox.example.com",)
        # HighResponseTime p95 > 1 s, HighErrorRate 0.1, DatabaseConnectionHigh 80 of 200, RedisMemoryHigh 0.8.
        assert (a.response_time_ms, a.error_rate_percent, a.db_connections_percent, a.redis_memory_percent) == (1000, 5, 40, 80)
        assert a.slack is False and a.https_endpoint == ""


def test_slack_needs_both_ids():
    message = problems("dev", slackWorkspaceId="T07EA123LEP")
    assert "nox:slackWorkspaceId ('T07EA123LEP') and nox:slackChannelId ('')" in message and "set both" in message
    s = settings_for("dev", slackWorkspaceId="T07EA123LEP", slackChannelId="C07EZ1ABC23").alerting
    assert s.slack and (s.slack_workspace_id, s.slack_channel_id) == ("T07EA123LEP", "C07EZ1ABC23")


def test_a_stack_without_any_alert_destination_is_refused():
    message = problems("dev", alertEmails=[])
    assert "alarms would reach nobody" in message and "nox:alertEmails" in message
    assert settings_for("dev", alertEmails=[], alertHttpsEndpoint="https://events.example.com/sns").alerting.emails == ()


# --- Prometheus -------------------------------------------------------------------------------


@pytest.mark.parametrize(("stack", "retention", "gib"), [("dev", "7d", 20), ("staging", "15d", 50), ("prod", "30d", 100)])
def test_prometheus_retention_and_storage_follow_the_environment(stack, retention, gib):
    p = settings_for(stack).prometheus
    assert (p.retention, p.storage_gib, p.managed) == (retention, gib, True)
    assert settings_for(stack, prometheusRetention="36h").prometheus.retention == "36h"


def test_only_dev_may_turn_managed_prometheus_off():
    assert settings_for("dev", managedPrometheus="false").prometheus.managed is False
    for stack in ("staging", "prod"):
        message = problems(stack, managedPrometheus="false")
        assert "nox:managedPrometheus = false" in message and f"'{stack}'" in message and "only dev" in message


# --- one declaration per key: the schema entry wires it to the model ----------------------------

# Model fields no single key fills: built in `loader.build` from several keys or from tables.
DERIVED_FIELDS = {
    "": {"project", "stack", "region", "deletion_protection", "warnings"},
    "network": {"nat_per_az"},
    "release": {"images"},
    "database": {"family", "memory_gib", "max_connections", "pool_max"},
    "cache": {"engine_version", "family"},
}


def _sections():
    import dataclasses

    from settings import model

    out = {"": {f.name for f in dataclasses.fields(model.StackSettings)}}
    for f in dataclasses.fields(model.StackSettings):
        if str(f.type).endswith("Settings"):  # a section (annotations are strings here)
            cls = getattr(model, str(f.type))
            out[f.name] = {g.name for g in dataclasses.fields(cls)}
            out[""].discard(f.name)
    return out


def test_every_model_field_is_filled_by_exactly_one_key_or_derived():
    from settings.schema import KEYS

    sections = _sections()
    by_field: dict[str, list[str]] = {}
    for key in KEYS:
        if key.field:
            by_field.setdefault(key.field, []).append(key.name)
    assert {f: names for f, names in by_field.items() if len(names) > 1} == {}
    for section, names in sections.items():
        for name in names:
            path = f"{section}.{name}" if section else name
            derived = name in DERIVED_FIELDS.get(section, set())
            assert (path in by_field) != derived, f"{path}: mapped by {by_field.get(path)}, derived={derived}"
    for path in by_field:
        section, _, name = path.rpartition(".")
        assert name in sections[section], f"Key.field {path!r} names no settings field"


def test_mapped_fields_turn_lists_into_tuples_and_group_by_section():
    from settings.loader import mapped_fields
    from settings.schema import KEYS

    values = {k.name: (["a", "b"] if k.kind is list else k.default_for("prod")) for k in KEYS}
    m = mapped_fields(values)
    assert m["eks"]["deployer_cidrs"] == ("a", "b") and m["edge"]["geo_block_countries"] == ("a", "b")
    assert m[""]["environment"] == values["environment"] and m["network"]["cidr"] == values["vpcCidr"]
