"""Mocks that answer like AWS would: echo inputs, add what the cloud computes.

Every resource gets a deterministic id and, for AWS types, an ARN with region and account;
types with well-known computed outputs (endpoints, DNS names, `arnSuffix`, ...) get them from
`COMPUTED`. Data sources answer from `CALLS`. Deterministic: the same program gives the same plan.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

import pulumi

ACCOUNT = "123456789012"
# Every secret the mocks invent starts with this, so tests can prove none reaches a plan.
MOCK_SECRET_PREFIX = "MOCK-SECRET-"

Computed = Callable[["Ctx", str, dict[str, Any]], dict[str, Any]]


def _hex(seed: str, n: int) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()[:n]


class Ctx:
    def __init__(self, region: str):
        self.region = region

    def arn(self, service: str, resource: str, *, regional: bool = True) -> str:
        return f"arn:aws:{service}:{self.region if regional else ''}:{ACCOUNT}:{resource}"


def _service(token: str) -> str:
    """aws:ec2/vpc:Vpc -> ec2; aws:index/provider -> aws."""
    module = token.split(":")[1].split("/")[0]
    return {"lb": "elasticloadbalancing", "alb": "elasticloadbalancing", "cloudwatch": "logs",
            "rds": "rds", "index": "aws"}.get(module, module)


def _lb(ctx: Ctx, name: str, inp: dict[str, Any]) -> dict[str, Any]:
    lb_name = inp.get("name") or name[:32]
    kind = "net" if inp.get("loadBalancerType") == "network" else "app"
    suffix = f"{kind}/{lb_name}/{_hex(name, 16)}"
    return {"arn": ctx.arn("elasticloadbalancing", f"loadbalancer/{suffix}"), "arnSuffix": suffix,
            "dnsName": f"{lb_name}-{_hex(name, 10)}.{ctx.region}.elb.amazonaws.com", "zoneId": "Z1H1FL5HABSF5"}


def _tg(ctx: Ctx, name: str, inp: dict[str, Any]) -> dict[str, Any]:
    suffix = f"targetgroup/{inp.get('name') or name[:32]}/{_hex(name, 16)}"
    return {"arn": ctx.arn("elasticloadbalancing", suffix), "arnSuffix": suffix}


def _rds(ctx: Ctx, name: str, inp: dict[str, Any]) -> dict[str, Any]:
    ident = inp.get("identifier") or name
    address = f"{ident}.c{_hex(ident, 11)}.{ctx.region}.rds.amazonaws.com"
    return {"arn": ctx.arn("rds", f"db:{ident}"), "address": address, "endpoint": f"{address}:5432",
            "port": inp.get("port", 5432), "identifier": ident, "resourceId": f"db-{_hex(ident, 26).upper()}"}


def _replication_group(ctx: Ctx, name: str, inp: dict[str, Any]) -> dict[str, Any]:
    ident = inp.get("replicationGroupId") or name
    base = f"{ident}.{_hex(ident, 6)}.clustercfg.{_short(ctx.region)}.cache.amazonaws.com"
    return {"arn": ctx.arn("elasticache", f"replicationgroup:{ident}"), "configurationEndpointAddress": base,
            "primaryEndpointAddress": base.replace("clustercfg", "ng"), "port": inp.get("port", 6379)}


def _short(region: str) -> str:
    a, b, c = region.split("-")
    return f"{a[:3]}{b[:1]}{c}"


def _eks_cluster(ctx: Ctx, name: str, inp: dict[str, Any]) -> dict[str, Any]:
    cname = inp.get("name") or name
    oidc = f"https://oidc.eks.{ctx.region}.amazonaws.com/id/{_hex(cname, 32).upper()}"
    vpc = dict(inp.get("vpcConfig") or {})
    vpc.update({"clusterSecurityGroupId": f"sg-{_hex(cname + 'cluster', 17)}", "vpcId": f"vpc-{_hex('vpc', 17)}"})
    return {"arn": ctx.arn("eks", f"cluster/{cname}"), "name": cname,
            "endpoint": f"https://{_hex(cname, 32).upper()}.gr7.{ctx.region}.eks.amazonaws.com",
            "certificateAuthority": {"data": "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1PQ0sKLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo="},
            "identities": [{"oidcs": [{"issuer": oidc}]}], "vpcConfig": vpc, "version": inp.get("version"),
            "platformVersion": "eks.1", "status": "ACTIVE"}


def _random_secret(ctx: Ctx, name: str, inp: dict[str, Any]) -> dict[str, Any]:
    length = int(inp.get("length", 32))
    value = (MOCK_SECRET_PREFIX + name + "-" + _hex(name, 64))[:max(length, len(MOCK_SECRET_PREFIX) + 4)]
    return {"result": value, "bcryptHash": MOCK_SECRET_PREFIX + "bcrypt-" + _hex(name, 8)}


def _certificate(ctx: Ctx, name: str, inp: dict[str, Any]) -> dict[str, Any]:
    domain = inp.get("domainName", "example.com")
    return {"arn": ctx.arn("acm", f"certificate/{_uuid(name)}"), "status": "ISSUED",
            "domainValidationOptions": [{"domainName": domain, "resourceRecordName": f"_{_hex(domain, 32)}.{domain}.",
                                         "resourceRecordType": "CNAME",
                                         "resourceRecordValue": f"_{_hex(domain + 'v', 32)}.acm-validations.aws."}]}


def _uuid(seed: str) -> str:
    h = _hex(seed, 32)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


# Type token -> computed outputs. Add an entry when a component needs a cloud-computed value.
COMPUTED: dict[str, Computed] = {
    "aws:lb/loadBalancer:LoadBalancer": _lb,
    "aws:alb/loadBalancer:LoadBalancer": _lb,
    "aws:lb/targetGroup:TargetGroup": _tg,
    "aws:alb/targetGroup:TargetGroup": _tg,
    "aws:rds/instance:Instance": _rds,
    "aws:elasticache/replicationGroup:ReplicationGroup": _replication_group,
    "aws:eks/cluster:Cluster": _eks_cluster,
    "random:index/randomPassword:RandomPassword": _random_secret,
    "aws:acm/certificate:Certificate": _certificate,
    "aws:kms/key:Key": lambda ctx, name, inp: {"keyId": _uuid(name), "arn": ctx.arn("kms", f"key/{_uuid(name)}")},
    "aws:iam/role:Role": lambda ctx, name, inp: {"arn": ctx.arn("iam", f"role/{inp.get('name') or name}", regional=False),
                                                 "name": inp.get("name") or name, "uniqueId": "AROA" + _hex(name, 17).upper()},
    "aws:iam/instanceProfile:InstanceProfile": lambda ctx, name, inp: {
        "arn": ctx.arn("iam", f"instance-profile/{inp.get('name') or name}", regional=False), "name": inp.get("name") or name},
    "aws:iam/policy:Policy": lambda ctx, name, inp: {"arn": ctx.arn("iam", f"policy/{inp.get('name') or name}", regional=False)},
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": lambda ctx, name, inp: {
        "arn": ctx.arn("iam", "oidc-provider/" + str(inp.get("url", "")).removeprefix("https://"), regional=False)},
    "aws:s3/bucket:Bucket": lambda ctx, name, inp: {
        "bucket": inp.get("bucket") or name, "arn": f"arn:aws:s3:::{inp.get('bucket') or name}",
        "bucketRegionalDomainName": f"{inp.get('bucket') or name}.s3.{ctx.region}.amazonaws.com"},
    "aws:s3/bucketV2:BucketV2": lambda ctx, name, inp: {
        "bucket": inp.get("bucket") or name, "arn": f"arn:aws:s3:::{inp.get('bucket') or name}"},
    "aws:cloudwatch/logGroup:LogGroup": lambda ctx, name, inp: {
        "arn": ctx.arn("logs", f"log-group:{inp.get('name') or name}")},
    "aws:secretsmanager/secret:Secret": lambda ctx, name, inp: {
        "arn": ctx.arn("secretsmanager", f"secret:{inp.get('name') or name}-{_hex(name, 6)}")},
    "aws:wafv2/webAcl:WebAcl": lambda ctx, name, inp: {
        "arn": ctx.arn("wafv2", f"regional/webacl/{inp.get('name') or name}/{_uuid(name)}"), "capacity": 700},
    "aws:autoscaling/group:Group": lambda ctx, name, inp: {"name": inp.get("name") or name,
        "arn": ctx.arn("autoscaling", f"autoScalingGroup:{_uuid(name)}:autoScalingGroupName/{inp.get('name') or name}")},
    "aws:autoscaling/policy:Policy": lambda ctx, name, inp: {"arn": ctx.arn(
        "autoscaling", f"scalingPolicy:{_uuid(name)}:autoScalingGroupName/{inp.get('autoscalingGroupName')}:policyName/{inp.get('name') or name}")},
    "aws:ec2/launchTemplate:LaunchTemplate": lambda ctx, name, inp: {"latestVersion": 1, "defaultVersion": 1,
        "arn": ctx.arn("ec2", f"launch-template/lt-{_hex(name, 17)}")},
    "aws:sns/topic:Topic": lambda ctx, name, inp: {"arn": ctx.arn("sns", inp.get("name") or name)},
}

# Prefixes AWS uses for ids, so ids in a plan look like the ones in a console.
ID_PREFIX = {
    "aws:ec2/vpc:Vpc": "vpc-", "aws:ec2/subnet:Subnet": "subnet-", "aws:ec2/securityGroup:SecurityGroup": "sg-",
    "aws:ec2/internetGateway:InternetGateway": "igw-", "aws:ec2/natGateway:NatGateway": "nat-",
    "aws:ec2/eip:Eip": "eipalloc-", "aws:ec2/routeTable:RouteTable": "rtb-", "aws:ec2/vpcEndpoint:VpcEndpoint": "vpce-",
    "aws:ec2/launchTemplate:LaunchTemplate": "lt-", "aws:ec2/flowLog:FlowLog": "fl-",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "sg-",
}


def _resource_id(token: str, name: str, state: dict[str, Any]) -> str:
    if token in ID_PREFIX:
        return ID_PREFIX[token] + _hex(token + name, 17)
    for key in ("arn", "name", "bucket", "identifier", "replicationGroupId"):
        if isinstance(state.get(key), str) and state[key]:
            return state[key]
    return f"{name}-{_hex(token + name, 8)}"


def _policy_document(inp: dict[str, Any]) -> dict[str, Any]:
    """aws:iam/getPolicyDocument rendered to the JSON IAM would see."""
    statements = []
    for s in inp.get("statements") or []:
        out: dict[str, Any] = {}
        if s.get("sid"):
            out["Sid"] = s["sid"]
        out["Effect"] = s.get("effect", "Allow")
        for field, key in (("actions", "Action"), ("notActions", "NotAction"), ("resources", "Resource"),
                           ("notResources", "NotResource")):
            if s.get(field):
                vals = s[field]
                out[key] = vals[0] if len(vals) == 1 else vals
        for field, key in (("principals", "Principal"), ("notPrincipals", "NotPrincipal")):
            if s.get(field):
                out[key] = {p["type"]: p["identifiers"][0] if len(p["identifiers"]) == 1 else p["identifiers"]
                            for p in s[field]}
        if s.get("conditions"):
            cond: dict[str, Any] = {}
            for c in s["conditions"]:
                vals = c["values"]
                cond.setdefault(c["test"], {})[c["variable"]] = vals[0] if len(vals) == 1 else vals
            out["Condition"] = cond
        statements.append(out)
    doc = {"Version": inp.get("version", "2012-10-17"), "Statement": statements}
    return {"json": json.dumps(doc, indent=2), "minifiedJson": json.dumps(doc, separators=(",", ":")), "id": _hex(json.dumps(doc), 10)}


class NoxMocks(pulumi.runtime.Mocks):
    def __init__(self, region: str):
        self.ctx = Ctx(region)

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        state = dict(args.inputs)
        token = args.typ
        if token in COMPUTED:
            state.update(COMPUTED[token](self.ctx, args.name, args.inputs))
        if token.startswith("aws:") and "arn" not in state and not token.startswith("pulumi:"):
            state["arn"] = self.ctx.arn(_service(token), f"{token.split(':')[-1].lower()}/{args.name}")
        if token.startswith("aws:") and "tags" in state:
            state.setdefault("tagsAll", state["tags"])
        return _resource_id(token, args.name, state), state

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        handler = CALLS.get(args.token)
        return handler(self.ctx, dict(args.args)) if handler else {}


def _azs(ctx: Ctx, inp: dict[str, Any]) -> dict[str, Any]:
    letters = "abcd"
    return {"names": [f"{ctx.region}{x}" for x in letters], "zoneIds": [f"{_short(ctx.region)[:3]}2-az{i + 1}" for i in range(4)],
            "id": ctx.region, "state": inp.get("state")}


def _ssm_parameter(ctx: Ctx, inp: dict[str, Any]) -> dict[str, Any]:
    name = inp.get("name", "")
    value = f"ami-0{_hex(name, 16)}" if "/ami/" in name or "ami-" in name else f"mock-{_hex(name, 8)}"
    return {"name": name, "value": value, "insecureValue": value, "type": "String", "arn": ctx.arn("ssm", f"parameter{name}")}


CALLS: dict[str, Callable[[Ctx, dict[str, Any]], dict[str, Any]]] = {
    "aws:index/getAvailabilityZones:getAvailabilityZones": _azs,
    "aws:index/getCallerIdentity:getCallerIdentity": lambda ctx, inp: {
        "accountId": ACCOUNT, "arn": f"arn:aws:iam::{ACCOUNT}:user/offline-plan", "userId": "AIDAOFFLINEPLAN", "id": ACCOUNT},
    "aws:index/getRegion:getRegion": lambda ctx, inp: {
        "name": ctx.region, "region": ctx.region, "id": ctx.region, "endpoint": f"ec2.{ctx.region}.amazonaws.com",
        "description": ctx.region},
    "aws:index/getPartition:getPartition": lambda ctx, inp: {
        "partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws", "reverseDnsPrefix": "com.amazonaws"},
    "aws:ssm/getParameter:getParameter": _ssm_parameter,
    "aws:ec2/getAmi:getAmi": lambda ctx, inp: {"id": f"ami-0{_hex(str(inp), 16)}", "architecture": "x86_64"},
    "aws:iam/getPolicyDocument:getPolicyDocument": lambda ctx, inp: _policy_document(inp),
}
