"""Credentials: RDS owns the master password, the app logs in with IAM to both stores, and the
app's database role is created by the db-roles function before any app instance or pod starts."""

from __future__ import annotations

import json

import pytest
from data_harness import REGION, run_data_tier

from components import dbroles
from components.appaccess import access_policy, connection_env
from components.lambdas import db_roles as handler
from offline.mocks import MOCK_SECRET_PREFIX

ACCOUNT = "123456789012"
FUNCTION = "aws:lambda/function:Function"
INVOCATION = "aws:lambda/invocation:Invocation"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
SIX = [(s, p) for s in ("dev", "staging", "prod") for p in ("asg", "eks")]

ROLE_SQL = [
    "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'nox_app') THEN CREATE ROLE nox_app LOGIN; END IF; END $$",
    "ALTER ROLE nox_app WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS",
    "GRANT rds_iam TO nox_app",
    "GRANT nox_app TO nox",
    "REVOKE ALL ON DATABASE nox FROM PUBLIC",
    "GRANT CONNECT, TEMPORARY ON DATABASE nox TO nox_app",
    "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
    "CREATE SCHEMA IF NOT EXISTS nox AUTHORIZATION nox_app",
    "ALTER SCHEMA nox OWNER TO nox_app",
    "GRANT USAGE, CREATE ON SCHEMA nox TO nox_app",
    "ALTER ROLE nox_app IN DATABASE nox SET search_path = nox",
    "ALTER DEFAULT PRIVILEGES FOR ROLE nox IN SCHEMA nox GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO nox_app",
    "ALTER DEFAULT PRIVILEGES FOR ROLE nox IN SCHEMA nox GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO nox_app",
]


@pytest.fixture(scope="module")
def prod(plan_for):
    return plan_for("prod", "nox:platform=asg")


# --- the app's database role ---------------------------------------------------------------------


def test_role_statements_are_exact_and_idempotent():
    assert dbroles.role_statements() == ROLE_SQL


@pytest.mark.parametrize("bad", ["nox-app", "Nox", "1nox", "nox; DROP TABLE x", ""])
def test_role_statements_refuse_anything_but_plain_identifiers(bad):
    with pytest.raises(ValueError):
        dbroles.role_statements(user=bad)


def test_invocation_runs_the_role_sql_with_the_rds_managed_secret(prod):
    inv = prod.one(INVOCATION, "db-roles-app-role")["inputs"]
    payload = json.loads(inv["input"])
    primary = prod.one("aws:rds/instance:Instance", "database-primary")
    assert payload["statements"] == ROLE_SQL
    assert (payload["port"], payload["database"]) == (5432, "nox")
    assert payload["host"].startswith(primary["inputs"]["identifier"] + ".")
    assert payload["secretArn"] == prod.outputs["databaseMasterSecretArn"]
    assert payload["secretArn"].startswith(f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:rds!db-")
    assert inv["functionName"] == "nox-prod-db-roles" and "lifecycleScope" not in inv  # CREATE_ONLY: on create and on change
    assert inv["triggers"] == {"code": dbroles.code_hash()}  # new handler code runs again
    assert primary["urn"] in prod.one(INVOCATION)["dependencies"]
    assert "password" not in inv["input"].lower()


def test_function_runs_in_the_private_subnets_with_its_own_log_group(prod):
    fn = prod.one(FUNCTION, "db-roles-function")
    i = fn["inputs"]
    assert (i["name"], i["runtime"], i["handler"], i["timeout"], i["memorySize"]) == (
        "nox-prod-db-roles",
        "python3.12",
        "db_roles.handler",
        120,
        256,
    )
    assert i["vpcConfig"]["subnetIds"] == prod.outputs["privateSubnetIds"]
    logs = prod.one("aws:cloudwatch/logGroup:LogGroup", "db-roles-logs")
    assert logs["inputs"]["name"] == "/aws/lambda/nox-prod-db-roles" and logs["inputs"]["kmsKeyId"]
    assert i["loggingConfig"] == {"logFormat": "JSON", "logGroup": "/aws/lambda/nox-prod-db-roles"}
    assert logs["urn"] in fn["dependencies"]
    assert "environment" not in i  # nothing to hide


def test_code_archive_holds_the_handler_and_pure_python_pg8000():
    assets = dbroles.code_archive().assets
    assert set(assets) == {"db_roles.py", "pg8000", "scramp", "asn1crypto", "dateutil", "six.py"}
    assert assets["db_roles.py"].path == "components/lambdas/db_roles.py"  # relative: the same plan on every machine
    assert all(not a.path.startswith("/") for a in assets.values())


def test_function_reaches_only_the_database_and_https(prod):
    sg = prod.one("aws:ec2/securityGroup:SecurityGroup", "db-roles-sg")
    rules = {r["name"]: r["inputs"] for r in prod.of_type(EGRESS) if r["parent"] == sg["urn"]}
    assert {n: (r["fromPort"], r["toPort"], r["ipProtocol"]) for n, r in rules.items()} == {
        "db-roles-to-db": (5432, 5432, "tcp"),
        "db-roles-to-https": (443, 443, "tcp"),
    }
    assert "cidrIpv4" not in rules["db-roles-to-db"] and rules["db-roles-to-db"]["referencedSecurityGroupId"]
    [admit] = [r for r in prod.of_type(INGRESS) if r["name"] == "db-roles-db-from-function"]
    db_sg_ids = prod.one("aws:rds/instance:Instance", "database-primary")["inputs"]["vpcSecurityGroupIds"]
    assert admit["inputs"]["securityGroupId"] in db_sg_ids and admit["inputs"]["fromPort"] == 5432


def test_function_role_reads_only_the_master_secret(tmp_path):
    plan, values = run_data_tier(tmp_path, "prod")
    policy = json.loads(plan.one("aws:iam/rolePolicy:RolePolicy", "db-roles-read-master-secret")["inputs"]["policy"])
    read, decrypt = policy["Statement"]
    assert (read["Action"], read["Resource"]) == ("secretsmanager:GetSecretValue", values["db_master_secret_arn"])
    assert decrypt["Action"] == "kms:Decrypt"
    assert decrypt["Condition"] == {"StringEquals": {"kms:ViaService": f"secretsmanager.{REGION}.amazonaws.com"}}
    [attachment] = [r for r in plan.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment") if r["name"] == "db-roles-vpc-access"]
    assert attachment["inputs"]["policyArn"] == "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"


# --- the handler ---------------------------------------------------------------------------------


class FakeConnection:
    def __init__(self, fail_on: str | None = None, **kwargs):
        self.kwargs, self.ran, self.closed, self.fail_on = kwargs, [], False, fail_on

    def run(self, sql):
        self.ran.append(sql)
        if sql == self.fail_on:
            raise RuntimeError("boom")

    def close(self):
        self.closed = True


def _invoke(monkeypatch, fail_on=None, statements=("SELECT 1", "SELECT 2")):
    monkeypatch.setenv("AWS_REGION", "us-west-2")
    monkeypatch.setattr(handler, "tls_context", lambda region: f"ctx:{region}")
    monkeypatch.setattr(handler, "master_credentials", lambda arn: {"user": "nox", "password": f"pw-of-{arn}"})
    made = []

    def connect(**kwargs):
        made.append(FakeConnection(fail_on, **kwargs))
        return made[-1]

    event = {"secretArn": "arn:s", "host": "db.example", "port": 5432, "database": "nox", "statements": list(statements)}
    return made, lambda: handler.handler(event, None, connect=connect)


def test_handler_runs_all_statements_in_one_transaction_over_verified_tls(monkeypatch):
    made, call = _invoke(monkeypatch)
    assert call() == {"statements": 2}
    [conn] = made
    assert conn.ran == ["BEGIN", "SELECT 1", "SELECT 2", "COMMIT"] and conn.closed
    assert conn.kwargs == {
        "host": "db.example",
        "port": 5432,
        "database": "nox",
        "ssl_context": "ctx:us-west-2",
        "timeout": 60,
        "application_name": "nox-db-roles",
        "user": "nox",
        "password": "pw-of-arn:s",
    }


def test_handler_rolls_back_and_fails_the_invocation_on_error(monkeypatch):
    made, call = _invoke(monkeypatch, fail_on="SELECT 2")
    with pytest.raises(RuntimeError, match="boom"):
        call()
    assert made[0].ran == ["BEGIN", "SELECT 1", "SELECT 2", "ROLLBACK"] and made[0].closed


def test_handler_refuses_an_empty_statement_list(monkeypatch):
    made, call = _invoke(monkeypatch, statements=())
    with pytest.raises(ValueError, match="statements"):
        call()
    assert not made


def test_ca_bundle_is_the_regional_rds_truststore():
    assert handler.CA_BUNDLE_URL.format(region="eu-west-1") == "https://truststore.pki.rds.amazonaws.com/eu-west-1/eu-west-1-bundle.pem"


# --- the app's access ----------------------------------------------------------------------------


def test_access_policy_is_exactly_the_two_logins():
    doc = json.loads(access_policy(["arn:db1", "arn:db2"], ["arn:rg", "arn:user"]))
    assert doc["Statement"] == [
        {"Sid": "PostgresAsAppUser", "Effect": "Allow", "Action": "rds-db:connect", "Resource": ["arn:db1", "arn:db2"]},
        {"Sid": "CacheAsAppUser", "Effect": "Allow", "Action": "elasticache:Connect", "Resource": ["arn:rg", "arn:user"]},
    ]


def test_connection_env_without_a_replica_has_no_readonly_host():
    env = connection_env("us-west-2", "db", None, "cfg", "rg", "user")
    assert "DATABASE_READONLY_HOST" not in env and env["DATABASE_HOST"] == "db" and env["REDIS_CACHE_NAME"] == "rg"
    assert connection_env("us-west-2", "db", "ro", "cfg", "rg", "user")["DATABASE_READONLY_HOST"] == "ro"


# --- no stored credential anywhere ------------------------------------------------------------------


@pytest.mark.parametrize(("stack", "platform"), SIX)
def test_no_stack_generates_or_stores_a_credential_for_the_app(plan_for, stack, platform):
    plan = plan_for(stack, f"nox:platform={platform}")
    for token in (
        "random:index/randomPassword:RandomPassword",
        "aws:secretsmanager/secret:Secret",
        "aws:secretsmanager/secretVersion:SecretVersion",
        "kubernetes:core/v1:Secret",
    ):
        # Grafana's admin password (a person's login to Grafana, a Pulumi secret: tests/test_prometheus.py)
        # is the monitoring component's, not the app's.
        assert not [r for r in plan.of_type(token) if "nox:prometheus:ClusterMonitoring$" not in r["urn"]], token
    # The log pipeline names the credential fields it deletes and masks (components/logs.py): not a credential.
    masking = ("aws:cloudwatch/logTransformer:LogTransformer", "aws:cloudwatch/logDataProtectionPolicy:LogDataProtectionPolicy")
    doc = plan.to_json()
    text = json.dumps({**doc, "resources": [r for r in doc["resources"] if r["type"] not in masking]})
    for marker in (MOCK_SECRET_PREFIX, "postgres://", "rediss://", "authToken", '"password"'):
        assert marker not in text, marker
    # The app waits for its database role on either platform.
    app = plan.of_type("aws:autoscaling/group:Group") or plan.of_type("kubernetes:apps/v1:Deployment")
    bootstrap = plan.one(INVOCATION)["urn"]
    assert app and all(bootstrap in r["dependencies"] for r in app)


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_stack_outputs_expose_endpoints_and_users_not_credentials(plan_for, stack):
    outputs = plan_for(stack).outputs
    assert outputs["databaseEndpoint"].endswith(".us-west-2.rds.amazonaws.com")
    assert ".clustercfg." in outputs["redisConfigurationEndpoint"]
    assert (outputs["databaseAppUser"], outputs["redisAppUser"], outputs["dbRolesFunction"]) == (
        "nox_app",
        f"nox-{stack}-app",
        f"nox-{stack}-db-roles",
    )
    assert outputs["databaseMasterSecretArn"].startswith(f"arn:aws:secretsmanager:us-west-2:{ACCOUNT}:secret:rds!db-")
    assert "appSecretArn" not in outputs
