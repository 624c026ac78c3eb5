"""Read-only views of a plan document shared by the cost and time estimates."""

from __future__ import annotations

import functools
from typing import Any

STACK_COMPONENT = "(stack)"  # resources registered at the top level: providers


class PlanView:
    """Lookups over a plan document (`--format json`): by URN, children, top-level component."""

    def __init__(self, doc: dict[str, Any]):
        self.doc = doc
        self.resources: list[dict[str, Any]] = doc["resources"]
        self.by_urn = {r["urn"]: r for r in self.resources}
        self.children: dict[str, list[dict[str, Any]]] = {}
        for res in self.resources:
            if res["parent"] in self.by_urn:
                self.children.setdefault(res["parent"], []).append(res)

    def of_type(self, token: str) -> list[dict[str, Any]]:
        return [r for r in self.resources if r["type"] == token]

    def deps_of_type(self, res: dict[str, Any], token: str) -> list[dict[str, Any]]:
        return [self.by_urn[d] for d in res["dependencies"] if d in self.by_urn and self.by_urn[d]["type"] == token]

    @functools.cached_property
    def _components(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for res in self.resources:
            name = STACK_COMPONENT
            cur: dict[str, Any] | None = res
            while cur is not None:
                if not cur["custom"]:
                    name = cur["name"]  # the outermost component wins
                cur = self.by_urn.get(cur["parent"] or "")
            out[res["urn"]] = name
        return out

    def component(self, urn: str) -> str:
        """Name of the top-level component a resource belongs to (itself for a top-level component)."""
        return self._components[urn]

    @property
    def region(self) -> str | None:
        """The region of the first explicit AWS provider (the program creates exactly one)."""
        for res in self.resources:
            if res["type"] == "pulumi:providers:aws" and res["inputs"].get("region"):
                return str(res["inputs"]["region"])
        return None

    @functools.cached_property
    def az_count(self) -> int:
        """Availability zones the subnets span (an ALB made by the Ingress controller spans the public ones)."""
        zones = {r["inputs"].get("availabilityZone") for r in self.of_type("aws:ec2/subnet:Subnet")}
        return len(zones - {None}) or 1
