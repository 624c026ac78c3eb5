"""STUB (replaced by the EKS issue): interface only."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi


@dataclass(frozen=True)
class WorkloadArgs:
    settings: Any  # settings.StackSettings
    cluster: Any  # components.cluster.Cluster
    secrets: Any  # components.secrets.AppSecrets
    edge: Any  # components.edge.Edge
    db_pool_max: int


class Workload(pulumi.ComponentResource):
    def __init__(self, name: str, args: WorkloadArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("nox:eks:Workload", name, None, opts)
        self.register_outputs({})
