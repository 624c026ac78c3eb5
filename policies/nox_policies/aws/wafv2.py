"""WAF web ACLs: the seed's nginx-waf.conf as the edge builds it (rate limits, managed rule groups,
body size) and CloudWatch metrics. Logging needs the logging configuration too: `stack.py`."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ..common import UNKNOWN, Res, as_int, as_json, get, has_unknown, is_false, items, resource_policy
from .tokens import WEB_ACL

# Seed "Security Hardening" > nginx-waf.conf: `limit_req_zone ... zone=auth rate=5r/s` on
# /api/auth/ and `zone=api rate=10r/s` on /api/, per client address. WAF counts requests per
# evaluation window (default 300 s), so a rule's rate is limit / window.
SEED_RATE_LIMITS = (("/api/auth/", 5.0), ("/api/", 10.0))
DEFAULT_EVALUATION_WINDOW_SEC = 300
PER_CLIENT_KEYS = ("IP", "FORWARDED_IP")
# The managed groups that replace the seed's "Block common attack patterns" `if` blocks (XSS,
# SQL injection, known bad inputs). No group may be set to count, and no rule inside one may be
# overridden to count, except SizeRestrictions_BODY: it blocks bodies over 8 KB, which the seed
# allows up to 10 MiB, so the body-size rule takes its place.
MANAGED_RULE_GROUPS = ("AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet", "AWSManagedRulesSQLiRuleSet")
COUNT_ONLY_ALLOWED = {"AWSManagedRulesCommonRuleSet": ("SizeRestrictions_BODY",)}
# The app's Prometheus endpoint is for in-VPC scrapers only: the ALB forwards every path, so the
# ACL refuses it from the internet (components/edge.py INTERNAL_PATHS; seed prometheus.yml scrapes
# it from inside).
INTERNAL_PATHS = ("/metrics",)
# Seed k8s-ingress.yml `nginx.ingress.kubernetes.io/proxy-body-size: "10m"`: 10 MiB.
SEED_BODY_LIMIT_BYTES = 10 * 1024 * 1024


def _camel(value: Any) -> Any:
    """`rule_json` (the WAF API's PascalCase JSON) in the provider's camelCase shape."""
    if isinstance(value, dict):
        return {(k[:1].lower() + k[1:] if isinstance(k, str) else k): _camel(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_camel(v) for v in value]
    return value


def acl_rules(r: Res) -> list[Any] | Any:
    """The ACL's rules (from `rules` or `rule_json`); UNKNOWN when not known yet."""
    rules = r.get("rules")
    if rules is UNKNOWN or UNKNOWN in items(rules):
        return UNKNOWN
    if items(rules):
        return items(rules)
    raw = r.get("ruleJson")
    if raw is UNKNOWN:
        return UNKNOWN
    parsed = as_json(raw)
    return [x for x in _camel(parsed) if isinstance(x, dict)] if isinstance(parsed, list) else []


def _blocks(rule: Any) -> bool:
    return get(rule, "action", "block") is not None


def _action_name(rule: Any) -> str:
    action = get(rule, "action")
    return ", ".join(action) if isinstance(action, dict) and action else "none"


def matched_paths(statement: Any) -> list[str]:
    """URI path prefixes a statement positively requires (byte matches outside a NOT)."""
    if not isinstance(statement, dict):
        return []
    found: list[str] = []
    match = statement.get("byteMatchStatement")
    if get(match, "fieldToMatch", "uriPath") is not None and get(match, "positionalConstraint") in ("STARTS_WITH", "EXACTLY"):
        found.append(str(get(match, "searchString")))
    for nested in items(get(statement, "andStatement", "statements")):
        found += matched_paths(nested)
    return found


def _rate_rule_for(rules: list[Any], path: str) -> Any:
    """The rate-based rule scoped to `path` (its scope-down requires that prefix)."""
    for rule in rules:
        rate = get(rule, "statement", "rateBasedStatement")
        if isinstance(rate, dict) and path in matched_paths(rate.get("scopeDownStatement")):
            return rule
    return None


def check_rate_limits(r: Res) -> Iterator[str]:
    rules = acl_rules(r)
    if rules is UNKNOWN:
        return
    for path, seed_rate in SEED_RATE_LIMITS:
        rule = _rate_rule_for(rules, path)
        if rule is None and not has_unknown(rules):
            yield (
                f"Web ACL '{r.name}' has no rate-based rule scoped to {path}: add one (scope-down byte match STARTS_WITH "
                f"{path} on the URI path) limiting each client to the seed's {seed_rate:g} requests/s."
            )
        if rule is None:
            continue
        rate = get(rule, "statement", "rateBasedStatement")
        limit, window = as_int(get(rate, "limit")), as_int(get(rate, "evaluationWindowSec")) or DEFAULT_EVALUATION_WINDOW_SEC
        name = get(rule, "name")
        if get(rate, "limit") is not UNKNOWN and limit is not None and limit / window > seed_rate:
            yield (
                f"Web ACL '{r.name}' rule {name} allows {limit} requests per {window} s on {path} ({limit / window:g}/s): "
                f"the seed allows {seed_rate:g}/s, i.e. a limit of at most {int(seed_rate * window)} per {window} s."
            )
        key = get(rate, "aggregateKeyType")
        if key is not UNKNOWN and key not in PER_CLIENT_KEYS:
            yield f"Web ACL '{r.name}' rule {name} counts requests by {key}, not per client: set aggregate_key_type='IP'."
        if get(rule, "action") is not UNKNOWN and not _blocks(rule):
            yield f"Web ACL '{r.name}' rule {name} on {path} only does {_action_name(rule)}: its action must be block (HTTP 429)."


def _overrides_to_count(statement: Any) -> list[str]:
    return [
        str(get(o, "name"))
        for o in items(get(statement, "managedRuleGroupStatement", "ruleActionOverrides"))
        if get(o, "actionToUse", "count") not in (None, UNKNOWN) and get(o, "name") is not UNKNOWN
    ]


def check_managed_groups(r: Res) -> Iterator[str]:
    rules = acl_rules(r)
    if rules is UNKNOWN:
        return
    groups = {get(rule, "statement", "managedRuleGroupStatement", "name"): rule for rule in rules}
    for group in MANAGED_RULE_GROUPS:
        rule = groups.get(group)
        if rule is None:
            if not has_unknown(rules):
                yield f"Web ACL '{r.name}' lacks the managed rule group {group} (vendor AWS): add it with override_action none."
            continue
        if get(rule, "overrideAction", "count") not in (None, UNKNOWN):
            yield f"Web ACL '{r.name}' runs {group} in count mode: set override_action={{none: {{}}}} so it blocks."
        extra = [n for n in _overrides_to_count(get(rule, "statement")) if n not in COUNT_ONLY_ALLOWED.get(group, ())]
        if extra:
            yield f"Web ACL '{r.name}' overrides {group} rules {', '.join(extra)} to count: remove the overrides so they block."


def _content_length_rule_ok(rule: Any) -> bool:
    """A blocking regex on Content-Length that matches one byte over the seed's limit but not the limit."""
    match = get(rule, "statement", "regexMatchStatement")
    header = get(match, "fieldToMatch", "singleHeader", "name")
    pattern = get(match, "regexString")
    if not isinstance(header, str) or header.lower() != "content-length" or not isinstance(pattern, str):
        return False
    try:
        compiled = re.compile(pattern)
    except re.error:
        return False
    return bool(compiled.search(str(SEED_BODY_LIMIT_BYTES + 1))) and not compiled.search(str(SEED_BODY_LIMIT_BYTES))


def _body_size_rule_ok(rule: Any) -> bool:
    size = get(rule, "statement", "sizeConstraintStatement")
    return (
        get(size, "fieldToMatch", "body") is not None
        and get(size, "comparisonOperator") == "GT"
        and (as_int(get(size, "size")) or 0) <= SEED_BODY_LIMIT_BYTES
    )


def check_body_size(r: Res) -> Iterator[str]:
    rules = acl_rules(r)
    if rules is UNKNOWN:
        return
    if has_unknown(rules):
        return
    if not any(_blocks(rule) and (_content_length_rule_ok(rule) or _body_size_rule_ok(rule)) for rule in rules):
        yield (
            f"Web ACL '{r.name}' does not block request bodies over the seed's 10 MiB (proxy-body-size 10m): add a blocking "
            "rule on the Content-Length header (regex matching values above 10485760; WAF sees only the first 8 KB of a body)."
        )


def check_internal_paths(r: Res) -> Iterator[str]:
    rules = acl_rules(r)
    if rules is UNKNOWN or has_unknown(rules):
        return
    blocked = {
        p
        for rule in rules
        if _blocks(rule) and get(rule, "statement", "rateBasedStatement") is None
        for p in matched_paths(get(rule, "statement"))
    }
    for path in INTERNAL_PATHS:
        if path not in blocked:
            yield (
                f"Web ACL '{r.name}' lets the internet reach {path}: add a blocking rule (byte match STARTS_WITH {path} on the "
                "normalised, lower-cased URI path); only scrapers inside the VPC read it."
            )


def check_metrics(r: Res) -> Iterator[str]:
    """FSBP WAF.12: the ACL and every rule publish CloudWatch metrics."""
    if is_false(r.get("visibilityConfig", "cloudwatchMetricsEnabled")) or r.get("visibilityConfig") is None:
        yield f"Web ACL '{r.name}' publishes no CloudWatch metrics: set visibility_config.cloudwatch_metrics_enabled=True."
    rules = acl_rules(r)
    if rules is UNKNOWN:
        return
    off = [str(get(rule, "name")) for rule in rules if get(rule, "visibilityConfig", "cloudwatchMetricsEnabled") not in (True, UNKNOWN)]
    if off:
        yield f"Web ACL '{r.name}' rules {', '.join(off)} publish no CloudWatch metrics: set cloudwatch_metrics_enabled=True on each."


POLICIES = [
    resource_policy(
        "aws-wafv2-web-acl-seed-rate-limits",
        "Web ACLs rate-limit /api/auth/ and /api/ per client within the seed's 5 and 10 requests/s, action block.",
        [WEB_ACL],
        check_rate_limits,
    ),
    resource_policy(
        "aws-wafv2-web-acl-managed-rule-groups",
        "Web ACLs run the AWS Common, KnownBadInputs and SQLi rule groups, none set to count (only SizeRestrictions_BODY may count).",
        [WEB_ACL],
        check_managed_groups,
    ),
    resource_policy(
        "aws-wafv2-web-acl-body-size-limit",
        "Web ACLs block requests whose body exceeds the seed's 10 MiB.",
        [WEB_ACL],
        check_body_size,
    ),
    resource_policy(
        "aws-wafv2-web-acl-internal-paths-blocked",
        "Web ACLs block the app's internal paths (/metrics) from the internet.",
        [WEB_ACL],
        check_internal_paths,
    ),
    resource_policy(
        "aws-wafv2-web-acl-metrics",
        "FSBP WAF.12: web ACLs and all their rules publish CloudWatch metrics.",
        [WEB_ACL],
        check_metrics,
    ),
]
