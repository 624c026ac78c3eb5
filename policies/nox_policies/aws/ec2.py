"""EC2: security group rules (whatever resource declares them) and launch templates."""

from __future__ import annotations

import base64
import binascii
import gzip
import re
import shlex
from collections.abc import Iterator
from typing import Any

from ..common import REDACTED, UNKNOWN, Res, as_int, as_list, blank, credentials_in, get, is_true, items, resource_policy
from ..kubernetes import APP_ENV_MARKERS, image_problem
from .cidrs import covers_everything
from .tokens import (
    DEFAULT_SG,
    LAUNCH_TEMPLATE,
    SG_EGRESS_RULE_TYPE,
    SG_INGRESS_RULE_TYPE,
    SG_RULE_TYPE,
    SG_RULE_TYPES,
    SG_TYPES,
    SUBNET,
)

ADMIN_PORTS = {22: "SSH", 3389: "RDP"}


class Rule:
    """One security group rule, whatever resource declares it."""

    def __init__(self, res: Res, direction: str, spec: dict[str, Any], where: str):
        self.res, self.direction, self.where = res, direction, where
        if res.type == SG_INGRESS_RULE_TYPE or res.type == SG_EGRESS_RULE_TYPE:
            self.protocol = spec.get("ipProtocol")
            self.cidrs = [c for c in (spec.get("cidrIpv4"), spec.get("cidrIpv6")) if c]
            self.group_sources = [s for s in (spec.get("referencedSecurityGroupId"), spec.get("prefixListId")) if s]
        else:
            self.protocol = spec.get("protocol")
            self.cidrs = items(spec.get("cidrBlocks")) + items(spec.get("ipv6CidrBlocks"))
            self.group_sources = (
                items(spec.get("securityGroups"))
                + items(spec.get("prefixListIds"))
                + as_list(spec.get("sourceSecurityGroupId"))
                + (["self"] if is_true(spec.get("self")) else [])
            )
        self.unknown = (
            any(
                v is UNKNOWN
                for v in (self.protocol, spec.get("fromPort"), spec.get("toPort"), spec.get("cidrBlocks"), spec.get("ipv6CidrBlocks"))
            )
            or UNKNOWN in self.cidrs
        )
        self.description = spec.get("description")
        self.all_traffic = str(self.protocol).lower() in ("-1", "all")
        low, high = as_int(spec.get("fromPort")), as_int(spec.get("toPort"))
        if self.all_traffic:
            self.ports = (0, 65535)
        else:
            self.ports = (0 if low is None else low, 65535 if high is None else high)

    @property
    def is_open_to_world(self) -> bool:
        return covers_everything(self.cidrs)

    @property
    def spans_all_ports(self) -> bool:
        return self.all_traffic or self.ports == (0, 65535)

    def covers(self, port: int) -> bool:
        proto = str(self.protocol).lower()
        return (self.all_traffic or proto in ("tcp", "6", "udp", "17")) and self.ports[0] <= port <= self.ports[1]

    def describe(self) -> str:
        proto = "all traffic" if self.all_traffic else f"{self.protocol} {self.ports[0]}-{self.ports[1]}"
        sources = ", ".join(str(s) for s in self.cidrs + self.group_sources) or "nowhere"
        return f"{self.where} ({proto} from {sources})"


def rules_of(r: Res) -> list[Rule]:
    """Every rule `r` declares: inline ingress/egress of a group, or the rule resource itself."""
    if r.type in SG_TYPES:
        found = []
        for direction in ("ingress", "egress"):
            for i, spec in enumerate(items(r.get(direction))):
                if isinstance(spec, dict):
                    found.append(Rule(r, direction, spec, f"{r.label} {direction}[{i}]"))
        return found
    if r.type == SG_RULE_TYPE:
        return [Rule(r, str(r.get("type")), r.props, r.label)]
    if r.type in (SG_INGRESS_RULE_TYPE, SG_EGRESS_RULE_TYPE):
        return [Rule(r, "ingress" if r.type == SG_INGRESS_RULE_TYPE else "egress", r.props, r.label)]
    return []


def check_no_admin_ports(r: Res) -> Iterator[str]:
    for rule in rules_of(r):
        if rule.direction != "ingress" or rule.unknown:
            continue
        # A rule from security groups only that spans every port is intra-group trust (e.g. nodes
        # of one cluster), not administrative access; any CIDR, or a range aimed at 22/3389, is.
        if not rule.cidrs and rule.spans_all_ports:
            continue
        opened = [f"{port} ({service})" for port, service in ADMIN_PORTS.items() if rule.covers(port)]
        if opened:
            yield (
                f"{rule.describe()} opens port {' and '.join(opened)}: remove the rule and use SSM Session "
                "Manager (or EKS access entries) for administrative access."
            )


def check_rules_described(r: Res) -> Iterator[str]:
    for rule in rules_of(r):
        if rule.description is not UNKNOWN and blank(rule.description):
            yield f"{rule.describe()} has no description: say what the rule is for (description='...')."


def check_imdsv2(r: Res) -> Iterator[str]:
    tokens = r.get("metadataOptions", "httpTokens")
    if r.get("metadataOptions", "httpEndpoint") == "disabled" or tokens is UNKNOWN:
        return
    if tokens != "required":
        yield (
            f"Launch template '{r.name}' allows IMDSv1 (http_tokens={tokens or 'optional'}): set metadata_options.http_tokens='required'."
        )


def check_imds_hop_limit(r: Res) -> Iterator[str]:
    limit = r.get("metadataOptions", "httpPutResponseHopLimit")
    if r.get("metadataOptions", "httpEndpoint") == "disabled" or limit is UNKNOWN:
        return
    if as_int(limit) != 1:
        yield (
            f"Launch template '{r.name}' has IMDS hop limit {as_int(limit) or 'unset (AWS default)'}: set "
            "metadata_options.http_put_response_hop_limit=1 so containers cannot reach the instance role's credentials."
        )


def check_ebs_encrypted(r: Res) -> Iterator[str]:
    mappings = r.get("blockDeviceMappings")
    if mappings is UNKNOWN or any(m is UNKNOWN or get(m, "ebs") is UNKNOWN for m in items(mappings)):
        return
    volumes = [m for m in items(mappings) if isinstance(m, dict) and isinstance(get(m, "ebs"), dict)]
    if not volumes:
        yield (
            f"Launch template '{r.name}' declares no EBS volume, so the root volume's encryption depends on the "
            "AMI and account defaults: add a block_device_mapping for the root device with ebs.encrypted='true'."
        )
    for m in volumes:
        encrypted = get(m, "ebs", "encrypted")
        if encrypted is not UNKNOWN and not is_true(encrypted):
            yield (
                f"Launch template '{r.name}' volume {get(m, 'deviceName') or '?'} is not encrypted: set "
                "ebs.encrypted='true' (with kms_key_id)."
            )


def check_no_public_ip(r: Res) -> Iterator[str]:
    for i, nic in enumerate(items(r.get("networkInterfaces"))):
        if is_true(get(nic, "associatePublicIpAddress")):
            yield (
                f"Launch template '{r.name}' network_interfaces[{i}] gives instances a public IP: set "
                "associate_public_ip_address='false'; instances live in private subnets behind the ALB."
            )


def decode_user_data(value: str) -> str:
    """Launch template user data is base64 (possibly gzip inside); fall back to the raw text."""
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return value
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except OSError:
            return value
    return raw.decode("utf-8", errors="replace")


def check_user_data_secrets(r: Res) -> Iterator[str]:
    data = r.get("userData")
    if data is UNKNOWN or blank(data) or not isinstance(data, str):
        return
    if data == REDACTED:
        yield (
            f"Launch template '{r.name}' user data is derived from a Pulumi secret, so a secret is written "
            "into it: fetch secrets at boot (Secrets Manager) and pass only their ARN."
        )
        return
    found = credentials_in(decode_user_data(data))
    if found:
        yield (
            f"Launch template '{r.name}' user data contains {', '.join(found)} (user data is readable by anyone who "
            "can describe the instance): fetch secrets at boot from Secrets Manager instead."
        )


def check_no_key_pair(r: Res) -> Iterator[str]:
    key = r.get("keyName")
    if key is not UNKNOWN and not blank(key):
        yield (
            f"Launch template '{r.name}' installs SSH key pair {key!r}: remove key_name; administrative access is "
            "SSM Session Manager (no SSH port, no long-lived key)."
        )


# --- containers started by user data: the pod rules, for `docker run` -----------------------------------

# `docker run` options that take no value (the rest take one: `--name x`, `-e K=V`).
_DOCKER_FLAGS = {
    "-d", "--detach", "--init", "--read-only", "--rm", "--privileged", "-i", "-t", "-it", "-ti",
    "--interactive", "--tty", "-P", "--publish-all", "--no-healthcheck", "--oom-kill-disable",
}  # fmt: skip
_ROOT_USERS = {"0", "root"}


class DockerRun:
    """One `docker run` of a user-data script: its options, environment and image."""

    def __init__(self, tokens: list[str], variables: dict[str, str]):
        self.options: dict[str, list[str]] = {}
        self.image: str | None = None
        i = 0
        while i < len(tokens):
            token = tokens[i]
            if not token.startswith("-"):
                self.image = self._expand(token, variables)
                break
            name, eq, value = token.partition("=")
            if eq or token in _DOCKER_FLAGS:
                self.options.setdefault(name, []).append(value if eq else "true")
            else:
                self.options.setdefault(token, []).append(tokens[i + 1] if i + 1 < len(tokens) else "")
                i += 1
            i += 1
        self.env = dict(e.partition("=")[::2] for e in self.options.get("-e", []) + self.options.get("--env", []))
        users = self.options.get("--user") or self.options.get("-u") or []
        self.user: str | None = users[-1] if users else None

    @staticmethod
    def _expand(token: str, variables: dict[str, str]) -> str | None:
        match = re.fullmatch(r"\$\{?(\w+)\}?", token)
        if not match:
            return None if "$" in token else token
        return variables.get(match.group(1))

    @property
    def is_app(self) -> bool:
        return any(marker in self.env for marker in APP_ENV_MARKERS)

    def flag(self, name: str) -> bool:
        return any(v.lower() != "false" for v in self.options.get(name, []))


def docker_runs(script: str) -> list[DockerRun]:
    """Every `docker run` in a shell script (continuation lines joined, `NAME=value` variables expanded)."""
    text = script.replace("\\\n", " ")
    variables: dict[str, str] = {}
    runs = []
    for line in text.splitlines():
        assignment = re.fullmatch(r"\s*(?:export\s+)?(\w+)=(\S+)\s*", line)
        if assignment:
            variables[assignment.group(1)] = assignment.group(2).strip("\"'")
        try:
            tokens = shlex.split(line, comments=True)
        except ValueError:
            continue
        for i in range(len(tokens) - 1):
            if tokens[i] == "docker" and tokens[i + 1] == "run":
                runs.append(DockerRun(tokens[i + 2 :], variables))
                break
    return runs


def container_problems(run: DockerRun) -> list[str]:
    problems = []
    if run.flag("--privileged"):
        problems.append("runs --privileged")
    if not run.flag("--read-only"):
        problems.append("has a writable root filesystem (add --read-only and --tmpfs /tmp)")
    if run.user is not None and run.user.split(":")[0] in _ROOT_USERS:
        problems.append(f"runs as root (--user {run.user})")
    if run.image is not None:
        problem = image_problem(run.image)
        if problem:
            problems.append(f"image {run.image} {problem}")
    if run.is_app:
        if run.user is None:
            problems.append("sets no --user (the image's default may be root): use --user 10001:10001")
        if not run.flag("--init"):
            problems.append("has no --init (the seed's dumb-init: signals and zombie reaping)")
        if run.env.get("NODE_ENV") != "production":
            problems.append(f"sets NODE_ENV={run.env.get('NODE_ENV') or '(unset)'}, not production")
    return problems


def check_user_data_containers(r: Res) -> Iterator[str]:
    data = r.get("userData")
    if data is UNKNOWN or not isinstance(data, str) or blank(data) or data == REDACTED:
        return
    for run in docker_runs(decode_user_data(data)):
        problems = container_problems(run)
        if problems:
            what = "the app container" if run.is_app else f"container {run.image or '(image unknown)'}"
            yield (
                f"Launch template '{r.name}' user data starts {what} that {'; '.join(problems)}: the rules the pack "
                "applies to pods apply to containers on instances too."
            )


def check_subnet_no_public_ip(r: Res) -> Iterator[str]:
    """FSBP EC2.15: no subnet hands out public IPs (the ALB and NAT gateways get theirs explicitly)."""
    if is_true(r.get("mapPublicIpOnLaunch")) or is_true(r.get("assignIpv6AddressOnCreation")):
        yield (
            f"Subnet '{r.name}' gives every instance launched in it a public address: set map_public_ip_on_launch=False "
            "(and assign_ipv6_address_on_creation=False); instances live in private subnets."
        )


def check_default_sg_closed(r: Res) -> Iterator[str]:
    """FSBP EC2.2 / CIS 5.4: the VPC's default security group allows nothing."""
    for direction in ("ingress", "egress"):
        rules = r.get(direction)
        if rules is not UNKNOWN and items(rules):
            yield (
                f"Default security group '{r.name}' has {direction} rules: leave ingress and egress empty so the "
                "default group (used by anything launched without a group) allows no traffic."
            )


def check_no_unrestricted_egress(r: Res) -> Iterator[str]:
    """The design has no all-ports egress to the internet: each group names the ports it calls out on."""
    for rule in rules_of(r):
        if rule.direction == "egress" and not rule.unknown and rule.spans_all_ports and rule.is_open_to_world:
            yield (
                f"{rule.describe()} allows every port to the whole internet: egress names its ports (e.g. 443 to AWS "
                "APIs, 5432/6379 to the data tier)."
            )


POLICIES = [
    resource_policy(
        "aws-security-group-disallow-admin-ports",
        "No security group rule opens SSH (22) or RDP (3389).",
        SG_RULE_TYPES,
        check_no_admin_ports,
    ),
    resource_policy(
        "aws-security-group-rules-described", "Every security group rule has a description.", SG_RULE_TYPES, check_rules_described
    ),
    resource_policy(
        "aws-launch-template-imdsv2-required", "Launch templates require IMDSv2 (session tokens).", [LAUNCH_TEMPLATE], check_imdsv2
    ),
    resource_policy(
        "aws-launch-template-imds-hop-limit", "Launch templates set the IMDS hop limit to 1.", [LAUNCH_TEMPLATE], check_imds_hop_limit
    ),
    resource_policy(
        "aws-launch-template-ebs-encrypted", "Launch template EBS volumes are encrypted.", [LAUNCH_TEMPLATE], check_ebs_encrypted
    ),
    resource_policy(
        "aws-launch-template-disallow-public-ip",
        "Launch templates do not give instances public IP addresses.",
        [LAUNCH_TEMPLATE],
        check_no_public_ip,
    ),
    resource_policy(
        "aws-launch-template-no-secrets-in-user-data",
        "Launch template user data contains no credentials.",
        [LAUNCH_TEMPLATE],
        check_user_data_secrets,
    ),
    resource_policy(
        "aws-launch-template-no-key-pair",
        "Launch templates install no SSH key pair.",
        [LAUNCH_TEMPLATE],
        check_no_key_pair,
    ),
    resource_policy(
        "aws-launch-template-container-hardening",
        "Containers started by user data are non-root, read-only, unprivileged and pinned; the app's also --init, NODE_ENV=production.",
        [LAUNCH_TEMPLATE],
        check_user_data_containers,
    ),
    resource_policy(
        "aws-subnet-no-public-ip-on-launch",
        "FSBP EC2.15: subnets do not assign public IP addresses on launch.",
        [SUBNET],
        check_subnet_no_public_ip,
    ),
    resource_policy(
        "aws-default-security-group-closed",
        "FSBP EC2.2: the VPC default security group has no ingress or egress rules.",
        [DEFAULT_SG],
        check_default_sg_closed,
    ),
    resource_policy(
        "aws-security-group-no-unrestricted-egress",
        "No security group rule allows every port to 0.0.0.0/0 or ::/0.",
        SG_RULE_TYPES,
        check_no_unrestricted_egress,
    ),
]
