"""Private S3 buckets, built one way: the edge's access logs and log search's failed documents.

A bucket here is owner-enforced (no ACLs), blocks every kind of public access, encrypts by default
and gets its policy only after the public access block (S3 rejects concurrent bucket
configuration changes). The callers add what differs: encryption, versioning, lifecycle, policy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class PrivateBucket:
    stem: str  # logical-name stem of the bucket and its parts
    bucket: aws.s3.Bucket
    ownership: aws.s3.BucketOwnershipControls
    public_block: aws.s3.BucketPublicAccessBlock
    encryption: aws.s3.BucketServerSideEncryptionConfiguration

    def policy(self, document: pulumi.Input[str]) -> aws.s3.BucketPolicy:
        return aws.s3.BucketPolicy(
            f"{self.stem}-policy",
            bucket=self.bucket.bucket,
            policy=document,
            opts=pulumi.ResourceOptions(parent=self.bucket, depends_on=[self.public_block]),
        )

    @property
    def ready(self) -> list[pulumi.Resource]:
        """What a writer (an ALB, a stream) waits for besides the policy."""
        return [self.ownership, self.public_block, self.encryption]


def private_bucket(
    stem: str, *, bucket_prefix: str, name_tag: str, protect: bool, parent: pulumi.Resource, encryption: dict[str, Any]
) -> PrivateBucket:
    """`stem` names the bucket (`stem`) and its parts (`stem-ownership`, `-public-access`, `-encryption`)."""
    bucket = aws.s3.Bucket(
        stem,
        bucket_prefix=bucket_prefix,
        force_destroy=not protect,
        tags={"Name": name_tag},
        opts=pulumi.ResourceOptions(parent=parent, protect=protect),
    )
    child = pulumi.ResourceOptions(parent=bucket)
    ownership = aws.s3.BucketOwnershipControls(
        f"{stem}-ownership", bucket=bucket.bucket, rule={"object_ownership": "BucketOwnerEnforced"}, opts=child
    )
    public_block = aws.s3.BucketPublicAccessBlock(
        f"{stem}-public-access",
        bucket=bucket.bucket,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        opts=child,
    )
    sse = aws.s3.BucketServerSideEncryptionConfiguration(f"{stem}-encryption", bucket=bucket.bucket, rules=[encryption], opts=child)
    return PrivateBucket(stem, bucket, ownership, public_block, sse)
