"""STUB (replaced by the data issue): interface only."""
from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

import pulumi


@dataclass(frozen=True)
class AppSecretsArgs:
    name_prefix: str
    protect: bool
    database_url: pulumi.Output[str]
    database_readonly_url: pulumi.Output[str] | None
    redis_url: pulumi.Output[str]


class AppSecrets(pulumi.ComponentResource):
    def __init__(self, name: str, args: AppSecretsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("nox:data:AppSecrets", name, None, opts)
        self.secret = SimpleNamespace(arn=pulumi.Output.from_input("stub"))
        self.register_outputs({})
