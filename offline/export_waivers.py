"""checkov checks that fail on the exported plans on purpose, each with its reason.

checkov cannot read a `# checkov:skip=` comment in a Pulumi program (nor in a plan JSON), so the
waivers live here, next to the export, and offline/scan.py applies them. A waiver names the check,
the Terraform address pattern (fnmatch) and the stacks it holds for; keep reasons factual.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatch

ALL = ("dev", "staging", "prod")


@dataclass(frozen=True)
class Waiver:
    check: str
    address: str
    reason: str
    stacks: tuple[str, ...] = ALL


GRAPH = "the export does not draw references inside nested blocks or through associations, so the graph check misses it"

WAIVERS: tuple[Waiver, ...] = (
    # The db-roles function (components/dbroles.py, where the same reasons stand next to the resource).
    Waiver(
        "CKV_AWS_116",
        "aws_lambda_function.db_roles_function",
        "synchronous (RequestResponse) invocations only: a DLQ receives only async events",
    ),
    Waiver(
        "CKV_AWS_115",
        "aws_lambda_function.db_roles_function",
        "runs once per deploy; reserved concurrency would take from a fresh account's quota",
    ),
    Waiver(
        "CKV_AWS_272",
        "aws_lambda_function.db_roles_function",
        "code signing needs AWS Signer; the code is this repo's file plus pinned, hashed wheels",
    ),
    Waiver(
        "CKV_AWS_50",
        "aws_lambda_function.db_roles_function",
        "X-Ray adds nothing to one short call per deploy; its logs go to an encrypted log group",
    ),
    Waiver("CKV2_AWS_5", "aws_security_group.db_roles_sg", f"attached to the db-roles function (its nested vpc_config); {GRAPH}"),
    # Edge: ALB, its log bucket, WAF, DNS.
    Waiver("CKV2_AWS_20", "aws_lb.edge_alb", f"edge_http's default action is a 301 redirect to HTTPS (CKV_AWS_2 passes on it); {GRAPH}"),
    Waiver(
        "CKV_AWS_260", "aws_vpc_security_group_ingress_rule.edge_alb_in_80", "port 80 is open only for the listener that redirects to HTTPS"
    ),
    Waiver(
        "CKV2_AWS_76",
        "aws_lb.edge_alb",
        f"the attached WebACL runs AWSManagedRulesKnownBadInputsRuleSet (CKV_AWS_192 passes on edge_waf); {GRAPH}",
    ),
    Waiver("CKV2_AWS_23", "aws_route53_record.edge_dns", f"the record is an alias of the ALB (nested `alias` block); {GRAPH}"),
    Waiver(
        "CKV2_AWS_23",
        "aws_route53_record.edge_dns_eks",
        "an alias of the ALB the load balancer controller made for the Ingress, looked up (not a resource of this plan)",
    ),
    Waiver("CKV_AWS_150", "aws_lb.edge_alb", "dev is disposable: deletion protection is on in staging and prod", ("dev",)),
    Waiver(
        "CKV_AWS_145",
        "aws_s3_bucket.edge_access_logs",
        "ELB access logs support only SSE-S3 on the target bucket (Elastic Load Balancing user guide, access logs: bucket requirements)",
    ),
    Waiver(
        "CKV_AWS_18",
        "aws_s3_bucket.edge_access_logs",
        "this bucket is the access-log sink itself; logging it would need yet another bucket",
    ),
    Waiver(
        "CKV2_AWS_61",
        "aws_s3_bucket.edge_access_logs",
        f"edge-access-logs-lifecycle expires the logs, their noncurrent versions and delete markers; {GRAPH}",
    ),
    Waiver("CKV_AWS_144", "aws_s3_bucket.edge_access_logs", "access logs have no cross-region recovery requirement"),
    Waiver("CKV2_AWS_62", "aws_s3_bucket.edge_access_logs", "nothing consumes events from the access-log bucket"),
    Waiver(
        "CKV_AWS_378",
        "aws_lb_target_group.edge_*",
        "TLS ends at the ALB; the instances sit in private subnets whose security group admits only the ALB's (asg platform)",
    ),
    Waiver("CKV2_AWS_5", "aws_security_group.edge_app_sg", f"attached to the launch template's network interface (asg platform); {GRAPH}"),
    # Data tier.
    Waiver(
        "CKV_AWS_157",
        "aws_db_instance.database_primary",
        "dev runs a single-AZ primary to be cheaper (nox:dbMultiAz, Multi-AZ in staging/prod)",
        ("dev",),
    ),
    Waiver("CKV_AWS_293", "aws_db_instance.database_primary", "dev is disposable: deletion protection is on in staging and prod", ("dev",)),
    # EKS: the AWS Load Balancer Controller's published IAM policy.
    Waiver(
        "CKV_AWS_290",
        "aws_iam_policy.cluster_lb_controller_policy",
        "the controller's upstream iam_policy.json: Create*/tagging on `*`, constrained by request/resource tag conditions",
    ),
    Waiver(
        "CKV_AWS_355",
        "aws_iam_policy.cluster_lb_controller_policy",
        "the controller's upstream iam_policy.json: Describe*/Get* calls only work on `*`",
    ),
)


def waiver_for(check: str, address: str, stack: str) -> str | None:
    """The reason `check` may fail on `address` in `stack`, or None."""
    return next((w.reason for w in WAIVERS if w.check == check and fnmatch(address, w.address) and stack in w.stacks), None)
