"""The app's database role, created on deploy by a Lambda function inside the VPC.

Why a Lambda function, and one for both platforms: the statements must run as the master user,
from inside the VPC (the database is private), before any app instance or pod starts, and
`pulumi up` must wait for them and fail when they fail. `aws.lambda_.Invocation` is a synchronous
(RequestResponse) invoke on create and on replace (any change of its input or `triggers`: new
statements, new handler code) whose function error fails the update, so the ASGs and
Deployments can simply depend on it. The function reads the RDS-managed master
secret itself with its own role: the password never reaches Pulumi, a pod, an instance or user
data. It needs neither the cluster nor the fleet, so it runs the same on asg and eks; a
Kubernetes Job would exist only on eks, need a pinned image and the master secret inside the
cluster, and could not be awaited by the asg path. `pg8000` (pure Python) is packaged from the
pinned wheel in requirements.txt, so there is no image and no layer to build. The function takes
its statements from the invocation: per-release migrations can reuse it (docs/app-contract.md).

The role: `APP_USER` logs in with IAM only (`GRANT rds_iam`: password logins are refused), may
connect to `DB_NAME` only, owns the `APP_SCHEMA` schema (it runs the seed's migrations there),
and may use whatever the master creates in that schema. Every statement is idempotent, so a
re-run (new code, new statements) converges instead of failing.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pulumi
import pulumi_aws as aws

from .base import InVpc, Logged, Named
from .database import APP_SCHEMA, APP_USER, DB_NAME, PORT, USERNAME

if TYPE_CHECKING:
    from .database import Database

ROOT = Path(__file__).resolve().parent.parent
HANDLER_FILE = Path(__file__).parent / "lambdas" / "db_roles.py"
HANDLER = "db_roles.handler"
RUNTIME = "python3.12"
TIMEOUT_SECONDS = 120
MEMORY_MB = 256
# pg8000 and what it imports; all pure Python (pinned in requirements.txt).
PACKAGES = ("pg8000", "scramp", "asn1crypto", "dateutil", "six")
HTTPS_PORT = 443


def _ident(name: str) -> str:
    if not name.replace("_", "").isalnum() or not name[0].isalpha() or name.lower() != name:
        raise ValueError(f"{name!r} is not a plain lower-case SQL identifier")
    return name


def role_statements(user: str = APP_USER, schema: str = APP_SCHEMA, database: str = DB_NAME, master: str = USERNAME) -> list[str]:
    """The app's login role and its grants, as the master user runs them. Idempotent."""
    user, schema, database, master = (_ident(n) for n in (user, schema, database, master))
    return [
        # CREATE ROLE has no IF NOT EXISTS: the DO block makes it one.
        f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = '{user}') "
        f"THEN CREATE ROLE {user} LOGIN; END IF; END $$",
        f"ALTER ROLE {user} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS",
        # IAM database authentication only (AWS RDS User Guide, "Creating a database account using IAM authentication").
        f"GRANT rds_iam TO {user}",
        # PostgreSQL 16+: the creator holds only ADMIN on the role; SET is needed to give it a schema.
        f"GRANT {user} TO {master}",
        f"REVOKE ALL ON DATABASE {database} FROM PUBLIC",
        f"GRANT CONNECT, TEMPORARY ON DATABASE {database} TO {user}",
        "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
        f"CREATE SCHEMA IF NOT EXISTS {schema} AUTHORIZATION {user}",
        f"ALTER SCHEMA {schema} OWNER TO {user}",
        f"GRANT USAGE, CREATE ON SCHEMA {schema} TO {user}",
        f"ALTER ROLE {user} IN DATABASE {database} SET search_path = {schema}",
        # What the master creates there (a break-glass fix) stays usable by the app.
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {master} IN SCHEMA {schema} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {user}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {master} IN SCHEMA {schema} GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {user}",
    ]


def invocation_input(secret_arn: str, host: str, statements: list[str]) -> str:
    return json.dumps({"secretArn": secret_arn, "host": host, "port": PORT, "database": DB_NAME, "statements": statements})


def code_archive() -> pulumi.AssetArchive:
    """The handler and its pure-Python dependencies, from the installed (pinned) packages.

    Paths relative to the project, where `pulumi up` runs: the plan is the same on every machine.
    """

    def rel(path: str | os.PathLike) -> str:
        return os.path.relpath(os.path.abspath(path), ROOT)

    assets: dict[str, pulumi.Asset | pulumi.Archive] = {"db_roles.py": pulumi.FileAsset(rel(HANDLER_FILE))}
    for package in PACKAGES:
        spec = importlib.util.find_spec(package)
        if spec is None or spec.origin is None:
            raise RuntimeError(f"{package} is not installed: pip install -r requirements.txt")
        if spec.submodule_search_locations:
            assets[package] = pulumi.FileArchive(rel(list(spec.submodule_search_locations)[0]))
        else:
            assets[Path(spec.origin).name] = pulumi.FileAsset(rel(spec.origin))
    return pulumi.AssetArchive(assets)


def code_hash() -> str:
    """Changes when the handler changes: the invocation runs again then."""
    return hashlib.sha256(HANDLER_FILE.read_bytes()).hexdigest()


@dataclass(frozen=True)
class DatabaseRolesArgs(Named, InVpc, Logged):
    private_subnet_ids: list[pulumi.Output[str]]
    database: Database

    def __post_init__(self) -> None:
        if not self.private_subnet_ids:
            raise ValueError("DatabaseRolesArgs.private_subnet_ids is empty: the function runs in the private subnets")


class DatabaseRoles(pulumi.ComponentResource):
    """A function that runs SQL as the master user in the VPC, and its first run: the app's role."""

    function: aws.lambda_.Function
    invocation: aws.lambda_.Invocation  # what the app (ASGs, Deployments) waits for
    security_group: aws.ec2.SecurityGroup

    def __init__(self, name: str, args: DatabaseRolesArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("nox:data:DatabaseRoles", name, None, opts)
        db = args.database
        child = pulumi.ResourceOptions(parent=self)
        function_name = f"{args.name_prefix}-db-roles"

        self.security_group = self._network(name, args)
        role, grants = self._role(name, args)
        # Lambda would create /aws/lambda/<name> itself, unencrypted and never expiring.
        logs = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"/aws/lambda/{function_name}",
            retention_in_days=args.log_retention_days,
            kms_key_id=args.log_key.arn,
            opts=child,
        )
        # Scanner findings waived here, with the reasons:
        # checkov:skip=CKV_AWS_116: synchronous (RequestResponse) invocations only; a dead-letter queue receives only async events
        # checkov:skip=CKV_AWS_115: reserved concurrency would take from a fresh account's 10-execution quota; runs once per deploy
        # checkov:skip=CKV_AWS_272: code signing needs AWS Signer and a signing step; the code is this repo's file plus pinned wheels
        # checkov:skip=CKV_AWS_50: X-Ray adds nothing to one short call per deploy; its logs go to the encrypted log group below
        self.function = aws.lambda_.Function(
            f"{name}-function",
            name=function_name,
            description=f"{args.name_prefix}: runs SQL as the RDS master user (app role, migrations)",
            runtime=RUNTIME,
            handler=HANDLER,
            role=role.arn,
            code=code_archive(),
            timeout=TIMEOUT_SECONDS,
            memory_size=MEMORY_MB,
            vpc_config={"subnet_ids": args.private_subnet_ids, "security_group_ids": [self.security_group.id]},
            logging_config={"log_format": "JSON", "log_group": logs.name},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[logs, *grants]),
        )
        statements = role_statements()
        self.invocation = aws.lambda_.Invocation(
            f"{name}-app-role",
            function_name=self.function.name,
            input=pulumi.Output.all(db.master_secret_arn, db.writer.address).apply(lambda a: invocation_input(a[0], a[1], statements)),
            triggers={"code": code_hash()},
            # The replica (if any) copies the role from the primary; it must exist first to be read from.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[db.primary]),
        )
        self.register_outputs({"functionName": self.function.name, "appUser": APP_USER})

    def _network(self, name: str, args: DatabaseRolesArgs) -> aws.ec2.SecurityGroup:
        db_sg = args.database.security_group
        sg = aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=args.vpc_id,
            description=f"{args.name_prefix}-db-roles: PostgreSQL to the database, HTTPS to AWS APIs",
            tags={"Name": f"{args.name_prefix}-db-roles"},
            opts=pulumi.ResourceOptions(parent=self),
        )
        rule = pulumi.ResourceOptions(parent=sg)
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-to-db",
            security_group_id=sg.id,
            referenced_security_group_id=db_sg.id,
            ip_protocol="tcp",
            from_port=PORT,
            to_port=PORT,
            description="PostgreSQL to the database",
            opts=rule,
        )
        # Secrets Manager (or its VPC endpoint) and the RDS CA bundle (truststore.pki.rds.amazonaws.com).
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-to-https",
            security_group_id=sg.id,
            cidr_ipv4="0.0.0.0/0",
            ip_protocol="tcp",
            from_port=HTTPS_PORT,
            to_port=HTTPS_PORT,
            description="HTTPS to Secrets Manager and the RDS CA bundle",
            opts=rule,
        )
        # On the database's group, next to its app rules, but owned here (the database needs no change).
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-db-from-function",
            security_group_id=db_sg.id,
            referenced_security_group_id=sg.id,
            ip_protocol="tcp",
            from_port=PORT,
            to_port=PORT,
            description="PostgreSQL from the db-roles function",
            opts=rule,
        )
        return sg

    def _role(self, name: str, args: DatabaseRolesArgs) -> tuple[aws.iam.Role, list[pulumi.Resource]]:
        db = args.database
        partition = aws.get_partition_output(opts=pulumi.InvokeOutputOptions(parent=self)).partition
        region = aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=self)).region
        role = aws.iam.Role(
            f"{name}-role",
            description=f"{args.name_prefix}-db-roles: read the RDS master secret, run in the VPC",
            assume_role_policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
                }
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        child = pulumi.ResourceOptions(parent=role)
        vpc_access = aws.iam.RolePolicyAttachment(
            f"{name}-vpc-access",
            role=role.name,
            # ENIs in the VPC and its log stream (AWS managed policy for VPC functions).
            policy_arn=partition.apply(lambda p: f"arn:{p}:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"),
            opts=child,
        )
        read = aws.iam.RolePolicy(
            f"{name}-read-master-secret",
            role=role.id,
            policy=pulumi.Output.all(db.master_secret_arn, db.master_secret_key.arn, region).apply(lambda a: master_secret_policy(*a)),
            opts=child,
        )
        return role, [vpc_access, read]


def master_secret_policy(secret_arn: str, key_arn: str, region: str) -> str:
    """Read the RDS-managed master secret and decrypt it through Secrets Manager, nothing else."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "ReadMasterSecret", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": secret_arn},
                {
                    "Sid": "DecryptMasterSecret",
                    "Effect": "Allow",
                    "Action": "kms:Decrypt",
                    "Resource": key_arn,
                    "Condition": {"StringEquals": {"kms:ViaService": f"secretsmanager.{region}.amazonaws.com"}},
                },
            ],
        }
    )
