"""Application Load Balancers: `aws:lb` resources (platform asg) and `alb` Ingresses, whose ALB the AWS Load
Balancer Controller builds from annotations (platform eks)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ..common import UNKNOWN, Res, as_int, as_json, as_list, blank, get, is_false, is_true, items, resource_policy
from .tokens import ALB_RESOURCE_TYPES, INGRESS_TYPES, LB_TYPES, LISTENER_TYPES, TARGET_GROUP_TYPES

# Forward-secret, AEAD-only ALB security policies (TLS 1.2 with ECDHE + GCM only, or TLS 1.3 only):
# the -Res- and TLS13-1-3 policies of AWS's "Security policies for your Application Load Balancer"
# table. The plain TLS13-1-2, FIPS-2023-04, Ext0/Ext1/Ext2 and TLS-1-2-2017-01 policies also offer
# CBC (…-SHA256/-SHA384/-SHA) or non-ECDHE (AES128-GCM-SHA256) suites under TLS 1.2. Seed "SSL/TLS
# Configuration": ssl_protocols TLSv1.2 TLSv1.3 with ECDHE AES-GCM / CHACHA20-POLY1305 ciphers only.
# A copy of `settings.schema.TLS_POLICIES` (the pack is standalone and must not import the program);
# `tests/test_policies_aws.py` keeps the two lists equal. The first is AWS's recommended hybrid
# post-quantum policy (the program's default).
TLS_POLICIES = (
    "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-3-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-2-Res-FIPS-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-3-FIPS-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
    "ELBSecurityPolicy-TLS13-1-3-2021-06",
    "ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04",
    "ELBSecurityPolicy-FS-1-2-Res-2020-10",
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
                f"set ssl_policy to a forward-secret AEAD-only TLS 1.2+ policy, e.g. {DEFAULT_TLS_POLICY} (allowed: {allowed})."
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
            f"set alb.ingress.kubernetes.io/ssl-policy to a forward-secret AEAD-only TLS 1.2+ policy, e.g. {DEFAULT_TLS_POLICY} "
            f"(allowed: {allowed})."
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


# --- security headers and CORS (seed nginx-waf.conf `add_header`, ALB response header modification) ---

# Seed "Security Hardening" > nginx-waf.conf and ssl-config.conf: the headers the ALB now adds.
SEED_HSTS_MAX_AGE = 31536000
SEED_FRAME_OPTIONS = "DENY"
# The seed's CSP: default-src 'self'; script-src and style-src 'self' 'unsafe-inline'. A change may
# tighten it (fewer sources, 'none'), never add hosts, schemes or wildcards.
SEED_CSP_SOURCES = {"'self'", "'unsafe-inline'", "'none'"}
# Listener attribute (pulumi-aws Listener argument, ELBv2 ModifyListenerAttributes key) per header.
HEADER_ATTRIBUTES = {
    "hsts": ("routingHttpResponseStrictTransportSecurityHeaderValue", "routing.http.response.strict_transport_security.header_value"),
    "frame": ("routingHttpResponseXFrameOptionsHeaderValue", "routing.http.response.x_frame_options.header_value"),
    "nosniff": ("routingHttpResponseXContentTypeOptionsHeaderValue", "routing.http.response.x_content_type_options.header_value"),
    "csp": ("routingHttpResponseContentSecurityPolicyHeaderValue", "routing.http.response.content_security_policy.header_value"),
    "origin": (
        "routingHttpResponseAccessControlAllowOriginHeaderValue",
        "routing.http.response.access_control_allow_origin.header_value",
    ),
    "server": ("routingHttpResponseServerEnabled", "routing.http.response.server.enabled"),
}
_UNESCAPED_COMMA = re.compile(r"(?<!\\),")


def parse_attribute_list(raw: str) -> dict[str, str]:
    """An annotation "k=v,k=v" whose values may hold `\\,` (an escaped comma) and `=`."""
    attributes: dict[str, str] = {}
    for pair in _UNESCAPED_COMMA.split(raw):
        key, sep, value = pair.partition("=")
        if sep:
            attributes[key.strip()] = value.strip().replace("\\,", ",")
    return attributes


def https_header_settings(r: Res) -> dict[str, Any] | None | Any:
    """Header settings of an HTTPS listener or an alb Ingress's HTTPS listener, by HEADER_ATTRIBUTES
    kind; None when `r` serves no HTTPS; UNKNOWN when they are not known yet."""
    if r.type in LISTENER_TYPES:
        if r.get("protocol") != "HTTPS":
            return None
        return {kind: r.get(arg) for kind, (arg, _) in HEADER_ATTRIBUTES.items()}
    if not is_alb_ingress(r):
        return None
    annotations = get(r.props, "metadata", "annotations")
    if annotations is UNKNOWN:
        return UNKNOWN
    raws = [v for k, v in (annotations or {}).items() if k.startswith("alb.ingress.kubernetes.io/listener-attributes.HTTPS-")]
    if UNKNOWN in raws:
        return UNKNOWN
    attributes: dict[str, str] = {}
    for raw in raws:
        attributes.update(parse_attribute_list(str(raw)))
    return {kind: attributes.get(key) for kind, (_, key) in HEADER_ATTRIBUTES.items()}


def _hsts_problem(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return "sends no Strict-Transport-Security header"
    parts = [p.strip().lower() for p in value.split(";")]
    age = next((as_int(p.partition("=")[2]) for p in parts if p.startswith("max-age=")), None)
    if age is None or age < SEED_HSTS_MAX_AGE or "includesubdomains" not in parts or "preload" not in parts:
        return f"sends Strict-Transport-Security {value!r}"
    return None


def _csp_problem(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return "sends no Content-Security-Policy header"
    directives = {d.split()[0].lower(): d.split()[1:] for d in value.split(";") if d.split()}
    if directives.get("default-src") not in (["'self'"], ["'none'"]):
        return f"sends Content-Security-Policy {value!r} without default-src 'self'"
    extra = sorted({src for sources in directives.values() for src in sources if src.lower() not in SEED_CSP_SOURCES})
    if extra:
        return f"sends Content-Security-Policy {value!r}, which also allows {', '.join(extra)}"
    return None


def check_security_headers(r: Res) -> Iterator[str]:
    settings = https_header_settings(r)
    if settings is None or settings is UNKNOWN:
        return
    problems = [
        p
        for kind, problem in (
            ("hsts", _hsts_problem),
            ("frame", lambda v: None if str(v).upper() == SEED_FRAME_OPTIONS else f"sends X-Frame-Options {v!r}"),
            ("nosniff", lambda v: None if str(v).lower() == "nosniff" else f"sends X-Content-Type-Options {v!r}"),
            ("csp", _csp_problem),
            ("server", lambda v: None if is_false(v) else "sends the Server header (ALB default)"),
        )
        if settings[kind] is not UNKNOWN
        for p in [problem(settings[kind])]
        if p
    ]
    if problems:
        where = (
            "set the listener's routing_http_response_* arguments"
            if r.type in LISTENER_TYPES
            else ("set them in alb.ingress.kubernetes.io/listener-attributes.HTTPS-443")
        )
        yield (
            f"{r.label} {'; '.join(problems)}: the seed's headers are Strict-Transport-Security 'max-age={SEED_HSTS_MAX_AGE}; "
            "includeSubDomains; preload', X-Frame-Options DENY, X-Content-Type-Options nosniff, its Content-Security-Policy, "
            f"and no Server header; {where}."
        )


def check_cors_origin(r: Res) -> Iterator[str]:
    settings = https_header_settings(r)
    if settings is None or settings is UNKNOWN or settings["origin"] is UNKNOWN:
        return
    origin = str(settings["origin"] or "").strip()
    if origin in ("*", "null"):
        yield (
            f"{r.label} sends Access-Control-Allow-Origin {origin!r}: name the app's origin (the seed's cors-allow-origin "
            "is one https:// origin), never '*' or 'null'."
        )


# --- health checks ------------------------------------------------------------------------------------


def check_target_health(r: Res) -> Iterator[str]:
    """Targets leave rotation when /health fails: the seed's health-check loop, done by the ALB."""
    if r.type in TARGET_GROUP_TYPES:
        if r.get("targetType") == "lambda":
            return
        check = r.get("healthCheck")
        if check is UNKNOWN or get(check, "enabled") is UNKNOWN:
            return
        if is_false(get(check, "enabled")):
            yield f"{r.label} has health checks off: set health_check.enabled=True (path /health)."
        elif r.get("protocol") in ("HTTP", "HTTPS") and blank(get(check, "path")):
            yield f"{r.label} health-checks path '/' (the default), not the app's: set health_check.path='/health'."
    elif is_alb_ingress(r):
        path = annotation(r, "alb.ingress.kubernetes.io/healthcheck-path")
        if path is not UNKNOWN and blank(path):
            yield (
                f"{r.label} leaves its target groups on the controller's default health check ('/'): set "
                "alb.ingress.kubernetes.io/healthcheck-path: /health."
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
    resource_policy(
        "aws-alb-https-listener-security-headers",
        "HTTPS listeners (and alb Ingresses) add the seed's HSTS, X-Frame-Options, nosniff and CSP headers and drop the Server header.",
        (*LISTENER_TYPES, *INGRESS_TYPES),
        check_security_headers,
    ),
    resource_policy(
        "aws-alb-https-listener-cors-origin",
        "HTTPS listeners (and alb Ingresses) never answer Access-Control-Allow-Origin '*' or 'null'.",
        (*LISTENER_TYPES, *INGRESS_TYPES),
        check_cors_origin,
    ),
    resource_policy(
        "aws-lb-target-group-health-check",
        "Target groups (and alb Ingresses) health-check the app's own path.",
        (*TARGET_GROUP_TYPES, *INGRESS_TYPES),
        check_target_health,
    ),
]
