"""EC2: security group rules (whatever resource declares them) and launch templates."""

from __future__ import annotations

import base64
import binascii
import gzip
from collections.abc import Iterator
from typing import Any

from ..common import REDACTED, UNKNOWN, Res, as_int, as_list, blank, credentials_in, get, is_true, items, resource_policy
from .cidrs import covers_everything
from .tokens import LAUNCH_TEMPLATE, SG_EGRESS_RULE_TYPE, SG_INGRESS_RULE_TYPE, SG_RULE_TYPE, SG_RULE_TYPES, SG_TYPES

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
]
