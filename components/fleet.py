"""STUB (replaced by the edge/fleet issue): interface only."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from settings import FleetSettings, ReleaseSettings


@dataclass(frozen=True)
class FleetArgs:
    settings: FleetSettings
    release: ReleaseSettings
    name_prefix: str
    protect: bool
    private_subnet_ids: list[pulumi.Output[str]]
    app_security_group_id: pulumi.Input[str]
    target_group_arns: dict[str, list[pulumi.Output[str]]]
    secrets: Any  # components.secrets.AppSecrets
    db_pool_max: int
    region: str


class AppFleet(pulumi.ComponentResource):
    def __init__(self, name: str, args: FleetArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("nox:fleet:AppFleet", name, None, opts)
        self.groups = {}
        self.register_outputs({})
