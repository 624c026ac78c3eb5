"""Mocks that answer like AWS would: echo inputs, add what the cloud computes.

Every resource gets a deterministic id and, for AWS types, an ARN with region and account;
types with well-known computed outputs (endpoints, DNS names, `arnSuffix`, ...) get them from
`COMPUTED`. Data sources answer from `CALLS`. Deterministic: the same program gives the same plan.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import json
import re
from collections.abc import Callable
from typing import Any

import pulumi

ACCOUNT = "123456789012"
# Every secret the mocks invent starts with this, so tests can prove none reaches a plan.
MOCK_SECRET_PREFIX = "MOCK-SECRET-"

Computed = Callable[["Ctx", str, dict[str, Any]], dict[str, Any]]


def _hex(seed: str, n: int) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()[:n]


# Global services: their ARNs carry no region; S3 and Route 53 ARNs carry no account either.
GLOBAL_SERVICES = frozenset({"iam", "s3", "cloudfront", "route53", "waf", "organizations", "globalaccelerator", "shield"})
NO_ACCOUNT_SERVICES = frozenset({"s3", "route53"})
# pulumi-aws module -> the service name in its ARNs, where they differ.
ARN_SERVICE = {
    "lb": "elasticloadbalancing",
    "alb": "elasticloadbalancing",
    "elb": "elasticloadbalancing",
    "appautoscaling": "application-autoscaling",
    "cognito": "cognito-idp",
    "sfn": "states",
    "index": "aws",
}


class Ctx:
    def __init__(self, region: str):
        self.region = region

    def arn(self, service: str, resource: str, *, regional: bool | None = None) -> str:
        """arn:aws:<service>:<region>:<account>:<resource>; region and account left out where AWS does."""
        regional = service not in GLOBAL_SERVICES if regional is None else regional
        account = "" if service in NO_ACCOUNT_SERVICES else ACCOUNT
        return f"arn:aws:{service}:{self.region if regional else ''}:{account}:{resource}"


def _service(token: str) -> str:
    """aws:ec2/vpc:Vpc -> ec2; aws:cloudwatch/logGroup:LogGroup -> logs; aws:lb/... -> elasticloadbalancing."""
    module, cls = token.split(":")[1].split("/")[0], token.rsplit(":", 1)[-1]
    if module == "cloudwatch":
        return "logs" if cls.startswith("Log") else "events" if cls.startswith("Event") else "cloudwatch"
    return ARN_SERVICE.get(module, module)


# The canonical hosted zone of ALBs in us-west-2 (AWS General Reference, "Elastic Load Balancing endpoints and quotas").
ALB_ZONE_ID = "Z1H1FL5HABSF5"


def _lb(ctx: Ctx, name: str, inp: dict[str, Any]) -> dict[str, Any]:
    lb_name = inp.get("name") or name[:32]
    kind = "net" if inp.get("loadBalancerType") == "network" else "app"
    suffix = f"{kind}/{lb_name}/{_hex(name, 16)}"
    return {
        "arn": ctx.arn("elasticloadbalancing", f"loadbalancer/{suffix}"),
        "arnSuffix": suffix,
        "dnsName": f"{lb_name}-{_hex(name, 10)}.{ctx.region}.elb.amazonaws.com",
        "zoneId": ALB_ZONE_ID,
    }


def _tg(ctx: Ctx, name: str, inp: dict[str, Any]) -> dict[str, Any]:
    suffix = f"targetgroup/{inp.get('name') or name[:32]}/{_hex(name, 16)}"
    return {"arn": ctx.arn("elasticloadbalancing", suffix), "arnSuffix": suffix}


def _rds(ctx: Ctx, name: str, inp: dict[str, Any]) -> dict[str, Any]:
    ident = inp.get("identifier") or name
    address = f"{ident}.c{_hex(ident, 11)}.{ctx.region}.rds.amazonaws.com"
    return {
        "arn": ctx.arn("rds", f"db:{ident}"),
        "address": address,
        "endpoint": f"{address}:5432",
        "port": inp.get("port", 5432),
        "identifier": ident,
        "resourceId": f"db-{_hex(ident, 26).upper()}",
        # RDS names its managed master secret rds!db-<uuid> and encrypts it with the given key.
        **(
            {
                "masterUserSecrets": [
                    {
                        "secretArn": ctx.arn("secretsmanager", f"secret:rds!db-{_uuid(ident)}-{_hex(ident, 6)}"),
                        "kmsKeyId": inp.get("masterUserSecretKmsKeyId"),
                        "secretStatus": "active",
                    }
                ]
            }
            if inp.get("manageMasterUserPassword")
            else {}
        ),
    }


def _replication_group(ctx: Ctx, name: str, inp: dict[str, Any]) -> dict[str, Any]:
    ident = inp.get("replicationGroupId") or name
    base = f"{ident}.{_hex(ident, 6)}.clustercfg.{_short(ctx.region)}.cache.amazonaws.com"
    return {
        "arn": ctx.arn("elasticache", f"replicationgroup:{ident}"),
        "configurationEndpointAddress": base,
        "primaryEndpointAddress": base.replace("clustercfg", "ng"),
        "port": inp.get("port", 6379),
    }


def _short(region: str) -> str:
    a, b, c = region.split("-")
    return f"{a[:3]}{b[:1]}{c}"


def _eks_cluster(ctx: Ctx, name: str, inp: dict[str, Any]) -> dict[str, Any]:
    cname = inp.get("name") or name
    oidc = f"https://oidc.eks.{ctx.region}.amazonaws.com/id/{_hex(cname, 32).upper()}"
    vpc = dict(inp.get("vpcConfig") or {})
    vpc.update({"clusterSecurityGroupId": f"sg-{_hex(cname + 'cluster', 17)}", "vpcId": f"vpc-{_hex('vpc', 17)}"})
    return {
        "arn": ctx.arn("eks", f"cluster/{cname}"),
        "name": cname,
        "endpoint": f"https://{_hex(cname, 32).upper()}.gr7.{ctx.region}.eks.amazonaws.com",
        "certificateAuthority": {"data": "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1PQ0sKLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo="},
        "identities": [{"oidcs": [{"issuer": oidc}]}],
        "vpcConfig": vpc,
        "version": inp.get("version"),
        "platformVersion": "eks.1",
        "status": "ACTIVE",
    }


def _random_secret(ctx: Ctx, name: str, inp: dict[str, Any]) -> dict[str, Any]:
    length = int(inp.get("length", 32))
    value = (MOCK_SECRET_PREFIX + name + "-" + _hex(name, 64))[: max(length, len(MOCK_SECRET_PREFIX) + 4)]
    return {"result": value, "bcryptHash": MOCK_SECRET_PREFIX + "bcrypt-" + _hex(name, 8)}


def _certificate(ctx: Ctx, name: str, inp: dict[str, Any]) -> dict[str, Any]:
    domain = inp.get("domainName", "example.com")
    return {
        "arn": ctx.arn("acm", f"certificate/{_uuid(name)}"),
        "status": "ISSUED",
        "domainValidationOptions": [
            {
                "domainName": domain,
                "resourceRecordName": f"_{_hex(domain, 32)}.{domain}.",
                "resourceRecordType": "CNAME",
                "resourceRecordValue": f"_{_hex(domain + 'v', 32)}.acm-validations.aws.",
            }
        ],
    }


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
    "aws:iam/role:Role": lambda ctx, name, inp: {
        "arn": ctx.arn("iam", f"role/{inp.get('name') or name}", regional=False),
        "name": inp.get("name") or name,
        "uniqueId": "AROA" + _hex(name, 17).upper(),
    },
    "aws:iam/instanceProfile:InstanceProfile": lambda ctx, name, inp: {
        "arn": ctx.arn("iam", f"instance-profile/{inp.get('name') or name}", regional=False),
        "name": inp.get("name") or name,
    },
    "aws:iam/policy:Policy": lambda ctx, name, inp: {"arn": ctx.arn("iam", f"policy/{inp.get('name') or name}", regional=False)},
    # The queue URL (also its id in the provider): https://sqs.<region>.amazonaws.com/<account>/<name>.
    "aws:sqs/queue:Queue": lambda ctx, name, inp: {"url": f"https://sqs.{ctx.region}.amazonaws.com/{ACCOUNT}/{inp.get('name') or name}"},
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": lambda ctx, name, inp: {
        "arn": ctx.arn("iam", "oidc-provider/" + str(inp.get("url", "")).removeprefix("https://"), regional=False)
    },
    "aws:s3/bucket:Bucket": lambda ctx, name, inp: {
        "bucket": inp.get("bucket") or name,
        "arn": f"arn:aws:s3:::{inp.get('bucket') or name}",
        "bucketRegionalDomainName": f"{inp.get('bucket') or name}.s3.{ctx.region}.amazonaws.com",
    },
    "aws:s3/bucketV2:BucketV2": lambda ctx, name, inp: {
        "bucket": inp.get("bucket") or name,
        "arn": f"arn:aws:s3:::{inp.get('bucket') or name}",
    },
    "aws:cloudwatch/logGroup:LogGroup": lambda ctx, name, inp: {"arn": ctx.arn("logs", f"log-group:{inp.get('name') or name}")},
    "aws:secretsmanager/secret:Secret": lambda ctx, name, inp: {
        "arn": ctx.arn("secretsmanager", f"secret:{inp.get('name') or name}-{_hex(name, 6)}")
    },
    "aws:wafv2/webAcl:WebAcl": lambda ctx, name, inp: {
        "arn": ctx.arn("wafv2", f"regional/webacl/{inp.get('name') or name}/{_uuid(name)}"),
        "capacity": 700,
    },
    "aws:autoscaling/group:Group": lambda ctx, name, inp: {
        "name": inp.get("name") or name,
        "arn": ctx.arn("autoscaling", f"autoScalingGroup:{_uuid(name)}:autoScalingGroupName/{inp.get('name') or name}"),
    },
    "aws:autoscaling/policy:Policy": lambda ctx, name, inp: {
        "arn": ctx.arn(
            "autoscaling",
            f"scalingPolicy:{_uuid(name)}:autoScalingGroupName/{inp.get('autoscalingGroupName')}:policyName/{inp.get('name') or name}",
        )
    },
    "aws:ec2/launchTemplate:LaunchTemplate": lambda ctx, name, inp: {
        "latestVersion": 1,
        "defaultVersion": 1,
        "arn": ctx.arn("ec2", f"launch-template/lt-{_hex(name, 17)}"),
    },
    "aws:sns/topic:Topic": lambda ctx, name, inp: {"arn": ctx.arn("sns", inp.get("name") or name)},
    # AMP: ARNs under the `aps` service, ids `ws-<uuid>` (the workspace id every AMP API takes).
    "aws:amp/workspace:Workspace": lambda ctx, name, inp: {
        "arn": ctx.arn("aps", f"workspace/ws-{_uuid(name)}"),
        "prometheusEndpoint": f"https://aps-workspaces.{ctx.region}.amazonaws.com/workspaces/ws-{_uuid(name)}/",
    },
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": lambda ctx, name, inp: {"name": "default"},
    "aws:route53/record:Record": lambda ctx, name, inp: {"fqdn": str(inp.get("name") or name).rstrip(".")},
    "aws:iam/serviceLinkedRole:ServiceLinkedRole": lambda ctx, name, inp: _service_linked_role(ctx, inp),
    "aws:secretsmanager/secretVersion:SecretVersion": lambda ctx, name, inp: {"versionId": _uuid(name + "version")},
    # ElastiCache RBAC ARNs carry the user id / user group id, not a name.
    "aws:elasticache/user:User": lambda ctx, name, inp: {"arn": ctx.arn("elasticache", f"user:{inp.get('userId') or name}")},
    "aws:elasticache/userGroup:UserGroup": lambda ctx, name, inp: {
        "arn": ctx.arn("elasticache", f"usergroup:{inp.get('userGroupId') or name}")
    },
    # OpenSearch Service: the `es` ARN Firehose's DomainARN pattern requires; a VPC domain's endpoint.
    "aws:opensearch/domain:Domain": lambda ctx, name, inp: {
        "arn": ctx.arn("es", f"domain/{inp.get('domainName') or name}"),
        "domainId": f"{ACCOUNT}/{inp.get('domainName') or name}",
        "endpoint": f"vpc-{inp.get('domainName') or name}-{_hex(name, 26)}.{ctx.region}.es.amazonaws.com",
    },
    "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream": lambda ctx, name, inp: {
        "arn": ctx.arn("firehose", f"deliverystream/{inp.get('name') or name}")
    },
}


def _service_linked_role(ctx: Ctx, inp: dict[str, Any]) -> dict[str, Any]:
    """AWSServiceRoleFor<Service>[_<suffix>] under aws-service-role/<service>/ (Auto Scaling's naming)."""
    service = str(inp.get("awsServiceName", "autoscaling.amazonaws.com"))
    role = "AWSServiceRoleFor" + service.split(".")[0].title().replace("scaling", "Scaling")
    if inp.get("customSuffix"):
        role += f"_{inp['customSuffix']}"
    return {"name": role, "path": f"/aws-service-role/{service}/", "arn": ctx.arn("iam", f"role/aws-service-role/{service}/{role}")}


# Prefixes AWS uses for ids, so ids in a plan look like the ones in a console.
ID_PREFIX = {
    "aws:ec2/vpc:Vpc": "vpc-",
    "aws:ec2/subnet:Subnet": "subnet-",
    "aws:ec2/securityGroup:SecurityGroup": "sg-",
    "aws:ec2/internetGateway:InternetGateway": "igw-",
    "aws:ec2/natGateway:NatGateway": "nat-",
    "aws:ec2/eip:Eip": "eipalloc-",
    "aws:ec2/routeTable:RouteTable": "rtb-",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "vpce-",
    "aws:ec2/launchTemplate:LaunchTemplate": "lt-",
    "aws:ec2/flowLog:FlowLog": "fl-",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "sg-",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "rtbassoc-",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "sgr-",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "sgr-",
}


def _fallback_id(token: str, name: str, state: dict[str, Any]) -> str:
    if token in ID_PREFIX:
        return ID_PREFIX[token] + _hex(token + name, 17)
    for key in ("arn", "name", "bucket", "identifier", "replicationGroupId"):
        value = state.get(key)
        if isinstance(value, str) and value:
            return value
    return f"{name}-{_hex(token + name, 8)}"


def _arn_tail(state: dict[str, Any]) -> str | None:
    """The last segment of the ARN: WAFv2 reports the ACL's UUID (import takes ID/Name/Scope), AMP the workspace id."""
    arn = state.get("arn")
    return arn.rsplit("/", 1)[-1] if isinstance(arn, str) else None


# The id the real provider reports, by type: the import id of the type's "Import" section in the
# pulumi-aws docs (`pulumi import <type> <name> <id>`) unless noted. A format names state fields;
# a type whose fields are missing falls back to `_fallback_id`. Exceptions to "import id = id":
# rds Instance (import by identifier, but since provider v6 / Terraform AWS v5 the id is the
# DBI resource id `db-...`), autoscaling Policy (import `asg/name`, id the policy name),
# wafv2 WebAcl (import `ID/Name/Scope`, id the UUID).
ID_FORMAT: dict[str, str | Callable[[dict[str, Any]], str | None]] = {
    "aws:iam/role:Role": "{name}",
    "aws:iam/instanceProfile:InstanceProfile": "{name}",
    "aws:iam/policy:Policy": "{arn}",
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": "{arn}",
    "aws:iam/serviceLinkedRole:ServiceLinkedRole": "{arn}",
    "aws:iam/rolePolicy:RolePolicy": "{role}:{name}",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": "{role}/{policyArn}",
    "aws:cloudwatch/logGroup:LogGroup": "{name}",
    "aws:cloudwatch/metricAlarm:MetricAlarm": "{name}",
    "aws:kms/key:Key": "{keyId}",
    "aws:kms/alias:Alias": "{name}",
    "aws:s3/bucket:Bucket": "{bucket}",
    "aws:s3/bucketPolicy:BucketPolicy": "{bucket}",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": "{bucket}",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": "{bucket}",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": "{bucket}",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": "{bucket}",
    "aws:s3/bucketVersioning:BucketVersioning": "{bucket}",
    "aws:rds/instance:Instance": "{resourceId}",
    "aws:rds/parameterGroup:ParameterGroup": "{name}",
    "aws:rds/subnetGroup:SubnetGroup": "{name}",
    "aws:elasticache/replicationGroup:ReplicationGroup": "{replicationGroupId}",
    "aws:elasticache/parameterGroup:ParameterGroup": "{name}",
    "aws:elasticache/subnetGroup:SubnetGroup": "{name}",
    "aws:secretsmanager/secret:Secret": "{arn}",
    "aws:secretsmanager/secretVersion:SecretVersion": "{secretId}|{versionId}",
    "aws:sns/topic:Topic": "{arn}",
    "aws:acm/certificate:Certificate": "{arn}",
    "aws:lb/loadBalancer:LoadBalancer": "{arn}",
    "aws:lb/targetGroup:TargetGroup": "{arn}",
    "aws:lb/listener:Listener": "{arn}",
    "aws:lb/listenerRule:ListenerRule": "{arn}",
    "aws:autoscaling/group:Group": "{name}",
    "aws:autoscaling/policy:Policy": "{name}",
    "aws:eks/cluster:Cluster": "{name}",
    "aws:eks/nodeGroup:NodeGroup": "{clusterName}:{nodeGroupName}",
    "aws:eks/addon:Addon": "{clusterName}:{addonName}",
    "aws:eks/accessEntry:AccessEntry": "{clusterName}:{principalArn}",
    "aws:sqs/queue:Queue": "{url}",
    "aws:eks/accessPolicyAssociation:AccessPolicyAssociation": "{clusterName}#{principalArn}#{policyArn}",
    "aws:route53/record:Record": "{zoneId}_{name}_{type}",
    "aws:wafv2/webAcl:WebAcl": _arn_tail,
    "aws:amp/workspace:Workspace": _arn_tail,
    "aws:wafv2/webAclAssociation:WebAclAssociation": "{webAclArn},{resourceArn}",
    "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration": "{resourceArn}",
    "aws:backup/vault:Vault": "{name}",
}


def _resource_id(token: str, name: str, state: dict[str, Any]) -> str:
    """The provider's id for `token` (ID_FORMAT), else an EC2-style prefixed id or the first name-like field."""
    fmt = ID_FORMAT.get(token)
    if callable(fmt):
        found = fmt(state)
        if found:
            return found
    elif fmt is not None:
        fields = re.findall(r"{(\w+)}", fmt)
        if all(isinstance(state.get(f), str) and state[f] for f in fields):
            return fmt.format(**state)
    return _fallback_id(token, name, state)


# The resource part of generic ARNs where AWS does not use `<kebab-type>/<name or id>`.
ARN_RESOURCE = {
    "aws:cloudwatch/metricAlarm:MetricAlarm": "alarm:{name}",
    "aws:cloudwatch/compositeAlarm:CompositeAlarm": "alarm:{name}",
    "aws:cloudwatch/dashboard:Dashboard": "dashboard/{name}",
    "aws:cloudwatch/eventRule:EventRule": "rule/{name}",
    "aws:ec2/eip:Eip": "elastic-ip/{id}",
    "aws:ec2/natGateway:NatGateway": "natgateway/{id}",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "vpc-endpoint/{id}",
    "aws:ec2/flowLog:FlowLog": "vpc-flow-log/{id}",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "security-group/{id}",
    "aws:ec2/launchTemplate:LaunchTemplate": "launch-template/{id}",
    "aws:rds/subnetGroup:SubnetGroup": "subgrp:{name}",
    "aws:rds/parameterGroup:ParameterGroup": "pg:{name}",
    "aws:rds/clusterParameterGroup:ClusterParameterGroup": "cluster-pg:{name}",
    "aws:rds/optionGroup:OptionGroup": "og:{name}",
    "aws:elasticache/subnetGroup:SubnetGroup": "subnetgroup:{name}",
    "aws:elasticache/parameterGroup:ParameterGroup": "parametergroup:{name}",
    "aws:elasticache/user:User": "user:{name}",
    "aws:elasticache/userGroup:UserGroup": "usergroup:{name}",
    "aws:sqs/queue:Queue": "{name}",
    "aws:sns/topic:Topic": "{name}",
    "aws:ssm/parameter:Parameter": "parameter/{name}",
    "aws:route53/zone:Zone": "hostedzone/{id}",
    "aws:kms/alias:Alias": "{name}",
    "aws:backup/vault:Vault": "backup-vault:{name}",  # AWS Backup: arn:aws:backup:<region>:<account>:backup-vault:<name>
}
# Physical-name property Pulumi auto-names when the program leaves it out (default: `name`).
AUTONAME_FIELD = {
    "aws:rds/instance:Instance": "identifier",
    "aws:rds/cluster:Cluster": "clusterIdentifier",
    "aws:elasticache/replicationGroup:ReplicationGroup": "replicationGroupId",
    "aws:s3/bucket:Bucket": "bucket",
    "aws:s3/bucketV2:BucketV2": "bucket",
}
# AWS name length limits the autonamer respects.
AUTONAME_MAX = {
    "aws:lb/loadBalancer:LoadBalancer": 32,
    "aws:alb/loadBalancer:LoadBalancer": 32,
    "aws:lb/targetGroup:TargetGroup": 32,
    "aws:alb/targetGroup:TargetGroup": 32,
    "aws:elasticache/replicationGroup:ReplicationGroup": 40,
    "aws:rds/instance:Instance": 63,
}


@functools.cache
def type_properties(token: str) -> frozenset[str] | None:
    """Output property names (snake_case) of the SDK class behind `token`; None if it is not known.

    Read from the resource-module registry the provider SDKs fill on import, so a type has an
    `arn` (or an auto-named `name`) in the plan exactly when the provider schema says it has one.
    """
    from . import sdk

    try:
        pkg, mod, _ = token.split(":")
        for module in sdk.resource_modules().get(f"{pkg}:{mod}", []):
            info = getattr(module, "mod_info", None) or {}
            if token in info.get("classes", {}):
                cls = getattr(importlib.import_module(info["fqn"]), info["classes"][token])
                return frozenset(k for k in dir(cls) if isinstance(getattr(cls, k, None), property))
    except Exception:  # a private registry changed shape: fall back to "unknown"
        return None
    return None


def _kebab(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()


def _autoname(token: str, name: str, state: dict[str, Any]) -> None:
    """Fill the physical name Pulumi would generate (`<logical name>-<7 hex>`) when the program gave none."""
    props = type_properties(token)
    field = AUTONAME_FIELD.get(token)
    if field is None:
        if props is None or "name_prefix" not in props:
            return
        field = "name"
    if state.get(field):
        return
    prefix = state.get(field + "Prefix") or state.get("namePrefix")
    value = f"{prefix}{_hex(token + name, 26)}" if prefix else f"{name}-{_hex(token + name, 7)}"
    limit = AUTONAME_MAX.get(token)
    if limit and len(value) > limit:
        value = f"{name[: limit - 8]}-{_hex(token + name, 7)}"
    state[field] = value.lower() if field != "name" or token in AUTONAME_MAX else value


def _generic_arn(ctx: Ctx, token: str, name: str, id_: str, state: dict[str, Any]) -> str:
    """ARN of a type without a COMPUTED entry: `<kebab-type>/<id>` for EC2-style ids, else `/<name>`."""
    resource = ARN_RESOURCE.get(token)
    if resource is None:
        by_name = token not in ID_PREFIX and state.get("name")
        resource = f"{_kebab(token.rsplit(':', 1)[-1])}/{{{'name' if by_name else 'id'}}}"
    physical = str(state.get("name") or id_)
    return ctx.arn(_service(token), resource.format(name=physical.lstrip("/") if token.startswith("aws:ssm/") else physical, id=id_))


def _default_tags(inputs: dict[str, Any]) -> dict[str, str]:
    raw = inputs.get("defaultTags")
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return {}
    tags = (raw or {}).get("tags") if isinstance(raw, dict) else None
    return dict(tags) if isinstance(tags, dict) else {}


def _policy_document(inp: dict[str, Any]) -> dict[str, Any]:
    """aws:iam/getPolicyDocument rendered to the JSON IAM would see."""
    statements = []
    for s in inp.get("statements") or []:
        out: dict[str, Any] = {}
        if s.get("sid"):
            out["Sid"] = s["sid"]
        out["Effect"] = s.get("effect", "Allow")
        for field, key in (("actions", "Action"), ("notActions", "NotAction"), ("resources", "Resource"), ("notResources", "NotResource")):
            if s.get(field):
                vals = s[field]
                out[key] = vals[0] if len(vals) == 1 else vals
        for field, key in (("principals", "Principal"), ("notPrincipals", "NotPrincipal")):
            if s.get(field):
                out[key] = {p["type"]: p["identifiers"][0] if len(p["identifiers"]) == 1 else p["identifiers"] for p in s[field]}
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
        self._provider_tags: dict[str, dict[str, str]] = {}  # aws provider id -> its default_tags

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        """Echo the inputs plus what the cloud computes: auto-names, COMPUTED outputs, id, ARN, tagsAll."""
        state = dict(args.inputs)
        token, name = args.typ, args.name
        if token == "pulumi:providers:aws":
            id_ = _resource_id(token, name, state)
            self._provider_tags[id_] = _default_tags(state)
            return id_, state
        if token.startswith("aws:"):
            _autoname(token, name, state)
        elif token.startswith("kubernetes:") and not token.startswith("kubernetes:yaml"):
            meta = state.get("metadata")
            if isinstance(meta, dict):
                meta = state["metadata"] = {"name": f"{name}-{_hex(token + name, 8)}", **meta}
                meta.setdefault("uid", _uuid(token + name))
        # pulumi-aws 7: a resource's own `region` input overrides the provider's (its ARN says so).
        ctx = Ctx(state["region"]) if isinstance(state.get("region"), str) and state["region"] else self.ctx
        if token in COMPUTED:
            state.update(COMPUTED[token](ctx, name, state))
        if token.startswith("aws:"):
            props = type_properties(token)
            if "arn" not in state and (props is None or "arn" in props):
                state["arn"] = _generic_arn(ctx, token, name, _fallback_id(token, name, state), state)
            if props is None or "tags_all" in props:
                provider_id = (args.provider or "").rsplit("::", 1)[-1]
                tags = state.get("tags")
                tags = tags if isinstance(tags, dict) else {}
                state.setdefault("tagsAll", {**self._provider_tags.get(provider_id, {}), **tags})
        return _resource_id(token, name, state), state

    # The SDK annotates call() as returning (dict, failures), but its runtime takes a bare dict too
    # (pulumi/runtime/mocks.py: `if isinstance(tup, dict)`).
    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:  # type: ignore[override]
        handler = CALLS.get(args.token)
        return handler(self.ctx, dict(args.args)) if handler else {}


def _addon_version(inp: dict[str, Any]) -> dict[str, Any]:
    """The default build of an add-on for a Kubernetes version: a different one per pair, as on AWS."""
    addon, version = inp.get("addonName"), inp.get("kubernetesVersion")
    build = int(_hex(f"{addon}@{version}", 2), 16) % 9 + 1
    return {
        "addonName": addon,
        "kubernetesVersion": version,
        "version": f"v1.0.0-eksbuild.{build}",
        "id": addon,
        "mostRecent": bool(inp.get("mostRecent")),
    }


def _azs(ctx: Ctx, inp: dict[str, Any]) -> dict[str, Any]:
    letters = "abcd"
    return {
        "names": [f"{ctx.region}{x}" for x in letters],
        "zoneIds": [f"{_short(ctx.region)}-az{i + 1}" for i in range(4)],
        "id": ctx.region,
        "state": inp.get("state"),
    }


def _ssm_parameter(ctx: Ctx, inp: dict[str, Any]) -> dict[str, Any]:
    name = inp.get("name", "")
    # Public AMI parameters: /aws/service/ami-amazon-linux-latest/..., /aws/service/eks/optimized-ami/.../image_id
    is_ami = "ami" in name.lower() and not name.endswith(("release_version", "image_name"))
    value = f"ami-0{_hex(name, 16)}" if is_ami else f"mock-{_hex(name, 8)}"
    return {"name": name, "value": value, "insecureValue": value, "type": "String", "arn": ctx.arn("ssm", f"parameter{name}")}


def _controller_lb(ctx: Ctx, inp: dict[str, Any]) -> dict[str, Any]:
    """An ALB the LB controller made, found by its tags: the same tags give the same ALB."""
    tags = dict(inp.get("tags") or {})
    seed = json.dumps(tags, sort_keys=True)
    suffix = f"app/k8s-{_hex(seed, 8)}-{_hex(seed + 'n', 10)}/{_hex(seed, 16)}"
    return {
        "arn": ctx.arn("elasticloadbalancing", f"loadbalancer/{suffix}"),
        "arnSuffix": suffix,
        "name": suffix.split("/")[1],
        "dnsName": f"{suffix.split('/')[1]}-{_hex(seed, 10)}.{ctx.region}.elb.amazonaws.com",
        "zoneId": ALB_ZONE_ID,
        "tags": tags,
        "id": ctx.arn("elasticloadbalancing", f"loadbalancer/{suffix}"),
    }


def _controller_tg(ctx: Ctx, inp: dict[str, Any]) -> dict[str, Any]:
    """A target group the LB controller made, found by its tags (k8s-<ns>-<svc>-<hash> names)."""
    tags = dict(inp.get("tags") or {})
    seed = json.dumps(tags, sort_keys=True)
    suffix = f"targetgroup/k8s-{_hex(seed, 20)}/{_hex(seed, 16)}"
    arn = ctx.arn("elasticloadbalancing", suffix)
    return {"arn": arn, "arnSuffix": suffix, "name": suffix.split("/")[1], "tags": tags, "id": arn}


CALLS: dict[str, Callable[[Ctx, dict[str, Any]], dict[str, Any]]] = {
    "aws:lb/getLoadBalancer:getLoadBalancer": _controller_lb,
    "aws:lb/getTargetGroup:getTargetGroup": _controller_tg,
    "aws:index/getAvailabilityZones:getAvailabilityZones": _azs,
    "aws:index/getCallerIdentity:getCallerIdentity": lambda ctx, inp: {
        "accountId": ACCOUNT,
        "arn": f"arn:aws:iam::{ACCOUNT}:user/offline-plan",
        "userId": "AIDAOFFLINEPLAN",
        "id": ACCOUNT,
    },
    "aws:index/getRegion:getRegion": lambda ctx, inp: {
        "name": ctx.region,
        "region": ctx.region,
        "id": ctx.region,
        "endpoint": f"ec2.{ctx.region}.amazonaws.com",
        "description": ctx.region,
    },
    "aws:index/getPartition:getPartition": lambda ctx, inp: {
        "partition": "aws",
        "dnsSuffix": "amazonaws.com",
        "id": "aws",
        "reverseDnsPrefix": "com.amazonaws",
    },
    "aws:ssm/getParameter:getParameter": _ssm_parameter,
    "aws:ec2/getAmi:getAmi": lambda ctx, inp: {"id": f"ami-0{_hex(str(inp), 16)}", "architecture": "x86_64"},
    "aws:iam/getPolicyDocument:getPolicyDocument": lambda ctx, inp: _policy_document(inp),
    # EKS add-on default version for a Kubernetes version (the shape AWS answers with).
    "aws:eks/getAddonVersion:getAddonVersion": lambda ctx, inp: _addon_version(inp),
}
