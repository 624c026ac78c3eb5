"""The mapping table: (Pulumi type token, input property path) -> botocore API member and/or documented rule.

Paths: `a.b` nested object, `a[]` every list element, `a{k}` / `a{v}` the keys / values of a map
(Pulumi's `tags` map becomes the API's `Tags[].Key` / `Tags[].Value`). When the member a path
maps to is a structure or list, the whole Pulumi subtree is checked against it, Pulumi keys
matched to members by name ignoring case (`cloudwatchMetricsEnabled` is `CloudWatchMetricsEnabled`):
that is how WAF rule statements are checked at any nesting depth.

Left out on purpose: ids and ARNs of *other* resources (`vpcId`, `role = role.id`, ...). Under the
mock engine they are the mock's values, not the program's; what the real provider passes is the
identifier checked where that resource is created.

Adding a type: add `"<token>": (...)` below with one `Field` per input the program sets (see
docs/preflight.md); or, if none of its inputs can be checked, a NOTHING_TO_CHECK entry saying why.
tests/test_preflight.py fails for a planned type that has neither, for a member botocore does not
have, and for a field with no constraint to check.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

# Pulumi's autonaming: an unset name becomes the logical name, "-" and 7 random hex characters
# (https://www.pulumi.com/docs/iac/concepts/resources/names/#autonaming; offline/mocks.py does the same).
AUTONAME_SUFFIX = 7
# Terraform's `id.PrefixedUniqueId` (terraform-plugin-sdk helper/id, UniqueIDSuffixLength = 26):
# what pulumi-aws (bridged from terraform-provider-aws) appends to `namePrefix`/`bucketPrefix`.
PREFIX_SUFFIX = 26


@dataclass(frozen=True)
class Field:
    path: str
    api: tuple[str, str, str] | None = None  # (botocore service, operation, member path in its input)
    rule: str | None = None  # a key of rules.RULES
    prefix: int = 0  # a name prefix: the provider appends this many characters
    autoname: bool = False  # when unset (and no prefix is), Pulumi autonames it from the logical name


# on(service, operation): (path, member_path, rule=None, prefix=0) -> Field
ApiMember = Callable[..., Field]


def on(service: str, operation: str) -> ApiMember:
    def member(path: str, member_path: str, rule: str | None = None, prefix: int = 0) -> Field:
        return Field(path, (service, operation, member_path), rule, prefix)

    return member


def rule(path: str, name: str, prefix: int = 0) -> Field:
    return Field(path, None, name, prefix)


def named(api: ApiMember, member_path: str) -> tuple[Field, ...]:
    """`name` (autonamed when unset) and `namePrefix`, into the same API member."""
    name, prefix = api("name", member_path), api("namePrefix", member_path, prefix=PREFIX_SUFFIX)
    return (Field(name.path, name.api, autoname=True), prefix)


def named_by_rule(name: str) -> tuple[Field, ...]:
    return (Field("name", None, name, autoname=True), rule("namePrefix", name, prefix=PREFIX_SUFFIX))


def tags(api: ApiMember, member_path: str = "Tags[]", key: str = "Key", value: str = "Value") -> tuple[Field, ...]:
    """Pulumi's `tags` map: into a list of {Key, Value} (`Tags[]`) or a map member (`tags{}`)."""
    if member_path.endswith("{}"):
        base = member_path[:-2]
        return (api("tags{k}", f"{base}{{k}}"), api("tags{v}", f"{base}{{v}}"))
    return (api("tags{k}", f"{member_path}.{key}"), api("tags{v}", f"{member_path}.{value}"))


EC2_TAGS = (rule("tags{k}", "tag-key"), rule("tags{v}", "tag-value"))

ACM = on("acm", "RequestCertificate")
ASG = on("autoscaling", "CreateAutoScalingGroup")
ASG_POLICY = on("autoscaling", "PutScalingPolicy")
BACKUP_PLAN = on("backup", "CreateBackupPlan")
BACKUP_SELECTION = on("backup", "CreateBackupSelection")
LOGS = on("logs", "CreateLogGroup")
ALARM = on("cloudwatch", "PutMetricAlarm")
COMPOSITE = on("cloudwatch", "PutCompositeAlarm")
EC2_LT = on("ec2", "CreateLaunchTemplate")
EKS = on("eks", "CreateCluster")
NODEGROUP = on("eks", "CreateNodegroup")
ADDON = on("eks", "CreateAddon")
ELBV2_LB = on("elbv2", "CreateLoadBalancer")
ELBV2_TG = on("elbv2", "CreateTargetGroup")
ELBV2_LISTENER = on("elbv2", "CreateListener")
ELBV2_RULE = on("elbv2", "CreateRule")
CACHE = on("elasticache", "CreateReplicationGroup")
IAM_ROLE = on("iam", "CreateRole")
IAM_POLICY = on("iam", "CreatePolicy")
IAM_PROFILE = on("iam", "CreateInstanceProfile")
KMS = on("kms", "CreateKey")
ROUTE53 = on("route53", "ChangeResourceRecordSets")
RRSET = "ChangeBatch.Changes[].ResourceRecordSet"
SECRET = on("secretsmanager", "CreateSecret")
WAF = on("wafv2", "CreateWebACL")
WAF_LOG = on("wafv2", "PutLoggingConfiguration")
EVENTS_RULE = on("events", "PutRule")
EVENTS_TARGET = on("events", "PutTargets")
LAMBDA = on("lambda", "CreateFunction")
OPENSEARCH = on("opensearch", "CreateDomain")
FIREHOSE = on("firehose", "CreateDeliveryStream")
OS_DEST = "AmazonopensearchserviceDestinationConfiguration"


def _actions(api: ApiMember, root: str, member: str) -> tuple[Field, ...]:
    """ALB listener/rule actions: Pulumi's `forward`/`redirect`/`fixedResponse` are the API's *Config members."""
    return (
        api(f"{root}[].type", f"{member}[].Type"),
        api(f"{root}[].order", f"{member}[].Order"),
        api(f"{root}[].redirect", f"{member}[].RedirectConfig"),
        api(f"{root}[].fixedResponse", f"{member}[].FixedResponseConfig"),
        api(f"{root}[].forward.targetGroups[].weight", f"{member}[].ForwardConfig.TargetGroups[].Weight", rule="elb-weight"),
        api(
            f"{root}[].forward.stickiness.duration",
            f"{member}[].ForwardConfig.TargetGroupStickinessConfig.DurationSeconds",
            rule="elb-stickiness",
        ),
    )


def _alarm(api: ApiMember) -> tuple[Field, ...]:
    """Everything of aws.cloudwatch.MetricAlarm, metric queries included."""
    q, m = "metricQueries[]", "Metrics[]"
    return (
        api("name", "AlarmName"),
        api("alarmDescription", "AlarmDescription"),
        api("comparisonOperator", "ComparisonOperator"),
        api("evaluationPeriods", "EvaluationPeriods"),
        api("datapointsToAlarm", "DatapointsToAlarm"),
        api("metricName", "MetricName"),
        api("namespace", "Namespace"),
        api("period", "Period", rule="cloudwatch-alarm-period"),
        api("statistic", "Statistic"),
        api("unit", "Unit"),
        api("treatMissingData", "TreatMissingData", rule="cloudwatch-treat-missing-data"),
        api("evaluateLowSampleCountPercentiles", "EvaluateLowSampleCountPercentile", rule="cloudwatch-low-sample"),
        api("dimensions{k}", "Dimensions[].Name"),
        api("dimensions{v}", "Dimensions[].Value"),
        api("alarmActions", "AlarmActions"),
        api("okActions", "OKActions"),
        api("insufficientDataActions", "InsufficientDataActions"),
        api("thresholdMetricId", "ThresholdMetricId"),
        api(f"{q}.id", f"{m}.Id", rule="cloudwatch-metric-query-id"),
        api(f"{q}.expression", f"{m}.Expression"),
        api(f"{q}.period", f"{m}.Period", rule="cloudwatch-alarm-period"),
        api(f"{q}.accountId", f"{m}.AccountId"),
        api(f"{q}.metric.metricName", f"{m}.MetricStat.Metric.MetricName"),
        api(f"{q}.metric.namespace", f"{m}.MetricStat.Metric.Namespace"),
        api(f"{q}.metric.period", f"{m}.MetricStat.Period", rule="cloudwatch-alarm-period"),
        api(f"{q}.metric.unit", f"{m}.MetricStat.Unit"),
        api(f"{q}.metric.dimensions{{k}}", f"{m}.MetricStat.Metric.Dimensions[].Name"),
        api(f"{q}.metric.dimensions{{v}}", f"{m}.MetricStat.Metric.Dimensions[].Value"),
    )


MAPPINGS: dict[str, tuple[Field, ...]] = {
    # --- certificates, DNS ---------------------------------------------------------------------
    "aws:acm/certificate:Certificate": (
        ACM("domainName", "DomainName"),
        ACM("subjectAlternativeNames[]", "SubjectAlternativeNames[]"),
        ACM("validationMethod", "ValidationMethod"),
        ACM("keyAlgorithm", "KeyAlgorithm"),
        *tags(ACM),
    ),
    "aws:acm/certificateValidation:CertificateValidation": (
        Field("certificateArn", ("acm", "DescribeCertificate", "CertificateArn")),
        rule("validationRecordFqdns[]", "dns-name"),
    ),
    "aws:route53/record:Record": (
        ROUTE53("name", f"{RRSET}.Name", rule="dns-name"),
        ROUTE53("type", f"{RRSET}.Type"),
        ROUTE53("ttl", f"{RRSET}.TTL"),
        ROUTE53("records[]", f"{RRSET}.ResourceRecords[].Value"),
        ROUTE53("setIdentifier", f"{RRSET}.SetIdentifier"),
        ROUTE53("zoneId", "HostedZoneId"),
        ROUTE53("aliases[].name", f"{RRSET}.AliasTarget.DNSName"),
        ROUTE53("aliases[].zoneId", f"{RRSET}.AliasTarget.HostedZoneId"),
        ROUTE53("weightedRoutingPolicies[].weight", f"{RRSET}.Weight"),
    ),
    # --- Auto Scaling --------------------------------------------------------------------------
    "aws:autoscaling/group:Group": (
        *named(ASG, "AutoScalingGroupName"),
        ASG("healthCheckType", "HealthCheckType", rule="asg-health-check-type"),
        ASG("launchTemplate.id", "LaunchTemplate.LaunchTemplateId"),
        ASG("launchTemplate.name", "LaunchTemplate.LaunchTemplateName"),
        ASG("launchTemplate.version", "LaunchTemplate.Version"),
        ASG("serviceLinkedRoleArn", "ServiceLinkedRoleARN"),
        ASG("targetGroupArns[]", "TargetGroupARNs[]"),
        ASG("terminationPolicies[]", "TerminationPolicies[]"),
        ASG("tags[].key", "Tags[].Key"),
        ASG("tags[].value", "Tags[].Value"),
        Field("enabledMetrics[]", ("autoscaling", "EnableMetricsCollection", "Metrics[]")),
        Field("metricsGranularity", ("autoscaling", "EnableMetricsCollection", "Granularity"), rule="asg-granularity"),
        Field("instanceRefresh.strategy", ("autoscaling", "StartInstanceRefresh", "Strategy")),
        Field("instanceRefresh.preferences", ("autoscaling", "StartInstanceRefresh", "Preferences")),
    ),
    "aws:autoscaling/policy:Policy": (
        ASG_POLICY("name", "PolicyName"),
        ASG_POLICY("autoscalingGroupName", "AutoScalingGroupName"),
        ASG_POLICY("adjustmentType", "AdjustmentType", rule="asg-adjustment-type"),
        ASG_POLICY("policyType", "PolicyType", rule="asg-policy-type"),
        ASG_POLICY("metricAggregationType", "MetricAggregationType"),
        ASG_POLICY("targetTrackingConfiguration", "TargetTrackingConfiguration"),
    ),
    # --- AWS Backup ----------------------------------------------------------------------------
    "aws:backup/plan:Plan": (
        rule("name", "backup-plan-name"),
        BACKUP_PLAN("rules[].ruleName", "BackupPlan.Rules[].RuleName"),
        BACKUP_PLAN("rules[].targetVaultName", "BackupPlan.Rules[].TargetBackupVaultName"),
    ),
    "aws:backup/selection:Selection": (BACKUP_SELECTION("name", "BackupSelection.SelectionName"),),
    "aws:backup/vault:Vault": (Field("name", ("backup", "CreateBackupVault", "BackupVaultName")),),
    "aws:backup/vaultLockConfiguration:VaultLockConfiguration": (
        Field("backupVaultName", ("backup", "PutBackupVaultLockConfiguration", "BackupVaultName")),
    ),
    # --- CloudWatch and logs -------------------------------------------------------------------
    "aws:cloudwatch/logGroup:LogGroup": (
        *named(LOGS, "logGroupName"),
        LOGS("kmsKeyId", "kmsKeyId"),
        LOGS("logGroupClass", "logGroupClass"),
        rule("retentionInDays", "logs-retention-days"),
        *tags(LOGS, "tags{}"),
    ),
    "aws:cloudwatch/metricAlarm:MetricAlarm": _alarm(ALARM) + tags(ALARM),
    "aws:cloudwatch/compositeAlarm:CompositeAlarm": (
        COMPOSITE("alarmName", "AlarmName"),
        COMPOSITE("alarmDescription", "AlarmDescription"),
        COMPOSITE("alarmRule", "AlarmRule"),
        COMPOSITE("alarmActions", "AlarmActions"),
        COMPOSITE("okActions", "OKActions"),
        COMPOSITE("insufficientDataActions", "InsufficientDataActions"),
        COMPOSITE("actionsSuppressor.alarm", "ActionsSuppressor"),
        *tags(COMPOSITE),
    ),
    "aws:cloudwatch/dashboard:Dashboard": (rule("dashboardName", "cloudwatch-dashboard-name"),),
    "aws:cloudwatch/eventRule:EventRule": (
        *named(EVENTS_RULE, "Name"),
        EVENTS_RULE("description", "Description"),
        EVENTS_RULE("eventPattern", "EventPattern"),
        EVENTS_RULE("scheduleExpression", "ScheduleExpression"),
        EVENTS_RULE("state", "State"),
        EVENTS_RULE("roleArn", "RoleArn"),
        EVENTS_RULE("eventBusName", "EventBusName"),
        *tags(EVENTS_RULE),
    ),
    "aws:cloudwatch/eventTarget:EventTarget": (
        EVENTS_TARGET("rule", "Rule"),
        EVENTS_TARGET("targetId", "Targets[].Id"),
        EVENTS_TARGET("arn", "Targets[].Arn"),
        EVENTS_TARGET("roleArn", "Targets[].RoleArn"),
        EVENTS_TARGET("input", "Targets[].Input"),
        EVENTS_TARGET("inputPath", "Targets[].InputPath"),
        EVENTS_TARGET("eventBusName", "EventBusName"),
        EVENTS_TARGET("retryPolicy", "Targets[].RetryPolicy"),
        EVENTS_TARGET("deadLetterConfig.arn", "Targets[].DeadLetterConfig.Arn"),
    ),
    "aws:cloudwatch/logMetricFilter:LogMetricFilter": (
        Field("name", ("logs", "PutMetricFilter", "filterName")),
        Field("pattern", ("logs", "PutMetricFilter", "filterPattern")),
        Field("logGroupName", ("logs", "PutMetricFilter", "logGroupName")),
        Field("metricTransformation.name", ("logs", "PutMetricFilter", "metricTransformations[].metricName")),
        Field("metricTransformation.namespace", ("logs", "PutMetricFilter", "metricTransformations[].metricNamespace")),
        Field("metricTransformation.value", ("logs", "PutMetricFilter", "metricTransformations[].metricValue")),
        Field("metricTransformation.unit", ("logs", "PutMetricFilter", "metricTransformations[].unit")),
        Field("metricTransformation.dimensions{k}", ("logs", "PutMetricFilter", "metricTransformations[].dimensions{k}")),
        Field("metricTransformation.dimensions{v}", ("logs", "PutMetricFilter", "metricTransformations[].dimensions{v}")),
    ),
    # One processor a block in the provider (`parseJsons[]` ...), one member of `Processor` in the API.
    "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter": (
        Field("name", ("logs", "PutSubscriptionFilter", "filterName")),
        Field("logGroup", ("logs", "PutSubscriptionFilter", "logGroupName")),
        Field("filterPattern", ("logs", "PutSubscriptionFilter", "filterPattern")),
        Field("distribution", ("logs", "PutSubscriptionFilter", "distribution")),
    ),
    "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": (Field("policyDocument", ("logs", "PutResourcePolicy", "policyDocument")),),
    "aws:cloudwatch/logStream:LogStream": (
        Field("name", ("logs", "CreateLogStream", "logStreamName")),
        Field("logGroupName", ("logs", "CreateLogStream", "logGroupName")),
    ),
    "aws:cloudwatch/logTransformer:LogTransformer": (
        Field("transformerConfigs[].parseJsons[].source", ("logs", "PutTransformer", "transformerConfig[].parseJSON.source")),
        Field("transformerConfigs[].grok.source", ("logs", "PutTransformer", "transformerConfig[].grok.source")),
        Field("transformerConfigs[].grok.match", ("logs", "PutTransformer", "transformerConfig[].grok.match")),
        *(
            Field(f"transformerConfigs[].parseKeyValues[].{m}", ("logs", "PutTransformer", f"transformerConfig[].parseKeyValue.{m}"))
            for m in ("source", "destination", "fieldDelimiter", "keyValueDelimiter")
        ),
        Field("transformerConfigs[].moveKeys[].entries", ("logs", "PutTransformer", "transformerConfig[].moveKeys.entries")),
        Field("transformerConfigs[].deleteKeys[].withKeys", ("logs", "PutTransformer", "transformerConfig[].deleteKeys.withKeys")),
        Field(
            "transformerConfigs[].substituteStrings[].entries", ("logs", "PutTransformer", "transformerConfig[].substituteString.entries")
        ),
        Field("transformerConfigs[].typeConverters[].entries", ("logs", "PutTransformer", "transformerConfig[].typeConverter.entries")),
    ),
    "aws:cloudwatch/logDataProtectionPolicy:LogDataProtectionPolicy": (
        # policyDocument: a string the model does not constrain (tests/test_logs.py checks the document).
        Field("logGroupName", ("logs", "PutDataProtectionPolicy", "logGroupIdentifier")),
    ),
    "aws:cloudwatch/queryDefinition:QueryDefinition": (
        Field("name", ("logs", "PutQueryDefinition", "name")),
        Field("queryString", ("logs", "PutQueryDefinition", "queryString")),
        Field("logGroupNames[]", ("logs", "PutQueryDefinition", "logGroupNames[]")),
    ),
    # --- notifications, queues, chat -----------------------------------------------------------
    "aws:sns/topic:Topic": (
        *named_by_rule("sns-topic-name"),
        rule("signatureVersion", "sns-signature-version"),
        rule("tracingConfig", "sns-tracing"),
        *EC2_TAGS,
    ),
    "aws:sns/topicSubscription:TopicSubscription": (
        rule("protocol", "sns-protocol"),
        rule("filterPolicyScope", "sns-filter-policy-scope"),
    ),
    "aws:sqs/queue:Queue": (
        *named_by_rule("sqs-queue-name"),
        rule("delaySeconds", "sqs-delay"),
        rule("maxMessageSize", "sqs-max-message-size"),
        rule("messageRetentionSeconds", "sqs-retention"),
        rule("receiveWaitTimeSeconds", "sqs-receive-wait"),
        rule("visibilityTimeoutSeconds", "sqs-visibility"),
        rule("kmsDataKeyReusePeriodSeconds", "sqs-kms-reuse"),
        *EC2_TAGS,
    ),
    "aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration": (
        Field("configurationName", ("chatbot", "CreateSlackChannelConfiguration", "ConfigurationName")),
        Field("slackTeamId", ("chatbot", "CreateSlackChannelConfiguration", "SlackTeamId")),
        Field("slackChannelId", ("chatbot", "CreateSlackChannelConfiguration", "SlackChannelId")),
        Field("iamRoleArn", ("chatbot", "CreateSlackChannelConfiguration", "IamRoleArn")),
        Field("snsTopicArns[]", ("chatbot", "CreateSlackChannelConfiguration", "SnsTopicArns[]")),
        Field("guardrailPolicyArns[]", ("chatbot", "CreateSlackChannelConfiguration", "GuardrailPolicyArns[]")),
        Field("loggingLevel", ("chatbot", "CreateSlackChannelConfiguration", "LoggingLevel")),
    ),
    # --- Amazon Managed Service for Prometheus -------------------------------------------------
    "aws:amp/workspace:Workspace": (
        Field("alias", ("amp", "CreateWorkspace", "alias")),
        Field("kmsKeyArn", ("amp", "CreateWorkspace", "kmsKeyArn")),
        Field("loggingConfiguration.logGroupArn", ("amp", "CreateLoggingConfiguration", "logGroupArn")),
    ),
    "aws:amp/ruleGroupNamespace:RuleGroupNamespace": (
        Field("name", ("amp", "CreateRuleGroupsNamespace", "name")),
        Field("workspaceId", ("amp", "CreateRuleGroupsNamespace", "workspaceId")),
    ),
    "aws:amp/alertManagerDefinition:AlertManagerDefinition": (
        Field("workspaceId", ("amp", "CreateAlertManagerDefinition", "workspaceId")),
    ),
    # --- EC2 and VPC ---------------------------------------------------------------------------
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": (
        rule("ingress[].description", "ec2-sg-rule-description"),
        rule("egress[].description", "ec2-sg-rule-description"),
        *EC2_TAGS,
    ),
    "aws:ec2/eip:Eip": (Field("domain", ("ec2", "AllocateAddress", "Domain")), *EC2_TAGS),
    "aws:ec2/flowLog:FlowLog": (
        Field("trafficType", ("ec2", "CreateFlowLogs", "TrafficType")),
        Field("logDestinationType", ("ec2", "CreateFlowLogs", "LogDestinationType")),
        rule("maxAggregationInterval", "flow-log-aggregation"),
        *EC2_TAGS,
    ),
    "aws:ec2/internetGateway:InternetGateway": EC2_TAGS,
    # One tag on a resource another service made (the EKS cluster security group): CreateTags' limits.
    "aws:ec2/tag:Tag": (rule("key", "tag-key"), rule("value", "tag-value")),
    "aws:ec2/launchTemplate:LaunchTemplate": (
        # EC2's own LaunchTemplateName carries no pattern in the model; Auto Scaling's reference to the
        # same name does ([a-zA-Z0-9().-/_]+, 3-128), and EC2 documents the same rule.
        *named(on("autoscaling", "CreateAutoScalingGroup"), "LaunchTemplate.LaunchTemplateName"),
        EC2_LT("description", "VersionDescription"),
        EC2_LT("instanceType", "LaunchTemplateData.InstanceType"),
        EC2_LT("blockDeviceMappings[].ebs.volumeType", "LaunchTemplateData.BlockDeviceMappings[].Ebs.VolumeType"),
        EC2_LT("metadataOptions", "LaunchTemplateData.MetadataOptions"),
        rule("metadataOptions.httpPutResponseHopLimit", "imds-hop-limit"),
        EC2_LT("tagSpecifications[].resourceType", "LaunchTemplateData.TagSpecifications[].ResourceType"),
        rule("tagSpecifications[].tags{k}", "tag-key"),
        rule("tagSpecifications[].tags{v}", "tag-value"),
        rule("userData", "ec2-user-data"),
        *EC2_TAGS,
    ),
    "aws:ec2/natGateway:NatGateway": (Field("connectivityType", ("ec2", "CreateNatGateway", "ConnectivityType")), *EC2_TAGS),
    "aws:ec2/routeTable:RouteTable": EC2_TAGS,
    "aws:ec2/securityGroup:SecurityGroup": (
        *named_by_rule("ec2-sg-name"),
        rule("description", "ec2-sg-description"),
        rule("ingress[].description", "ec2-sg-rule-description"),
        rule("egress[].description", "ec2-sg-rule-description"),
        rule("ingress[].protocol", "ec2-ip-protocol"),
        rule("egress[].protocol", "ec2-ip-protocol"),
        *EC2_TAGS,
    ),
    "aws:ec2/subnet:Subnet": EC2_TAGS,
    "aws:ec2/vpc:Vpc": (Field("instanceTenancy", ("ec2", "CreateVpc", "InstanceTenancy")), *EC2_TAGS),
    "aws:ec2/vpcEndpoint:VpcEndpoint": (
        Field("vpcEndpointType", ("ec2", "CreateVpcEndpoint", "VpcEndpointType")),
        Field("ipAddressType", ("ec2", "CreateVpcEndpoint", "IpAddressType")),
        *EC2_TAGS,
    ),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": (
        rule("description", "ec2-sg-rule-description"),
        rule("ipProtocol", "ec2-ip-protocol"),
        rule("fromPort", "ec2-port"),
        rule("toPort", "ec2-port"),
        *EC2_TAGS,
    ),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": (
        rule("description", "ec2-sg-rule-description"),
        rule("ipProtocol", "ec2-ip-protocol"),
        rule("fromPort", "ec2-port"),
        rule("toPort", "ec2-port"),
        *EC2_TAGS,
    ),
    # --- EKS -----------------------------------------------------------------------------------
    "aws:eks/cluster:Cluster": (
        EKS("name", "name"),
        EKS("accessConfig.authenticationMode", "accessConfig.authenticationMode"),
        EKS("enabledClusterLogTypes[]", "logging.clusterLogging[].types[]"),
        EKS("upgradePolicy.supportType", "upgradePolicy.supportType"),
        EKS("kubernetesNetworkConfig", "kubernetesNetworkConfig"),
        *tags(EKS, "tags{}"),
    ),
    "aws:eks/nodeGroup:NodeGroup": (
        NODEGROUP("amiType", "amiType"),
        NODEGROUP("capacityType", "capacityType"),
        NODEGROUP("scalingConfig", "scalingConfig"),
        NODEGROUP("updateConfig", "updateConfig"),
        NODEGROUP("taints", "taints"),
        # CreateNodegroup's instanceTypes are free strings in the EKS model; EC2's InstanceType enum is the list.
        Field("instanceTypes[]", ("ec2", "CreateLaunchTemplate", "LaunchTemplateData.InstanceType")),
    ),
    "aws:eks/addon:Addon": (
        ADDON("clusterName", "clusterName"),
        ADDON("serviceAccountRoleArn", "serviceAccountRoleArn"),
        ADDON("resolveConflictsOnCreate", "resolveConflicts"),
        Field("resolveConflictsOnUpdate", ("eks", "UpdateAddon", "resolveConflicts")),
    ),
    "aws:eks/accessEntry:AccessEntry": (rule("type", "eks-access-entry-type"),),
    "aws:eks/accessPolicyAssociation:AccessPolicyAssociation": (
        Field("accessScope.type", ("eks", "AssociateAccessPolicy", "accessScope.type")),
        rule("accessScope.namespaces[]", "k8s-dns-label"),
    ),
    "aws:eks/podIdentityAssociation:PodIdentityAssociation": (
        rule("namespace", "k8s-dns-label"),
        rule("serviceAccount", "k8s-dns-subdomain"),
    ),
    # --- ElastiCache ---------------------------------------------------------------------------
    "aws:elasticache/replicationGroup:ReplicationGroup": (
        rule("replicationGroupId", "elasticache-replication-group-id"),
        rule("authToken", "elasticache-auth-token"),
        CACHE("logDeliveryConfigurations", "LogDeliveryConfigurations"),
        CACHE("networkType", "NetworkType"),
        CACHE("ipDiscovery", "IpDiscovery"),
        CACHE("transitEncryptionMode", "TransitEncryptionMode"),
        CACHE("clusterMode", "ClusterMode"),
        CACHE("userGroupIds", "UserGroupIds"),
        rule("engine", "elasticache-user-engine"),
        rule("maintenanceWindow", "maintenance-window"),
        rule("snapshotWindow", "time-window"),
        rule("snapshotRetentionLimit", "elasticache-snapshot-retention"),
        rule("replicasPerNodeGroup", "elasticache-replicas"),
        rule("numNodeGroups", "elasticache-shards"),
    ),
    "aws:elasticache/parameterGroup:ParameterGroup": (rule("family", "elasticache-family"),),
    "aws:elasticache/subnetGroup:SubnetGroup": (rule("name", "elasticache-subnet-group-name"),),
    "aws:elasticache/user:User": (
        Field("userId", ("elasticache", "CreateUser", "UserId")),
        Field("userName", ("elasticache", "CreateUser", "UserName")),
        Field("accessString", ("elasticache", "CreateUser", "AccessString")),
        Field("authenticationMode.type", ("elasticache", "CreateUser", "AuthenticationMode.Type")),
        Field("engine", ("elasticache", "CreateUser", "Engine"), rule="elasticache-user-engine"),
    ),
    "aws:elasticache/userGroup:UserGroup": (
        Field("userGroupId", ("elasticache", "CreateUserGroup", "UserIds[]")),
        Field("userIds", ("elasticache", "CreateUserGroup", "UserIds")),
        Field("engine", ("elasticache", "CreateUserGroup", "Engine"), rule="elasticache-user-engine"),
    ),
    # --- IAM -----------------------------------------------------------------------------------
    "aws:iam/role:Role": (
        *named(IAM_ROLE, "RoleName"),
        IAM_ROLE("path", "Path"),
        IAM_ROLE("description", "Description"),
        IAM_ROLE("assumeRolePolicy", "AssumeRolePolicyDocument"),
        IAM_ROLE("maxSessionDuration", "MaxSessionDuration"),
        IAM_ROLE("permissionsBoundary", "PermissionsBoundary"),
        *tags(IAM_ROLE),
    ),
    "aws:iam/policy:Policy": (
        *named(IAM_POLICY, "PolicyName"),
        IAM_POLICY("path", "Path"),
        IAM_POLICY("description", "Description"),
        IAM_POLICY("policy", "PolicyDocument"),
        *tags(IAM_POLICY),
    ),
    # `role` is left out: the program passes `role.id`, the role's name in AWS but its ARN under the mocks.
    "aws:iam/rolePolicy:RolePolicy": (
        *named(on("iam", "PutRolePolicy"), "PolicyName"),
        Field("policy", ("iam", "PutRolePolicy", "PolicyDocument")),
    ),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": (
        Field("role", ("iam", "AttachRolePolicy", "RoleName")),
        Field("policyArn", ("iam", "AttachRolePolicy", "PolicyArn")),
    ),
    "aws:iam/instanceProfile:InstanceProfile": (
        *named(IAM_PROFILE, "InstanceProfileName"),
        IAM_PROFILE("path", "Path"),
        Field("role", ("iam", "AddRoleToInstanceProfile", "RoleName")),
        *tags(IAM_PROFILE),
    ),
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": (
        Field("url", ("iam", "CreateOpenIDConnectProvider", "Url")),
        Field("clientIdLists[]", ("iam", "CreateOpenIDConnectProvider", "ClientIDList[]")),
        Field("thumbprintLists[]", ("iam", "CreateOpenIDConnectProvider", "ThumbprintList[]")),
    ),
    "aws:iam/serviceLinkedRole:ServiceLinkedRole": (
        Field("awsServiceName", ("iam", "CreateServiceLinkedRole", "AWSServiceName")),
        Field("customSuffix", ("iam", "CreateServiceLinkedRole", "CustomSuffix")),
        Field("description", ("iam", "CreateServiceLinkedRole", "Description")),
    ),
    # --- Firehose ------------------------------------------------------------------------------
    "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream": (
        FIREHOSE("name", "DeliveryStreamName"),
        FIREHOSE("serverSideEncryption.keyType", "DeliveryStreamEncryptionConfigurationInput.KeyType"),
        FIREHOSE("opensearchConfiguration.indexName", f"{OS_DEST}.IndexName"),
        FIREHOSE("opensearchConfiguration.indexRotationPeriod", f"{OS_DEST}.IndexRotationPeriod"),
        FIREHOSE("opensearchConfiguration.bufferingInterval", f"{OS_DEST}.BufferingHints.IntervalInSeconds"),
        FIREHOSE("opensearchConfiguration.bufferingSize", f"{OS_DEST}.BufferingHints.SizeInMBs"),
        FIREHOSE("opensearchConfiguration.retryDuration", f"{OS_DEST}.RetryOptions.DurationInSeconds"),
        FIREHOSE("opensearchConfiguration.s3BackupMode", f"{OS_DEST}.S3BackupMode"),
        FIREHOSE("opensearchConfiguration.s3Configuration.prefix", f"{OS_DEST}.S3Configuration.Prefix"),
        FIREHOSE("opensearchConfiguration.s3Configuration.errorOutputPrefix", f"{OS_DEST}.S3Configuration.ErrorOutputPrefix"),
        FIREHOSE("opensearchConfiguration.s3Configuration.compressionFormat", f"{OS_DEST}.S3Configuration.CompressionFormat"),
        FIREHOSE(
            "opensearchConfiguration.s3Configuration.cloudwatchLoggingOptions.logGroupName",
            f"{OS_DEST}.S3Configuration.CloudWatchLoggingOptions.LogGroupName",
        ),
        FIREHOSE(
            "opensearchConfiguration.s3Configuration.cloudwatchLoggingOptions.logStreamName",
            f"{OS_DEST}.S3Configuration.CloudWatchLoggingOptions.LogStreamName",
        ),
        FIREHOSE("opensearchConfiguration.cloudwatchLoggingOptions.logGroupName", f"{OS_DEST}.CloudWatchLoggingOptions.LogGroupName"),
        FIREHOSE("opensearchConfiguration.cloudwatchLoggingOptions.logStreamName", f"{OS_DEST}.CloudWatchLoggingOptions.LogStreamName"),
        FIREHOSE(
            "opensearchConfiguration.processingConfiguration.processors[].type", f"{OS_DEST}.ProcessingConfiguration.Processors[].Type"
        ),
        FIREHOSE(
            "opensearchConfiguration.processingConfiguration.processors[].parameters[].parameterName",
            f"{OS_DEST}.ProcessingConfiguration.Processors[].Parameters[].ParameterName",
        ),
        FIREHOSE(
            "opensearchConfiguration.processingConfiguration.processors[].parameters[].parameterValue",
            f"{OS_DEST}.ProcessingConfiguration.Processors[].Parameters[].ParameterValue",
        ),
        FIREHOSE("opensearchConfiguration.vpcConfig.subnetIds", f"{OS_DEST}.VpcConfiguration.SubnetIds"),
        FIREHOSE("opensearchConfiguration.vpcConfig.securityGroupIds", f"{OS_DEST}.VpcConfiguration.SecurityGroupIds"),
    ),
    # --- KMS -----------------------------------------------------------------------------------
    "aws:kms/key:Key": (
        KMS("description", "Description"),
        KMS("policy", "Policy"),
        KMS("keyUsage", "KeyUsage"),
        KMS("customerMasterKeySpec", "KeySpec"),
        rule("deletionWindowInDays", "kms-deletion-window"),
        Field("rotationPeriodInDays", ("kms", "EnableKeyRotation", "RotationPeriodInDays")),
        *tags(KMS, "Tags[]", "TagKey", "TagValue"),
    ),
    "aws:kms/alias:Alias": (
        Field("name", ("kms", "CreateAlias", "AliasName"), rule="kms-alias-name"),  # required: no autoname
        Field("namePrefix", ("kms", "CreateAlias", "AliasName"), prefix=PREFIX_SUFFIX),
        Field("targetKeyId", ("kms", "CreateAlias", "TargetKeyId")),
    ),
    # --- Lambda --------------------------------------------------------------------------------
    "aws:lambda/invocation:Invocation": (
        Field("functionName", ("lambda", "Invoke", "FunctionName")),
        Field("qualifier", ("lambda", "Invoke", "Qualifier")),
    ),
    "aws:lambda/function:Function": (
        LAMBDA("name", "FunctionName"),
        LAMBDA("role", "Role"),
        LAMBDA("handler", "Handler"),
        LAMBDA("runtime", "Runtime"),
        LAMBDA("description", "Description"),
        LAMBDA("timeout", "Timeout"),
        LAMBDA("memorySize", "MemorySize"),
        LAMBDA("packageType", "PackageType"),
        LAMBDA("architectures", "Architectures"),
        LAMBDA("ephemeralStorage.size", "EphemeralStorage.Size"),
        LAMBDA("tracingConfig.mode", "TracingConfig.Mode"),
        LAMBDA("loggingConfig", "LoggingConfig"),
        LAMBDA("vpcConfig.subnetIds", "VpcConfig.SubnetIds"),
        LAMBDA("vpcConfig.securityGroupIds", "VpcConfig.SecurityGroupIds"),
        LAMBDA("layers[]", "Layers[]"),
        LAMBDA("kmsKeyArn", "KMSKeyArn"),
        LAMBDA("s3Bucket", "Code.S3Bucket"),
        LAMBDA("s3Key", "Code.S3Key"),
        LAMBDA("deadLetterConfig.targetArn", "DeadLetterConfig.TargetArn"),
        *tags(LAMBDA, "Tags{}"),
    ),
    # --- load balancing ------------------------------------------------------------------------
    "aws:lb/loadBalancer:LoadBalancer": (
        Field("name", None, "elb-name", autoname=True),
        rule("namePrefix", "elb-name", prefix=PREFIX_SUFFIX),
        ELBV2_LB("loadBalancerType", "Type"),
        ELBV2_LB("ipAddressType", "IpAddressType"),
        rule("idleTimeout", "elb-idle-timeout"),
        rule("desyncMitigationMode", "elb-desync-mode"),
        rule("accessLogs.bucket", "s3-bucket-name"),
        *tags(ELBV2_LB),
    ),
    "aws:lb/targetGroup:TargetGroup": (
        Field("name", None, "elb-target-group-name", autoname=True),
        rule("namePrefix", "elb-target-group-name", prefix=PREFIX_SUFFIX),
        ELBV2_TG("port", "Port"),
        ELBV2_TG("protocol", "Protocol"),
        ELBV2_TG("protocolVersion", "ProtocolVersion", rule="elb-protocol-version"),
        ELBV2_TG("targetType", "TargetType"),
        ELBV2_TG("ipAddressType", "IpAddressType"),
        ELBV2_TG("healthCheck.path", "HealthCheckPath"),
        ELBV2_TG("healthCheck.protocol", "HealthCheckProtocol"),
        ELBV2_TG("healthCheck.port", "HealthCheckPort", rule="elb-health-check-port"),
        ELBV2_TG("healthCheck.interval", "HealthCheckIntervalSeconds"),
        ELBV2_TG("healthCheck.timeout", "HealthCheckTimeoutSeconds"),
        ELBV2_TG("healthCheck.healthyThreshold", "HealthyThresholdCount"),
        ELBV2_TG("healthCheck.unhealthyThreshold", "UnhealthyThresholdCount"),
        ELBV2_TG("healthCheck.matcher", "Matcher.HttpCode", rule="elb-matcher"),
        rule("deregistrationDelay", "elb-deregistration-delay"),
        *tags(ELBV2_TG),
    ),
    "aws:lb/listener:Listener": (
        ELBV2_LISTENER("port", "Port"),
        ELBV2_LISTENER("protocol", "Protocol"),
        *_actions(ELBV2_LISTENER, "defaultActions", "DefaultActions"),
        *tags(ELBV2_LISTENER),
    ),
    "aws:lb/listenerRule:ListenerRule": (
        ELBV2_RULE("priority", "Priority"),
        *_actions(ELBV2_RULE, "actions", "Actions"),
        ELBV2_RULE("conditions[].pathPattern.values[]", "Conditions[].PathPatternConfig.Values[]", rule="elb-path-pattern"),
        ELBV2_RULE("conditions[].hostHeader.values[]", "Conditions[].HostHeaderConfig.Values[]", rule="elb-host-header"),
        *tags(ELBV2_RULE),
    ),
    # --- OpenSearch Service --------------------------------------------------------------------
    "aws:opensearch/domain:Domain": (
        OPENSEARCH("domainName", "DomainName"),
        OPENSEARCH("engineVersion", "EngineVersion"),
        OPENSEARCH("clusterConfig.instanceType", "ClusterConfig.InstanceType"),
        OPENSEARCH("clusterConfig.dedicatedMasterType", "ClusterConfig.DedicatedMasterType"),
        OPENSEARCH("ebsOptions.volumeType", "EBSOptions.VolumeType"),
        OPENSEARCH("accessPolicies", "AccessPolicies"),
        OPENSEARCH("domainEndpointOptions.tlsSecurityPolicy", "DomainEndpointOptions.TLSSecurityPolicy"),
        # Pulumi's list of {logType, ...} is the API's map keyed by LogType.
        OPENSEARCH("logPublishingOptions[].logType", "LogPublishingOptions{k}"),
    ),
    # --- RDS -----------------------------------------------------------------------------------
    "aws:rds/instance:Instance": (
        Field("identifier", None, "rds-instance-identifier", autoname=True),
        rule("identifierPrefix", "rds-instance-identifier", prefix=PREFIX_SUFFIX),
        rule("dbName", "rds-postgres-db-name"),
        rule("username", "rds-master-username"),
        rule("password", "rds-master-password"),
        rule("finalSnapshotIdentifier", "rds-snapshot-identifier"),
        rule("backupRetentionPeriod", "rds-backup-retention"),
        rule("backupWindow", "time-window"),
        rule("maintenanceWindow", "maintenance-window"),
        rule("monitoringInterval", "rds-monitoring-interval"),
        rule("performanceInsightsRetentionPeriod", "rds-pi-retention"),
        rule("port", "rds-port"),
        rule("storageType", "rds-storage-type"),
        Field("databaseInsightsMode", ("rds", "CreateDBInstance", "DatabaseInsightsMode")),
    ),
    "aws:rds/parameterGroup:ParameterGroup": (
        *named_by_rule("rds-parameter-group-name"),
        Field("parameters[].applyMethod", ("rds", "ModifyDBParameterGroup", "Parameters[].ApplyMethod")),
    ),
    "aws:rds/subnetGroup:SubnetGroup": named_by_rule("rds-subnet-group-name"),
    # --- S3 ------------------------------------------------------------------------------------
    "aws:s3/bucket:Bucket": (
        Field("bucket", None, "s3-bucket-name", autoname=True),
        rule("bucketPrefix", "s3-bucket-name", prefix=PREFIX_SUFFIX),
        *EC2_TAGS,
    ),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": (
        rule("bucket", "s3-bucket-name"),
        rule("rules[].id", "s3-lifecycle-rule-id"),
        Field("rules[].status", ("s3", "PutBucketLifecycleConfiguration", "LifecycleConfiguration.Rules[].Status")),
        Field(
            "rules[].transitions[].storageClass",
            ("s3", "PutBucketLifecycleConfiguration", "LifecycleConfiguration.Rules[].Transitions[].StorageClass"),
        ),
    ),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": (
        rule("bucket", "s3-bucket-name"),
        Field("rule.objectOwnership", ("s3", "PutBucketOwnershipControls", "OwnershipControls.Rules[].ObjectOwnership")),
    ),
    "aws:s3/bucketPolicy:BucketPolicy": (rule("bucket", "s3-bucket-name"), rule("policy", "s3-policy-size")),
    "aws:s3/bucketVersioning:BucketVersioning": (
        rule("bucket", "s3-bucket-name"),
        Field("versioningConfiguration.status", ("s3", "PutBucketVersioning", "VersioningConfiguration.Status")),
    ),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": (rule("bucket", "s3-bucket-name"),),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": (
        rule("bucket", "s3-bucket-name"),
        Field(
            "rules[].applyServerSideEncryptionByDefault.sseAlgorithm",
            ("s3", "PutBucketEncryption", "ServerSideEncryptionConfiguration.Rules[].ApplyServerSideEncryptionByDefault.SSEAlgorithm"),
        ),
    ),
    # --- Secrets Manager -----------------------------------------------------------------------
    "aws:secretsmanager/secret:Secret": (
        Field("name", ("secretsmanager", "CreateSecret", "Name"), "secret-name", autoname=True),
        SECRET("namePrefix", "Name", rule="secret-name", prefix=PREFIX_SUFFIX),
        SECRET("description", "Description"),
        SECRET("kmsKeyId", "KmsKeyId"),
        rule("recoveryWindowInDays", "secrets-recovery-window"),
        *tags(SECRET),
    ),
    "aws:secretsmanager/secretVersion:SecretVersion": (
        Field("secretId", ("secretsmanager", "PutSecretValue", "SecretId")),
        Field("secretString", ("secretsmanager", "PutSecretValue", "SecretString")),
        Field("versionStages", ("secretsmanager", "PutSecretValue", "VersionStages")),
    ),
    "aws:secretsmanager/secretRotation:SecretRotation": (
        Field("secretId", ("secretsmanager", "RotateSecret", "SecretId")),
        Field("rotationLambdaArn", ("secretsmanager", "RotateSecret", "RotationLambdaARN")),
        Field("rotationRules", ("secretsmanager", "RotateSecret", "RotationRules")),
    ),
    # --- WAFv2 ---------------------------------------------------------------------------------
    "aws:wafv2/webAcl:WebAcl": (
        WAF("name", "Name"),
        WAF("description", "Description"),
        WAF("scope", "Scope"),
        WAF("defaultAction", "DefaultAction"),
        WAF("visibilityConfig", "VisibilityConfig"),
        # Every rule as a whole: names, priorities, actions, visibility, and statements nested at any depth.
        WAF("rules", "Rules"),
        rule("rules[].statement.rateBasedStatement.evaluationWindowSec", "waf-evaluation-window"),
        *tags(WAF),
    ),
    "aws:wafv2/webAclAssociation:WebAclAssociation": (
        Field("resourceArn", ("wafv2", "AssociateWebACL", "ResourceArn")),
        Field("webAclArn", ("wafv2", "AssociateWebACL", "WebACLArn")),
    ),
    "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration": (
        WAF_LOG("resourceArn", "LoggingConfiguration.ResourceArn"),
        WAF_LOG("logDestinationConfigs", "LoggingConfiguration.LogDestinationConfigs"),
        rule("logDestinationConfigs[]", "waf-log-destination"),
        WAF_LOG("redactedFields", "LoggingConfiguration.RedactedFields"),
        WAF_LOG("loggingFilter", "LoggingConfiguration.LoggingFilter"),
    ),
}

# Types with nothing the AWS API constrains that the program sets, each with the reason.
NOTHING_TO_CHECK: dict[str, str] = {
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "only the ids of a route table and a subnet (other resources' ids)",
    "aws:sns/topicPolicy:TopicPolicy": "the topic's ARN (another resource's) and a policy document the model leaves unconstrained",
    "aws:sqs/queuePolicy:QueuePolicy": "the queue's URL (another resource's) and a policy document the model leaves unconstrained",
}
# Whole namespaces with nothing for the AWS API to check.
NOTHING_TO_CHECK_PREFIXES: dict[str, str] = {
    "kubernetes:": "Kubernetes objects: schema-checked by kubernetes-validate in tests/test_workload.py, not AWS APIs",
    "random:": "generated locally by the random provider",
    "pulumi:providers:": "provider configuration, no AWS API call",
    "pulumi:": "engine-internal",
    "nox:": "component resources of this program: no cloud resource of their own",
}


def nothing_to_check(token: str) -> str | None:
    """The reason a type has nothing to check, or None when it needs a mapping."""
    if token in NOTHING_TO_CHECK:
        return NOTHING_TO_CHECK[token]
    return next((why for prefix, why in NOTHING_TO_CHECK_PREFIXES.items() if token.startswith(prefix)), None)
