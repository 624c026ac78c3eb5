"""Cache: cluster-mode Redis/Valkey, the seed's redis-cluster.conf where ElastiCache allows it, per environment."""

from __future__ import annotations

import dataclasses

import pytest
from data_harness import APP_SGS, run_data_tier

from components.cache import MAINTENANCE_WINDOW, SNAPSHOT_WINDOW, CacheArgs
from components.database import windows_overlap
from offline import engine
from settings import ConfigError
from settings.model import CacheSettings

GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"
PARAMS = "aws:elasticache/parameterGroup:ParameterGroup"
RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
SG = "aws:ec2/securityGroup:SecurityGroup"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
USER = "aws:elasticache/user:User"
USER_GROUP = "aws:elasticache/userGroup:UserGroup"


def group(plan):
    return plan.one(GROUP)["inputs"]


# --- parameter group ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "family", "version"),
    [
        ((), "redis7", "7.1"),
        (("nox:cacheEngineVersion=7.0",), "redis7", "7.0"),
        (("nox:cacheEngine=valkey",), "valkey8", "8.1"),
        (("nox:cacheEngine=valkey", "nox:cacheEngineVersion=7.2"), "valkey7", "7.2"),
    ],
)
def test_parameter_group_is_the_seed_where_elasticache_allows(plan_for, overrides, family, version):
    plan = plan_for("prod", *overrides)
    params = plan.one(PARAMS)["inputs"]
    assert params["family"] == family and params["name"] == f"nox-prod-cache-{family}"
    assert {p["name"]: p["value"] for p in params["parameters"]} == {
        "cluster-enabled": "yes",
        "maxmemory-policy": "allkeys-lru",
        "timeout": "0",
        "tcp-keepalive": "300",
    }
    g = group(plan)
    assert g["parameterGroupName"] == params["name"]
    assert (g["engine"], g["engineVersion"]) == (family.rstrip("78"), version)


def test_no_unsupported_seed_settings_are_attempted(plan_for):
    names = {p["name"] for p in plan_for("prod").one(PARAMS)["inputs"]["parameters"]}
    # appendonly is not available on ElastiCache; the rest is run for us or fixed by the node type
    assert not names & {
        "appendonly",
        "appendfsync",
        "maxmemory",
        "bind",
        "port",
        "protected-mode",
        "cluster-node-timeout",
        "cluster-config-file",
        "databases",
        "logfile",
        "loglevel",
    }


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            ("nox:cacheEngine=valkey", "nox:cacheEngineVersion=7.1"),
            "nox:cacheEngineVersion = '7.1': must be one of 7.2, 8.0, 8.1 for nox:cacheEngine = 'valkey'",
        ),
        (("nox:cacheEngineVersion=8.1",), "nox:cacheEngineVersion = '8.1': must be one of 7.0, 7.1 for nox:cacheEngine = 'redis'"),
        (("nox:cacheEngine=memcached",), "nox:cacheEngine = 'memcached': must be one of redis, valkey"),
        (("nox:cacheEngineVersion=6.2",), "nox:cacheEngineVersion = '6.2': must be one of"),
        (("nox:cacheNodeType=r7g.large",), "nox:cacheNodeType = 'r7g.large': must be a current-generation ElastiCache node type"),
    ],
)
def test_bad_cache_config_fails_before_any_resource(overrides, message):
    with pytest.raises(ConfigError) as err:
        engine.run("dev", list(overrides))
    assert message in str(err.value)


def _cache_settings(**changes):
    base = CacheSettings(
        engine="redis",
        engine_version="7.1",
        family="redis7",
        node_type="cache.r7g.large",
        shards=1,
        replicas_per_shard=2,
        snapshot_retention_days=7,
        restore_snapshot="",
    )
    return dataclasses.replace(base, **changes)


@pytest.mark.parametrize(
    ("settings_change", "arg_change", "message"),
    [
        ({"family": "valkey8"}, {}, "parameter-group family 'valkey8' does not match redis 7.1 (expected redis7)"),
        ({"engine": "memcached"}, {}, "cache engine 'memcached': must be redis or valkey"),
        ({}, {"app_security_group_ids": []}, "app_security_group_ids is empty"),
        ({}, {"data_subnet_ids": ["subnet-a"]}, "Multi-AZ replicas need data subnets in at least two"),
        ({"engine_version": "6.2", "family": "redis6"}, {}, "redis 6.2 has no IAM authentication: use 7.0 or newer"),
        ({"engine": "valkey", "engine_version": "7.1", "family": "valkey7"}, {}, "valkey 7.1 has no IAM authentication: use 7.2"),
    ],
)
def test_component_args_are_validated(settings_change, arg_change, message):
    base = dict(
        name_prefix="nox-unit",
        protect=False,
        vpc_id="vpc-1",
        data_subnet_ids=["subnet-a", "subnet-b"],
        app_security_group_ids=["sg-app"],
        log_key=None,
        log_retention_days=30,
    )
    CacheArgs(settings=_cache_settings(), **base)  # the baseline is valid
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        CacheArgs(settings=_cache_settings(**settings_change), **{**base, **arg_change})


# --- replication group ---------------------------------------------------------------------------


def test_prod_replication_group_is_exact(plan_for):
    plan = plan_for("prod")
    g = plan.one(GROUP)
    assert g["protect"] is True
    key_arn = g["inputs"]["kmsKeyId"]
    assert key_arn.startswith("arn:aws:kms:us-west-2:123456789012:key/")
    assert {k: v for k, v in g["inputs"].items() if k != "securityGroupIds"} == {
        "description": "nox-prod API cache and sessions (redis cluster mode)",
        "engine": "redis",
        "engineVersion": "7.1",
        "nodeType": "cache.r7g.large",
        "port": 6379,
        "parameterGroupName": "nox-prod-cache-redis7",
        "clusterMode": "enabled",
        "numNodeGroups": 1,
        "replicasPerNodeGroup": 2,  # the seed's M1/S1/S2
        "automaticFailoverEnabled": True,
        "multiAzEnabled": True,
        "transitEncryptionEnabled": True,
        "transitEncryptionMode": "required",
        "userGroupIds": ["nox-prod-cache"],  # RBAC, IAM-authenticated app user: no AUTH token
        "atRestEncryptionEnabled": True,
        "kmsKeyId": key_arn,
        "subnetGroupName": "nox-prod-cache",
        "snapshotRetentionLimit": 7,
        "snapshotWindow": "05:00-06:00",
        "maintenanceWindow": "sun:06:30-sun:07:30",
        "finalSnapshotIdentifier": "nox-prod-cache-final",
        "autoMinorVersionUpgrade": True,
        "applyImmediately": False,
        "logDeliveryConfigurations": [
            {
                "destination": "/nox/nox-prod/redis/slow-log",
                "destinationType": "cloudwatch-logs",
                "logFormat": "json",
                "logType": "slow-log",
            },
            {
                "destination": "/nox/nox-prod/redis/engine-log",
                "destinationType": "cloudwatch-logs",
                "logFormat": "json",
                "logType": "engine-log",
            },
        ],
    }


def test_dev_has_no_replica_but_cluster_mode_keeps_automatic_failover(plan_for):
    g = group(plan_for("dev"))
    # ElastiCache requires automatic failover on cluster-mode groups even without replicas;
    # Multi-AZ needs at least one replica.
    assert (g["replicasPerNodeGroup"], g["automaticFailoverEnabled"], g["multiAzEnabled"]) == (0, True, False)
    assert (g["nodeType"], g["snapshotRetentionLimit"]) == ("cache.t4g.small", 1)
    assert "finalSnapshotIdentifier" not in g
    assert plan_for("dev").one(GROUP)["protect"] is False


@pytest.mark.parametrize(
    ("stack", "replicas", "multi_az", "snapshots", "protect"),
    [
        ("dev", 0, False, 1, False),
        ("staging", 1, True, 3, True),
        ("prod", 2, True, 7, True),
    ],
)
def test_environment_shape(plan_for, stack, replicas, multi_az, snapshots, protect):
    plan = plan_for(stack)
    g = plan.one(GROUP)
    assert (g["inputs"]["replicasPerNodeGroup"], g["inputs"]["multiAzEnabled"], g["inputs"]["snapshotRetentionLimit"], g["protect"]) == (
        replicas,
        multi_az,
        snapshots,
        protect,
    )
    assert next(r for r in plan.of_type("aws:kms/key:Key") if r["name"] == f"nox-{stack}-cache")["protect"] is protect


def test_shards_from_config(plan_for):
    assert group(plan_for("prod", "nox:cacheShards=3"))["numNodeGroups"] == 3


def test_windows_do_not_overlap():
    assert (SNAPSHOT_WINDOW, MAINTENANCE_WINDOW) == ("05:00-06:00", "sun:06:30-sun:07:30")
    assert not windows_overlap(SNAPSHOT_WINDOW, MAINTENANCE_WINDOW)


@pytest.mark.parametrize("engine", ["redis", "valkey"])
def test_app_user_is_iam_authenticated_and_default_user_is_off(plan_for, engine):
    plan = plan_for("prod", f"nox:cacheEngine={engine}")
    users = {r["name"]: r for r in plan.of_type(USER)}
    assert users["cache-app-user"]["inputs"] == {
        "userId": "nox-prod-app",
        "userName": "nox-prod-app",  # IAM: user id and user name must be equal
        "engine": engine,
        "accessString": "on ~* &* +@all -@dangerous",
        "authenticationMode": {"type": "iam"},
    }
    assert users["cache-default-user"]["inputs"] == {
        "userId": "nox-prod-default",
        "userName": "default",  # every user group needs a user named default
        "engine": engine,
        "accessString": "off -@all",  # off: cannot authenticate at all
        "authenticationMode": {"type": "no-password-required"},
    }
    ug = plan.one(USER_GROUP)["inputs"]
    assert ug == {"userGroupId": "nox-prod-cache", "engine": engine, "userIds": ["nox-prod-default", "nox-prod-app"]}
    assert group(plan)["userGroupIds"] == ["nox-prod-cache"] and "authToken" not in group(plan)
    assert group(plan)["transitEncryptionEnabled"] is True  # IAM authentication requires TLS
    # None for the cache (the only generated password is Grafana's admin login on eks, tests/test_prometheus.py).
    assert not [r for r in plan.of_type("random:index/randomPassword:RandomPassword") if "nox:prometheus:" not in r["urn"]]


def test_cache_connect_arns_are_the_group_and_the_app_user(tmp_path):
    _, values = run_data_tier(tmp_path, "prod")
    group_arn, user_arn = values["cache_connect_arns"]
    assert group_arn.startswith("arn:aws:elasticache:us-west-2:123456789012:replicationgroup:")
    assert user_arn == "arn:aws:elasticache:us-west-2:123456789012:user:nox-prod-app"


def test_log_groups_encrypted_with_the_log_key_and_expiring(plan_for):
    plan = plan_for("prod")
    groups = {r["inputs"]["name"]: r["inputs"] for r in plan.of_type(LOG_GROUP) if r["name"].startswith("cache-")}
    flow = next(r for r in plan.of_type(LOG_GROUP) if r["name"] == "network-flow-logs")["inputs"]
    assert set(groups) == {"/nox/nox-prod/redis/slow-log", "/nox/nox-prod/redis/engine-log"}
    assert all(g["kmsKeyId"] == flow["kmsKeyId"] and g["retentionInDays"] == 365 for g in groups.values())


# --- network --------------------------------------------------------------------------------------


def test_security_group_admits_6379_from_each_app_group_only(tmp_path):
    plan, _ = run_data_tier(tmp_path, "dev")
    sg = plan.one(SG, "cache-sg")
    assert "ingress" not in sg["inputs"] and "egress" not in sg["inputs"]
    rules = sorted((r for r in plan.of_type(RULE) if r["parent"] == sg["urn"]), key=lambda r: r["name"])
    assert [r["inputs"] for r in rules] == [
        {
            "securityGroupId": rules[i]["inputs"]["securityGroupId"],
            "referencedSecurityGroupId": APP_SGS[i],
            "ipProtocol": "tcp",
            "fromPort": 6379,
            "toPort": 6379,
            "description": f"redis from app security group {i}",
        }
        for i in range(2)
    ]
    assert plan.one(GROUP)["inputs"]["securityGroupIds"] == [rules[0]["inputs"]["securityGroupId"]]
    subnets = plan.one("aws:elasticache/subnetGroup:SubnetGroup")["inputs"]
    assert subnets["subnetIds"] == ["subnet-data-0", "subnet-data-1", "subnet-data-2"]
    assert plan.one(GROUP)["inputs"]["subnetGroupName"] == subnets["name"]
