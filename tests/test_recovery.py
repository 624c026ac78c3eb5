"""Restore paths, replica promotion and the DR stack under the policy pack (issue 20 §1-2)."""

from __future__ import annotations

import pytest

from offline.config import read_stack_config
from offline.engine import ROOT
from offline.policycheck import evaluate, format_violations

ACCOUNT = "123456789012"
INSTANCE = "aws:rds/instance:Instance"
GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"
KEY = f"arn:aws:kms:us-west-2:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
SNAPSHOT = "rds:nox-prod-db-2026-12-01-03-05"

RESTORES = {
    "snapshot": ("nox:restoreConfirm=staging", f"nox:dbRestoreKmsKeyArn={KEY}", f"nox:dbRestoreSnapshot={SNAPSHOT}"),
    "point-in-time": (
        "nox:restoreConfirm=staging",
        f"nox:dbRestoreKmsKeyArn={KEY}",
        "nox:dbRestoreSourceInstance=nox-prod-db",
        "nox:dbRestoreTime=2026-12-01T03:04:05Z",
    ),
    "cache-snapshot": ("nox:restoreConfirm=staging", "nox:cacheRestoreSnapshot=automatic.nox-prod-cache-2026-12-01-05-00"),
}


def _clean(plan) -> None:
    found = evaluate(plan.to_json())
    assert found == [], format_violations(found)  # no mandatory and no advisory violation either


@pytest.mark.parametrize("platform", ["asg", "eks"])
@pytest.mark.parametrize("kind", sorted(RESTORES))
def test_restored_stacks_plan_clean_under_the_pack(plan_for, kind, platform):
    _clean(plan_for("staging", f"nox:platform={platform}", *RESTORES[kind]))


def test_promoted_stack_plans_clean_under_the_pack(plan_for):
    _clean(plan_for("prod", "nox:dbPromoteReplica=true"))


def test_cache_restores_from_a_snapshot(plan_for):
    group = plan_for("staging", *RESTORES["cache-snapshot"]).one(GROUP)["inputs"]
    assert group["snapshotName"] == "automatic.nox-prod-cache-2026-12-01-05-00"
    empty = plan_for("staging").one(GROUP)["inputs"]
    assert "snapshotName" not in empty
    # everything else (encryption, TLS, RBAC, snapshots) as on an empty stack
    assert {k: v for k, v in group.items() if k != "snapshotName"} == empty


def _actions(base, head):
    from offline.diff import resource_changes

    return {c["name"]: (c["action"], sorted(c["replaceReasons"])) for c in resource_changes(base.to_json(), head.to_json())}


def test_a_restore_key_on_a_live_stack_shows_as_a_replacement_in_the_diff(plan_for):
    """Create-time only: what `offline diff` (the PR comment) shows if the keys were confirmed on an existing stack."""
    got = _actions(plan_for("staging"), plan_for("staging", *RESTORES["snapshot"]))
    assert got["database-primary"] == ("replace", ["dbName", "kmsKeyId", "snapshotIdentifier", "username"])
    assert got["database-replica"] == ("replace", ["kmsKeyId"])
    cache = _actions(plan_for("staging"), plan_for("staging", *RESTORES["cache-snapshot"]))
    assert cache == {"cache-redis": ("replace", ["snapshotName"])}


def test_promotion_is_an_update_not_a_replacement(plan_for):
    got = _actions(plan_for("prod"), plan_for("prod", "nox:dbPromoteReplica=true"))
    assert got["database-replica"] == ("update", [])  # PromoteReadReplica, in place
    assert "database-primary" not in got  # the old primary is left as it was
    assert got["database-backup-selection"] == ("replace", ["resources"])  # now selects the promoted instance
    # the primary alarms watch the promoted instance; the replica's alarms go with the replica
    assert {n for n, (a, _) in got.items() if a == "delete"} == {
        f"alarms-{check}-replica"
        for check in (
            "DatabaseConnectionHigh",
            "db-cpu",
            "db-free-storage",
            "db-freeable-memory",
            "db-read-latency",
            "db-replica-lag",
            "db-write-latency",
        )
    }
    assert got["alarms-db-cpu-primary"] == ("update", []) and got["workload-blue"] == ("update", [])
    assert not [
        n
        for n, (a, _) in got.items()
        if a in ("replace", "delete") and n not in ("database-backup-selection",) and not n.endswith("-replica")
    ]


# --- the DR stack ----------------------------------------------------------------------------------


def test_dr_stack_is_prod_rebuilt_in_the_second_region_from_the_copy(plan_for):
    cfg = read_stack_config(ROOT, "dr").values
    prod = read_stack_config(ROOT, "prod").values
    assert (cfg["aws:region"], cfg["nox:environment"]) == ("us-east-1", "prod")
    # prod copies to a vault in the DR stack's region; the DR stack restores from that vault's recovery point and key
    plan = plan_for("dr")
    primary = plan.one(INSTANCE, "database-primary")["inputs"]
    assert primary["snapshotIdentifier"].startswith(f"arn:aws:rds:us-east-1:{ACCOUNT}:snapshot:awsbackup:copyjob-")
    assert primary["kmsKeyId"].startswith(f"arn:aws:kms:us-east-1:{ACCOUNT}:key/")
    prod_vault = plan_for("prod").one("aws:backup/vault:Vault", "database-copy-vault")["inputs"]
    assert prod_vault["region"] == cfg["aws:region"]
    # the app and its edge are prod's; the network does not overlap prod's (peering back)
    for key in ("nox:domain", "nox:corsAllowOrigin", "nox:hostedZoneId", "nox:platform"):
        assert cfg[key] == prod[key], key
    assert cfg["nox:vpcCidr"] == "10.1.0.0/16" and prod.get("nox:vpcCidr", "10.0.0.0/16") == "10.0.0.0/16"
    # its own backups copy back to prod's region, locked (prod profile)
    vault = plan.one("aws:backup/vault:Vault", "database-copy-vault")["inputs"]
    assert (vault["region"], vault["name"]) == ("us-west-2", "nox-dr-db-copy")
    assert plan.one("aws:backup/vaultLockConfiguration:VaultLockConfiguration")["inputs"]["region"] == "us-west-2"
    # every ARN the stack's own resources get is in us-east-1 (the mocks follow the provider's region)
    arn = plan.outputs["alertTopicArn"]
    assert arn.startswith(f"arn:aws:sns:us-east-1:{ACCOUNT}:")


def test_dr_stack_plans_clean_under_the_pack(plan_for):
    _clean(plan_for("dr"))
    assert plan_for("dr").warnings == []


def test_the_drill_stack_the_workflow_configures_plans_clean():
    """restore-drill.yml: Pulumi.staging.yaml plus its `pulumi config set` lines, as stack staging-drill."""
    import dataclasses

    from offline import engine

    drill = (
        "aws:region=us-east-1",
        "nox:platform=asg",
        "nox:domain=api-drill.staging.nox.example.com",
        "nox:vpcCidr=10.2.0.0/16",
        "nox:teardown=stack",
        f"nox:dbRestoreSnapshot=arn:aws:rds:us-east-1:{ACCOUNT}:snapshot:awsbackup:copyjob-1b2c3d4e-0000-4000-8000-000000000000",
        f"nox:dbRestoreKmsKeyArn=arn:aws:kms:us-east-1:{ACCOUNT}:key/00000000-0000-4000-8000-000000000000",
        "nox:restoreConfirm=staging-drill",
    )
    config = dataclasses.replace(read_stack_config(ROOT, "staging", drill), stack="staging-drill")
    plan = engine.run("staging-drill", config=config)
    _clean(plan)
    primary = plan.one(INSTANCE, "database-primary")
    assert primary["protect"] is False and primary["inputs"]["skipFinalSnapshot"] is True  # teardown: stack
    assert primary["inputs"]["snapshotIdentifier"].startswith("arn:aws:rds:us-east-1:")


# --- RPO and RTO -----------------------------------------------------------------------------------


def test_objectives_follow_the_configuration():
    import dataclasses

    from settings import recovery

    db = recovery._settings("prod").database
    rows = {o.failure: o for o in recovery.objectives(db, 29.6, 31.2)}
    assert (rows["instance or AZ"].path, rows["instance or AZ"].rpo, rows["instance or AZ"].rto) == ("Multi-AZ failover", "0", "~2 min")
    assert rows["primary unrecoverable"].rto == "~10 min"
    assert (rows["bad data"].rpo, rows["bad data"].rto) == ("5 min", "~30 min")
    # a day between backups + 2 h start + 8 h completion windows (components/database.py)
    assert (rows["region"].rpo, rows["region"].rto) == ("34 h (worst case)", "~31 min")
    # without Multi-AZ, a replica or a second region, those paths are gone
    bare = dataclasses.replace(db, multi_az=False, read_replica=False, dr_region="")
    rows = {o.failure: o for o in recovery.objectives(bare, 15.0, 31.2)}
    assert rows["instance or AZ"].path == "restore stack at the latest restorable time" and rows["instance or AZ"].rto == "~15 min"
    assert "primary unrecoverable" not in rows
    assert (rows["region"].rpo, rows["region"].rto) == ("everything", "none")


def test_the_operations_page_states_the_current_objectives():
    from settings import recovery

    text = recovery.OPERATIONS.read_text()
    start, end = text.index(recovery.BEGIN), text.index(recovery.END) + len(recovery.END)
    assert text[start:end] == recovery.table(), "run: venv/bin/python -m settings.recovery --write"
    for stack in ("dev", "staging", "prod"):
        assert f"| {stack} | region |" in text
