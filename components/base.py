"""Fields that many components' args share, declared once.

Mixed into the args dataclasses (keyword-only, so the order of the mix-ins never matters):
`Named` for the physical-name prefix, `Protected` for `protect`, `InVpc` for the VPC,
`Logged` for the customer key and retention of the log groups a component creates.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True, kw_only=True)
class Named:
    name_prefix: str  # physical-name prefix, e.g. nox-prod


@dataclass(frozen=True, kw_only=True)
class Protected(Named):
    protect: bool  # `protect` on stateful resources (and deletion protection where the service has one)


@dataclass(frozen=True, kw_only=True)
class InVpc:
    vpc_id: pulumi.Input[str]


@dataclass(frozen=True, kw_only=True)
class Logged:
    log_key: aws.kms.Key  # customer key of the log groups created
    log_retention_days: int
