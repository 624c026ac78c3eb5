"""STUB (replaced by the data issue): interface only."""
from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

import pulumi

from settings import DatabaseSettings


@dataclass(frozen=True)
class DatabaseArgs:
    settings: DatabaseSettings
    name_prefix: str
    protect: bool
    vpc_id: pulumi.Input[str]
    data_subnet_ids: list[pulumi.Output[str]]
    app_security_group_ids: list[pulumi.Input[str]]


class Database(pulumi.ComponentResource):
    def __init__(self, name: str, args: DatabaseArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("nox:data:Database", name, None, opts)
        stub = pulumi.Output.secret("postgres://stub")
        self.primary = SimpleNamespace(address=pulumi.Output.from_input("stub"))
        self.replica = None
        self.url = stub
        self.readonly_url = None
        self.register_outputs({})
