"""Replace-on-change ("ForceNew") inputs of the resource types the program creates.

Neither the Pulumi schema nor the SDK carries ForceNew; the bridged provider takes it from the
Terraform provider's schema, and its docs mark such arguments "(Forces new resource)" / "Changing
this forces a new resource". Each entry cites that page (registry.terraform.io/providers/hashicorp/
aws/latest/docs/resources/<resource>; the Pulumi registry page of the same type says the same).
Paths are Pulumi input names; a nested path (`vpcConfig.endpointPrivateAccess`) matches that field and
anything under it. Deliberately left out where the provider now updates in place:
- aws_db_instance `identifier` (in-place rename since provider 5.x; hashicorp/terraform-provider-aws#32687);
- aws_eks_cluster `vpc_config.subnet_ids` / `security_group_ids` (in place since provider 5.25.0, CHANGELOG;
  pulumi/pulumi-aws#3401);
- aws_db_instance `db_subnet_group_name` (ModifyDBInstance moves it, with an outage: RDS API reference).
"""

from __future__ import annotations

TF_DOCS = "https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/"

# type -> (Terraform docs page, replace-on-change input paths)
FORCE_NEW: dict[str, tuple[str, tuple[str, ...]]] = {
    "aws:ec2/vpc:Vpc": ("vpc", ("cidrBlock", "ipv4IpamPoolId", "ipv4NetmaskLength")),
    "aws:ec2/subnet:Subnet": ("subnet", ("vpcId", "cidrBlock", "availabilityZone", "availabilityZoneId", "outpostArn")),
    "aws:ec2/securityGroup:SecurityGroup": ("security_group", ("name", "namePrefix", "description", "vpcId")),
    "aws:ec2/routeTable:RouteTable": ("route_table", ("vpcId",)),
    "aws:ec2/routeTableAssociation:RouteTableAssociation": ("route_table_association", ("subnetId", "gatewayId")),
    "aws:ec2/natGateway:NatGateway": ("nat_gateway", ("allocationId", "subnetId", "connectivityType", "privateIp")),
    "aws:ec2/eip:Eip": ("eip", ("domain", "publicIpv4Pool", "networkBorderGroup")),
    "aws:ec2/vpcEndpoint:VpcEndpoint": ("vpc_endpoint", ("vpcId", "serviceName", "vpcEndpointType")),
    "aws:ec2/flowLog:FlowLog": (
        "flow_log",
        ("vpcId", "subnetId", "logDestination", "logDestinationType", "trafficType", "iamRoleArn", "maxAggregationInterval", "logFormat"),
    ),
    "aws:ec2/launchTemplate:LaunchTemplate": ("launch_template", ("name", "namePrefix")),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": ("vpc_security_group_ingress_rule", ("securityGroupId",)),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": ("vpc_security_group_egress_rule", ("securityGroupId",)),
    "aws:autoscaling/group:Group": ("autoscaling_group", ("name", "namePrefix")),
    "aws:lb/loadBalancer:LoadBalancer": ("lb", ("name", "namePrefix", "internal", "loadBalancerType", "customerOwnedIpv4Pool")),
    "aws:lb/targetGroup:TargetGroup": (
        "lb_target_group",
        ("name", "namePrefix", "port", "protocol", "protocolVersion", "vpcId", "targetType", "ipAddressType"),
    ),
    "aws:lb/listener:Listener": ("lb_listener", ("loadBalancerArn",)),
    "aws:lb/listenerRule:ListenerRule": ("lb_listener_rule", ("listenerArn",)),
    "aws:acm/certificate:Certificate": ("acm_certificate", ("domainName", "subjectAlternativeNames", "keyAlgorithm", "validationMethod")),
    "aws:wafv2/webAcl:WebAcl": ("wafv2_web_acl", ("name", "namePrefix", "scope")),
    "aws:wafv2/webAclAssociation:WebAclAssociation": ("wafv2_web_acl_association", ("resourceArn", "webAclArn")),
    "aws:route53/record:Record": ("route53_record", ("zoneId", "name")),
    "aws:iam/role:Role": ("iam_role", ("name", "namePrefix", "path")),
    "aws:iam/rolePolicy:RolePolicy": ("iam_role_policy", ("name", "namePrefix", "role")),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": ("iam_role_policy_attachment", ("role", "policyArn")),
    "aws:iam/instanceProfile:InstanceProfile": ("iam_instance_profile", ("name", "namePrefix", "path")),
    "aws:kms/key:Key": ("kms_key", ("customerMasterKeySpec", "keyUsage", "multiRegion", "customKeyStoreId", "xksKeyId")),
    "aws:kms/alias:Alias": ("kms_alias", ("name", "namePrefix")),
    "aws:s3/bucket:Bucket": ("s3_bucket", ("bucket", "bucketPrefix", "objectLockEnabled")),
    "aws:secretsmanager/secret:Secret": ("secretsmanager_secret", ("name", "namePrefix")),
    "aws:secretsmanager/secretVersion:SecretVersion": ("secretsmanager_secret_version", ("secretId",)),
    "aws:cloudwatch/logGroup:LogGroup": ("cloudwatch_log_group", ("name", "namePrefix", "logGroupClass")),
    "aws:cloudwatch/metricAlarm:MetricAlarm": ("cloudwatch_metric_alarm", ("name",)),
    "aws:rds/instance:Instance": (
        "db_instance",
        (
            "engine",
            "availabilityZone",
            "kmsKeyId",
            "storageEncrypted",
            "username",
            "dbName",
            "characterSetName",
            "ncharCharacterSetName",
            "snapshotIdentifier",
            "restoreToPointInTime",
            "s3Import",
            "timezone",
            "customIamInstanceProfile",
        ),
    ),
    "aws:rds/subnetGroup:SubnetGroup": ("db_subnet_group", ("name", "namePrefix")),
    "aws:rds/parameterGroup:ParameterGroup": ("db_parameter_group", ("name", "namePrefix", "family")),
    "aws:elasticache/replicationGroup:ReplicationGroup": (
        "elasticache_replication_group",
        (
            "replicationGroupId",
            "atRestEncryptionEnabled",
            "kmsKeyId",
            "subnetGroupName",
            "port",
            "snapshotArns",
            "snapshotName",
            "preferredCacheClusterAzs",
            "globalReplicationGroupId",
            "networkType",
        ),
    ),
    "aws:elasticache/subnetGroup:SubnetGroup": ("elasticache_subnet_group", ("name",)),
    "aws:elasticache/parameterGroup:ParameterGroup": ("elasticache_parameter_group", ("name", "family")),
    "aws:backup/vault:Vault": ("backup_vault", ("name", "kmsKeyArn")),
    "aws:backup/selection:Selection": ("backup_selection", ("name", "planId", "iamRoleArn", "resources", "selectionTags")),
    "aws:eks/cluster:Cluster": (
        "eks_cluster",
        ("name", "roleArn", "encryptionConfig", "kubernetesNetworkConfig", "bootstrapSelfManagedAddons", "outpostConfig"),
    ),
    "aws:eks/nodeGroup:NodeGroup": (
        "eks_node_group",
        (
            "clusterName",
            "nodeGroupName",
            "nodeGroupNamePrefix",
            "nodeRoleArn",
            "subnetIds",
            "amiType",
            "capacityType",
            "diskSize",
            "instanceTypes",
            "remoteAccess",
        ),
    ),
    "aws:eks/addon:Addon": ("eks_addon", ("clusterName", "addonName")),
    # random provider: every argument of random_password is ForceNew
    # (registry.terraform.io/providers/hashicorp/random/latest/docs/resources/password).
    "random:index/randomPassword:RandomPassword": (
        "",
        (
            "length",
            "special",
            "upper",
            "lower",
            "numeric",
            "minLower",
            "minUpper",
            "minNumeric",
            "minSpecial",
            "overrideSpecial",
            "keepers",
        ),
    ),
}

# Replacing one of these loses data or breaks what holds a reference to it: the diff warns loudly.
STATEFUL: dict[str, str] = {
    "aws:rds/instance:Instance": "the database is recreated empty unless restored from a snapshot",
    "aws:elasticache/replicationGroup:ReplicationGroup": "the cache is recreated empty (sessions, queues and cached data lost)",
    "aws:s3/bucket:Bucket": "a bucket must be empty to be deleted; its objects are lost",
    "aws:kms/key:Key": "the old key is scheduled for deletion: data encrypted under it becomes unreadable",
    "aws:eks/cluster:Cluster": "the cluster is recreated: every workload, its state and its endpoint change",
    "aws:secretsmanager/secret:Secret": "the secret is scheduled for deletion; its value and its ARN change",
    "aws:cloudwatch/logGroup:LogGroup": "the log group and every log event in it are deleted",
}


def forces_replacement(token: str, path: str) -> bool:
    """Whether a change at input `path` (e.g. `cidrBlock`, `vpcConfig.subnetIds[0]`) replaces a `token` resource."""
    _, paths = FORCE_NEW.get(token, ("", ()))
    return any(path == p or path.startswith((p + ".", p + "[")) for p in paths)


def docs_url(token: str) -> str | None:
    page = FORCE_NEW.get(token, ("", ()))[0]
    return TF_DOCS + page if page else None
