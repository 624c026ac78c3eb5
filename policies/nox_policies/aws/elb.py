"""Application Load Balancers: `aws:lb` resources (platform asg) and `alb` Ingresses, whose ALB the AWS Load
Balancer Controller builds from annotations (platform eks)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..common import UNKNOWN, Res, as_int, as_json, as_list, blank, get, is_true, items, resource_policy
from .tokens import ALB_RESOURCE_TYPES, INGRESS_TYPES, LB_TYPES, LISTENER_TYPES

# TLS 1.2+ ALB security policies. A copy of `settings.schema.TLS_POLICIES` (the pack is standalone
# and must not import the program); `tests/test_policies_aws.py` keeps the two lists equal. The
# first is AWS's recommended hybrid post-quantum policy (the program's default).
TLS_POLICIES = (
    "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-2-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-2-Ext1-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-2-Ext2-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-3-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-2-FIPS-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-2-Res-FIPS-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-2-Ext0-FIPS-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-2-Ext1-FIPS-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-2-Ext2-FIPS-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-3-FIPS-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Ext2-2021-06",
    "ELBSecurityPolicy-TLS13-1-3-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04",
    "ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04",
    "ELBSecurityPolicy-FS-1-2-Res-2020-10",
    "ELBSecurityPolicy-TLS-1-2-2017-01",
)
DEFAULT_TLS_POLICY = TLS_POLICIES[0]


def is_application_lb(r: Res) -> bool:
    return r.type in LB_TYPES and r.get("loadBalancerType") in (None, "application")


def annotation(r: Res, key: str) -> Any:
    return get(r.props, "metadata", "annotations", key)


def is_alb_ingress(r: Res) -> bool:
    if r.type not in INGRESS_TYPES:
        return False
    return r.get("spec", "ingressClassName") == "alb" or annotation(r, "kubernetes.io/ingress.class") == "alb"


def ingress_lb_attributes(r: Res) -> dict[str, str] | Any:
    """`alb.ingress.kubernetes.io/load-balancer-attributes` ("k=v,k=v") as a dict (UNKNOWN if unknown)."""
    raw = annotation(r, "alb.ingress.kubernetes.io/load-balancer-attributes")
    if raw is UNKNOWN:
        return UNKNOWN
    attributes: dict[str, str] = {}
    for pair in (raw or "").split(","):
        key, sep, value = pair.partition("=")
        if sep:
            attributes[key.strip()] = value.strip()
    return attributes


def ingress_listen_protocols(r: Res) -> set[str] | Any:
    """Protocols of the ALB listeners an Ingress asks for (the controller's defaults when unset)."""
    raw = annotation(r, "alb.ingress.kubernetes.io/listen-ports")
    if raw is UNKNOWN:
        return UNKNOWN
    if blank(raw):
        has_cert = not blank(annotation(r, "alb.ingress.kubernetes.io/certificate-arn"))
        return {"HTTPS"} if has_cert else {"HTTP"}
    ports = as_json(raw)
    return {str(k).upper() for entry in as_list(ports) if isinstance(entry, dict) for k in entry}


def check_https_tls_policy(r: Res) -> Iterator[str]:
    allowed = ", ".join(TLS_POLICIES)
    if r.type in LISTENER_TYPES:
        if r.get("protocol") not in ("HTTPS", "TLS"):
            return
        policy = r.get("sslPolicy")
        if policy is not UNKNOWN and policy not in TLS_POLICIES:
            yield (
                f"{r.label} serves {r.get('protocol')} with TLS policy {policy or '(AWS default, allows TLS 1.0)'}: "
                f"set ssl_policy to a TLS 1.2+ policy, e.g. {DEFAULT_TLS_POLICY} (allowed: {allowed})."
            )
        return
    if not is_alb_ingress(r):
        return
    protocols = ingress_listen_protocols(r)
    if protocols is UNKNOWN:
        return
    if "HTTPS" not in protocols:
        yield (
            f"{r.label} gives its ALB no HTTPS listener: set alb.ingress.kubernetes.io/certificate-arn and "
            'listen-ports \'[{"HTTP": 80}, {"HTTPS": 443}]\'.'
        )
        return
    policy = annotation(r, "alb.ingress.kubernetes.io/ssl-policy")
    if policy is not UNKNOWN and policy not in TLS_POLICIES:
        yield (
            f"{r.label} sets TLS policy {policy or '(controller default ELBSecurityPolicy-2016-08, allows TLS 1.0)'}: "
            f"set alb.ingress.kubernetes.io/ssl-policy to a TLS 1.2+ policy, e.g. {DEFAULT_TLS_POLICY}."
        )


def _redirects_to_https(action: Any) -> bool:
    return (
        isinstance(action, dict)
        and action.get("type") == "redirect"
        and get(action, "redirect") is not None
        and get(action, "redirect", "protocol") in ("HTTPS", UNKNOWN)
    )


def check_http_redirects(r: Res) -> Iterator[str]:
    if r.type in LISTENER_TYPES:
        if r.get("protocol") != "HTTP":
            return
        actions = r.get("defaultActions")
        if actions is UNKNOWN or any(a is UNKNOWN or get(a, "type") is UNKNOWN for a in items(actions)):
            return
        if not items(actions) or not all(_redirects_to_https(a) for a in items(actions)):
            kinds = ", ".join(str(get(a, "type")) for a in items(actions)) or "none"
            yield (
                f"{r.label} is a plain-HTTP listener whose default action is '{kinds}': make its only action "
                "a redirect to HTTPS (type redirect, protocol HTTPS, port 443, status HTTP_301)."
            )
        return
    if not is_alb_ingress(r):
        return
    protocols = ingress_listen_protocols(r)
    if protocols is UNKNOWN or "HTTP" not in protocols:
        return
    redirect = annotation(r, "alb.ingress.kubernetes.io/ssl-redirect")
    if redirect is not UNKNOWN and as_int(redirect) != 443:
        yield (
            f"{r.label} opens an HTTP listener without redirecting it: set "
            "alb.ingress.kubernetes.io/ssl-redirect: '443' so HTTP only redirects to HTTPS."
        )


def _lb_attribute_check(r: Res, lb_prop: str, ingress_attr: str, wanted: str) -> Iterator[str]:
    if r.type in LB_TYPES:
        if not is_application_lb(r):
            return
        value = r.get(lb_prop)
        if value is not UNKNOWN and not is_true(value):
            yield f"{r.label} has {lb_prop}={value!r}: set it to true ({wanted})."
    elif is_alb_ingress(r):
        attributes = ingress_lb_attributes(r)
        if attributes is not UNKNOWN and not is_true(attributes.get(ingress_attr)):
            yield (f"{r.label} does not set {ingress_attr}=true in alb.ingress.kubernetes.io/load-balancer-attributes: add it ({wanted}).")


def check_drop_invalid_headers(r: Res) -> Iterator[str]:
    yield from _lb_attribute_check(
        r,
        "dropInvalidHeaderFields",
        "routing.http.drop_invalid_header_fields.enabled",
        "the ALB must drop header fields with invalid names instead of passing them on",
    )


def check_access_logs(r: Res) -> Iterator[str]:
    if r.type in LB_TYPES:
        if not is_application_lb(r):
            return
        logs = r.get("accessLogs")
        if logs is UNKNOWN:
            return
        enabled, bucket = get(logs, "enabled"), get(logs, "bucket")
        if enabled is not UNKNOWN and (not is_true(enabled) or blank(bucket)):
            yield (
                f"{r.label} does not write access logs: set access_logs={{bucket: <log bucket>, enabled: True}} "
                "with an encrypted, non-public bucket."
            )
    elif is_alb_ingress(r):
        attributes = ingress_lb_attributes(r)
        if attributes is UNKNOWN:
            return
        if not is_true(attributes.get("access_logs.s3.enabled")) or blank(attributes.get("access_logs.s3.bucket")):
            yield (
                f"{r.label} does not turn on ALB access logs: add access_logs.s3.enabled=true and "
                "access_logs.s3.bucket=<log bucket> to alb.ingress.kubernetes.io/load-balancer-attributes."
            )


def check_desync_mitigation(r: Res) -> Iterator[str]:
    if r.type in LB_TYPES:
        mode = r.get("desyncMitigationMode") if is_application_lb(r) else None
    elif is_alb_ingress(r):
        attributes = ingress_lb_attributes(r)
        mode = UNKNOWN if attributes is UNKNOWN else attributes.get("routing.http.desync_mitigation_mode")
    else:
        return
    if mode is not UNKNOWN and mode not in (None, "defensive", "strictest"):
        yield (
            f"{r.label} uses desync mitigation mode {mode!r}, which lets HTTP desync attacks through: "
            "use 'defensive' (the AWS default) or 'strictest'."
        )


POLICIES = [
    resource_policy(
        "aws-alb-https-listener-tls12-policy",
        "ALB HTTPS listeners use a TLS 1.2+ security policy from the allow-list.",
        (*LISTENER_TYPES, *INGRESS_TYPES),
        check_https_tls_policy,
    ),
    resource_policy(
        "aws-alb-http-listener-redirects-to-https",
        "ALB plain-HTTP listeners only redirect to HTTPS.",
        (*LISTENER_TYPES, *INGRESS_TYPES),
        check_http_redirects,
    ),
    resource_policy(
        "aws-alb-drop-invalid-header-fields",
        "ALBs drop HTTP header fields with invalid names.",
        ALB_RESOURCE_TYPES,
        check_drop_invalid_headers,
    ),
    resource_policy("aws-alb-access-logs-enabled", "ALBs write access logs to S3.", ALB_RESOURCE_TYPES, check_access_logs),
    resource_policy(
        "aws-alb-desync-mitigation", "ALBs mitigate HTTP desync (mode defensive or strictest).", ALB_RESOURCE_TYPES, check_desync_mitigation
    ),
]
