"""STUB (replaced by the EKS issue): interface only."""
from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from settings import EksSettings


@dataclass(frozen=True)
class ClusterArgs:
    settings: EksSettings
    name_prefix: str
    protect: bool
    vpc_id: pulumi.Input[str]
    private_subnet_ids: list[pulumi.Output[str]]
    log_key: aws.kms.Key
    log_retention_days: int


class Cluster(pulumi.ComponentResource):
    def __init__(self, name: str, args: ClusterArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("nox:eks:Cluster", name, None, opts)
        stub = pulumi.Output.from_input("stub")
        self.eks_cluster = SimpleNamespace(name=stub)
        self.node_security_group_id = stub
        self.kubeconfig = pulumi.Output.secret("{}")
        self.k8s_provider = k8s.Provider(f"{name}-k8s", kubeconfig=self.kubeconfig, opts=pulumi.ResourceOptions(parent=self))
        self.register_outputs({})
