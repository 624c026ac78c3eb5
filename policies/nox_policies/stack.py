"""Whole-stack policies: rules that need more than one resource (who uses whom, the provider, the environment).

Relations come from the graph the engine passes to stack policies: a resource's `dependencies`
(every resource whose outputs its inputs use) and its `provider`. In a preview most ARNs and ids
are unknown, so links are followed through dependencies, never by comparing ids.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from .aws.ec2 import decode_user_data, rules_of
from .aws.elb import annotation, ingress_lb_attributes, is_alb_ingress, is_application_lb
from .aws.tokens import (
    ALARM_TYPES,
    BACKUP_PLAN,
    BACKUP_SELECTION,
    DEFAULT_SG,
    EKS_CLUSTER,
    FLOW_LOG,
    INGRESS_TYPES,
    LAUNCH_TEMPLATE,
    LB_TYPES,
    RDS_INSTANCE,
    RDS_PARAMETER_GROUP,
    REPLICATION_GROUP,
    SECRET,
    SECRET_ROTATION,
    SG_RULE_TYPES,
    SG_TYPES,
    SNS_TOPIC,
    VPC,
    WEB_ACL,
    WEB_ACL_ASSOCIATION,
    WEB_ACL_LOGGING,
)
from .common import (
    REDACTED,
    REQUIRED_TAGS,
    UNKNOWN,
    Res,
    Stack,
    as_int,
    as_json,
    as_list,
    blank,
    default_tags,
    env_note,
    get,
    has_unknown,
    is_prod,
    is_true,
    items,
    stack_policy,
)
from .kubernetes import DEPLOYMENT, HPA_TYPES, NETWORK_POLICY, PDB, STATEFUL_SET, containers, namespace_of, pod_spec
from .taggable import SELF_TAGGED_TYPES, default_taggable_types

Finding = Iterator[tuple[str, str | None]]

BUCKET_TYPES = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
SSE_TYPES = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
)
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
SCALING_POLICY = "aws:autoscaling/policy:Policy"
ASG = "aws:autoscaling/group:Group"
METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
KMS_KEY = "aws:kms/key:Key"
RDS_CLUSTER = "aws:rds/cluster:Cluster"
AWS_PROVIDER = "pulumi:providers:aws"
APP_WORKLOADS = (DEPLOYMENT, STATEFUL_SET)

# The database connection budget. Copies of `settings.model` values (the pack is standalone;
# tests keep them equal): the seed's pool when the app is given no DB_POOL_MAX, and the
# connections kept free for rdsadmin, migrations, psql and monitoring.
SEED_POOL_MAX = 20
ADMIN_CONNECTION_HEADROOM = 20
# FSBP SecretsManager.4: rotated at least every 90 days (the control's default).
SECRET_MAX_ROTATION_DAYS = 90
_POOL_IN_TEXT = re.compile(r"DB_POOL_MAX[\"']?\s*[=:]\s*[\"']?(\d+)")


# --- ALB: deletion protection, WAF -------------------------------------------------------------------


def check_alb_deletion_protection(stack: Stack) -> Finding:
    env = stack.environment
    if not is_prod(env):
        return
    for lb in stack.of_type(*LB_TYPES):
        value = lb.get("enableDeletionProtection")
        if is_application_lb(lb) and value is not UNKNOWN and not is_true(value):
            yield (f"{lb.label} can be deleted in {env_note(env)}: set enable_deletion_protection=True.", lb.urn)
    for ingress in stack.of_type(*INGRESS_TYPES):
        if not is_alb_ingress(ingress):
            continue
        attributes = ingress_lb_attributes(ingress)
        if attributes is not UNKNOWN and not is_true(attributes.get("deletion_protection.enabled")):
            yield (
                f"{ingress.label}'s ALB can be deleted in {env_note(env)}: add deletion_protection.enabled=true to "
                "alb.ingress.kubernetes.io/load-balancer-attributes.",
                ingress.urn,
            )


def has_rate_based_rule(acl: Res) -> Any:
    """True/False, or UNKNOWN when the ACL's rules are not known yet."""
    rules = acl.get("rules")
    if rules is UNKNOWN:
        return UNKNOWN
    if any(get(rule, "statement", "rateBasedStatement") is not None for rule in items(rules)):
        return True
    raw = acl.get("ruleJson")
    if raw is UNKNOWN:
        return UNKNOWN
    return any(get(rule, "Statement", "RateBasedStatement") is not None for rule in as_list(as_json(raw)))


def _check_acls(owner: str, acls: list[Res], urn: str) -> Finding:
    if not acls:
        yield (
            f"{owner} uses a WAF web ACL that is not managed in this stack, so its rate limiting cannot be "
            "verified: use the edge's web ACL.",
            urn,
        )
        return
    for acl in acls:
        if has_rate_based_rule(acl) is False:
            yield (
                f"{owner} is protected by web ACL '{acl.name}', which has no rate-based rule: add one "
                "(statement.rate_based_statement per client IP).",
                urn,
            )


def check_waf(stack: Stack) -> Finding:
    for lb in stack.of_type(*LB_TYPES):
        internal = lb.get("internal")
        if not is_application_lb(lb) or internal is UNKNOWN or is_true(internal):
            continue
        associations = stack.dependents_of(lb, WEB_ACL_ASSOCIATION)
        if not associations:
            yield (
                f"Internet-facing {lb.label} has no WAF web ACL: associate the edge's web ACL "
                "(aws.wafv2.WebAclAssociation with resource_arn=<the ALB's ARN>).",
                lb.urn,
            )
            continue
        acls = [acl for a in associations for acl in stack.dependencies_of(a, WEB_ACL)]
        yield from _check_acls(f"Internet-facing {lb.label}", acls, lb.urn)
    for ingress in stack.of_type(*INGRESS_TYPES):
        if not is_alb_ingress(ingress):
            continue
        arn = annotation(ingress, "alb.ingress.kubernetes.io/wafv2-acl-arn")
        if arn is UNKNOWN:
            acls = stack.dependencies_of(ingress, WEB_ACL)
            if acls:
                yield from _check_acls(ingress.label, acls, ingress.urn)
            continue
        if blank(arn):
            yield (
                f"{ingress.label} gives its ALB no WAF: set alb.ingress.kubernetes.io/wafv2-acl-arn to the edge's web ACL ARN.",
                ingress.urn,
            )
            continue
        yield from _check_acls(ingress.label, stack.dependencies_of(ingress, WEB_ACL), ingress.urn)


# --- security groups ---------------------------------------------------------------------------------


def load_balancer_groups(stack: Stack) -> set[str]:
    """URNs of the security groups a load balancer (or an alb Ingress's ALB) uses."""
    users = stack.of_type(*LB_TYPES) + [i for i in stack.of_type(*INGRESS_TYPES) if is_alb_ingress(i)]
    return {sg.urn for user in users for sg in stack.dependencies_of(user, *SG_TYPES)}


def check_public_ingress(stack: Stack) -> Finding:
    lb_groups = load_balancer_groups(stack)
    for r in stack.of_type(*SG_RULE_TYPES):
        targets = {r.urn} if r.type in SG_TYPES else {sg.urn for sg in stack.dependencies_of(r, *SG_TYPES)}
        for rule in rules_of(r):
            if rule.direction != "ingress" or rule.unknown or not rule.is_open_to_world:
                continue
            web_port = str(rule.protocol).lower() in ("tcp", "6") and rule.ports in ((80, 80), (443, 443))
            if web_port and targets & lb_groups:
                continue
            if web_port:
                yield (
                    f"{rule.describe()} admits the whole internet to a group no load balancer uses: only the ALB's "
                    "security group may take 80/443 from 0.0.0.0/0; admit other traffic from the ALB's group.",
                    r.urn,
                )
            else:
                yield (
                    f"{rule.describe()} admits the whole internet: only 80 and 443 on the ALB's security group may be "
                    "open to 0.0.0.0/0 or ::/0; narrow the source to a security group or a private CIDR.",
                    r.urn,
                )


# --- RDS: TLS enforced by the parameter group --------------------------------------------------------


def _engine(stack: Stack, db: Res) -> Any:
    engine = db.get("engine")
    if blank(engine):  # a replica inherits its source's engine
        sources = stack.dependencies_of(db, RDS_INSTANCE)
        engine = sources[0].get("engine") if sources else None
    return engine


def _parameter(group: Res, name: str) -> Any:
    params = group.get("parameters")
    if params is UNKNOWN:
        return UNKNOWN
    unknown = False
    for p in items(params):
        if get(p, "name") == name:
            return get(p, "value")
        unknown = unknown or get(p, "name") is UNKNOWN
    return UNKNOWN if unknown else None


def check_rds_force_ssl(stack: Stack) -> Finding:
    for db in stack.of_type(RDS_INSTANCE):
        if _engine(stack, db) not in ("postgres", UNKNOWN):
            continue
        name = db.get("parameterGroupName")
        groups = stack.dependencies_of(db, RDS_PARAMETER_GROUP)
        if name is not UNKNOWN and blank(name):
            yield (
                f"RDS instance '{db.name}' uses the default parameter group: give it a parameter group with "
                "rds.force_ssl=1 so every connection uses TLS.",
                db.urn,
            )
        elif not groups:
            if name is not UNKNOWN:
                yield (
                    f"RDS instance '{db.name}' uses parameter group {name!r}, not managed in this stack, so "
                    "rds.force_ssl cannot be verified: manage the group here with rds.force_ssl=1.",
                    db.urn,
                )
        else:
            for group in groups:
                value = _parameter(group, "rds.force_ssl")
                if value is not UNKNOWN and as_int(value) != 1:
                    yield (
                        f"RDS instance '{db.name}' parameter group '{group.name}' does not force TLS: add the parameter rds.force_ssl=1.",
                        db.urn,
                    )


# --- S3 ----------------------------------------------------------------------------------------------


def check_bucket_public_access(stack: Stack) -> Finding:
    flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    for bucket in stack.of_type(*BUCKET_TYPES):
        blocks = stack.dependents_of(bucket, PUBLIC_ACCESS_BLOCK)
        if not blocks:
            yield (
                f"S3 bucket '{bucket.name}' has no public access block: add aws.s3.BucketPublicAccessBlock with all four settings true.",
                bucket.urn,
            )
            continue
        for block in blocks:
            off = [f for f in flags if block.get(f) is not UNKNOWN and not is_true(block.get(f))]
            if off:
                yield (
                    f"S3 bucket '{bucket.name}' public access block '{block.name}' leaves {', '.join(off)} off: set all four to true.",
                    bucket.urn,
                )


def check_bucket_encrypted(stack: Stack) -> Finding:
    for bucket in stack.of_type(*BUCKET_TYPES):
        inline = bucket.get("serverSideEncryptionConfiguration")
        if inline is UNKNOWN or not blank(inline):
            continue
        configs = stack.dependents_of(bucket, *SSE_TYPES)
        algorithms = [get(rule, "applyServerSideEncryptionByDefault", "sseAlgorithm") for c in configs for rule in items(c.get("rules"))]
        if UNKNOWN in algorithms or any(c.get("rules") is UNKNOWN for c in configs):
            continue
        if not any(a in ("aws:kms", "aws:kms:dsse", "AES256") for a in algorithms):
            yield (
                f"S3 bucket '{bucket.name}' has no default encryption: add "
                "aws.s3.BucketServerSideEncryptionConfiguration (SSE-KMS, or AES256 for ALB access logs, "
                "which support only SSE-S3).",
                bucket.urn,
            )


def _denies_insecure_transport(statement: Any) -> bool:
    if not isinstance(statement, dict) or statement.get("Effect") != "Deny":
        return False
    condition = statement.get("Condition")
    for operator in ("Bool", "BoolIfExists"):
        values = as_list(get(condition, operator, "aws:SecureTransport"))
        if any(str(v).lower() == "false" for v in values):
            return True
    return False


def check_bucket_tls_only(stack: Stack) -> Finding:
    for bucket in stack.of_type(*BUCKET_TYPES):
        policies = stack.dependents_of(bucket, BUCKET_POLICY)
        documents = [as_json(p.get("policy")) for p in policies]
        if UNKNOWN in documents or any(p.get("policy") is UNKNOWN for p in policies):
            continue
        statements = [s for d in documents if isinstance(d, dict) for s in as_list(d.get("Statement"))]
        if not any(_denies_insecure_transport(s) for s in statements):
            yield (
                f"S3 bucket '{bucket.name}' accepts plain-HTTP requests: add a bucket policy statement that Denies "
                "s3:* when aws:SecureTransport is false.",
                bucket.urn,
            )


# --- tags ----------------------------------------------------------------------------------------------


def _provider_default_tags(stack: Stack, r: Res) -> dict[str, Any]:
    if r.provider_type == AWS_PROVIDER:
        return default_tags(r.provider_props)
    return {}


def check_required_tags(stack: Stack) -> Finding:
    taggable = default_taggable_types()
    for r in stack.resources:
        if r.type in SELF_TAGGED_TYPES:
            tags = r.get("tags")
            if tags is UNKNOWN or any(t is UNKNOWN or get(t, "key") is UNKNOWN for t in items(tags)):
                continue
            keys = {get(t, "key"): get(t, "value") for t in items(tags)}
            missing = [k for k in REQUIRED_TAGS if blank(keys.get(k))]
            if missing:
                yield (
                    f"{r.label} is missing tags {', '.join(missing)} (provider default tags do not apply to it): "
                    "set tags=[{key, value, propagate_at_launch: True}] for each required tag.",
                    r.urn,
                )
        elif r.type in taggable:
            own = r.get("tags")
            if own is UNKNOWN:
                continue
            effective = {**_provider_default_tags(stack, r), **(own if isinstance(own, dict) else {})}
            missing = [k for k in REQUIRED_TAGS if blank(effective.get(k)) and effective.get(k) is not UNKNOWN]
            if missing:
                yield (
                    f"{r.label} is missing tags {', '.join(missing)}: set them in the aws provider's default_tags "
                    "(or the resource's tags).",
                    r.urn,
                )


# --- scaling, protection ---------------------------------------------------------------------------------


def check_scaling_policies_alarmed(stack: Stack) -> Finding:
    for policy in stack.of_type(SCALING_POLICY):
        kind = policy.get("policyType")
        if kind in ("TargetTrackingScaling", "PredictiveScaling", UNKNOWN):
            continue  # they create or need no alarm of ours
        alarms = [a for a in stack.dependents_of(policy, METRIC_ALARM) if not blank(a.get("alarmActions"))]
        if not alarms:
            yield (
                f"Scaling policy '{policy.name}' is the action of no CloudWatch alarm, so it never runs: create a "
                "MetricAlarm with alarm_actions=[<policy>.arn].",
                policy.urn,
            )


def _notifies_topic(actions: Any) -> bool:
    """An action list with an SNS topic ARN in it (or a value not known yet in a preview)."""
    if actions is UNKNOWN:
        return True
    return any(a is UNKNOWN or (isinstance(a, str) and ":sns:" in a) for a in as_list(actions))


def check_alarms_routed(stack: Stack) -> Finding:
    for alarm in stack.of_type(*ALARM_TYPES):
        problems = [
            f"its {what} actions name no SNS topic"
            for what, key in (("alarm", "alarmActions"), ("OK", "okActions"))
            if not _notifies_topic(alarm.get(key))
        ]
        if not stack.dependencies_of(alarm, SNS_TOPIC):
            problems.append("it uses no SNS topic of this stack")
        if problems:
            yield (
                f"Alarm '{alarm.name}' reaches nobody: {'; '.join(problems)}. Add the stack's alert topic ARN to "
                "alarm_actions and ok_actions (components.alerting).",
                alarm.urn,
            )


def log_buckets(stack: Stack) -> list[Res]:
    """Buckets an ALB (or an alb Ingress's ALB) writes its access logs to."""
    users = stack.of_type(*LB_TYPES) + [i for i in stack.of_type(*INGRESS_TYPES) if is_alb_ingress(i)]
    seen: dict[str, Res] = {}
    for user in users:
        for bucket in stack.dependencies_of(user, *BUCKET_TYPES):
            seen[bucket.urn] = bucket
    return list(seen.values())


def check_stateful_protected(stack: Stack) -> Finding:
    env = stack.environment
    if not is_prod(env):
        return
    stateful = stack.of_type(RDS_INSTANCE, RDS_CLUSTER, REPLICATION_GROUP, KMS_KEY) + log_buckets(stack)
    for r in stateful:
        if not r.protect:
            yield (
                f"{r.label} is stateful but not protected in {env_note(env)}: set "
                "pulumi.ResourceOptions(protect=True) so `pulumi destroy` or a replacement cannot delete it.",
                r.urn,
            )


# --- database connection budget ------------------------------------------------------------------------


# What marks the app as a database client: its pool size, or where it connects (a URL with a
# password in the seed; host and IAM user since the app logs in with IAM, docs/app-contract.md).
DB_CLIENT_MARKERS = ("DB_POOL_MAX", "DATABASE_URL", "DATABASE_HOST")


def _pool_from_text(text: str) -> int | None:
    match = _POOL_IN_TEXT.search(text)
    return int(match.group(1)) if match else None


def _asg_units(stack: Stack) -> list[tuple[str, int, int]] | Any:
    units = []
    for asg in stack.of_type(ASG):
        for lt in stack.dependencies_of(asg, LAUNCH_TEMPLATE):
            data = lt.get("userData")
            if data is UNKNOWN:
                return UNKNOWN
            if not isinstance(data, str) or data == REDACTED:
                continue
            text = decode_user_data(data)
            if not any(marker in text for marker in DB_CLIENT_MARKERS):
                continue  # not the app (e.g. a node group)
            size = asg.get("maxSize")
            if size is UNKNOWN:
                return UNKNOWN
            pool = _pool_from_text(text)
            units.append((f"ASG '{asg.name}'", pool or SEED_POOL_MAX, as_int(size) or 0))
    return units


def _targets(hpa: Res, workload: Res, stack: Stack) -> bool:
    if workload.urn in hpa.dependencies:
        return True
    ref = hpa.get("spec", "scaleTargetRef")
    kind = workload.type.rsplit(":", 1)[-1]
    return get(ref, "kind") == kind and get(ref, "name") == workload.get("metadata", "name") and namespace_of(hpa) == namespace_of(workload)


def _target_unknown(hpa: Res, workload: Res) -> bool:
    """Whether an HPA might scale `workload` but its target is not known yet."""
    ref = hpa.get("spec", "scaleTargetRef")
    return workload.urn not in hpa.dependencies and (
        ref is UNKNOWN
        or UNKNOWN in (get(ref, "kind"), get(ref, "name"), workload.get("metadata", "name"))
        or namespace_of(hpa) is UNKNOWN
        or namespace_of(workload) is UNKNOWN
    )


def hpas_of(stack: Stack, workload: Res) -> list[Res]:
    return [h for h in stack.of_type(*HPA_TYPES) if _targets(h, workload, stack)]


def _fixed_pod_count(w: Res) -> Any:
    """Most pods a workload without an HPA runs at once: spec.replicas (default 1) plus, for a
    Deployment's rolling update, maxSurge (default 25 %, rounded up; Kubernetes docs, "Deployments").
    Surge pods open their pools while the old pods still hold theirs."""
    replicas = w.get("spec", "replicas")
    if replicas is UNKNOWN:
        return UNKNOWN
    count = 1 if replicas is None else max(as_int(replicas) or 0, 0)
    if w.type != DEPLOYMENT or w.get("spec", "strategy", "type") == "Recreate":
        return count
    surge = w.get("spec", "strategy", "rollingUpdate", "maxSurge")
    if surge is UNKNOWN or w.get("spec", "strategy", "type") is UNKNOWN:
        return UNKNOWN
    surge = "25%" if surge is None else surge
    if isinstance(surge, str) and surge.strip().endswith("%"):
        percent = as_int(surge.strip()[:-1]) or 0
        return count + -(-count * percent // 100)
    return count + max(as_int(surge) or 0, 0)


def _workload_units(stack: Stack) -> list[tuple[str, int, int]] | Any:
    units = []
    for w in stack.of_type(*APP_WORKLOADS):
        pod = pod_spec(w)
        if pod is UNKNOWN:
            return UNKNOWN
        if get(pod, "containers") is UNKNOWN or UNKNOWN in items(get(pod, "containers")):
            return UNKNOWN
        pool_total, uses_db = 0, False
        for _, c in containers(pod, init=False):
            entries = get(c, "env")
            if entries is UNKNOWN or any(e is UNKNOWN or get(e, "name") is UNKNOWN for e in items(entries)):
                return UNKNOWN
            env = {get(e, "name"): e for e in items(entries) if isinstance(e, dict)}
            if not any(marker in env for marker in DB_CLIENT_MARKERS):
                continue
            uses_db = True
            value = get(env.get("DB_POOL_MAX"), "value")
            if value is UNKNOWN:
                return UNKNOWN
            pool_total += as_int(value) or SEED_POOL_MAX
        if not uses_db:
            continue
        if any(_target_unknown(h, w) for h in stack.of_type(*HPA_TYPES)):
            return UNKNOWN
        hpas = hpas_of(stack, w)
        if hpas:
            maxima = [h.get("spec", "maxReplicas") for h in hpas]
            if UNKNOWN in maxima:
                return UNKNOWN
            count = sum(as_int(m) or 0 for m in maxima)
        else:
            count = _fixed_pod_count(w)
            if count is UNKNOWN:
                return UNKNOWN
        units.append((w.label, pool_total, count))
    return units


def _max_connections(stack: Stack, db: Res) -> Any:
    groups = stack.dependencies_of(db, RDS_PARAMETER_GROUP)
    values = [_parameter(g, "max_connections") for g in groups]
    if UNKNOWN in values:
        return UNKNOWN
    numbers = [n for n in (as_int(v) for v in values) if n is not None]
    return min(numbers) if numbers else None


def check_connection_budget(stack: Stack) -> Finding:
    primaries = [
        db for db in stack.of_type(RDS_INSTANCE) if blank(db.get("replicateSourceDb")) and db.get("engine") in ("postgres", UNKNOWN)
    ]
    if not primaries:
        return
    asg_units, workload_units = _asg_units(stack), _workload_units(stack)
    if asg_units is UNKNOWN or workload_units is UNKNOWN:
        return
    units = asg_units + workload_units
    if not units:
        return
    demand = sum(pool * count for _, pool, count in units)
    breakdown = " + ".join(f"{label}: {count} x pool {pool}" for label, pool, count in units)
    for db in primaries:
        limit = _max_connections(stack, db)
        if limit is UNKNOWN:
            continue
        if limit is None:
            yield (
                f"RDS instance '{db.name}' has no explicit max_connections in a parameter group of this stack, so "
                f"the app's {demand} connections ({breakdown}) cannot be checked: set max_connections.",
                db.urn,
            )
            continue
        budget = limit - ADMIN_CONNECTION_HEADROOM
        if demand > budget:
            yield (
                f"RDS instance '{db.name}' can receive {demand} app connections ({breakdown}) but max_connections "
                f"{limit} leaves {budget} after {ADMIN_CONNECTION_HEADROOM} for administration: lower DB_POOL_MAX or "
                "the maximum instance/pod count, or raise max_connections.",
                db.urn,
            )


# --- Kubernetes ------------------------------------------------------------------------------------------


def check_workload_replicas(stack: Stack) -> Finding:
    env = stack.environment
    if not is_prod(env):
        return
    for w in stack.of_type(*APP_WORKLOADS):
        if hpas_of(stack, w):
            continue  # the HPA owns the replica count (kubernetes-hpa-min-replicas-prod)
        replicas = w.get("spec", "replicas")
        if replicas is UNKNOWN:
            continue
        count = 1 if replicas is None else as_int(replicas)
        if count is not None and count < 2:
            yield (
                f"{w.label} runs {count} replica(s) in {env_note(env)}: set spec.replicas to at least 2 "
                "(or scale it with an HPA whose minReplicas is at least 2).",
                w.urn,
            )


def check_hpa_min_replicas(stack: Stack) -> Finding:
    env = stack.environment
    if not is_prod(env):
        return
    for hpa in stack.of_type(*HPA_TYPES):
        value = hpa.get("spec", "minReplicas")
        if value is UNKNOWN:
            continue
        count = 1 if value is None else as_int(value)
        if count is not None and count < 2:
            yield f"{hpa.label} may scale down to {count} pod(s) in {env_note(env)}: set spec.minReplicas to at least 2.", hpa.urn


def selector_matches(selector: Any, labels: dict[str, Any]) -> bool:
    """Kubernetes label-selector semantics (policy/v1: an empty selector matches every pod)."""
    if selector is None:
        return False
    match_labels, expressions = get(selector, "matchLabels"), get(selector, "matchExpressions")
    if UNKNOWN in (selector, match_labels, expressions) or UNKNOWN in labels.values():
        return True
    if any(e is UNKNOWN or UNKNOWN in (get(e, "key"), get(e, "operator"), get(e, "values")) for e in items(expressions)):
        return True
    for key, value in (match_labels if isinstance(match_labels, dict) else {}).items():
        if value is UNKNOWN:
            continue
        if labels.get(key) != value:
            return False
    for expr in items(get(selector, "matchExpressions")):
        key, op, values = get(expr, "key"), get(expr, "operator"), items(get(expr, "values"))
        ok = {
            "In": labels.get(key) in values,
            "NotIn": labels.get(key) not in values,
            "Exists": key in labels,
            "DoesNotExist": key not in labels,
        }.get(op, False)
        if not ok:
            return False
    return True


def _same_namespace(a: Any, b: Any) -> bool:
    return a is UNKNOWN or b is UNKNOWN or a == b


def check_deployment_pdb(stack: Stack) -> Finding:
    pdbs = stack.of_type(PDB)
    for d in stack.of_type(DEPLOYMENT):
        labels = d.get("spec", "template", "metadata", "labels")
        if labels is UNKNOWN:
            continue
        labels = labels if isinstance(labels, dict) else {}
        if not any(_same_namespace(namespace_of(p), namespace_of(d)) and selector_matches(p.get("spec", "selector"), labels) for p in pdbs):
            yield (
                f"{d.label} has no PodDisruptionBudget: add one in its namespace whose selector matches its pod "
                "labels (e.g. minAvailable 2) so node drains keep it serving.",
                d.urn,
            )


def check_namespace_network_policy(stack: Stack) -> Finding:
    covered = {namespace_of(p) for p in stack.of_type(NETWORK_POLICY)}
    reported: set[Any] = set()
    for d in stack.of_type(DEPLOYMENT):
        ns = namespace_of(d)
        if ns is UNKNOWN or UNKNOWN in covered or ns in covered or ns in reported:
            continue
        reported.add(ns)
        yield (
            f"Namespace '{ns}' (of {d.label}) has no NetworkPolicy: add a default-deny policy with the allowed "
            "ingress (from the ALB) and egress (DNS, PostgreSQL, Redis, HTTPS).",
            d.urn,
        )


# --- WAF logging (FSBP WAF.11) ------------------------------------------------------------------------

# Seed-era nginx logged no credentials; WAF logs hold full request headers unless redacted.
REDACTED_HEADERS = ("authorization", "cookie")


def _redacted_headers(logging: Res) -> set[str] | Any:
    fields = logging.get("redactedFields")
    if has_unknown(fields):
        return UNKNOWN
    return {str(get(f, "singleHeader", "name")).lower() for f in items(fields) if get(f, "singleHeader", "name") is not None}


def check_waf_logging(stack: Stack) -> Finding:
    for acl in stack.of_type(WEB_ACL):
        configs = stack.dependents_of(acl, WEB_ACL_LOGGING)
        if not configs:
            yield (
                f"Web ACL '{acl.name}' does not log: add aws.wafv2.WebAclLoggingConfiguration to an aws-waf-logs-* "
                "log group (encrypted, retained), redacting the authorization and cookie headers.",
                acl.urn,
            )
            continue
        for config in configs:
            redacted = _redacted_headers(config)
            missing = [] if redacted is UNKNOWN else [h for h in REDACTED_HEADERS if h not in redacted]
            if missing:
                yield (
                    f"Web ACL '{acl.name}' logging '{config.name}' writes the {' and '.join(missing)} header(s) in clear: "
                    "add them to redacted_fields (single_header).",
                    acl.urn,
                )


# --- reachability: the app and the data tier take traffic from security groups only --------------------


def guarded_groups(stack: Stack) -> dict[str, str]:
    """URN -> role of the security groups of the data tier and the app instances."""
    roles = {RDS_INSTANCE: "PostgreSQL", REPLICATION_GROUP: "Redis", LAUNCH_TEMPLATE: "app"}
    found: dict[str, str] = {}
    for type_, role in roles.items():
        for r in stack.of_type(type_):
            for sg in stack.dependencies_of(r, *SG_TYPES):
                found.setdefault(sg.urn, role)
    return found


def _rule_targets(stack: Stack, r: Res) -> list[str]:
    """Security groups a rule with a CIDR source applies to (its only group dependencies); a rule on
    no group of ours but on an EKS cluster applies to the cluster's security group (the pods' on eks)."""
    if r.type in SG_TYPES:
        return [r.urn]
    groups = [sg.urn for sg in stack.dependencies_of(r, *SG_TYPES)]
    if not groups and stack.dependencies_of(r, EKS_CLUSTER):
        return [f"eks:{c.urn}" for c in stack.dependencies_of(r, EKS_CLUSTER)]
    return groups


def check_guarded_ingress(stack: Stack) -> Finding:
    guarded = guarded_groups(stack)
    guarded.update({f"eks:{c.urn}": "app (EKS cluster)" for c in stack.of_type(EKS_CLUSTER)})
    for r in stack.of_type(*SG_RULE_TYPES):
        for rule in rules_of(r):
            if rule.unknown or not rule.cidrs:
                continue
            roles = sorted({guarded[t] for t in _rule_targets(stack, r) if t in guarded})
            if not roles:
                continue
            if rule.direction == "ingress":
                yield (
                    f"{rule.describe()} admits a CIDR to the {', '.join(roles)} security group: admit only the callers' "
                    "security groups (referenced_security_group_id), never a network such as the VPC CIDR.",
                    r.urn,
                )
            elif {"PostgreSQL", "Redis"} & set(roles):
                yield (
                    f"{rule.describe()} lets the {', '.join(roles)} security group call out: the data tier initiates no "
                    "connections, so its groups have no egress rules.",
                    r.urn,
                )


# --- VPC: flow logs (FSBP EC2.6), default security group adopted (EC2.2) ---------------------------------


def check_vpc_flow_logs_and_default_sg(stack: Stack) -> Finding:
    for vpc in stack.of_type(VPC):
        logs = stack.dependents_of(vpc, FLOW_LOG)
        kinds = [f.get("trafficType") for f in logs]
        if UNKNOWN not in kinds and not any(k in ("ALL", "REJECT") for k in kinds):
            yield (
                f"VPC '{vpc.name}' has no flow log of rejected (or all) traffic: add aws.ec2.FlowLog(vpc_id=..., "
                "traffic_type='ALL') to an encrypted log group.",
                vpc.urn,
            )
        if not stack.dependents_of(vpc, DEFAULT_SG):
            yield (
                f"VPC '{vpc.name}' leaves its default security group as AWS creates it (all traffic within the group, all "
                "egress): adopt it with aws.ec2.DefaultSecurityGroup(vpc_id=...) and no rules.",
                vpc.urn,
            )


# --- backups and secrets ----------------------------------------------------------------------------------


def check_backup_plan(stack: Stack) -> Finding:
    env = stack.environment
    if not is_prod(env):
        return
    for db in stack.of_type(RDS_INSTANCE):
        if not blank(db.get("replicateSourceDb")):
            continue
        plans = [p for s in stack.dependents_of(db, BACKUP_SELECTION) for p in stack.dependencies_of(s, BACKUP_PLAN)]
        if not any(p.get("rules") is UNKNOWN or items(p.get("rules")) for p in plans):
            yield (
                f"RDS instance '{db.name}' is in no AWS Backup plan in {env_note(env)}: add aws.backup.Selection of it in a "
                "plan with a daily rule (backups outside the instance's own retention, in a vault).",
                db.urn,
            )


def _rotates(rotation: Res) -> Any:
    days, schedule = rotation.get("rotationRules", "automaticallyAfterDays"), rotation.get("rotationRules", "scheduleExpression")
    if UNKNOWN in (days, schedule):
        return UNKNOWN
    return not blank(schedule) or 0 < (as_int(days) or 0) <= SECRET_MAX_ROTATION_DAYS


def check_secret_rotation(stack: Stack) -> Finding:
    for secret in stack.of_type(SECRET):
        rotations = stack.dependents_of(secret, SECRET_ROTATION)
        verdicts = [_rotates(r) for r in rotations]
        if UNKNOWN in verdicts or any(verdicts):
            continue
        yield (
            f"Secrets Manager secret '{secret.name}' is never rotated (or less often than every {SECRET_MAX_ROTATION_DAYS} days): "
            "add aws.secretsmanager.SecretRotation with rotation_rules.automatically_after_days <= "
            f"{SECRET_MAX_ROTATION_DAYS}, or let the owning service manage it (RDS manage_master_user_password).",
            secret.urn,
        )


POLICIES = [
    stack_policy(
        "aws-alb-deletion-protection-prod",
        "ALBs (and the ALBs of alb Ingresses) have deletion protection in prod.",
        check_alb_deletion_protection,
    ),
    stack_policy(
        "aws-alb-waf-rate-limited",
        "Every internet-facing ALB and every alb Ingress is protected by a WAF web ACL with a rate-based rule.",
        check_waf,
    ),
    stack_policy(
        "aws-security-group-disallow-public-ingress",
        "No ingress from 0.0.0.0/0 or ::/0, except 80 and 443 on a load balancer's security group.",
        check_public_ingress,
    ),
    stack_policy("aws-rds-instance-force-ssl", "PostgreSQL instances use a parameter group with rds.force_ssl=1.", check_rds_force_ssl),
    stack_policy(
        "aws-s3-bucket-public-access-blocked",
        "S3 buckets have a public access block with all four settings on.",
        check_bucket_public_access,
    ),
    stack_policy("aws-s3-bucket-encrypted", "S3 buckets have default server-side encryption.", check_bucket_encrypted),
    stack_policy("aws-s3-bucket-tls-only", "S3 bucket policies deny requests that do not use TLS.", check_bucket_tls_only),
    stack_policy(
        "aws-resource-required-tags",
        "Taggable AWS resources carry Project, Environment, ManagedBy, Owner and CostCenter (own or provider default tags).",
        check_required_tags,
    ),
    stack_policy(
        "aws-autoscaling-policy-alarm-triggered",
        "Every step/simple scaling policy is the action of a CloudWatch alarm.",
        check_scaling_policies_alarmed,
    ),
    stack_policy(
        "aws-cloudwatch-alarm-routed-to-topic",
        "Every CloudWatch alarm has alarm and OK actions to an SNS topic of the stack.",
        check_alarms_routed,
    ),
    stack_policy(
        "stack-stateful-resources-protected-prod",
        "Stateful resources (RDS, ElastiCache, KMS keys, the ALB log bucket) are protected in prod.",
        check_stateful_protected,
    ),
    stack_policy(
        "stack-database-connection-budget",
        "App instances x DB_POOL_MAX fit in the database's max_connections with headroom.",
        check_connection_budget,
    ),
    stack_policy(
        "kubernetes-workload-replicas-prod", "Deployments and StatefulSets run at least 2 replicas in prod.", check_workload_replicas
    ),
    stack_policy("kubernetes-hpa-min-replicas-prod", "HorizontalPodAutoscalers keep at least 2 pods in prod.", check_hpa_min_replicas),
    stack_policy(
        "kubernetes-deployment-has-pod-disruption-budget",
        "Every Deployment has a PodDisruptionBudget selecting its pods.",
        check_deployment_pdb,
    ),
    stack_policy(
        "kubernetes-namespace-has-network-policy",
        "Every namespace running a Deployment has a NetworkPolicy.",
        check_namespace_network_policy,
    ),
    stack_policy(
        "aws-wafv2-web-acl-logging",
        "FSBP WAF.11: every web ACL logs, with the authorization and cookie headers redacted.",
        check_waf_logging,
    ),
    stack_policy(
        "aws-security-group-guarded-ingress",
        "The app's, PostgreSQL's and Redis's security groups admit security groups only (no CIDR); the data tier's have no CIDR egress.",
        check_guarded_ingress,
    ),
    stack_policy(
        "aws-vpc-flow-logs-and-default-sg",
        "FSBP EC2.6 and EC2.2: every VPC has a flow log and its default security group adopted with no rules.",
        check_vpc_flow_logs_and_default_sg,
    ),
    stack_policy(
        "aws-backup-plan-covers-database-prod",
        "Every RDS primary is in an AWS Backup plan in prod.",
        check_backup_plan,
    ),
    stack_policy(
        "aws-secretsmanager-secret-rotation",
        "FSBP SecretsManager.1/.4: Secrets Manager secrets rotate at least every 90 days.",
        check_secret_rotation,
    ),
]
