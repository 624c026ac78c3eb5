"""OpenSearch Service domains and the Firehose streams that feed them (the optional log search, nox:logSearch)."""

from __future__ import annotations

from collections.abc import Iterator

from ..common import UNKNOWN, Res, as_int, blank, env_note, get, is_false, is_prod, is_true, items, resource_environment, resource_policy
from .tokens import FIREHOSE_STREAM, OPENSEARCH_DOMAIN

# OpenSearch Service TLSSecurityPolicy values whose ciphers are all forward-secret (ECDHE).
PFS_TLS_POLICIES = ("Policy-Min-TLS-1-2-PFS-2023-10",)
PROD_AZS = 3
PROD_MASTERS = 3  # AWS recommends three dedicated masters for production domains


def _encryption(r: Res) -> Iterator[str]:
    at_rest, key = r.get("encryptAtRest", "enabled"), r.get("encryptAtRest", "kmsKeyId")
    if at_rest is not UNKNOWN and not is_true(at_rest):
        yield f"OpenSearch domain '{r.name}' is not encrypted at rest: set encrypt_at_rest enabled=True with kms_key_id."
    elif key is not UNKNOWN and blank(key):
        yield f"OpenSearch domain '{r.name}' is encrypted with the AWS-managed key: set encrypt_at_rest.kms_key_id to a customer key."
    node = r.get("nodeToNodeEncryption", "enabled")
    if node is not UNKNOWN and not is_true(node):
        yield f"OpenSearch domain '{r.name}' sends plaintext between nodes: set node_to_node_encryption enabled=True."


def _https(r: Res) -> Iterator[str]:
    https, tls = r.get("domainEndpointOptions", "enforceHttps"), r.get("domainEndpointOptions", "tlsSecurityPolicy")
    if https is not UNKNOWN and not is_true(https):
        yield f"OpenSearch domain '{r.name}' accepts plain HTTP: set domain_endpoint_options enforce_https=True."
    elif tls is not UNKNOWN and tls not in PFS_TLS_POLICIES:
        yield (
            f"OpenSearch domain '{r.name}' has TLS policy {tls!r}: set domain_endpoint_options.tls_security_policy to "
            f"{' or '.join(PFS_TLS_POLICIES)} (TLS 1.2+, forward-secret ciphers only)."
        )


def _access_control(r: Res) -> Iterator[str]:
    enabled = r.get("advancedSecurityOptions", "enabled")
    if enabled is UNKNOWN:
        return
    if not is_true(enabled):
        yield f"OpenSearch domain '{r.name}' has no fine-grained access control: set advanced_security_options enabled=True."
    elif is_true(r.get("advancedSecurityOptions", "internalUserDatabaseEnabled")):
        yield (
            f"OpenSearch domain '{r.name}' keeps an internal user database (passwords): set internal_user_database_enabled=False "
            "and an IAM master_user_arn."
        )
    elif is_true(r.get("advancedSecurityOptions", "anonymousAuthEnabled")):
        yield f"OpenSearch domain '{r.name}' allows anonymous requests: set anonymous_auth_enabled=False."


def _placement(r: Res) -> Iterator[str]:
    subnets = r.get("vpcOptions", "subnetIds")
    if subnets is not UNKNOWN and blank(subnets):
        yield f"OpenSearch domain '{r.name}' has a public endpoint: set vpc_options with private subnet_ids and security_group_ids."


def _audit_logs(r: Res) -> Iterator[str]:
    options = r.get("logPublishingOptions")
    if options is UNKNOWN or any(get(o, "logType") is UNKNOWN for o in items(options)):
        return
    audit = [o for o in items(options) if get(o, "logType") == "AUDIT_LOGS"]
    if not audit or any(is_false(get(o, "enabled")) or blank(get(o, "cloudwatchLogGroupArn")) for o in audit):
        yield f"OpenSearch domain '{r.name}' publishes no audit log: add log_publishing_options AUDIT_LOGS to a CloudWatch log group."


def _prod_availability(r: Res) -> Iterator[str]:
    env = resource_environment(r)
    cluster = r.get("clusterConfig")
    if not is_prod(env) or cluster is UNKNOWN:
        return
    zone_aware, azs = get(cluster, "zoneAwarenessEnabled"), get(cluster, "zoneAwarenessConfig", "availabilityZoneCount")
    masters, count = get(cluster, "dedicatedMasterEnabled"), get(cluster, "dedicatedMasterCount")
    if UNKNOWN in (zone_aware, azs, masters, count):
        return
    if not is_true(zone_aware) or as_int(azs) != PROD_AZS:
        yield (
            f"OpenSearch domain '{r.name}' is not zone-aware across {PROD_AZS} AZs in {env_note(env)}: set cluster_config "
            f"zone_awareness_enabled=True, zone_awareness_config.availability_zone_count={PROD_AZS}."
        )
    elif not is_true(masters) or (as_int(count) or 0) < PROD_MASTERS:
        yield (
            f"OpenSearch domain '{r.name}' has no {PROD_MASTERS} dedicated masters in {env_note(env)}: set cluster_config "
            f"dedicated_master_enabled=True, dedicated_master_count={PROD_MASTERS}."
        )


CHECKS = (_encryption, _https, _access_control, _placement, _audit_logs, _prod_availability)


def check_domain_hardened(r: Res) -> Iterator[str]:
    for check in CHECKS:
        yield from check(r)


def check_stream_encrypted(r: Res) -> Iterator[str]:
    """FSBP DataFirehose.1; with a customer key (a Direct PUT stream, as a subscription filter's, accepts one)."""
    sse = r.get("serverSideEncryption")
    if sse is UNKNOWN or get(sse, "enabled") is UNKNOWN or get(sse, "keyType") is UNKNOWN:
        return
    if not is_true(get(sse, "enabled")):
        yield f"Firehose stream '{r.name}' is not encrypted at rest: set server_side_encryption enabled=True."
    elif get(sse, "keyType") != "CUSTOMER_MANAGED_CMK" or blank(get(sse, "keyArn")):
        yield (
            f"Firehose stream '{r.name}' is encrypted with an AWS-owned key: set server_side_encryption key_type="
            "'CUSTOMER_MANAGED_CMK' with key_arn."
        )


POLICIES = [
    resource_policy(
        "aws-opensearch-domain-hardened",
        "OpenSearch domains: encrypted at rest (customer key) and between nodes, HTTPS with a forward-secret TLS policy, "
        "fine-grained access control without internal users, in a VPC, audit logs published; prod: 3 AZs, 3 dedicated masters.",
        [OPENSEARCH_DOMAIN],
        check_domain_hardened,
    ),
    resource_policy(
        "aws-firehose-stream-encrypted",
        "FSBP DataFirehose.1: Firehose delivery streams are encrypted at rest with a customer KMS key.",
        [FIREHOSE_STREAM],
        check_stream_encrypted,
    ),
]
