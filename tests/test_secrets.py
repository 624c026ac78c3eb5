"""Application secrets: one KMS-encrypted secret with the URLs, a read-only policy, no credential anywhere in plain text."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
from data_harness import REGION, run_data_tier

from components.secrets import secret_value
from offline.mocks import MOCK_SECRET_PREFIX

SECRET = "aws:secretsmanager/secret:Secret"
VERSION = "aws:secretsmanager/secretVersion:SecretVersion"
ACCOUNT = "123456789012"


@pytest.fixture(scope="module")
def prod_tier(tmp_path_factory):
    return run_data_tier(tmp_path_factory.mktemp("prod"), "prod")


@pytest.fixture(scope="module")
def dev_tier(tmp_path_factory):
    return run_data_tier(tmp_path_factory.mktemp("dev"), "dev")


# --- the stored value ---------------------------------------------------------------------------


def test_secret_value_with_and_without_replica():
    assert json.loads(secret_value("postgres://a", "postgres://b", "rediss://c")) == {
        "DATABASE_URL": "postgres://a",
        "DATABASE_READONLY_URL": "postgres://b",
        "REDIS_URL": "rediss://c",
    }
    assert json.loads(secret_value("postgres://a", None, "rediss://c")) == {"DATABASE_URL": "postgres://a", "REDIS_URL": "rediss://c"}


def test_prod_secret_holds_tls_urls_to_primary_replica_and_cluster(prod_tier):
    plan, values = prod_tier
    stored = json.loads(values["secret_string"])
    assert set(stored) == {"DATABASE_URL", "DATABASE_READONLY_URL", "REDIS_URL"}
    primary, replica = (urlsplit(stored[k]) for k in ("DATABASE_URL", "DATABASE_READONLY_URL"))
    for url in (primary, replica):
        assert (url.scheme, url.username, url.port, url.path, url.query) == ("postgres", "nox", 5432, "/nox", "sslmode=require")
        assert url.password == values["db_password"]
    assert primary.hostname.startswith("nox-prod-db.") and replica.hostname.startswith("nox-prod-db-replica.")
    redis = urlsplit(stored["REDIS_URL"])
    assert (redis.scheme, redis.username, redis.password, redis.port) == ("rediss", "", values["redis_token"], 6379)
    assert ".clustercfg." in redis.hostname  # the cluster configuration endpoint, not a node
    assert stored["DATABASE_URL"] == values["db_url"] == values["secrets_database_url"]
    assert stored["REDIS_URL"] == values["redis_url"] == values["secrets_redis_url"]


def test_dev_secret_has_no_readonly_url(dev_tier):
    _, values = dev_tier
    assert values["db_readonly_url"] is None
    assert set(json.loads(values["secret_string"])) == {"DATABASE_URL", "REDIS_URL"}


def test_every_credential_output_is_a_pulumi_secret(prod_tier):
    plan, _ = prod_tier
    for name in (
        "db_url",
        "db_readonly_url",
        "db_password",
        "redis_url",
        "redis_token",
        "secret_string",
        "secrets_database_url",
        "secrets_redis_url",
    ):
        assert plan.outputs[name] == "[secret]", name


# --- resources ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("stack", "recovery", "protect"), [("dev", 7, False), ("staging", 30, True), ("prod", 30, True)])
def test_secret_is_encrypted_with_its_own_key(plan_for, stack, recovery, protect):
    plan = plan_for(stack)
    secret = plan.one(SECRET)
    key = next(r for r in plan.of_type("aws:kms/key:Key") if r["name"] == f"nox-{stack}-app-secrets")
    assert secret["inputs"]["namePrefix"] == f"nox-{stack}/app-"
    assert secret["inputs"]["recoveryWindowInDays"] == recovery
    assert key["urn"] in secret["dependencies"] and key["inputs"]["enableKeyRotation"] is True
    assert secret["inputs"]["kmsKeyId"].startswith(f"arn:aws:kms:us-west-2:{ACCOUNT}:key/")
    db_key = plan.one("aws:rds/instance:Instance", "database-primary")["inputs"]["kmsKeyId"]
    assert secret["inputs"]["kmsKeyId"] != db_key
    assert (secret["protect"], key["protect"]) == (protect, protect)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_version_value_is_secret_and_replaceable(plan_for, stack):
    plan = plan_for(stack)
    version = plan.one(VERSION)
    assert version["inputs"]["secretString"] == "[secret]"
    assert version["protect"] is False  # a new URL replaces the version; protect would block that
    assert plan.one(SECRET)["urn"] in version["dependencies"]
    sources = {"database-primary", "cache-redis", "database-master-password", "cache-auth-token"}
    assert sources <= {d.rsplit("::", 1)[1] for d in version["dependencies"]}


def test_read_policy_allows_only_this_secret_and_its_key(prod_tier):
    plan, values = prod_tier
    policy = json.loads(values["policy"])
    assert plan.outputs["policy"] == values["policy"]  # not a secret: it names ARNs only
    read, decrypt = policy["Statement"]
    assert policy["Version"] == "2012-10-17" and len(policy["Statement"]) == 2
    assert read["Effect"] == "Allow" and read["Action"] == ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
    assert read["Resource"].startswith(f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:nox-prod/app-")
    assert decrypt["Effect"] == "Allow" and decrypt["Action"] == "kms:Decrypt"
    assert decrypt["Condition"] == {"StringEquals": {"kms:ViaService": f"secretsmanager.{REGION}.amazonaws.com"}}
    secret = plan.one(SECRET)["inputs"]
    assert decrypt["Resource"] == secret["kmsKeyId"]
    assert "*" not in json.dumps(policy)


# --- nothing leaks --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stack", "overrides"),
    [("dev", ()), ("staging", ()), ("prod", ()), ("prod", ("nox:platform=asg",)), ("dev", ("nox:dbReadReplica=true",))],
)
def test_plan_json_never_contains_a_mock_secret(plan_for, stack, overrides):
    plan = plan_for(stack, *overrides)
    text = json.dumps(plan.to_json())
    assert MOCK_SECRET_PREFIX not in text
    assert plan.of_type(VERSION)  # the secret was built, so there was something to leak


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_stack_outputs_expose_endpoints_not_credentials(plan_for, stack):
    outputs = plan_for(stack).outputs
    text = json.dumps(outputs)
    for marker in ("postgres://", "rediss://", MOCK_SECRET_PREFIX, "password", "authToken"):
        assert marker not in text, marker
    assert outputs["databaseEndpoint"] == f"nox-{stack}-db.{outputs['databaseEndpoint'].split('.', 1)[1]}"
    assert outputs["databaseEndpoint"].endswith(".us-west-2.rds.amazonaws.com")
    assert ".clustercfg." in outputs["redisConfigurationEndpoint"]
    assert outputs["appSecretArn"].startswith(f"arn:aws:secretsmanager:us-west-2:{ACCOUNT}:secret:nox-{stack}/app-")
    assert (outputs["databaseReaderEndpoint"] is None) is (stack == "dev")


def test_harness_plans_leak_nothing_either(prod_tier, dev_tier):
    for plan, _ in (prod_tier, dev_tier):
        assert MOCK_SECRET_PREFIX not in json.dumps(plan.to_json())
