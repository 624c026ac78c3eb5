"""Application and system logs in CloudWatch Logs: the seed's ELK pipeline, on AWS.

The seed's Logstash parsed JSON lines, extracted the OAuth and AI-security fields with grok, and
posted ERROR/CRITICAL lines to Slack. Here:

- **Groups first.** Pulumi creates every log group a shipper writes to, with the log key and the
  stack's retention, before the shipper starts: a shipper that creates its own group gets neither.
  asg: `/nox/<stack>/app` and `/nox/<stack>/system`, written by the CloudWatch agent the fleet's
  user data installs (`agent_config`). eks: the three groups of the
  `amazon-cloudwatch-observability` add-on's Fluent Bit (`application`, `dataplane`, `host` under
  `/aws/containerinsights/<cluster>/`), which components/insights.py configures (`FLUENT_BIT_APPLICATION`).
- **One parser for both platforms.** Both shippers deliver the app's stdout line inside a JSON
  record's `log` field (Docker's json-file record on asg, the tail + kubernetes record on eks with
  `Merge_Log Off`), so one CloudWatch Logs transformer (`TRANSFORMER`) parses the log contract
  (docs/logs.md) on both: the record, then the app's JSON line, then the seed's two text forms.
- **No secrets kept.** The transformer deletes credential fields and masks credentials in the
  message; a data protection policy (`data_protection_policy`) masks what is left in the raw event.
- **Log-based alarms** read metric filters on the transformed events (`METRIC_FILTERS`), through the
  alarm catalogue (components/alarms.py), so they notify the alert topic like every other alarm.
- **Saved queries** for the common investigations (`QUERIES`), scoped to the app group.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from . import alarms, appspec
from .base import Logged, Named

APP, SYSTEM = "app", "system"  # asg sources
EKS_SOURCES = ("application", "dataplane", "host")  # the add-on's Fluent Bit outputs (chart 6.4.0 values.yaml)
EKS_APP = "application"


def asg_group_names(name_prefix: str) -> dict[str, str]:
    return {APP: f"/nox/{name_prefix}/app", SYSTEM: f"/nox/{name_prefix}/system"}


def eks_group_name(cluster_name: str, source: str) -> str:
    return f"/aws/containerinsights/{cluster_name}/{source}"


def metric_namespace(name_prefix: str) -> str:
    # PutMetricFilter metricNamespace: up to 255 characters, none of `:*$` (botocore logs model).
    return f"{name_prefix}/logs"


# --- parsing: the transformer (PutTransformer processors, in order) -------------------------------

# The seed's Logstash grok, in CloudWatch's grok (which takes no type suffix: typeConverter below).
OAUTH_GROK = "OAuth %{WORD:provider} %{WORD:action} %{WORD:result}"
# Fields the app must never log (docs/logs.md); deleted if it does. DeleteKeys takes 5 keys at most.
SECRET_FIELDS = ("authorization", "cookie", "password", "token", "headers")
# (regex, replacement) applied to the message: Java regular expressions, the subset Python shares.
MASKS = (
    ("(?i)(cookie|set-cookie|authorization):\\s*(?:(?:bearer|basic)\\s+)?[^\\s]+", "$1: ***"),
    ("(?i)(bearer|basic)\\s+[A-Za-z0-9._~+/=-]+", "$1 ***"),
    ("(?i)(password|passwd|secret|token|access_token|refresh_token|api_key)=[^\\s&]+", "$1=***"),
)

TRANSFORMER: tuple[dict[str, Any], ...] = (
    # The shipper's record: Docker's {"log", "stream", "time"} or Fluent Bit's {"log", "stream", "kubernetes"}.
    {"parseJSON": {"source": "@message"}},
    # The app's line (the log contract), its keys at the root.
    {"parseJSON": {"source": "log"}},
    # The seed's `OAuth <provider> <action> <result>` messages.
    {"grok": {"source": "message", "match": OAUTH_GROK}},
    # The seed's `AI Security threat_level=<n> confidence=<n>`: key=value pairs of the message.
    {"parseKeyValue": {"source": "message", "destination": "kv", "fieldDelimiter": " ", "keyValueDelimiter": "="}},
    {
        "moveKeys": {
            "entries": [{"source": "kv.threat_level", "target": "threat_level"}, {"source": "kv.confidence", "target": "confidence"}]
        }
    },
    {"deleteKeys": {"withKeys": ["kv", "log"]}},
    {"deleteKeys": {"withKeys": list(SECRET_FIELDS)}},
    {"substituteString": {"entries": [{"source": "message", "from": f, "to": t} for f, t in MASKS]}},
    {"typeConverter": {"entries": [{"key": k, "type": "double"} for k in ("threat_level", "confidence", "response_time")]}},
    {"typeConverter": {"entries": [{"key": "status", "type": "integer"}]}},
)


def _snake(value: Any) -> Any:
    """API member names (camelCase) as the provider's argument names (snake_case), recursively."""
    if isinstance(value, dict):
        return {"".join(f"_{c.lower()}" if c.isupper() else c for c in k): _snake(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_snake(v) for v in value]
    return value


# pulumi-aws LogTransformerTransformerConfig: one processor a block; most are list-typed.
_PULUMI_BLOCK = {
    "parseJSON": "parse_jsons",
    "grok": "grok",
    "parseKeyValue": "parse_key_values",
    "moveKeys": "move_keys",
    "deleteKeys": "delete_keys",
    "substituteString": "substitute_strings",
    "typeConverter": "type_converters",
}


def transformer_configs() -> list[dict[str, Any]]:
    """TRANSFORMER as the provider's `transformer_configs` argument."""
    out = []
    for processor in TRANSFORMER:
        [(kind, body)] = processor.items()
        block = _PULUMI_BLOCK[kind]
        out.append({block: _snake(body) if block == "grok" else [_snake(body)]})
    return out


# --- log-based metrics (PutMetricFilter on the transformed events) ------------------------------------


@dataclass(frozen=True)
class MetricFilter:
    name: str
    pattern: str  # CloudWatch Logs JSON filter pattern
    metric: str
    value: str  # "1" (count) or a field ($.threat_level)
    default: float | None = None  # published when no event matches (not allowed with dimensions)
    dimensions: Mapping[str, str] | None = None


# The app's own lines only: on eks the application group also holds the other pods' logs, and a
# controller's JSON line at level ERROR is not the app's error.
APP_SERVICES = '(($.service = "nox-api") || ($.service = "nox-websocket"))'
METRIC_FILTERS = (
    MetricFilter("errors", '{ ($.level = "ERROR") && ' + APP_SERVICES + " }", "ErrorLogLines", "1", default=0),
    MetricFilter("critical", '{ ($.level = "CRITICAL") && ' + APP_SERVICES + " }", "CriticalLogLines", "1", default=0),
    MetricFilter("oauth-failures", '{ $.result = "failure" }', "OAuthFailures", "1", dimensions={"Provider": "$.provider"}),
    MetricFilter("ai-threat-level", "{ $.threat_level >= 0 }", "AIThreatLevel", "$.threat_level"),
)


# The alarms on them (the alarm catalogue's shape: components/alarms.py makes and routes them).
ERROR_LINES_PER_5_MINUTES = 10  # the seed posted every ERROR line; one stray error must not page
OAUTH_FAILURES_PER_5_MINUTES = 20  # a provider outage or a credential-stuffing run, not a typo'd password
AI_THREAT_LEVEL = 0.8  # the seed's AISecurityThreatDetected: ai_security_threat_level > 0.8, for 0s


def checks(namespace: str) -> tuple[alarms.Check, ...]:
    """The log-based alarms: the seed's ERROR/CRITICAL-to-Slack and its AI-security alert, OAuth failures."""
    seed_slack = "seed Logstash (ERROR and CRITICAL lines to Slack)"
    quiet = "no matching line: the filter publishes 0"
    return (
        alarms.Check("log-errors", ("app-logs",), "ERROR lines in the app's logs", namespace, "ErrorLogLines", "Sum",
                     alarms.GREATER, ERROR_LINES_PER_5_MINUTES, f"> {ERROR_LINES_PER_5_MINUTES}", 300, 1, 1, "notBreaching", quiet,
                     seed_slack),
        alarms.Check("log-critical", ("app-logs",), "CRITICAL lines in the app's logs", namespace, "CriticalLogLines", "Sum",
                     alarms.GREATER, 0, "> 0", 60, 1, 1, "notBreaching", quiet, seed_slack),
        alarms.Check("ai-threat-logged", ("app-logs",), "Highest AI-security threat level the app logged", namespace,
                     "AIThreatLevel", "Maximum", alarms.GREATER, AI_THREAT_LEVEL, f"> {AI_THREAT_LEVEL}", 60, 1, 1, "notBreaching",
                     "no AI Security line in the minute", "seed AISecurityThreatDetected (> 0.8, for 0s), from the logs"),
        alarms.Check("oauth-failures", ("oauth",), "OAuth failures of one provider", namespace, "OAuthFailures", "Sum",
                     alarms.GREATER, OAUTH_FAILURES_PER_5_MINUTES, f"> {OAUTH_FAILURES_PER_5_MINUTES}", 300, 1, 1, "notBreaching",
                     "no failure of the provider in the period", "seed Logstash OAuth grok; threshold ours"),
    )  # fmt: skip


def targets(providers: tuple[str, ...] = appspec.OAUTH_PROVIDERS) -> list[alarms.Target]:
    """The app's log metrics (no dimensions) and each OAuth provider's failures (dimension Provider)."""
    return [alarms.Target("app-logs", ""), *(alarms.Target("oauth", p, {"Provider": p}) for p in providers)]


# --- saved queries (CloudWatch Logs Insights) ---------------------------------------------------------

QUERIES = {
    "errors-by-route": (
        'fields @timestamp, level, route, status, message\n| filter level in ["ERROR", "CRITICAL"]\n'
        "| stats count(*) as errors by route, level\n| sort errors desc"
    ),
    "oauth-failures-by-provider": (
        'fields @timestamp, provider, action, client_ip\n| filter result = "failure"\n'
        "| stats count(*) as failures by provider, action\n| sort failures desc"
    ),
    "slow-requests": (
        "fields @timestamp, method, route, status, response_time, request_id\n| filter response_time > 1000\n"
        "| sort response_time desc\n| limit 100"
    ),
    "threats-by-client-ip": (
        "fields @timestamp, client_ip, threat_level, confidence\n| filter threat_level > 0.8\n"
        "| stats count(*) as threats, max(threat_level) as worst by client_ip\n| sort threats desc"
    ),
}


# --- data protection (PutDataProtectionPolicy) --------------------------------------------------------

# Regexes the policy masks wherever they appear in an event, raw text included (custom data
# identifiers; no inline flags, so case is spelled out).
PROTECTED_PATTERNS = {
    "BearerToken": "[Bb]earer\\s+[A-Za-z0-9._~+/=-]{8,}",
    "CookieHeader": "([Ss]et-)?[Cc]ookie:\\s*\\S+",
    # The raw event holds the app's line as a JSON string inside the shipper's record: quotes escaped.
    "PasswordField": '[Pp]ass(word|wd)\\\\?"?\\s*[:=]\\s*\\\\?"?[^\\s",&\\\\]+',
}
MANAGED_IDENTIFIERS = ("AwsSecretKey",)  # AWS's managed data identifier for secret access keys


def data_protection_policy(name: str) -> str:
    """A data protection policy document: audit (no findings destination) then mask the identifiers."""
    identifiers = [f"arn:aws:dataprotection::aws:data-identifier/{m}" for m in MANAGED_IDENTIFIERS] + list(PROTECTED_PATTERNS)
    return json.dumps(
        {
            "Name": name,
            "Version": "2021-06-01",
            "Configuration": {"CustomDataIdentifier": [{"Name": n, "Regex": r} for n, r in PROTECTED_PATTERNS.items()]},
            "Statement": [
                {"Sid": "audit", "DataIdentifier": identifiers, "Operation": {"Audit": {"FindingsDestination": {}}}},
                {"Sid": "redact", "DataIdentifier": identifiers, "Operation": {"Deidentify": {"MaskConfig": {}}}},
            ],
        },
        sort_keys=True,
    )


# --- the shippers' configuration ----------------------------------------------------------------------

AGENT_CONFIG_PATH = "/opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json"
SYSTEM_FILES = ("/var/log/messages", "/var/log/secure", "/var/log/cloud-init-output.log")


def agent_config(groups: Mapping[str, str], region: str) -> dict[str, Any]:
    """The asg hosts' CloudWatch agent: the app container's Docker log and the system logs.

    Keys from the agent's schema (amazon-cloudwatch-agent translator/config/schema.json,
    logsFilesDefinition): no `retention_in_days`, the groups are Pulumi's. The app container is the
    only one on the json-file driver (the metrics collector logs to journald), so the glob is its log.
    """
    stream = "{instance_id}"
    files = [{"file_path": "/var/lib/docker/containers/*/*-json.log", "log_group_name": groups[APP], "log_stream_name": stream}]
    files += [
        {"file_path": path, "log_group_name": groups[SYSTEM], "log_stream_name": f"{stream}{path.replace('/', '-')}"}
        for path in SYSTEM_FILES
    ]
    return {
        "agent": {"region": region, "logfile": "/opt/aws/amazon-cloudwatch-agent/logs/amazon-cloudwatch-agent.log"},
        "logs": {"logs_collected": {"files": {"collect_list": files}}, "force_flush_interval": 5},
    }


def agent_script(groups: Mapping[str, str], region: str) -> str:
    """User-data lines: rsyslog (AL2023 logs only to journald) and the agent, started on its config."""
    config = json.dumps(agent_config(groups, region), indent=2, sort_keys=True)
    return f"""
# Logs: rsyslog writes /var/log/messages and /var/log/secure (AL2023 keeps only the journal), the
# CloudWatch agent ships them and the app container's Docker log to the stack's log groups.
dnf install -y rsyslog amazon-cloudwatch-agent
systemctl enable --now rsyslog
install -d -m 0755 "$(dirname {AGENT_CONFIG_PATH})"
cat > {AGENT_CONFIG_PATH} <<'AGENT_CONFIG'
{config}
AGENT_CONFIG
/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c file:{AGENT_CONFIG_PATH}
"""


# The add-on's application input, with `Merge_Log Off` (the app's line stays in `log` for the
# transformer, as on asg), pods unable to pick their own parser, and no group creation. Modelled on
# the chart's default `application-log.conf` (aws-observability/helm-charts,
# charts/amazon-cloudwatch-observability/values.yaml, 6.4.0); ${...} are the DaemonSet's env vars.
FLUENT_BIT_APPLICATION = """[INPUT]
    Name                tail
    Tag                 application.*
    Exclude_Path        @EXCLUDE@
    Path                /var/log/containers/*.log
    multiline.parser    docker, cri
    DB                  /var/fluent-bit/state/flb_container.db
    Mem_Buf_Limit       50MB
    Skip_Long_Lines     On
    Refresh_Interval    10
    Rotate_Wait         30
    storage.type        filesystem
    Read_from_Head      ${READ_FROM_HEAD}

[FILTER]
    Name                kubernetes
    Match               application.*
    Kube_URL            https://kubernetes.default.svc:443
    Kube_Tag_Prefix     application.var.log.containers.
    Merge_Log           Off
    K8S-Logging.Parser  Off
    K8S-Logging.Exclude Off
    Labels              Off
    Annotations         Off
    Use_Kubelet         On
    Kubelet_Port        10250
    Buffer_Size         0

[OUTPUT]
    Name                cloudwatch_logs
    Match               application.*
    region              ${AWS_REGION}
    log_group_name      /aws/containerinsights/${CLUSTER_NAME}/application
    log_stream_prefix   ${HOST_NAME}-
    auto_create_group   false
    extra_user_agent    container-insights
""".replace("@EXCLUDE@", ", ".join(f"/var/log/containers/{p}*" for p in ("cloudwatch-agent", "fluent-bit", "aws-node", "kube-proxy")))


# --- the component ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AppLogsArgs(Named, Logged):
    groups: Mapping[str, pulumi.Input[str]]  # source -> log group name
    app_source: str  # the source whose group gets the parser, masking, metric filters and queries


class AppLogs(pulumi.ComponentResource):
    """The log groups of one platform's shippers, and the app group's parsing, masking, metrics and queries."""

    groups: dict[str, aws.cloudwatch.LogGroup]

    def __init__(self, name: str, args: AppLogsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("nox:logs:AppLogs", name, None, opts)
        if args.app_source not in args.groups:
            raise ValueError(f"AppLogsArgs.app_source {args.app_source!r} is not one of the groups {sorted(args.groups)}")
        child = pulumi.ResourceOptions(parent=self)
        self.groups = {
            source: aws.cloudwatch.LogGroup(
                f"{name}-{source}", name=group, retention_in_days=args.log_retention_days, kms_key_id=args.log_key.arn, opts=child
            )
            for source, group in args.groups.items()
        }
        app = self.groups[args.app_source]
        transformer = aws.cloudwatch.LogTransformer(
            f"{name}-parser", log_group_arn=app.arn, transformer_configs=transformer_configs(), opts=child
        )
        aws.cloudwatch.LogDataProtectionPolicy(
            f"{name}-masking",
            log_group_name=app.name,
            policy_document=data_protection_policy(f"{args.name_prefix}-app-logs"),
            opts=child,
        )
        self._metric_filters(name, args, app, transformer)
        for query, text in QUERIES.items():
            aws.cloudwatch.QueryDefinition(
                f"{name}-query-{query}", name=f"{args.name_prefix}/{query}", query_string=text, log_group_names=[app.name], opts=child
            )
        self.register_outputs({"logGroups": {s: g.name for s, g in self.groups.items()}})

    def _metric_filters(self, name: str, args: AppLogsArgs, app: aws.cloudwatch.LogGroup, transformer: pulumi.Resource) -> None:
        # On the transformed events (the fields exist only there), so after the transformer.
        for f in METRIC_FILTERS:
            aws.cloudwatch.LogMetricFilter(
                f"{name}-metric-{f.name}",
                name=f"{args.name_prefix}-{f.name}",
                log_group_name=app.name,
                pattern=f.pattern,
                apply_on_transformed_logs=True,
                metric_transformation={
                    "name": f.metric,
                    "namespace": metric_namespace(args.name_prefix),
                    "value": f.value,
                    **({"default_value": str(f.default)} if f.default is not None else {}),
                    **({"dimensions": dict(f.dimensions)} if f.dimensions else {}),
                },
                opts=pulumi.ResourceOptions(parent=self, depends_on=[transformer]),
            )
