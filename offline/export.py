"""`python -m offline export PLAN.json --format terraform-plan`: a saved plan as a Terraform plan JSON.

checkov and trivy cannot read a Pulumi program, but they scan `terraform show -json` output. The
bridged AWS provider *is* the Terraform provider, so every `aws:` resource maps to the Terraform
type it wraps with the same arguments: the type from the token (`aws:s3/bucket:Bucket` ->
`aws_s3_bucket`, `aws:ec2/vpc:Vpc` -> `aws_vpc`, plus TYPE_OVERRIDES where the names differ),
camelCase inputs -> snake_case arguments, and a nested object -> a one-element list (Terraform's
nested block, which is how the plan JSON and the scanners see blocks; MAP_ARGUMENTS stay maps).

References: the mocks give every resource a deterministic ID and ARN, so an input that carries
one of its dependencies' ID, ARN or name becomes a `references` expression in `configuration`
(`["aws_vpc.network_vpc.id", "aws_vpc.network_vpc"]`), which is what checkov's graph checks follow.
Providers, components and `kubernetes:` resources (no Terraform type) are left out.
Format: https://developer.hashicorp.com/terraform/internals/json-format
"""

from __future__ import annotations

import json
import re
from typing import Any

import pulumi

TERRAFORM_VERSION = "1.9.8"  # any 1.x: the scanners read format_version 1.x
FORMAT_VERSION = "1.2"
PROVIDERS = {"aws": "registry.terraform.io/hashicorp/aws", "random": "registry.terraform.io/hashicorp/random"}
# Where the Terraform type is not aws_<module>_<member> (or aws_<member> for ec2).
TYPE_OVERRIDES = {
    "aws:rds/instance:Instance": "aws_db_instance",
    "aws:rds/subnetGroup:SubnetGroup": "aws_db_subnet_group",
    "aws:rds/parameterGroup:ParameterGroup": "aws_db_parameter_group",
    "aws:lb/loadBalancer:LoadBalancer": "aws_lb",
    "aws:ec2/flowLog:FlowLog": "aws_flow_log",
}
MAP_ARGUMENTS = {"tags", "tagsAll", "variables", "labels", "environment"}  # map(string) arguments, not blocks
# Terraform block lists whose names are plural already (Pulumi pluralizes the singular ones:
# `default_action` -> `defaultActions`, `rule` -> `rules`, `tag` -> `tags` on an ASG).
PLURAL_BLOCKS = {"block_device_mappings", "network_interfaces", "tag_specifications", "redacted_fields", "license_specifications"}
REFERENCE_ATTRIBUTES = ("id", "arn", "name", "bucket", "identifier", "replicationGroupId")


def snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def terraform_type(token: str) -> str | None:
    """The Terraform resource type a Pulumi token wraps, or None (components, providers, kubernetes)."""
    if token in TYPE_OVERRIDES:
        return TYPE_OVERRIDES[token]
    parts = re.fullmatch(r"(aws|random):([\w]+)(?:/\w+)?:(\w+)", token)
    if not parts or token.startswith("pulumi:"):
        return None
    package, module, member = parts.groups()
    if package == "random":  # random:index/randomPassword:RandomPassword -> random_password
        return "random_" + snake(member).removeprefix("random_")
    if module == "ec2":
        return f"aws_{snake(member)}"
    return f"aws_{module}_{snake(member)}"


def values(inputs: dict[str, Any]) -> dict[str, Any]:
    """Pulumi inputs -> Terraform arguments: snake_case keys, nested objects as one-element block lists."""
    return {argument(k, v): _value(k, v) for k, v in inputs.items() if k != "__defaults"}


def argument(key: str, value: Any) -> str:
    """Terraform's name of a Pulumi input: snake_case, and a block list back to its singular block name."""
    name = snake(key)
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value) and name not in PLURAL_BLOCKS:
        if name.endswith("ies"):
            return name[:-3] + "y"
        if name.endswith("ses"):
            return name[:-2]
        if name.endswith("s") and not name.endswith("ss"):
            return name[:-1]
    return name


def _value(key: str, value: Any) -> Any:
    if isinstance(value, dict):
        return dict(value) if key in MAP_ARGUMENTS else [values(value)]
    if isinstance(value, list):
        return [values(v) if isinstance(v, dict) else v for v in value]
    return value


class _Exporter:
    def __init__(self, doc: dict[str, Any]):
        from .mocks import NoxMocks

        region = next((r["inputs"].get("region") for r in doc["resources"] if r["type"] == "pulumi:providers:aws"), "us-east-1")
        self.mocks = NoxMocks(region)
        self.resources = [r for r in doc["resources"] if r["custom"] and terraform_type(r["type"])]
        self.address: dict[str, str] = {}
        used: set[str] = set()
        for res in self.resources:
            base = f"{terraform_type(res['type'])}.{re.sub(r'[^A-Za-z0-9_]', '_', res['name'])}"
            address, n = base, 1
            while address in used:
                n += 1
                address = f"{base}_{n}"
            used.add(address)
            self.address[res["urn"]] = address
        self.known = self._known_values()

    def _known_values(self) -> dict[str, dict[str, str]]:
        """Per URN: value -> attribute, for the ID, ARN and names the mocks give the resource."""
        out: dict[str, dict[str, str]] = {}
        for res in self.resources:
            args = pulumi.runtime.MockResourceArgs(res["type"], res["name"], dict(res["inputs"]), res["provider"], "", True)
            id_, state = self.mocks.new_resource(args)
            found = {"id": id_, **{a: state.get(a) for a in REFERENCE_ATTRIBUTES if a != "id"}}
            out[res["urn"]] = {v: snake(a) for a, v in found.items() if isinstance(v, str) and len(v) >= 6}
        return out

    def references(self, res: dict[str, Any]) -> dict[str, list[str]]:
        """Terraform argument -> references, for arguments whose value is only IDs/ARNs/names of dependencies.

        In a real create plan those values are unknown (`after_unknown`) and only the references
        say where they come from: that is what the scanners' graph checks follow, so they are
        exported the same way. Values that merely contain an ARN (a policy document) stay values.
        """
        out: dict[str, list[str]] = {}
        for key, value in res["inputs"].items():
            leaves = value if isinstance(value, list) else [value]
            if not leaves or not all(isinstance(leaf, str) for leaf in leaves):
                continue
            refs: list[str] = []
            for leaf in leaves:
                match = next(
                    ((dep, attr) for dep in res["dependencies"] for known, attr in self.known.get(dep, {}).items() if leaf == known), None
                )
                if match is None:
                    break
                refs += [f"{self.address[match[0]]}.{match[1]}", self.address[match[0]]]
            else:
                out[argument(key, value)] = refs
        return out

    def resource(self, res: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        address = self.address[res["urn"]]
        tf_type, name = address.split(".", 1)
        package = tf_type.split("_", 1)[0]
        common = {"address": address, "mode": "managed", "type": tf_type, "name": name}
        refs = self.references(res)
        everything = values(res["inputs"])
        vals = {k: v for k, v in everything.items() if k not in refs}
        unknown = dict.fromkeys(refs, True)
        planned = {**common, "provider_name": PROVIDERS[package], "schema_version": 0, "values": vals, "sensitive_values": {}}
        change = {
            **common,
            "provider_name": PROVIDERS[package],
            "change": {
                "actions": ["create"],
                "before": None,
                "after": vals,
                "after_unknown": unknown,
                "before_sensitive": False,
                "after_sensitive": {},
            },
        }
        expressions = {k: ({"references": refs[k]} if k in refs else {"constant_value": v}) for k, v in everything.items()}
        config = {**common, "provider_config_key": package, "expressions": expressions, "schema_version": 0}
        return planned, change, config


def terraform_plan(doc: dict[str, Any]) -> dict[str, Any]:
    """The Terraform plan JSON of a plan document (every resource a create, as the offline plan sees it)."""
    exporter = _Exporter(doc)
    planned, changes, config = zip(*(exporter.resource(r) for r in exporter.resources), strict=True) if exporter.resources else ((), (), ())
    return {
        "format_version": FORMAT_VERSION,
        "terraform_version": TERRAFORM_VERSION,
        "planned_values": {"root_module": {"resources": list(planned)}},
        "resource_changes": list(changes),
        "configuration": {
            "provider_config": {p: {"name": p, "full_name": full} for p, full in PROVIDERS.items()},
            "root_module": {"resources": list(config)},
        },
    }


def add_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "export",
        help="export a saved plan for scanners (Terraform plan JSON, checkov's terraform_plan framework)",
        description="Write a saved `plan --format json` document as a Terraform plan JSON. Exit 0 written, 2 unreadable plan or bad flag.",
    )
    parser.add_argument("plan_file", metavar="PLAN.json")
    parser.add_argument("--format", choices=("terraform-plan",), default="terraform-plan")
    parser.add_argument("--output", metavar="FILE", help="write to FILE instead of stdout")
    parser.set_defaults(func=run)


def run(args: Any) -> int:
    from . import cli, diff

    try:
        doc, _ = diff.load(args.plan_file)  # accepts plans with or without a `preflight` section
    except diff.PlanFileError as err:
        cli._err(f"error: {err}")
        return cli.EXIT_CONFIG
    cli._write(json.dumps(terraform_plan(doc), indent=1) + "\n", args.output)
    return cli.EXIT_OK
