"""Runbooks: every planned alarm and alert rule links a page of docs/runbooks/ that exists, every page
belongs to an alarm or rule some stack plans, and no description outgrows PutMetricAlarm's limit."""

from __future__ import annotations

import re
from pathlib import Path

import botocore.session
import pytest
import yaml

from components import alarms, alert_rules, runbooks
from settings.schema import RUNBOOK_BASE_URL_MAX

ROOT = Path(__file__).resolve().parent.parent
PAGES = ROOT / runbooks.DIRECTORY
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
PROMETHEUS_RULE = "kubernetes:monitoring.coreos.com/v1:PrometheusRule"
AMP_RULES = "aws:amp/ruleGroupNamespace:RuleGroupNamespace"
COMBOS = [(s, p) for s in ("dev", "staging", "prod") for p in ("asg", "eks")]
RUNBOOK = re.compile(r" Runbook: (\S+)\Z")
# The longest base URL the setting accepts (a valid https URL of exactly RUNBOOK_BASE_URL_MAX characters).
LONGEST_BASE = "https://docs.example.com/" + "x" * (RUNBOOK_BASE_URL_MAX - len("https://docs.example.com/"))


def description_limit() -> int:
    """AlarmDescription's maximum length in the pinned botocore's CloudWatch model."""
    shape = botocore.session.get_session().get_service_model("cloudwatch").operation_model("PutMetricAlarm").input_shape
    return int(shape.members["AlarmDescription"].metadata["max"])


def pages() -> set[str]:
    return {p.stem for p in PAGES.glob("*.md") if p.name != "README.md"}


def page_of(link: str, base: str) -> str:
    """The page a link names, asserting it has the form components/runbooks.py gives it."""
    prefix = f"{base}/" if base else f"{runbooks.DIRECTORY}/"
    assert link.startswith(prefix) and link.endswith(".md") and "/" not in link[len(prefix) :], link
    return link[len(prefix) : -len(".md")]


def alarm_links(plan) -> dict[str, str]:
    """Alarm name -> the runbook link its description ends with (every alarm must have one)."""
    links = {}
    for a in plan.of_type(ALARM):
        name, description = a["inputs"]["name"], a["inputs"]["alarmDescription"]
        found = RUNBOOK.search(description)
        assert found, f"{name}: no runbook link at the end of its description: {description!r}"
        links[name] = found[1]
    return links


def rule_links(plan) -> dict[str, str]:
    """Alert name -> runbook_url of the Prometheus rules the plan ships (PrometheusRule on eks, AMP on asg)."""
    groups = [g for r in plan.of_type(PROMETHEUS_RULE) for g in r["inputs"]["spec"]["groups"]]
    groups += [g for r in plan.of_type(AMP_RULES) for g in yaml.safe_load(r["inputs"]["data"])["groups"]]
    return {rule["alert"]: rule["annotations"]["runbook_url"] for g in groups for rule in g["rules"]}


@pytest.fixture(scope="module")
def planned(plan_for) -> dict[tuple[str, str], tuple[dict[str, str], dict[str, str]]]:
    """(stack, platform) -> (alarm links, rule links), default nox:runbookBaseUrl (repository paths)."""
    out = {}
    for stack, platform in COMBOS:
        plan = plan_for(stack, f"nox:platform={platform}")
        out[stack, platform] = alarm_links(plan), rule_links(plan)
    return out


def test_every_alarm_and_rule_links_a_page_that_exists(planned):
    for (stack, platform), (alarm_pages, rule_pages) in planned.items():
        for name, link in {**alarm_pages, **rule_pages}.items():
            page = page_of(link, "")
            assert (ROOT / link).is_file(), f"{stack}/{platform}: {name} links {link}, which does not exist"
            assert page in pages()


def test_every_page_belongs_to_a_planned_alarm_or_rule(planned):
    linked = {page_of(link, "") for alarm_pages, rule_pages in planned.values() for link in [*alarm_pages.values(), *rule_pages.values()]}
    assert pages() - linked == set(), "pages no stack plans an alarm or rule for"
    assert linked - pages() == set()


def test_every_platform_ships_the_four_prometheus_rules_with_their_page(planned):
    for combo, (_, rule_pages) in planned.items():
        assert {name: page_of(link, "") for name, link in rule_pages.items()} == {n: n for n in alert_rules.PROMETHEUS_ALERTS}, combo


def test_pages_are_named_after_the_alarm_kind(planned):
    """One page per kind: a check's id, the fleet's seed alarm name, or the alert; never an instance."""
    kinds = {c.id for c in alarms.default_catalogue()}
    for alarm_pages, _ in planned.values():
        for name, link in alarm_pages.items():
            page = page_of(link, "")
            assert page in kinds or name.startswith(f"{page}-nox-"), (name, page)
    # The seed's CloudWatch-evaluated alerts are the alarms of the same name, with the same page.
    assert set(alert_rules.CLOUDWATCH_ALERTS) <= kinds and set(alert_rules.CLOUDWATCH_ALERTS) <= pages()


def test_pages_say_what_it_means_what_to_check_and_when_to_roll_back():
    for page in pages():
        text = (PAGES / f"{page}.md").read_text()
        assert text.startswith(f"# {page}\n"), page
        for heading in ("## What it means", "## First checks", "## Mitigations", "## Roll back?"):
            assert heading in text, f"{page}.md has no {heading!r}"


def test_index_lists_every_page():
    index = (PAGES / "README.md").read_text()
    assert set(re.findall(r"\]\(([^)#]+)\.md\)", index)) >= pages()


@pytest.mark.parametrize("platform", ["asg", "eks"])
def test_descriptions_fit_put_metric_alarm_with_the_longest_base_url(plan_for, platform):
    """With the longest nox:runbookBaseUrl allowed, every description of every stack stays within the limit."""
    limit = description_limit()
    assert limit == alarms.DESCRIPTION_MAX
    plan = plan_for("prod", f"nox:platform={platform}", f"nox:runbookBaseUrl={LONGEST_BASE}")
    long_links = alarm_links(plan)
    for name, link in long_links.items():
        assert len(plan_alarm(plan, name)["alarmDescription"]) <= limit, name
        assert (PAGES / f"{page_of(link, LONGEST_BASE)}.md").is_file()
    assert set(rule_links(plan).values()) == {f"{LONGEST_BASE}/{n}.md" for n in alert_rules.PROMETHEUS_ALERTS}
    # Other stacks' descriptions differ in names and thresholds: with the long link instead of theirs.
    growth = len(LONGEST_BASE) + 1 - len(runbooks.DIRECTORY + "/")
    for stack in ("dev", "staging", "prod"):
        default = plan_for(stack, f"nox:platform={platform}")
        for a in default.of_type(ALARM):
            assert len(a["inputs"]["alarmDescription"]) + growth <= limit, a["inputs"]["name"]


def plan_alarm(plan, name: str) -> dict:
    [alarm] = [a["inputs"] for a in plan.of_type(ALARM) if a["inputs"]["name"] == name]
    return alarm


def test_link_helper_uses_the_base_url_or_the_repository_path():
    assert runbooks.link("db-cpu", "") == "docs/runbooks/db-cpu.md"
    assert runbooks.link("db-cpu", "https://git.example.com/nox/docs/runbooks") == "https://git.example.com/nox/docs/runbooks/db-cpu.md"
