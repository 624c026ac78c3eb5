"""Run the data-tier components alone under the offline engine, with inputs a test chooses.

The whole-stack plans (`plan_for`) show what ships; this harness pins what the whole stack cannot:
exact app security-group ids, and the plain values of Outputs (written to a file from inside the
program, so secret ones would never pass through a plan).
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

from offline import engine
from offline.config import StackConfig

REGION = "us-west-2"
APP_SGS = ("sg-0app1111111111111", "sg-0app2222222222222")

PROGRAM = """
import json
from pathlib import Path

import pulumi
import pulumi_aws as aws

from components.appaccess import AppAccess
from components.cache import Cache, CacheArgs
from components.database import Database, DatabaseArgs
from components.dbroles import DatabaseRoles, DatabaseRolesArgs
from offline.config import read_stack_config
from settings import build

ROOT = Path(__import__("components").__file__).resolve().parent.parent
cfg = read_stack_config(ROOT, {stack!r}, {overrides!r})
s = build("nox-infra", {stack!r}, {region!r}, {{k[4:]: v for k, v in cfg.values.items() if k.startswith("nox:")}})
subnets = [pulumi.Output.from_input(f"subnet-data-{{i}}") for i in range(3)]
log_key = aws.kms.Key("logs", description="log groups")
db = Database("database", DatabaseArgs(
    settings=s.database, name_prefix=s.name, protect=s.deletion_protection, vpc_id="vpc-0data",
    data_subnet_ids=subnets, app_security_group_ids=list({app_sgs!r}), log_key=log_key, log_retention_days=30,
))
cache = Cache("cache", CacheArgs(
    settings=s.cache, name_prefix=s.name, protect=s.deletion_protection, vpc_id="vpc-0data",
    data_subnet_ids=subnets, app_security_group_ids=list({app_sgs!r}), log_key=log_key, log_retention_days=30,
))
roles = DatabaseRoles("db-roles", DatabaseRolesArgs(
    name_prefix=s.name, vpc_id="vpc-0data", private_subnet_ids=[pulumi.Output.from_input("subnet-private-0")],
    database=db, log_key=log_key, log_retention_days=30,
))
access = AppAccess(region={region!r}, database=db, cache=cache, ready=[roles.invocation])
values = dict(
    db_master_secret_arn=db.master_secret_arn, db_connect_arns=db.connect_arns, cache_connect_arns=cache.connect_arns,
    policy=access.policy_json(), env=access.env(),
    db_resource_ids=[i.resource_id for i in (db.primary, db.replica) if i is not None],
    db_master_user_secrets=db.primary.master_user_secrets,
)
pulumi.Output.all(**values).apply(lambda v: Path({out!r}).write_text(json.dumps(v)))
for k, v in values.items():
    pulumi.export(k, v)
"""


def run_data_tier(tmp_path: Path, stack: str = "prod", *overrides: str) -> tuple[engine.Plan, dict[str, Any]]:
    """(plan, plain values) of Database + Cache + DatabaseRoles + AppAccess built from `stack`'s settings."""
    out = tmp_path / "values.json"
    root = tmp_path / "program"
    root.mkdir()
    (root / "__main__.py").write_text(
        textwrap.dedent(PROGRAM.format(stack=stack, overrides=list(overrides), region=REGION, app_sgs=APP_SGS, out=str(out)))
    )
    config = StackConfig(project="nox-infra", stack=stack, values={"aws:region": REGION}, secret_keys=())
    plan = engine.run(stack, root=root, config=config)
    return plan, json.loads(out.read_text())
