"""`python -m offline diff`: real plan pairs from the mock engine (cached per session), and synthetic edge cases."""

from __future__ import annotations

import copy
import json

import pytest

from offline import cli, diff, diffreport, replacements


@pytest.fixture(scope="module")
def doc_for(plan_for):
    return lambda stack, *sets: json.loads(json.dumps(plan_for(stack, *sets).to_json()))


@pytest.fixture(scope="module")
def base(doc_for):
    return diff.side_of(doc_for("dev"))


def _by_name(result, name):
    return next(c for c in result["resources"] if c["name"] == name)


def test_same_plan_is_no_change(base):
    result = diff.compute(base, base)
    assert result["counts"] == {"create": 0, "update": 0, "replace": 0, "delete": 0, "unchanged": len(base.doc["resources"])}
    assert diff.exit_code(result) == diff.EXIT_NO_CHANGES


def test_vpc_cidr_replaces_vpc_and_subnets_and_warns_about_the_data_tier(base, doc_for):
    result = diff.compute(base, diff.side_of(doc_for("dev", "nox:vpcCidr=10.1.0.0/16")))
    replaced = {c["name"] for c in result["resources"] if c["action"] == "replace"}
    assert replaced == {"network-vpc", *(f"network-{tier}-{i}" for tier in ("public", "private", "data") for i in (0, 1))}
    vpc = _by_name(result, "network-vpc")
    assert vpc["replaceReasons"] == ["cidrBlock"]
    assert vpc["changes"][0] == {
        "path": "cidrBlock",
        "secret": False,
        "forcesReplacement": True,
        "before": "10.0.0.0/16",
        "after": "10.1.0.0/16",
    }
    cascade = {c["name"] for c in result["mayReplace"]}
    assert {"database-sg", "database-primary", "cache-redis"} <= cascade
    assert any(w.startswith("MAY REPLACE stateful `aws:rds/instance:Instance` **database-primary**") for w in result["warnings"])
    assert diff.exit_code(result) == diff.EXIT_CHANGES


def test_db_instance_class_updates_in_place_and_raises_the_cost(base, doc_for):
    result = diff.compute(base, diff.side_of(doc_for("dev", "nox:dbInstanceClass=db.t4g.large")))
    # The instance, and its FreeableMemory alarm, whose threshold follows the class's memory.
    assert result["counts"]["update"] == 2 and result["counts"]["replace"] == 0
    alarm = _by_name(result, "alarms-db-freeable-memory-primary")
    assert alarm["action"] == "update" and "threshold" in [c["path"] for c in alarm["changes"]]
    db = _by_name(result, "database-primary")
    assert db["action"] == "update"
    assert [(c["path"], c["before"], c["after"]) for c in db["changes"]] == [("instanceClass", "db.t4g.medium", "db.t4g.large")]
    assert result["warnings"] == []
    assert result["estimates"]["monthlyCostUsd"]["delta"]["min"] > 0


def test_platform_switch_creates_the_cluster_and_deletes_the_fleet(base, doc_for):
    result = diff.compute(base, diff.side_of(doc_for("dev", "nox:platform=eks")))
    actions = {c["name"]: c["action"] for c in result["resources"]}
    assert actions["cluster-eks"] == "create" and actions["fleet"] == "delete"
    assert result["estimates"]["createMinutes"]["delta"] > 0
    assert result["estimates"]["criticalPath"]["changed"]
    text = diffreport.markdown([(result, "dev (eks)", None)])
    assert "| + create | `aws:eks/cluster:Cluster` | **cluster-eks** |" in text


def test_secret_change_shows_without_value(base):
    head = copy.deepcopy(base.doc)
    db = next(r for r in head["resources"] if r["name"] == "database-primary")
    old = db["inputs"]["instanceClass"]
    db["inputs"]["instanceClass"] = "[secret]"
    result = diff.compute(base, diff.side_of(head))
    change = _by_name(result, "database-primary")["changes"][0]
    assert change == {"path": "instanceClass", "secret": True, "forcesReplacement": False}
    text = diffreport.markdown([(result, "dev", None)]) + diffreport.tree(result, "dev")
    assert "instanceClass: changed (secret)" in text and old not in text


def test_rds_engine_change_is_a_loud_stateful_replacement(base):
    head = copy.deepcopy(base.doc)
    next(r for r in head["resources"] if r["name"] == "database-primary")["inputs"]["engine"] = "mysql"
    result = diff.compute(base, diff.side_of(head))
    assert _by_name(result, "database-primary")["action"] == "replace"
    assert result["warnings"][-1].startswith(
        "REPLACES stateful `aws:rds/instance:Instance` **database-primary** (replace-on-change: engine)"
    )


def test_new_mandatory_violation_and_preflight_block(base):
    head = copy.deepcopy(base.doc)
    next(r for r in head["resources"] if r["name"] == "database-primary")["inputs"]["publiclyAccessible"] = True
    result = diff.compute(base, diff.side_of(head))
    assert result["blocking"] and diff.exit_code(result) == diff.EXIT_BLOCKING
    assert any(v["level"] == "mandatory" and v["urn"].endswith("::database-primary") for v in result["policy"]["new"])
    fixed = diff.compute(diff.side_of(head), base)
    assert not fixed["blocking"] and fixed["policy"]["fixed"]
    violation = {"urn": "urn:x::y", "property": "instanceClass", "constraint": "enum"}
    pre = diff.compute(diff.Side(base.doc, [], [], base.estimates), diff.Side(base.doc, [], [violation], base.estimates))
    assert pre["blocking"] and pre["preflight"]["new"] == [violation] and diff.exit_code(pre) == diff.EXIT_BLOCKING


def test_huge_diff_fits_a_comment_and_keeps_counts_and_warnings(base):
    head = copy.deepcopy(base.doc)
    template = next(r for r in head["resources"] if r["type"] == "aws:cloudwatch/logGroup:LogGroup")
    for i in range(3000):
        head["resources"].append(
            {**copy.deepcopy(template), "urn": template["urn"] + f"-{i}", "name": f"extra-{i}", "inputs": {"name": "x" * 300}}
        )
    next(r for r in head["resources"] if r["name"] == "database-primary")["inputs"]["engine"] = "mysql"
    result = diff.compute(base, diff.Side(head, [], None, base.estimates))
    text = diffreport.markdown([(result, "dev", None), (result, "dev again", None)], appendix=["## Scan\n" + "y" * 100_000])
    assert len(text) <= diff.COMMENT_LIMIT
    assert text.startswith(diff.MARKER)
    assert text.count("**3000 to create · 0 to update · 1 to replace · 0 to delete") == 2
    assert text.count("REPLACES stateful `aws:rds/instance:Instance` **database-primary**") == 2
    assert "more changed resource(s) and the diagram left out" in text and "of the appended report left out" in text


def test_replacement_table_matches_paths():
    assert replacements.forces_replacement("aws:eks/cluster:Cluster", "encryptionConfig.resources[0]")
    assert not replacements.forces_replacement("aws:eks/cluster:Cluster", "vpcConfig.subnetIds")  # in place since provider 5.25
    assert not replacements.forces_replacement("aws:rds/instance:Instance", "identifier")  # in place (provider PR #32687)
    assert not replacements.forces_replacement("aws:ec2/vpc:Vpc", "cidrBlockX")


def test_cli_diff_exit_codes_and_markdown(tmp_path, base, capsys):
    path = tmp_path / "base.json"
    path.write_text(json.dumps(base.doc))
    assert cli.main(["diff", str(path), str(path)]) == diff.EXIT_NO_CHANGES
    out = tmp_path / "d.md"
    assert cli.main(["diff", str(path), str(path), "--format", "markdown", "--output", str(out)]) == 0
    assert out.read_text().startswith(diff.MARKER)
    (tmp_path / "bad.json").write_text("{}")
    assert cli.main(["diff", str(path), str(tmp_path / "bad.json")]) == diff.EXIT_USAGE
    assert "not a plan document" in capsys.readouterr().err
    assert cli.main(["diff", str(path)]) == diff.EXIT_USAGE


def test_unchanged_stack_is_one_line(base):
    text = diffreport.markdown([(diff.compute(base, base), "dev (asg)", None)])
    assert "## ✅ dev (asg)\n\nNo changes: 0 to create" in text and "<details>" not in text


def test_exit_codes_are_documented_alike():
    """The module docstring, --help and docs/delivery.md give the same five exit codes."""
    doc = " ".join((cli.ROOT / "docs" / "delivery.md").read_text().split())
    for code, meaning in ((0, "no changes"), (1, "a mandatory policy or preflight violation"), (4, "changes, none blocking")):
        assert f"{code}  {meaning}" in diff.__doc__
        assert f"**{code}** {meaning}" in doc
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert "0 no changes, 1 a new mandatory policy or preflight violation" in sub.choices["diff"].description
