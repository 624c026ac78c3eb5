"""CIDR lists compared as networks, never as strings (shared by the security group and EKS policies)."""

from __future__ import annotations

import ipaddress
from typing import Any

from ..common import UNKNOWN, items

# Public-access allow-lists in prod name networks no wider than these prefixes. A copy of
# `settings.schema.PROD_MIN_PREFIX` (the pack is standalone); a test keeps them equal.
PROD_MIN_PREFIX = {4: 16, 6: 32}


def parse_cidrs(values: Any) -> list[Any] | None:
    """The networks of a CIDR list, compared as networks (`0.0.0.0/00`, `0::/0` are /0 too); None if one does not parse."""
    nets = []
    for value in items(values):
        if value is UNKNOWN or value == UNKNOWN:
            continue  # not known yet: the policies that need it skip the resource
        try:
            nets.append(ipaddress.ip_network(str(value).strip(), strict=False))
        except ValueError:
            return None
    return nets


def covers_everything(values: Any) -> bool:
    """Whether the CIDRs together cover all of IPv4 or IPv6 (e.g. 0.0.0.0/1 + 128.0.0.0/1); unparsable counts as open."""
    nets = parse_cidrs(values)
    if nets is None:
        return True
    for version in (4, 6):
        collapsed = list(ipaddress.collapse_addresses(n for n in nets if n.version == version))
        if any(n.prefixlen == 0 for n in collapsed):
            return True
    return False
