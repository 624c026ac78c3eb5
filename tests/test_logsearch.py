"""Log search (nox:logSearch): the planned domain per environment, the delivery chain, the setup
function's documents (the seed's index template), the handler against a real local HTTP server,
the policy pack on the plans, and nothing of it when the setting is off."""

from __future__ import annotations

import copy
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from botocore.credentials import Credentials
from policy_harness import DELETE, mutate, policy
from test_fleet import computed

from components import logs, logsearch
from components.lambdas import search_setup
from offline import preflight
from offline.policycheck import evaluate
from policies.nox_policies import ALL_POLICIES
from settings.schema import KEYS_BY_NAME

ON = "nox:logSearch=true"
DOMAIN, STREAM = "aws:opensearch/domain:Domain", "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream"
FILTER, INVOCATION = "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter", "aws:lambda/invocation:Invocation"
SG, INGRESS, EGRESS = (
    "aws:ec2/securityGroup:SecurityGroup",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
)
ROLE, ROLE_POLICY = "aws:iam/role:Role", "aws:iam/rolePolicy:RolePolicy"
SEARCH_TYPES = {DOMAIN, STREAM, FILTER, "aws:cloudwatch/logResourcePolicy:LogResourcePolicy", "nox:logs:LogSearch"}
# (stack, platform) plans with the domain: prod on both platforms, dev.
PLANS = [("prod", "eks"), ("prod", "asg"), ("dev", "asg")]


def search_plan(plan_for, stack: str, platform: str, *more: str):
    return plan_for(stack, f"nox:platform={platform}", ON, *more)


def arn(plan, token: str, name: str | None = None) -> str:
    return computed(plan.one(token, name))[1]["arn"]


def sg_id(plan, name: str) -> str:
    return computed(plan.one(SG, name))[0]


def doc_of(plan) -> dict[str, Any]:
    return copy.deepcopy(json.loads(json.dumps(plan.to_json())))


# --- the settings --------------------------------------------------------------------------------------


def test_the_setting_is_off_by_default_everywhere_and_retention_is_bounded():
    key, days = KEYS_BY_NAME["logSearch"], KEYS_BY_NAME["logSearchRetentionDays"]
    assert (key.default, key.profile, key.field) == (False, None, "log_search.enabled")
    assert (days.default, days.field) == (30, "log_search.retention_days")
    assert days.check(1) is None and days.check(3650) is None
    assert days.check(0) == days.check(3651) == "an integer from 1 to 3650"


@pytest.mark.parametrize(("stack", "platform"), [("dev", "asg"), ("staging", "eks"), ("prod", "eks"), ("prod", "asg")])
def test_off_means_none_of_it_exists(plan_for, stack, platform):
    plan = plan_for(stack, f"nox:platform={platform}")
    assert not SEARCH_TYPES & {r["type"] for r in plan.resources}
    assert not [r for r in plan.resources if r["name"].startswith("log-search")]
    assert plan.outputs["logSearchEndpoint"] is None


# --- the domain ------------------------------------------------------------------------------------------

PROD_CLUSTER = {
    "instanceType": "r6g.large.search",
    "instanceCount": 3.0,
    "zoneAwarenessEnabled": True,
    "zoneAwarenessConfig": {"availabilityZoneCount": 3.0},
    "dedicatedMasterEnabled": True,
    "dedicatedMasterType": "m6g.large.search",
    "dedicatedMasterCount": 3.0,
}
DEV_CLUSTER = {
    "instanceType": "t3.medium.search",
    "instanceCount": 2.0,
    "zoneAwarenessEnabled": True,
    "zoneAwarenessConfig": {"availabilityZoneCount": 2.0},
    "dedicatedMasterEnabled": False,
}


@pytest.mark.parametrize(
    ("stack", "platform", "cluster", "volume", "retention"),
    [("prod", "eks", PROD_CLUSTER, 100.0, 365), ("prod", "asg", PROD_CLUSTER, 100.0, 365), ("dev", "asg", DEV_CLUSTER, 20.0, 30)],
)
def test_the_domain_per_environment(plan_for, stack, platform, cluster, volume, retention):
    plan = search_plan(plan_for, stack, platform)
    d = plan.one(DOMAIN)
    i = d["inputs"]
    azs = int(cluster["instanceCount"])
    private = [computed(plan.one("aws:ec2/subnet:Subnet", f"network-private-{n}"))[0] for n in range(azs)]
    key, setup_role, firehose_role = (
        arn(plan, "aws:kms/key:Key", f"nox-{stack}-search"),
        arn(plan, ROLE, "log-search-setup-role"),
        arn(plan, ROLE, "log-search-firehose-role"),
    )
    assert (i["domainName"], i["engineVersion"]) == (f"nox-{stack}-logs", "OpenSearch_2.19")
    assert i["clusterConfig"] == cluster
    assert i["ebsOptions"] == {"ebsEnabled": True, "volumeType": "gp3", "volumeSize": volume}
    assert i["vpcOptions"] == {"subnetIds": private, "securityGroupIds": [sg_id(plan, "log-search-domain-sg")]}  # one per AZ, private
    assert i["encryptAtRest"] == {"enabled": True, "kmsKeyId": key}
    assert i["nodeToNodeEncryption"] == {"enabled": True}
    assert i["domainEndpointOptions"] == {"enforceHttps": True, "tlsSecurityPolicy": "Policy-Min-TLS-1-2-PFS-2023-10"}
    assert i["advancedSecurityOptions"] == {
        "enabled": True,
        "anonymousAuthEnabled": False,
        "internalUserDatabaseEnabled": False,
        "masterUserOptions": {"masterUserArn": setup_role},  # IAM master: no password anywhere
    }
    groups = {g["inputs"]["name"]: g for g in plan.of_type("aws:cloudwatch/logGroup:LogGroup")}
    expected = {t: f"/aws/opensearch/nox-{stack}-logs/{k}" for k, t in logsearch.LOG_TYPES.items()}
    assert {o["logType"]: o["cloudwatchLogGroupArn"] for o in i["logPublishingOptions"]} == {
        t: computed(groups[name])[1]["arn"] for t, name in expected.items()
    }
    assert all(o["enabled"] for o in i["logPublishingOptions"])
    for name in expected.values():
        assert groups[name]["inputs"]["retentionInDays"] == retention
        assert groups[name]["inputs"]["kmsKeyId"] == arn(plan, "aws:kms/key:Key", f"nox-{stack}-logs")
    policy_doc = json.loads(i["accessPolicies"])
    assert policy_doc["Statement"] == [
        {
            "Effect": "Allow",
            "Principal": {"AWS": [setup_role, firehose_role]},
            "Action": "es:ESHttp*",
            "Resource": f"arn:aws:es:us-west-2:123456789012:domain/nox-{stack}-logs/*",
        }
    ]
    assert d["protect"] is (stack == "prod")
    assert plan.outputs["logSearchEndpoint"] == computed(d)[1]["endpoint"]


def test_the_log_resource_policy_admits_opensearch_to_exactly_its_groups(plan_for):
    plan = search_plan(plan_for, "prod", "eks")
    rp = plan.one("aws:cloudwatch/logResourcePolicy:LogResourcePolicy")
    [statement] = json.loads(rp["inputs"]["policyDocument"])["Statement"]
    groups = [g for g in plan.of_type("aws:cloudwatch/logGroup:LogGroup") if g["inputs"]["name"].startswith("/aws/opensearch/")]
    assert len(groups) == 4
    assert statement["Principal"] == {"Service": "es.amazonaws.com"}
    assert sorted(statement["Resource"]) == sorted(computed(g)[1]["arn"] + ":*" for g in groups)
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}
    assert rp["urn"] in plan.one(DOMAIN)["dependencies"]  # the domain validates log publishing on create


def test_domain_names_are_botocores():
    assert logsearch.domain_name("nox-prod") == "nox-prod-logs"
    with pytest.raises(ValueError, match="3-28 characters"):
        logsearch.domain_name("nox-a-very-long-stack-name-x")  # 29 with -logs
    with pytest.raises(ValueError, match="3-28 characters"):
        logsearch.domain_name("Nox-Prod")


# --- reachability ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("stack", "platform"), PLANS)
def test_only_the_stream_and_the_setup_function_reach_the_domain_on_443(plan_for, stack, platform):
    plan = search_plan(plan_for, stack, platform)
    ids = {role: sg_id(plan, f"log-search-{role}-sg") for role in ("domain", "firehose", "setup")}
    rules = [(r["type"], r["inputs"]) for r in plan.of_type(INGRESS) + plan.of_type(EGRESS)]
    mine = [(t, i) for t, i in rules if i["securityGroupId"] in ids.values() or i.get("referencedSecurityGroupId") in ids.values()]
    shape = {
        (t == INGRESS, i["securityGroupId"], i.get("referencedSecurityGroupId"), i["fromPort"], i["toPort"], i["ipProtocol"])
        for t, i in mine
    }
    assert len(mine) == 4 and shape == {
        (True, ids["domain"], ids["firehose"], 443, 443, "tcp"),
        (True, ids["domain"], ids["setup"], 443, 443, "tcp"),
        (False, ids["firehose"], ids["domain"], 443, 443, "tcp"),
        (False, ids["setup"], ids["domain"], 443, 443, "tcp"),
    }
    assert not [i for _, i in mine if "cidrIpv4" in i or "cidrIpv6" in i]  # no address range anywhere


# --- the delivery chain: subscription filter -> stream -> domain ------------------------------------------


@pytest.mark.parametrize(("stack", "platform"), PLANS)
def test_the_app_groups_parsed_events_reach_the_domain(plan_for, stack, platform):
    plan = search_plan(plan_for, stack, platform)
    app = plan.one("aws:cloudwatch/logGroup:LogGroup", "logs-application" if platform == "eks" else "logs-app")
    stream, sub = plan.one(STREAM), plan.one(FILTER)
    stream_arn = computed(stream)[1]["arn"]
    assert sub["inputs"] == {
        "name": f"nox-{stack}-to-search",
        "logGroup": app["inputs"]["name"],
        "filterPattern": "",
        "destinationArn": stream_arn,
        "roleArn": arn(plan, ROLE, "log-search-subscription-role"),
        "applyOnTransformedLogs": True,
    }
    assert plan.one("aws:cloudwatch/logTransformer:LogTransformer")["urn"] in sub["dependencies"]  # transformed events exist first
    put = json.loads(plan.one(ROLE_POLICY, "log-search-subscription-put")["inputs"]["policy"])["Statement"]
    assert put == [{"Effect": "Allow", "Action": ["firehose:PutRecord", "firehose:PutRecordBatch"], "Resource": stream_arn}]
    trust = json.loads(plan.one(ROLE, "log-search-subscription-role")["inputs"]["assumeRolePolicy"])["Statement"]
    assert [s["Principal"] for s in trust] == [{"Service": "logs.amazonaws.com"}]

    s = stream["inputs"]
    o = s["opensearchConfiguration"]
    domain = plan.one(DOMAIN)
    firehose_role = arn(plan, ROLE, "log-search-firehose-role")
    assert (s["name"], s["destination"]) == (f"nox-{stack}-logs-to-search", "opensearch")
    assert (o["domainArn"], o["roleArn"], o["indexName"], o["indexRotationPeriod"]) == (
        computed(domain)[1]["arn"],
        firehose_role,
        "nox-api",
        "OneDay",
    )
    assert o["vpcConfig"] == {
        "subnetIds": domain["inputs"]["vpcOptions"]["subnetIds"],
        "securityGroupIds": [sg_id(plan, "log-search-firehose-sg")],
        "roleArn": firehose_role,
    }
    assert o["processingConfiguration"] == {
        "enabled": True,
        "processors": [
            {"type": "Decompression", "parameters": [{"parameterName": "CompressionFormat", "parameterValue": "GZIP"}]},
            {"type": "CloudWatchLogProcessing", "parameters": [{"parameterName": "DataMessageExtraction", "parameterValue": "true"}]},
        ],
    }
    bucket = plan.one("aws:s3/bucket:Bucket", "log-search-failed")
    assert o["s3BackupMode"] == "FailedDocumentsOnly" and o["s3Configuration"]["bucketArn"] == computed(bucket)[1]["arn"]
    assert o["cloudwatchLoggingOptions"] == {
        "enabled": True,
        "logGroupName": f"/aws/kinesisfirehose/nox-{stack}-logs-to-search",
        "logStreamName": "DestinationDelivery",
    }
    assert s["serverSideEncryption"] == {
        "enabled": True,
        "keyType": "CUSTOMER_MANAGED_CMK",
        "keyArn": arn(plan, "aws:kms/key:Key", f"nox-{stack}-search"),
    }


def test_the_failed_document_bucket_is_private_encrypted_tls_only_and_expires(plan_for):
    plan = search_plan(plan_for, "prod", "eks", "nox:logSearchRetentionDays=90")
    bucket = plan.one("aws:s3/bucket:Bucket", "log-search-failed")
    b_arn = computed(bucket)[1]["arn"]
    key = arn(plan, "aws:kms/key:Key", "nox-prod-search")
    [rule] = plan.one(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "log-search-failed-encryption"
    )["inputs"]["rules"]
    assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": key}
    block = plan.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "log-search-failed-public-access")["inputs"]
    assert all(block[f] is True for f in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"))
    [deny] = json.loads(plan.one("aws:s3/bucketPolicy:BucketPolicy", "log-search-failed-policy")["inputs"]["policy"])["Statement"]
    assert (
        deny["Effect"] == "Deny"
        and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        and deny["Resource"] == [b_arn, f"{b_arn}/*"]
    )
    [expiry] = plan.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "log-search-failed-lifecycle")["inputs"][
        "rules"
    ]
    assert expiry["expiration"] == {"days": 90}


def test_the_firehose_role_is_least_privilege(plan_for):
    plan = search_plan(plan_for, "prod", "eks")
    statements = {s["Sid"]: s for s in json.loads(plan.one(ROLE_POLICY, "log-search-firehose-access")["inputs"]["policy"])["Statement"]}
    domain = computed(plan.one(DOMAIN))[1]["arn"]
    bucket = computed(plan.one("aws:s3/bucket:Bucket", "log-search-failed"))[1]["arn"]
    assert statements["WriteDomain"]["Action"] == ["es:ESHttpPost", "es:ESHttpPut", "es:ESHttpGet"]
    assert statements["WriteDomain"]["Resource"] == statements["DescribeDomain"]["Resource"] == [domain, f"{domain}/*"]
    assert statements["BackupFailedDocuments"]["Resource"] == [bucket, f"{bucket}/*"]
    assert statements["BackupKey"]["Resource"] == arn(plan, "aws:kms/key:Key", "nox-prod-search")
    assert statements["BackupKey"]["Condition"]["StringEquals"] == {"kms:ViaService": "s3.us-west-2.amazonaws.com"}
    group = computed(plan.one("aws:cloudwatch/logGroup:LogGroup", "log-search-stream-logs"))[1]["arn"]
    assert statements["DeliveryLogs"] == {"Sid": "DeliveryLogs", "Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": f"{group}:*"}
    assert all(not a.endswith("*") for s in statements.values() for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]]))
    trust = json.loads(plan.one(ROLE, "log-search-firehose-role")["inputs"]["assumeRolePolicy"])["Statement"]
    assert trust[0]["Principal"] == {"Service": "firehose.amazonaws.com"}
    assert trust[0]["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}


# --- the deploy-time setup ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("stack", "platform"), PLANS)
def test_the_setup_runs_in_the_vpc_after_the_domain_and_before_the_stream(plan_for, stack, platform):
    plan = search_plan(plan_for, stack, platform)
    domain = plan.one(DOMAIN)
    invocation = plan.one(INVOCATION, "log-search-setup")
    function = plan.one("aws:lambda/function:Function", "log-search-setup-function")
    assert domain["urn"] in invocation["dependencies"]
    assert invocation["urn"] in plan.one(STREAM)["dependencies"]  # no document before the mapping, pipeline and template
    assert invocation["inputs"]["functionName"] == f"nox-{stack}-search-setup"
    assert invocation["inputs"]["triggers"] == {"code": logsearch.code_hash(), "documents": logsearch.documents_hash(30)}
    event = json.loads(invocation["inputs"]["input"])
    assert event == {
        "endpoint": "https://" + computed(domain)[1]["endpoint"],
        "requests": logsearch.setup_requests(arn(plan, ROLE, "log-search-firehose-role"), 30),
    }
    f = function["inputs"]
    assert (f["runtime"], f["handler"], f["role"]) == ("python3.12", "search_setup.handler", arn(plan, ROLE, "log-search-setup-role"))
    assert f["vpcConfig"]["subnetIds"] == domain["inputs"]["vpcOptions"]["subnetIds"]
    assert f["vpcConfig"]["securityGroupIds"] == [sg_id(plan, "log-search-setup-sg")]
    assert f["loggingConfig"]["logGroup"] == f"/aws/lambda/nox-{stack}-search-setup"


def test_the_retention_setting_reaches_the_ism_policy_and_the_trigger(plan_for):
    plan = search_plan(plan_for, "prod", "eks", "nox:logSearchRetentionDays=90")
    invocation = plan.one(INVOCATION, "log-search-setup")
    [ism] = [r for r in json.loads(invocation["inputs"]["input"])["requests"] if r["path"].startswith("/_plugins/_ism/")]
    assert ism["body"]["policy"]["states"][0]["transitions"] == [{"state_name": "delete", "conditions": {"min_index_age": "90d"}}]
    assert invocation["inputs"]["triggers"]["documents"] == logsearch.documents_hash(90) != logsearch.documents_hash(30)


# Written out from the seed (nox-api-v8-deployment.md, "Elasticsearch Index Template"), not imported.
SEED_TEMPLATE = {
    "index_patterns": ["nox-api-*"],
    "settings": {"number_of_shards": 3, "number_of_replicas": 1, "index.refresh_interval": "10s"},
    "mappings": {
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
    },
}


def test_the_index_template_is_the_seeds_with_the_geoip_pipeline():
    [put] = [r for r in logsearch.setup_requests("arn:aws:iam::123456789012:role/f", 30) if r["path"] == "/_index_template/nox-api"]
    template = json.loads(json.dumps(put["body"]))  # what the function sends
    assert template["index_patterns"] == SEED_TEMPLATE["index_patterns"]
    settings = template["template"]["settings"]
    assert {k: v for k, v in settings.items() if k != "index.default_pipeline"} == SEED_TEMPLATE["settings"]
    assert settings["index.default_pipeline"] == "nox-api-geoip"
    assert template["template"]["mappings"] == SEED_TEMPLATE["mappings"]  # every field, geo_point included


def test_the_pipeline_enriches_client_ip_into_the_templates_geoip_fields():
    pipeline = logsearch.ingest_pipeline()
    [date, ip2geo] = [p for step in pipeline["processors"] for p in step.items()]
    assert date == ("date", {"field": "timestamp", "target_field": "@timestamp", "formats": ["ISO8601"], "ignore_failure": True})
    kind, geo = ip2geo
    assert kind == "ip2geo" and (geo["field"], geo["target_field"], geo["datasource"], geo["ignore_missing"]) == (
        "client_ip",
        "geoip",
        logsearch.DATASOURCE,
        True,
    )
    assert set(geo["properties"]) == set(SEED_TEMPLATE["mappings"]["properties"]["geoip"]["properties"])
    # The template's mappings hold the pipeline's target and source fields.
    assert {"client_ip", "@timestamp", "geoip"} <= set(SEED_TEMPLATE["mappings"]["properties"])
    # The transformer of components/logs.py feeds the documents: client_ip and timestamp pass through untouched.
    assert not [p for p in logs.TRANSFORMER if "client_ip" in json.dumps(p) or '"timestamp"' in json.dumps(p)]


def test_the_setup_documents_are_in_order_and_idempotent():
    requests = logsearch.setup_requests("arn:aws:iam::123456789012:role/firehose", 7)
    assert [r["path"] for r in requests] == [
        "/_plugins/_security/api/roles/nox-firehose",
        "/_plugins/_security/api/rolesmapping/nox-firehose",
        "/_plugins/geospatial/ip2geo/datasource/nox-geolite2-city",
        "/_ingest/pipeline/nox-api-geoip",  # after the datasource it names
        "/_index_template/nox-api",  # after the pipeline it names
        "/_plugins/_ism/policies/nox-api-retention",
    ]
    assert all(r["method"] == "PUT" for r in requests)
    assert requests[1]["body"] == {"backend_roles": ["arn:aws:iam::123456789012:role/firehose"]}
    assert requests[0]["body"]["index_permissions"] == [
        {"index_patterns": ["nox-api-*"], "allowed_actions": ["crud", "create_index", "manage"]}
    ]
    assert requests[0]["body"]["cluster_permissions"] == ["cluster_composite_ops", "cluster_monitor"]
    assert [r for r in requests if r.get("existsOk")] == [requests[2]] and [r for r in requests if r.get("versioned")] == [requests[5]]
    ism = requests[5]["body"]["policy"]
    assert ism["ism_template"] == [{"index_patterns": ["nox-api-*"], "priority": 100}]
    assert [s["name"] for s in ism["states"]] == ["hot", "delete"] and ism["states"][1]["actions"] == [{"delete": {}}]
    for bad in (0, 3651):
        with pytest.raises(ValueError, match="1..3650"):
            logsearch.retention_policy(bad)


# --- the handler, against a real HTTP server on 127.0.0.1 --------------------------------------------------


class FakeDomain(ThreadingHTTPServer):
    """Records every request; answers from `answers[(method, path)]` (status, body), else 200 {}."""

    def __init__(self) -> None:
        self.seen: list[dict[str, Any]] = []
        self.answers: dict[tuple[str, str], tuple[int, Any]] = {}
        super().__init__(("127.0.0.1", 0), _Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: FakeDomain

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else None
        self.server.seen.append(
            {
                "method": self.command,
                "path": self.path,
                "body": json.loads(body) if body else None,
                "auth": self.headers.get("Authorization", ""),
            }
        )
        status, answer = self.server.answers.get((self.command, self.path.split("?")[0]), (200, {"acknowledged": True}))
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_PUT = _answer

    def log_message(self, *args: Any) -> None:  # quiet
        pass


@pytest.fixture
def domain(monkeypatch):
    monkeypatch.setenv("AWS_REGION", "us-west-2")
    server = FakeDomain()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


CREDENTIALS = Credentials("AKIDEXAMPLE", "secret-example")
ISM = "/_plugins/_ism/policies/nox-api-retention"
DATASOURCE_PATH = "/_plugins/geospatial/ip2geo/datasource/nox-geolite2-city"


def invoke(domain: FakeDomain, requests: list[dict[str, Any]]) -> dict[str, Any]:
    return search_setup.handler({"endpoint": domain.url, "requests": requests}, credentials=CREDENTIALS, allow_http=True)


def test_the_handler_sends_every_document_signed(domain):
    domain.answers[("GET", ISM)] = (404, {"error": {"type": "status_exception"}})
    requests = logsearch.setup_requests("arn:aws:iam::123456789012:role/firehose", 30)
    result = invoke(domain, requests)
    assert [(s["method"], s["path"]) for s in domain.seen] == [
        ("PUT", r["path"]) for r in requests[:5]
    ] + [("GET", ISM), ("PUT", ISM)]  # fmt: skip
    assert [s["body"] for s in domain.seen if s["method"] == "PUT"] == [r["body"] for r in requests]
    for s in domain.seen:
        assert s["auth"].startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/") and "/us-west-2/es/aws4_request" in s["auth"], s
    assert result["applied"][-1] == {"path": ISM, "outcome": "created"}


def test_a_rerun_converges_an_existing_datasource_and_updates_the_ism_policy_by_version(domain):
    domain.answers[("PUT", DATASOURCE_PATH)] = (400, {"error": {"type": "resource_already_exists_exception"}})
    domain.answers[("GET", ISM)] = (200, {"_id": "nox-api-retention", "_seq_no": 7, "_primary_term": 2, "policy": {}})
    result = invoke(domain, logsearch.setup_requests("arn:aws:iam::123456789012:role/firehose", 30))
    outcomes = {a["path"]: a["outcome"] for a in result["applied"]}
    assert outcomes[DATASOURCE_PATH] == "exists" and outcomes[ISM] == "updated"
    assert domain.seen[-1]["method"] == "PUT" and domain.seen[-1]["path"] == f"{ISM}?if_seq_no=7&if_primary_term=2"


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        (
            {("PUT", "/_index_template/nox-api"): (400, {"error": {"type": "mapper_parsing_exception"}})},
            "PUT /_index_template/nox-api: HTTP 400",
        ),
        ({("PUT", "/_plugins/_security/api/roles/nox-firehose"): (403, {"error": "no permissions"})}, "HTTP 403"),
        # existsOk forgives only an existing datasource, not any 400.
        ({("PUT", DATASOURCE_PATH): (400, {"error": {"type": "illegal_argument_exception"}})}, f"PUT {DATASOURCE_PATH}: HTTP 400"),
        ({("GET", ISM): (500, {"error": "boom"})}, f"GET {ISM}: HTTP 500"),
    ],
)
def test_an_error_answer_fails_the_invocation_and_stops(domain, answers, message):
    domain.answers.update(answers)
    with pytest.raises(search_setup.SetupError, match=message.replace("?", r"\?")):
        invoke(domain, logsearch.setup_requests("arn:aws:iam::123456789012:role/firehose", 30))
    failed = next(k for k in answers)
    assert (domain.seen[-1]["method"], domain.seen[-1]["path"]) == failed  # nothing after the failure


def test_the_handler_refuses_plain_http_and_empty_requests(domain):
    with pytest.raises(ValueError, match="https:// only"):
        search_setup.handler({"endpoint": domain.url, "requests": [{"method": "PUT", "path": "/x"}]}, credentials=CREDENTIALS)
    with pytest.raises(ValueError, match="non-empty list"):
        invoke(domain, [])
    with pytest.raises(ValueError, match="non-empty list"):
        invoke(domain, [{"method": "PUT", "path": "x"}])
    assert domain.seen == []


# --- the policy pack and the preflight on the plans --------------------------------------------------------


@pytest.mark.parametrize(("stack", "platform"), PLANS)
def test_the_plans_with_the_domain_pass_the_pack_and_the_preflight(plan_for, stack, platform):
    doc = doc_of(search_plan(plan_for, stack, platform))
    assert [v for v in evaluate(doc, policies=ALL_POLICIES) if v.level == "mandatory"] == []
    result = preflight.run(doc)
    assert [f"{v.type} {v.name} {v.path}" for v in result.violations] == [] and result.unmapped_types == []


def _edit(doc: dict[str, Any], token: str, path: tuple[str | int, ...], value: Any) -> None:
    [r] = [r for r in doc["resources"] if r["type"] == token]
    r["inputs"] = mutate(r["inputs"], path, value)


D, F = ("aws-opensearch-domain-hardened", DOMAIN), ("aws-firehose-stream-encrypted", STREAM)


@pytest.mark.parametrize(
    ("target", "path", "value", "expected"),
    [
        (D, ("encryptAtRest", "enabled"), False, "is not encrypted at rest"),
        (D, ("domainEndpointOptions", "tlsSecurityPolicy"), "Policy-Min-TLS-1-0-2019-07", "has TLS policy"),
        (D, ("advancedSecurityOptions", "internalUserDatabaseEnabled"), True, "internal user database"),
        (D, ("vpcOptions",), DELETE, "has a public endpoint"),
        (D, ("logPublishingOptions",), [], "publishes no audit log"),
        (D, ("clusterConfig", "zoneAwarenessConfig", "availabilityZoneCount"), 2.0, "is not zone-aware across 3 AZs in prod"),
        (D, ("clusterConfig", "dedicatedMasterEnabled"), False, "has no 3 dedicated masters in prod"),
        (F, ("serverSideEncryption", "keyType"), "AWS_OWNED_CMK", "AWS-owned key"),
        (F, ("serverSideEncryption", "enabled"), False, "is not encrypted at rest"),
    ],
)
def test_a_prod_plan_whose_domain_or_stream_is_weakened_fails(plan_for, target, path, value, expected):
    doc = doc_of(search_plan(plan_for, "prod", "eks"))
    name, token = target
    assert evaluate(doc, policies=[policy(name)]) == []
    _edit(doc, token, path, value)
    found = [v.message for v in evaluate(doc, policies=[policy(name)]) if v.level == "mandatory"]
    assert len(found) == 1 and expected in found[0], found


# --- estimates ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stack", "platform", "domain_lines", "vpc_hours"),
    [
        ("prod", "eks", {"opensearch.r6g.large.search": 3 * 730, "opensearch.m6g.large.search": 3 * 730, "opensearch.gp3": 300.0}, 3 * 730),
        ("dev", "asg", {"opensearch.t3.medium.search": 2 * 730, "opensearch.gp3": 40.0}, 2 * 730),
    ],
)
def test_every_new_type_is_priced_or_free(plan_for, stack, platform, domain_lines, vpc_hours):
    from offline.estimates import cost

    money = cost.monthly_cost(doc_of(search_plan(plan_for, stack, platform)))
    assert money["unpriced"] == []
    by_name = {r["name"]: {line["priceKey"]: line["quantity"]["min"] for line in r["lines"]} for r in money["resources"]}
    assert by_name["log-search-domain"] == domain_lines
    assert by_name["log-search-stream"] == {
        "firehose.ingest": cost.APP_LOG_GB,
        "firehose.vpc-hour": vpc_hours,
        "firehose.vpc-gb": cost.APP_LOG_GB,
    }
    assert by_name["log-search-failed"] == {"s3.standard": cost.SEARCH_FAILED_GB}  # not priced as the ALB log bucket
