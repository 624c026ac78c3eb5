"""AWS resource policies: a compliant baseline per resource, one mutation per case, each caught with its message.

Policies run the way the engine runs them (see tests/policy_harness.py). Every resource policy of
`policies.nox_policies.aws` must appear in CASES.
"""

from __future__ import annotations

import base64
import gzip
from typing import Any

import pytest
from policy_harness import DELETE, UNKNOWN, leaf_paths, messages, mutate, policy, record, run, run_all

from policies.nox_policies import aws, common
from policies.nox_policies.aws import cidrs, ec2, elb, s3, tokens

ACM = "arn:aws:acm:us-west-2:123456789012:certificate/00000000-0000-0000-0000-000000000000"
KEY = "arn:aws:kms:us-west-2:123456789012:key/11111111-1111-1111-1111-111111111111"
GOOD_TLS = "ELBSecurityPolicy-TLS13-1-2-Res-2021-06"

LB = {
    "loadBalancerType": "application",
    "internal": False,
    "dropInvalidHeaderFields": True,
    "accessLogs": {"bucket": "nox-prod-alb-logs", "enabled": True, "prefix": "alb"},
    "enableDeletionProtection": True,
    "desyncMitigationMode": "defensive",
    "securityGroups": ["sg-0alb"],
    "subnets": ["subnet-a", "subnet-b"],
    "idleTimeout": 3600.0,
}
# The seed's response headers, as the prod plan's HTTPS listener sets them.
HSTS = "max-age=31536000; includeSubDomains; preload"
CSP = "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline';"
ORIGIN = "https://app.nox.example.com"
HTTPS_LISTENER = {
    "protocol": "HTTPS",
    "port": 443.0,
    "sslPolicy": GOOD_TLS,
    "certificateArn": ACM,
    "defaultActions": [{"type": "forward", "forward": {"targetGroups": [{"arn": "arn:tg/blue", "weight": 100.0}]}}],
    "routingHttpResponseStrictTransportSecurityHeaderValue": HSTS,
    "routingHttpResponseXFrameOptionsHeaderValue": "DENY",
    "routingHttpResponseXContentTypeOptionsHeaderValue": "nosniff",
    "routingHttpResponseContentSecurityPolicyHeaderValue": CSP,
    "routingHttpResponseAccessControlAllowOriginHeaderValue": ORIGIN,
    "routingHttpResponseAccessControlAllowMethodsHeaderValue": "GET,HEAD,POST,PATCH,DELETE,OPTIONS",
    "routingHttpResponseServerEnabled": False,
}
HTTP_LISTENER = {
    "protocol": "HTTP",
    "port": 80.0,
    "defaultActions": [{"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}}],
}
ATTRS = (
    "access_logs.s3.enabled=true,access_logs.s3.bucket=nox-prod-alb-logs,deletion_protection.enabled=true,"
    "routing.http.drop_invalid_header_fields.enabled=true,routing.http.desync_mitigation_mode=defensive,"
    "idle_timeout.timeout_seconds=3600"
)
ANN = "alb.ingress.kubernetes.io/"
LISTENER_ATTRS = (
    f"routing.http.response.strict_transport_security.header_value={HSTS},"
    "routing.http.response.x_frame_options.header_value=DENY,"
    "routing.http.response.x_content_type_options.header_value=nosniff,"
    f"routing.http.response.content_security_policy.header_value={CSP},"
    f"routing.http.response.access_control_allow_origin.header_value={ORIGIN},"
    "routing.http.response.access_control_allow_methods.header_value=GET\\,HEAD\\,POST,"
    "routing.http.response.server.enabled=false"
)
INGRESS = {
    "apiVersion": "networking.k8s.io/v1",
    "kind": "Ingress",
    "metadata": {
        "name": "nox-api",
        "namespace": "nox",
        "annotations": {
            f"{ANN}scheme": "internet-facing",
            f"{ANN}listen-ports": '[{"HTTP": 80}, {"HTTPS": 443}]',
            f"{ANN}ssl-redirect": "443",
            f"{ANN}certificate-arn": ACM,
            f"{ANN}ssl-policy": GOOD_TLS,
            f"{ANN}wafv2-acl-arn": "arn:aws:wafv2:us-west-2:123456789012:regional/webacl/nox/abc",
            f"{ANN}load-balancer-attributes": ATTRS,
            f"{ANN}listener-attributes.HTTPS-443": LISTENER_ATTRS,
            f"{ANN}healthcheck-path": "/health",
        },
    },
    "spec": {
        "ingressClassName": "alb",
        "rules": [
            {
                "host": "api.nox.example.com",
                "http": {
                    "paths": [
                        {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "nox-api-service", "port": {"number": 80.0}}}}
                    ]
                },
            }
        ],
    },
}
SG = {
    "vpcId": "vpc-1",
    "description": "app",
    "ingress": [
        {"protocol": "tcp", "fromPort": 443.0, "toPort": 443.0, "cidrBlocks": ["10.0.0.0/16"], "description": "HTTPS from the VPC"}
    ],
    "egress": [{"protocol": "tcp", "fromPort": 443.0, "toPort": 443.0, "cidrBlocks": ["0.0.0.0/0"], "description": "AWS APIs"}],
}
SG_RULE = {
    "type": "ingress",
    "protocol": "tcp",
    "fromPort": 5432.0,
    "toPort": 5432.0,
    "securityGroupId": "sg-db",
    "sourceSecurityGroupId": "sg-app",
    "description": "PostgreSQL from the app",
}
VPC_RULE = {
    "ipProtocol": "tcp",
    "fromPort": 6379.0,
    "toPort": 6379.0,
    "securityGroupId": "sg-cache",
    "referencedSecurityGroupId": "sg-app",
    "description": "Redis from the app",
}
NODE_RULE = {
    "ipProtocol": "-1",
    "securityGroupId": "sg-nodes",
    "referencedSecurityGroupId": "sg-nodes",
    "description": "node to node",
}  # intra-group trust spanning every port: not admin access
PRIMARY = {
    "engine": "postgres",
    "engineVersion": "17",
    "instanceClass": "db.r7g.large",
    "storageEncrypted": True,
    "kmsKeyId": KEY,
    "publiclyAccessible": False,
    "iamDatabaseAuthenticationEnabled": True,
    "backupRetentionPeriod": 30.0,
    "deletionProtection": True,
    "multiAz": True,
    "enabledCloudwatchLogsExports": ["postgresql", "upgrade"],
    "performanceInsightsEnabled": True,
    "performanceInsightsKmsKeyId": KEY,
    "parameterGroupName": "nox-prod-pg17",
    "autoMinorVersionUpgrade": True,
    "copyTagsToSnapshot": True,
    "skipFinalSnapshot": False,
    "finalSnapshotIdentifier": "nox-prod-db-final",
    "monitoringInterval": 60.0,
    "monitoringRoleArn": "arn:aws:iam::123456789012:role/database-monitoring-role",
    "caCertIdentifier": "rds-ca-rsa2048-g1",
    "manageMasterUserPassword": True,
    "masterUserSecretKmsKeyId": KEY,
}
REPLICA = {
    "replicateSourceDb": "nox-prod-db",
    "instanceClass": "db.r7g.large",
    "storageEncrypted": True,
    "kmsKeyId": KEY,
    "publiclyAccessible": False,
    "iamDatabaseAuthenticationEnabled": True,
    "deletionProtection": True,
    "enabledCloudwatchLogsExports": ["postgresql", "upgrade"],
    "performanceInsightsEnabled": True,
    "performanceInsightsKmsKeyId": KEY,
    "parameterGroupName": "nox-prod-pg17",
    "multiAz": True,
    "backupRetentionPeriod": 30.0,
    "autoMinorVersionUpgrade": True,
    "copyTagsToSnapshot": True,
    "skipFinalSnapshot": True,
    "monitoringInterval": 60.0,
    "monitoringRoleArn": "arn:aws:iam::123456789012:role/database-monitoring-role",
    "caCertIdentifier": "rds-ca-rsa2048-g1",
}
CACHE = {
    "replicationGroupId": "nox-prod-cache",
    "engine": "redis",
    "atRestEncryptionEnabled": True,
    "kmsKeyId": KEY,
    "transitEncryptionEnabled": True,
    "transitEncryptionMode": "required",
    "authToken": "[secret]",
    "automaticFailoverEnabled": True,
    "multiAzEnabled": True,
    "snapshotRetentionLimit": 7.0,
    "replicasPerNodeGroup": 2.0,
    "autoMinorVersionUpgrade": True,
    "logDeliveryConfigurations": [
        {"logType": t, "destination": f"/nox/nox-prod/redis/{t}", "destinationType": "cloudwatch-logs", "logFormat": "json"}
        for t in ("slow-log", "engine-log")
    ],
}
EKS = {
    "name": "nox-prod",
    "version": "1.35",
    "vpcConfig": {"endpointPrivateAccess": True, "endpointPublicAccess": False, "subnetIds": ["subnet-a", "subnet-b"]},
    "encryptionConfig": {"provider": {"keyArn": KEY}, "resources": ["secrets"]},
    "enabledClusterLogTypes": ["api", "audit", "authenticator", "controllerManager", "scheduler"],
    "accessConfig": {"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": False},
    "upgradePolicy": {"supportType": "STANDARD"},
}
BOOT = """#!/bin/bash
set -euo pipefail
SECRET=$(aws secretsmanager get-secret-value --secret-id "$SECRET_ARN" --query SecretString --output text)
export DATABASE_URL=$(echo "$SECRET" | jq -r .DATABASE_URL)
export PGPASSWORD=$(echo "$SECRET" | jq -r .password)
IMAGE=123456789012.dkr.ecr.us-west-2.amazonaws.com/nox-api@sha256:0000000000000000000000000000000000000000000000000000000000000000
docker run -d --name nox-api --restart unless-stopped \\
  --user 10001:10001 --init --read-only --tmpfs /tmp \\
  -e NODE_ENV=production -e PORT=3000 -e DB_POOL_MAX=4 \\
  "$IMAGE"
docker run -d --name adot-collector --read-only --cap-drop ALL \\
  public.ecr.aws/aws-observability/aws-otel-collector:v0.45.0 --config=/etc/otel/config.yaml
"""


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


LT = {
    "imageId": "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64",
    "instanceType": "m6i.large",
    "metadataOptions": {"httpEndpoint": "enabled", "httpTokens": "required", "httpPutResponseHopLimit": 1.0},
    "blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"encrypted": "true", "kmsKeyId": KEY, "volumeType": "gp3"}}],
    "networkInterfaces": [{"deviceIndex": 0.0, "associatePublicIpAddress": "false"}],
    "userData": b64(BOOT),
}
KMS = {"description": "db", "enableKeyRotation": True, "deletionWindowInDays": 30.0}
LOGS = {"name": "/nox/prod/app", "retentionInDays": 365.0, "kmsKeyId": KEY}
# The prod plan's log search domain (nox:logSearch=true), as components/logsearch.py builds it.
AUDIT_GROUP = "arn:aws:logs:us-west-2:123456789012:log-group:/aws/opensearch/nox-prod-logs/audit"
DOMAIN = {
    "domainName": "nox-prod-logs",
    "engineVersion": "OpenSearch_2.19",
    "clusterConfig": {
        "instanceType": "r6g.large.search",
        "instanceCount": 3.0,
        "zoneAwarenessEnabled": True,
        "zoneAwarenessConfig": {"availabilityZoneCount": 3.0},
        "dedicatedMasterEnabled": True,
        "dedicatedMasterType": "m6g.large.search",
        "dedicatedMasterCount": 3.0,
    },
    "vpcOptions": {"subnetIds": ["subnet-a", "subnet-b", "subnet-c"], "securityGroupIds": ["sg-0search"]},
    "encryptAtRest": {"enabled": True, "kmsKeyId": KEY},
    "nodeToNodeEncryption": {"enabled": True},
    "domainEndpointOptions": {"enforceHttps": True, "tlsSecurityPolicy": "Policy-Min-TLS-1-2-PFS-2023-10"},
    "advancedSecurityOptions": {
        "enabled": True,
        "internalUserDatabaseEnabled": False,
        "anonymousAuthEnabled": False,
        "masterUserOptions": {"masterUserArn": "arn:aws:iam::123456789012:role/search-setup"},
    },
    "logPublishingOptions": [
        {"logType": "AUDIT_LOGS", "cloudwatchLogGroupArn": AUDIT_GROUP, "enabled": True},
        {"logType": "ES_APPLICATION_LOGS", "cloudwatchLogGroupArn": AUDIT_GROUP.replace("audit", "application"), "enabled": True},
    ],
}
DOMAIN_T = "aws:opensearch/domain:Domain"
STREAM_T = "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream"
STREAM = {
    "name": "nox-prod-logs-to-search",
    "destination": "opensearch",
    "serverSideEncryption": {"enabled": True, "keyType": "CUSTOMER_MANAGED_CMK", "keyArn": KEY},
}
ALARM = {
    "name": "NOX-API-High-CPU",
    "comparisonOperator": "GreaterThanThreshold",
    "threshold": 70.0,
    "alarmActions": ["arn:aws:autoscaling:us-west-2:123456789012:scalingPolicy:abc"],
}
TOPIC = {"name": "nox-prod-alerts", "kmsMasterKeyId": "arn:aws:kms:us-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"}
DOC = (
    '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"], '
    '"Resource": "arn:aws:secretsmanager:us-west-2:123456789012:secret:nox"}, '
    '{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}]}'
)
ADMIN_DOC = '{"Version": "2012-10-17", "Statement": [{"Sid": "Everything", "Effect": "Allow", "Action": "*", "Resource": "*"}]}'
PAB = {"bucket": "nox-prod-alb-logs", **dict.fromkeys(s3.PUBLIC_ACCESS_FLAGS, True)}
# A block for a bucket no resource of the stack creates (another team's, imported by name).
FOREIGN_PAB = PAB | {"bucket": "someone-elses-bucket"}
ACCOUNT_PAB = dict.fromkeys(s3.PUBLIC_ACCESS_FLAGS, True)
PAB_T, ACCOUNT_PAB_T = tokens.PUBLIC_ACCESS_BLOCK_TYPES
ROLE = {
    "assumeRolePolicy": '{"Version": "2012-10-17", "Statement": []}',
    "inlinePolicies": [{"name": "app", "policy": DOC}],
    "managedPolicyArns": ["arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"],
}


def _path(prefix: str) -> dict[str, Any]:
    return {
        "byteMatchStatement": {
            "positionalConstraint": "STARTS_WITH",
            "searchString": prefix,
            "fieldToMatch": {"uriPath": {}},
            "textTransformations": [{"type": "NORMALIZE_PATH", "priority": 0.0}, {"type": "LOWERCASE", "priority": 1.0}],
        }
    }


def _metrics(name: str) -> dict[str, Any]:
    return {"metricName": name, "sampledRequestsEnabled": True, "cloudwatchMetricsEnabled": True}


def _rate(name: str, limit: float, scope: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "action": {"block": {"customResponse": {"responseCode": 429.0}}},
        "statement": {
            "rateBasedStatement": {"limit": limit, "aggregateKeyType": "IP", "evaluationWindowSec": 60.0, "scopeDownStatement": scope}
        },
        "visibilityConfig": _metrics(name),
    }


def _managed(name: str, overrides: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    statement: dict[str, Any] = {"vendorName": "AWS", "name": name}
    if overrides:
        statement["ruleActionOverrides"] = overrides
    return {
        "name": name,
        "overrideAction": {"none": {}},
        "statement": {"managedRuleGroupStatement": statement},
        "visibilityConfig": _metrics(name),
    }


# The prod plan's web ACL (components/edge.py): the seed's nginx-waf.conf in WAF rules.
BODY_REGEX = (
    "^0*[1-9][0-9]{8,}$|^0*[2-9][0-9]{7}$|^0*1[1-9][0-9]{6}$|^0*10[5-9][0-9]{5}$|^0*1049[0-9]{4}$|"
    "^0*1048[6-9][0-9]{3}$|^0*10485[8-9][0-9]{2}$|^0*104857[7-9][0-9]$|^0*1048576[1-9]$"
)
WEB_ACL = {
    "name": "nox-prod-api",
    "scope": "REGIONAL",
    "defaultAction": {"allow": {}},
    "visibilityConfig": _metrics("nox-prod-api"),
    "rules": [
        {
            "name": "block-internal-paths",
            "action": {"block": {"customResponse": {"responseCode": 404.0}}},
            "statement": _path("/metrics"),
            "visibilityConfig": _metrics("block-internal-paths"),
        },
        _rate("rate-limit-api-auth", 300.0, _path("/api/auth/")),
        _rate(
            "rate-limit-api",
            600.0,
            {"andStatement": {"statements": [_path("/api/"), {"notStatement": {"statement": _path("/api/auth/")}}]}},
        ),
        {
            "name": "body-size-limit",
            "action": {"block": {"customResponse": {"responseCode": 413.0}}},
            "statement": {
                "regexMatchStatement": {
                    "regexString": BODY_REGEX,
                    "fieldToMatch": {"singleHeader": {"name": "content-length"}},
                    "textTransformations": [{"type": "NONE", "priority": 0.0}],
                }
            },
            "visibilityConfig": _metrics("body-size-limit"),
        },
        _managed("AWSManagedRulesCommonRuleSet", [{"name": "SizeRestrictions_BODY", "actionToUse": {"count": {}}}]),
        _managed("AWSManagedRulesKnownBadInputsRuleSet"),
        _managed("AWSManagedRulesSQLiRuleSet"),
    ],
}
TARGET_GROUP = {
    "port": 3000.0,
    "protocol": "HTTP",
    "targetType": "instance",
    "healthCheck": {"enabled": True, "path": "/health", "port": "3000", "protocol": "HTTP", "matcher": "200"},
}
ASG_PROPS = {
    "minSize": 2.0,
    "maxSize": 20.0,
    "healthCheckType": "ELB",
    "targetGroupArns": ["arn:tg/blue-app", "arn:tg/blue-ws"],
    "vpcZoneIdentifiers": ["subnet-a", "subnet-b", "subnet-c"],
}
SUBNET = {"vpcId": "vpc-1", "cidrBlock": "10.0.0.0/19", "mapPublicIpOnLaunch": False}
DEFAULT_SG = {"vpcId": "vpc-1", "tags": {"Name": "nox-prod-default-unused"}}
PG_PARAMS = {
    "family": "postgres17",
    "parameters": [
        {"name": n, "value": v, "applyMethod": "immediate"}
        for n, v in {
            "log_min_duration_statement": "1000",
            "log_connections": "1",
            "log_disconnections": "1",
            "statement_timeout": "30000",
            "rds.force_ssl": "1",
        }.items()
    ],
}
# The prod plan's EBS key: "*" principals pinned by aws:PrincipalArn.
KEY_POLICY = (
    '{"Version": "2012-10-17", "Statement": [{"Sid": "AccountAdministers", "Effect": "Allow", "Principal": '
    '{"AWS": "arn:aws:iam::123456789012:root"}, "Action": "kms:*", "Resource": "*"}, {"Sid": "AutoScalingUsesKey", '
    '"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": ["kms:Decrypt"], "Resource": "*", "Condition": {"ArnEquals": '
    '{"aws:PrincipalArn": "arn:aws:iam::123456789012:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"}}}]}'
)
OIDC_TRUST = (
    '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Federated": '
    '"arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/ABC"}, "Action": "sts:AssumeRoleWithWebIdentity", '
    '"Condition": {"StringEquals": {"oidc.eks.us-west-2.amazonaws.com/id/ABC:sub": "system:serviceaccount:nox:nox-api"}}}]}'
)
PUBLIC_TRUST = (
    '{"Version": "2012-10-17", "Statement": [{"Sid": "Anyone", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}'
)

LISTENER_T, LB_T, INGRESS_T = "aws:lb/listener:Listener", "aws:lb/loadBalancer:LoadBalancer", tokens.INGRESS_TYPES[0]
SG_T, SGR_T, VPCR_T = tokens.SG_TYPES[0], tokens.SG_RULE_TYPE, tokens.SG_INGRESS_RULE_TYPE
RDS_T, RG_T, EKS_T, LT_T = tokens.RDS_INSTANCE, tokens.REPLICATION_GROUP, tokens.EKS_CLUSTER, tokens.LAUNCH_TEMPLATE

# Compliant resources: every resource policy passes on each of them.
BASELINES: list[tuple[str, dict[str, Any]]] = [
    (LB_T, LB),
    ("aws:alb/loadBalancer:LoadBalancer", LB),
    (LISTENER_T, HTTPS_LISTENER),
    (LISTENER_T, HTTP_LISTENER),
    (INGRESS_T, INGRESS),
    (SG_T, SG),
    (SGR_T, SG_RULE),
    (VPCR_T, VPC_RULE),
    (VPCR_T, NODE_RULE),
    (RDS_T, PRIMARY),
    (RDS_T, REPLICA),
    (RG_T, CACHE),
    (RG_T, mutate(CACHE, ("authToken",), DELETE) | {"userGroupIds": ["nox-users"]}),
    (EKS_T, EKS),
    (
        EKS_T,
        mutate(EKS, ("vpcConfig",), {"endpointPrivateAccess": True, "endpointPublicAccess": True, "publicAccessCidrs": ["203.0.113.0/24"]}),
    ),
    (LT_T, LT),
    (PAB_T, PAB),
    (ACCOUNT_PAB_T, ACCOUNT_PAB),
    (tokens.KMS_KEY, KMS),
    (DOMAIN_T, DOMAIN),
    (STREAM_T, STREAM),
    (tokens.KMS_KEY, KMS | {"policy": KEY_POLICY}),
    (tokens.WEB_ACL, WEB_ACL),
    (tokens.TARGET_GROUP_TYPES[0], TARGET_GROUP),
    (tokens.ASG, ASG_PROPS),
    (tokens.SUBNET, SUBNET),
    (tokens.DEFAULT_SG, DEFAULT_SG),
    (tokens.RDS_PARAMETER_GROUP, PG_PARAMS),
    (tokens.RDS_PARAMETER_GROUP, {"family": "mysql8.0", "parameters": []}),
    (tokens.IAM_ROLE, ROLE | {"assumeRolePolicy": OIDC_TRUST}),
    (tokens.KMS_KEY, {"keySpec": "RSA_2048", "keyUsage": "SIGN_VERIFY"}),
    (tokens.LOG_GROUP, LOGS),
    (tokens.ALARM_TYPES[0], ALARM),
    (tokens.SNS_TOPIC, TOPIC),
    ("aws:iam/policy:Policy", {"policy": DOC}),
    ("aws:iam/rolePolicy:RolePolicy", {"role": "r", "policy": DOC}),
    (tokens.IAM_ROLE, ROLE),
    ("aws:iam/rolePolicyAttachment:RolePolicyAttachment", {"role": "r", "policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}),
]

# (policy, resource type, baseline, path, new value, expected part of the message)
CASES: list[tuple[str, str, dict[str, Any], tuple[str | int, ...], Any, str]] = [
    (
        "aws-alb-https-listener-tls12-policy",
        LISTENER_T,
        HTTPS_LISTENER,
        ("sslPolicy",),
        "ELBSecurityPolicy-2016-08",
        "TLS policy ELBSecurityPolicy-2016-08",
    ),
    (  # post-quantum, but TLS 1.0 too
        "aws-alb-https-listener-tls12-policy",
        LISTENER_T,
        HTTPS_LISTENER,
        ("sslPolicy",),
        "ELBSecurityPolicy-TLS13-1-0-PQ-2025-09",
        "TLS policy ELBSecurityPolicy-TLS13-1-0-PQ-2025-09",
    ),
    ("aws-alb-https-listener-tls12-policy", LISTENER_T, HTTPS_LISTENER, ("sslPolicy",), DELETE, "AWS default, allows TLS 1.0"),
    # TLS 1.2+, but CBC or non-forward-secret suites under TLS 1.2.
    *[
        ("aws-alb-https-listener-tls12-policy", LISTENER_T, HTTPS_LISTENER, ("sslPolicy",), weak, f"TLS policy {weak}")
        for weak in (
            "ELBSecurityPolicy-TLS-1-2-2017-01",
            "ELBSecurityPolicy-TLS13-1-2-2021-06",
            "ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06",
            "ELBSecurityPolicy-TLS13-1-2-Ext2-PQ-2025-09",
            "ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04",
        )
    ],
    (
        "aws-alb-https-listener-tls12-policy",
        INGRESS_T,
        INGRESS,
        ("metadata", "annotations", f"{ANN}ssl-policy"),
        "ELBSecurityPolicy-TLS13-1-2-Ext2-2021-06",
        "sets TLS policy ELBSecurityPolicy-TLS13-1-2-Ext2-2021-06",
    ),
    (
        "aws-alb-https-listener-tls12-policy",
        INGRESS_T,
        INGRESS,
        ("metadata", "annotations", f"{ANN}ssl-policy"),
        "ELBSecurityPolicy-TLS-1-1-2017-01",
        "set alb.ingress.kubernetes.io/ssl-policy to a forward-secret AEAD-only TLS 1.2+ policy",
    ),
    (
        "aws-alb-https-listener-tls12-policy",
        INGRESS_T,
        INGRESS,
        ("metadata", "annotations", f"{ANN}ssl-policy"),
        DELETE,
        "controller default ELBSecurityPolicy-2016-08",
    ),
    (
        "aws-alb-https-listener-tls12-policy",
        INGRESS_T,
        INGRESS,
        ("metadata", "annotations", f"{ANN}listen-ports"),
        '[{"HTTP": 80}]',
        "no HTTPS listener",
    ),
    (
        "aws-alb-http-listener-redirects-to-https",
        LISTENER_T,
        HTTP_LISTENER,
        ("defaultActions",),
        [{"type": "forward", "targetGroupArn": "arn:tg/blue"}],
        "default action is 'forward'",
    ),
    # A redirect is not enough: it must be the only action (a second one would serve plain HTTP).
    (
        "aws-alb-http-listener-redirects-to-https",
        LISTENER_T,
        HTTP_LISTENER,
        ("defaultActions",),
        [*HTTP_LISTENER["defaultActions"], {"type": "forward", "targetGroupArn": "arn:tg/blue"}],
        "default action is 'redirect, forward'",
    ),
    (
        "aws-alb-http-listener-redirects-to-https",
        LISTENER_T,
        HTTP_LISTENER,
        ("defaultActions", 0, "redirect", "protocol"),
        "HTTP",
        "make its only action a redirect to HTTPS",
    ),
    (
        "aws-alb-http-listener-redirects-to-https",
        INGRESS_T,
        INGRESS,
        ("metadata", "annotations", f"{ANN}ssl-redirect"),
        DELETE,
        "ssl-redirect: '443'",
    ),
    ("aws-alb-drop-invalid-header-fields", LB_T, LB, ("dropInvalidHeaderFields",), False, "dropInvalidHeaderFields=False"),
    ("aws-alb-drop-invalid-header-fields", LB_T, LB, ("dropInvalidHeaderFields",), DELETE, "dropInvalidHeaderFields=None"),
    (
        "aws-alb-drop-invalid-header-fields",
        INGRESS_T,
        INGRESS,
        ("metadata", "annotations", f"{ANN}load-balancer-attributes"),
        ATTRS.replace("routing.http.drop_invalid_header_fields.enabled=true", "routing.http.drop_invalid_header_fields.enabled=false"),
        "routing.http.drop_invalid_header_fields.enabled=true",
    ),
    ("aws-alb-access-logs-enabled", LB_T, LB, ("accessLogs", "enabled"), False, "does not write access logs"),
    ("aws-alb-access-logs-enabled", LB_T, LB, ("accessLogs",), DELETE, "does not write access logs"),
    (
        "aws-alb-access-logs-enabled",
        INGRESS_T,
        INGRESS,
        ("metadata", "annotations", f"{ANN}load-balancer-attributes"),
        "deletion_protection.enabled=true,routing.http.drop_invalid_header_fields.enabled=true",
        "access_logs.s3.enabled=true",
    ),
    ("aws-alb-desync-mitigation", LB_T, LB, ("desyncMitigationMode",), "monitor", "desync mitigation mode 'monitor'"),
    (
        "aws-alb-desync-mitigation",
        INGRESS_T,
        INGRESS,
        ("metadata", "annotations", f"{ANN}load-balancer-attributes"),
        ATTRS.replace("=defensive", "=monitor"),
        "desync mitigation mode 'monitor'",
    ),
    ("aws-security-group-disallow-admin-ports", SG_T, SG, ("ingress", 0, "fromPort"), 22.0, "opens port 22 (SSH)"),
    ("aws-security-group-disallow-admin-ports", SG_T, SG, ("ingress", 0, "protocol"), "-1", "opens port 22 (SSH)"),
    ("aws-security-group-disallow-admin-ports", SGR_T, SG_RULE, (), {"fromPort": 3389.0, "toPort": 3389.0}, "opens port 3389 (RDP)"),
    ("aws-security-group-disallow-admin-ports", VPCR_T, VPC_RULE, (), {"fromPort": 22.0, "toPort": 22.0}, "opens port 22 (SSH)"),
    ("aws-security-group-disallow-admin-ports", VPCR_T, NODE_RULE, ("cidrIpv4",), "10.0.0.0/8", "opens port 22 (SSH)"),
    ("aws-security-group-rules-described", SG_T, SG, ("ingress", 0, "description"), DELETE, "ingress[0] (tcp 443-443"),
    ("aws-security-group-rules-described", SG_T, SG, ("egress", 0, "description"), "", "egress[0] (tcp 443-443"),
    ("aws-security-group-rules-described", SGR_T, SG_RULE, ("description",), DELETE, "has no description"),
    ("aws-security-group-rules-described", VPCR_T, VPC_RULE, ("description",), DELETE, "has no description"),
    ("aws-rds-instance-storage-encrypted", RDS_T, PRIMARY, ("storageEncrypted",), False, "stores data unencrypted"),
    ("aws-rds-instance-storage-encrypted", RDS_T, PRIMARY, ("storageEncrypted",), DELETE, "stores data unencrypted"),
    ("aws-rds-instance-storage-encrypted", RDS_T, PRIMARY, ("kmsKeyId",), DELETE, "encrypted with the AWS-managed key"),
    ("aws-rds-replica-storage-encrypted", RDS_T, REPLICA, ("storageEncrypted",), DELETE, "does not declare its encryption"),
    ("aws-rds-replica-storage-encrypted", RDS_T, REPLICA, ("kmsKeyId",), DELETE, "does not declare its encryption"),
    ("aws-rds-instance-disallow-public-access", RDS_T, PRIMARY, ("publiclyAccessible",), True, "is publicly accessible"),
    ("aws-rds-instance-disallow-public-access", RDS_T, REPLICA, ("publiclyAccessible",), True, "is publicly accessible"),
    (
        "aws-rds-instance-iam-authentication",
        RDS_T,
        PRIMARY,
        ("iamDatabaseAuthenticationEnabled",),
        DELETE,
        "IAM database authentication off",
    ),
    ("aws-rds-instance-backup-retention-prod", RDS_T, PRIMARY, ("backupRetentionPeriod",), 3.0, "3 day(s) in prod"),
    ("aws-rds-instance-backup-retention-prod", RDS_T, PRIMARY, ("backupRetentionPeriod",), DELETE, "0 day(s) in prod"),
    ("aws-rds-instance-deletion-protection-prod", RDS_T, PRIMARY, ("deletionProtection",), False, "can be deleted in prod"),
    ("aws-rds-instance-deletion-protection-prod", RDS_T, REPLICA, ("deletionProtection",), DELETE, "can be deleted in prod"),
    ("aws-rds-instance-multi-az-prod", RDS_T, PRIMARY, ("multiAz",), False, "is single-AZ in prod"),
    ("aws-rds-replica-multi-az-and-backups-prod", RDS_T, REPLICA, ("multiAz",), False, "read replica 'subject' is single-AZ"),
    ("aws-rds-replica-multi-az-and-backups-prod", RDS_T, REPLICA, ("multiAz",), DELETE, "is single-AZ in prod"),
    ("aws-rds-replica-multi-az-and-backups-prod", RDS_T, REPLICA, ("backupRetentionPeriod",), 0.0, "keeps no automated backups"),
    (
        "aws-s3-public-access-block-all-true",
        PAB_T,
        PAB,
        ("blockPublicPolicy",),
        False,
        "(bucket nox-prod-alb-logs) leaves blockPublicPolicy off",
    ),
    ("aws-s3-public-access-block-all-true", PAB_T, PAB, ("restrictPublicBuckets",), DELETE, "leaves restrictPublicBuckets off"),
    ("aws-s3-public-access-block-all-true", PAB_T, FOREIGN_PAB, ("ignorePublicAcls",), False, "(bucket someone-elses-bucket)"),
    ("aws-s3-public-access-block-all-true", PAB_T, FOREIGN_PAB, ("blockPublicAcls",), DELETE, "leaves blockPublicAcls off"),
    (
        "aws-s3-public-access-block-all-true",
        ACCOUNT_PAB_T,
        ACCOUNT_PAB,
        ("blockPublicAcls",),
        False,
        "(the account) leaves blockPublicAcls",
    ),
    ("aws-rds-instance-log-exports", RDS_T, PRIMARY, ("enabledCloudwatchLogsExports",), [], "exports no logs"),
    (
        "aws-rds-instance-performance-insights-encrypted",
        RDS_T,
        PRIMARY,
        ("performanceInsightsKmsKeyId",),
        DELETE,
        "Performance Insights on with the AWS-managed key",
    ),
    ("aws-elasticache-encrypted-at-rest", RG_T, CACHE, ("atRestEncryptionEnabled",), False, "is not encrypted at rest"),
    ("aws-elasticache-encrypted-in-transit", RG_T, CACHE, ("transitEncryptionEnabled",), DELETE, "accepts plaintext connections"),
    ("aws-elasticache-encrypted-in-transit", RG_T, CACHE, ("transitEncryptionMode",), "preferred", "'preferred'"),
    ("aws-elasticache-auth-required", RG_T, CACHE, ("authToken",), DELETE, "needs no credentials"),
    ("aws-elasticache-automatic-failover-prod", RG_T, CACHE, ("automaticFailoverEnabled",), False, "has no automatic failover in prod"),
    ("aws-elasticache-snapshots-prod", RG_T, CACHE, ("snapshotRetentionLimit",), 0.0, "keeps no snapshots in prod"),
    ("aws-eks-cluster-secrets-encryption", EKS_T, EKS, ("encryptionConfig",), DELETE, "does not envelope-encrypt"),
    ("aws-eks-cluster-secrets-encryption", EKS_T, EKS, ("encryptionConfig", "resources"), [], "does not envelope-encrypt"),
    ("aws-eks-cluster-private-endpoint", EKS_T, EKS, ("vpcConfig", "endpointPrivateAccess"), False, "no private API endpoint"),
    (
        "aws-eks-cluster-public-endpoint-restricted",
        EKS_T,
        EKS,
        ("vpcConfig", "endpointPublicAccess"),
        True,
        "exposes its API endpoint to the whole internet",
    ),
    (
        "aws-eks-cluster-public-endpoint-restricted",
        EKS_T,
        EKS,
        ("vpcConfig", "endpointPublicAccess"),
        DELETE,
        "exposes its API endpoint to the whole internet",
    ),
    (
        "aws-eks-cluster-public-endpoint-restricted",
        EKS_T,
        EKS,
        ("vpcConfig",),
        {"endpointPrivateAccess": True, "endpointPublicAccess": True, "publicAccessCidrs": ["203.0.113.0/24", "0.0.0.0/0"]},
        "exposes its API endpoint to the whole internet",
    ),
    (
        "aws-eks-cluster-control-plane-logging",
        EKS_T,
        EKS,
        ("enabledClusterLogTypes",),
        ["api", "authenticator"],
        "does not log audit, controllerManager, scheduler",
    ),
    ("aws-launch-template-imdsv2-required", LT_T, LT, ("metadataOptions", "httpTokens"), "optional", "allows IMDSv1"),
    ("aws-launch-template-imdsv2-required", LT_T, LT, ("metadataOptions",), DELETE, "allows IMDSv1"),
    ("aws-launch-template-imds-hop-limit", LT_T, LT, ("metadataOptions", "httpPutResponseHopLimit"), 2.0, "hop limit 2"),
    ("aws-launch-template-imds-hop-limit", LT_T, LT, ("metadataOptions", "httpPutResponseHopLimit"), DELETE, "hop limit unset"),
    ("aws-launch-template-ebs-encrypted", LT_T, LT, ("blockDeviceMappings", 0, "ebs", "encrypted"), "false", "is not encrypted"),
    ("aws-launch-template-ebs-encrypted", LT_T, LT, ("blockDeviceMappings",), DELETE, "declares no EBS volume"),
    (
        "aws-launch-template-disallow-public-ip",
        LT_T,
        LT,
        ("networkInterfaces", 0, "associatePublicIpAddress"),
        "true",
        "gives instances a public IP",
    ),
    (
        "aws-launch-template-no-secrets-in-user-data",
        LT_T,
        LT,
        ("userData",),
        b64(BOOT + "export DATABASE_URL=postgres://nox:hunter2@db.internal:5432/nox\n"),
        "a PostgreSQL URL with a password",
    ),
    (
        "aws-launch-template-no-secrets-in-user-data",
        LT_T,
        LT,
        ("userData",),
        b64(BOOT + "export REDIS_URL=rediss://:s3cr3t-token@cache.internal:6379\n"),
        "a Redis URL with a password",
    ),
    (
        "aws-launch-template-no-secrets-in-user-data",
        LT_T,
        LT,
        ("userData",),
        b64(BOOT + "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n"),
        "an AWS access key id",
    ),
    ("aws-launch-template-no-secrets-in-user-data", LT_T, LT, ("userData",), b64(BOOT + "db_password=hunter2\n"), "a literal password"),
    (
        "aws-launch-template-no-secrets-in-user-data",
        LT_T,
        LT,
        ("userData",),
        base64.b64encode(gzip.compress(b"password: 'hunter2'\n")).decode(),
        "a literal password",
    ),
    ("aws-launch-template-no-secrets-in-user-data", LT_T, LT, ("userData",), "[secret]", "derived from a Pulumi secret"),
    ("aws-kms-key-rotation-enabled", tokens.KMS_KEY, KMS, ("enableKeyRotation",), DELETE, "does not rotate"),
    ("aws-cloudwatch-log-group-retention", tokens.LOG_GROUP, LOGS, ("retentionInDays",), DELETE, "keeps logs forever"),
    ("aws-cloudwatch-log-group-retention", tokens.LOG_GROUP, LOGS, ("retentionInDays",), 0.0, "keeps logs forever"),
    ("aws-cloudwatch-alarm-has-actions", tokens.ALARM_TYPES[0], ALARM, ("alarmActions",), [], "has no alarm_actions"),
    ("aws-cloudwatch-alarm-has-actions", tokens.ALARM_TYPES[0], ALARM, ("actionsEnabled",), False, "actions_enabled=False"),
    ("aws-sns-topic-encrypted-customer-key", tokens.SNS_TOPIC, TOPIC, ("kmsMasterKeyId",), DELETE, "is not encrypted"),
    (
        "aws-sns-topic-encrypted-customer-key",
        tokens.SNS_TOPIC,
        TOPIC,
        ("kmsMasterKeyId",),
        "alias/aws/sns",
        "AWS managed key alias/aws/sns",
    ),
    (
        "aws-sns-topic-encrypted-customer-key",
        tokens.SNS_TOPIC,
        TOPIC,
        ("kmsMasterKeyId",),
        "arn:aws:kms:us-west-2:123456789012:alias/aws/sns",
        "AWS managed key alias/aws/sns",
    ),
    (
        "aws-iam-policy-disallow-admin-wildcard",
        "aws:iam/policy:Policy",
        {"policy": DOC},
        ("policy",),
        ADMIN_DOC,
        "statement Everything allows Action '*' on Resource '*'",
    ),
    (
        "aws-iam-policy-disallow-admin-wildcard",
        "aws:iam/rolePolicy:RolePolicy",
        {"role": "r", "policy": DOC},
        ("policy",),
        ADMIN_DOC.replace('"Action": "*"', '"Action": ["s3:GetObject", "*"]'),
        "allows Action '*' on Resource '*'",
    ),
    (
        "aws-iam-policy-disallow-admin-wildcard",
        tokens.IAM_ROLE,
        ROLE,
        ("inlinePolicies", 0, "policy"),
        ADMIN_DOC,
        "inline policy app statement Everything allows '*' on '*'",
    ),
    (
        "aws-iam-policy-disallow-admin-wildcard",
        tokens.IAM_ROLE,
        ROLE,
        ("managedPolicyArns", 0),
        "arn:aws:iam::aws:policy/AdministratorAccess",
        "has AdministratorAccess",
    ),
    (
        "aws-iam-policy-disallow-admin-wildcard",
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        {"role": "r", "policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"},
        ("policyArn",),
        "arn:aws:iam::aws:policy/AdministratorAccess",
        "attaches AdministratorAccess",
    ),
    # --- issue 19: the seed's hardening as built ---
    *[
        ("aws-alb-https-listener-security-headers", LISTENER_T, HTTPS_LISTENER, (arg,), value, expected)
        for arg, value, expected in (
            ("routingHttpResponseStrictTransportSecurityHeaderValue", "max-age=300; includeSubDomains; preload", "'max-age=300;"),
            (
                "routingHttpResponseStrictTransportSecurityHeaderValue",
                "max-age=31536000; preload",
                "Strict-Transport-Security 'max-age=31536000; preload'",
            ),
            ("routingHttpResponseStrictTransportSecurityHeaderValue", "max-age=31536000; includeSubDomains", "includeSubDomains'"),
            ("routingHttpResponseStrictTransportSecurityHeaderValue", DELETE, "sends no Strict-Transport-Security header"),
            ("routingHttpResponseXFrameOptionsHeaderValue", "SAMEORIGIN", "sends X-Frame-Options 'SAMEORIGIN'"),
            ("routingHttpResponseXContentTypeOptionsHeaderValue", DELETE, "sends X-Content-Type-Options None"),
            ("routingHttpResponseContentSecurityPolicyHeaderValue", DELETE, "sends no Content-Security-Policy header"),
            ("routingHttpResponseContentSecurityPolicyHeaderValue", "default-src *", "without default-src 'self'"),
            (
                "routingHttpResponseContentSecurityPolicyHeaderValue",
                CSP + " img-src https://cdn.example.com",
                "also allows https://cdn.example.com",
            ),
            ("routingHttpResponseServerEnabled", DELETE, "sends the Server header (ALB default)"),
            ("routingHttpResponseServerEnabled", True, "sends the Server header"),
        )
    ],
    (
        "aws-alb-https-listener-security-headers",
        INGRESS_T,
        INGRESS,
        ("metadata", "annotations", f"{ANN}listener-attributes.HTTPS-443"),
        LISTENER_ATTRS.replace("x_frame_options.header_value=DENY", "x_frame_options.header_value=SAMEORIGIN"),
        "Ingress 'subject' sends X-Frame-Options 'SAMEORIGIN'",
    ),
    (
        "aws-alb-https-listener-security-headers",
        INGRESS_T,
        INGRESS,
        ("metadata", "annotations", f"{ANN}listener-attributes.HTTPS-443"),
        DELETE,
        "sends no Strict-Transport-Security header",
    ),
    (
        "aws-alb-https-listener-cors-origin",
        LISTENER_T,
        HTTPS_LISTENER,
        ("routingHttpResponseAccessControlAllowOriginHeaderValue",),
        "*",
        "sends Access-Control-Allow-Origin '*'",
    ),
    (
        "aws-alb-https-listener-cors-origin",
        INGRESS_T,
        INGRESS,
        ("metadata", "annotations", f"{ANN}listener-attributes.HTTPS-443"),
        LISTENER_ATTRS.replace(ORIGIN, "null"),
        "Access-Control-Allow-Origin 'null'",
    ),
    (
        "aws-lb-target-group-health-check",
        tokens.TARGET_GROUP_TYPES[0],
        TARGET_GROUP,
        ("healthCheck", "enabled"),
        False,
        "has health checks off",
    ),
    ("aws-lb-target-group-health-check", tokens.TARGET_GROUP_TYPES[0], TARGET_GROUP, ("healthCheck", "path"), DELETE, "not the app's"),
    (
        "aws-lb-target-group-health-check",
        INGRESS_T,
        INGRESS,
        ("metadata", "annotations", f"{ANN}healthcheck-path"),
        DELETE,
        "controller's default health check",
    ),
    (
        "aws-wafv2-web-acl-seed-rate-limits",
        tokens.WEB_ACL,
        WEB_ACL,
        ("rules", 1, "statement", "rateBasedStatement", "limit"),
        301.0,
        "rule rate-limit-api-auth allows 301 requests per 60 s on /api/auth/",
    ),
    (  # the same 300, over the default 300 s window: 1/s, within the seed
        "aws-wafv2-web-acl-seed-rate-limits",
        tokens.WEB_ACL,
        WEB_ACL,
        ("rules", 2, "statement", "rateBasedStatement", "evaluationWindowSec"),
        30.0,
        "allows 600 requests per 30 s on /api/ (20/s): the seed allows 10/s",
    ),
    (
        "aws-wafv2-web-acl-seed-rate-limits",
        tokens.WEB_ACL,
        WEB_ACL,
        ("rules", 1, "action"),
        {"count": {}},
        "rule rate-limit-api-auth on /api/auth/ only does count",
    ),
    (
        "aws-wafv2-web-acl-seed-rate-limits",
        tokens.WEB_ACL,
        WEB_ACL,
        ("rules", 2, "statement", "rateBasedStatement", "aggregateKeyType"),
        "CONSTANT",
        "counts requests by CONSTANT",
    ),
    (
        "aws-wafv2-web-acl-seed-rate-limits",
        tokens.WEB_ACL,
        WEB_ACL,
        ("rules", 1, "statement", "rateBasedStatement", "scopeDownStatement"),
        {"notStatement": {"statement": _path("/api/auth/")}},
        "no rate-based rule scoped to /api/auth/",
    ),
    (
        "aws-wafv2-web-acl-managed-rule-groups",
        tokens.WEB_ACL,
        WEB_ACL,
        ("rules", 6, "statement", "managedRuleGroupStatement", "name"),
        "AWSManagedRulesAmazonIpReputationList",
        "lacks the managed rule group AWSManagedRulesSQLiRuleSet",
    ),
    (
        "aws-wafv2-web-acl-managed-rule-groups",
        tokens.WEB_ACL,
        WEB_ACL,
        ("rules", 5, "overrideAction"),
        {"count": {}},
        "runs AWSManagedRulesKnownBadInputsRuleSet in count mode",
    ),
    (
        "aws-wafv2-web-acl-managed-rule-groups",
        tokens.WEB_ACL,
        WEB_ACL,
        ("rules", 4, "statement", "managedRuleGroupStatement", "ruleActionOverrides"),
        [{"name": n, "actionToUse": {"count": {}}} for n in ("SizeRestrictions_BODY", "CrossSiteScripting_BODY")],
        "overrides AWSManagedRulesCommonRuleSet rules CrossSiteScripting_BODY to count",
    ),
    ("aws-wafv2-web-acl-body-size-limit", tokens.WEB_ACL, WEB_ACL, ("rules", 3, "action"), {"count": {}}, "over the seed's 10 MiB"),
    (  # a 100 MiB limit: the regex no longer matches 10485761
        "aws-wafv2-web-acl-body-size-limit",
        tokens.WEB_ACL,
        WEB_ACL,
        ("rules", 3, "statement", "regexMatchStatement", "regexString"),
        "^0*[1-9][0-9]{9,}$",
        "does not block request bodies over the seed's 10 MiB",
    ),
    (
        "aws-wafv2-web-acl-body-size-limit",
        tokens.WEB_ACL,
        WEB_ACL,
        ("rules", 3, "statement", "regexMatchStatement", "fieldToMatch"),
        {"singleHeader": {"name": "x-length"}},
        "over the seed's 10 MiB",
    ),
    (
        "aws-wafv2-web-acl-internal-paths-blocked",
        tokens.WEB_ACL,
        WEB_ACL,
        ("rules", 0, "action"),
        {"count": {}},
        "lets the internet reach /metrics",
    ),
    (
        "aws-wafv2-web-acl-internal-paths-blocked",
        tokens.WEB_ACL,
        WEB_ACL,
        ("rules", 0, "statement", "byteMatchStatement", "searchString"),
        "/metric",
        "reach /metrics: add a blocking rule",
    ),
    (
        "aws-wafv2-web-acl-metrics",
        tokens.WEB_ACL,
        WEB_ACL,
        ("visibilityConfig", "cloudwatchMetricsEnabled"),
        False,
        "publishes no CloudWatch metrics",
    ),
    (
        "aws-wafv2-web-acl-metrics",
        tokens.WEB_ACL,
        WEB_ACL,
        ("rules", 3, "visibilityConfig", "cloudwatchMetricsEnabled"),
        False,
        "rules body-size-limit publish no CloudWatch metrics",
    ),
    ("aws-autoscaling-group-elb-health-check", tokens.ASG, ASG_PROPS, ("healthCheckType",), "EC2", "health-checks with EC2"),
    ("aws-autoscaling-group-elb-health-check", tokens.ASG, ASG_PROPS, ("healthCheckType",), DELETE, "EC2 (the default)"),
    ("aws-autoscaling-group-multi-az-prod", tokens.ASG, ASG_PROPS, ("vpcZoneIdentifiers",), ["subnet-a"], "single subnet/zone in prod"),
    ("aws-launch-template-no-key-pair", LT_T, LT, ("keyName",), "ops", "installs SSH key pair 'ops'"),
    *[
        ("aws-launch-template-container-hardening", LT_T, LT, ("userData",), b64(BOOT.replace(old, new)), expected)
        for old, new, expected in (
            ("--user 10001:10001", "--user 0", "the app container that runs as root (--user 0)"),
            ("--user 10001:10001 ", "", "sets no --user"),
            ("--init ", "", "has no --init"),
            ("--init --read-only", "--init", "writable root filesystem"),
            ("NODE_ENV=production", "NODE_ENV=development", "sets NODE_ENV=development, not production"),
            ("--name nox-api", "--name nox-api --privileged", "runs --privileged"),
            ("@sha256:" + "0" * 64, ":latest", "uses the tag latest"),
            (
                "--name adot-collector --read-only",
                "--name adot-collector",
                "container public.ecr.aws/aws-observability/aws-otel-collector:v0.45.0 that has a writable",
            ),
            ("aws-otel-collector:v0.45.0", "aws-otel-collector", "has no tag"),
        )
    ],
    ("aws-subnet-no-public-ip-on-launch", tokens.SUBNET, SUBNET, ("mapPublicIpOnLaunch",), True, "gives every instance launched in it"),
    ("aws-subnet-no-public-ip-on-launch", tokens.SUBNET, SUBNET, ("assignIpv6AddressOnCreation",), True, "a public address"),
    (
        "aws-default-security-group-closed",
        tokens.DEFAULT_SG,
        DEFAULT_SG,
        ("ingress",),
        [{"protocol": "-1", "fromPort": 0.0, "toPort": 0.0, "self": True, "description": "AWS's default rule"}],
        "has ingress rules",
    ),
    (
        "aws-default-security-group-closed",
        tokens.DEFAULT_SG,
        DEFAULT_SG,
        ("egress",),
        [{"protocol": "tcp", "fromPort": 443.0, "toPort": 443.0, "cidrBlocks": ["10.0.0.0/16"], "description": "x"}],
        "has egress rules",
    ),
    (
        "aws-security-group-no-unrestricted-egress",
        SG_T,
        SG,
        ("egress", 0),
        {"protocol": "-1", "fromPort": 0.0, "toPort": 0.0, "cidrBlocks": ["0.0.0.0/0"], "description": "all"},
        "allows every port to the whole internet",
    ),
    (
        "aws-security-group-no-unrestricted-egress",
        tokens.SG_EGRESS_RULE_TYPE,
        {"ipProtocol": "tcp", "fromPort": 443.0, "toPort": 443.0, "cidrIpv4": "0.0.0.0/0", "securityGroupId": "sg-app", "description": "x"},
        (),
        {"ipProtocol": "-1", "cidrIpv6": "::/0"},
        "allows every port to the whole internet",
    ),
    ("aws-rds-instance-log-exports", RDS_T, PRIMARY, ("enabledCloudwatchLogsExports",), ["upgrade"], "does not export the postgresql log"),
    ("aws-rds-instance-auto-minor-upgrade", RDS_T, PRIMARY, ("autoMinorVersionUpgrade",), False, "auto_minor_version_upgrade=False"),
    ("aws-rds-instance-copy-tags-to-snapshots", RDS_T, PRIMARY, ("copyTagsToSnapshot",), DELETE, "does not copy its tags"),
    ("aws-rds-instance-copy-tags-to-snapshots", RDS_T, REPLICA, ("copyTagsToSnapshot",), False, "does not copy its tags"),
    ("aws-rds-instance-final-snapshot-prod", RDS_T, PRIMARY, ("skipFinalSnapshot",), True, "without a final snapshot in prod"),
    ("aws-rds-instance-final-snapshot-prod", RDS_T, PRIMARY, ("finalSnapshotIdentifier",), DELETE, "without a final snapshot"),
    ("aws-rds-instance-enhanced-monitoring", RDS_T, PRIMARY, ("monitoringInterval",), 0.0, "no enhanced monitoring (interval 0 s)"),
    ("aws-rds-instance-enhanced-monitoring", RDS_T, REPLICA, ("monitoringInterval",), DELETE, "no enhanced monitoring"),
    ("aws-rds-instance-enhanced-monitoring", RDS_T, PRIMARY, ("monitoringRoleArn",), DELETE, "monitoring_role_arn"),
    ("aws-rds-instance-current-ca", RDS_T, PRIMARY, ("caCertIdentifier",), "rds-ca-2019", "uses certificate authority rds-ca-2019"),
    (
        "aws-rds-instance-managed-master-password",
        RDS_T,
        PRIMARY,
        ("manageMasterUserPassword",),
        DELETE,
        "has a master password set by the program",
    ),
    ("aws-rds-instance-managed-master-password", RDS_T, PRIMARY, ("password",), "[secret]", "remove password"),
    *[
        (
            "aws-rds-parameter-group-seed-logging-timeouts",
            tokens.RDS_PARAMETER_GROUP,
            PG_PARAMS,
            ("parameters", i, "value"),
            value,
            expected,
        )
        for i, value, expected in (
            (0, "-1", "sets log_min_duration_statement=-1: keep it between 0 and 1000"),
            (0, "5000", "log_min_duration_statement=5000"),
            (1, "0", "sets log_connections=0"),
            (2, "0", "sets log_disconnections=0"),
            (3, "0", "sets statement_timeout=0: keep it between 1 and 30000"),
            (3, "60000", "statement_timeout=60000"),
        )
    ],
    (
        "aws-rds-parameter-group-seed-logging-timeouts",
        tokens.RDS_PARAMETER_GROUP,
        PG_PARAMS,
        ("parameters", 1),
        {"name": "log_checkpoints", "value": "1"},
        "sets log_connections=(unset: RDS default)",
    ),
    ("aws-elasticache-log-delivery", RG_T, CACHE, ("logDeliveryConfigurations",), DELETE, "slow-log and engine-log"),
    ("aws-elasticache-log-delivery", RG_T, CACHE, ("logDeliveryConfigurations", 1, "logType"), "slow-log", "deliver its engine-log:"),
    ("aws-elasticache-replicas-multi-az-prod", RG_T, CACHE, ("replicasPerNodeGroup",), 0.0, "has no replica in prod"),
    ("aws-elasticache-replicas-multi-az-prod", RG_T, CACHE, ("multiAzEnabled",), False, "is not Multi-AZ in prod"),
    ("aws-elasticache-customer-kms-key", RG_T, CACHE, ("kmsKeyId",), DELETE, "encrypted with the AWS-managed key"),
    ("aws-elasticache-auto-minor-upgrade", RG_T, CACHE, ("autoMinorVersionUpgrade",), False, "auto_minor_version_upgrade=False"),
    ("aws-eks-cluster-supported-version", EKS_T, EKS, ("version",), "1.31", "runs Kubernetes 1.31, not in the pack's support calendar"),
    ("aws-eks-cluster-supported-version", EKS_T, EKS, ("version",), "1.34", "1.34, whose standard support ended on 2026-12-02"),
    ("aws-eks-cluster-supported-version", EKS_T, EKS, ("version",), DELETE, "(unset: the EKS default)"),
    (
        "aws-eks-cluster-access-entries-only",
        EKS_T,
        EKS,
        ("accessConfig", "authenticationMode"),
        "API_AND_CONFIG_MAP",
        "authenticates with API_AND_CONFIG_MAP",
    ),
    ("aws-eks-cluster-access-entries-only", EKS_T, EKS, ("accessConfig", "authenticationMode"), DELETE, "(unset: CONFIG_MAP)"),
    (
        "aws-eks-cluster-access-entries-only",
        EKS_T,
        EKS,
        ("accessConfig", "bootstrapClusterCreatorAdminPermissions"),
        DELETE,
        "makes its creator a cluster admin",
    ),
    (
        "aws-kms-key-not-public",
        tokens.KMS_KEY,
        KMS | {"policy": KEY_POLICY},
        ("policy",),
        KEY_POLICY.replace('"aws:PrincipalArn"', '"aws:UserAgent"'),
        "statement AutoScalingUsesKey allows every AWS principal",
    ),
    (
        "aws-kms-key-not-public",
        tokens.KMS_KEY,
        KMS | {"policy": KEY_POLICY},
        ("policy",),
        KEY_POLICY.replace('{"AWS": "arn:aws:iam::123456789012:root"}', '"*"'),
        "statement AccountAdministers allows every AWS principal",
    ),
    (
        "aws-iam-policy-disallow-service-wildcards",
        "aws:iam/policy:Policy",
        {"policy": DOC},
        ("policy",),
        DOC.replace("kms:Decrypt", "kms:*"),
        "allows kms:*, a whole service",
    ),
    (
        "aws-iam-policy-disallow-service-wildcards",
        tokens.IAM_ROLE,
        ROLE,
        ("inlinePolicies", 0, "policy"),
        DOC.replace('["secretsmanager:GetSecretValue"]', '["secretsmanager:*"]'),
        "inline policy app allows secretsmanager:*",
    ),
    ("aws-iam-role-trust-not-public", tokens.IAM_ROLE, ROLE, ("assumeRolePolicy",), PUBLIC_TRUST, "trust statement Anyone lets every"),
    (
        "aws-iam-role-trust-not-public",
        tokens.IAM_ROLE,
        ROLE | {"assumeRolePolicy": OIDC_TRUST},
        ("assumeRolePolicy",),
        OIDC_TRUST.replace('{"Federated": "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/ABC"}', '"*"'),
        "lets every AWS principal assume it",
    ),
    ("aws-cloudwatch-log-group-retention-prod", tokens.LOG_GROUP, LOGS, ("retentionInDays",), 90.0, "keeps logs 90 days in prod"),
    ("aws-cloudwatch-log-group-encrypted", tokens.LOG_GROUP, LOGS, ("kmsKeyId",), DELETE, "is not encrypted with a customer KMS key"),
    *(
        ("aws-opensearch-domain-hardened", DOMAIN_T, DOMAIN, path, value, expected)
        for path, value, expected in [
            (("encryptAtRest", "enabled"), False, "is not encrypted at rest"),
            (("encryptAtRest", "kmsKeyId"), DELETE, "AWS-managed key"),
            (("nodeToNodeEncryption",), DELETE, "plaintext between nodes"),
            (("domainEndpointOptions", "enforceHttps"), False, "accepts plain HTTP"),
            (("domainEndpointOptions", "tlsSecurityPolicy"), "Policy-Min-TLS-1-2-2019-07", "has TLS policy 'Policy-Min-TLS-1-2-2019-07'"),
            (("advancedSecurityOptions", "enabled"), False, "no fine-grained access control"),
            (("advancedSecurityOptions", "internalUserDatabaseEnabled"), True, "internal user database"),
            (("advancedSecurityOptions", "anonymousAuthEnabled"), True, "allows anonymous requests"),
            (("vpcOptions",), DELETE, "has a public endpoint"),
            (("logPublishingOptions", 0, "enabled"), False, "publishes no audit log"),
            (("logPublishingOptions", 0, "logType"), "INDEX_SLOW_LOGS", "publishes no audit log"),
            (("clusterConfig", "zoneAwarenessEnabled"), False, "is not zone-aware across 3 AZs in prod"),
            (("clusterConfig", "zoneAwarenessConfig", "availabilityZoneCount"), 2.0, "is not zone-aware across 3 AZs in prod"),
            (("clusterConfig", "dedicatedMasterEnabled"), False, "has no 3 dedicated masters in prod"),
            (("clusterConfig", "dedicatedMasterCount"), 2.0, "has no 3 dedicated masters in prod"),
        ]
    ),
    ("aws-firehose-stream-encrypted", STREAM_T, STREAM, ("serverSideEncryption",), DELETE, "is not encrypted at rest"),
    ("aws-firehose-stream-encrypted", STREAM_T, STREAM, ("serverSideEncryption", "enabled"), False, "is not encrypted at rest"),
    ("aws-firehose-stream-encrypted", STREAM_T, STREAM, ("serverSideEncryption", "keyType"), "AWS_OWNED_CMK", "AWS-owned key"),
    ("aws-firehose-stream-encrypted", STREAM_T, STREAM, ("serverSideEncryption", "keyArn"), DELETE, "AWS-owned key"),
]


def _policies_for(type_: str) -> list[str]:
    return [p.name for p in aws.POLICIES if type_ in p.resource_types]


@pytest.mark.parametrize(("type_", "props"), BASELINES, ids=[f"{t.rsplit(':', 1)[-1]}-{i}" for i, (t, _) in enumerate(BASELINES)])
def test_baseline_is_compliant(type_: str, props: dict[str, Any]) -> None:
    for name in _policies_for(type_):
        assert run(name, record(type_, "subject", props)) == [], name


@pytest.mark.parametrize(
    ("name", "type_", "base", "path", "value", "expected"),
    CASES,
    ids=[f"{c[0]}-{'.'.join(map(str, c[3]))}-{i}" for i, c in enumerate(CASES)],
)
def test_mutation_is_caught(name: str, type_: str, base: dict[str, Any], path: tuple[str | int, ...], value: Any, expected: str) -> None:
    assert messages(name, record(type_, "subject", base)) == []
    found = messages(name, record(type_, "subject", mutate(base, path, value)))
    assert len(found) == 1, found
    assert expected in found[0]
    # The other policies for this type do not report the same mutation (one failure per mutation),
    # except where one setting legitimately feeds two rules.
    others = [n for n in _policies_for(type_) if n != name and messages(n, record(type_, "subject", mutate(base, path, value)))]
    assert others in ([], *EXPECTED_OVERLAPS.get((name, path), [])), others


# Mutations that break two rules at once, by design.
EXPECTED_OVERLAPS: dict[tuple[str, tuple[str | int, ...]], list[list[str]]] = {
    ("aws-launch-template-imdsv2-required", ("metadataOptions",)): [["aws-launch-template-imds-hop-limit"]],
}


def test_every_aws_policy_has_cases() -> None:
    assert {c[0] for c in CASES} == {p.name for p in aws.POLICIES}


def test_opensearch_prod_rules_follow_the_provider_environment() -> None:
    small = record(DOMAIN_T, "search", mutate(DOMAIN, ("clusterConfig",), {"instanceType": "t3.medium.search", "instanceCount": 2.0}))
    assert messages("aws-opensearch-domain-hardened", small, environment="dev") == []
    assert messages("aws-opensearch-domain-hardened", small, environment="staging") == []
    [found] = messages("aws-opensearch-domain-hardened", small, environment="prod")
    assert "is not zone-aware across 3 AZs in prod" in found


@pytest.mark.parametrize(
    "name", ["aws-rds-instance-backup-retention-prod", "aws-rds-instance-deletion-protection-prod", "aws-rds-instance-multi-az-prod"]
)
def test_rds_prod_rules_follow_the_provider_environment(name: str) -> None:
    weak = record(RDS_T, "db", PRIMARY | {"backupRetentionPeriod": 1.0, "deletionProtection": False, "multiAz": False})
    assert messages(name, weak, environment="dev") == []
    assert messages(name, weak, environment="staging") == []
    assert len(messages(name, weak, environment="prod")) == 1
    # No Environment tag anywhere: prod rules apply, and the message says why.
    (found,) = messages(name, weak, environment=None)
    assert "undetermined environment (treated as prod" in found


def test_replica_rule_applies_to_prod_replicas_only() -> None:
    name = "aws-rds-replica-multi-az-and-backups-prod"
    weak = record(RDS_T, "replica", REPLICA | {"multiAz": False, "backupRetentionPeriod": 0.0})
    assert messages(name, weak, environment="dev") == [] and messages(name, weak, environment="staging") == []
    assert len(messages(name, weak, environment="prod")) == 2
    assert messages(name, record(RDS_T, "primary", PRIMARY | {"multiAz": False})) == []  # the primary's own rule covers it


def test_public_access_block_for_a_foreign_bucket_is_caught_with_every_flag_named() -> None:
    # Not tied to any bucket of the stack: the per-resource rule sees it anyway.
    wide_open = record(PAB_T, "theirs", {"bucket": "someone-elses-bucket"})
    (found,) = messages("aws-s3-public-access-block-all-true", wide_open)
    assert "blockPublicAcls, blockPublicPolicy, ignorePublicAcls, restrictPublicBuckets off" in found


def test_cache_prod_rules_follow_the_provider_environment() -> None:
    weak = record(RG_T, "cache", CACHE | {"automaticFailoverEnabled": False, "snapshotRetentionLimit": 0.0})
    for name in ("aws-elasticache-automatic-failover-prod", "aws-elasticache-snapshots-prod"):
        assert messages(name, weak, environment="dev") == []
        assert len(messages(name, weak, environment="prod")) == 1


def test_public_80_443_is_not_an_admin_port_and_egress_is_ignored() -> None:
    sg = record(
        SG_T,
        "alb",
        {
            "description": "alb",
            "ingress": [{"protocol": "tcp", "fromPort": 443.0, "toPort": 443.0, "cidrBlocks": ["0.0.0.0/0"], "description": "https"}],
            "egress": [{"protocol": "tcp", "fromPort": 22.0, "toPort": 22.0, "cidrBlocks": ["10.0.0.0/8"], "description": "ssh out"}],
        },
    )
    assert messages("aws-security-group-disallow-admin-ports", sg) == []


def test_a_range_spanning_22_is_caught() -> None:
    rule = record(
        SGR_T, "wide", SG_RULE | {"fromPort": 0.0, "toPort": 1024.0, "sourceSecurityGroupId": None, "cidrBlocks": ["10.0.0.0/16"]}
    )
    (found,) = messages("aws-security-group-disallow-admin-ports", rule)
    assert "tcp 0-1024 from 10.0.0.0/16" in found


def test_network_load_balancers_are_not_held_to_alb_attributes() -> None:
    nlb = record(LB_T, "nlb", {"loadBalancerType": "network", "internal": True})
    for name in ("aws-alb-drop-invalid-header-fields", "aws-alb-access-logs-enabled", "aws-alb-desync-mitigation"):
        assert messages(name, nlb) == []


def test_non_alb_ingress_is_ignored() -> None:
    nginx = record(INGRESS_T, "nginx", mutate(INGRESS, ("spec", "ingressClassName"), "nginx") | {"metadata": {"name": "x"}})
    for name in _policies_for(INGRESS_T):
        assert messages(name, nginx) == []


def test_user_data_that_fetches_secrets_at_boot_is_clean() -> None:
    assert common.credentials_in(BOOT) == []
    assert ec2.decode_user_data(b64(BOOT)) == BOOT
    assert ec2.decode_user_data("#!/bin/bash\necho plain") == "#!/bin/bash\necho plain"


def test_tls_allow_list_matches_the_settings_schema() -> None:
    from settings.schema import KEYS_BY_NAME, TLS_POLICIES

    assert elb.TLS_POLICIES == TLS_POLICIES
    assert KEYS_BY_NAME["sslPolicy"].default == elb.DEFAULT_TLS_POLICY == "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09"


@pytest.mark.parametrize("tls", [p for p in elb.TLS_POLICIES if "-PQ-" in p])
def test_post_quantum_tls_policies_pass(tls) -> None:
    assert messages("aws-alb-https-listener-tls12-policy", record(LISTENER_T, "https", {**HTTPS_LISTENER, "sslPolicy": tls})) == []


# --- unknown values (first preview) -------------------------------------------------------------------


@pytest.mark.parametrize(("type_", "props"), BASELINES, ids=[f"{t.rsplit(':', 1)[-1]}-{i}" for i, (t, _) in enumerate(BASELINES)])
def test_unknown_values_never_crash_nor_fail_a_compliant_resource(type_: str, props: dict[str, Any]) -> None:
    """Every property (and sub-property) of a compliant resource made unknown in turn: the policies skip it."""
    for path in leaf_paths(props):
        found = run_all([policy(n) for n in _policies_for(type_)], record(type_, "subject", mutate(props, path, UNKNOWN)))
        assert [v for v in found if v.level == "mandatory"] == [], (path, found)


def test_unknown_values_do_not_hide_other_violations() -> None:
    """An unknown key id skips that check only: a public, unencrypted instance is still reported."""
    db = record(RDS_T, "db", PRIMARY | {"kmsKeyId": UNKNOWN, "publiclyAccessible": True, "storageEncrypted": False})
    assert len(messages("aws-rds-instance-disallow-public-access", db)) == 1
    assert len(messages("aws-rds-instance-storage-encrypted", db)) == 1


def test_whole_props_unknown() -> None:
    for type_, props in BASELINES:
        subject = record(type_, "subject", dict.fromkeys(props, UNKNOWN))
        for name in _policies_for(type_):
            assert [v for v in run(name, subject) if v.level == "mandatory"] == [], (name, type_)


# --- CIDRs compared as networks (issue 11) ---------------------------------------------------------------


def _eks_with(cidrs: list[str]) -> dict[str, Any]:
    return mutate(EKS, ("vpcConfig",), {"endpointPrivateAccess": True, "endpointPublicAccess": True, "publicAccessCidrs": cidrs})


@pytest.mark.parametrize(
    "cidrs",
    [["0.0.0.0/00"], ["0::/0"], ["::0/0"], ["0.0.0.0/1", "128.0.0.0/1"], ["81.2.69.0/24", "::/1", "8000::/1"], ["not-a-cidr"]],
)
def test_eks_public_endpoint_open_written_any_way_is_a_violation(cidrs):
    assert run("aws-eks-cluster-public-endpoint-restricted", record(EKS_T, "eks", _eks_with(cidrs)), environment="dev")


@pytest.mark.parametrize("cidrs", [["81.0.0.0/8"], ["81.2.0.0/15"], ["2a02::/16"]])
def test_eks_public_endpoint_wider_than_prod_limit_is_a_violation_in_prod_only(cidrs):
    resource = record(EKS_T, "eks", _eks_with(cidrs))
    assert "no wider than /16 (IPv4) or /32 (IPv6)" in " ".join(
        v.message for v in run("aws-eks-cluster-public-endpoint-restricted", resource)
    )
    assert run("aws-eks-cluster-public-endpoint-restricted", resource, environment="dev") == []


def test_eks_public_endpoint_narrow_networks_pass_in_prod():
    resource = record(EKS_T, "eks", _eks_with(["81.2.69.0/24", "2a02:1388::/32"]))
    assert run("aws-eks-cluster-public-endpoint-restricted", resource) == []


def test_pack_prod_cidr_limit_is_the_settings_one():
    from settings.schema import PROD_MIN_PREFIX

    assert cidrs.PROD_MIN_PREFIX == PROD_MIN_PREFIX
