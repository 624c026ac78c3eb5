"""How long `pulumi up` (and `pulumi destroy`) of a plan takes: the longest chain of its dependency graph.

The engine starts a resource once every resource it depends on is done, and runs the rest in
parallel. Edges: a resource's recorded `dependencies` (explicit `depends_on` plus every resource
whose outputs it reads); a component is done when all its children are, so depending on a
component waits for its whole subtree. Each custom resource takes its type's typical time
(CREATE_MINUTES); a destroy walks the same graph backwards with DESTROY_MINUTES.

Times are typical observed figures, not guarantees: AWS publishes no provisioning SLAs. Sources
per line; "observed" means the provider's create waiter in practice (terraform-provider-aws and
pulumi-aws share it), with the provider's default timeout as the upper bound.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .graph import PlanView

DEFAULT_CREATE_MINUTES = 0.1  # an API call that returns at once (IAM, SGs, subnets, routes, params)
DEFAULT_DESTROY_MINUTES = 0.1

# type -> minutes, or a function of the resource's inputs.
CREATE_MINUTES: DurationTable = {
    # EKS user guide, "Create a cluster": "Cluster provisioning takes several minutes"; ~10 observed.
    "aws:eks/cluster:Cluster": 10.0,
    # Managed node group: instances launched and joined (EKS user guide, "Create a managed node group"); ~4 observed.
    "aws:eks/nodeGroup:NodeGroup": 4.0,
    # Add-ons reach ACTIVE in about a minute; coredns and the CSI driver wait for nodes (modelled by their dependencies).
    "aws:eks/addon:Addon": 1.0,
    # RDS: Single-AZ ~10 min, Multi-AZ ~15 (standby created and synchronised), a read replica
    # ~12 after its primary is available (snapshot of the primary, restore, catch-up).
    "aws:rds/instance:Instance": lambda i: 12.0 if i.get("replicateSourceDb") else 15.0 if i.get("multiAz") else 10.0,
    # ElastiCache replication group with cluster mode: ~10-15 min observed; more with replicas.
    "aws:elasticache/replicationGroup:ReplicationGroup": lambda i: 15.0 if _num(i.get("replicasPerNodeGroup")) else 10.0,
    # NAT gateway: pending -> available in 1-3 minutes (VPC user guide, "NAT gateways").
    "aws:ec2/natGateway:NatGateway": 2.0,
    # ACM DNS validation: a few minutes once the CNAME resolves (ACM user guide: "can take up to 30 minutes").
    "aws:acm/certificateValidation:CertificateValidation": 3.0,
    # ALB: provisioning -> active in 2-3 minutes observed.
    "aws:lb/loadBalancer:LoadBalancer": 3.0,
    # Ingress: the Kubernetes provider waits for the controller's ALB to report an address.
    "kubernetes:networking.k8s.io/v1:Ingress": 3.0,
    # Interface endpoints: pending -> available in ~2 minutes; gateway endpoints at once.
    "aws:ec2/vpcEndpoint:VpcEndpoint": lambda i: 2.0 if i.get("vpcEndpointType") == "Interface" else 0.2,
    # ASG: the provider waits for the desired instances to be InService (wait_for_capacity, 10 min timeout).
    "aws:autoscaling/group:Group": 4.0,
    # Helm releases and Deployments: the provider waits until the pods are ready.
    "kubernetes:helm.sh/v3:Release": 2.0,
    "kubernetes:apps/v1:Deployment": 2.0,
    # OpenSearch domains take 15-20 minutes (OpenSearch Service developer guide, "Creating domains").
    "aws:opensearch/domain:Domain": 20.0,
    "aws:wafv2/webAcl:WebAcl": 0.5,
    "aws:kms/key:Key": 0.3,
    "aws:eks/accessEntry:AccessEntry": 0.2,
    "aws:s3/bucket:Bucket": 0.2,
    "aws:backup/vault:Vault": 0.2,
    "aws:amp/workspace:Workspace": 1.0,
}

DESTROY_MINUTES: DurationTable = {
    "aws:eks/cluster:Cluster": 8.0,
    "aws:eks/nodeGroup:NodeGroup": 6.0,  # drain and terminate
    "aws:eks/addon:Addon": 1.0,
    "aws:rds/instance:Instance": lambda i: 5.0 if i.get("replicateSourceDb") else 10.0,  # a final snapshot first
    "aws:elasticache/replicationGroup:ReplicationGroup": 8.0,
    "aws:ec2/natGateway:NatGateway": 1.5,
    "aws:lb/loadBalancer:LoadBalancer": 1.0,
    "kubernetes:networking.k8s.io/v1:Ingress": 1.5,  # the controller deletes the ALB and its ENIs
    "aws:ec2/vpcEndpoint:VpcEndpoint": lambda i: 2.0 if i.get("vpcEndpointType") == "Interface" else 0.2,
    "aws:autoscaling/group:Group": 3.0,  # instances terminated first
    "kubernetes:helm.sh/v3:Release": 1.0,
    "aws:opensearch/domain:Domain": 10.0,
    "aws:ec2/subnet:Subnet": 0.5,  # waits for ENIs left by load balancers and endpoints
}


def _num(value: Any) -> float:
    return 0.0 if value is None else float(value)


# resource type -> minutes, or a function of the resource giving them
DurationTable = dict[str, float | Callable[[dict[str, Any]], float]]


def minutes(res: dict[str, Any], table: DurationTable, default: float) -> float:
    if not res["custom"]:
        return 0.0  # a component does nothing itself
    if res["type"].startswith(("pulumi:providers:", "random:")):
        return 0.0
    entry = table.get(res["type"], default)
    return float(entry(res["inputs"]) if callable(entry) else entry)


def _descendants(view: PlanView, urn: str) -> list[str]:
    """Every resource under `urn`: a component is done when the children of its children are too
    (a certificate's validation is the certificate's child, yet part of the edge)."""
    out: list[str] = []
    for child in view.children.get(urn, []):
        out += [child["urn"], *_descendants(view, child["urn"])]
    return out


def _prerequisites(view: PlanView) -> dict[str, list[str]]:
    """urn -> URNs that must be done before it is: its dependencies and, for a component, its subtree."""
    pre: dict[str, list[str]] = {}
    for res in view.resources:
        deps = [d for d in res["dependencies"] if d in view.by_urn]
        pre[res["urn"]] = deps + ([] if res["custom"] else _descendants(view, res["urn"]))
    return pre


def _reverse(pre: dict[str, list[str]], view: PlanView) -> dict[str, list[str]]:
    """For a destroy: a resource goes once everything that depended on it is gone.

    Component membership is kept forward (a component is gone when its children are); only the
    dependency edges flip.
    """
    out: dict[str, list[str]] = {urn: [] for urn in pre}
    for res in view.resources:
        for dep in res["dependencies"]:
            if dep in out:
                out[dep].append(res["urn"])
        if not res["custom"]:
            out[res["urn"]] += _descendants(view, res["urn"])
    return out


def schedule(pre: dict[str, list[str]], duration: dict[str, float]) -> tuple[dict[str, float], dict[str, str | None]]:
    """Earliest finish per URN with unlimited parallelism, and the prerequisite that finished last."""
    finish: dict[str, float] = {}
    last: dict[str, str | None] = {}

    def visit(urn: str, path: tuple[str, ...] = ()) -> float:
        if urn in finish:
            return finish[urn]
        if urn in path:
            raise ValueError(f"dependency cycle through {urn}")
        start, before = 0.0, None
        for p in pre[urn]:
            done = visit(p, (*path, urn))
            if before is None or done > start:
                start, before = done, p
        finish[urn], last[urn] = start + duration[urn], before
        return finish[urn]

    for urn in pre:
        visit(urn)
    return finish, last


def critical_path(finish: dict[str, float], last: dict[str, str | None], duration: dict[str, float]) -> list[str]:
    """The chain that ends last, first resource first; components (zero time) left out."""
    if not finish:
        return []
    urn: str | None = max(finish, key=lambda u: (finish[u], u))
    chain: list[str] = []
    while urn is not None:
        if duration[urn] > 0:
            chain.append(urn)
        urn = last[urn]
    return chain[::-1]


def _run(view: PlanView, pre: dict[str, list[str]], table: DurationTable, default: float) -> tuple[float, list[str], dict[str, float]]:
    duration = {r["urn"]: minutes(r, table, default) for r in view.resources}
    finish, last = schedule(pre, duration)
    return round(max(finish.values(), default=0.0), 1), critical_path(finish, last, duration), finish


def estimate(doc: dict[str, Any]) -> dict[str, Any]:
    """createMinutes, destroyMinutes, criticalPath (URNs) and when each top-level component is ready."""
    view = PlanView(doc)
    pre = _prerequisites(view)
    create, path, finish = _run(view, pre, CREATE_MINUTES, DEFAULT_CREATE_MINUTES)
    destroy, destroy_path, _ = _run(view, _reverse(pre, view), DESTROY_MINUTES, DEFAULT_DESTROY_MINUTES)
    top = [r for r in view.resources if not r["custom"] and view.component(r["urn"]) == r["name"]]
    return {
        "createMinutes": create,
        "destroyMinutes": destroy,
        "criticalPath": path,
        "destroyCriticalPath": destroy_path,
        "componentReadyMinutes": {r["name"]: round(finish[r["urn"]], 1) for r in top},
    }
