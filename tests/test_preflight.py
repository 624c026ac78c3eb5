"""The AWS API preflight: every planned input inside botocore's constraints and the documented rules.

Plans come from the session cache; everything else runs on small hand-made documents, so the
whole file stays fast and offline.
"""

from __future__ import annotations

import copy
import inspect
import json
import re

import botocore
import pytest

from offline import cli, engine, preflight, report
from offline.preflight import javaregex
from offline.preflight.mapping import AUTONAME_SUFFIX, MAPPINGS, PREFIX_SUFFIX, nothing_to_check
from offline.preflight.model import constraint_of, resolve, service
from offline.preflight.rules import RULES

SHIPPED = {"dev": "asg", "staging": "eks", "prod": "eks"}
CASES = [(stack, platform) for stack in SHIPPED for platform in ("asg", "eks")]
WAF = "aws:wafv2/webAcl:WebAcl"
FIELDS = [(token, field) for token, fields in MAPPINGS.items() for field in fields]


def plan_doc(plan_for, stack: str, platform: str) -> dict:
    plan = plan_for(stack) if SHIPPED[stack] == platform else plan_for(stack, f"nox:platform={platform}")
    return json.loads(json.dumps(plan.to_json()))


def one_resource_doc(token: str, inputs: dict, name: str = "probe") -> dict:
    urn = f"urn:pulumi:dev::nox-infra::{token}::{name}"
    resource = dict(urn=urn, type=token, name=name, parent=None, dependencies=[], provider=None, protect=False, custom=True)
    return {"project": "nox-infra", "stack": "dev", "resources": [{**resource, "inputs": inputs}], "outputs": {}}


# --- the shipped plans -----------------------------------------------------------------------


@pytest.mark.parametrize(("stack", "platform"), CASES)
def test_every_plan_passes_the_preflight(plan_for, stack, platform):
    result = preflight.run(plan_doc(plan_for, stack, platform))
    assert [f"{v.type} {v.name} {v.path}: {v.constraint}" for v in result.violations] == []
    assert result.unmapped_types == []
    assert result.checked > 300  # the mapping really reaches the plan's inputs
    assert result.skipped_secret == 0  # no stored credential exists (IAM auth, RDS-managed master secret); secret skipping is tested below


@pytest.mark.parametrize(("stack", "platform"), CASES)
def test_every_planned_type_has_a_mapping_or_an_explicit_nothing_to_check(plan_for, stack, platform):
    types = {r["type"] for r in plan_doc(plan_for, stack, platform)["resources"]}
    missing = sorted(t for t in types if t not in MAPPINGS and not nothing_to_check(t))
    assert not missing, (
        f"no preflight mapping for {missing}: add an entry to MAPPINGS in offline/preflight/mapping.py "
        "(one Field per input the program sets: path -> botocore service, operation, member and/or a documented rule "
        "in rules.py), or a NOTHING_TO_CHECK entry with the reason; see docs/preflight.md, 'Adding a type'"
    )


# The optional log search domain (nox:logSearch, off on every shipped stack): its types too.
SEARCH_CASES = [("dev", "nox:platform=asg"), ("prod", "nox:platform=eks")]


@pytest.mark.parametrize(("stack", "platform"), SEARCH_CASES)
def test_the_log_search_plans_pass_the_preflight_and_every_type_is_mapped(plan_for, stack, platform):
    doc = json.loads(json.dumps(plan_for(stack, platform, "nox:logSearch=true").to_json()))
    types = {r["type"] for r in doc["resources"]}
    assert "aws:opensearch/domain:Domain" in types
    assert sorted(t for t in types if t not in MAPPINGS and not nothing_to_check(t)) == []
    result = preflight.run(doc)
    assert [f"{v.type} {v.name} {v.path}: {v.constraint}" for v in result.violations] == []
    assert result.unmapped_types == []


def test_the_waf_description_is_inside_entity_description(plan_for):
    """The known deploy blocker: parentheses in the web ACL description, rejected by CreateWebACL."""
    acl = next(r for r in plan_doc(plan_for, "prod", "eks")["resources"] if r["type"] == WAF)
    pattern = constraint_of(resolve("wafv2", "CreateWebACL", "Description"), "").pattern
    assert javaregex.compile_java(pattern).fullmatch(acl["inputs"]["description"])
    assert "rate limits, attack patterns" in acl["inputs"]["description"]  # the meaning kept


def test_the_pinned_botocore_is_the_one_the_mapping_was_written_against():
    assert botocore.__version__ == "1.44.8"  # requirements-dev.txt; a new version: re-run this file, fix mappings


# --- the mapping resolves, and every field has something to check ----------------------------


def _leaf(shape, depth: int = 0):
    """(build: bad value -> Pulumi value, constraint) for the first constrained member under `shape`."""
    found = constraint_of(shape, "model")
    if found or depth > 6:
        return (lambda bad: bad, found) if found else None
    if shape.type_name == "list":
        inner = _leaf(shape.member, depth + 1)
        return (lambda bad, f=inner[0]: [f(bad)], inner[1]) if inner else None
    if shape.type_name == "structure":
        for name, member in shape.members.items():
            inner = _leaf(member, depth + 1)
            if inner:
                key = name[0].lower() + name[1:]
                return (lambda bad, k=key, f=inner[0]: {k: f(bad)}, inner[1])
    return None


def constraints_of(field) -> list[tuple[str, object, object]]:
    """(origin, constraint, build) for each constraint a field carries."""
    out = []
    if field.api:
        leaf = _leaf(resolve(*field.api))
        if leaf:
            out.append(("botocore model", leaf[1], leaf[0]))
    if field.rule:
        out.append(("documented rule", RULES[field.rule], lambda bad: bad))
    return out


@pytest.mark.parametrize(("token", "field"), FIELDS, ids=[f"{t.split(':')[1]}:{f.path}" for t, f in FIELDS])
def test_every_mapping_resolves_in_the_pinned_botocore_and_has_a_constraint(token, field):
    if field.api:
        resolve(*field.api)  # MappingError names the service, operation and member that is gone
    assert field.rule is None or field.rule in RULES
    assert constraints_of(field), f"{token} {field.path}: maps to {field.api} with no pattern/min/max/enum: drop it or add a rule"


def test_every_rule_is_used_and_compiles():
    used = {field.rule for _, field in FIELDS if field.rule}
    assert used == set(RULES)
    for rule in RULES.values():
        assert rule.origin == "documented rule" and rule.source
        if rule.pattern:
            javaregex.compile_java(rule.pattern)


# --- one deliberately bad value per mapped field ---------------------------------------------

CHARS = ["(", " ", "!", "\x00", "é", "\n", "*", ":", "A", "-", "_", "0"]


def break_constraint(c, suffix: int):
    """A value violating `c`: outside the enum, too long, a pattern-violating char, below the minimum."""
    if c.kind == "list":
        return ["x"] * (int(c.max) + 1) if c.max is not None else []
    if c.kind == "number":
        if c.max is not None:
            return c.max + 1
        if c.min is not None:
            return c.min - 1
        if c.enum:
            return 61 if c.multiple_of else max(int(v) for v in c.enum) + 1
        return next(n for n in (-1, 1, 3, 31, 99999) if not javaregex.compile_java(c.pattern).fullmatch(str(n)))
    if c.enum:
        return "NOT-AN-ENUM-VALUE"
    if c.max is not None:
        return "a" * (int(c.max) + 1)
    if c.pattern:
        matcher = javaregex.compile_java(c.pattern)
        return next(ch for ch in CHARS if not matcher.fullmatch(ch + "0" * suffix))
    return ""  # below a minimum length of at least 1


def build_inputs(path: str, value) -> dict:
    head, _, rest = path.partition(".")
    inner = build_inputs(rest, value) if rest else value
    name = head.split("[")[0].split("{")[0]
    if head.endswith("[]"):
        inner = [inner]
    elif head.endswith("{k}"):
        inner = {inner: "x"}
    elif head.endswith("{v}"):
        inner = {"Name": inner}
    return {name: inner}


BROKEN = [(token, field, origin) for token, field in FIELDS for origin, _, _ in constraints_of(field)]


@pytest.mark.parametrize(("token", "field", "origin"), BROKEN, ids=[f"{t.split(':')[1]}:{f.path}:{o[:3]}" for t, f, o in BROKEN])
def test_a_value_breaking_the_constraint_fails(token, field, origin):
    _, constraint, build = next(entry for entry in constraints_of(field) if entry[0] == origin)
    bad = break_constraint(constraint, field.prefix)
    if field.path.endswith("{k}") and not isinstance(bad, str):
        pytest.skip("map keys are strings")
    result = preflight.run(one_resource_doc(token, build_inputs(field.path, build(bad))))
    root = field.path.split(".")[0].split("[")[0].split("{")[0]
    found = [v for v in result.violations if v.path.startswith(root)]
    assert found, f"{token} {field.path} = {bad!r} passed {constraint}"
    assert origin in {v.origin for v in found}
    assert all(v.urn.endswith("::probe") and v.type == token for v in found)


def test_a_prefix_is_judged_with_the_providers_suffix():
    # bucketPrefix: 37 characters + Terraform's 26-character unique id = 63, the S3 maximum.
    ok = preflight.run(one_resource_doc("aws:s3/bucket:Bucket", {"bucketPrefix": "a" * (63 - PREFIX_SUFFIX)}))
    too_long = preflight.run(one_resource_doc("aws:s3/bucket:Bucket", {"bucketPrefix": "a" * (64 - PREFIX_SUFFIX)}))
    assert ok.violations == [] and ok.checked == 1
    (finding,) = too_long.violations
    assert finding.path == "bucketPrefix" and "length 64 is above the maximum 63" in finding.constraint
    assert "26-character unique suffix" in finding.constraint
    # A prefix ending in '.' is fine: the suffix follows it; an upper-case letter is not (charset).
    assert preflight.run(one_resource_doc("aws:s3/bucket:Bucket", {"bucketPrefix": "logs."})).violations == []
    assert preflight.run(one_resource_doc("aws:s3/bucket:Bucket", {"bucketPrefix": "Logs-"})).violations


def test_an_unset_name_is_judged_as_pulumis_autoname():
    # Target group names: 32 characters at most; Pulumi adds "-" and 7 hex characters to the logical name.
    token = "aws:lb/targetGroup:TargetGroup"
    fits = "t" * (32 - 1 - AUTONAME_SUFFIX)
    assert preflight.run(one_resource_doc(token, {"port": 80}, name=fits)).violations == []
    (finding,) = preflight.run(one_resource_doc(token, {"port": 80}, name=fits + "x")).violations
    assert finding.path == "name (autonamed)" and "above the maximum 32" in finding.constraint
    assert finding.origin == "documented rule"
    # An explicit prefix replaces the autoname: nothing autonamed is judged then.
    assert preflight.run(one_resource_doc(token, {"namePrefix": "tg-"}, name=fits + "xxxx")).violations == []


# --- Java regex semantics --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "value", "matches"),
    [
        (r"\w+", "abc_1", True),
        (r"\w+", "é", False),  # Java's \w is ASCII
        (r"\d+", "١٢", False),  # so is \d
        (r"\s", "\x0b", True),  # Java's \s includes \x0B
        (r"\s", "\u00a0", False),
        (r"abc", "abcd", False),  # the whole value must match
        (r"^[a-z]+$", "abc\n", False),  # no trailing-newline loophole
        (r"[\w-_]*", "a-_b", True),  # '-' after a class escape is literal in Java
        (r"^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$", "Grüße 12", True),
        (r"^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$", "a(b", False),
        (r"[\p{Zs}]+", "\u3000 ", True),
        (r"\p{ASCII}+", "é", False),
        (r"[\u0020-\uD7FF\uE000-\uFFFD\uD800\uDC00-\uDBFF\uDFFF\r\n\t]*", "emoji 😀", True),  # surrogate pair range
        (r"[\u0020-\uD7FF\uE000-\uFFFD\uD800\uDC00-\uDBFF\uDFFF\r\n\t]*", "\x01", False),
        (r"\x{41}\Q.*\E", "A.*", True),
        (r"\x{41}\Q.*\E", "Abc", False),
        (r"(?<first>a)b", "ab", True),
        (r"[0-9A-Za-z\-_]*(?<!\.)", "ab.", False),
        (r"^[\w+=:#@/\-,\.][\w+=:#@/\-,\.\s]+[\w+=:#@/\-,\.]$", "nox-dev NOX API (rate limits)", False),
        (r"^[\w+=:#@/\-,\.][\w+=:#@/\-,\.\s]+[\w+=:#@/\-,\.]$", "nox-dev NOX API: rate limits, geo", True),
    ],
)
def test_java_regex_translation(pattern, value, matches):
    assert bool(javaregex.compile_java(pattern).fullmatch(value)) is matches


def test_untranslatable_java_is_refused_not_guessed():
    for pattern in (r"[^\p{L}]", r"[a-z&&[^b]]", r"\P{L}"):
        with pytest.raises(javaregex.UnsupportedPattern):
            javaregex.translate(pattern)


def test_every_pattern_of_every_mapped_service_translates():
    services = {field.api[0] for _, field in FIELDS if field.api}
    count = 0
    for name in sorted(services):
        model = service(name)
        for shape_name in model.shape_names:
            pattern = model.shape_for(shape_name).metadata.get("pattern")
            if pattern:
                javaregex.compile_java(pattern)
                count += 1
    assert count > 500


# --- unknown and secret values ---------------------------------------------------------------


def test_unknown_and_secret_values_are_skipped_and_counted():
    inputs = {"description": None, "assumeRolePolicy": "[secret]", "name": "a" * 65, "path": "/nox/"}
    result = preflight.run(one_resource_doc("aws:iam/role:Role", inputs))
    assert (result.skipped_unknown, result.skipped_secret, result.checked) == (1, 1, 2)
    assert [v.path for v in result.violations] == ["name"]
    section = result.to_json()
    assert section["skipped"] == {"unknown": 1, "secret": 1} and section["checked"] == 2


def test_a_long_value_is_truncated_in_the_report():
    (finding,) = preflight.run(one_resource_doc("aws:iam/role:Role", {"name": "r" * 200})).violations
    assert len(finding.value) <= 80 and finding.value.endswith("...")


def test_an_unmapped_type_is_listed_not_failed():
    result = preflight.run(one_resource_doc("aws:ec2/instance:Instance", {"instanceType": "t3.nano"}))
    assert result.unmapped_types == ["aws:ec2/instance:Instance"] and result.violations == []


# --- the plan document and reports -----------------------------------------------------------


def test_old_plans_without_the_section_still_validate_and_a_bad_section_does_not(plan_for):
    doc = plan_doc(plan_for, "dev", "asg")
    report.validate(doc)  # a plan written before the preflight existed
    doc["preflight"] = preflight.run(doc).to_json()
    report.validate(doc)
    doc["preflight"]["checked"] = "many"
    with pytest.raises(report.PlanSchemaError, match="preflight.checked must be an integer"):
        report.validate(doc)


def bad_waf(doc: dict) -> dict:
    acl = next(r for r in doc["resources"] if r["type"] == WAF)
    acl["inputs"]["description"] = "NOX API (rate limits)"
    return doc


@pytest.fixture
def bad_plan_engine(monkeypatch, plan_for):
    """`engine.run` answering the cached dev plan with the WAF description AWS rejects."""
    plan = copy.deepcopy(plan_for("dev"))
    bad_waf({"resources": plan.resources})
    monkeypatch.setattr(engine, "run", lambda stack, overrides=(), **kw: plan)


def test_plan_exits_1_and_the_tree_names_resource_property_value_constraint(bad_plan_engine, capsys):
    assert cli.main(["plan", "--stack", "dev"]) == 1
    out = capsys.readouterr().out
    line = next(line for line in out.splitlines() if "edge-waf" in line and "description" in line)
    assert f"{WAF} edge-waf: description = 'NOX API (rate limits)': does not match the pattern ^[\\w+=:#@/" in line
    assert "[botocore model: wafv2 CreateWebACL Description (shape EntityDescription)]" in line
    assert re.search(r"AWS API preflight 1 violation\(s\): \d+ value\(s\) checked, 0 unknown and 0 secret skipped", out)


def test_plan_json_carries_the_section_and_markdown_the_table(bad_plan_engine, capsys, tmp_path):
    target = tmp_path / "plan.json"
    assert cli.main(["plan", "--stack", "dev", "--format", "json", "--output", str(target)]) == 1
    doc = json.loads(target.read_text())
    (finding,) = doc["preflight"]["violations"]
    assert (finding["name"], finding["path"], finding["origin"]) == ("edge-waf", "description", "botocore model")
    assert "AWS API preflight 1 violation(s)" in capsys.readouterr().err
    assert cli.main(["plan", "--stack", "dev", "--format", "markdown"]) == 1
    out = capsys.readouterr().out
    assert "### AWS API preflight" in out and "| `aws:wafv2/webAcl:WebAcl` **edge-waf** | `description` |" in out
    assert out.count("❌") == 1


def test_check_reruns_the_preflight_on_a_saved_plan(plan_for, tmp_path, capsys):
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan_doc(plan_for, "dev", "asg")))  # no preflight section: an old plan
    assert cli.main(["check", str(path)]) == 0
    assert "AWS API preflight passed" in capsys.readouterr().out
    bad = bad_waf(plan_doc(plan_for, "dev", "asg"))
    bad["preflight"] = preflight.run(plan_doc(plan_for, "dev", "asg")).to_json()  # a stale "clean" section
    path.write_text(json.dumps(bad))
    assert cli.main(["check", str(path)]) == 1
    assert "edge-waf: description = 'NOX API (rate limits)'" in capsys.readouterr().out
    assert cli.main(["check", str(path), "--format", "json"]) == 1
    result = json.loads(capsys.readouterr().out)
    assert result["mandatory"] is False and result["preflight"]["violations"][0]["path"] == "description"


def test_the_shape_cache_matches_the_pinned_botocore():
    """botocore-shapes.json is what the plan reads instead of the models: regenerate it with
    `venv/bin/python -m offline.preflight` after changing a mapping or botocore."""
    from offline.preflight import model

    roots = [field.api for _, field in FIELDS if field.api]
    assert json.loads(model.CACHE.read_text()) == json.loads(json.dumps(model.dump(roots))), "run: venv/bin/python -m offline.preflight"


@pytest.mark.parametrize(
    ("period", "expected"),
    [(10, None), (30, None), (60, None), (300, None), (45, "45 is not one of 10, 20, 30 or a multiple of 60"), (0, "0 is not one of")],
)
def test_alarm_periods_are_10_20_30_or_a_multiple_of_60(period, expected):
    why = preflight.violation(period, RULES["cloudwatch-alarm-period"])
    assert why == expected if expected is None else why.startswith(expected)


def test_numbers_sent_as_strings_and_strings_sent_as_numbers_are_judged_by_value():
    port = constraint_of(resolve("elbv2", "CreateTargetGroup", "Port"), "")
    assert preflight.violation("8080", port) is None and preflight.violation("70000", port) == "70000 is above the maximum 65535"
    assert preflight.violation("many", port) == "'many' is not a number"
    assert preflight.violation(3000.0, RULES["elb-health-check-port"]) is None  # Pulumi's float, AWS's string


def _pulumi_inputs(cls) -> dict[str, object]:
    """Wire name -> getter annotation of a pulumi_aws `...Args` class."""
    return {
        getattr(prop.fget, "_pulumi_name", ""): prop.fget.__annotations__.get("return", "")
        for prop in vars(cls).values()
        if isinstance(prop, property)
    }


def _nested_args(module, annotation) -> type | None:
    """The `...Args` input type an annotation names (lists and single objects alike), if any."""
    found = re.search(r"'(\w+Args)'", str(annotation))
    return getattr(getattr(module, "_inputs", None), found[1], None) if found else None


@pytest.mark.parametrize("token", sorted(t for t in MAPPINGS if t.startswith("aws:")))
def test_every_mapped_path_is_an_input_of_the_pulumi_type(token):
    """A misspelt property would silently check nothing: each path must exist in pulumi_aws's input types."""
    import importlib

    package = token.split(":")[1].split("/")[0]
    module = importlib.import_module(f"pulumi_aws.{package}_" if package == "lambda" else f"pulumi_aws.{package}")
    resource = getattr(module, token.split(":")[2])
    # The constructor's keywords, not `<Type>Args`: a nested input type may share that name (s3's legacy Bucket).
    params = inspect.signature(resource._internal_init).parameters.values()
    top = {re.sub(r"_([a-z0-9])", lambda m: m[1].upper(), p.name): p.annotation for p in params}
    for field in MAPPINGS[token]:
        inputs, where = top, resource.__name__
        for segment in field.path.split("."):
            name = segment.split("[")[0].split("{")[0]
            assert name in inputs, f"{token}: {field.path}: {name!r} is not an input of {where} ({sorted(inputs)})"
            cls = _nested_args(module, inputs[name])
            if cls is None:
                break  # a scalar, list of scalars or map: nothing deeper to resolve
            inputs, where = _pulumi_inputs(cls), cls.__name__
