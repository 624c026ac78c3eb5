"""Edge: what both platforms put in front of the API. The TLS certificate, the WAF web ACL (with its
logging) and the ALB access-log bucket.

The seed fronts the app with nginx (nginx-waf.conf, ssl-config.conf). Its `limit_req`, the
attack-pattern `if` blocks, `proxy-body-size` and the geo block move to AWS WAF here. The ALB that
uses these is the platform's: on `asg` it is `components.alb.Alb`; on `eks` the AWS Load Balancer
Controller builds it from the Ingress (workload.py), which references the same certificate, web
ACL and bucket (with `ACCESS_LOG_PREFIX`), so the WAF rules reach both platforms through one ACL.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from settings import EdgeSettings

from .base import Logged, Protected
from .buckets import private_bucket

# --- WAF: the seed's nginx-waf.conf ------------------------------------------------------------
# nginx `limit_req ... rate=5r/s` (auth) and `rate=10r/s` (api), per client address. WAF counts
# per IP over a sliding window of 60, 120, 300 or 600 s; the shortest keeps the seed's per-second
# intent best: 5 r/s x 60 s = 300, 10 r/s x 60 s = 600. WAF has no burst queue: the seed's
# `burst=10/20 nodelay` is absorbed by the window itself (a client may spend its 300 at once).
RATE_WINDOW_SECONDS = 60
RATE_LIMITS: dict[str, int] = {"/api/auth/": 300, "/api/": 600}  # URI path prefix -> requests per IP per window
# nginx `proxy-body-size 10m` (Ingress) / client_max_body_size: 10 MiB.
BODY_SIZE_LIMIT_BYTES = 10 * 1024 * 1024
# Covers the seed's `if ($request_uri ~* ...) { return 403; }` blocks (see the README, "From the seed's nginx to ALB and WAF").
# Capacity (WCU, AWS's published costs): Common 700 + Known bad inputs 200 + SQLi 200 = 1100; the
# auth rate rule 2 + STARTS_WITH 2 + 2 transformations x 10 = 24, the api rate rule 2 + 2 x 22 = 46,
# the Content-Length regex 3 + 10, geo 1, the /metrics block 22: about 1206, under the 1500 WCU a web ACL includes
# (tests/test_edge.py recomputes it from the rules).
MANAGED_RULE_GROUPS = ("AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet", "AWSManagedRulesSQLiRuleSet")
# Rules of a managed group that only count. SizeRestrictions_BODY blocks bodies over 8 KB, which
# would refuse every upload the seed allows (up to 10 MiB); the body limit rule below replaces it.
COUNT_ONLY_RULES: dict[str, tuple[str, ...]] = {"AWSManagedRulesCommonRuleSet": ("SizeRestrictions_BODY",)}
# The app's Prometheus endpoint is for in-cluster / in-VPC scrapers only: the ALB forwards every
# path to port 3000, so without this rule /metrics would be public on both platforms. Normalised
# and lower-cased like the rate-limit scopes (Express matches /Metrics and //metrics too);
# STARTS_WITH 2 + 2 transformations x 10 = 22 WCU. Answered 404: from outside it does not exist.
INTERNAL_PATHS = ("/metrics",)
INTERNAL_PATH_STATUS = 404
RULE_PRIORITY = {
    "block-internal-paths": 0,
    "geo-block": 1,
    "rate-limit-api-auth": 2,
    "rate-limit-api": 3,
    "body-size-limit": 4,
    "AWSManagedRulesCommonRuleSet": 5,
    "AWSManagedRulesKnownBadInputsRuleSet": 6,
    "AWSManagedRulesSQLiRuleSet": 7,
}
RATE_LIMIT_RULE = {"/api/auth/": "rate-limit-api-auth", "/api/": "rate-limit-api"}
# The answer a client gets: 429 for rate limits (nginx's limit_req_status defaults to 503, but 429
# is what HTTP clients back off on) and 413 for a too-large body, as nginx answers.
RATE_LIMITED_STATUS = 429
TOO_LARGE_STATUS = 413
# Headers kept out of the WAF logs (bearer tokens, session cookies). WAF wants them lower-case.
REDACTED_HEADERS = ("authorization", "cookie")

# Logical-name stem of the resources Edge held before it was split (the asg ALB and the app's
# security group). `Alb` and `AppSecurityGroup` name their children with it, not with their own
# names, so the children's URN names and the AWS names autonamed from them (target groups,
# security groups) do not change; aliases carry the old parent.
FORMER_STEM = "edge"

# --- ALB access logs ----------------------------------------------------------------------
# Days a deleted or replaced access log stays recoverable as a noncurrent version.
NONCURRENT_LOG_DAYS = 30
ACCESS_LOG_PREFIX = "alb"  # key prefix of access logs in the bucket (also for the EKS Ingress)

# ALB access-log delivery. Regions launched before August 2022 deliver as a regional ELB account
# (AWS docs "Enable access logs for your Application Load Balancer", step 2; the same table as
# terraform-aws-modules/s3-bucket); later regions as the service principal below. The policy
# grants the principal everywhere and the regional account where one exists, so it is right in
# every region (the configured stacks use us-west-2, a legacy region).
ELB_LOG_DELIVERY_SERVICE = "logdelivery.elasticloadbalancing.amazonaws.com"
LEGACY_ELB_LOG_ACCOUNTS = {
    "us-east-1": "127311923021",
    "us-east-2": "033677994240",
    "us-west-1": "027434742980",
    "us-west-2": "797873946194",
    "af-south-1": "098369216593",
    "ap-east-1": "754344448648",
    "ap-south-1": "718504428378",
    "ap-northeast-1": "582318560864",
    "ap-northeast-2": "600734575887",
    "ap-northeast-3": "383597477331",
    "ap-southeast-1": "114774131450",
    "ap-southeast-2": "783225319266",
    "ap-southeast-3": "589379963580",
    "ca-central-1": "985666609251",
    "eu-central-1": "054676820928",
    "eu-west-1": "156460612806",
    "eu-west-2": "652711504416",
    "eu-west-3": "009996457667",
    "eu-south-1": "635631232127",
    "eu-north-1": "897822967062",
    "me-south-1": "076674570225",
    "sa-east-1": "507241528517",
    "us-gov-west-1": "048591011584",
    "us-gov-east-1": "190560391635",
    "cn-north-1": "638102146993",
    "cn-northwest-1": "037604701340",
}


# --- pure helpers (tested without the engine) --------------------------------------------------


def greater_than_pattern(limit: int) -> str:
    """Anchored regex matching decimal integers greater than `limit` (leading zeros allowed).

    WAF compares no numbers, so `Content-Length > limit` is a pattern: more digits than `limit`,
    or as many digits and larger at the first digit that differs. Each alternative carries its own
    anchors because WAF's PCRE subset has no capturing groups.
    """
    digits = str(limit)
    branches = [f"[1-9][0-9]{{{len(digits)},}}"]
    for i, d in enumerate(digits):
        if d == "9":
            continue
        lowest = int(d) + 1
        higher = "9" if lowest == 9 else f"[{lowest}-9]"
        rest = len(digits) - i - 1
        branches.append(digits[:i] + higher + ("" if rest == 0 else "[0-9]" if rest == 1 else f"[0-9]{{{rest}}}"))
    return "|".join(f"^0*{branch}$" for branch in branches)


def _visibility(metric: str) -> dict[str, Any]:
    return {"cloudwatch_metrics_enabled": True, "metric_name": metric, "sampled_requests_enabled": True}


def _path_starts_with(prefix: str) -> dict[str, Any]:
    # Normalised and lower-cased first: `/API//auth/` must not slip past the stricter auth limit
    # (Express routes case-insensitively by default).
    return {
        "byte_match_statement": {
            "positional_constraint": "STARTS_WITH",
            "search_string": prefix,
            "field_to_match": {"uri_path": {}},
            "text_transformations": [{"priority": 0, "type": "NORMALIZE_PATH"}, {"priority": 1, "type": "LOWERCASE"}],
        }
    }


def rate_limit_scope(prefix: str) -> dict[str, Any]:
    """Scope-down of a path's rate limit: the prefix, minus longer prefixes with their own limit.

    nginx applies the longest matching `location` only, so `/api/auth/` requests count against the
    auth zone and not also against the `/api/` zone; the same here.
    """
    nested = [p for p in RATE_LIMITS if p != prefix and p.startswith(prefix)]
    if not nested:
        return _path_starts_with(prefix)
    return {
        "and_statement": {
            "statements": [_path_starts_with(prefix)] + [{"not_statement": {"statement": _path_starts_with(p)}} for p in nested]
        }
    }


def waf_rules(name_prefix: str, geo_block_countries: Sequence[str]) -> list[dict[str, Any]]:
    """The web ACL's rules in priority order (see RULE_PRIORITY)."""
    rules: list[dict[str, Any]] = []

    def rule(name: str, statement: dict[str, Any], **action: Any) -> None:
        rules.append(
            {
                "name": name,
                "priority": RULE_PRIORITY[name],
                "statement": statement,
                "visibility_config": _visibility(f"{name_prefix}-{name}"),
                **action,
            }
        )

    def block(status: int | None = None) -> dict[str, Any]:
        return {"action": {"block": {"custom_response": {"response_code": status}} if status else {}}}

    internal = [_path_starts_with(p) for p in INTERNAL_PATHS]
    rule(
        "block-internal-paths",
        internal[0] if len(internal) == 1 else {"or_statement": {"statements": internal}},
        **block(INTERNAL_PATH_STATUS),
    )
    if geo_block_countries:  # nginx `geo $blocked_country` (empty in the seed, so optional here)
        rule("geo-block", {"geo_match_statement": {"country_codes": list(geo_block_countries)}}, **block())
    for prefix, limit in RATE_LIMITS.items():
        # aggregate_key_type IP: the ALB is the first hop, so the source address is the client
        # (FORWARDED_IP would trust a header the client writes).
        rule(
            RATE_LIMIT_RULE[prefix],
            {
                "rate_based_statement": {
                    "limit": limit,
                    "evaluation_window_sec": RATE_WINDOW_SECONDS,
                    "aggregate_key_type": "IP",
                    "scope_down_statement": rate_limit_scope(prefix),
                }
            },
            **block(RATE_LIMITED_STATUS),
        )
    # Body size: WAF sees at most the first 8 KB of a body behind an ALB (a fixed limit), so a size
    # constraint on the body can never see 10 MiB: with oversize handling MATCH it would block every
    # body over 8 KB, with CONTINUE nothing. The declared Content-Length is what WAF can check.
    rule(
        "body-size-limit",
        {
            "regex_match_statement": {
                "regex_string": greater_than_pattern(BODY_SIZE_LIMIT_BYTES),
                "field_to_match": {"single_header": {"name": "content-length"}},
                "text_transformations": [{"priority": 0, "type": "NONE"}],
            }
        },
        **block(TOO_LARGE_STATUS),
    )
    for group in MANAGED_RULE_GROUPS:
        statement: dict[str, Any] = {"name": group, "vendor_name": "AWS"}
        if group in COUNT_ONLY_RULES:
            statement["rule_action_overrides"] = [{"name": r, "action_to_use": {"count": {}}} for r in COUNT_ONLY_RULES[group]]
        rule(group, {"managed_rule_group_statement": statement}, override_action={"none": {}})
    return rules


def log_delivery_principals(region: str, partition: str = "aws") -> list[dict[str, Any]]:
    """Bucket-policy principals that deliver ALB access logs in `region`."""
    principals: list[dict[str, Any]] = [{"Service": ELB_LOG_DELIVERY_SERVICE}]
    if region in LEGACY_ELB_LOG_ACCOUNTS:
        principals.append({"AWS": f"arn:{partition}:iam::{LEGACY_ELB_LOG_ACCOUNTS[region]}:root"})
    return principals


def access_log_bucket_policy(bucket_arn: str, account: str, region: str, partition: str = "aws") -> str:
    """TLS only, and ELB log delivery may write this account's logs under ACCESS_LOG_PREFIX, nothing else."""
    statements: list[dict[str, Any]] = [
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [bucket_arn, f"{bucket_arn}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    ]
    for i, principal in enumerate(log_delivery_principals(region, partition)):
        statements.append(
            {
                "Sid": f"ElbLogDelivery{i}",
                "Effect": "Allow",
                "Principal": principal,
                "Action": "s3:PutObject",
                "Resource": f"{bucket_arn}/{ACCESS_LOG_PREFIX}/AWSLogs/{account}/*",
            }
        )
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


# --- component ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class EdgeArgs(Protected, Logged):
    settings: EdgeSettings

    def __post_init__(self) -> None:
        if not (self.settings.certificate_arn or self.settings.hosted_zone_id):
            raise ValueError("EdgeArgs.settings needs certificate_arn or hosted_zone_id (nox:certificateArn / nox:hostedZoneId)")


class Edge(pulumi.ComponentResource):
    """Certificate, WAF and access-log bucket: what the ALB of either platform uses."""

    certificate_arn: pulumi.Output[str]
    web_acl: aws.wafv2.WebAcl
    waf_log_group: aws.cloudwatch.LogGroup
    access_log_bucket: aws.s3.Bucket
    access_logs_ready: list[pulumi.Resource]  # an ALB logging to the bucket depends on these

    def __init__(self, name: str, args: EdgeArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("nox:edge:Edge", name, None, opts)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        self._account = aws.get_caller_identity_output(opts=invoke).account_id
        self._region = aws.get_region_output(opts=invoke).region
        self._partition = aws.get_partition_output(opts=invoke).partition

        self.certificate_arn = self._certificate(name, args.settings)
        self.access_log_bucket, self.access_logs_ready = self._access_log_bucket(name, args)
        self.web_acl, self.waf_log_group = self._waf(name, args)
        self.register_outputs(
            {"certificateArn": self.certificate_arn, "webAclArn": self.web_acl.arn, "accessLogBucket": self.access_log_bucket.bucket}
        )

    # --- TLS certificate ---------------------------------------------------------------------
    def _certificate(self, name: str, s: EdgeSettings) -> pulumi.Output[str]:
        if s.certificate_arn:
            return pulumi.Output.from_input(s.certificate_arn)
        child = pulumi.ResourceOptions(parent=self)
        cert = aws.acm.Certificate(f"{name}-cert", domain_name=s.domain, validation_method="DNS", tags={"Name": s.domain}, opts=child)
        option = cert.domain_validation_options.apply(lambda options: options[0])
        record = aws.route53.Record(
            f"{name}-cert-validation",
            zone_id=s.hosted_zone_id,
            name=option.apply(lambda o: o.resource_record_name),
            type=option.apply(lambda o: o.resource_record_type),
            records=[option.apply(lambda o: o.resource_record_value)],
            ttl=60,
            allow_overwrite=True,
            opts=pulumi.ResourceOptions(parent=cert),
        )
        # The listener takes the ARN from the validation, so it is created only once the cert is ISSUED.
        validation = aws.acm.CertificateValidation(
            f"{name}-cert-validated",
            certificate_arn=cert.arn,
            validation_record_fqdns=[record.fqdn],
            opts=pulumi.ResourceOptions(parent=cert),
        )
        return validation.certificate_arn

    # --- access logs ---------------------------------------------------------------------------
    def _access_log_bucket(self, name: str, args: EdgeArgs) -> tuple[aws.s3.Bucket, list[pulumi.Resource]]:
        # SSE-S3: ALB access-log delivery supports no other server-side encryption (no SSE-KMS with a
        # customer key), so the network's log key cannot be used here.
        logs = private_bucket(
            f"{name}-access-logs",
            bucket_prefix=f"{args.name_prefix}-alb-logs-",
            name_tag=f"{args.name_prefix}-alb-access-logs",
            protect=args.protect,
            parent=self,
            encryption={"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}},
        )
        bucket, child = logs.bucket, pulumi.ResourceOptions(parent=logs.bucket)
        # Versioning keeps a deleted or overwritten log recoverable (scanner finding: no versioning).
        versioning = aws.s3.BucketVersioning(
            f"{name}-access-logs-versioning", bucket=bucket.bucket, versioning_configuration={"status": "Enabled"}, opts=child
        )
        # With versioning, expiring a log only makes it noncurrent behind a delete marker: noncurrent
        # versions expire too (after a recovery window), and the markers they leave are removed.
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-access-logs-lifecycle",
            bucket=bucket.bucket,
            rules=[
                {
                    "id": "expire-access-logs",
                    "status": "Enabled",
                    "filter": {"prefix": ""},
                    "expiration": {"days": args.settings.access_log_expiration_days},
                    "noncurrent_version_expiration": {"noncurrent_days": NONCURRENT_LOG_DAYS},
                    "abort_incomplete_multipart_upload": {"days_after_initiation": 7},
                },
                {
                    # S3 allows expired_object_delete_marker only in a rule without expiration days.
                    "id": "remove-expired-delete-markers",
                    "status": "Enabled",
                    "filter": {"prefix": ""},
                    "expiration": {"expired_object_delete_marker": True},
                },
            ],
            # Provider docs: a lifecycle configuration on a versioned bucket depends on its versioning.
            opts=pulumi.ResourceOptions(parent=bucket, depends_on=[versioning]),
        )
        policy = logs.policy(
            pulumi.Output.all(bucket.arn, self._account, self._region, self._partition).apply(lambda a: access_log_bucket_policy(*a))
        )
        # The ALB checks it can write when access logging is switched on: everything above first.
        return bucket, [*logs.ready, policy]

    # --- WAF -----------------------------------------------------------------------------------
    def _waf(self, name: str, args: EdgeArgs) -> tuple[aws.wafv2.WebAcl, aws.cloudwatch.LogGroup]:
        prefix = args.name_prefix
        acl = aws.wafv2.WebAcl(
            f"{name}-waf",
            name=f"{prefix}-api",
            scope="REGIONAL",
            # WAFv2 EntityDescription (botocore wafv2 model) allows only word characters, whitespace and
            # +=:#@/-,. : no parentheses, so CreateWebACL rejected the former "(rate limits, ...)".
            description=f"{prefix} NOX API: seed nginx-waf.conf: rate limits, attack patterns, body size, geo",
            default_action={"allow": {}},
            rules=waf_rules(prefix, args.settings.geo_block_countries),
            visibility_config=_visibility(f"{prefix}-api"),
            tags={"Name": f"{prefix}-api"},
            opts=pulumi.ResourceOptions(parent=self),
        )
        # WAF writes only to log groups named aws-waf-logs-*; it adds the log-delivery resource
        # policy itself when the deploying identity may (logs:PutResourcePolicy).
        group = aws.cloudwatch.LogGroup(
            f"{name}-waf-logs",
            name=f"aws-waf-logs-{prefix}",
            retention_in_days=args.log_retention_days,
            kms_key_id=args.log_key.arn,
            opts=pulumi.ResourceOptions(parent=acl),
        )
        aws.wafv2.WebAclLoggingConfiguration(
            f"{name}-waf-logging",
            resource_arn=acl.arn,
            log_destination_configs=[group.arn],
            redacted_fields=[{"single_header": {"name": h}} for h in REDACTED_HEADERS],
            opts=pulumi.ResourceOptions(parent=acl),
        )
        return acl, group
