"""AWS resource policies, one module per service (as pulumi/compliance-policies splits them); the
whole-stack ones are in `stack.py`. Each check is a plain function `Res -> messages`;
`resource_policy` wraps it for the engine."""

from __future__ import annotations

from . import autoscaling, cloudwatch, ec2, eks, elasticache, elb, iam, kms, opensearch, rds, s3, sns, wafv2

POLICIES = [
    *elb.POLICIES,
    *wafv2.POLICIES,
    *autoscaling.POLICIES,
    *ec2.POLICIES,
    *rds.POLICIES,
    *elasticache.POLICIES,
    *opensearch.POLICIES,
    *eks.POLICIES,
    *s3.POLICIES,
    *kms.POLICIES,
    *cloudwatch.POLICIES,
    *sns.POLICIES,
    *iam.POLICIES,
]
