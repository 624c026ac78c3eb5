"""Whole-stack policies on small synthetic graphs: a compliant graph, then one change per case."""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
from policy_harness import DELETE, UNKNOWN, leaf_paths, messages, mutate, plan, policy, record, run, run_all, urn
from test_policies_k8s import DEPLOYMENT, LABELS

from offline.policycheck import evaluate
from policies.nox_policies import stack
from policies.nox_policies.taggable import SELF_TAGGED_TYPES, default_taggable_types, introspect

Graph = list[dict[str, Any]]
ANN = "alb.ingress.kubernetes.io/"
RATE_RULE = {
    "name": "api-rate",
    "priority": 1.0,
    "action": {"block": {}},
    "statement": {"rateBasedStatement": {"limit": 600.0, "aggregateKeyType": "IP"}},
    "visibilityConfig": {"metricName": "api-rate", "sampledRequestsEnabled": True, "cloudwatchMetricsEnabled": True},
}
MANAGED_RULE = {
    "name": "common",
    "priority": 2.0,
    "overrideAction": {"none": {}},
    "statement": {"managedRuleGroupStatement": {"vendorName": "AWS", "name": "AWSManagedRulesCommonRuleSet"}},
}


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def find(graph: Graph, name: str) -> dict[str, Any]:
    return next(r for r in graph if r["name"] == name)


def change(graph: Graph, name: str, path: tuple[str | int, ...], value: Any) -> Graph:
    out = copy.deepcopy(graph)
    r = find(out, name)
    r["inputs"] = mutate(r["inputs"], path, value)
    return out


def drop(graph: Graph, *names: str) -> Graph:
    return [r for r in copy.deepcopy(graph) if r["name"] not in names]


# --- graphs ----------------------------------------------------------------------------------------------


def bucket_graph() -> Graph:
    """The ALB log bucket: public access blocked, SSE-S3 (what ALB log delivery supports), TLS-only policy."""
    bucket = record("aws:s3/bucket:Bucket", "logs", {"bucket": "nox-prod-alb-logs"}, protect=True)
    pab = record(
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        "logs-pab",
        {
            "bucket": "nox-prod-alb-logs",
            "blockPublicAcls": True,
            "blockPublicPolicy": True,
            "ignorePublicAcls": True,
            "restrictPublicBuckets": True,
        },
        deps=[bucket],
    )
    sse = record(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "logs-sse",
        {"bucket": "nox-prod-alb-logs", "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]},
        deps=[bucket],
    )
    tls = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "TlsOnly",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                },
                {
                    "Sid": "ElbLogDelivery",
                    "Effect": "Allow",
                    "Principal": {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"},
                    "Action": "s3:PutObject",
                    "Resource": "arn:aws:s3:::b/*",
                },
            ],
        }
    )
    bucket_policy = record("aws:s3/bucketPolicy:BucketPolicy", "logs-policy", {"bucket": "nox-prod-alb-logs", "policy": tls}, deps=[bucket])
    return [bucket, pab, sse, bucket_policy]


def edge_graph() -> Graph:
    """ALB with its security group (80/443 from the internet), log bucket, WAF ACL and association."""
    sg = record("aws:ec2/securityGroup:SecurityGroup", "alb-sg", {"description": "alb", "vpcId": "vpc-1"})
    rules = [
        record(
            "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
            f"alb-in-{port}",
            {
                "ipProtocol": "tcp",
                "fromPort": float(port),
                "toPort": float(port),
                "cidrIpv4": "0.0.0.0/0",
                "securityGroupId": "sg-alb",
                "description": f"{port} from the internet",
            },
            deps=[sg],
        )
        for port in (80, 443)
    ]
    bucket, pab, sse, bucket_policy = bucket_graph()
    lb = record(
        "aws:lb/loadBalancer:LoadBalancer",
        "alb",
        {
            "loadBalancerType": "application",
            "internal": False,
            "enableDeletionProtection": True,
            "securityGroups": ["sg-alb"],
            "accessLogs": {"bucket": "nox-prod-alb-logs", "enabled": True},
        },
        deps=[sg, bucket, bucket_policy],
    )
    acl = record("aws:wafv2/webAcl:WebAcl", "waf", {"scope": "REGIONAL", "rules": [RATE_RULE, MANAGED_RULE]})
    assoc = record(
        "aws:wafv2/webAclAssociation:WebAclAssociation", "waf-assoc", {"resourceArn": "arn:lb", "webAclArn": "arn:acl"}, deps=[lb, acl]
    )
    return [sg, *rules, bucket, pab, sse, bucket_policy, lb, acl, assoc, waf_logging(acl)]


def waf_logging(acl: dict[str, Any]) -> dict[str, Any]:
    """The prod plan's logging configuration: to an aws-waf-logs-* group, credentials redacted."""
    return record(
        "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration",
        "waf-logging",
        {
            "resourceArn": "arn:acl",
            "logDestinationConfigs": ["arn:aws:logs:us-west-2:123456789012:log-group:aws-waf-logs-nox-prod"],
            "redactedFields": [{"singleHeader": {"name": "authorization"}}, {"singleHeader": {"name": "cookie"}}],
        },
        deps=[acl],
    )


ATTRS = "access_logs.s3.enabled=true,access_logs.s3.bucket=nox-prod-alb-logs,deletion_protection.enabled=true"


def ingress_graph() -> Graph:
    acl = record("aws:wafv2/webAcl:WebAcl", "waf", {"scope": "REGIONAL", "rules": [RATE_RULE]})
    bucket, *bucket_config = bucket_graph()
    ingress = record(
        "kubernetes:networking.k8s.io/v1:Ingress",
        "ingress",
        {
            "metadata": {
                "name": "nox-api",
                "namespace": "nox",
                "annotations": {
                    f"{ANN}wafv2-acl-arn": "arn:aws:wafv2:us-west-2:123456789012:regional/webacl/nox/1",
                    f"{ANN}load-balancer-attributes": ATTRS,
                },
            },
            "spec": {"ingressClassName": "alb"},
        },
        deps=[acl, bucket],
    )
    return [acl, waf_logging(acl), bucket, *bucket_config, ingress]


def database_graph(max_connections: str = "200") -> Graph:
    group = record(
        "aws:rds/parameterGroup:ParameterGroup",
        "pg",
        {
            "family": "postgres17",
            "parameters": [
                {"name": "max_connections", "value": max_connections, "applyMethod": "pending-reboot"},
                {"name": "rds.force_ssl", "value": "1", "applyMethod": "immediate"},
            ],
        },
    )
    key = record("aws:kms/key:Key", "db-key", {"enableKeyRotation": True}, protect=True)
    primary = record(
        "aws:rds/instance:Instance",
        "db",
        {"engine": "postgres", "parameterGroupName": "nox-prod-pg17", "kmsKeyId": "arn:key"},
        deps=[group, key],
        protect=True,
    )
    replica = record(
        "aws:rds/instance:Instance",
        "db-replica",
        {"replicateSourceDb": "nox-prod-db", "parameterGroupName": "nox-prod-pg17"},
        deps=[group, primary],
        protect=True,
    )
    vault = record("aws:backup/vault:Vault", "vault", {"name": "nox-prod-db", "kmsKeyArn": "arn:key"}, deps=[key])
    backup_plan = record(
        "aws:backup/plan:Plan",
        "backup-plan",
        {"name": "nox-prod-db-daily", "rules": [{"ruleName": "daily", "targetVaultName": "nox-prod-db", "schedule": "cron(0 5 * * ? *)"}]},
        deps=[vault],
    )
    selection = record(
        "aws:backup/selection:Selection",
        "backup-selection",
        {"name": "nox-prod-db-primary", "planId": "arn:plan", "resources": ["arn:aws:rds:us-west-2:123456789012:db:nox-prod-db"]},
        deps=[backup_plan, primary],
    )
    return [group, key, primary, replica, vault, backup_plan, selection]


BOOT = "#!/bin/bash\nexport DATABASE_URL=$(aws secretsmanager get-secret-value --secret-id x)\nexport DB_POOL_MAX={pool}\n"


def fleet_graph(pool: int = 4, colours: tuple[str, ...] = ("blue",), max_size: float = 20.0) -> Graph:
    graph: Graph = []
    for colour in colours:
        lt = record("aws:ec2/launchTemplate:LaunchTemplate", f"lt-{colour}", {"userData": b64(BOOT.format(pool=pool))})
        asg = record(
            "aws:autoscaling/group:Group",
            f"asg-{colour}",
            {
                "maxSize": max_size,
                "minSize": 2.0,
                "tags": [
                    {"key": k, "value": v, "propagateAtLaunch": True}
                    for k, v in {
                        "Project": "nox-infra",
                        "Environment": "prod",
                        "ManagedBy": "pulumi",
                        "Owner": "o",
                        "CostCenter": "c",
                    }.items()
                ],
            },
            deps=[lt],
        )
        up = record(
            "aws:autoscaling/policy:Policy", f"up-{colour}", {"adjustmentType": "ChangeInCapacity", "scalingAdjustment": 2.0}, deps=[asg]
        )
        alarm = record(
            "aws:cloudwatch/metricAlarm:MetricAlarm",
            f"high-{colour}",
            {"alarmActions": ["arn:policy", TOPIC_ARN], "okActions": [TOPIC_ARN]},
            deps=[up, TOPIC_URN],
        )
        graph += [lt, asg, up, alarm]
    return graph


TOPIC_ARN = "arn:aws:sns:us-west-2:123456789012:nox-prod-alerts"
TOPIC_URN = "urn:pulumi:test::nox-infra::aws:sns/topic:Topic::alerts"


def alerting_graph() -> Graph:
    """The alert topic and an alarm routed to it (alarm and OK actions)."""
    topic = record(
        "aws:sns/topic:Topic", "alerts", {"name": "nox-prod-alerts", "kmsMasterKeyId": "arn:aws:kms:us-west-2:123456789012:key/k"}
    )
    alarm = record(
        "aws:cloudwatch/metricAlarm:MetricAlarm",
        "db-cpu",
        {"alarmActions": [TOPIC_ARN], "okActions": [TOPIC_ARN], "metricName": "CPUUtilization"},
        deps=[topic],
    )
    return [topic, alarm]


def workload_graph(pool: str = "4", hpa_max: float = 20.0, hpa_min: float = 3.0) -> Graph:
    deployment = record(
        "kubernetes:apps/v1:Deployment",
        "deploy",
        mutate(DEPLOYMENT, ("spec", "template", "spec", "containers", 0, "env", 2), {"name": "DB_POOL_MAX", "value": pool}),
    )
    hpa = record(
        "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
        "hpa",
        {
            "metadata": {"name": "nox-api", "namespace": "nox"},
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "nox-api"},
                "minReplicas": hpa_min,
                "maxReplicas": hpa_max,
            },
        },
    )
    pdb = record(
        "kubernetes:policy/v1:PodDisruptionBudget",
        "pdb",
        {
            "metadata": {"name": "nox-api", "namespace": "nox"},
            "spec": {"minAvailable": 2.0, "selector": {"matchLabels": {"app": "nox-api"}}},
        },
    )
    netpol = record(
        "kubernetes:networking.k8s.io/v1:NetworkPolicy",
        "netpol",
        {"metadata": {"name": "default-deny", "namespace": "nox"}, "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}},
    )
    return [deployment, hpa, pdb, netpol]


SGI, SGE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"


def sg_rule(type_: str, name: str, port: int, deps: list[Any], **peer: str) -> dict[str, Any]:
    inputs = {"ipProtocol": "tcp", "fromPort": float(port), "toPort": float(port), "securityGroupId": "sg-x", "description": name, **peer}
    return record(type_, name, inputs, deps=deps)


def network_graph() -> Graph:
    """The prod plan's VPC (flow log, adopted default group) and the app/data security groups: each
    data port admits the app's group only; the app calls out to 443 and the VPC's data ports."""
    vpc = record("aws:ec2/vpc:Vpc", "vpc", {"cidrBlock": "10.0.0.0/16"})
    flow = record(
        "aws:ec2/flowLog:FlowLog",
        "flow-logs",
        {"vpcId": "vpc-1", "trafficType": "ALL", "logDestinationType": "cloud-watch-logs", "logDestination": "arn:logs"},
        deps=[vpc],
    )
    default_sg = record("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", "default-sg", {"vpcId": "vpc-1"}, deps=[vpc])
    groups = {
        n: record("aws:ec2/securityGroup:SecurityGroup", n, {"vpcId": "vpc-1", "description": n}, deps=[vpc])
        for n in ("app-sg", "db-sg", "cache-sg")
    }
    app, db, cache = groups["app-sg"], groups["db-sg"], groups["cache-sg"]
    rules = [
        sg_rule(SGI, "db-from-app", 5432, [db, app], referencedSecurityGroupId="sg-app"),
        sg_rule(SGI, "cache-from-app", 6379, [cache, app], referencedSecurityGroupId="sg-app"),
        sg_rule(SGE, "app-out-443", 443, [app], cidrIpv4="0.0.0.0/0"),
        sg_rule(SGE, "app-out-5432", 5432, [app], cidrIpv4="10.0.0.0/16"),
    ]
    params = record(
        "aws:rds/parameterGroup:ParameterGroup",
        "pg-params",
        {"family": "postgres17", "parameters": [{"name": "rds.force_ssl", "value": "1"}]},
    )
    pg = record("aws:rds/instance:Instance", "pg", {"replicateSourceDb": "x", "parameterGroupName": "p"}, deps=[db, params], protect=True)
    redis = record("aws:elasticache/replicationGroup:ReplicationGroup", "redis", {"engine": "redis"}, deps=[cache], protect=True)
    lt = record("aws:ec2/launchTemplate:LaunchTemplate", "app-lt", {"userData": b64("#!/bin/bash\n")}, deps=[app])
    eks = record("aws:eks/cluster:Cluster", "eks", {"name": "nox-prod"}, protect=True)
    deployer = sg_rule(SGI, "eks-from-deployer", 443, [eks], referencedSecurityGroupId="sg-deployer")
    return [vpc, flow, default_sg, *groups.values(), *rules, params, pg, redis, lt, eks, deployer]


def secrets_graph() -> Graph:
    secret = record("aws:secretsmanager/secret:Secret", "grafana", {"name": "nox-prod/grafana", "kmsKeyId": "arn:key"})
    rotation = record(
        "aws:secretsmanager/secretRotation:SecretRotation",
        "grafana-rotation",
        {"secretId": "arn:secret", "rotationLambdaArn": "arn:fn", "rotationRules": {"automaticallyAfterDays": 30.0}},
        deps=[secret],
    )
    return [secret, rotation]


def full_graph() -> Graph:
    return edge_graph() + database_graph() + alerting_graph() + fleet_graph() + workload_graph() + network_graph() + secrets_graph()


# --- every stack policy is clean on the compliant graphs -----------------------------------------------------


@pytest.mark.parametrize("name", [p.name for p in stack.POLICIES])
@pytest.mark.parametrize("graph", [full_graph, ingress_graph], ids=["full", "ingress"])
def test_compliant_graphs_are_clean(name: str, graph: Callable[[], Graph]) -> None:
    assert run(name, *graph()) == []


# (policy, graph, change, expected part of the one message)
CASES: list[tuple[str, Callable[[], Graph], Callable[[Graph], Graph], str]] = [
    (
        "aws-alb-deletion-protection-prod",
        edge_graph,
        lambda g: change(g, "alb", ("enableDeletionProtection",), False),
        "LoadBalancer 'alb' can be deleted in prod",
    ),
    (
        "aws-alb-deletion-protection-prod",
        ingress_graph,
        lambda g: change(g, "ingress", ("metadata", "annotations", f"{ANN}load-balancer-attributes"), "access_logs.s3.enabled=true"),
        "add deletion_protection.enabled=true",
    ),
    ("aws-alb-waf-rate-limited", edge_graph, lambda g: drop(g, "waf-assoc"), "Internet-facing LoadBalancer 'alb' has no WAF web ACL"),
    (
        "aws-alb-waf-rate-limited",
        edge_graph,
        lambda g: change(g, "waf", ("rules",), [MANAGED_RULE]),
        "web ACL 'waf', which has no rate-based rule",
    ),
    (
        "aws-alb-waf-rate-limited",
        ingress_graph,
        lambda g: change(g, "ingress", ("metadata", "annotations", f"{ANN}wafv2-acl-arn"), ""),
        "gives its ALB no WAF",
    ),
    ("aws-alb-waf-rate-limited", ingress_graph, lambda g: change(g, "waf", ("rules",), []), "has no rate-based rule"),
    ("aws-alb-waf-rate-limited", ingress_graph, lambda g: drop(g, "waf"), "not managed in this stack"),
    (
        "aws-security-group-disallow-public-ingress",
        edge_graph,
        lambda g: change(change(g, "alb-in-443", ("fromPort",), 8443.0), "alb-in-443", ("toPort",), 8443.0),
        "tcp 8443-8443 from 0.0.0.0/0) admits the whole internet",
    ),
    (
        "aws-security-group-disallow-public-ingress",
        edge_graph,
        lambda g: [
            *g,
            record(
                "aws:ec2/securityGroup:SecurityGroup",
                "app-sg",
                {
                    "description": "app",
                    "ingress": [
                        {"protocol": "tcp", "fromPort": 443.0, "toPort": 443.0, "cidrBlocks": ["0.0.0.0/0"], "description": "https"}
                    ],
                },
            ),
        ],
        "ingress[0] (tcp 443-443 from 0.0.0.0/0) admits the whole internet to a group no load balancer uses",
    ),
    (
        "aws-security-group-disallow-public-ingress",
        edge_graph,
        lambda g: change(
            g,
            "alb-sg",
            ("ingress",),
            [{"protocol": "tcp", "fromPort": 5432.0, "toPort": 5432.0, "ipv6CidrBlocks": ["::/0"], "description": "oops"}],
        ),
        "ingress[0] (tcp 5432-5432 from ::/0) admits the whole internet",
    ),
    (
        "aws-rds-instance-force-ssl",
        database_graph,
        lambda g: drop(change(g, "pg", ("parameters", 1, "value"), "0"), "db-replica"),
        "parameter group 'pg' does not force TLS",
    ),
    (
        "aws-rds-instance-force-ssl",
        database_graph,
        lambda g: change(g, "db", ("parameterGroupName",), ""),
        "'db' uses the default parameter group",
    ),
    (
        "aws-rds-instance-force-ssl",
        database_graph,
        lambda g: [
            dict(r, dependencies=[d for d in r["dependencies"] if "parameterGroup" not in d]) if r["name"] == "db" else r for r in g
        ],
        "not managed in this stack",
    ),
    ("aws-s3-bucket-public-access-blocked", edge_graph, lambda g: drop(g, "logs-pab"), "'logs' has no public access block"),
    (
        "aws-s3-bucket-public-access-blocked",
        edge_graph,
        lambda g: change(g, "logs-pab", ("restrictPublicBuckets",), False),
        "leaves restrictPublicBuckets off",
    ),
    ("aws-s3-bucket-encrypted", edge_graph, lambda g: drop(g, "logs-sse"), "'logs' has no default encryption"),
    ("aws-s3-bucket-tls-only", edge_graph, lambda g: drop(g, "logs-policy"), "'logs' accepts plain-HTTP requests"),
    (
        "aws-s3-bucket-tls-only",
        edge_graph,
        lambda g: change(g, "logs-policy", ("policy",), json.dumps({"Statement": [{"Effect": "Allow", "Action": "s3:PutObject"}]})),
        "accepts plain-HTTP requests",
    ),
    (
        "aws-resource-required-tags",
        fleet_graph,
        lambda g: change(g, "asg-blue", ("tags",), []),
        "'asg-blue' is missing tags Project, Environment, ManagedBy, Owner, CostCenter (provider default tags do not apply",
    ),
    ("aws-resource-required-tags", edge_graph, lambda g: change(g, "alb", ("tags",), {"Owner": ""}), "'alb' is missing tags Owner"),
    (
        "aws-autoscaling-policy-alarm-triggered",
        fleet_graph,
        lambda g: drop(g, "high-blue"),
        "Scaling policy 'up-blue' is the action of no CloudWatch alarm",
    ),
    (
        "aws-autoscaling-policy-alarm-triggered",
        fleet_graph,
        lambda g: change(g, "high-blue", ("alarmActions",), []),
        "is the action of no CloudWatch alarm",
    ),
    (
        "stack-stateful-resources-protected-prod",
        database_graph,
        lambda g: [dict(r, protect=False) if r["name"] == "db" else r for r in g],
        "Instance 'db' is stateful but not protected",
    ),
    (
        "stack-stateful-resources-protected-prod",
        database_graph,
        lambda g: [dict(r, protect=False) if r["name"] == "db-key" else r for r in g],
        "Key 'db-key' is stateful",
    ),
    (
        "stack-stateful-resources-protected-prod",
        edge_graph,
        lambda g: [dict(r, protect=False) if r["name"] == "logs" else r for r in g],
        "Bucket 'logs' is stateful but not protected in prod",
    ),
    (
        "stack-stateful-resources-protected-prod",
        ingress_graph,
        lambda g: [dict(r, protect=False) if r["name"] == "logs" else r for r in g],
        "Bucket 'logs' is stateful",
    ),
    (
        "stack-database-connection-budget",
        lambda: database_graph() + fleet_graph(pool=10),
        lambda g: g,
        "can receive 200 app connections (ASG 'asg-blue': 20 x pool 10) but max_connections 200 leaves 180",
    ),
    (
        "stack-database-connection-budget",
        lambda: database_graph() + fleet_graph(pool=4, colours=("blue", "green")),
        lambda g: change(g, "lt-green", ("userData",), b64(BOOT.format(pool=6))),
        "can receive 200 app connections (ASG 'asg-blue': 20 x pool 4 + ASG 'asg-green': 20 x pool 6)",
    ),
    (
        "stack-database-connection-budget",
        lambda: database_graph() + workload_graph(),
        lambda g: change(g, "hpa", ("spec", "maxReplicas"), 50.0),
        "can receive 200 app connections (Deployment 'deploy': 50 x pool 4)",
    ),
    (
        "stack-database-connection-budget",
        lambda: database_graph() + workload_graph(),
        lambda g: change(g, "deploy", ("spec", "template", "spec", "containers", 0, "env", 2), {"name": "NODE_ENV", "value": "x"}),
        "400 app connections (Deployment 'deploy': 20 x pool 20)",
    ),
    (
        "stack-database-connection-budget",
        lambda: database_graph() + fleet_graph(),
        lambda g: change(g, "pg", ("parameters",), [{"name": "rds.force_ssl", "value": "1"}]),
        "has no explicit max_connections",
    ),
    (
        "kubernetes-workload-replicas-prod",
        workload_graph,
        lambda g: drop(change(g, "deploy", ("spec", "replicas"), 1.0), "hpa"),
        "Deployment 'deploy' runs 1 replica(s) in prod",
    ),
    (
        "kubernetes-hpa-min-replicas-prod",
        workload_graph,
        lambda g: change(g, "hpa", ("spec", "minReplicas"), 1.0),
        "may scale down to 1 pod(s) in prod",
    ),
    (
        "kubernetes-deployment-has-pod-disruption-budget",
        workload_graph,
        lambda g: drop(g, "pdb"),
        "Deployment 'deploy' has no PodDisruptionBudget",
    ),
    (
        "kubernetes-deployment-has-pod-disruption-budget",
        workload_graph,
        lambda g: change(g, "pdb", ("spec", "selector", "matchLabels"), {"app": "other"}),
        "has no PodDisruptionBudget",
    ),
    (
        "kubernetes-deployment-has-pod-disruption-budget",
        workload_graph,
        lambda g: change(g, "pdb", ("metadata", "namespace"), "x"),
        "has no PodDisruptionBudget",
    ),
    ("kubernetes-namespace-has-network-policy", workload_graph, lambda g: drop(g, "netpol"), "Namespace 'nox'"),
    (
        "kubernetes-namespace-has-network-policy",
        workload_graph,
        lambda g: change(g, "netpol", ("metadata", "namespace"), "other"),
        "Namespace 'nox' (of Deployment 'deploy') has no NetworkPolicy",
    ),
    (
        "aws-cloudwatch-alarm-routed-to-topic",
        alerting_graph,
        lambda g: change(g, "db-cpu", ("okActions",), []),
        "Alarm 'db-cpu' reaches nobody: its OK actions name no SNS topic",
    ),
    (
        "aws-cloudwatch-alarm-routed-to-topic",
        alerting_graph,
        lambda g: change(g, "db-cpu", ("alarmActions",), ["arn:aws:autoscaling:us-west-2:123456789012:scalingPolicy:p"]),
        "its alarm actions name no SNS topic",
    ),
    (
        "aws-cloudwatch-alarm-routed-to-topic",
        alerting_graph,
        lambda g: [r | {"dependencies": []} if r["name"] == "db-cpu" else r for r in g],
        "it uses no SNS topic of this stack",
    ),
    (
        "aws-cloudwatch-alarm-routed-to-topic",
        lambda: alerting_graph() + fleet_graph(),
        lambda g: change(g, "high-blue", ("alarmActions",), ["arn:policy"]),
        "Alarm 'high-blue' reaches nobody: its alarm actions name no SNS topic",
    ),
    # --- issue 19 ---
    ("aws-wafv2-web-acl-logging", edge_graph, lambda g: drop(g, "waf-logging"), "Web ACL 'waf' does not log"),
    (
        "aws-wafv2-web-acl-logging",
        ingress_graph,
        lambda g: change(g, "waf-logging", ("redactedFields",), [{"singleHeader": {"name": "authorization"}}]),
        "writes the cookie header(s) in clear",
    ),
    (
        "aws-wafv2-web-acl-logging",
        edge_graph,
        lambda g: change(g, "waf-logging", ("redactedFields",), DELETE),
        "writes the authorization and cookie header(s) in clear",
    ),
    (
        "aws-security-group-guarded-ingress",
        network_graph,
        lambda g: [
            *g,
            sg_rule(SGI, "db-from-vpc", 5432, [find(g, "db-sg")], cidrIpv4="10.0.0.0/16"),
        ],
        "'db-from-vpc' (tcp 5432-5432 from 10.0.0.0/16) admits a CIDR to the PostgreSQL security group",
    ),
    (
        "aws-security-group-guarded-ingress",
        network_graph,
        lambda g: [*g, sg_rule(SGI, "app-from-8", 3000, [find(g, "app-sg")], cidrIpv4="10.0.0.0/8")],
        "admits a CIDR to the app security group",
    ),
    (
        "aws-security-group-guarded-ingress",
        network_graph,
        lambda g: change(
            g,
            "cache-sg",
            ("ingress",),
            [{"protocol": "tcp", "fromPort": 6379.0, "toPort": 6379.0, "cidrBlocks": ["10.0.0.0/16"], "description": "vpc"}],
        ),
        "ingress[0] (tcp 6379-6379 from 10.0.0.0/16) admits a CIDR to the Redis security group",
    ),
    (
        "aws-security-group-guarded-ingress",
        network_graph,
        lambda g: [*g, sg_rule(SGI, "eks-from-vpc", 443, [find(g, "eks")], cidrIpv4="10.0.0.0/16")],
        "admits a CIDR to the app (EKS cluster) security group",
    ),
    (
        "aws-security-group-guarded-ingress",
        network_graph,
        lambda g: [*g, sg_rule(SGE, "db-out", 443, [find(g, "db-sg")], cidrIpv4="0.0.0.0/0")],
        "lets the PostgreSQL security group call out",
    ),
    ("aws-vpc-flow-logs-and-default-sg", network_graph, lambda g: drop(g, "flow-logs"), "VPC 'vpc' has no flow log"),
    (
        "aws-vpc-flow-logs-and-default-sg",
        network_graph,
        lambda g: change(g, "flow-logs", ("trafficType",), "ACCEPT"),
        "no flow log of rejected (or all) traffic",
    ),
    ("aws-vpc-flow-logs-and-default-sg", network_graph, lambda g: drop(g, "default-sg"), "leaves its default security group"),
    (
        "aws-backup-plan-covers-database-prod",
        database_graph,
        lambda g: drop(g, "backup-selection"),
        "'db' is in no AWS Backup plan in prod",
    ),
    ("aws-backup-plan-covers-database-prod", database_graph, lambda g: change(g, "backup-plan", ("rules",), []), "in no AWS Backup plan"),
    ("aws-secretsmanager-secret-rotation", secrets_graph, lambda g: drop(g, "grafana-rotation"), "'grafana' is never rotated"),
    (
        "aws-secretsmanager-secret-rotation",
        secrets_graph,
        lambda g: change(g, "grafana-rotation", ("rotationRules", "automaticallyAfterDays"), 365.0),
        "less often than every 90 days",
    ),
]


@pytest.mark.parametrize(("name", "graph", "edit", "expected"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_change_is_caught(name: str, graph: Callable[[], Graph], edit: Callable[[Graph], Graph], expected: str) -> None:
    base = graph()
    if edit(base) != base:  # (a few budget cases start from an over-budget graph)
        assert messages(name, *base) == []
    found = messages(name, *edit(base))
    assert len(found) == 1, found
    assert expected in found[0]


def test_every_stack_policy_has_cases() -> None:
    assert {c[0] for c in CASES} == {p.name for p in stack.POLICIES}


# --- environment, selectors, details ---------------------------------------------------------------------

PROD_ONLY = [
    "aws-alb-deletion-protection-prod",
    "stack-stateful-resources-protected-prod",
    "kubernetes-workload-replicas-prod",
    "kubernetes-hpa-min-replicas-prod",
    "aws-backup-plan-covers-database-prod",
]


def _weak() -> Graph:
    g = change(edge_graph(), "alb", ("enableDeletionProtection",), False)
    g = [dict(r, protect=False) for r in g]
    solo = record(
        "kubernetes:apps/v1:Deployment", "solo", mutate(mutate(DEPLOYMENT, ("metadata", "name"), "solo"), ("spec", "replicas"), 1.0)
    )
    return g + workload_graph(hpa_min=1.0) + [solo] + drop(database_graph(), "backup-selection")


@pytest.mark.parametrize("name", PROD_ONLY)
def test_prod_only_policies_follow_the_stack_environment(name: str) -> None:
    assert messages(name, *_weak(), environment="dev") == []
    assert messages(name, *_weak(), environment="prod")
    undetermined = messages(name, *_weak(), environment=None)
    assert undetermined and all("treated as prod" in m for m in undetermined)


def test_stack_tag_environment_wins_over_provider_tags() -> None:
    doc = plan(*_weak(), environment="prod")
    assert evaluate(doc, stack_tags={"environment": "dev"}, policies=[policy(n) for n in PROD_ONLY]) == []


def test_environment_from_the_resources_provider_when_no_provider_resource_is_listed() -> None:
    doc = plan(*_weak(), environment="dev")
    doc["resources"] = [r for r in doc["resources"] if r["type"] != "pulumi:providers:aws"]
    # The provider reference no longer resolves: no environment known, so prod rules apply.
    [found] = evaluate(doc, policies=[policy("aws-alb-deletion-protection-prod")])
    assert (found.level, found.urn) == ("mandatory", urn("aws:lb/loadBalancer:LoadBalancer", "alb"))
    assert found.message == (
        "LoadBalancer 'alb' can be deleted in an undetermined environment "
        "(treated as prod: tag the aws provider with Environment): set enable_deletion_protection=True."
    )


def test_hpa_targets_by_dependency_too() -> None:
    g = workload_graph()
    hpa = find(g, "hpa")
    hpa["inputs"]["spec"]["scaleTargetRef"]["name"] = UNKNOWN
    hpa["dependencies"] = [find(g, "deploy")["urn"]]
    assert messages("stack-database-connection-budget", *database_graph(), *change(g, "hpa", ("spec", "maxReplicas"), 50.0))


@pytest.mark.parametrize(
    ("selector", "matches"),
    [
        ({}, True),
        (None, False),
        ({"matchLabels": {"app": "nox-api"}}, True),
        ({"matchLabels": {"app": "x"}}, False),
        ({"matchExpressions": [{"key": "colour", "operator": "In", "values": ["blue", "green"]}]}, True),
        ({"matchExpressions": [{"key": "colour", "operator": "NotIn", "values": ["blue"]}]}, False),
        ({"matchExpressions": [{"key": "tier", "operator": "DoesNotExist"}]}, True),
        ({"matchExpressions": [{"key": "tier", "operator": "Exists"}]}, False),
    ],
)
def test_selector_matches(selector: Any, matches: bool) -> None:
    assert stack.selector_matches(selector, LABELS) is matches


def test_internal_alb_needs_no_waf_and_egress_to_the_world_is_fine() -> None:
    g = drop(change(edge_graph(), "alb", ("internal",), True), "waf-assoc")
    assert messages("aws-alb-waf-rate-limited", *g) == []
    g = change(
        edge_graph(),
        "alb-sg",
        ("egress",),
        [{"protocol": "-1", "fromPort": 0.0, "toPort": 0.0, "cidrBlocks": ["0.0.0.0/0"], "description": "out"}],
    )
    assert messages("aws-security-group-disallow-public-ingress", *g) == []


def test_waf_rule_json_is_understood() -> None:
    rule_json = json.dumps([{"Name": "rate", "Statement": {"RateBasedStatement": {"Limit": 300, "AggregateKeyType": "IP"}}}])
    g = change(change(edge_graph(), "waf", ("rules",), []), "waf", ("ruleJson",), rule_json)
    assert messages("aws-alb-waf-rate-limited", *g) == []


def test_alarm_routing_waits_for_unknown_actions_in_a_preview() -> None:
    g = change(alerting_graph(), "db-cpu", ("alarmActions",), [UNKNOWN])
    g = change(g, "db-cpu", ("okActions",), UNKNOWN)
    assert messages("aws-cloudwatch-alarm-routed-to-topic", *g) == []


def test_target_tracking_policies_need_no_alarm_of_ours() -> None:
    g = change(drop(fleet_graph(), "high-blue"), "up-blue", ("policyType",), "TargetTrackingScaling")
    assert messages("aws-autoscaling-policy-alarm-triggered", *g) == []


def test_only_the_alb_log_bucket_must_be_protected() -> None:
    g = [dict(r, protect=False) if r["name"] == "logs" else r for r in edge_graph()]
    g = [dict(r, dependencies=[d for d in r["dependencies"] if ":Bucket::" not in d]) if r["name"] == "alb" else r for r in g]
    assert messages("stack-stateful-resources-protected-prod", *g) == []


def test_tags_from_provider_or_resource() -> None:
    vpc = record("aws:ec2/vpc:Vpc", "vpc", {"cidrBlock": "10.0.0.0/16"})
    assert messages("aws-resource-required-tags", vpc) == []
    (found,) = messages("aws-resource-required-tags", vpc, environment=None)
    assert "missing tags Environment" in found
    tagged = record("aws:ec2/vpc:Vpc", "vpc", {"cidrBlock": "10.0.0.0/16", "tags": {"Environment": "prod"}})
    assert messages("aws-resource-required-tags", tagged, environment=None) == []
    alias = record("aws:kms/alias:Alias", "alias", {"name": "alias/x"})  # not taggable
    assert messages("aws-resource-required-tags", alias, environment=None) == []


# --- unknown values ------------------------------------------------------------------------------------------


def test_unknown_values_never_crash_stack_policies() -> None:
    """Each input of each resource of the compliant graphs made unknown in turn: no crash, no mandatory finding."""
    for build in (full_graph, ingress_graph):
        base = build()
        for r in base:
            for path in leaf_paths(r["inputs"]):
                found = run_all(stack.POLICIES, *change(base, r["name"], path, UNKNOWN))
                assert [v for v in found if v.level == "mandatory"] == [], (r["name"], path, found)


def test_unknown_user_data_skips_the_budget() -> None:
    g = change(database_graph() + fleet_graph(pool=50), "lt-blue", ("userData",), UNKNOWN)
    assert messages("stack-database-connection-budget", *g) == []


# --- the pack's data stays true to its sources ----------------------------------------------------------------


def test_budget_constants_match_settings() -> None:
    from settings.model import ADMIN_CONNECTION_HEADROOM, SEED_POOL_MAX

    assert (stack.SEED_POOL_MAX, stack.ADMIN_CONNECTION_HEADROOM) == (SEED_POOL_MAX, ADMIN_CONNECTION_HEADROOM)


def test_taggable_types_match_pulumi_aws(plan_for) -> None:
    """The shipped taggable-type list agrees with the installed pulumi-aws for every module the stacks use."""
    types = {
        r["type"]
        for s in ("dev", "prod")
        for p in ("asg", "eks")
        for r in plan_for(s, f"nox:platform={p}").resources
        if r["type"].startswith("aws:")
    }
    modules = sorted({t.split(":")[1] for t in types} | {"autoscaling/group"})
    taggable, self_tagged = introspect(modules)
    listed = {t for t in default_taggable_types() if t.split(":")[1] in modules}
    assert listed == taggable
    assert self_tagged <= SELF_TAGGED_TYPES
    assert len(default_taggable_types()) > 800


# --- connection budget: fixed replica counts (issue 11) ------------------------------------------------------


def _fixed_replicas(replicas: float, strategy: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The workload graph without its HPA: `replicas` pods with the seed's default pool of 20."""
    g = drop(workload_graph(), "hpa")
    g = change(g, "deploy", ("spec", "template", "spec", "containers", 0, "env", 2), {"name": "NODE_ENV", "value": "x"})
    g = change(g, "deploy", ("spec", "replicas"), replicas)
    return change(g, "deploy", ("spec", "strategy"), strategy) if strategy is not None else g


def test_budget_counts_the_rolling_update_surge_of_a_deployment_without_hpa() -> None:
    # 8 pods x 20 = 160 fits 180, but the default maxSurge of 25 % adds 2 pods during a rollout: 200.
    found = messages("stack-database-connection-budget", *database_graph(), *_fixed_replicas(8.0))
    assert found and "Deployment 'deploy': 10 x pool 20" in found[0]


@pytest.mark.parametrize(
    ("strategy", "pods"),
    [
        ({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 3.0}}, 12),
        ({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "50%"}}, 14),
    ],
)
def test_budget_reads_max_surge(strategy, pods) -> None:
    found = messages("stack-database-connection-budget", *database_graph(), *_fixed_replicas(9.0, strategy))
    assert found and f"Deployment 'deploy': {pods} x pool 20" in found[0]


def test_budget_recreate_strategy_has_no_surge() -> None:
    assert messages("stack-database-connection-budget", *database_graph(), *_fixed_replicas(9.0, {"type": "Recreate"})) == []
