"""AWS resource policies: one resource at a time (the whole-stack ones are in `stack.py`).

Each check is a plain function `Res -> messages`; `resource_policy` wraps it for the engine. The
ALB checks cover both paths to an ALB: `aws:lb` resources (platform asg) and Kubernetes `Ingress`
objects of class `alb`, whose ALB the AWS Load Balancer Controller builds from annotations
(platform eks).
"""

from __future__ import annotations

import base64
import binascii
import gzip
import ipaddress
from collections.abc import Iterator
from typing import Any

from .common import (
    REDACTED,
    UNKNOWN,
    Res,
    as_int,
    as_json,
    as_list,
    blank,
    credentials_in,
    env_note,
    get,
    is_false,
    is_prod,
    is_true,
    items,
    resource_environment,
    resource_policy,
)

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

LB_TYPES = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
LISTENER_TYPES = ("aws:lb/listener:Listener", "aws:alb/listener:Listener")
INGRESS_TYPES = (
    "kubernetes:networking.k8s.io/v1:Ingress",
    "kubernetes:networking.k8s.io/v1beta1:Ingress",
    "kubernetes:extensions/v1beta1:Ingress",
)
SG_TYPES = ("aws:ec2/securityGroup:SecurityGroup", "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
SG_RULE_TYPE = "aws:ec2/securityGroupRule:SecurityGroupRule"
SG_INGRESS_RULE_TYPE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
SG_EGRESS_RULE_TYPE = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
RDS_INSTANCE = "aws:rds/instance:Instance"
RDS_PARAMETER_GROUP = "aws:rds/parameterGroup:ParameterGroup"
REPLICATION_GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"
EKS_CLUSTER = "aws:eks/cluster:Cluster"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
KMS_KEY = "aws:kms/key:Key"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ALARM_TYPES = ("aws:cloudwatch/metricAlarm:MetricAlarm", "aws:cloudwatch/compositeAlarm:CompositeAlarm")
SNS_TOPIC = "aws:sns/topic:Topic"
AWS_MANAGED_SNS_KEY = "alias/aws/sns"
IAM_POLICY_DOC_TYPES = (
    "aws:iam/policy:Policy",
    "aws:iam/rolePolicy:RolePolicy",
    "aws:iam/userPolicy:UserPolicy",
    "aws:iam/groupPolicy:GroupPolicy",
)
IAM_ATTACHMENT_TYPES = (
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:iam/userPolicyAttachment:UserPolicyAttachment",
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
    "aws:iam/policyAttachment:PolicyAttachment",
)
IAM_ROLE = "aws:iam/role:Role"
# Public access blocks, per bucket and account-wide. Checked on their own: a block for a bucket
# another stack (or no stack) owns is as dangerous as one for ours.
PUBLIC_ACCESS_BLOCK_TYPES = (
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock",
)
PUBLIC_ACCESS_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")

# Public-access allow-lists in prod name networks no wider than these prefixes. A copy of
# `settings.schema.PROD_MIN_PREFIX` (the pack is standalone); a test keeps them equal.
PROD_MIN_PREFIX = {4: 16, 6: 32}


def parse_cidrs(values: Any) -> list[Any] | None:
    """The networks of a CIDR list, compared as networks (`0.0.0.0/00`, `0::/0` are /0 too); None if one does not parse."""
    nets = []
    for value in items(values):
        if value is UNKNOWN or value == UNKNOWN:
            continue  # not known yet: the policies that need it skip the resource
        try:
            nets.append(ipaddress.ip_network(str(value).strip(), strict=False))
        except ValueError:
            return None
    return nets


def covers_everything(values: Any) -> bool:
    """Whether the CIDRs together cover all of IPv4 or IPv6 (e.g. 0.0.0.0/1 + 128.0.0.0/1); unparsable counts as open."""
    nets = parse_cidrs(values)
    if nets is None:
        return True
    for version in (4, 6):
        collapsed = list(ipaddress.collapse_addresses(n for n in nets if n.version == version))
        if any(n.prefixlen == 0 for n in collapsed):
            return True
    return False


ADMIN_PORTS = {22: "SSH", 3389: "RDP"}
EKS_LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")


# --- ALB helpers (shared with stack.py) --------------------------------------------------------------


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


# --- ALB --------------------------------------------------------------------------------------------


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


# --- security groups ---------------------------------------------------------------------------------


class Rule:
    """One security group rule, whatever resource declares it."""

    def __init__(self, res: Res, direction: str, spec: dict[str, Any], where: str):
        self.res, self.direction, self.where = res, direction, where
        if res.type == SG_INGRESS_RULE_TYPE or res.type == SG_EGRESS_RULE_TYPE:
            self.protocol = spec.get("ipProtocol")
            self.cidrs = [c for c in (spec.get("cidrIpv4"), spec.get("cidrIpv6")) if c]
            self.group_sources = [s for s in (spec.get("referencedSecurityGroupId"), spec.get("prefixListId")) if s]
        else:
            self.protocol = spec.get("protocol")
            self.cidrs = items(spec.get("cidrBlocks")) + items(spec.get("ipv6CidrBlocks"))
            self.group_sources = (
                items(spec.get("securityGroups"))
                + items(spec.get("prefixListIds"))
                + as_list(spec.get("sourceSecurityGroupId"))
                + (["self"] if is_true(spec.get("self")) else [])
            )
        self.unknown = (
            any(
                v is UNKNOWN
                for v in (self.protocol, spec.get("fromPort"), spec.get("toPort"), spec.get("cidrBlocks"), spec.get("ipv6CidrBlocks"))
            )
            or UNKNOWN in self.cidrs
        )
        self.description = spec.get("description")
        self.all_traffic = str(self.protocol).lower() in ("-1", "all")
        low, high = as_int(spec.get("fromPort")), as_int(spec.get("toPort"))
        if self.all_traffic:
            self.ports = (0, 65535)
        else:
            self.ports = (0 if low is None else low, 65535 if high is None else high)

    @property
    def is_open_to_world(self) -> bool:
        return covers_everything(self.cidrs)

    @property
    def spans_all_ports(self) -> bool:
        return self.all_traffic or self.ports == (0, 65535)

    def covers(self, port: int) -> bool:
        proto = str(self.protocol).lower()
        return (self.all_traffic or proto in ("tcp", "6", "udp", "17")) and self.ports[0] <= port <= self.ports[1]

    def describe(self) -> str:
        proto = "all traffic" if self.all_traffic else f"{self.protocol} {self.ports[0]}-{self.ports[1]}"
        sources = ", ".join(str(s) for s in self.cidrs + self.group_sources) or "nowhere"
        return f"{self.where} ({proto} from {sources})"


def rules_of(r: Res) -> list[Rule]:
    """Every rule `r` declares: inline ingress/egress of a group, or the rule resource itself."""
    if r.type in SG_TYPES:
        found = []
        for direction in ("ingress", "egress"):
            for i, spec in enumerate(items(r.get(direction))):
                if isinstance(spec, dict):
                    found.append(Rule(r, direction, spec, f"{r.label} {direction}[{i}]"))
        return found
    if r.type == SG_RULE_TYPE:
        return [Rule(r, str(r.get("type")), r.props, r.label)]
    if r.type in (SG_INGRESS_RULE_TYPE, SG_EGRESS_RULE_TYPE):
        return [Rule(r, "ingress" if r.type == SG_INGRESS_RULE_TYPE else "egress", r.props, r.label)]
    return []


SG_RULE_TYPES = (*SG_TYPES, SG_RULE_TYPE, SG_INGRESS_RULE_TYPE, SG_EGRESS_RULE_TYPE)


def check_no_admin_ports(r: Res) -> Iterator[str]:
    for rule in rules_of(r):
        if rule.direction != "ingress" or rule.unknown:
            continue
        # A rule from security groups only that spans every port is intra-group trust (e.g. nodes
        # of one cluster), not administrative access; any CIDR, or a range aimed at 22/3389, is.
        if not rule.cidrs and rule.spans_all_ports:
            continue
        opened = [f"{port} ({service})" for port, service in ADMIN_PORTS.items() if rule.covers(port)]
        if opened:
            yield (
                f"{rule.describe()} opens port {' and '.join(opened)}: remove the rule and use SSM Session "
                "Manager (or EKS access entries) for administrative access."
            )


def check_rules_described(r: Res) -> Iterator[str]:
    for rule in rules_of(r):
        if rule.description is not UNKNOWN and blank(rule.description):
            yield f"{rule.describe()} has no description: say what the rule is for (description='...')."


# --- RDS ---------------------------------------------------------------------------------------------


def _is_replica(r: Res) -> bool:
    return not blank(r.get("replicateSourceDb"))


def check_rds_encrypted(r: Res) -> Iterator[str]:
    if _is_replica(r):
        return
    encrypted, key = r.get("storageEncrypted"), r.get("kmsKeyId")
    if encrypted is not UNKNOWN and not is_true(encrypted):
        yield f"RDS instance '{r.name}' stores data unencrypted: set storage_encrypted=True and kms_key_id to a customer KMS key."
    elif key is not UNKNOWN and blank(key):
        yield (
            f"RDS instance '{r.name}' is encrypted with the AWS-managed key: set kms_key_id to a customer KMS key "
            "(rotation on) so key use is auditable and revocable."
        )


def check_rds_replica_encrypted(r: Res) -> Iterator[str]:
    if not _is_replica(r):
        return
    encrypted, key = r.get("storageEncrypted"), r.get("kmsKeyId")
    if (encrypted is not UNKNOWN and not is_true(encrypted)) or (key is not UNKNOWN and blank(key)):
        yield (
            f"RDS read replica '{r.name}' does not declare its encryption: set storage_encrypted=True and "
            "kms_key_id to the primary's customer KMS key (a cross-region replica would otherwise fall back to the default key)."
        )


def check_rds_not_public(r: Res) -> Iterator[str]:
    if is_true(r.get("publiclyAccessible")):
        yield (
            f"RDS instance '{r.name}' is publicly accessible: set publicly_accessible=False and reach it only "
            "from the app's security group inside the VPC."
        )


def check_rds_iam_auth(r: Res) -> Iterator[str]:
    value = r.get("iamDatabaseAuthenticationEnabled")
    if value is not UNKNOWN and not is_true(value):
        yield f"RDS instance '{r.name}' has IAM database authentication off: set iam_database_authentication_enabled=True."


def check_rds_backup_retention(r: Res) -> Iterator[str]:
    env = resource_environment(r)
    if _is_replica(r) or not is_prod(env):
        return
    days = r.get("backupRetentionPeriod")
    if days is not UNKNOWN and (as_int(days) or 0) < 7:
        yield (
            f"RDS instance '{r.name}' keeps automated backups {as_int(days) or 0} day(s) in {env_note(env)}: "
            "set backup_retention_period to at least 7 (prod default 30)."
        )


def check_rds_replica_resilience(r: Res) -> Iterator[str]:
    """A prod replica is the reader endpoint and the DR path: it survives an AZ loss and, once
    promoted, can be restored to a point in time only if it already keeps automated backups."""
    env = resource_environment(r)
    if not _is_replica(r) or not is_prod(env):
        return
    multi_az, days = r.get("multiAz"), r.get("backupRetentionPeriod")
    if multi_az is not UNKNOWN and not is_true(multi_az):
        yield f"RDS read replica '{r.name}' is single-AZ in {env_note(env)}: set multi_az=True, as on its primary."
    if days is not UNKNOWN and (as_int(days) or 0) <= 0:
        yield (
            f"RDS read replica '{r.name}' keeps no automated backups in {env_note(env)}: set backup_retention_period > 0 "
            "(a promoted replica then has point-in-time restore at once)."
        )


def check_rds_deletion_protection(r: Res) -> Iterator[str]:
    env = resource_environment(r)
    value = r.get("deletionProtection")
    if is_prod(env) and value is not UNKNOWN and not is_true(value):
        yield f"RDS instance '{r.name}' can be deleted in {env_note(env)}: set deletion_protection=True."


def check_rds_multi_az(r: Res) -> Iterator[str]:
    env = resource_environment(r)
    value = r.get("multiAz")
    if is_prod(env) and not _is_replica(r) and value is not UNKNOWN and not is_true(value):
        yield f"RDS instance '{r.name}' is single-AZ in {env_note(env)}: set multi_az=True (a standby in another AZ)."


def check_rds_log_exports(r: Res) -> Iterator[str]:
    exports = r.get("enabledCloudwatchLogsExports")
    if exports is not UNKNOWN and blank(exports):
        yield (f"RDS instance '{r.name}' exports no logs: set enabled_cloudwatch_logs_exports (PostgreSQL: ['postgresql', 'upgrade']).")


def check_rds_performance_insights(r: Res) -> Iterator[str]:
    if not is_true(r.get("performanceInsightsEnabled")):
        return
    key = r.get("performanceInsightsKmsKeyId")
    if key is not UNKNOWN and blank(key):
        yield (
            f"RDS instance '{r.name}' has Performance Insights on with the AWS-managed key: set "
            "performance_insights_kms_key_id to a customer KMS key (query text can hold sensitive data)."
        )


# --- ElastiCache -------------------------------------------------------------------------------------


def check_cache_at_rest(r: Res) -> Iterator[str]:
    value = r.get("atRestEncryptionEnabled")
    if value is not UNKNOWN and not is_true(value):
        yield (f"ElastiCache replication group '{r.name}' is not encrypted at rest: set at_rest_encryption_enabled=True with kms_key_id.")


def check_cache_in_transit(r: Res) -> Iterator[str]:
    enabled, mode = r.get("transitEncryptionEnabled"), r.get("transitEncryptionMode")
    if enabled is not UNKNOWN and not is_true(enabled):
        yield (
            f"ElastiCache replication group '{r.name}' accepts plaintext connections: set "
            "transit_encryption_enabled=True (clients use rediss://)."
        )
    elif mode == "preferred":
        yield (
            f"ElastiCache replication group '{r.name}' has transit_encryption_mode 'preferred', which still "
            "accepts plaintext: set it to 'required'."
        )


def check_cache_auth(r: Res) -> Iterator[str]:
    token, groups = r.get("authToken"), r.get("userGroupIds")
    if token is UNKNOWN or groups is UNKNOWN:
        return
    if blank(token) and blank(groups):
        yield (f"ElastiCache replication group '{r.name}' needs no credentials: set auth_token (a Pulumi secret) or user_group_ids (RBAC).")


def check_cache_failover(r: Res) -> Iterator[str]:
    env = resource_environment(r)
    value = r.get("automaticFailoverEnabled")
    if is_prod(env) and value is not UNKNOWN and not is_true(value):
        yield (
            f"ElastiCache replication group '{r.name}' has no automatic failover in {env_note(env)}: set "
            "automatic_failover_enabled=True (and replicas in other AZs)."
        )


def check_cache_snapshots(r: Res) -> Iterator[str]:
    env = resource_environment(r)
    days = r.get("snapshotRetentionLimit")
    if is_prod(env) and days is not UNKNOWN and (as_int(days) or 0) <= 0:
        yield (
            f"ElastiCache replication group '{r.name}' keeps no snapshots in {env_note(env)}: set "
            "snapshot_retention_limit > 0 (prod default 7)."
        )


# --- EKS ---------------------------------------------------------------------------------------------


def check_eks_secrets_encryption(r: Res) -> Iterator[str]:
    config = r.get("encryptionConfig")
    if config is UNKNOWN:
        return
    resources, key = get(config, "resources"), get(config, "provider", "keyArn")
    if resources is UNKNOWN or UNKNOWN in items(resources) or get(config, "provider") is UNKNOWN:
        return
    if "secrets" not in items(resources) or (key is not UNKNOWN and blank(key)):
        yield (
            f"EKS cluster '{r.name}' does not envelope-encrypt Kubernetes secrets: set "
            "encryption_config={resources: ['secrets'], provider: {key_arn: <customer KMS key>}}."
        )


def check_eks_private_endpoint(r: Res) -> Iterator[str]:
    value = r.get("vpcConfig", "endpointPrivateAccess")
    if value is not UNKNOWN and not is_true(value):
        yield (
            f"EKS cluster '{r.name}' has no private API endpoint: set vpc_config.endpoint_private_access=True "
            "so nodes and operators reach the API inside the VPC."
        )


def check_eks_public_endpoint(r: Res) -> Iterator[str]:
    public, cidrs = r.get("vpcConfig", "endpointPublicAccess"), r.get("vpcConfig", "publicAccessCidrs")
    if public is UNKNOWN or is_false(public) or cidrs is UNKNOWN or UNKNOWN in items(cidrs):
        return
    # The API endpoint is public unless endpoint_public_access is False, and open to 0.0.0.0/0
    # unless public_access_cidrs says otherwise. CIDRs are compared as networks, never as strings.
    if blank(cidrs) or covers_everything(cidrs):
        yield (
            f"EKS cluster '{r.name}' exposes its API endpoint to the whole internet: set "
            "vpc_config.endpoint_public_access=False, or public_access_cidrs to the operators' CIDRs (never 0.0.0.0/0)."
        )
        return
    if is_prod(resource_environment(r)):
        wide = [str(n) for n in parse_cidrs(cidrs) or [] if n.prefixlen < PROD_MIN_PREFIX[n.version]]
        if wide:
            yield (
                f"EKS cluster '{r.name}' allows its public API endpoint from {', '.join(wide)} in prod: list networks no wider "
                f"than /{PROD_MIN_PREFIX[4]} (IPv4) or /{PROD_MIN_PREFIX[6]} (IPv6), or use a runner inside the VPC."
            )


def check_eks_logging(r: Res) -> Iterator[str]:
    logs = r.get("enabledClusterLogTypes")
    if logs is UNKNOWN or UNKNOWN in items(logs):
        return
    missing = [t for t in EKS_LOG_TYPES if t not in items(logs)]
    if missing:
        yield (
            f"EKS cluster '{r.name}' does not log {', '.join(missing)}: set enabled_cluster_log_types to all five "
            f"control-plane log types ({', '.join(EKS_LOG_TYPES)})."
        )


# --- launch templates --------------------------------------------------------------------------------


def check_imdsv2(r: Res) -> Iterator[str]:
    tokens = r.get("metadataOptions", "httpTokens")
    if r.get("metadataOptions", "httpEndpoint") == "disabled" or tokens is UNKNOWN:
        return
    if tokens != "required":
        yield (
            f"Launch template '{r.name}' allows IMDSv1 (http_tokens={tokens or 'optional'}): set metadata_options.http_tokens='required'."
        )


def check_imds_hop_limit(r: Res) -> Iterator[str]:
    limit = r.get("metadataOptions", "httpPutResponseHopLimit")
    if r.get("metadataOptions", "httpEndpoint") == "disabled" or limit is UNKNOWN:
        return
    if as_int(limit) != 1:
        yield (
            f"Launch template '{r.name}' has IMDS hop limit {as_int(limit) or 'unset (AWS default)'}: set "
            "metadata_options.http_put_response_hop_limit=1 so containers cannot reach the instance role's credentials."
        )


def check_ebs_encrypted(r: Res) -> Iterator[str]:
    mappings = r.get("blockDeviceMappings")
    if mappings is UNKNOWN or any(m is UNKNOWN or get(m, "ebs") is UNKNOWN for m in items(mappings)):
        return
    volumes = [m for m in items(mappings) if isinstance(m, dict) and isinstance(get(m, "ebs"), dict)]
    if not volumes:
        yield (
            f"Launch template '{r.name}' declares no EBS volume, so the root volume's encryption depends on the "
            "AMI and account defaults: add a block_device_mapping for the root device with ebs.encrypted='true'."
        )
    for m in volumes:
        encrypted = get(m, "ebs", "encrypted")
        if encrypted is not UNKNOWN and not is_true(encrypted):
            yield (
                f"Launch template '{r.name}' volume {get(m, 'deviceName') or '?'} is not encrypted: set "
                "ebs.encrypted='true' (with kms_key_id)."
            )


def check_no_public_ip(r: Res) -> Iterator[str]:
    for i, nic in enumerate(items(r.get("networkInterfaces"))):
        if is_true(get(nic, "associatePublicIpAddress")):
            yield (
                f"Launch template '{r.name}' network_interfaces[{i}] gives instances a public IP: set "
                "associate_public_ip_address='false'; instances live in private subnets behind the ALB."
            )


def decode_user_data(value: str) -> str:
    """Launch template user data is base64 (possibly gzip inside); fall back to the raw text."""
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return value
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except OSError:
            return value
    return raw.decode("utf-8", errors="replace")


def check_user_data_secrets(r: Res) -> Iterator[str]:
    data = r.get("userData")
    if data is UNKNOWN or blank(data) or not isinstance(data, str):
        return
    if data == REDACTED:
        yield (
            f"Launch template '{r.name}' user data is derived from a Pulumi secret, so a secret is written "
            "into it: fetch secrets at boot (Secrets Manager) and pass only their ARN."
        )
        return
    found = credentials_in(decode_user_data(data))
    if found:
        yield (
            f"Launch template '{r.name}' user data contains {', '.join(found)} (user data is readable by anyone who "
            "can describe the instance): fetch secrets at boot from Secrets Manager instead."
        )


# --- S3 -------------------------------------------------------------------------------------------------


def check_public_access_block_all_true(r: Res) -> Iterator[str]:
    off = [f for f in PUBLIC_ACCESS_FLAGS if r.get(f) is not UNKNOWN and not is_true(r.get(f))]
    if off:
        target = r.get("bucket")
        where = f"bucket {target}" if isinstance(target, str) and target else "the account"
        yield (
            f"Public access block '{r.name}' ({where}) leaves {', '.join(off)} off (unset means false): "
            "set all four to true, whoever owns the bucket."
        )


# --- KMS, logs, alarms -------------------------------------------------------------------------------


def check_kms_rotation(r: Res) -> Iterator[str]:
    spec = r.get("keySpec") or r.get("customerMasterKeySpec")
    if spec not in (None, "SYMMETRIC_DEFAULT"):
        return  # asymmetric and HMAC keys cannot rotate
    value = r.get("enableKeyRotation")
    if value is not UNKNOWN and not is_true(value):
        yield f"KMS key '{r.name}' does not rotate: set enable_key_rotation=True."


def check_log_retention(r: Res) -> Iterator[str]:
    days = r.get("retentionInDays")
    if days is not UNKNOWN and (as_int(days) or 0) <= 0:
        yield (f"Log group '{r.name}' keeps logs forever: set retention_in_days (e.g. the stack's nox:logRetentionDays).")


def check_sns_topic_customer_key(r: Res) -> Iterator[str]:
    key = r.get("kmsMasterKeyId")
    if key is UNKNOWN:
        return
    if blank(key):
        yield (
            f"SNS topic '{r.name}' is not encrypted: set kms_master_key_id to a customer-managed KMS key whose "
            "policy lets its publishers (cloudwatch/events/aps.amazonaws.com) use it."
        )
    elif str(key).endswith(AWS_MANAGED_SNS_KEY):
        yield (
            f"SNS topic '{r.name}' is encrypted with the AWS managed key {AWS_MANAGED_SNS_KEY}, whose policy cannot let "
            "CloudWatch or other services publish (their notifications are dropped): use a customer-managed key."
        )


def check_alarm_actions(r: Res) -> Iterator[str]:
    actions, enabled = r.get("alarmActions"), r.get("actionsEnabled")
    if actions is UNKNOWN:
        return
    if blank(actions):
        yield (
            f"Alarm '{r.name}' has no alarm_actions, so it fires into the void: add its action "
            "(the scaling policy's ARN, or the alerts SNS topic)."
        )
    elif is_false(enabled):
        yield f"Alarm '{r.name}' has actions_enabled=False: enable its actions."


# --- IAM ---------------------------------------------------------------------------------------------

ADMIN_POLICY_ARN_SUFFIX = ":policy/AdministratorAccess"


def admin_statements(document: Any) -> list[Any]:
    """Statements of a policy document that Allow every action on every resource."""
    doc = as_json(document)
    if not isinstance(doc, dict):
        return []
    found = []
    for statement in as_list(doc.get("Statement")):
        if not isinstance(statement, dict) or statement.get("Effect", "Allow") != "Allow":
            continue
        actions = as_list(statement.get("Action"))
        resources = as_list(statement.get("Resource"))
        if any(a in ("*", "*:*") for a in actions) and "*" in resources:
            found.append(statement.get("Sid") or "(no Sid)")
    return found


def check_iam_no_admin(r: Res) -> Iterator[str]:
    fix = "grant the specific actions on the specific resources the principal needs."
    if r.type in IAM_POLICY_DOC_TYPES:
        for sid in admin_statements(r.get("policy")):
            yield f"IAM policy '{r.name}' statement {sid} allows Action '*' on Resource '*': {fix}"
    elif r.type == IAM_ROLE:
        for inline in items(r.get("inlinePolicies")):
            for sid in admin_statements(get(inline, "policy")):
                yield f"IAM role '{r.name}' inline policy {get(inline, 'name')} statement {sid} allows '*' on '*': {fix}"
        for arn in items(r.get("managedPolicyArns")):
            if isinstance(arn, str) and arn.endswith(ADMIN_POLICY_ARN_SUFFIX):
                yield f"IAM role '{r.name}' has AdministratorAccess ('*' on '*'): {fix}"
    elif r.type in IAM_ATTACHMENT_TYPES:
        arn = r.get("policyArn")
        if isinstance(arn, str) and arn.endswith(ADMIN_POLICY_ARN_SUFFIX):
            yield f"{r.label} attaches AdministratorAccess ('*' on '*'): {fix}"


# --- the policies ------------------------------------------------------------------------------------

ALB_RESOURCE_TYPES = (*LB_TYPES, *INGRESS_TYPES)

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
        "aws-security-group-disallow-admin-ports",
        "No security group rule opens SSH (22) or RDP (3389).",
        SG_RULE_TYPES,
        check_no_admin_ports,
    ),
    resource_policy(
        "aws-security-group-rules-described", "Every security group rule has a description.", SG_RULE_TYPES, check_rules_described
    ),
    resource_policy(
        "aws-rds-instance-storage-encrypted",
        "RDS instances are encrypted at rest with a customer-managed KMS key.",
        [RDS_INSTANCE],
        check_rds_encrypted,
    ),
    resource_policy(
        "aws-rds-replica-storage-encrypted",
        "RDS read replicas declare encryption with a customer-managed KMS key.",
        [RDS_INSTANCE],
        check_rds_replica_encrypted,
    ),
    resource_policy(
        "aws-rds-instance-disallow-public-access", "RDS instances are not publicly accessible.", [RDS_INSTANCE], check_rds_not_public
    ),
    resource_policy(
        "aws-rds-instance-iam-authentication", "RDS instances have IAM database authentication enabled.", [RDS_INSTANCE], check_rds_iam_auth
    ),
    resource_policy(
        "aws-rds-instance-backup-retention-prod",
        "RDS instances keep automated backups at least 7 days in prod.",
        [RDS_INSTANCE],
        check_rds_backup_retention,
    ),
    resource_policy(
        "aws-rds-replica-multi-az-and-backups-prod",
        "RDS read replicas are Multi-AZ and keep automated backups in prod.",
        [RDS_INSTANCE],
        check_rds_replica_resilience,
    ),
    resource_policy(
        "aws-rds-instance-deletion-protection-prod",
        "RDS instances have deletion protection in prod.",
        [RDS_INSTANCE],
        check_rds_deletion_protection,
    ),
    resource_policy("aws-rds-instance-multi-az-prod", "RDS primaries are Multi-AZ in prod.", [RDS_INSTANCE], check_rds_multi_az),
    resource_policy(
        "aws-rds-instance-log-exports", "RDS instances export their logs to CloudWatch Logs.", [RDS_INSTANCE], check_rds_log_exports
    ),
    resource_policy(
        "aws-rds-instance-performance-insights-encrypted",
        "RDS Performance Insights data is encrypted with a customer-managed KMS key.",
        [RDS_INSTANCE],
        check_rds_performance_insights,
    ),
    resource_policy(
        "aws-elasticache-encrypted-at-rest",
        "ElastiCache replication groups are encrypted at rest.",
        [REPLICATION_GROUP],
        check_cache_at_rest,
    ),
    resource_policy(
        "aws-elasticache-encrypted-in-transit", "ElastiCache replication groups require TLS.", [REPLICATION_GROUP], check_cache_in_transit
    ),
    resource_policy(
        "aws-elasticache-auth-required",
        "ElastiCache replication groups require an auth token or RBAC user group.",
        [REPLICATION_GROUP],
        check_cache_auth,
    ),
    resource_policy(
        "aws-elasticache-automatic-failover-prod",
        "ElastiCache replication groups fail over automatically in prod.",
        [REPLICATION_GROUP],
        check_cache_failover,
    ),
    resource_policy(
        "aws-elasticache-snapshots-prod",
        "ElastiCache replication groups keep snapshots in prod.",
        [REPLICATION_GROUP],
        check_cache_snapshots,
    ),
    resource_policy(
        "aws-eks-cluster-secrets-encryption",
        "EKS clusters envelope-encrypt Kubernetes secrets with a KMS key.",
        [EKS_CLUSTER],
        check_eks_secrets_encryption,
    ),
    resource_policy(
        "aws-eks-cluster-private-endpoint", "EKS clusters have the private API endpoint enabled.", [EKS_CLUSTER], check_eks_private_endpoint
    ),
    resource_policy(
        "aws-eks-cluster-public-endpoint-restricted",
        "EKS public API endpoints are off or restricted, never open to 0.0.0.0/0.",
        [EKS_CLUSTER],
        check_eks_public_endpoint,
    ),
    resource_policy(
        "aws-eks-cluster-control-plane-logging",
        "EKS clusters send all five control-plane log types to CloudWatch.",
        [EKS_CLUSTER],
        check_eks_logging,
    ),
    resource_policy(
        "aws-launch-template-imdsv2-required", "Launch templates require IMDSv2 (session tokens).", [LAUNCH_TEMPLATE], check_imdsv2
    ),
    resource_policy(
        "aws-launch-template-imds-hop-limit", "Launch templates set the IMDS hop limit to 1.", [LAUNCH_TEMPLATE], check_imds_hop_limit
    ),
    resource_policy(
        "aws-launch-template-ebs-encrypted", "Launch template EBS volumes are encrypted.", [LAUNCH_TEMPLATE], check_ebs_encrypted
    ),
    resource_policy(
        "aws-launch-template-disallow-public-ip",
        "Launch templates do not give instances public IP addresses.",
        [LAUNCH_TEMPLATE],
        check_no_public_ip,
    ),
    resource_policy(
        "aws-launch-template-no-secrets-in-user-data",
        "Launch template user data contains no credentials.",
        [LAUNCH_TEMPLATE],
        check_user_data_secrets,
    ),
    resource_policy(
        "aws-s3-public-access-block-all-true",
        "Every S3 public access block (any bucket's, or the account's) sets all four settings true.",
        PUBLIC_ACCESS_BLOCK_TYPES,
        check_public_access_block_all_true,
    ),
    resource_policy("aws-kms-key-rotation-enabled", "Symmetric KMS keys rotate automatically.", [KMS_KEY], check_kms_rotation),
    resource_policy(
        "aws-cloudwatch-log-group-retention", "CloudWatch log groups have a retention period.", [LOG_GROUP], check_log_retention
    ),
    resource_policy("aws-cloudwatch-alarm-has-actions", "CloudWatch alarms have alarm actions.", ALARM_TYPES, check_alarm_actions),
    resource_policy(
        "aws-sns-topic-encrypted-customer-key",
        "SNS topics are encrypted with a customer-managed KMS key (not alias/aws/sns).",
        [SNS_TOPIC],
        check_sns_topic_customer_key,
    ),
    resource_policy(
        "aws-iam-policy-disallow-admin-wildcard",
        "IAM policies never allow '*' actions on '*' resources.",
        (*IAM_POLICY_DOC_TYPES, IAM_ROLE, *IAM_ATTACHMENT_TYPES),
        check_iam_no_admin,
    ),
]
