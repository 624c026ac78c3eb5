"""Optional log search (`nox:logSearch`): the seed's Elasticsearch, as an OpenSearch Service domain.

The seed's Logstash wrote every parsed line, GeoIP-enriched, to a daily `nox-api-YYYY.MM.dd` index
with its own template. Here the app's log group (already parsed by components/logs.py's
transformer) feeds the domain:

    app log group --subscription filter (transformed events)--> Firehose --VPC ENIs--> domain
                                                                   '--failed documents--> S3

- **The domain** (`domain_name`) sits in the private subnets, one per AZ it uses; encrypted at rest
  with its own key, node-to-node and HTTPS-only (forward-secret TLS policy), fine-grained access
  control with an IAM master (the setup function's role) and no internal users, so no password
  exists; its four logs (audit included) go to encrypted log groups. Sizes: `PROFILES`.
- **Firehose** takes the subscription's gzip'd CloudWatch Logs records, decompresses them and
  extracts each event's message (the transformer's JSON), and writes one document per event to
  `nox-api-YYYY-MM-DD` (daily rotation, the template's `nox-api-*` pattern).
- **The setup function** (components/lambdas/search_setup.py, awaited by `pulumi up` like
  components/dbroles.py) PUTs, from inside the VPC, the documents below: the Firehose role's
  security-plugin role and mapping, the ip2geo datasource and GeoIP ingest pipeline, the seed's
  index template and the retention (ISM) policy. The stream starts only after it ran.

GeoIP: Amazon OpenSearch Service offers the geospatial plugin's `ip2geo` processor (OpenSearch
2.10+), which downloads GeoLite2 data from a datasource endpoint; the Elasticsearch `geoip`
processor the seed's Logstash filter corresponds to is not what the service provides.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws

from settings.model import LogSearchSettings

from .base import InVpc, Logged, Protected
from .buckets import private_bucket
from .kms import encryption_key

ROOT = Path(__file__).resolve().parent.parent
HANDLER_FILE = Path(__file__).parent / "lambdas" / "search_setup.py"
HANDLER = "search_setup.handler"
RUNTIME = "python3.12"
HTTPS_PORT = 443

# The last 2.x minor (the ip2geo processor needs 2.10+); botocore VersionString: OpenSearch_X.Y.
ENGINE_VERSION = "OpenSearch_2.19"
# OpenSearch Service TLSSecurityPolicy enum: TLS 1.2+ with forward-secret ciphers only.
TLS_POLICY = "Policy-Min-TLS-1-2-PFS-2023-10"
LOG_TYPES = {
    "audit": "AUDIT_LOGS",  # needs fine-grained access control
    "application": "ES_APPLICATION_LOGS",
    "search-slow": "SEARCH_SLOW_LOGS",
    "index-slow": "INDEX_SLOW_LOGS",
}

INDEX = "nox-api"  # Firehose appends -YYYY-MM-DD (OneDay rotation): the seed's daily index
INDEX_PATTERN = f"{INDEX}-*"
PIPELINE = "nox-api-geoip"
DATASOURCE = "nox-geolite2-city"
# The geospatial plugin's default datasource endpoint (GeoLite2 City), updated every 3 days.
DATASOURCE_ENDPOINT = "https://geoip.maps.opensearch.org/v1/geolite2-city/manifest.json"
DATASOURCE_UPDATE_DAYS = 3
FIREHOSE_ROLE = "nox-firehose"  # the security plugin's role for the stream
ISM_POLICY = "nox-api-retention"

# Botocore DomainName: 3-28 characters, [a-z][a-z0-9-]+.
_DOMAIN_NAME = re.compile(r"[a-z][a-z0-9-]{2,27}")


@dataclass(frozen=True)
class Profile:
    """The domain's nodes (botocore OpenSearchPartitionInstanceType) and volumes."""

    instance_type: str
    azs: int  # one data node per AZ, zone awareness across them
    master_type: str | None  # dedicated masters (3), or none
    volume_gib: int


# prod: AWS recommends three dedicated master nodes for production domains and zone awareness
# across three AZs ("Operational best practices for Amazon OpenSearch Service"). dev/staging: the
# smallest burstable type that still supports encryption at rest and fine-grained access control
# (T2 does not; confirm with `aws opensearch list-instance-type-details --engine-version OpenSearch_2.19`).
PROFILES = {
    "prod": Profile("r6g.large.search", azs=3, master_type="m6g.large.search", volume_gib=100),
    "default": Profile("t3.medium.search", azs=2, master_type=None, volume_gib=20),
}
MASTER_COUNT = 3


def profile(production: bool) -> Profile:
    return PROFILES["prod" if production else "default"]


def domain_name(name_prefix: str) -> str:
    name = f"{name_prefix}-logs"
    if not _DOMAIN_NAME.fullmatch(name):
        raise ValueError(f"OpenSearch domain name {name!r}: 3-28 characters, a lower-case letter then [a-z0-9-]")
    return name


def log_group_names(domain: str) -> dict[str, str]:
    return {kind: f"/aws/opensearch/{domain}/{kind}" for kind in LOG_TYPES}


# --- the documents the setup function applies -------------------------------------------------------

# The seed's "Elasticsearch Index Template" (docs: /work/shared/seed, "Elasticsearch Index
# Template"), as a composable template; the documents' `timestamp` fills `@timestamp` in the pipeline.
SEED_SETTINGS: dict[str, Any] = {"number_of_shards": 3, "number_of_replicas": 1, "index.refresh_interval": "10s"}
SEED_MAPPINGS: dict[str, Any] = {
    "properties": {
        "@timestamp": {"type": "date"},
        "level": {"type": "keyword"},
        "service": {"type": "keyword"},
        "message": {"type": "text", "analyzer": "standard"},
        "client_ip": {"type": "ip"},
        "user_id": {"type": "keyword"},
        "provider": {"type": "keyword"},
        "threat_level": {"type": "float"},
        "confidence": {"type": "float"},
        "response_time": {"type": "integer"},
        "geoip": {
            "properties": {
                "country_name": {"type": "keyword"},
                "city_name": {"type": "keyword"},
                "location": {"type": "geo_point"},
            }
        },
    }
}


def index_template() -> dict[str, Any]:
    """PUT _index_template/nox-api: the seed's settings and mappings, every new index through the GeoIP pipeline."""
    return {
        "index_patterns": [INDEX_PATTERN],
        "priority": 100,
        "template": {"settings": {**SEED_SETTINGS, "index.default_pipeline": PIPELINE}, "mappings": SEED_MAPPINGS},
        "_meta": {"source": "seed nox-api-v8 Elasticsearch index template"},
    }


def datasource() -> dict[str, Any]:
    """PUT _plugins/geospatial/ip2geo/datasource/<name> (the domain downloads the data itself)."""
    return {"endpoint": DATASOURCE_ENDPOINT, "update_interval_in_days": DATASOURCE_UPDATE_DAYS}


def ingest_pipeline() -> dict[str, Any]:
    """The seed's `geoip { source => "client_ip" target => "geoip" }`, with ip2geo; and its @timestamp."""
    return {
        "description": "nox-api: @timestamp from the line's timestamp, GeoIP of client_ip (seed Logstash filter)",
        "processors": [
            {"date": {"field": "timestamp", "target_field": "@timestamp", "formats": ["ISO8601"], "ignore_failure": True}},
            {
                "ip2geo": {
                    "field": "client_ip",
                    "datasource": DATASOURCE,
                    "target_field": "geoip",
                    "properties": ["country_name", "city_name", "location"],
                    "ignore_missing": True,
                }
            },
        ],
    }


def retention_policy(days: int) -> dict[str, Any]:
    """ISM: delete a nox-api-* index `days` after its creation; applied to every new index."""
    if not 1 <= days <= 3650:
        raise ValueError(f"retention days {days}: 1..3650")
    return {
        "policy": {
            "description": f"Delete nox-api-* indices {days} days after creation (nox:logSearchRetentionDays)",
            "default_state": "hot",
            "states": [
                {"name": "hot", "actions": [], "transitions": [{"state_name": "delete", "conditions": {"min_index_age": f"{days}d"}}]},
                {"name": "delete", "actions": [{"delete": {}}], "transitions": []},
            ],
            "ism_template": [{"index_patterns": [INDEX_PATTERN], "priority": 100}],
        }
    }


def firehose_role() -> dict[str, Any]:
    """The security-plugin role Firehose's IAM role maps to: write nox-api-* and what it checks first."""
    return {
        "cluster_permissions": ["cluster_composite_ops", "cluster_monitor"],
        "index_permissions": [{"index_patterns": [INDEX_PATTERN], "allowed_actions": ["crud", "create_index", "manage"]}],
    }


def setup_requests(firehose_role_arn: str, retention_days: int) -> list[dict[str, Any]]:
    """What the setup function sends, in order (the pipeline needs the datasource, the template the pipeline)."""
    return [
        {"method": "PUT", "path": f"/_plugins/_security/api/roles/{FIREHOSE_ROLE}", "body": firehose_role()},
        {"method": "PUT", "path": f"/_plugins/_security/api/rolesmapping/{FIREHOSE_ROLE}", "body": {"backend_roles": [firehose_role_arn]}},
        {"method": "PUT", "path": f"/_plugins/geospatial/ip2geo/datasource/{DATASOURCE}", "body": datasource(), "existsOk": True},
        {"method": "PUT", "path": f"/_ingest/pipeline/{PIPELINE}", "body": ingest_pipeline()},
        {"method": "PUT", "path": f"/_index_template/{INDEX}", "body": index_template()},
        {"method": "PUT", "path": f"/_plugins/_ism/policies/{ISM_POLICY}", "body": retention_policy(retention_days), "versioned": True},
    ]


def invocation_input(endpoint: str, firehose_role_arn: str, retention_days: int) -> str:
    return json.dumps({"endpoint": f"https://{endpoint}", "requests": setup_requests(firehose_role_arn, retention_days)}, sort_keys=True)


def code_hash() -> str:
    return hashlib.sha256(HANDLER_FILE.read_bytes()).hexdigest()


def documents_hash(retention_days: int) -> str:
    """Changes with any document: the invocation runs again then."""
    return hashlib.sha256(json.dumps(setup_requests("<firehose role>", retention_days), sort_keys=True).encode()).hexdigest()


# --- IAM and resource policies ------------------------------------------------------------------------


def _doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def trust(service: str, account: str | None = None) -> str:
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    if account:
        statement["Condition"] = {"StringEquals": {"aws:SourceAccount": account}}
    return _doc(statement)


def domain_access_policy(domain_arn: str, principals: list[str]) -> str:
    """Only the setup function's and Firehose's roles may send HTTP requests (FGAC then scopes them)."""
    return _doc({"Effect": "Allow", "Principal": {"AWS": principals}, "Action": "es:ESHttp*", "Resource": f"{domain_arn}/*"})


def log_resource_policy(group_arns: list[str], account: str) -> str:
    """OpenSearch Service may write its logs to exactly these groups, for this account."""
    return _doc(
        {
            "Effect": "Allow",
            "Principal": {"Service": "es.amazonaws.com"},
            "Action": ["logs:PutLogEvents", "logs:CreateLogStream"],
            "Resource": [f"{arn}:*" for arn in group_arns],
            "Condition": {"StringEquals": {"aws:SourceAccount": account}},
        }
    )


def firehose_policy(domain_arn: str, bucket_arn: str, key_arn: str, log_group_arn: str, region: str) -> str:
    """Firehose to a VPC domain with an S3 backup (Firehose Developer Guide, "Controlling access")."""
    return _doc(
        {"Sid": "DescribeDomain", "Effect": "Allow", "Action": ["es:DescribeDomain", "es:DescribeDomains", "es:DescribeDomainConfig"],
         "Resource": [domain_arn, f"{domain_arn}/*"]},
        {"Sid": "WriteDomain", "Effect": "Allow", "Action": ["es:ESHttpPost", "es:ESHttpPut", "es:ESHttpGet"],
         "Resource": [domain_arn, f"{domain_arn}/*"]},
        # ENIs in the VPC: the documented set, on "*" (EC2 scopes none of them to a resource at create time).
        {"Sid": "VpcDelivery", "Effect": "Allow", "Action": [
            "ec2:DescribeVpcs", "ec2:DescribeVpcAttribute", "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups",
            "ec2:DescribeNetworkInterfaces", "ec2:CreateNetworkInterface", "ec2:CreateNetworkInterfacePermission",
            "ec2:DeleteNetworkInterface"], "Resource": "*"},
        {"Sid": "BackupFailedDocuments", "Effect": "Allow", "Action": [
            "s3:AbortMultipartUpload", "s3:GetBucketLocation", "s3:GetObject", "s3:ListBucket", "s3:ListBucketMultipartUploads",
            "s3:PutObject"], "Resource": [bucket_arn, f"{bucket_arn}/*"]},
        {"Sid": "BackupKey", "Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": key_arn,
         "Condition": {"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"},
                       "StringLike": {"kms:EncryptionContext:aws:s3:arn": f"{bucket_arn}/*"}}},
        {"Sid": "DeliveryLogs", "Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": f"{log_group_arn}:*"},
    )  # fmt: skip


def subscription_policy(stream_arn: str) -> str:
    return _doc({"Effect": "Allow", "Action": ["firehose:PutRecord", "firehose:PutRecordBatch"], "Resource": stream_arn})


def bucket_policy(bucket_arn: str) -> str:
    return _doc(
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [bucket_arn, f"{bucket_arn}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    )


# --- the component --------------------------------------------------------------------------------


@dataclass(frozen=True)
class LogSearchArgs(Protected, InVpc, Logged):
    settings: LogSearchSettings
    production: bool  # prod sizing (PROFILES)
    private_subnet_ids: list[pulumi.Output[str]]
    source: aws.cloudwatch.LogGroup  # the app group (AppLogs), whose transformer must exist first
    source_ready: pulumi.Resource  # AppLogs: the transformer and the group

    def __post_init__(self) -> None:
        needed = profile(self.production).azs
        if len(self.private_subnet_ids) < needed:
            raise ValueError(f"LogSearchArgs.private_subnet_ids: {needed} AZs needed, {len(self.private_subnet_ids)} given")


class LogSearch(pulumi.ComponentResource):
    """An OpenSearch domain in the VPC, fed the app's parsed logs by Firehose, set up on deploy."""

    domain: aws.opensearch.Domain
    stream: aws.kinesis.FirehoseDeliveryStream
    invocation: aws.lambda_.Invocation

    def __init__(self, name: str, args: LogSearchArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("nox:logs:LogSearch", name, None, opts)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        self._account = aws.get_caller_identity_output(opts=invoke).account_id
        self._region = aws.get_region_output(opts=invoke).region
        self._partition = aws.get_partition_output(opts=invoke).partition
        self._domain_name = domain_name(args.name_prefix)
        self._profile = profile(args.production)
        self._subnets = args.private_subnet_ids[: self._profile.azs]
        child = pulumi.ResourceOptions(parent=self)

        self.key = encryption_key(
            f"{args.name_prefix}-search",
            description=f"{args.name_prefix}: log search domain, its stream and its failed-document bucket",
            parent=self,
            protect=args.protect,
        )
        sgs = self._network(name, args)
        self.setup_role = aws.iam.Role(
            f"{name}-setup-role",
            description=f"{args.name_prefix}-search-setup: the domain's master user (FGAC), runs in the VPC",
            assume_role_policy=trust("lambda.amazonaws.com"),
            opts=child,
        )
        self.firehose_role = aws.iam.Role(
            f"{name}-firehose-role",
            description=f"{args.name_prefix}-logs stream: write to the search domain, back up failures to S3",
            assume_role_policy=self._account.apply(lambda a: trust("firehose.amazonaws.com", a)),
            opts=child,
        )
        self.domain = self._domain(name, args, sgs["domain"])
        self.invocation = self._setup(name, args, sgs["setup"])
        self.stream = self._stream(name, args, sgs["firehose"])
        self._subscription(name, args)
        self.register_outputs({"domainEndpoint": self.domain.endpoint, "streamName": self.stream.name})

    # --- network ------------------------------------------------------------------------------
    def _network(self, name: str, args: LogSearchArgs) -> dict[str, aws.ec2.SecurityGroup]:
        what = {
            "domain": "log search domain: HTTPS from the stream and the setup function only",
            "firehose": "log stream ENIs: HTTPS to the search domain only",
            "setup": "search setup function: HTTPS to the search domain only",
        }
        sgs = {
            role: aws.ec2.SecurityGroup(
                f"{name}-{role}-sg",
                vpc_id=args.vpc_id,
                description=f"{args.name_prefix} {text}",
                tags={"Name": f"{args.name_prefix}-search-{role}"},
                opts=pulumi.ResourceOptions(parent=self),
            )
            for role, text in what.items()
        }
        for client in ("firehose", "setup"):
            rule = pulumi.ResourceOptions(parent=sgs[client])
            aws.vpc.SecurityGroupEgressRule(
                f"{name}-{client}-to-domain",
                security_group_id=sgs[client].id,
                referenced_security_group_id=sgs["domain"].id,
                ip_protocol="tcp",
                from_port=HTTPS_PORT,
                to_port=HTTPS_PORT,
                description="HTTPS to the log search domain",
                opts=rule,
            )
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-domain-from-{client}",
                security_group_id=sgs["domain"].id,
                referenced_security_group_id=sgs[client].id,
                ip_protocol="tcp",
                from_port=HTTPS_PORT,
                to_port=HTTPS_PORT,
                description=f"HTTPS from the {'log stream' if client == 'firehose' else 'search setup function'}",
                opts=rule,
            )
        return sgs

    # --- the domain ---------------------------------------------------------------------------
    def _domain(self, name: str, args: LogSearchArgs, sg: aws.ec2.SecurityGroup) -> aws.opensearch.Domain:
        child = pulumi.ResourceOptions(parent=self)
        groups = {
            kind: aws.cloudwatch.LogGroup(
                f"{name}-{kind}-logs", name=group, retention_in_days=args.log_retention_days, kms_key_id=args.log_key.arn, opts=child
            )
            for kind, group in log_group_names(self._domain_name).items()
        }
        # One policy for the four groups: an account holds at most 10 resource policies per region.
        resource_policy = aws.cloudwatch.LogResourcePolicy(
            f"{name}-log-publishing",
            policy_name=f"{self._domain_name}-publishing",
            policy_document=pulumi.Output.all(self._account, *(g.arn for g in groups.values())).apply(
                lambda a: log_resource_policy(list(a[1:]), a[0])
            ),
            opts=child,
        )
        p = self._profile
        domain_arn = pulumi.Output.all(self._partition, self._region, self._account).apply(
            lambda a: f"arn:{a[0]}:es:{a[1]}:{a[2]}:domain/{self._domain_name}"
        )
        masters = {"dedicated_master_enabled": True, "dedicated_master_type": p.master_type, "dedicated_master_count": MASTER_COUNT}
        # Dedicated masters in prod only: AWS recommends them for production domains; dev/staging run 2 burstable nodes.
        return aws.opensearch.Domain(
            f"{name}-domain",
            domain_name=self._domain_name,
            engine_version=ENGINE_VERSION,
            cluster_config={
                "instance_type": p.instance_type,
                "instance_count": p.azs,
                "zone_awareness_enabled": True,
                "zone_awareness_config": {"availability_zone_count": p.azs},
                **(masters if p.master_type else {"dedicated_master_enabled": False}),
            },
            ebs_options={"ebs_enabled": True, "volume_type": "gp3", "volume_size": p.volume_gib},
            vpc_options={"subnet_ids": self._subnets, "security_group_ids": [sg.id]},
            encrypt_at_rest={"enabled": True, "kms_key_id": self.key.arn},
            node_to_node_encryption={"enabled": True},
            domain_endpoint_options={"enforce_https": True, "tls_security_policy": TLS_POLICY},
            advanced_security_options={
                "enabled": True,
                "anonymous_auth_enabled": False,
                "internal_user_database_enabled": False,
                "master_user_options": {"master_user_arn": self.setup_role.arn},
            },
            access_policies=pulumi.Output.all(domain_arn, self.setup_role.arn, self.firehose_role.arn).apply(
                lambda a: domain_access_policy(a[0], [a[1], a[2]])
            ),
            log_publishing_options=[
                {"log_type": LOG_TYPES[kind], "cloudwatch_log_group_arn": g.arn, "enabled": True} for kind, g in groups.items()
            ],
            software_update_options={"auto_software_update_enabled": True},
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect, depends_on=[resource_policy]),
        )

    # --- deploy-time setup --------------------------------------------------------------------
    def _setup(self, name: str, args: LogSearchArgs, sg: aws.ec2.SecurityGroup) -> aws.lambda_.Invocation:
        function_name = f"{args.name_prefix}-search-setup"
        role = self.setup_role
        vpc_access = aws.iam.RolePolicyAttachment(
            f"{name}-setup-vpc-access",
            role=role.name,
            # ENIs in the VPC and its log stream (AWS managed policy for VPC functions).
            policy_arn=self._partition.apply(lambda p: f"arn:{p}:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"),
            opts=pulumi.ResourceOptions(parent=role),
        )
        logs = aws.cloudwatch.LogGroup(
            f"{name}-setup-logs",
            name=f"/aws/lambda/{function_name}",
            retention_in_days=args.log_retention_days,
            kms_key_id=args.log_key.arn,
            opts=pulumi.ResourceOptions(parent=self),
        )
        # Scanner findings waived here, with the reasons (as for the db-roles function):
        # checkov:skip=CKV_AWS_116: synchronous (RequestResponse) invocations only; a dead-letter queue receives only async events
        # checkov:skip=CKV_AWS_115: reserved concurrency would take from a fresh account's 10-execution quota; runs once per deploy
        # checkov:skip=CKV_AWS_272: code signing needs AWS Signer and a signing step; the code is this repo's one file
        # checkov:skip=CKV_AWS_50: X-Ray adds nothing to one short call per deploy; its logs go to the encrypted log group above
        function = aws.lambda_.Function(
            f"{name}-setup-function",
            name=function_name,
            description=f"{args.name_prefix}: applies the log search domain's roles, pipeline, template and retention",
            runtime=RUNTIME,
            handler=HANDLER,
            role=role.arn,
            code=pulumi.AssetArchive({HANDLER_FILE.name: pulumi.FileAsset(os.path.relpath(HANDLER_FILE, ROOT))}),  # stdlib + botocore only
            timeout=120,
            memory_size=128,
            vpc_config={"subnet_ids": self._subnets, "security_group_ids": [sg.id]},
            logging_config={"log_format": "JSON", "log_group": logs.name},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[logs, vpc_access]),
        )
        days = args.settings.retention_days
        return aws.lambda_.Invocation(
            f"{name}-setup",
            function_name=function.name,
            input=pulumi.Output.all(self.domain.endpoint, self.firehose_role.arn).apply(lambda a: invocation_input(a[0], a[1], days)),
            triggers={"code": code_hash(), "documents": documents_hash(days)},
            # The domain must be active (its endpoint is an output of the finished create).
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.domain]),
        )

    # --- delivery: Firehose -------------------------------------------------------------------
    def _bucket(self, name: str, args: LogSearchArgs) -> tuple[aws.s3.Bucket, list[pulumi.Resource]]:
        """Failed documents: KMS-encrypted, private, TLS-only, expiring (built like the edge's log bucket)."""
        failed = private_bucket(
            f"{name}-failed",
            bucket_prefix=f"{args.name_prefix}-search-failed-",
            name_tag=f"{args.name_prefix}-search-failed-documents",
            protect=args.protect,
            parent=self,
            encryption={
                "apply_server_side_encryption_by_default": {"sse_algorithm": "aws:kms", "kms_master_key_id": self.key.arn},
                "bucket_key_enabled": True,
            },
        )
        bucket, child = failed.bucket, pulumi.ResourceOptions(parent=failed.bucket)
        # Failed documents are for a look and a replay, then they go: as long as the indices are kept.
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-failed-lifecycle",
            bucket=bucket.bucket,
            rules=[
                {
                    "id": "expire-failed-documents",
                    "status": "Enabled",
                    "filter": {"prefix": ""},
                    "expiration": {"days": args.settings.retention_days},
                    "abort_incomplete_multipart_upload": {"days_after_initiation": 7},
                }
            ],
            opts=child,
        )
        return bucket, [*failed.ready, failed.policy(bucket.arn.apply(bucket_policy))]

    def _stream(self, name: str, args: LogSearchArgs, sg: aws.ec2.SecurityGroup) -> aws.kinesis.FirehoseDeliveryStream:
        child = pulumi.ResourceOptions(parent=self)
        stream_name = f"{args.name_prefix}-logs-to-search"
        bucket, bucket_ready = self._bucket(name, args)
        group = aws.cloudwatch.LogGroup(
            f"{name}-stream-logs",
            name=f"/aws/kinesisfirehose/{stream_name}",
            retention_in_days=args.log_retention_days,
            kms_key_id=args.log_key.arn,
            opts=child,
        )
        streams = {
            kind: aws.cloudwatch.LogStream(f"{name}-stream-logs-{kind.lower()}", name=kind, log_group_name=group.name, opts=child)
            for kind in ("DestinationDelivery", "BackupDelivery")
        }
        access = aws.iam.RolePolicy(
            f"{name}-firehose-access",
            role=self.firehose_role.id,
            policy=pulumi.Output.all(self.domain.arn, bucket.arn, self.key.arn, group.arn, self._region).apply(
                lambda a: firehose_policy(*a)
            ),
            opts=pulumi.ResourceOptions(parent=self.firehose_role),
        )

        def logging(kind: str) -> dict[str, Any]:
            return {"enabled": True, "log_group_name": group.name, "log_stream_name": streams[kind].name}

        return aws.kinesis.FirehoseDeliveryStream(
            f"{name}-stream",
            name=stream_name,
            destination="opensearch",
            server_side_encryption={"enabled": True, "key_type": "CUSTOMER_MANAGED_CMK", "key_arn": self.key.arn},
            opensearch_configuration={
                "domain_arn": self.domain.arn,
                "role_arn": self.firehose_role.arn,
                "index_name": INDEX,
                "index_rotation_period": "OneDay",  # nox-api-YYYY-MM-DD
                "buffering_interval": 60,
                "buffering_size": 5,
                "retry_duration": 300,
                "s3_backup_mode": "FailedDocumentsOnly",
                "s3_configuration": {
                    "role_arn": self.firehose_role.arn,
                    "bucket_arn": bucket.arn,
                    "prefix": "failed/",
                    "error_output_prefix": "errors/",
                    "compression_format": "GZIP",
                    "cloudwatch_logging_options": logging("BackupDelivery"),
                },
                "vpc_config": {"subnet_ids": self._subnets, "security_group_ids": [sg.id], "role_arn": self.firehose_role.arn},
                # A subscription's record is a gzip'd batch of log events: one document per event's message.
                "processing_configuration": {
                    "enabled": True,
                    "processors": [
                        {"type": "Decompression", "parameters": [{"parameter_name": "CompressionFormat", "parameter_value": "GZIP"}]},
                        {
                            "type": "CloudWatchLogProcessing",
                            "parameters": [{"parameter_name": "DataMessageExtraction", "parameter_value": "true"}],
                        },
                    ],
                },
                "cloudwatch_logging_options": logging("DestinationDelivery"),
            },
            # The role mapping, pipeline and template first: no document may reach an index without them.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[access, self.invocation, *bucket_ready]),
        )

    def _subscription(self, name: str, args: LogSearchArgs) -> None:
        role = aws.iam.Role(
            f"{name}-subscription-role",
            description=f"{args.name_prefix}: CloudWatch Logs puts the app's events to the search stream",
            assume_role_policy=self._account.apply(lambda a: trust("logs.amazonaws.com", a)),
            opts=pulumi.ResourceOptions(parent=self),
        )
        put = aws.iam.RolePolicy(
            f"{name}-subscription-put",
            role=role.id,
            policy=self.stream.arn.apply(subscription_policy),
            opts=pulumi.ResourceOptions(parent=role),
        )
        aws.cloudwatch.LogSubscriptionFilter(
            f"{name}-subscription",
            name=f"{args.name_prefix}-to-search",
            log_group=args.source.name,
            filter_pattern="",  # every event
            destination_arn=self.stream.arn,
            role_arn=role.arn,
            # The transformer's fields, not the shipper's record: documents are the parsed line.
            apply_on_transformed_logs=True,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[put, args.source_ready]),
        )
