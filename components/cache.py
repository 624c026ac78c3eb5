"""STUB (replaced by the data issue): interface only."""
from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

import pulumi
import pulumi_aws as aws

from settings import CacheSettings


@dataclass(frozen=True)
class CacheArgs:
    settings: CacheSettings
    name_prefix: str
    protect: bool
    vpc_id: pulumi.Input[str]
    data_subnet_ids: list[pulumi.Output[str]]
    app_security_group_ids: list[pulumi.Input[str]]
    log_key: aws.kms.Key
    log_retention_days: int


class Cache(pulumi.ComponentResource):
    def __init__(self, name: str, args: CacheArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("nox:data:Cache", name, None, opts)
        self.replication_group = SimpleNamespace(configuration_endpoint_address=pulumi.Output.from_input("stub"))
        self.url = pulumi.Output.secret("rediss://stub")
        self.register_outputs({})
