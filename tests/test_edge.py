"""Edge: ALB, listeners, TLS, security headers, target groups, release weights, WAF, access logs.

Every number is the seed's (nginx-waf.conf, ssl-config.conf, nginx-canary.conf, docker-compose
health checks); references between resources are checked against the ids/ARNs the mocks compute.
"""

from __future__ import annotations

import json
import re

import pulumi
import pytest
from hypothesis import given
from hypothesis import strategies as st

from components import appspec
from components.alb import AlbArgs, listener_header_arguments
from components.edge import (
    BODY_SIZE_LIMIT_BYTES,
    ELB_LOG_DELIVERY_SERVICE,
    MANAGED_RULE_GROUPS,
    RATE_LIMITS,
    EdgeArgs,
    access_log_bucket_policy,
    greater_than_pattern,
    log_delivery_principals,
    rate_limit_scope,
)
from offline import engine
from offline.mocks import NoxMocks
from settings import ConfigError, EdgeSettings, ReleaseSettings

REGION = "us-west-2"
ACCOUNT = "123456789012"
GREEN_IMAGE = "123456789012.dkr.ecr.us-west-2.amazonaws.com/nox-api:v8.1.0"
GREEN = f"nox:imageGreen={GREEN_IMAGE}"
CERT_ARN = "arn:aws:acm:us-west-2:123456789012:certificate/0b0b0b0b-1111-2222-3333-444444444444"
CANARY_STAGES = (1, 5, 10, 25, 50, 100)  # seed deploy-canary.sh CANARY_STAGES

LB = "aws:lb/loadBalancer:LoadBalancer"
LISTENER = "aws:lb/listener:Listener"
RULE = "aws:lb/listenerRule:ListenerRule"
TG = "aws:lb/targetGroup:TargetGroup"
SG = "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
ACL = "aws:wafv2/webAcl:WebAcl"
BUCKET = "aws:s3/bucket:Bucket"
RECORD = "aws:route53/record:Record"
CERT = "aws:acm/certificate:Certificate"


def canary(weight: int) -> tuple[str, ...]:
    return ("dev", "nox:releaseStrategy=canary", GREEN, f"nox:releaseCanaryWeight={weight}")


def computed(rec: dict) -> tuple[str, dict]:
    """(id, outputs) the mocks give this recorded resource: the values other resources received."""
    return NoxMocks(REGION).new_resource(pulumi.runtime.MockResourceArgs(rec["type"], rec["name"], rec["inputs"], custom=True))


def rid(plan, token: str, name: str) -> str:
    return computed(plan.one(token, name))[0]


def arn(plan, token: str, name: str) -> str:
    return computed(plan.one(token, name))[1]["arn"]


@pytest.fixture(scope="module")
def dev(plan_for):
    return plan_for("dev")


@pytest.fixture(scope="module")
def prod_asg(plan_for):
    return plan_for("prod", "nox:platform=asg")


@pytest.fixture(scope="module")
def variant(plan_for):
    """An existing certificate (no Route 53 zone) and a geo block."""
    return plan_for("dev", "nox:hostedZoneId=", f"nox:certificateArn={CERT_ARN}", 'nox:wafGeoBlockCountries=["CN","RU"]')


def listener(plan, port: int) -> dict:
    (found,) = [r for r in plan.of_type(LISTENER) if r["inputs"]["port"] == port]
    return found


def forward_weights(action: dict, plan) -> dict[str, int]:
    """colour -> weight of a weighted forward action, matching ARNs to the target groups' names."""
    by_arn = {arn(plan, TG, r["name"]): r["inputs"]["tags"]["Colour"] for r in plan.of_type(TG)}
    assert action["type"] == "forward" and action["forward"]["stickiness"] == {"enabled": False, "duration": 1}
    return {by_arn[g["arn"]]: g["weight"] for g in action["forward"]["targetGroups"]}


# --- ALB ---------------------------------------------------------------------------------------


def test_alb_is_internet_facing_in_the_public_subnets(dev):
    lb = dev.one(LB)["inputs"]
    assert lb["loadBalancerType"] == "application" and lb["internal"] is False and lb["ipAddressType"] == "ipv4"
    assert lb["subnets"] == [rid(dev, "aws:ec2/subnet:Subnet", f"network-public-{i}") for i in range(2)]
    assert lb["securityGroups"] == [rid(dev, SG, "edge-alb-sg")]


def test_alb_hardening_and_websocket_idle_timeout(dev, prod_asg):
    for plan, protected in ((dev, False), (prod_asg, True)):
        lb = plan.one(LB)
        assert lb["inputs"]["dropInvalidHeaderFields"] is True
        assert lb["inputs"]["desyncMitigationMode"] == "defensive"
        assert lb["inputs"]["idleTimeout"] == 3600
        assert lb["inputs"]["enableDeletionProtection"] is protected and lb["protect"] is protected
        assert lb["inputs"]["name"] == ("nox-dev-api" if plan is dev else "nox-prod-api")  # never renamed: a rename replaces it


def test_teardown_platform_unprotects_the_alb_but_not_the_bucket(plan_for):
    plan = plan_for("prod", "nox:platform=asg", "nox:teardown=platform")
    lb = plan.one(LB)
    assert lb["protect"] is False and lb["inputs"]["enableDeletionProtection"] is False
    [bucket] = plan.of_type("aws:s3/bucket:Bucket")
    assert bucket["protect"] is True and bucket["inputs"]["forceDestroy"] is False
    stack = plan_for("prod", "nox:platform=asg", "nox:teardown=stack")
    assert not any(r["protect"] for r in stack.resources)
    assert stack.one("aws:s3/bucket:Bucket")["inputs"]["forceDestroy"] is True


def test_alb_security_groups_admit_only_web_ports_and_send_only_to_the_app(dev):
    alb_sg, app_sg = rid(dev, SG, "edge-alb-sg"), rid(dev, SG, "edge-app-sg")
    for name in ("edge-alb-sg", "edge-app-sg"):  # rules live in their own resources only
        assert not {"ingress", "egress"} & set(dev.one(SG, name)["inputs"])
    rules = [(r, "in") for r in dev.of_type(INGRESS)] + [(r, "out") for r in dev.of_type(EGRESS)]
    assert all(r["inputs"].get("description") for r, _ in rules)

    def of(sg: str, way: str) -> set[tuple]:
        return {
            (
                r["inputs"]["fromPort"],
                r["inputs"]["toPort"],
                r["inputs"].get("cidrIpv4"),
                r["inputs"].get("cidrIpv6"),
                r["inputs"].get("referencedSecurityGroupId"),
            )
            for r, w in rules
            if w == way and r["inputs"]["securityGroupId"] == sg
        }

    assert of(alb_sg, "in") == {(80, 80, "0.0.0.0/0", None, None), (443, 443, "0.0.0.0/0", None, None)}
    assert of(alb_sg, "out") == {(3000, 3000, None, None, app_sg), (8080, 8080, None, None, app_sg)}
    assert of(app_sg, "in") == {(3000, 3000, None, None, alb_sg), (8080, 8080, None, None, alb_sg)}
    assert of(app_sg, "out") == {
        (443, 443, "0.0.0.0/0", None, None),
        (5432, 5432, "10.0.0.0/16", None, None),
        (6379, 6379, "10.0.0.0/16", None, None),
    }


# --- access logs ---------------------------------------------------------------------------


def test_access_log_bucket_is_private_encrypted_and_expires(dev, prod_asg):
    for plan, days in ((dev, 30), (prod_asg, 365)):
        bucket = computed(plan.one(BUCKET))[1]["bucket"]
        assert bucket.startswith(f"nox-{plan.stack}-alb-logs-")
        assert plan.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")["inputs"] == {
            "bucket": bucket,
            "blockPublicAcls": True,
            "blockPublicPolicy": True,
            "ignorePublicAcls": True,
            "restrictPublicBuckets": True,
        }
        assert plan.one("aws:s3/bucketOwnershipControls:BucketOwnershipControls")["inputs"]["rule"] == {
            "objectOwnership": "BucketOwnerEnforced"
        }
        # SSE-S3: the only server-side encryption ALB log delivery supports.
        assert plan.one("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")["inputs"]["rules"] == [
            {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}
        ]
        versioning = plan.one("aws:s3/bucketVersioning:BucketVersioning")
        assert versioning["inputs"]["versioningConfiguration"] == {"status": "Enabled"}
        lifecycle = plan.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
        rule, markers = lifecycle["inputs"]["rules"]
        assert rule["status"] == "Enabled" and rule["expiration"] == {"days": days}
        # Versioned: expired logs become noncurrent, which expire too, and their delete markers go.
        assert rule["noncurrentVersionExpiration"] == {"noncurrentDays": 30}
        assert markers["status"] == "Enabled" and markers["expiration"] == {"expiredObjectDeleteMarker": True}
        assert versioning["urn"] in lifecycle["dependencies"]
        lb = plan.one(LB)
        assert lb["inputs"]["accessLogs"] == {"bucket": bucket, "prefix": "alb", "enabled": True}
        # Logging is switched on only after the bucket accepts the ALB's writes.
        for token in (
            "aws:s3/bucketPolicy:BucketPolicy",
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        ):
            assert plan.one(token)["urn"] in lb["dependencies"]


def test_access_log_bucket_policy_denies_plain_http_and_admits_only_elb_delivery(dev):
    bucket_arn = computed(dev.one(BUCKET))[1]["arn"]
    doc = json.loads(dev.one("aws:s3/bucketPolicy:BucketPolicy")["inputs"]["policy"])
    assert json.loads(access_log_bucket_policy(bucket_arn, ACCOUNT, REGION)) == doc
    deny, *allows = doc["Statement"]
    assert deny == {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket_arn, f"{bucket_arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    # us-west-2 predates August 2022: its ELB account, and the service principal for newer regions.
    assert [a["Principal"] for a in allows] == [{"Service": ELB_LOG_DELIVERY_SERVICE}, {"AWS": "arn:aws:iam::797873946194:root"}]
    assert all(
        a["Effect"] == "Allow" and a["Action"] == "s3:PutObject" and a["Resource"] == f"{bucket_arn}/alb/AWSLogs/{ACCOUNT}/*"
        for a in allows
    )


def test_log_delivery_principals_per_region():
    assert log_delivery_principals("eu-west-1") == [{"Service": ELB_LOG_DELIVERY_SERVICE}, {"AWS": "arn:aws:iam::156460612806:root"}]
    assert log_delivery_principals("ap-southeast-7") == [{"Service": ELB_LOG_DELIVERY_SERVICE}]  # a post-2022 region


# --- certificate and DNS ---------------------------------------------------------------------


def test_certificate_is_issued_for_the_domain_and_dns_validated(dev):
    cert = dev.one(CERT)
    assert cert["inputs"]["domainName"] == "api.dev.nox.example.com" and cert["inputs"]["validationMethod"] == "DNS"
    option = computed(cert)[1]["domainValidationOptions"][0]
    record = dev.one(RECORD, "edge-cert-validation")["inputs"]
    assert record["zoneId"] == "Z0DEVNOXEXAMPLE"
    assert (record["name"], record["type"], record["records"]) == (
        option["resourceRecordName"],
        option["resourceRecordType"],
        [option["resourceRecordValue"]],
    )
    validation = dev.one("aws:acm/certificateValidation:CertificateValidation")["inputs"]
    assert validation["validationRecordFqdns"] == [record["name"].rstrip(".")]
    assert validation["certificateArn"] == computed(cert)[1]["arn"] == listener(dev, 443)["inputs"]["certificateArn"]
    alias = dev.one(RECORD, "edge-dns")["inputs"]
    lb = computed(dev.one(LB))[1]
    assert (alias["name"], alias["type"], alias["zoneId"]) == ("api.dev.nox.example.com", "A", "Z0DEVNOXEXAMPLE")
    assert alias["aliases"] == [{"name": lb["dnsName"], "zoneId": lb["zoneId"], "evaluateTargetHealth": True}]


def test_existing_certificate_arn_is_used_as_is(variant):
    assert not variant.of_type(CERT) and not variant.of_type(RECORD)
    assert listener(variant, 443)["inputs"]["certificateArn"] == CERT_ARN


# --- listeners ---------------------------------------------------------------------------------


def test_http_listener_only_redirects_to_https(dev):
    http = listener(dev, 80)
    assert http["inputs"]["protocol"] == "HTTP"
    assert http["inputs"]["defaultActions"] == [
        {"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}}
    ]
    http_arn = computed(http)[1]["arn"]
    assert not [r for r in dev.of_type(RULE) if r["inputs"]["listenerArn"] == http_arn]
    assert not any(k.startswith("routingHttpResponse") for k in http["inputs"])


def test_https_listener_tls_policy_and_the_seed_security_headers(dev):
    https = listener(dev, 443)["inputs"]
    assert https["protocol"] == "HTTPS" and https["sslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09"
    assert https["loadBalancerArn"] == arn(dev, LB, "edge-alb")
    assert https["routingHttpResponseStrictTransportSecurityHeaderValue"] == "max-age=31536000; includeSubDomains; preload"
    assert https["routingHttpResponseXFrameOptionsHeaderValue"] == "DENY"
    assert https["routingHttpResponseXContentTypeOptionsHeaderValue"] == "nosniff"
    assert https["routingHttpResponseContentSecurityPolicyHeaderValue"] == (
        "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline';"
    )
    assert https["routingHttpResponseServerEnabled"] is False
    assert https["routingHttpResponseAccessControlAllowOriginHeaderValue"] == "https://app.dev.nox.example.com"
    # CORS, exactly: only methods ALB accepts for this attribute, the canary header allowed, preflight cached 10 min.
    assert {k: v for k, v in https.items() if k.startswith("routingHttpResponseAccessControl")} == {
        "routingHttpResponseAccessControlAllowOriginHeaderValue": "https://app.dev.nox.example.com",
        "routingHttpResponseAccessControlAllowMethodsHeaderValue": "GET,HEAD,POST,PATCH,DELETE,OPTIONS",
        "routingHttpResponseAccessControlAllowHeadersHeaderValue": "Authorization,Content-Type,X-Canary-User",
        "routingHttpResponseAccessControlAllowCredentialsHeaderValue": "true",
        "routingHttpResponseAccessControlMaxAgeHeaderValue": "600",
    }
    headers = {k for k in https if k.startswith("routingHttpResponse")}
    assert len(headers) == len(appspec.response_header_attributes("https://x.example.com"))


def test_every_appspec_header_maps_to_a_listener_argument(monkeypatch):
    args = listener_header_arguments("https://app.example.com")
    assert args["routing_http_response_server_enabled"] is False
    assert args["routing_http_response_x_frame_options_header_value"] == "DENY"
    monkeypatch.setattr(
        appspec, "response_header_attributes", lambda origin: {"routing.http.response.referrer_policy.header_value": "no-referrer"}
    )
    with pytest.raises(ValueError, match="referrer_policy"):
        listener_header_arguments("https://app.example.com")


def test_target_groups_use_the_seed_health_check(dev):
    groups = {(r["inputs"]["tags"]["Colour"], r["inputs"]["port"]): r["inputs"] for r in dev.of_type(TG)}
    assert set(groups) == {(c, p) for c in ("blue", "green") for p in (3000, 8080)}
    for tg in groups.values():
        assert tg["protocol"] == "HTTP" and tg["targetType"] == "instance"
        assert tg["vpcId"] == rid(dev, "aws:ec2/vpc:Vpc", "network-vpc")
        assert tg["deregistrationDelay"] == appspec.DEREGISTRATION_DELAY_SECONDS
        assert tg["healthCheck"] == {
            "enabled": True,
            "protocol": "HTTP",
            "path": "/health",
            "port": "3000",
            "interval": 30,
            "timeout": 10,
            "healthyThreshold": 2,
            "unhealthyThreshold": 3,
            "matcher": "200",
        }


# --- release weights -----------------------------------------------------------------------


def rules_by_priority(plan) -> dict[int, dict]:
    return {r["inputs"]["priority"]: r["inputs"] for r in plan.of_type(RULE)}


def test_bluegreen_sends_everything_to_the_active_colour_and_has_no_canary_route(dev):
    assert forward_weights(listener(dev, 443)["inputs"]["defaultActions"][0], dev) == {"blue": 100, "green": 0}
    rules = rules_by_priority(dev)
    assert set(rules) == {30}
    assert rules[30]["conditions"] == [{"pathPattern": {"values": ["/ws", "/ws/*"]}}]
    assert forward_weights(rules[30]["actions"][0], dev) == {"blue": 100, "green": 0}


@pytest.mark.parametrize("weight", CANARY_STAGES)
def test_canary_stage_weights_and_header_route(plan_for, weight):
    plan = plan_for(*canary(weight))
    expected = {"blue": 100 - weight, "green": weight}
    assert forward_weights(listener(plan, 443)["inputs"]["defaultActions"][0], plan) == expected
    rules = rules_by_priority(plan)
    assert set(rules) == {10, 20, 30}
    assert forward_weights(rules[30]["actions"][0], plan) == expected
    header = {"httpHeader": {"httpHeaderName": "X-Canary-User", "values": ["true"]}}
    assert rules[10]["conditions"] == [header, {"pathPattern": {"values": ["/ws", "/ws/*"]}}]
    assert rules[20]["conditions"] == [header]
    assert rules[10]["actions"] == [{"type": "forward", "targetGroupArn": arn(plan, TG, "edge-green-ws")}]
    assert rules[20]["actions"] == [{"type": "forward", "targetGroupArn": arn(plan, TG, "edge-green-app")}]
    assert plan.outputs["trafficWeights"] == expected


def test_serving_colours_are_release_settings():
    def release(strategy: str, active: str, weight: int = 0) -> ReleaseSettings:
        return ReleaseSettings(strategy=strategy, active=active, images=(("blue", "r/a:1"), ("green", "r/a:2")), canary_weight=weight)

    assert release("bluegreen", "blue").serving == ("blue",)
    assert release("bluegreen", "green").serving == ("green",)
    assert release("canary", "green", 0).serving == ("blue", "green")  # weight 0: warm, header only


# --- WAF ---------------------------------------------------------------------------------------


def starts_with(path: str) -> dict:
    return {
        "byteMatchStatement": {
            "positionalConstraint": "STARTS_WITH",
            "searchString": path,
            "fieldToMatch": {"uriPath": {}},
            "textTransformations": [{"priority": 0, "type": "NORMALIZE_PATH"}, {"priority": 1, "type": "LOWERCASE"}],
        }
    }


def test_waf_rules_translate_the_seed(dev):
    acl = dev.one(ACL)["inputs"]
    assert acl["scope"] == "REGIONAL" and acl["defaultAction"] == {"allow": {}}
    assert acl["visibilityConfig"] == {"cloudwatchMetricsEnabled": True, "metricName": "nox-dev-api", "sampledRequestsEnabled": True}
    rules = {r["name"]: r for r in acl["rules"]}
    assert [(r["name"], r["priority"]) for r in acl["rules"]] == [
        ("block-internal-paths", 0),
        ("rate-limit-api-auth", 2),
        ("rate-limit-api", 3),
        ("body-size-limit", 4),
        ("AWSManagedRulesCommonRuleSet", 5),
        ("AWSManagedRulesKnownBadInputsRuleSet", 6),
        ("AWSManagedRulesSQLiRuleSet", 7),
    ]
    for r in acl["rules"]:
        assert r["visibilityConfig"] == {
            "cloudwatchMetricsEnabled": True,
            "metricName": f"nox-dev-{r['name']}",
            "sampledRequestsEnabled": True,
        }

    # limit_req 5 r/s on /api/auth/ and 10 r/s on /api/, per client IP, as 60-second windows.
    auth = rules["rate-limit-api-auth"]["statement"]["rateBasedStatement"]
    api = rules["rate-limit-api"]["statement"]["rateBasedStatement"]
    assert (auth["limit"], auth["evaluationWindowSec"], auth["aggregateKeyType"]) == (300, 60, "IP")
    assert (api["limit"], api["evaluationWindowSec"], api["aggregateKeyType"]) == (600, 60, "IP")
    assert auth["scopeDownStatement"] == starts_with("/api/auth/")
    assert api["scopeDownStatement"] == {
        "andStatement": {"statements": [starts_with("/api/"), {"notStatement": {"statement": starts_with("/api/auth/")}}]}
    }
    for name in ("rate-limit-api-auth", "rate-limit-api"):
        assert rules[name]["action"] == {"block": {"customResponse": {"responseCode": 429}}}

    body = rules["body-size-limit"]
    assert body["statement"]["regexMatchStatement"]["fieldToMatch"] == {"singleHeader": {"name": "content-length"}}
    assert body["statement"]["regexMatchStatement"]["regexString"] == greater_than_pattern(10 * 1024 * 1024)
    assert body["action"] == {"block": {"customResponse": {"responseCode": 413}}}

    for group in MANAGED_RULE_GROUPS:
        assert rules[group]["overrideAction"] == {"none": {}} and "action" not in rules[group]
        assert rules[group]["statement"]["managedRuleGroupStatement"]["vendorName"] == "AWS"
    # The Common set's 8 KB body limit would refuse the seed's 10 MiB bodies: count only.
    assert rules["AWSManagedRulesCommonRuleSet"]["statement"]["managedRuleGroupStatement"]["ruleActionOverrides"] == [
        {"name": "SizeRestrictions_BODY", "actionToUse": {"count": {}}}
    ]


@pytest.mark.parametrize("platform", ["asg", "eks"])
def test_metrics_endpoint_is_blocked_at_the_edge_on_both_platforms(plan_for, platform):
    # The ALB forwards every path to the app's port 3000, where /metrics lives: WAF refuses it first.
    plan = plan_for("dev", f"nox:platform={platform}")
    rules = plan.one(ACL)["inputs"]["rules"]
    assert rules[0]["name"] == "block-internal-paths" and rules[0]["priority"] == min(r["priority"] for r in rules)
    assert rules[0]["statement"] == starts_with("/metrics")
    assert rules[0]["action"] == {"block": {"customResponse": {"responseCode": 404}}}
    # The same web ACL fronts the platform's ALB: associated on asg, the Ingress's wafv2-acl-arn on eks.
    if platform == "asg":
        assert plan.of_type("aws:wafv2/webAclAssociation:WebAclAssociation")
    else:
        ingress = plan.one("kubernetes:networking.k8s.io/v1:Ingress")["inputs"]
        assert ingress["metadata"]["annotations"]["alb.ingress.kubernetes.io/wafv2-acl-arn"] == plan.outputs["webAclArn"]


def test_waf_is_associated_with_the_alb_and_logs_redacted(dev):
    acl_arn = arn(dev, ACL, "edge-waf")
    assoc = dev.one("aws:wafv2/webAclAssociation:WebAclAssociation")["inputs"]
    assert assoc == {"resourceArn": arn(dev, LB, "edge-alb"), "webAclArn": acl_arn}
    group = dev.one("aws:cloudwatch/logGroup:LogGroup", "edge-waf-logs")
    assert group["inputs"]["name"] == "aws-waf-logs-nox-dev" and group["inputs"]["retentionInDays"] == 30
    assert group["inputs"]["kmsKeyId"] == arn(dev, "aws:kms/key:Key", "nox-dev-logs")
    logging = dev.one("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration")["inputs"]
    assert logging["resourceArn"] == acl_arn
    assert logging["logDestinationConfigs"] == [computed(group)[1]["arn"]]
    assert logging["redactedFields"] == [{"singleHeader": {"name": "authorization"}}, {"singleHeader": {"name": "cookie"}}]


def test_geo_block_only_when_countries_are_configured(dev, variant):
    assert "geo-block" not in {r["name"] for r in dev.one(ACL)["inputs"]["rules"]}
    (geo,) = [r for r in variant.one(ACL)["inputs"]["rules"] if r["name"] == "geo-block"]
    assert geo["priority"] == 1 and geo["action"] == {"block": {}}
    assert geo["statement"] == {"geoMatchStatement": {"countryCodes": ["CN", "RU"]}}


# AWS's published WCU costs (developer guide, rule statements); logical statements cost their nested
# statements; every text transformation counts 10, NONE included, to stay on the safe side.
MANAGED_WCU = {"AWSManagedRulesCommonRuleSet": 700, "AWSManagedRulesKnownBadInputsRuleSet": 200, "AWSManagedRulesSQLiRuleSet": 200}
BYTE_MATCH_WCU = {"EXACTLY": 2, "STARTS_WITH": 2, "ENDS_WITH": 2, "CONTAINS": 10, "CONTAINS_WORD": 10}


def wcu(statement: dict) -> int:
    ((kind, body),) = statement.items()
    transformations = 10 * len(body.get("textTransformations", [])) if isinstance(body, dict) else 0
    if kind in ("andStatement", "orStatement"):
        return sum(wcu(s) for s in body["statements"])
    if kind == "notStatement":
        return wcu(body["statement"])
    if kind == "rateBasedStatement":
        return 2 + (wcu(body["scopeDownStatement"]) if "scopeDownStatement" in body else 0)
    if kind == "byteMatchStatement":
        return BYTE_MATCH_WCU[body["positionalConstraint"]] + transformations
    if kind == "regexMatchStatement":
        return 3 + transformations
    if kind == "geoMatchStatement":
        return 1
    if kind == "managedRuleGroupStatement":
        return MANAGED_WCU[body["name"]]
    raise AssertionError(f"no WCU cost for {kind}")


def test_web_acl_fits_the_included_1500_wcu(variant):
    rules = variant.one(ACL)["inputs"]["rules"]  # the largest ACL: geo block included
    assert "geo-block" in {r["name"] for r in rules}
    total = sum(wcu(r["statement"]) for r in rules)
    assert total == 1206 and total <= 1500  # 1184 + the /metrics block (STARTS_WITH 2 + 2 transformations x 10)


def test_rate_limits_and_body_limit_constants():
    assert RATE_LIMITS == {"/api/auth/": 5 * 60, "/api/": 10 * 60}
    assert BODY_SIZE_LIMIT_BYTES == 10_485_760
    assert rate_limit_scope("/api/auth/") == {
        "byte_match_statement": {
            "positional_constraint": "STARTS_WITH",
            "search_string": "/api/auth/",
            "field_to_match": {"uri_path": {}},
            "text_transformations": [{"priority": 0, "type": "NORMALIZE_PATH"}, {"priority": 1, "type": "LOWERCASE"}],
        }
    }


@given(st.integers(0, 10**10), st.integers(0, 3))
def test_content_length_pattern_matches_exactly_the_numbers_over_the_limit(length, zeros):
    pattern = greater_than_pattern(BODY_SIZE_LIMIT_BYTES)
    assert "(" not in pattern  # WAF's regex subset has no capturing groups
    assert bool(re.search(pattern, "0" * zeros + str(length))) == (length > BODY_SIZE_LIMIT_BYTES)


@given(st.integers(0, 10**7), st.integers(0, 10**8))
def test_greater_than_pattern_for_any_limit(limit, value):
    assert bool(re.search(greater_than_pattern(limit), str(value))) == (value > limit)


def test_content_length_pattern_edges():
    pattern = greater_than_pattern(BODY_SIZE_LIMIT_BYTES)
    assert not re.search(pattern, "10485760") and re.search(pattern, "10485761")
    assert not re.search(pattern, "") and not re.search(pattern, "1e9") and not re.search(pattern, "-99999999999")


# --- platform eks --------------------------------------------------------------------------------


def test_eks_builds_certificate_waf_and_bucket_but_no_alb(plan_for):
    plan = plan_for("prod")
    for token in (LB, LISTENER, RULE, TG, "aws:wafv2/webAclAssociation:WebAclAssociation", "nox:fleet:AppFleet"):
        assert not plan.of_type(token), token
    # (The EKS node group has a launch template of its own; nothing of the edge's or the fleet's.)
    assert not [r for r in plan.resources if r["name"].startswith(("edge-alb", "edge-app", "edge-http", "fleet-"))]
    for token in (ACL, CERT, BUCKET, "aws:s3/bucketPolicy:BucketPolicy", "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"):
        assert len(plan.of_type(token)) == 1, token
    assert plan.one(ACL)["inputs"]["name"] == "nox-prod-api"


# --- configuration errors ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        (("nox:releaseStrategy=canary", "nox:releaseCanaryWeight=10"), "nox:imageGreen"),  # candidate without image
        (("nox:releaseCanaryWeight=10",), "nox:releaseCanaryWeight"),  # a split under bluegreen
        (("nox:releaseStrategy=canary", GREEN, "nox:releaseCanaryWeight=101"), "nox:releaseCanaryWeight"),
        (("nox:releaseStrategy=canary", GREEN, "nox:releaseCanaryWeight=-1"), "nox:releaseCanaryWeight"),
        (("nox:releaseActive=green",), "nox:imageGreen"),  # active colour without image
        (("nox:imageBlue=123456789012.dkr.ecr.us-west-2.amazonaws.com/nox-api:latest",), "nox:imageBlue"),
        (("nox:imageBlue=123456789012.dkr.ecr.us-west-2.amazonaws.com/nox-api",), "nox:imageBlue"),
        (("nox:hostedZoneId=",), "nox:certificateArn"),  # no certificate source
        (('nox:wafGeoBlockCountries=["cn"]',), "nox:wafGeoBlockCountries"),
    ],
)
def test_bad_release_image_and_edge_config_fail_before_anything_is_planned(overrides, key):
    records: list = []
    with pytest.raises(ConfigError) as err:
        engine.run("dev", overrides, records=records)
    assert key in str(err.value)
    assert records == []


def test_edge_and_alb_args_validate_certificate_source_and_public_subnets():
    edge = EdgeSettings(
        domain="api.example.com",
        hosted_zone_id="",
        certificate_arn="",
        ssl_policy="p",
        cors_allow_origin="https://a.example.com",
        idle_timeout=3600,
        access_log_expiration_days=30,
        geo_block_countries=(),
    )
    with pytest.raises(ValueError, match="certificate_arn or hosted_zone_id"):
        EdgeArgs(settings=edge, name_prefix="nox-t", protect=False, log_key=None, log_retention_days=30)
    release = ReleaseSettings(strategy="bluegreen", active="blue", images=(("blue", "r/a:1"), ("green", "")), canary_weight=0)
    with pytest.raises(ValueError, match="public_subnet_ids is empty"):
        AlbArgs(settings=edge, release=release, edge=None, name_prefix="nox-t", protect=False, vpc_id="vpc-1", public_subnet_ids=[])


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_alb_and_app_security_group_left_edge_with_aliases_to_it(plan_for, stack):
    """The ALB (asg) and the app's security group were children of Edge: each moved resource names
    its former parent in an alias, so a real stack keeps it (tests/test_urns.py checks every URN)."""
    plan = plan_for(stack, "nox:platform=asg")
    components = {
        r["type"]: r["urn"] for r in plan.resources if r["type"] in ("nox:alb:Alb", "nox:fleet:AppSecurityGroup", "nox:edge:Edge")
    }
    edge_prefix = f"urn:pulumi:{stack}::nox-infra::nox:edge:Edge$"
    moved = {
        ("aws:lb/loadBalancer:LoadBalancer", "edge-alb"): "nox:alb:Alb",
        ("aws:ec2/securityGroup:SecurityGroup", "edge-alb-sg"): "nox:alb:Alb",
        ("aws:lb/targetGroup:TargetGroup", "edge-blue-app"): "nox:alb:Alb",
        ("aws:ec2/securityGroup:SecurityGroup", "edge-app-sg"): "nox:fleet:AppSecurityGroup",
    }
    for (type_, name), owner in moved.items():
        [res] = [r for r in plan.resources if r["type"] == type_ and r["name"] == name]
        assert res["parent"] == components[owner]
        assert f"{edge_prefix}{type_}::{name}" in res["aliases"]
    # Edge keeps only what both platforms use.
    edge_children = {r["type"] for r in plan.resources if r["parent"] == components["nox:edge:Edge"]}
    assert "aws:lb/loadBalancer:LoadBalancer" not in edge_children and "aws:ec2/securityGroup:SecurityGroup" not in edge_children
    assert "aws:wafv2/webAcl:WebAcl" in edge_children and "aws:s3/bucket:Bucket" in edge_children


def test_eks_plan_has_no_alb_component(plan_for):
    types = {r["type"] for r in plan_for("staging", "nox:platform=eks").resources}
    assert "nox:edge:Edge" in types and not types & {"nox:alb:Alb", "nox:fleet:AppSecurityGroup"}


def test_cors_methods_are_all_valid_alb_values():
    from components.appspec import CORS_METHODS, response_header_attributes

    alb_valid = {"GET", "HEAD", "POST", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"}  # ELB ListenerAttribute docs
    value = response_header_attributes("https://app.example.com")["routing.http.response.access_control_allow_methods.header_value"]
    assert value.split(",") == list(CORS_METHODS) and set(CORS_METHODS) <= alb_valid
