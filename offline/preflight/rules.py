"""Documented rules: what AWS enforces where botocore's model carries no machine-readable constraint.

Each rule is encoded from the member's documentation text in the botocore model (quoted as
"model doc: <service> <Operation> <Member>") or from AWS's published rules (URL), and reported as
a "documented rule" so a reader knows it is ours, not the SDK's. Patterns are Java regex like the
model's (they go through the same translation) and must match the whole value.
"""

from __future__ import annotations

from typing import Any

from .model import Constraint


def _rule(kind: str, source: str, **limits: Any) -> Constraint:
    return Constraint(kind=kind, source=source, origin="documented rule", **limits)


# EC2: "Constraints: Up to 255 characters in length. Valid characters: a-z, A-Z, 0-9, spaces, and
# ._-:/()#,@[]+=&;{}!$*" (model doc: ec2 CreateSecurityGroup Description / GroupName, and
# IpRange/IpPermission Description: "Allowed characters are a-z, A-Z, 0-9, spaces, and ._-:/()#,@[]+=&;{}!$*").
_EC2_SG_CHARS = r"[a-zA-Z0-9 ._\-:/()#,@\[\]+=&;{}!$*]"
_ELB_NAME = r"(?!internal-)[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?"
# RDS identifiers: "1 to 63 letters, numbers, or hyphens. First character must be a letter. Can't end
# with a hyphen or contain two consecutive hyphens." (model doc: rds CreateDBInstance DBInstanceIdentifier)
_RDS_IDENTIFIER = r"[a-zA-Z](?!.*--)[a-zA-Z0-9-]*(?<!-)"

RULES: dict[str, Constraint] = {
    "ec2-sg-description": _rule("string", "model doc: ec2 CreateSecurityGroup Description", pattern=_EC2_SG_CHARS + "*", max=255),
    "ec2-sg-name": _rule(
        "string",
        "model doc: ec2 CreateSecurityGroup GroupName (also: cannot start with sg-)",
        pattern=f"(?!sg-){_EC2_SG_CHARS}*",
        min=1,
        max=255,
    ),
    "ec2-sg-rule-description": _rule("string", "model doc: ec2 IpRange Description", pattern=_EC2_SG_CHARS + "*", max=255),
    # "can have a maximum of 32 characters, must contain only alphanumeric characters or hyphens, must
    # not begin or end with a hyphen, and must not begin with 'internal-'" (model doc: elbv2 CreateLoadBalancer Name)
    "elb-name": _rule("string", "model doc: elbv2 CreateLoadBalancer Name", pattern=_ELB_NAME, min=1, max=32),
    # "maximum of 32 characters, must contain only alphanumeric characters or hyphens, and must not
    # begin or end with a hyphen" (model doc: elbv2 CreateTargetGroup Name)
    "elb-target-group-name": _rule(
        "string", "model doc: elbv2 CreateTargetGroup Name", pattern=r"[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?", min=1, max=32
    ),
    # https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html (general purpose buckets)
    "s3-bucket-name": _rule(
        "string",
        "https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html",
        pattern=r"(?!xn--|sthree-|amzn-s3-demo-)(?!.*\.\.)(?!\d+\.\d+\.\d+\.\d+$)(?!.*(?:-s3alias|--ol-s3|\.mrap|--x-s3|--table-s3)$)"
        r"[a-z0-9][a-z0-9.-]*[a-z0-9]",
        min=3,
        max=63,
    ),
    # "Possible values are: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827,
    # 2192, 2557, 2922, 3288, and 3653." (model doc: logs PutRetentionPolicy retentionInDays; 0 = never
    # expire in the provider, which then sends no retention policy)
    "logs-retention-days": _rule(
        "number",
        "model doc: logs PutRetentionPolicy retentionInDays",
        enum=tuple(
            str(d) for d in (0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)
        ),
    ),
    # "Valid values are 10, 20, 30, and any multiple of 60." (model doc: cloudwatch PutMetricAlarm Period)
    "cloudwatch-alarm-period": _rule("number", "model doc: cloudwatch PutMetricAlarm Period", enum=("10", "20", "30"), multiple_of=60),
    # "The Id must start with a lowercase letter and can contain only letters, numbers and underscores"
    "cloudwatch-metric-query-id": _rule(
        "string", "model doc: cloudwatch MetricDataQuery Id", pattern=r"[a-z][a-zA-Z0-9_]*", min=1, max=255
    ),
    # "Can contain only alphanumerics, dash (-) and underscore (_)." (model doc: cloudwatch PutDashboard DashboardName)
    "cloudwatch-dashboard-name": _rule("string", "model doc: cloudwatch PutDashboard DashboardName", pattern=r"[a-zA-Z0-9_-]+", max=255),
    # "Enter a value between 7 and 30 days." (model doc: kms ScheduleKeyDeletion PendingWindowInDays)
    "kms-deletion-window": _rule("number", "model doc: kms ScheduleKeyDeletion PendingWindowInDays", min=7, max=30),
    # "a value between 7 and 30 days" (model doc: secretsmanager DeleteSecret RecoveryWindowInDays); 0
    # is the provider's "force delete without recovery".
    "secrets-recovery-window": _rule(
        "number", "model doc: secretsmanager DeleteSecret RecoveryWindowInDays", pattern="0|[7-9]|[12][0-9]|30"
    ),
    "rds-instance-identifier": _rule(
        "string", "model doc: rds CreateDBInstance DBInstanceIdentifier", pattern=_RDS_IDENTIFIER, min=1, max=63
    ),
    # "1 to 255 letters, numbers, or hyphens. First character must be a letter. Can't end with a hyphen
    # or contain two consecutive hyphens." (model doc: rds CreateDBInstance FinalDBSnapshotIdentifier / DeleteDBInstance)
    "rds-snapshot-identifier": _rule(
        "string", "model doc: rds DeleteDBInstance FinalDBSnapshotIdentifier", pattern=_RDS_IDENTIFIER, min=1, max=255
    ),
    "rds-parameter-group-name": _rule(
        "string", "model doc: rds CreateDBParameterGroup DBParameterGroupName", pattern=_RDS_IDENTIFIER, min=1, max=255
    ),
    # "no more than 255 letters, numbers, periods, underscores, spaces, or hyphens. Must not be default.
    # First character must be a letter."
    "rds-subnet-group-name": _rule(
        "string", "model doc: rds CreateDBSubnetGroup DBSubnetGroupName", pattern=r"(?!default$)[a-zA-Z][a-zA-Z0-9._ -]*", min=1, max=255
    ),
    # PostgreSQL DBName: "Must contain 1 to 63 letters, numbers, or underscores. Must begin with a letter."
    "rds-postgres-db-name": _rule(
        "string", "model doc: rds CreateDBInstance DBName (PostgreSQL)", pattern=r"[a-zA-Z][a-zA-Z0-9_]*", min=1, max=63
    ),
    # MasterUsername: "Must be 1 to 16 letters, numbers, or underscores. First character must be a letter."
    "rds-master-username": _rule(
        "string", "model doc: rds CreateDBInstance MasterUsername", pattern=r"[a-zA-Z][a-zA-Z0-9_]*", min=1, max=16
    ),
    # MasterUserPassword: "Can include any printable ASCII character except "/", """, or "@". ... RDS for
    # PostgreSQL - Must contain from 8 to 128 characters." (a secret in every plan: skipped, counted)
    "rds-master-password": _rule("string", "model doc: rds CreateDBInstance MasterUserPassword", pattern=r"[ !#-.0-?A-~]+", min=8, max=128),
    # AuthToken: "at least 16 characters and no more than 128 ... The only permitted printable special
    # characters are !, &, #, $, ^, <, >, and -." (model doc: elasticache CreateReplicationGroup AuthToken)
    "elasticache-auth-token": _rule(
        "string", "model doc: elasticache CreateReplicationGroup AuthToken", pattern=r"[A-Za-z0-9!&#$^<>-]+", min=16, max=128
    ),
    # "Must be in the format hh24:mi-hh24:mi ... Universal Coordinated Time (UTC)" (model doc: rds CreateDBInstance PreferredBackupWindow)
    "time-window": _rule(
        "string",
        "model doc: rds CreateDBInstance PreferredBackupWindow",
        pattern=r"([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9]",
    ),
    # "Format: ddd:hh24:mi-ddd:hh24:mi ... Valid Days: Mon, Tue, Wed, Thu, Fri, Sat, Sun"
    "maintenance-window": _rule(
        "string",
        "model doc: rds CreateDBInstance PreferredMaintenanceWindow",
        pattern=r"(?i)(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):[0-5][0-9]-(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):[0-5][0-9]",
    ),
    # "Must be a value from 0 to 35." (model doc: rds CreateDBInstance BackupRetentionPeriod)
    "rds-backup-retention": _rule("number", "model doc: rds CreateDBInstance BackupRetentionPeriod", min=0, max=35),
    # "Valid Values: 0, 1, 5, 10, 15, 30, 60" (model doc: rds CreateDBInstance MonitoringInterval)
    "rds-monitoring-interval": _rule(
        "number", "model doc: rds CreateDBInstance MonitoringInterval", enum=("0", "1", "5", "10", "15", "30", "60")
    ),
    # "7, month * 31 (where month is 1-23), 731" (model doc: rds CreateDBInstance PerformanceInsightsRetentionPeriod)
    "rds-pi-retention": _rule(
        "number",
        "model doc: rds CreateDBInstance PerformanceInsightsRetentionPeriod",
        enum=("7", "731", *(str(31 * m) for m in range(1, 24))),
    ),
    # "Valid Values: 1150-65535" (model doc: rds CreateDBInstance Port)
    "rds-port": _rule("number", "model doc: rds CreateDBInstance Port", min=1150, max=65535),
    # "A name must contain from 1 to 40 alphanumeric characters or hyphens. The first character must be
    # a letter. A name cannot end with a hyphen or contain two consecutive hyphens."
    "elasticache-replication-group-id": _rule(
        "string", "model doc: elasticache CreateReplicationGroup ReplicationGroupId", pattern=_RDS_IDENTIFIER, min=1, max=40
    ),
    # "Must contain no more than 255 alphanumeric characters or hyphens."
    "elasticache-subnet-group-name": _rule(
        "string", "model doc: elasticache CreateCacheSubnetGroup CacheSubnetGroupName", pattern=r"[a-zA-Z0-9-]+", min=1, max=255
    ),
    # "Valid values are: valkey8 | valkey7 | memcached1.4 | memcached1.5 | memcached1.6 | redis2.6 | redis2.8 |
    # redis3.2 | redis4.0 | redis5.0 | redis6.x | redis7" (model doc: elasticache CreateCacheParameterGroup CacheParameterGroupFamily)
    "elasticache-family": _rule(
        "string",
        "model doc: elasticache CreateCacheParameterGroup CacheParameterGroupFamily",
        enum=("valkey8", "valkey7", "memcached1.4", "memcached1.5", "memcached1.6", "redis2.6", "redis2.8", "redis3.2", "redis4.0")
        + ("redis5.0", "redis6.x", "redis7"),
    ),
    # "The maximum backup retention limit is 35 days" (ElastiCache user guide, automatic backups)
    "elasticache-snapshot-retention": _rule(
        "number", "https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/backups-automatic.html", min=0, max=35
    ),
    # "Must contain 1 to 50 alphanumeric or '-_.' characters." (model doc: backup BackupPlanInput BackupPlanName)
    "backup-plan-name": _rule("string", "model doc: backup CreateBackupPlan BackupPlanName", pattern=r"[a-zA-Z0-9\-_.]+", min=1, max=50),
    # SNS: "Topic names must be made up of only uppercase and lowercase ASCII letters, numbers, underscores,
    # and hyphens, and must be between 1 and 256 characters long. ... the name of a FIFO topic must end
    # with the .fifo suffix." (model doc: sns CreateTopic Name)
    "sns-topic-name": _rule("string", "model doc: sns CreateTopic Name", pattern=r"[a-zA-Z0-9_-]+(\.fifo)?", min=1, max=256),
    # https://docs.aws.amazon.com/sns/latest/api/API_Subscribe.html Protocol values
    "sns-protocol": _rule(
        "string",
        "model doc: sns Subscribe Protocol",
        enum=("http", "https", "email", "email-json", "sms", "sqs", "application", "lambda", "firehose"),
    ),
    # SQS: "A queue name can have up to 80 characters. Valid values: alphanumeric characters, hyphens
    # (-), and underscores (_). A FIFO queue name must end with the .fifo suffix." (model doc: sqs CreateQueue QueueName)
    "sqs-queue-name": _rule("string", "model doc: sqs CreateQueue QueueName", pattern=r"[a-zA-Z0-9_-]+(\.fifo)?", min=1, max=80),
    # QueueAttributeName docs (model doc: sqs CreateQueue Attributes): DelaySeconds 0-900,
    # MaximumMessageSize 1,024-1,048,576 bytes, MessageRetentionPeriod 60-1,209,600 s,
    # ReceiveMessageWaitTimeSeconds 0-20, VisibilityTimeout 0-43,200, KmsDataKeyReusePeriodSeconds 60-86,400.
    "sqs-delay": _rule("number", "model doc: sqs CreateQueue Attributes DelaySeconds", min=0, max=900),
    "sqs-max-message-size": _rule("number", "model doc: sqs CreateQueue Attributes MaximumMessageSize", min=1024, max=1048576),
    "sqs-retention": _rule("number", "model doc: sqs CreateQueue Attributes MessageRetentionPeriod", min=60, max=1209600),
    "sqs-receive-wait": _rule("number", "model doc: sqs CreateQueue Attributes ReceiveMessageWaitTimeSeconds", min=0, max=20),
    "sqs-visibility": _rule("number", "model doc: sqs CreateQueue Attributes VisibilityTimeout", min=0, max=43200),
    "sqs-kms-reuse": _rule("number", "model doc: sqs CreateQueue Attributes KmsDataKeyReusePeriodSeconds", min=60, max=86400),
    # EventBridge retry policy: MaximumEventAgeInSeconds 60-86400, MaximumRetryAttempts 0-185
    # (model shapes carry these as min/max; mapped there). Kubernetes names for pod identity:
    # namespace is a DNS-1123 label, a service account name a DNS-1123 subdomain
    # (https://kubernetes.io/docs/concepts/overview/working-with-objects/names/).
    "k8s-dns-label": _rule(
        "string",
        "https://kubernetes.io/docs/concepts/overview/working-with-objects/names/#dns-label-names",
        pattern=r"[a-z0-9]([-a-z0-9]*[a-z0-9])?",
        min=1,
        max=63,
    ),
    "k8s-dns-subdomain": _rule(
        "string",
        "https://kubernetes.io/docs/concepts/overview/working-with-objects/names/#dns-subdomain-names",
        pattern=r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*",
        min=1,
        max=253,
    ),
    # ElastiCache RBAC: UserName and AccessString are free text in the model; engine "redis"/"valkey"
    # (https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/Clusters.RBAC.html).
    "elasticache-user-engine": _rule(
        "string", "https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/Clusters.RBAC.html", pattern=r"(?i)redis|valkey"
    ),
    # --- smaller enumerations and ranges quoted from the model docs -------------------------------
    # "The valid values are EC2, EBS, ELB, and VPC_LATTICE" (comma-separated)
    "asg-health-check-type": _rule(
        "string",
        "model doc: autoscaling CreateAutoScalingGroup HealthCheckType",
        pattern=r"(EC2|EBS|ELB|VPC_LATTICE)(,(EC2|EBS|ELB|VPC_LATTICE))*",
    ),
    # "The only valid value is 1Minute." (model doc: autoscaling EnableMetricsCollection Granularity)
    "asg-granularity": _rule("string", "model doc: autoscaling EnableMetricsCollection Granularity", enum=("1Minute",)),
    # "Valid values are ChangeInCapacity, ExactCapacity, and PercentChangeInCapacity."
    "asg-adjustment-type": _rule(
        "string",
        "model doc: autoscaling PutScalingPolicy AdjustmentType",
        enum=("ChangeInCapacity", "ExactCapacity", "PercentChangeInCapacity"),
    ),
    # "TargetTrackingScaling, StepScaling, SimpleScaling (default), PredictiveScaling" (model doc: autoscaling PutScalingPolicy PolicyType)
    "asg-policy-type": _rule(
        "string",
        "model doc: autoscaling PutScalingPolicy PolicyType",
        enum=("TargetTrackingScaling", "StepScaling", "SimpleScaling", "PredictiveScaling"),
    ),
    # "Valid Values: breaching | notBreaching | ignore | missing" (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarms-and-missing-data)
    "cloudwatch-treat-missing-data": _rule(
        "string", "model doc: cloudwatch PutMetricAlarm TreatMissingData", enum=("breaching", "notBreaching", "ignore", "missing")
    ),
    # "Valid Values: evaluate | ignore" (model doc: cloudwatch PutMetricAlarm EvaluateLowSampleCountPercentile)
    "cloudwatch-low-sample": _rule(
        "string", "model doc: cloudwatch PutMetricAlarm EvaluateLowSampleCountPercentile", enum=("evaluate", "ignore")
    ),
    # SignatureVersion "1 (SHA1) or 2 (SHA256)"; TracingConfig "PassThrough | Active"; FilterPolicyScope
    # "MessageAttributes (default) | MessageBody" (model doc: sns CreateTopic / Subscribe Attributes)
    "sns-signature-version": _rule(
        "number",
        "https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html (SignatureVersion 1 or 2)",
        enum=("1", "2"),
    ),
    "sns-tracing": _rule("string", "model doc: sns CreateTopic Attributes TracingConfig", enum=("PassThrough", "Active")),
    "sns-filter-policy-scope": _rule(
        "string", "model doc: sns Subscribe Attributes FilterPolicyScope", enum=("MessageAttributes", "MessageBody")
    ),
    # "Valid Values: 60 | 600" (model doc: ec2 CreateFlowLogs MaxAggregationInterval)
    "flow-log-aggregation": _rule("number", "model doc: ec2 CreateFlowLogs MaxAggregationInterval", enum=("60", "600")),
    # "Possible values: Integers from 1 to 64" (model doc: ec2 LaunchTemplateInstanceMetadataOptionsRequest HttpPutResponseHopLimit)
    "imds-hop-limit": _rule("number", "model doc: ec2 LaunchTemplateInstanceMetadataOptionsRequest HttpPutResponseHopLimit", min=1, max=64),
    # "User data is limited to 16 KB, in raw form, before it is base64-encoded" = 21,848 base64 characters
    # (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/user-data.html); the program sends it base64-encoded.
    "ec2-user-data": _rule("string", "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/user-data.html", max=21848),
    # "tcp, udp, icmp, or icmpv6 ... or a protocol number ... -1 to specify all protocols" (model doc: ec2 IpPermission IpProtocol)
    "ec2-ip-protocol": _rule("string", "model doc: ec2 IpPermission IpProtocol", pattern=r"(?i)tcp|udp|icmp|icmpv6|-1|[0-9]{1,3}"),
    # Ports 0-65535; "-1 for all ICMP types" (model doc: ec2 IpPermission FromPort/ToPort)
    "ec2-port": _rule("number", "model doc: ec2 IpPermission FromPort", min=-1, max=65535),
    # Tags: key 1-128 and value 0-256 Unicode characters; the aws: prefix is reserved
    # (https://docs.aws.amazon.com/tag-editor/latest/userguide/best-practices-and-strats.html#id_tags_naming_best_practices).
    "tag-key": _rule(
        "string",
        "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/Using_Tags.html#tag-restrictions",
        pattern=r"(?!aws:)[\s\S]*",
        min=1,
        max=128,
    ),
    "tag-value": _rule("string", "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/Using_Tags.html#tag-restrictions", max=256),
    # "Valid values: STANDARD, FARGATE_LINUX, EC2_LINUX, EC2_WINDOWS, EC2, HYBRID_LINUX, HYPERPOD_LINUX"
    "eks-access-entry-type": _rule(
        "string",
        "model doc: eks CreateAccessEntry type",
        enum=("STANDARD", "FARGATE_LINUX", "EC2_LINUX", "EC2_WINDOWS", "EC2", "HYBRID_LINUX", "HYPERPOD_LINUX"),
    ),
    # "Valid values are 0 to 5" replicas per shard (model doc: elasticache CreateReplicationGroup ReplicasPerNodeGroup);
    # a cluster-mode replication group has up to 500 shards (ElastiCache user guide).
    "elasticache-replicas": _rule("number", "model doc: elasticache CreateReplicationGroup ReplicasPerNodeGroup", min=0, max=5),
    "elasticache-shards": _rule(
        "number", "https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/CacheNodes.NodeGroups.html (up to 500 shards)", min=1, max=500
    ),
    # "The AliasName value must be string of 1-256 characters ... begin with alias/ ... cannot begin with alias/aws/"
    "kms-alias-name": _rule("string", "model doc: kms CreateAlias AliasName", pattern=r"alias/(?!aws/).+"),
    # "The valid range is 1-4000 seconds" (model doc: elbv2 LoadBalancerAttribute idle_timeout.timeout_seconds)
    "elb-idle-timeout": _rule("number", "model doc: elbv2 LoadBalancerAttribute idle_timeout.timeout_seconds", min=1, max=4000),
    # "monitor, defensive, strictest" (model doc: elbv2 LoadBalancerAttribute routing.http.desync_mitigation_mode)
    "elb-desync-mode": _rule(
        "string", "model doc: elbv2 LoadBalancerAttribute routing.http.desync_mitigation_mode", enum=("monitor", "defensive", "strictest")
    ),
    # "The range is 0-3600 seconds" (model doc: elbv2 TargetGroupAttribute deregistration_delay.timeout_seconds)
    "elb-deregistration-delay": _rule(
        "number", "model doc: elbv2 TargetGroupAttribute deregistration_delay.timeout_seconds", min=0, max=3600
    ),
    # "GRPC ... HTTP2 ... default HTTP1" (model doc: elbv2 CreateTargetGroup ProtocolVersion)
    "elb-protocol-version": _rule("string", "model doc: elbv2 CreateTargetGroup ProtocolVersion", enum=("GRPC", "HTTP1", "HTTP2")),
    # "traffic-port" or a port 1-65535 (model doc: elbv2 CreateTargetGroup HealthCheckPort)
    "elb-health-check-port": _rule("string", "model doc: elbv2 CreateTargetGroup HealthCheckPort", pattern=r"traffic-port|[1-9][0-9]{0,4}"),
    # "values from 200 to 499 ... multiple values (for example, "200,202") or a range (for example, "200-299")"
    "elb-matcher": _rule("string", "model doc: elbv2 Matcher HttpCode", pattern=r"[0-9]{1,3}(?:[,-][0-9]{1,3})*"),
    # "The weight. The range is 0 to 999." (model doc: elbv2 TargetGroupTuple Weight)
    "elb-weight": _rule("number", "model doc: elbv2 TargetGroupTuple Weight", min=0, max=999),
    # "The possible values are 1 second to 7 days (604800 seconds)" (model doc: elbv2 TargetGroupStickinessConfig DurationSeconds)
    "elb-stickiness": _rule("number", "model doc: elbv2 TargetGroupStickinessConfig DurationSeconds", min=1, max=604800),
    # "up to 128 characters ... A-Z, a-z, 0-9, _ - . $ / ~ " ' @ : +, & (using &amp;), * and ?"
    # (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/rule-condition-types.html#path-conditions)
    "elb-path-pattern": _rule(
        "string",
        "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/rule-condition-types.html#path-conditions",
        pattern=r"[A-Za-z0-9_\-.$/~\"'@:+&*?]+",
        max=128,
    ),
    # "up to 128 characters ... A-Z, a-z, 0-9, - ., * and ?" (same page, #host-conditions)
    "elb-host-header": _rule(
        "string",
        "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/rule-condition-types.html#host-conditions",
        pattern=r"[A-Za-z0-9\-.*?]+",
        max=128,
    ),
    # "Valid Values: gp2 | gp3 | io1 | io2 | standard" (model doc: rds CreateDBInstance StorageType)
    "rds-storage-type": _rule("string", "model doc: rds CreateDBInstance StorageType", enum=("gp2", "gp3", "io1", "io2", "standard")),
    # "ID ... The value cannot be longer than 255 characters." (model doc: s3 LifecycleRule ID)
    "s3-lifecycle-rule-id": _rule("string", "model doc: s3 LifecycleRule ID", max=255),
    # "Bucket policies are limited to 20 KB in size." (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-policies.html)
    "s3-policy-size": _rule("string", "https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-policies.html", max=20480),
    # "The secret name can contain ASCII letters, numbers, and the following characters: /_+=.@-"
    "secret-name": _rule("string", "model doc: secretsmanager CreateSecret Name", pattern=r"[a-zA-Z0-9/_+=.@-]+", max=512),
    # "The valid settings are 60, 120, 300, and 600." (model doc: wafv2 RateBasedStatement EvaluationWindowSec)
    "waf-evaluation-window": _rule("number", "model doc: wafv2 RateBasedStatement EvaluationWindowSec", enum=("60", "120", "300", "600")),
    # CloudWatch Logs destinations of WAF logs must be named aws-waf-logs-... (likewise S3 buckets and Firehose streams)
    # (https://docs.aws.amazon.com/waf/latest/developerguide/logging-cw-logs.html)
    "waf-log-destination": _rule(
        "string",
        "https://docs.aws.amazon.com/waf/latest/developerguide/logging-destinations.html",
        pattern=r"arn:aws[a-z-]*:(?:logs:[a-z0-9-]+:[0-9]{12}:log-group:aws-waf-logs-[^:]+(?::\*)?|s3:::aws-waf-logs-.+|firehose:[a-z0-9-]+:[0-9]{12}:deliverystream/aws-waf-logs-.+)",
    ),
    # Fully qualified names: labels of at most 63 characters, 255 in all (RFC 1035); Route 53 allows
    # letters, digits, '-', '_' and a leading '*' label (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/DomainNameFormat.html).
    "dns-name": _rule(
        "string",
        "https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/DomainNameFormat.html",
        pattern=r"(?:\*\.)?(?:[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\.)*[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\.?",
        max=255,
    ),
}
