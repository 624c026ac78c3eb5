"""Read the `nox:` configuration once, validate every key and cross-field rule, freeze it.

Nothing here registers a resource, so a bad value stops the program before anything is
planned. Under `pulumi up` the error is a `pulumi.RunError`: the CLI prints the message, not
a traceback.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import pulumi
from pulumi.runtime import config as runtime_config

from .model import (
    COLOURS,
    EFFECTIVE_CACHE_SIZE_MIB,
    MAX_CONNECTIONS,
    MIN_POOL,
    SHARED_BUFFERS_MIB,
    AlertingSettings,
    CacheSettings,
    DatabaseSettings,
    EdgeSettings,
    EksSettings,
    FleetSettings,
    LogSearchSettings,
    NetworkSettings,
    PrometheusSettings,
    ReleaseSettings,
    StackSettings,
    fits_seed_memory,
    min_storage_ceiling,
    pool_size,
)
from .schema import (
    _INT,
    CACHE_ENGINE_FAMILIES,
    DB_INSTANCE_MEMORY_GIB,
    EKS_NODE_AMI_ARCH,
    EKS_SUPPORT,
    EKS_SUPPORT_WARNING_DAYS,
    ENVIRONMENTS,
    FLEET_AMI_ARCH,
    KEYS,
    KEYS_BY_NAME,
    KUBERNETES_ARCH,
    Key,
    architecture,
    aws_regions,
    cidr_problem,
    digest_problem,
    is_prod_stack,
    kms_key_region,
    node_pool_needs,
    snapshot_region,
    stack_name_problem,
)

NAMESPACE = "nox"


class ConfigError(pulumi.RunError):
    """Invalid stack configuration; `problems` holds one line per offending key."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid stack configuration:\n  " + "\n  ".join(problems))


# Keys that list traffic sources, all checked by schema.cidr_problem: key -> whether the sources
# reach a public endpoint (public unicast only) or a private one (private ranges allowed).
CIDR_KEYS = {"eksPublicAccessCidrs": True, "deployerCidrs": False}  # key -> seen by a public endpoint
SHOW_LIMIT = 80
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_.-]{1,64}")


def _show(value: Any) -> str:
    """The value as a message shows it: quoted, control characters escaped, at most ~80 characters."""
    text = json.dumps(value, ensure_ascii=False, default=repr) if not isinstance(value, str) else repr(value)
    return text if len(text) <= SHOW_LIMIT else f"{text[: SHOW_LIMIT - 3]}... ({len(text)} characters)"


def _parse(key: Key, raw: Any) -> Any:
    """Turn a config value (the CLI hands over strings; JSON for arrays) into the key's type."""
    if key.kind is str:
        if not isinstance(raw, str):
            raise ValueError("a string")
        # A newline, NUL or stray space never belongs in a name, ARN, tag or version (whole values only).
        if raw != raw.strip() or not raw.isprintable():
            raise ValueError("a string with no leading or trailing whitespace and no control or invisible characters")
        return raw
    if key.kind is bool:
        if isinstance(raw, bool):
            return raw
        if str(raw).lower() in ("true", "false"):
            return str(raw).lower() == "true"
        raise ValueError("true or false")
    if key.kind is int:
        # ASCII digits only: int() would also take '٣٦٠٠', '1_000', '+600' and ' 600 '.
        if isinstance(raw, bool) or not _INT.fullmatch(str(raw)):
            raise ValueError("an integer written in ASCII digits, e.g. 3600")
        return int(str(raw))
    try:
        value = json.loads(raw) if isinstance(raw, str) else raw
    except (json.JSONDecodeError, RecursionError):
        value = None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError('a list of strings, e.g. ["a", "b"]')
    return value


def _config_keys() -> set[str]:
    """Every key the engine handed to this program (explicitly set or from PULUMI_CONFIG)."""
    return set(runtime_config.CONFIG.get()) | set(runtime_config.get_config_env())


def read_values(raw: Mapping[str, Any], unread: Iterable[str] = ()) -> tuple[dict[str, Any], list[str]]:
    """Parse and check each key in isolation; return typed values and the problems found.

    `unread` keys are present but deliberately not read (stored as secrets): they take their
    default and their one problem is reported by the caller.
    """
    unread = set(unread)
    problems: list[str] = []
    for name in sorted(set(raw) - set(KEYS_BY_NAME)):
        shown = f"{NAMESPACE}:{name}" if _PLAIN_KEY.fullmatch(name) else _show(f"{NAMESPACE}:{name}")
        problems.append(f"{shown} is not a known setting (typo?); see docs/configuration-rules.md")
    env = raw.get("environment")
    if env not in ENVIRONMENTS:
        problems.append(
            f"{NAMESPACE}:environment = {_show(env)}: must be one of {', '.join(ENVIRONMENTS)}"
            if env is not None
            else f"{NAMESPACE}:environment is required (one of {', '.join(ENVIRONMENTS)})"
        )
        return {}, problems
    values: dict[str, Any] = {}
    for key in KEYS:
        full = f"{NAMESPACE}:{key.name}"
        if key.name not in raw or key.name in unread:
            if key.required and key.name not in unread:
                problems.append(f"{full} is required: {key.description}")
            values[key.name] = key.default_for(env)
            continue
        try:
            value = _parse(key, raw[key.name])
        except ValueError as err:
            problems.append(f"{full} = {_show(raw[key.name])}: must be {err}")
            continue
        allowed = key.check(value) if key.check else None
        if allowed:
            problems.append(f"{full} = {_show(value)}: must be {allowed}")
            continue
        values[key.name] = value
    return values, problems


def _cidr_list_problems(key: str, cidrs: list[str], *, prod: bool, public: bool) -> list[str]:
    """The environment-aware half of the CIDR rule (the syntax half runs per key)."""
    for cidr in cidrs:
        allowed = cidr_problem(cidr, prod=prod, public=public)
        if allowed:
            return [f"nox:{key} = {_show(cidrs)}: {_show(cidr)} must be {allowed}; list your operators' or runners' egress CIDRs"]
    return []


def _architecture_problems(v: dict[str, Any]) -> list[str]:
    """Instance types must match the AMI the program boots (x86_64 today), and a node group one architecture."""
    p = []
    arch = architecture(v["instanceType"])
    if arch != FLEET_AMI_ARCH:
        p.append(f"nox:instanceType = {_show(v['instanceType'])}: must be an {FLEET_AMI_ARCH} type like the fleet AMI (this one is {arch})")
    node_arches = sorted({architecture(t) for t in v["eksNodeInstanceTypes"]})
    if len(node_arches) > 1:
        p.append(f"nox:eksNodeInstanceTypes = {_show(v['eksNodeInstanceTypes'])}: must not mix arm64 and x86_64 in one node group")
    elif node_arches and node_arches[0] != EKS_NODE_AMI_ARCH:
        p.append(
            f"nox:eksNodeInstanceTypes = {_show(v['eksNodeInstanceTypes'])}: must be {EKS_NODE_AMI_ARCH} types like "
            f"the node AMI type (these are {node_arches[0]})"
        )
    if v["karpenterArchitecture"] != KUBERNETES_ARCH[EKS_NODE_AMI_ARCH]:
        p.append(
            f"nox:karpenterArchitecture = {_show(v['karpenterArchitecture'])}: must be {KUBERNETES_ARCH[EKS_NODE_AMI_ARCH]} "
            f"like the node AMI ({EKS_NODE_AMI_ARCH}): system and app nodes run the same images"
        )
    return p


def _ordered(v: dict[str, Any], *chain: str) -> list[str]:
    nums = [v[k] for k in chain]
    if nums == sorted(nums):
        return []
    return [" <= ".join(f"nox:{k} ({v[k]})" for k in chain) + " must hold"]


def _sizes(v: dict[str, Any]) -> list[str]:
    """Group, node-group and HPA sizes are ordered min <= desired <= max."""
    return (
        _ordered(v, "asgMin", "asgDesired", "asgMax")
        + _ordered(v, "eksNodeMin", "eksNodeDesired", "eksNodeMax")
        + _ordered(v, "hpaMinReplicas", "hpaMaxReplicas")
    )


def _storage_ceiling(v: dict[str, Any]) -> list[str]:
    """RDS refuses a storage-autoscaling ceiling under 110 % of the allocated storage."""
    ceiling = min_storage_ceiling(v["dbAllocatedStorage"])
    if v["dbMaxAllocatedStorage"] >= ceiling:
        return []
    return [
        f"nox:dbMaxAllocatedStorage = {v['dbMaxAllocatedStorage']}: must be at least 110% of "
        f"nox:dbAllocatedStorage ({v['dbAllocatedStorage']}), i.e. >= {ceiling}, for storage autoscaling"
    ]


def _cache_version(v: dict[str, Any]) -> list[str]:
    versions = CACHE_ENGINE_FAMILIES[v["cacheEngine"]]
    if not v["cacheEngineVersion"] or v["cacheEngineVersion"] in versions:
        return []
    return [
        f"nox:cacheEngineVersion = {v['cacheEngineVersion']!r}: must be one of "
        f"{', '.join(versions)} for nox:cacheEngine = {v['cacheEngine']!r}"
    ]


def _certificate_source(v: dict[str, Any]) -> list[str]:
    """TLS certificate: exactly one source."""
    if bool(v["hostedZoneId"]) != bool(v["certificateArn"]):
        return []
    return [
        "nox:hostedZoneId and nox:certificateArn: set exactly one (a Route 53 zone to issue and "
        f"DNS-validate a certificate for {v['domain']!r}, or an existing ACM certificate ARN); "
        f"got hostedZoneId={v['hostedZoneId']!r}, certificateArn={v['certificateArn']!r}"
    ]


def _release(v: dict[str, Any]) -> list[str]:
    """The active colour runs; a canary needs a candidate; blue/green has no split."""
    p: list[str] = []
    active, candidate = v["releaseActive"], ("green" if v["releaseActive"] == "blue" else "blue")
    image_key = {c: f"image{c.capitalize()}" for c in COLOURS}
    if not v[image_key[active]]:
        p.append(f"nox:{image_key[active]} is empty but nox:releaseActive = '{active}': the active colour needs an image")
    if v["releaseStrategy"] == "canary" and not v[image_key[candidate]]:
        p.append(
            f"nox:{image_key[candidate]} is empty but nox:releaseStrategy = 'canary': the candidate colour ({candidate}) needs an image"
        )
    if v["releaseStrategy"] == "bluegreen" and v["releaseCanaryWeight"] != 0:
        p.append(
            f"nox:releaseCanaryWeight = {v['releaseCanaryWeight']}: must be 0 when nox:releaseStrategy = "
            "'bluegreen' (set releaseStrategy to canary to split traffic)"
        )
    return p


def _alert_destinations(v: dict[str, Any]) -> list[str]:
    """Slack needs both ids, and an alarm topic nobody subscribes to is silent."""
    p: list[str] = []
    if bool(v["slackWorkspaceId"]) != bool(v["slackChannelId"]):
        p.append(
            f"nox:slackWorkspaceId ({v['slackWorkspaceId']!r}) and nox:slackChannelId ({v['slackChannelId']!r}): "
            "set both (Slack through AWS Chatbot) or neither"
        )
    if not (v["alertEmails"] or v["slackWorkspaceId"] or v["alertHttpsEndpoint"]):
        p.append(
            "nox:alertEmails, nox:slackWorkspaceId/nox:slackChannelId and nox:alertHttpsEndpoint are all empty: "
            "alarms would reach nobody; set at least one destination"
        )
    return p


def _eks_access(v: dict[str, Any]) -> list[str]:
    """Someone (and `pulumi up`) must be able to administer and reach the private cluster."""
    if v["platform"] != "eks":
        return []
    p: list[str] = []
    # Authentication mode API with no implicit creator admin: without an admin entry nobody,
    # not even `pulumi up`, could reach the cluster to apply the workload.
    if not v["eksAdminRoleArn"]:
        p.append(
            "nox:eksAdminRoleArn is empty but nox:platform = 'eks': set the IAM role that administers the "
            "cluster (and that `pulumi up` runs as)"
        )
    # The endpoint is always private; without a deployer path the Kubernetes provider, the Helm
    # releases and the workload could not be created on the first `up`.
    if not (v["eksPublicAccessCidrs"] or v["deployerCidrs"] or v["deployerSecurityGroupId"]):
        p.append(
            "nox:eksPublicAccessCidrs, nox:deployerCidrs and nox:deployerSecurityGroupId are all empty but nox:platform = 'eks': "
            "nothing that runs `pulumi up` could reach the private cluster endpoint; set nox:deployerSecurityGroupId "
            "(an in-VPC runner), nox:deployerCidrs, or nox:eksPublicAccessCidrs (see docs/deploying.md)"
        )
    return p + _eks_support(v)


def _managed_prometheus(v: dict[str, Any]) -> list[str]:
    """Only dev may run without the managed Prometheus workspace (its CloudWatch alarms stay on)."""
    if v["managedPrometheus"] or v["environment"] == "dev":
        return []
    return [
        f"nox:managedPrometheus = false with nox:environment = {v['environment']!r}: only dev may turn the managed "
        "Prometheus workspace off (staging and prod evaluate the seed's alerts)"
    ]


def _database_memory(v: dict[str, Any]) -> list[str]:
    """The seed's shared_buffers and effective_cache_size must fit the class."""
    memory_gib = DB_INSTANCE_MEMORY_GIB[v["dbInstanceClass"]]
    if fits_seed_memory(memory_gib):
        return []
    return [
        f"nox:dbInstanceClass = {v['dbInstanceClass']!r} ({memory_gib} GiB): too small for the seed's "
        f"shared_buffers {SHARED_BUFFERS_MIB}MB (<= 40% of memory) and effective_cache_size "
        f"{EFFECTIVE_CACHE_SIZE_MIB}MB (<= 75%); use db.t4g.small or larger"
    ]


RESTORE_KEYS = ("dbRestoreSnapshot", "dbRestoreSourceInstance", "dbRestoreTime", "dbRestoreKmsKeyArn", "cacheRestoreSnapshot")


def _restore_source(v: dict[str, Any]) -> list[str]:
    """One restore source at most, complete: a snapshot, or a source instance with a time, with its key."""
    snapshot, source, time, key = (v[k] for k in RESTORE_KEYS[:4])
    if snapshot and (source or time):
        return [
            f"nox:dbRestoreSnapshot ({snapshot!r}) and nox:dbRestoreSourceInstance / nox:dbRestoreTime "
            f"({source!r}, {time!r}): set one restore source, a snapshot or a point in time, not both"
        ]
    if bool(source) != bool(time):
        return [
            f"nox:dbRestoreSourceInstance ({source!r}) and nox:dbRestoreTime ({time!r}): a point-in-time restore "
            "needs both (the source instance and `latest` or a UTC time)"
        ]
    if (snapshot or source) and not key:
        return [
            "nox:dbRestoreKmsKeyArn is empty but a restore is set: name the KMS key the backup is encrypted with "
            "(RDS restores keep the source's key; the restore APIs take none)"
        ]
    if key and not (snapshot or source):
        return [f"nox:dbRestoreKmsKeyArn ({key!r}) is set but no restore is: set nox:dbRestoreSnapshot or nox:dbRestoreSourceInstance"]
    return []


def _restore_region(v: dict[str, Any], stack: str, region: str) -> list[str]:
    """RDS restores only a snapshot, and a key, of the stack's own region."""
    p = []
    for name, found in (
        ("dbRestoreSnapshot", snapshot_region(v["dbRestoreSnapshot"])),
        ("dbRestoreKmsKeyArn", kms_key_region(v["dbRestoreKmsKeyArn"])),
    ):
        if found and found != region:
            p.append(
                f"nox:{name} = {_show(v[name])}: is in {found}, the stack in aws:region {region}; RDS restores only "
                "from its own region (restore the copy in the DR vault of this region, docs/operations.md)"
            )
    return p


def _restore_confirm(v: dict[str, Any], stack: str, region: str) -> list[str]:
    """A restore key replaces a live database: it must be confirmed with the stack's own name."""
    set_keys = [k for k in RESTORE_KEYS if v[k]]
    if not set_keys or v["restoreConfirm"] == stack:
        return []
    return [
        f"{', '.join('nox:' + k for k in set_keys)} set but nox:restoreConfirm = {_show(v['restoreConfirm'])}: "
        f"a restore key is create-time only (on an existing stack it replaces the database or cache with the "
        f"restored one); set nox:restoreConfirm = {stack!r} to confirm this stack is new"
    ]


def _promotion(v: dict[str, Any]) -> list[str]:
    if v["dbPromoteReplica"] and not v["dbReadReplica"]:
        return ["nox:dbPromoteReplica = true but nox:dbReadReplica = false: there is no replica to promote"]
    return []


def _dr_region(v: dict[str, Any], stack: str, region: str) -> list[str]:
    if v["drRegion"] and v["drRegion"] == region:
        return [
            f"nox:drRegion = {v['drRegion']!r}: must differ from aws:region ({region}); a copy in the same region survives no region loss"
        ]
    return []


def _prod_floors(v: dict[str, Any]) -> list[str]:
    """Prod is never weaker than the profiles below it on protections."""
    if v["environment"] != "prod":
        return []
    p: list[str] = []
    floors: dict[str, tuple[Callable[[Any], bool], str]] = {
        "deletionProtection": (lambda x: x or v["teardown"] == "stack", "true"),
        "dbMultiAz": (lambda x: x, "true"),
        "dbBackupRetentionDays": (lambda x: x >= 7, "at least 7"),
        "cacheReplicasPerShard": (lambda x: x >= 1, "at least 1 (automatic failover needs a replica)"),
        "cacheSnapshotRetentionDays": (lambda x: x >= 1, "at least 1"),
        "asgMin": (lambda x: x >= 2, "at least 2"),
        "hpaMinReplicas": (lambda x: x >= 2, "at least 2"),
        "logRetentionDays": (lambda x: x >= 365, "at least 365 (a year of flow, WAF and cluster logs)"),
        "natGateways": (lambda x: x == "perAz", "'perAz' (no cross-AZ dependency for egress)"),
        "interfaceEndpoints": (lambda x: x, "true (AWS API traffic stays in the VPC)"),
        "azCount": (lambda x: x >= 3, "at least 3"),
        "dbReadReplica": (lambda x: x, "true"),
        "drRegion": (lambda x: x != "", "a second region (prod copies its backups there)"),
    }
    for key, (ok, allowed) in floors.items():
        if not ok(v[key]):
            hint = "; to tear prod down set nox:teardown = 'stack' instead (docs/deploying.md)" if key == "deletionProtection" else ""
            p.append(f"nox:{key} = {_show(v[key])}: must be {allowed} in prod{hint}")
    for key in ("imageBlue", "imageGreen"):
        if v[key] and digest_problem(v[key]):
            p.append(f"nox:{key} = {_show(v[key])}: must be {digest_problem(v[key])}")
    return p


def _cidrs(v: dict[str, Any]) -> list[str]:
    return [
        p for key, public in CIDR_KEYS.items() for p in _cidr_list_problems(key, v[key], prod=v["environment"] == "prod", public=public)
    ]


def _node_pool_capacity(v: dict[str, Any]) -> list[str]:
    """The NodePool's limits must let both colours reach their HPA maximum (schema.node_pool_needs)."""
    if v["platform"] != "eks":
        return []
    cpu, memory = node_pool_needs(v["hpaMaxReplicas"], len(COLOURS), v["karpenterInstanceCategories"])
    limits = (("karpenterCpuLimit", cpu, "vCPU"), ("karpenterMemoryLimitGib", memory, "GiB"))
    return [
        f"nox:{key} = {v[key]}: must be at least {need} {unit} so that {len(COLOURS)} colours x nox:hpaMaxReplicas "
        f"({v['hpaMaxReplicas']}) pods fit on nox:karpenterInstanceCategories {_show(v['karpenterInstanceCategories'])} "
        "(requests x headroom, docs/configuration-rules.md); raise it or lower nox:hpaMaxReplicas"
        for key, need, unit in limits
        if v[key] < need
    ]


def _connection_budget(v: dict[str, Any]) -> list[str]:
    """Every app instance that can run at once, with both colours live during a release, must
    fit its pool into max_connections."""
    key, most = ("asgMax", v["asgMax"]) if v["platform"] == "asg" else ("hpaMaxReplicas", v["hpaMaxReplicas"])
    instances = most * len(COLOURS)
    if pool_size(instances) >= MIN_POOL:
        return []
    return [
        f"nox:{key} = {most}: {instances} app instances ({most} x {len(COLOURS)} colours during a release) "
        f"cannot each get a pool of {MIN_POOL} within max_connections {MAX_CONNECTIONS}; lower nox:{key}"
    ]


# Rules that involve more than one key, in the order their messages are reported. Each is a small
# named function of the parsed values returning its problems; every message names every key involved.
CROSS_FIELD_RULES: tuple[Callable[[dict[str, Any]], list[str]], ...] = (
    _sizes,
    _storage_ceiling,
    _cache_version,
    _certificate_source,
    _release,
    _alert_destinations,
    _eks_access,
    _managed_prometheus,
    _database_memory,
    _prod_floors,
    _cidrs,
    _architecture_problems,
    _connection_budget,
    _node_pool_capacity,
    _restore_source,
    _promotion,
)
# Rules that also need the stack's name and region: (values, stack, region) -> problems.
STACK_RULES: tuple[Callable[[dict[str, Any], str, str], list[str]], ...] = (_restore_region, _restore_confirm, _dr_region)


def _cross_field(v: dict[str, Any], stack: str, region: str) -> list[str]:
    return [problem for rule in CROSS_FIELD_RULES for problem in rule(v)] + [
        problem for stack_rule in STACK_RULES for problem in stack_rule(v, stack, region)
    ]


def _eks_support(v: dict[str, Any]) -> list[str]:
    """The version must be supported on the as-of date under the chosen upgrade policy."""
    version, support, as_of = v["eksVersion"], v["eksSupportType"], v["eksSupportAsOf"]
    standard_end, extended_end = EKS_SUPPORT[version]
    end = standard_end if support == "STANDARD" else extended_end
    if as_of < end:  # ISO dates compare as strings; support ends at the start of the end date (UTC)
        return []
    usable = [ver for ver, dates in EKS_SUPPORT.items() if as_of < dates[0 if support == "STANDARD" else 1]]
    hint = f"use one of {', '.join(usable)}" if usable else "no known version is supported then: update EKS_SUPPORT (settings/schema.py)"
    extra = ", or set nox:eksSupportType = 'EXTENDED' (paid)" if support == "STANDARD" and as_of < extended_end else ""
    return [
        f"nox:eksVersion = {version!r}: {support.lower()} support ended on {end}, before nox:eksSupportAsOf "
        f"({as_of}) with nox:eksSupportType = {support!r}; {hint}{extra}"
    ]


def eks_warnings(v: dict[str, Any]) -> list[str]:
    """Warn when the version leaves standard support within EKS_SUPPORT_WARNING_DAYS of the as-of date."""
    if v["platform"] != "eks":
        return []
    standard_end = EKS_SUPPORT[v["eksVersion"]][0]
    days = (datetime.date.fromisoformat(standard_end) - datetime.date.fromisoformat(v["eksSupportAsOf"])).days
    if not 0 < days <= EKS_SUPPORT_WARNING_DAYS:
        return []
    after = "AWS upgrades the control plane automatically" if v["eksSupportType"] == "STANDARD" else "extended support (paid) begins"
    return [
        f"nox:eksVersion = {v['eksVersion']!r} leaves EKS standard support on {standard_end}, {days} days after "
        f"nox:eksSupportAsOf ({v['eksSupportAsOf']}); then {after}. Upgrade first (docs/deploying.md, EKS upgrades)."
    ]


def _stack_problems(stack: str, region: Any, environment: Any) -> list[str]:
    """The stack name, its region, and prod stacks on the prod profile."""
    p = []
    allowed = stack_name_problem(stack)
    if allowed:
        p.append(f"stack name {_show(stack)}: must be {allowed}")
    if not region:
        p.append("aws:region is required (pulumi config set aws:region <region>)")
    elif region not in aws_regions():
        p.append(
            f"aws:region = {_show(region)}: must be a region the pinned botocore knows (lower case, e.g. us-west-2); "
            "for a new region, update the botocore pin in requirements.txt"
        )
    if is_prod_stack(stack) and environment != "prod":
        p.append(
            f"nox:environment = {_show(environment)}: stack {stack!r} is a prod stack (prod or prod-*) and must use "
            "nox:environment = 'prod'; prod safety cannot be switched off per stack"
        )
    return p


def build(project: str, stack: str, region: str | None, raw: Mapping[str, Any], secret_keys: Iterable[str] = ()) -> StackSettings:
    """Validate raw `nox:` values (keys without the namespace) and build the frozen settings.

    `secret_keys` names the keys the stack stores as secrets. No `nox:` setting is a secret (the
    credentials are generated, never configured), and a secret read as plain config would be
    stored in clear text, so a secret value is refused rather than silently unwrapped.
    """
    v, problems = read_values(raw, secret_keys)
    for name in sorted(secret_keys):
        problems.append(
            f"{NAMESPACE}:{name} is stored as a secret, but no {NAMESPACE}: setting is secret: "
            f"set it without --secret (pulumi config set {NAMESPACE}:{name} <value>)"
        )
    problems += _stack_problems(stack, region, v.get("environment", raw.get("environment")))
    if not problems:
        problems = _cross_field(v, stack, region or "")
    if problems:
        raise ConfigError(problems)

    major = v["dbEngineVersion"].split(".")[0]
    engine_version = v["cacheEngineVersion"] or max(CACHE_ENGINE_FAMILIES[v["cacheEngine"]], key=lambda s: tuple(map(int, s.split("."))))
    most = v["asgMax"] if v["platform"] == "asg" else v["hpaMaxReplicas"]
    m = mapped_fields(v)  # every key with a `field`; below only what is derived from several keys
    return StackSettings(
        **m[""],
        project=project,
        stack=stack,
        region=region or "",
        # `teardown: stack` lifts every protection, so that `pulumi destroy` can complete.
        deletion_protection=v["deletionProtection"] and v["teardown"] != "stack",
        network=NetworkSettings(**m["network"], nat_per_az=v["natGateways"] == "perAz"),
        edge=EdgeSettings(**m["edge"]),
        release=ReleaseSettings(**m["release"], images=(("blue", v["imageBlue"]), ("green", v["imageGreen"]))),
        fleet=FleetSettings(**m["fleet"]),
        database=DatabaseSettings(
            **m["database"],
            family=f"postgres{major}",
            memory_gib=DB_INSTANCE_MEMORY_GIB[v["dbInstanceClass"]],
            max_connections=MAX_CONNECTIONS,
            pool_max=pool_size(most * len(COLOURS)),
        ),
        cache=CacheSettings(**m["cache"], engine_version=engine_version, family=CACHE_ENGINE_FAMILIES[v["cacheEngine"]][engine_version]),
        eks=EksSettings(**m["eks"]),
        alerting=AlertingSettings(**m["alerting"]),
        prometheus=PrometheusSettings(**m["prometheus"]),
        log_search=LogSearchSettings(**m["log_search"]),
        warnings=tuple(eks_warnings(v)),
    )


def mapped_fields(v: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The validated values of the keys that declare a `field`, by settings section ("": top level)."""
    sections: dict[str, dict[str, Any]] = {}
    for key in KEYS:
        if key.field:
            section, _, attribute = key.field.rpartition(".")
            value = v[key.name]
            sections.setdefault(section, {})[attribute] = tuple(value) if key.kind is list else value
    return sections


def load_settings() -> StackSettings:
    """Read the running stack's configuration (real engine or mocks) and validate it."""
    prefix = f"{NAMESPACE}:"
    cfg = pulumi.Config(NAMESPACE)
    keys = [k for k in _config_keys() if k.startswith(prefix)]
    secret = [k[len(prefix) :] for k in keys if runtime_config.is_config_secret(k)]
    # Secret values are not read at all: Config.get would unwrap them (and warn about it).
    raw = {k[len(prefix) :]: cfg.get(k[len(prefix) :]) for k in keys if k[len(prefix) :] not in secret}
    raw.update(dict.fromkeys(secret, ""))
    region = pulumi.Config("aws").get("region")
    settings = build(pulumi.get_project(), pulumi.get_stack(), region, raw, secret)
    for warning in settings.warnings:  # shown by `pulumi preview/up`; the offline plan lists them too
        pulumi.log.warn(warning)
    return settings
