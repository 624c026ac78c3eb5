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
HTTPS_LISTENER = {
    "protocol": "HTTPS",
    "port": 443.0,
    "sslPolicy": GOOD_TLS,
    "certificateArn": ACM,
    "defaultActions": [{"type": "forward", "forward": {"targetGroups": [{"arn": "arn:tg/blue", "weight": 100.0}]}}],
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
    "egress": [{"protocol": "-1", "fromPort": 0.0, "toPort": 0.0, "cidrBlocks": ["0.0.0.0/0"], "description": "anywhere"}],
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
}
EKS = {
    "name": "nox-prod",
    "version": "1.35",
    "vpcConfig": {"endpointPrivateAccess": True, "endpointPublicAccess": False, "subnetIds": ["subnet-a", "subnet-b"]},
    "encryptionConfig": {"provider": {"keyArn": KEY}, "resources": ["secrets"]},
    "enabledClusterLogTypes": ["api", "audit", "authenticator", "controllerManager", "scheduler"],
}
BOOT = """#!/bin/bash
set -euo pipefail
SECRET=$(aws secretsmanager get-secret-value --secret-id "$SECRET_ARN" --query SecretString --output text)
export DATABASE_URL=$(echo "$SECRET" | jq -r .DATABASE_URL)
export PGPASSWORD=$(echo "$SECRET" | jq -r .password)
docker run --init --user 1001:1001 -e NODE_ENV=production -e PORT=3000 -e DB_POOL_MAX=4 nox-api:v8.0.0
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
ALARM = {
    "name": "NOX-API-High-CPU",
    "comparisonOperator": "GreaterThanThreshold",
    "threshold": 70.0,
    "alarmActions": ["arn:aws:autoscaling:us-west-2:123456789012:scalingPolicy:abc"],
}
TOPIC = {"name": "nox-prod-alerts", "kmsMasterKeyId": "arn:aws:kms:us-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"}
DOC = (
    '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"], '
    '"Resource": "arn:aws:secretsmanager:us-west-2:123456789012:secret:nox"}, {"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]}'
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
    (
        "aws-alb-https-listener-tls12-policy",
        INGRESS_T,
        INGRESS,
        ("metadata", "annotations", f"{ANN}ssl-policy"),
        "ELBSecurityPolicy-TLS-1-1-2017-01",
        "set alb.ingress.kubernetes.io/ssl-policy to a TLS 1.2+ policy",
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
    ("aws-security-group-rules-described", SG_T, SG, ("egress", 0, "description"), "", "egress[0] (all traffic"),
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
