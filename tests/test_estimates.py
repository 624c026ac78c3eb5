"""Estimates: exact figures on a synthetic plan, coverage of every shipped type, time and critical path, diagrams, docs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from offline import cli, report
from offline.estimates import cost, diagram, docs, estimate, prices, timing

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = {"dev": "asg", "staging": "eks", "prod": "eks"}
CASES = [(stack, platform) for stack in SHIPPED for platform in ("asg", "eks")]
STACK = "urn:pulumi:t::p::pulumi:pulumi:Stack::p-t"


def res(type_: str, name: str, inputs: dict | None = None, deps: tuple[str, ...] = (), parent: str | None = None) -> dict:
    custom = not type_.startswith("nox:")
    return {
        "urn": f"urn:pulumi:t::p::{type_}::{name}",
        "type": type_,
        "name": name,
        "parent": parent or STACK,
        "dependencies": list(deps),
        "provider": None,
        "protect": False,
        "custom": custom,
        "inputs": inputs or {},
    }


def urn(type_: str, name: str) -> str:
    return f"urn:pulumi:t::p::{type_}::{name}"


LT, ASG, RDS = "aws:ec2/launchTemplate:LaunchTemplate", "aws:autoscaling/group:Group", "aws:rds/instance:Instance"
NET = urn("nox:network:Network", "net")


def synthetic(region: str = "us-west-2", support: str = "EXTENDED") -> dict:
    """A small plan: every figure below is computed by hand from the us-west-2 table."""
    disk = [{"ebs": {"volumeType": "gp3", "volumeSize": 30}}]
    resources = [
        res("pulumi:providers:aws", "aws", {"region": region}),
        res("nox:network:Network", "net"),
        res("aws:ec2/vpc:Vpc", "vpc", parent=NET),
        res("aws:ec2/subnet:Subnet", "a", {"availabilityZone": f"{region}a"}, parent=NET),
        res("aws:ec2/subnet:Subnet", "b", {"availabilityZone": f"{region}b"}, parent=NET),
        res("aws:ec2/eip:Eip", "eip", parent=NET),
        res("aws:ec2/natGateway:NatGateway", "nat", deps=(urn("aws:ec2/eip:Eip", "eip"),), parent=NET),
        res(LT, "lt", {"instanceType": "t3.small", "blockDeviceMappings": disk}),
        res(ASG, "asg", {"minSize": 1, "maxSize": 4, "desiredCapacity": 2}, deps=(urn(LT, "lt"),)),
        res(
            RDS,
            "db",
            {
                "identifier": "db",
                "engine": "postgres",
                "instanceClass": "db.t4g.medium",
                "multiAz": True,
                "allocatedStorage": 20,
                "storageType": "gp3",
            },
        ),
        res(
            RDS,
            "db-replica",
            {"replicateSourceDb": "db", "instanceClass": "db.t4g.medium", "multiAz": False, "storageType": "gp3"},
            deps=(urn(RDS, "db"),),
        ),
        res(
            "aws:elasticache/replicationGroup:ReplicationGroup",
            "redis",
            {"nodeType": "cache.t4g.small", "numNodeGroups": 1, "replicasPerNodeGroup": 1},
        ),
        res("aws:eks/cluster:Cluster", "eks", {"upgradePolicy": {"supportType": support}}),
        res("aws:kms/key:Key", "key"),
        res("aws:iam/role:Role", "role"),
        res(
            "aws:rds/instance:Instance",
            "odd",
            {"instanceClass": "db.x9.huge", "engine": "postgres", "allocatedStorage": 20, "storageType": "gp3"},
        ),
        res("aws:appmesh/mesh:Mesh", "mesh"),
    ]
    return {"project": "p", "stack": "t", "resources": resources, "outputs": {}}


# --- cost: exact figures ---------------------------------------------------------------------


def test_exact_figures_of_the_synthetic_plan():
    money = cost.monthly_cost(synthetic())
    by_name = {r["name"]: r for r in money["resources"]}
    expected = {
        "eip": (3.65, 3.65),  # 0.005 x 730
        "nat": (37.35, 37.35),  # 0.045 x 730 + NAT_DATA_GB 100 x 0.045
        "asg": (17.58, 70.34),  # t3.small 0.0208 x 730 = 15.18 + 30 GiB x 0.08; x1 .. x4
        "db": (99.5, 99.5),  # Multi-AZ: 2 x 0.065 x 730 + 2 x 20 GiB x 0.115
        "db-replica": (49.75, 49.75),  # 0.065 x 730 + the primary's 20 GiB x 0.115
        "redis": (46.72, 46.72),  # 1 shard x (1 + 1 replica) x 0.032 x 730
        "eks": (73.0, 438.0),  # standard 0.10 x 730 while supported, extended 0.60 x 730 after
        "key": (1.0, 1.0),
        "vpc": (2.0, 2.0),  # 2 AZs: CROSS_AZ_GB 100 x 2 sides x 0.01
    }
    assert {n: (r["min"], r["max"]) for n, r in by_name.items()} == expected
    assert money["total"] == {"min": 330.55, "max": 748.31}
    assert money["byComponent"]["net"] == {"min": 43.0, "max": 43.0}  # the VPC, EIP and NAT under `net`
    assert money["priceTableAsOf"] == "2026-12-02" and money["region"] == "us-west-2"


def test_unpriced_resources_are_listed_never_zero():
    money = cost.monthly_cost(synthetic())
    unpriced = {u["name"]: u["reason"] for u in money["unpriced"]}
    assert unpriced == {
        "odd": "no price for rds.postgres.db.x9.huge in the us-west-2 table",
        "mesh": "no cost model for type aws:appmesh/mesh:Mesh",
    }
    assert "odd" not in {r["name"] for r in money["resources"]}
    # free: provider, component, LT (billed on the ASG), subnets, IAM role
    assert money["freeResources"] == 6


def test_standard_support_has_no_extended_rate():
    eks = next(r for r in cost.monthly_cost(synthetic(support="STANDARD"))["resources"] if r["name"] == "eks")
    assert (eks["min"], eks["max"]) == (73.0, 73.0)
    assert [line["priceKey"] for line in eks["lines"]] == ["eks.standard"]


def test_a_region_without_prices_says_so_and_still_times_the_up():
    est = estimate(synthetic(region="eu-north-1"))
    money = est["monthlyCostUsd"]
    assert money["available"] is False and "no price table for region 'eu-north-1'" in money["reason"]
    assert "us-west-2" in money["reason"] and est["createMinutes"] > 0
    doc = synthetic(region="eu-north-1")
    assert "Monthly cost not estimated: no price table for region 'eu-north-1'" in report.tree(doc)


def test_every_line_is_traceable_to_the_table(plan_for):
    table = prices.load("us-west-2")
    for stack, platform in CASES:
        money = cost.monthly_cost(_doc(plan_for, stack, platform))
        for res_ in money["resources"]:
            for line in res_["lines"]:
                entry = table.prices[line["priceKey"]]
                assert line["unitPriceUsd"] == entry["usd"] and line["unit"] == entry["unit"]
                assert line["min"] == round(line["quantity"]["min"] * entry["usd"], 2)
                assert line["max"] == round(line["quantity"]["max"] * entry["usd"], 2)
            assert res_["min"] == round(sum(line["min"] for line in res_["lines"]), 2)


def test_every_price_has_a_source_and_a_note():
    for key, entry in prices.load("us-west-2").prices.items():
        assert entry["source"].startswith("https://aws.amazon.com/"), key
        assert entry["note"] and entry["usd"] > 0 and entry["unit"], key


def _doc(plan_for, stack: str, platform: str) -> dict:
    plan = plan_for(stack) if SHIPPED[stack] == platform else plan_for(stack, f"nox:platform={platform}")
    return json.loads(json.dumps(plan.to_json()))


@pytest.mark.parametrize(("stack", "platform"), CASES)
def test_every_shipped_type_is_priced_or_deliberately_free(plan_for, stack, platform):
    doc = _doc(plan_for, stack, platform)
    neither = sorted({r["type"] for r in doc["resources"] if r["type"] not in cost.PRICERS and cost.free_reason(r["type"]) is None})
    assert neither == []
    assert cost.monthly_cost(doc)["unpriced"] == []  # and every price key the shipped plans need is in the table


def test_prod_costs_more_than_staging_more_than_dev(plan_for):
    totals = {s: cost.monthly_cost(_doc(plan_for, s, p))["total"] for s, p in SHIPPED.items()}
    assert totals["prod"]["min"] > totals["staging"]["min"] > totals["dev"]["min"]
    assert totals["prod"]["max"] > totals["staging"]["max"] > totals["dev"]["max"]


def test_ingress_alb_and_nat_ips_are_priced_on_eks(plan_for):
    money = cost.monthly_cost(_doc(plan_for, "prod", "eks"))
    ingress = next(r for r in money["resources"] if r["type"] == "kubernetes:networking.k8s.io/v1:Ingress")
    assert {line["priceKey"]: line["quantity"]["min"] for line in ingress["lines"]} == {
        "alb.hour": 730,
        "alb.lcu": 730,
        "ipv4.hour": 3 * 730,
    }
    assert sum(r["type"] == "aws:ec2/eip:Eip" for r in money["resources"]) == 3  # NAT per AZ in prod
    nodes = next(r for r in money["resources"] if r["type"] == "aws:eks/nodeGroup:NodeGroup")
    assert nodes["lines"][0]["priceKey"] == "ec2.m6i.large" and nodes["lines"][0]["quantity"] == {"min": 3 * 730, "max": 10 * 730}


# --- time and the critical path --------------------------------------------------------------


def test_critical_path_on_a_synthetic_graph():
    comp = urn("nox:data:Box", "box")
    doc = {
        "project": "p",
        "stack": "t",
        "outputs": {},
        "resources": [
            res("aws:kms/key:Key", "key"),  # 0.3
            res(RDS, "db", {"multiAz": True}, deps=(urn("aws:kms/key:Key", "key"),)),  # 15 -> done 15.3
            res(RDS, "replica", {"replicateSourceDb": "db"}, deps=(urn(RDS, "db"),)),  # 12 -> 27.3
            res("nox:data:Box", "box"),
            res("aws:ec2/natGateway:NatGateway", "nat", parent=comp),  # 2, inside the component
            res("aws:acm/certificate:Certificate", "cert", parent=comp),  # 0.1
            # a grandchild of the component: the box is done only when it is (3; a child waits for its
            # parent's registration, not its creation: without a dependency it starts at once)
            res("aws:acm/certificateValidation:CertificateValidation", "valid", parent=urn("aws:acm/certificate:Certificate", "cert")),
            res("aws:iam/role:Role", "after-box", deps=(comp,)),  # waits for the whole box: 3 + 0.1
            res("aws:iam/role:Role", "app", deps=(urn(RDS, "replica"), urn("aws:iam/role:Role", "after-box"))),  # 27.4
        ],
    }
    est = timing.estimate(doc)
    assert est["createMinutes"] == 27.4
    assert est["criticalPath"] == [urn("aws:kms/key:Key", "key"), urn(RDS, "db"), urn(RDS, "replica"), urn("aws:iam/role:Role", "app")]
    assert est["componentReadyMinutes"] == {"box": 3.0}
    # destroy backwards: app (0.1) -> replica (5) -> db (10) -> key (0.1)
    assert est["destroyMinutes"] == 15.2
    assert est["destroyCriticalPath"][0] == urn("aws:iam/role:Role", "app")


def test_a_dependency_cycle_is_reported():
    a, b = (
        res("aws:iam/role:Role", "a", deps=(urn("aws:iam/role:Role", "b"),)),
        res("aws:iam/role:Role", "b", deps=(urn("aws:iam/role:Role", "a"),)),
    )
    with pytest.raises(ValueError, match="dependency cycle"):
        timing.estimate({"project": "p", "stack": "t", "outputs": {}, "resources": [a, b]})


def test_prod_critical_path_is_the_chain_aws_forces(plan_for):
    doc = _doc(plan_for, "prod", "eks")
    est = timing.estimate(doc)
    by_urn = {r["urn"]: r for r in doc["resources"]}
    names = [by_urn[u]["name"] for u in est["criticalPath"]]
    # Multi-AZ primary, then the replica made from it, then the app's IAM policy that may log in to it.
    assert names[names.index("database-primary") : names.index("database-primary") + 3] == [
        "database-primary",
        "database-replica",
        "workload-app-role-inline",
    ]
    assert est["createMinutes"] == 29.6
    assert est["componentReadyMinutes"]["cluster"] < est["createMinutes"]


# --- reports, JSON, diagrams -----------------------------------------------------------------


def test_json_estimates_block_and_schema(plan_for):
    doc = report.with_estimates(_doc(plan_for, "dev", "asg"))
    assert list(doc) == ["project", "stack", "resources", "outputs", "warnings", "estimates"]
    report.validate(doc)  # accepted with estimates ...
    report.validate({k: v for k, v in doc.items() if k != "estimates"})  # ... and without
    assert doc["estimates"]["monthlyCostUsd"]["total"] == {"min": 294.32, "max": 347.08}
    with pytest.raises(report.PlanSchemaError, match="estimates must be an object"):
        report.validate({**doc, "estimates": []})
    assert report.with_estimates(doc) == doc  # recomputed from the plan, not stacked


def test_tree_and_markdown_have_the_table_by_component(plan_for):
    doc = _doc(plan_for, "prod", "eks")
    tree = report.tree(doc)
    assert "Estimates:" in tree and "total               $1,875.22 - $2,397.28               29.6" in tree
    md = report.markdown(doc, [])
    assert "| cluster | $303.19 - $821.75 | 20.9 |" in md
    assert "| **total** | **$1,875.22 - $2,397.28** | **29.6** |" in md
    assert "- Critical path: nox-prod-logs -> database-primary-postgresql-logs -> database-primary -> database-replica" in md


def test_diagrams_draw_components_and_highlight_the_critical_path(plan_for):
    doc = _doc(plan_for, "prod", "eks")
    est = estimate(doc)
    text = diagram.mermaid(doc, est)
    assert text.startswith("flowchart LR\n")
    assert "  c_network --> c_database\n" in text and "  c_database --> c_workload\n" in text
    assert 'c_database["database<br/>nox:data:Database<br/>$716/mo<br/>ready after 27.4 min"]:::critical' in text
    edges = [line.strip() for line in text.splitlines() if "-->" in line]
    styled = text.split("linkStyle ")[1].split(" ")[0].split(",")
    assert {edges[int(i)] for i in styled} == {"c_network --> c_database", "c_database --> c_workload"}
    dot = diagram.dot(doc, est)
    assert 'c_database -> c_workload [color="#d62728", penwidth=3];' in dot and "  c_edge -> c_workload;\n" in dot


def test_check_draws_a_saved_plan(tmp_path, capsys, plan_for):
    path = tmp_path / "plan.json"
    path.write_text(report.to_json(report.with_estimates(_doc(plan_for, "dev", "asg"))))
    assert cli.main(["check", str(path), "--format", "dot"]) == 0
    assert capsys.readouterr().out.startswith('digraph "nox-infra-dev" {')


@pytest.mark.parametrize("stack", list(SHIPPED))
def test_docs_diagrams_are_generated(plan_for, stack):
    expected = docs.diagram_page(_doc(plan_for, stack, SHIPPED[stack]))
    assert (ROOT / "docs" / "diagrams" / f"{stack}.md").read_text() == expected, "run: venv/bin/python -m offline.estimates.docs"


def test_docs_estimates_block_is_generated(plan_for):
    block = docs.summary_block([_doc(plan_for, s, p) for s, p in SHIPPED.items()])
    assert block in (ROOT / "docs" / "estimates.md").read_text(), "run: venv/bin/python -m offline.estimates.docs"


def test_bench_prints_prods_estimate_and_critical_path(plan_for):
    from offline import bench

    rows = [
        {"stack": s, "estimates": bench._estimate_summary(report.with_estimates(_doc(plan_for, s, SHIPPED[s])))} for s in ("dev", "prod")
    ]
    lines = bench.estimate_lines(rows).splitlines()
    assert lines[0].startswith("prod: estimated `pulumi up` 29.6 min, `pulumi destroy` 20.2 min; critical path: nox-prod-logs -> ")
    assert "database-primary -> database-replica -> workload-app-role-inline" in lines[0] and lines[1].startswith("dev: ")


def test_valkey_nodes_and_free_variants_of_priced_types():
    doc = synthetic()
    doc["resources"] += [
        res(
            "aws:elasticache/replicationGroup:ReplicationGroup",
            "valkey",
            {"engine": "valkey", "nodeType": "cache.t4g.small", "numNodeGroups": 1},
        ),
        res("aws:ec2/vpcEndpoint:VpcEndpoint", "s3", {"vpcEndpointType": "Gateway"}),
        res("kubernetes:networking.k8s.io/v1:Ingress", "plain", {"metadata": {"annotations": {}}}),
    ]
    money = cost.monthly_cost(doc)
    valkey = next(r for r in money["resources"] if r["name"] == "valkey")
    assert valkey["min"] == round(0.8 * 0.032 * 730, 2)  # one node at VALKEY_NODE_FACTOR of the Redis OSS rate
    assert {"s3", "plain"}.isdisjoint({r["name"] for r in money["resources"]} | {u["name"] for u in money["unpriced"]})
    assert money["freeResources"] == 6 + 2
