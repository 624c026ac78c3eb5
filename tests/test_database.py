"""Database: the seed's postgresql.conf in RDS units, the primary and replica, backups, per-environment shape."""

from __future__ import annotations

import dataclasses
import json

import pytest
from data_harness import APP_SGS, run_data_tier

from components.database import (
    BACKUP_WINDOW,
    MAINTENANCE_WINDOW,
    PARAMETERS,
    RDS_WAL_SEGMENT_MB,
    DatabaseArgs,
    connect_arn,
    windows_overlap,
)
from offline import engine
from settings import ConfigError

INSTANCE = "aws:rds/instance:Instance"
PARAMS = "aws:rds/parameterGroup:ParameterGroup"
RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
SG = "aws:ec2/securityGroup:SecurityGroup"
KEY = "aws:kms/key:Key"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ROLE = "aws:iam/role:Role"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
ACCOUNT = "123456789012"

# The seed's postgresql.conf, translated by hand (not from PARAMETERS): value, RDS apply method.
SEED_PARAMETERS = {
    "max_connections": ("200", "pending-reboot"),  # static
    "shared_buffers": ("32768", "pending-reboot"),  # static; 256MB / 8kB pages
    "effective_cache_size": ("131072", "immediate"),  # 1GB / 8kB pages
    "work_mem": ("4096", "immediate"),  # 4MB in kB
    "maintenance_work_mem": ("65536", "immediate"),  # 64MB in kB
    "max_wal_size": ("1024", "immediate"),  # 1GB in MB
    "min_wal_size": ("192", "immediate"),  # MB; the seed's 80MB is under two of RDS's 64 MB WAL segments
    "checkpoint_completion_target": ("0.9", "immediate"),
    "random_page_cost": ("1.1", "immediate"),
    "seq_page_cost": ("1", "immediate"),
    "effective_io_concurrency": ("200", "immediate"),
    "log_min_duration_statement": ("1000", "immediate"),  # ms
    "log_checkpoints": ("1", "immediate"),
    "log_connections": ("1", "immediate"),
    "log_disconnections": ("1", "immediate"),
    "statement_timeout": ("30000", "immediate"),  # ms, the seed's pool
    "rds.force_ssl": ("1", "immediate"),
}


def instances(plan):
    return {r["name"]: r for r in plan.of_type(INSTANCE)}


def db_key(plan):
    return next(r for r in plan.of_type(KEY) if r["name"].endswith("-db"))


# --- parameter group -------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_parameter_group_is_the_seed_in_rds_units(plan_for, stack):
    group = plan_for(stack).one(PARAMS)
    assert group["inputs"]["family"] == "postgres17"
    assert group["inputs"]["name"] == f"nox-{stack}-db-postgres17"
    got = {p["name"]: (p["value"], p["applyMethod"]) for p in group["inputs"]["parameters"]}
    assert got == SEED_PARAMETERS
    assert "wal_level" not in got  # RDS manages it (replica with backups on)


def test_units_convert_the_seed_sizes():
    kib = {"8kB pages": 8, "kB": 1, "MB": 1024}
    as_mib = {p.name: int(p.value) * kib[p.unit] / 1024 for p in PARAMETERS if p.unit in kib}
    assert as_mib == {
        "shared_buffers": 256,
        "effective_cache_size": 1024,
        "work_mem": 4,
        "maintenance_work_mem": 64,
        "max_wal_size": 1024,
        "min_wal_size": 192,
    }
    static = {p.name for p in PARAMETERS if p.apply_method == "pending-reboot"}
    assert static == {"max_connections", "shared_buffers"}


def test_wal_sizes_hold_two_rds_wal_segments():
    # RDS for PostgreSQL uses 64 MB WAL segments; PostgreSQL refuses to start ("min_wal_size must
    # be at least twice wal_segment_size") below two. The seed's min_wal_size = 80MB was one segment.
    wal = {p.name: int(p.value) for p in PARAMETERS if p.name in ("min_wal_size", "max_wal_size")}
    assert RDS_WAL_SEGMENT_MB == 64
    assert all(mb >= 2 * RDS_WAL_SEGMENT_MB for mb in wal.values()), wal
    assert wal["min_wal_size"] <= wal["max_wal_size"]


@pytest.mark.parametrize(("version", "family"), [("16", "postgres16"), ("16.10", "postgres16"), ("15", "postgres15")])
def test_family_follows_the_engine_major(plan_for, version, family):
    plan = plan_for("dev", f"nox:dbEngineVersion={version}")
    assert plan.one(PARAMS)["inputs"]["family"] == family
    primary = instances(plan)["database-primary"]["inputs"]
    assert primary["engineVersion"] == version
    assert primary["parameterGroupName"] == plan.one(PARAMS)["inputs"]["name"] == f"nox-dev-db-{family}"


# --- invalid engine / family / instance combinations -----------------------------------------


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("nox:dbInstanceClass=db.t4g.micro", "nox:dbInstanceClass = 'db.t4g.micro' (1 GiB): too small for the seed's shared_buffers"),
        ("nox:dbInstanceClass=db.x9.huge", "nox:dbInstanceClass = 'db.x9.huge': must be one of db.t4g.micro"),
        ("nox:dbEngineVersion=13", "nox:dbEngineVersion = '13': must be a major (14, 15, 16, 17) or a minor in standard support"),
        ("nox:dbEngineVersion=17.2.1", "nox:dbEngineVersion = '17.2.1': must be a major (14, 15, 16, 17)"),
        ("nox:dbEngineVersion=latest", "nox:dbEngineVersion = 'latest': must be a major (14, 15, 16, 17)"),
    ],
)
def test_bad_database_config_fails_before_any_resource(override, message):
    with pytest.raises(ConfigError) as err:
        engine.run("dev", [override])
    assert message in str(err.value)


def _args(plan_settings, **changes):
    base = dict(
        settings=plan_settings,
        name_prefix="nox-unit",
        protect=False,
        vpc_id="vpc-1",
        data_subnet_ids=["subnet-a", "subnet-b"],
        app_security_group_ids=["sg-app"],
    )
    base.update(changes)
    return DatabaseArgs(**base)


def _db_settings(**changes):
    from settings.model import DatabaseSettings

    s = DatabaseSettings(
        engine_version="17",
        family="postgres17",
        instance_class="db.r7g.large",
        memory_gib=16,
        allocated_storage=20,
        max_allocated_storage=100,
        multi_az=True,
        read_replica=True,
        backup_retention_days=7,
        backup_copy_vault_arn="",
        dr_region="",
        restore_snapshot="",
        restore_source="",
        restore_time="",
        restore_kms_key_arn="",
        promote_replica=False,
        max_connections=200,
        pool_max=4,
    )
    return dataclasses.replace(s, **changes)


@pytest.mark.parametrize(
    ("settings_change", "arg_change", "message"),
    [
        ({"family": "postgres16"}, {}, "parameter-group family 'postgres16' does not match PostgreSQL 17 (expected postgres17)"),
        ({"instance_class": "db.t4g.micro", "memory_gib": 1}, {}, "db.t4g.micro (1 GiB) cannot hold shared_buffers 256MB"),
        ({"max_connections": 500}, {}, "settings.max_connections 500 differs from the parameter group"),
        ({"max_allocated_storage": 21}, {}, "max_allocated_storage 21 GiB must be at least 10% above allocated_storage 20 GiB"),
        ({}, {"app_security_group_ids": []}, "app_security_group_ids is empty"),
        ({}, {"data_subnet_ids": ["subnet-a"]}, "at least two availability zones"),
    ],
)
def test_component_args_are_validated(settings_change, arg_change, message):
    _args(_db_settings())  # the baseline is valid
    _args(_db_settings(max_allocated_storage=22))  # exactly 110%: the smallest ceiling RDS accepts
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        _args(_db_settings(**settings_change), **arg_change)


# --- primary -----------------------------------------------------------------------------------


def test_prod_primary_is_exact(plan_for):
    plan = plan_for("prod")
    p = instances(plan)["database-primary"]
    assert p["protect"] is True
    arn = p["inputs"]["kmsKeyId"]
    assert arn.startswith(f"arn:aws:kms:us-west-2:{ACCOUNT}:key/")
    master_key = next(r for r in plan.of_type(KEY) if r["name"] == "nox-prod-db-master")
    assert master_key["protect"] is True and master_key["inputs"]["enableKeyRotation"] is True
    master_key_arn = p["inputs"]["masterUserSecretKmsKeyId"]
    assert master_key_arn.startswith(f"arn:aws:kms:us-west-2:{ACCOUNT}:key/") and master_key_arn != arn  # a key of its own
    assert {k: v for k, v in p["inputs"].items() if k not in ("vpcSecurityGroupIds", "monitoringRoleArn")} == {
        "identifier": "nox-prod-db",
        "engine": "postgres",
        "engineVersion": "17",
        "instanceClass": "db.r7g.large",
        "storageType": "gp3",
        "allocatedStorage": 20,
        "maxAllocatedStorage": 1000,
        "storageEncrypted": True,
        "kmsKeyId": arn,
        "publiclyAccessible": False,
        "multiAz": True,
        "dbName": "nox",
        "username": "nox",
        # RDS owns and rotates the master password in its own secret, under our key.
        "manageMasterUserPassword": True,
        "masterUserSecretKmsKeyId": master_key_arn,
        "port": 5432,
        "iamDatabaseAuthenticationEnabled": True,
        "performanceInsightsEnabled": True,
        "performanceInsightsKmsKeyId": arn,
        "performanceInsightsRetentionPeriod": 7,
        "monitoringInterval": 60,
        "enabledCloudwatchLogsExports": ["postgresql", "upgrade"],
        "caCertIdentifier": "rds-ca-rsa2048-g1",
        "autoMinorVersionUpgrade": True,
        "copyTagsToSnapshot": True,
        "backupRetentionPeriod": 30,
        "backupWindow": "03:00-04:00",
        "maintenanceWindow": "sun:04:30-sun:05:30",
        "deletionProtection": True,
        "skipFinalSnapshot": False,
        "finalSnapshotIdentifier": "nox-prod-db-final",
        "parameterGroupName": "nox-prod-db-postgres17",
        "dbSubnetGroupName": "nox-prod-db",
        "applyImmediately": False,
    }
    assert "password" not in p["inputs"] and "passwordWo" not in p["inputs"]
    # No password is generated for the data tier (only Grafana's admin login on eks, tests/test_prometheus.py).
    assert not [r for r in plan.of_type("random:index/randomPassword:RandomPassword") if "nox:prometheus:" not in r["urn"]]


def test_windows_never_overlap():
    assert (BACKUP_WINDOW, MAINTENANCE_WINDOW) == ("03:00-04:00", "sun:04:30-sun:05:30")
    assert not windows_overlap(BACKUP_WINDOW, MAINTENANCE_WINDOW)
    # the checker itself: a touching window, an overlapping one, one across Sunday midnight
    assert not windows_overlap("04:00-04:30", "sun:04:30-sun:05:30")
    assert windows_overlap("05:00-05:30", "sun:04:30-sun:05:30")
    assert windows_overlap("00:00-00:45", "sun:23:30-mon:00:30")
    assert windows_overlap("23:00-01:00", "wed:00:30-wed:01:30")
    assert windows_overlap("23:30-00:30", "mon:00:00-mon:01:00")  # Sunday's backup runs into Monday


def test_connect_arn_names_the_instance_resource_id_and_the_app_user():
    expected = f"arn:aws:rds-db:us-west-2:{ACCOUNT}:dbuser:db-ABCDEFGHIJKL/nox_app"
    assert connect_arn("aws", "us-west-2", ACCOUNT, "db-ABCDEFGHIJKL") == expected
    gov = connect_arn("aws-us-gov", "us-gov-west-1", ACCOUNT, "db-X", "other")
    assert gov == f"arn:aws-us-gov:rds-db:us-gov-west-1:{ACCOUNT}:dbuser:db-X/other"


def test_master_secret_and_connect_arns_come_from_the_instances(tmp_path):
    _, values = run_data_tier(tmp_path, "prod")
    ids = values["db_resource_ids"]  # DbiResourceIds of the primary and the replica (not their names)
    assert len(set(ids)) == 2 and all(i.startswith("db-") and "nox-prod" not in i for i in ids)
    assert values["db_connect_arns"] == [f"arn:aws:rds-db:us-west-2:{ACCOUNT}:dbuser:{i}/nox_app" for i in ids]
    assert values["db_master_secret_arn"] == values["db_master_user_secrets"][0]["secret_arn"]
    assert values["db_master_secret_arn"].startswith(f"arn:aws:secretsmanager:us-west-2:{ACCOUNT}:secret:rds!db-")


def test_enhanced_monitoring_role(plan_for):
    plan = plan_for("prod")
    role = plan.one(ROLE, "database-monitoring-role")
    trust = json.loads(role["inputs"]["assumeRolePolicy"])
    assert trust["Statement"] == [{"Effect": "Allow", "Principal": {"Service": "monitoring.rds.amazonaws.com"}, "Action": "sts:AssumeRole"}]
    attachment = plan.one(ATTACHMENT, "database-monitoring-policy")
    assert attachment["inputs"]["policyArn"] == "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
    assert attachment["inputs"]["role"] in instances(plan)["database-primary"]["inputs"]["monitoringRoleArn"]
    for inst in instances(plan).values():
        # the policy must be attached before RDS validates the role for ENHANCED_MONITORING
        assert role["urn"] in inst["dependencies"] and attachment["urn"] in inst["dependencies"]
        assert inst["inputs"]["monitoringRoleArn"] == instances(plan)["database-primary"]["inputs"]["monitoringRoleArn"]


def test_exported_log_groups_exist_first_encrypted_and_expiring(plan_for):
    plan = plan_for("prod")
    groups = {r["inputs"]["name"]: r for r in plan.of_type(LOG_GROUP) if r["name"].startswith("database-")}
    assert set(groups) == {
        f"/aws/rds/instance/{i}/{log}" for i in ("nox-prod-db", "nox-prod-db-replica") for log in ("postgresql", "upgrade")
    }
    flow_logs = next(r for r in plan.of_type(LOG_GROUP) if r["name"] == "network-flow-logs")
    for group in groups.values():
        assert group["inputs"]["retentionInDays"] == 365
        assert group["inputs"]["kmsKeyId"] == flow_logs["inputs"]["kmsKeyId"]  # the network's log key
    for inst in instances(plan).values():
        ident = inst["inputs"]["identifier"]
        assert {groups[f"/aws/rds/instance/{ident}/{log}"]["urn"] for log in ("postgresql", "upgrade")} <= set(inst["dependencies"])


# --- security group ----------------------------------------------------------------------------


def test_security_group_admits_5432_from_each_app_group_only(tmp_path):
    plan, _ = run_data_tier(tmp_path, "prod")
    sg = plan.one(SG, "database-sg")
    assert "ingress" not in sg["inputs"] and "egress" not in sg["inputs"]  # rules are separate resources; no egress
    rules = sorted((r for r in plan.of_type(RULE) if r["parent"] == sg["urn"]), key=lambda r: r["name"])
    assert [r["inputs"] for r in rules] == [
        {
            "securityGroupId": rules[i]["inputs"]["securityGroupId"],
            "referencedSecurityGroupId": APP_SGS[i],
            "ipProtocol": "tcp",
            "fromPort": 5432,
            "toPort": 5432,
            "description": f"PostgreSQL from app security group {i}",
        }
        for i in range(2)
    ]
    assert {r["inputs"]["securityGroupId"] for r in rules} == set(instances(plan)["database-primary"]["inputs"]["vpcSecurityGroupIds"])


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_shipped_stacks_admit_only_the_app(plan_for, stack):
    plan = plan_for(stack)
    sg = plan.one(SG, "database-sg")
    rules = [r for r in plan.of_type(RULE) if r["parent"] == sg["urn"]]
    assert len(rules) == 1
    assert (rules[0]["inputs"]["fromPort"], rules[0]["inputs"]["toPort"], rules[0]["inputs"]["ipProtocol"]) == (5432, 5432, "tcp")
    assert "cidrIpv4" not in rules[0]["inputs"] and rules[0]["inputs"]["description"]
    assert rules[0]["inputs"]["referencedSecurityGroupId"]


def test_subnet_group_uses_the_data_subnets(tmp_path):
    plan, _ = run_data_tier(tmp_path, "prod")
    group = plan.one("aws:rds/subnetGroup:SubnetGroup")
    assert group["inputs"]["subnetIds"] == ["subnet-data-0", "subnet-data-1", "subnet-data-2"]
    assert instances(plan)["database-primary"]["inputs"]["dbSubnetGroupName"] == group["inputs"]["name"]


# --- replica -----------------------------------------------------------------------------------

SHARED_WITH_REPLICA = (
    "instanceClass",
    "storageType",
    "maxAllocatedStorage",
    "storageEncrypted",
    "kmsKeyId",
    "parameterGroupName",
    "vpcSecurityGroupIds",
    "port",
    "publiclyAccessible",
    "iamDatabaseAuthenticationEnabled",
    "performanceInsightsEnabled",
    "performanceInsightsKmsKeyId",
    "performanceInsightsRetentionPeriod",
    "monitoringInterval",
    "monitoringRoleArn",
    "enabledCloudwatchLogsExports",
    "caCertIdentifier",
    "autoMinorVersionUpgrade",
    "copyTagsToSnapshot",
    "maintenanceWindow",
    "deletionProtection",
    "applyImmediately",
)


def test_replica_follows_the_primary(plan_for):
    plan = plan_for("prod")
    primary, replica = instances(plan)["database-primary"], instances(plan)["database-replica"]
    assert replica["inputs"]["replicateSourceDb"] == primary["inputs"]["identifier"] == "nox-prod-db"
    assert primary["urn"] in replica["dependencies"]
    for key in SHARED_WITH_REPLICA:
        assert replica["inputs"][key] == primary["inputs"][key], key
    assert replica["inputs"]["identifier"] == "nox-prod-db-replica"
    # Multi-AZ and backed up like the primary: promoted in a disaster, it has PITR at once.
    assert (replica["inputs"]["multiAz"], replica["inputs"]["backupRetentionPeriod"], replica["inputs"]["skipFinalSnapshot"]) == (
        True,
        30,
        True,
    )
    assert replica["inputs"]["backupWindow"] == BACKUP_WINDOW
    assert replica["protect"] is True and replica["inputs"]["deletionProtection"] is True
    # inherited from the source: setting them on a replica is an error or a perpetual diff
    for key in (
        "engine",
        "engineVersion",
        "username",
        "manageMasterUserPassword",
        "masterUserSecretKmsKeyId",
        "dbName",
        "allocatedStorage",
        "finalSnapshotIdentifier",
    ):
        assert key not in replica["inputs"], key


def test_same_region_replica_names_no_subnet_group(plan_for):
    # CreateDBInstanceReadReplica with a source *identifier* and a DBSubnetGroupName fails with
    # DBSubnetGroupNotAllowedFault (the provider: "use the identifier ... unless also specifying
    # db_subnet_group_name", then the source must be an ARN). The replica inherits the primary's group.
    plan = plan_for("prod")
    primary, replica = instances(plan)["database-primary"]["inputs"], instances(plan)["database-replica"]["inputs"]
    assert not replica["replicateSourceDb"].startswith("arn:")
    assert "dbSubnetGroupName" not in replica
    assert primary["dbSubnetGroupName"] == plan.one("aws:rds/subnetGroup:SubnetGroup")["inputs"]["name"]


# --- per environment ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stack", "multi_az", "replica", "retention", "protect"),
    [
        ("dev", False, False, 1, False),
        ("staging", True, True, 7, True),
        ("prod", True, True, 30, True),
    ],
)
def test_environment_shape(plan_for, stack, multi_az, replica, retention, protect):
    plan = plan_for(stack)
    found = instances(plan)
    assert ("database-replica" in found) is replica
    p = found["database-primary"]
    assert p["inputs"]["multiAz"] is multi_az
    assert p["inputs"]["backupRetentionPeriod"] == retention
    if replica:  # the replica follows the primary's Multi-AZ and retention in every environment
        r = found["database-replica"]["inputs"]
        assert (r["multiAz"], r["backupRetentionPeriod"]) == (multi_az, retention)
    assert p["inputs"]["deletionProtection"] is protect and p["protect"] is protect
    assert p["inputs"]["skipFinalSnapshot"] is not protect
    assert ("finalSnapshotIdentifier" in p["inputs"]) is protect
    assert db_key(plan)["protect"] is protect
    assert plan.one("aws:backup/vault:Vault", "database-vault")["protect"] is protect
    assert plan.one("aws:backup/plan:Plan")["inputs"]["rules"][0]["lifecycle"]["deleteAfter"] == retention


def test_dev_database_sizes(plan_for):
    p = instances(plan_for("dev"))["database-primary"]["inputs"]
    assert (p["instanceClass"], p["maxAllocatedStorage"], p["identifier"]) == ("db.t4g.medium", 100, "nox-dev-db")


def test_replica_switchable(plan_for):
    assert "database-replica" in instances(plan_for("dev", "nox:dbReadReplica=true"))
    assert "database-replica" not in instances(plan_for("staging", "nox:dbReadReplica=false"))  # prod requires it


# --- keys and backups --------------------------------------------------------------------------


def test_key_rotates_and_encrypts_everything_stateful(plan_for):
    plan = plan_for("prod")
    key = db_key(plan)
    assert (key["inputs"]["enableKeyRotation"], key["inputs"]["deletionWindowInDays"]) == (True, 30)
    arn = instances(plan)["database-primary"]["inputs"]["kmsKeyId"]
    assert key["urn"] in instances(plan)["database-primary"]["dependencies"]
    assert plan.one("aws:backup/vault:Vault", "database-vault")["inputs"]["kmsKeyArn"] == arn


def test_backup_plan_daily_for_the_primary(plan_for):
    plan = plan_for("prod")
    vault = plan.one("aws:backup/vault:Vault", "database-vault")
    rule = plan.one("aws:backup/plan:Plan")["inputs"]["rules"]
    assert rule == [
        {
            "ruleName": "daily",
            "targetVaultName": vault["inputs"]["name"],
            "schedule": "cron(0 5 * * ? *)",
            "startWindow": 120,
            "completionWindow": 480,
            "lifecycle": {"deleteAfter": 30},
            # prod: a copy of every recovery point to the vault in the second region (below)
            "copyActions": [
                {
                    "destinationVaultArn": f"arn:aws:backup:us-east-1:{ACCOUNT}:backup-vault:nox-prod-db-copy",
                    "lifecycle": {"deleteAfter": 30},
                }
            ],
        }
    ]
    selection = plan.one("aws:backup/selection:Selection")["inputs"]
    assert selection["resources"] == [f"arn:aws:rds:us-west-2:{ACCOUNT}:db:nox-prod-db"]
    role = plan.one(ROLE, "database-backup-role")
    assert json.loads(role["inputs"]["assumeRolePolicy"])["Statement"][0]["Principal"] == {"Service": "backup.amazonaws.com"}
    assert selection["iamRoleArn"].endswith(":role/" + selection["iamRoleArn"].rsplit("/", 1)[1])
    attached = {r["inputs"]["policyArn"] for r in plan.of_type(ATTACHMENT) if r["parent"] == role["urn"]}
    assert attached == {
        "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
        "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores",
    }


def test_backup_copies_also_to_an_external_vault_when_configured(plan_for):
    dest = f"arn:aws:backup:eu-west-1:{ACCOUNT}:backup-vault:nox-dr"
    rule = plan_for("prod", f"nox:backupCopyVaultArn={dest}").one("aws:backup/plan:Plan")["inputs"]["rules"][0]
    ours = f"arn:aws:backup:us-east-1:{ACCOUNT}:backup-vault:nox-prod-db-copy"
    assert rule["copyActions"] == [{"destinationVaultArn": d, "lifecycle": {"deleteAfter": 30}} for d in (ours, dest)]
    # no second region (dev, staging by default): no copy at all
    assert "copyActions" not in plan_for("staging").one("aws:backup/plan:Plan")["inputs"]["rules"][0]


COPY_VAULT = "aws:backup/vault:Vault"
LOCK = "aws:backup/vaultLockConfiguration:VaultLockConfiguration"


def test_prod_copies_to_a_locked_vault_in_the_second_region(plan_for):
    plan = plan_for("prod")
    vault = plan.one(COPY_VAULT, "database-copy-vault")
    key = plan.one(KEY, "nox-prod-db-copy")
    assert vault["inputs"]["region"] == key["inputs"]["region"] == "us-east-1"
    assert plan.one("aws:kms/alias:Alias", "nox-prod-db-copy-alias")["inputs"]["region"] == "us-east-1"
    assert vault["inputs"]["kmsKeyArn"].startswith(f"arn:aws:kms:us-east-1:{ACCOUNT}:key/")
    assert (key["inputs"]["enableKeyRotation"], key["protect"], vault["protect"]) == (True, True, True)
    assert vault["inputs"]["name"] == "nox-prod-db-copy"
    from components.kms import key_policy

    assert key["inputs"]["policy"] == key_policy(ACCOUNT, "us-east-1", "aws")  # the account administers; no service statement
    lock = plan.one(LOCK)
    assert lock["parent"] == vault["urn"] and lock["protect"] is True
    assert {k: v for k, v in lock["inputs"].items()} == {
        "backupVaultName": "nox-prod-db-copy",
        "region": "us-east-1",
        "minRetentionDays": 7,
        "maxRetentionDays": 35,
        "changeableForDays": 3,  # compliance mode after 3 days
    }
    # the copy lives as long as the original (30 days), inside the lock's bounds
    assert 7 <= plan.one("aws:backup/plan:Plan")["inputs"]["rules"][0]["copyActions"][0]["lifecycle"]["deleteAfter"] <= 35


def test_second_region_outside_prod_has_no_lock(plan_for):
    plan = plan_for("staging", "nox:drRegion=us-east-2")
    assert plan.one(COPY_VAULT, "database-copy-vault")["inputs"]["region"] == "us-east-2"
    assert not plan.of_type(LOCK)
    rule = plan.one("aws:backup/plan:Plan")["inputs"]["rules"][0]
    assert rule["copyActions"] == [
        {"destinationVaultArn": f"arn:aws:backup:us-east-2:{ACCOUNT}:backup-vault:nox-staging-db-copy", "lifecycle": {"deleteAfter": 7}}
    ]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["nox:drRegion=us-west-2"], "nox:drRegion = 'us-west-2': must differ from aws:region (us-west-2)"),
        (["nox:drRegion="], "nox:drRegion = '': must be a second region (prod copies its backups there) in prod"),
        (["nox:drRegion=mars-1"], "nox:drRegion = 'mars-1': must be a region the pinned botocore knows"),
    ],
)
def test_second_region_is_validated(overrides, message):
    with pytest.raises(ConfigError) as err:
        engine.run("prod", overrides)
    assert message in str(err.value)


# --- restore -------------------------------------------------------------------------------------

SNAPSHOT_ARN = f"arn:aws:rds:us-west-2:{ACCOUNT}:snapshot:awsbackup:job-8f0e5c1a-6d2b-4c59-9a71-0c4b1e2d3f40"
RESTORE_KEY = f"arn:aws:kms:us-west-2:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def restore(stack, *keys):
    return [f"nox:restoreConfirm={stack}", f"nox:dbRestoreKmsKeyArn={RESTORE_KEY}", *keys]


def test_restore_from_a_snapshot(plan_for):
    plan = plan_for("staging", *restore("staging", f"nox:dbRestoreSnapshot={SNAPSHOT_ARN}"))
    p, r = instances(plan)["database-primary"]["inputs"], instances(plan)["database-replica"]["inputs"]
    assert p["snapshotIdentifier"] == SNAPSHOT_ARN and "restoreToPointInTime" not in p
    # name and master user come from the snapshot; the key is the snapshot's (restores take none), the replica's too
    assert "dbName" not in p and "username" not in p
    assert p["kmsKeyId"] == r["kmsKeyId"] == RESTORE_KEY
    # every other hardening input as on an empty stack
    empty = instances(plan_for("staging"))["database-primary"]["inputs"]
    same = {k for k in empty if k not in ("dbName", "username", "kmsKeyId")}
    assert {k: p[k] for k in same} == {k: empty[k] for k in same}
    assert p["manageMasterUserPassword"] is True and p["storageEncrypted"] is True
    # the database's own key still encrypts Performance Insights and the vault
    assert p["performanceInsightsKmsKeyId"] == empty["performanceInsightsKmsKeyId"]


@pytest.mark.parametrize(
    ("time", "point"),
    [
        ("latest", {"sourceDbInstanceIdentifier": "nox-prod-db", "useLatestRestorableTime": True}),
        ("2026-12-01T03:04:05Z", {"sourceDbInstanceIdentifier": "nox-prod-db", "restoreTime": "2026-12-01T03:04:05Z"}),
    ],
)
def test_restore_to_a_point_in_time(plan_for, time, point):
    plan = plan_for("staging", *restore("staging", "nox:dbRestoreSourceInstance=nox-prod-db", f"nox:dbRestoreTime={time}"))
    p = instances(plan)["database-primary"]["inputs"]
    assert p["restoreToPointInTime"] == point
    assert "snapshotIdentifier" not in p and "dbName" not in p and "username" not in p
    assert p["kmsKeyId"] == RESTORE_KEY


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            restore(
                "staging", f"nox:dbRestoreSnapshot={SNAPSHOT_ARN}", "nox:dbRestoreSourceInstance=nox-prod-db", "nox:dbRestoreTime=latest"
            ),
            "nox:dbRestoreSnapshot ('" + SNAPSHOT_ARN + "') and nox:dbRestoreSourceInstance / nox:dbRestoreTime "
            "('nox-prod-db', 'latest'): set one restore source, a snapshot or a point in time, not both",
        ),
        (restore("staging", "nox:dbRestoreSourceInstance=nox-prod-db"), "a point-in-time restore needs both"),
        (restore("staging", "nox:dbRestoreTime=latest"), "nox:dbRestoreSourceInstance ('') and nox:dbRestoreTime ('latest')"),
        (
            ["nox:restoreConfirm=staging", f"nox:dbRestoreSnapshot={SNAPSHOT_ARN}"],
            "nox:dbRestoreKmsKeyArn is empty but a restore is set",
        ),
        (["nox:restoreConfirm=staging", f"nox:dbRestoreKmsKeyArn={RESTORE_KEY}"], "is set but no restore is"),
        # create-time only: without the stack's own name as confirmation, a restore key is refused
        (
            [f"nox:dbRestoreKmsKeyArn={RESTORE_KEY}", f"nox:dbRestoreSnapshot={SNAPSHOT_ARN}"],
            "nox:dbRestoreSnapshot, nox:dbRestoreKmsKeyArn set but nox:restoreConfirm = '': a restore key is create-time only",
        ),
        (
            ["nox:restoreConfirm=prod", f"nox:dbRestoreKmsKeyArn={RESTORE_KEY}", f"nox:dbRestoreSnapshot={SNAPSHOT_ARN}"],
            "set nox:restoreConfirm = 'staging' to confirm this stack is new",
        ),
        (["nox:restoreConfirm=staging", "nox:cacheRestoreSnapshot=nox-prod-cache-1"], None),  # a cache restore alone is fine
        # formats (botocore: RestoreDBInstance* constraints)
        (
            restore("staging", "nox:dbRestoreSnapshot=1-starts-with-digit"),
            "nox:dbRestoreSnapshot = '1-starts-with-digit': must be an RDS snapshot identifier",
        ),
        (restore("staging", "nox:dbRestoreSnapshot=two--hyphens"), "nox:dbRestoreSnapshot = 'two--hyphens': must be"),
        (
            restore("staging", "nox:dbRestoreSourceInstance=Nox_Prod", "nox:dbRestoreTime=latest"),
            "nox:dbRestoreSourceInstance = 'Nox_Prod': must be a DB instance identifier",
        ),
        (
            restore("staging", "nox:dbRestoreSourceInstance=nox-prod-db", "nox:dbRestoreTime=2026-12-01 03:04:05"),
            "nox:dbRestoreTime = '2026-12-01 03:04:05': must be latest",
        ),
        (
            restore("staging", "nox:dbRestoreSourceInstance=nox-prod-db", "nox:dbRestoreTime=2026-02-30T03:04:05Z"),
            "nox:dbRestoreTime = '2026-02-30T03:04:05Z': must be latest",
        ),
        (
            ["nox:restoreConfirm=staging", "nox:dbRestoreKmsKeyArn=alias/nox-prod-db", f"nox:dbRestoreSnapshot={SNAPSHOT_ARN}"],
            "nox:dbRestoreKmsKeyArn = 'alias/nox-prod-db': must be a KMS key ARN",
        ),
    ],
)
def test_bad_restore_config_fails_before_any_resource(overrides, message):
    if message is None:
        engine.run("staging", overrides)
        return
    with pytest.raises(ConfigError) as err:
        engine.run("staging", overrides)
    assert message in str(err.value)


def test_restore_source_in_another_region_is_named():
    other = SNAPSHOT_ARN.replace("us-west-2", "us-east-1")
    with pytest.raises(ConfigError) as err:
        engine.run("staging", restore("staging", f"nox:dbRestoreSnapshot={other}"))
    (line,) = err.value.problems
    assert line.startswith("nox:dbRestoreSnapshot = 'arn:aws:rds:us-east-1:")
    assert line.endswith(
        ": is in us-east-1, the stack in aws:region us-west-2; RDS restores only from its own region "
        "(restore the copy in the DR vault of this region, docs/operations.md)"
    )


def test_a_restore_key_on_an_existing_stack_shows_as_a_replacement(plan_for):
    """The offline diff models the provider's ForceNew: a restore key on a live stack replaces the primary."""
    from offline.replacements import FORCE_NEW

    assert {"snapshotIdentifier", "restoreToPointInTime", "kmsKeyId"} <= set(FORCE_NEW[INSTANCE][1])
    assert "snapshotName" in FORCE_NEW["aws:elasticache/replicationGroup:ReplicationGroup"][1]


# --- replica promotion ---------------------------------------------------------------------------


def test_replica_promotion_in_place(plan_for):
    before, after = plan_for("prod"), plan_for("prod", "nox:dbPromoteReplica=true")
    old, new = instances(before)["database-replica"], instances(after)["database-replica"]
    assert old["urn"] == new["urn"]  # same resource: promoted in place (PromoteReadReplica), not replaced
    assert old["inputs"]["replicateSourceDb"] == "nox-prod-db" and "replicateSourceDb" not in new["inputs"]
    # now a primary: a final snapshot on delete, as the primary
    assert (new["inputs"]["skipFinalSnapshot"], new["inputs"]["finalSnapshotIdentifier"]) == (False, "nox-prod-db-replica-final")
    changed = {k for k in set(old["inputs"]) | set(new["inputs"]) if old["inputs"].get(k) != new["inputs"].get(k)}
    assert changed == {
        "replicateSourceDb",
        "skipFinalSnapshot",
        "finalSnapshotIdentifier",
        "manageMasterUserPassword",
        "masterUserSecretKmsKeyId",
    }
    # RDS manages the promoted primary's master secret too, under the master-secret key
    assert new["inputs"]["masterUserSecretKmsKeyId"] == instances(after)["database-primary"]["inputs"]["masterUserSecretKmsKeyId"]
    from offline.replacements import FORCE_NEW

    assert not changed & set(FORCE_NEW[INSTANCE][1])
    # the app's endpoints move to it; no reader is left
    assert before.outputs["databaseReaderEndpoint"] == after.outputs["databaseEndpoint"]
    assert after.outputs["databaseReaderEndpoint"] is None
    # AWS Backup now backs up the promoted instance too (the old primary until it is retired)
    selection = after.one("aws:backup/selection:Selection")["inputs"]["resources"]
    assert selection == [f"arn:aws:rds:us-west-2:{ACCOUNT}:db:nox-prod-db", f"arn:aws:rds:us-west-2:{ACCOUNT}:db:nox-prod-db-replica"]
    # the old primary stays (protected), untouched
    assert instances(after)["database-primary"]["inputs"] == instances(before)["database-primary"]["inputs"]


def test_promotion_moves_the_app_and_the_alarms(tmp_path):
    _, values = run_data_tier(tmp_path, "prod", "nox:dbPromoteReplica=true")
    env = values["env"]
    assert env["DATABASE_HOST"].startswith("nox-prod-db-replica.") and "DATABASE_READONLY_HOST" not in env


def test_promotion_needs_a_replica():
    with pytest.raises(ConfigError) as err:
        engine.run("dev", ["nox:dbPromoteReplica=true"])
    assert "nox:dbPromoteReplica = true but nox:dbReadReplica = false: there is no replica to promote" in str(err.value)


def test_component_children_are_parented(plan_for):
    plan = plan_for("prod")
    component = plan.one("nox:data:Database")
    tokens = (
        INSTANCE,
        PARAMS,
        SG,
        RULE,
        KEY,
        ROLE,
        ATTACHMENT,
        "aws:rds/subnetGroup:SubnetGroup",
        "aws:backup/vault:Vault",
        "aws:backup/plan:Plan",
        "aws:backup/selection:Selection",
    )
    by_urn = {r["urn"]: r for r in plan.resources}

    def under_component(r):
        while r["parent"] in by_urn:
            if r["parent"] == component["urn"]:
                return True
            r = by_urn[r["parent"]]
        return False

    for token in tokens:
        assert [r for r in plan.of_type(token) if under_component(r)], token
    assert instances(plan)["database-primary"]["parent"] == component["urn"]
