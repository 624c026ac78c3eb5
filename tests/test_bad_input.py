"""Bad-input corpus (issue 11): every key x wrong type, out of range, empty, huge, unicode, newline; the
cross-field rules; broken stack files and saved plans. In-process against the loader (fast), a handful
through the CLIs end to end.

Each case must be refused as a config error (exit 2 on the CLI) whose message names the key, echoes
the value in at most ~80 characters and says what is allowed; no traceback, nothing registered.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from offline import cli
from offline.config import StackConfigError, read_stack_config
from settings import ConfigError, build
from settings.schema import EKS_NODE_AMI_ARCH, FLEET_AMI_ARCH, KEYS, KEYS_BY_NAME, cidr_problem

ROOT = Path(__file__).resolve().parent.parent
HUGE = "x" * 5000
DIGEST = "123456789012.dkr.ecr.us-west-2.amazonaws.com/nox-api@sha256:" + "ab" * 32

# A value each string key accepts, to append a newline or a space to.
GOOD = {
    "environment": "dev",
    "platform": "asg",
    "owner": "platform-team",
    "costCenter": "nox-api",
    "vpcCidr": "10.0.0.0/16",
    "natGateways": "single",
    "domain": "api.example.com",
    "hostedZoneId": "Z0123456789ABC",
    "certificateArn": "arn:aws:acm:us-west-2:123456789012:certificate/12345678-1234-1234-1234-123456789012",
    "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
    "corsAllowOrigin": "https://app.example.com",
    "releaseStrategy": "bluegreen",
    "releaseActive": "blue",
    "imageBlue": "registry.example.com/nox-api:v8.0.0",
    "imageGreen": "registry.example.com/nox-api:v8.0.0",
    "instanceType": "m6i.large",
    "dbEngineVersion": "16.10",
    "dbInstanceClass": "db.r7g.large",
    "backupCopyVaultArn": "arn:aws:backup:us-east-1:123456789012:backup-vault:nox-copy",
    "cacheEngine": "redis",
    "cacheEngineVersion": "7.1",
    "cacheNodeType": "cache.r7g.large",
    "eksVersion": "1.35",
    "eksAdminRoleArn": "arn:aws:iam::123456789012:role/nox-platform-admin",
    "eksSupportType": "STANDARD",
    "eksSupportAsOf": "2026-12-02",
    "deployerSecurityGroupId": "sg-0123456789abcdef0",
    "teardown": "none",
    "slackWorkspaceId": "T07EA123LEP",
    "slackChannelId": "C07EZ1ABC23",
    "alertHttpsEndpoint": "https://events.example.com/nox",
    "runbookBaseUrl": "https://git.example.com/nox-infra/blob/main/docs/runbooks",
    "prometheusRetention": "15d",
    "migrationCommand": "npm run migrate",
    "migrationImage": "registry.example.com/nox-api:v8.0.0",
    "karpenterArchitecture": "amd64",
    "drRegion": "us-east-1",
    "dbRestoreSnapshot": "rds:nox-prod-db-2026-12-01-03-05",
    "dbRestoreSourceInstance": "nox-prod-db",
    "dbRestoreTime": "latest",
    "dbRestoreKmsKeyArn": "arn:aws:kms:us-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    "cacheRestoreSnapshot": "nox-prod-cache-1",
    "restoreConfirm": "dev",
}
# String keys whose empty value is a choice even though their default is not empty.
EMPTY_MEANS_NONE = {"migrationCommand"}
GOOD_LIST = {
    "wafGeoBlockCountries": "KP",
    "eksPublicAccessCidrs": "81.2.69.0/24",
    "deployerCidrs": "10.20.0.0/24",
    "eksNodeInstanceTypes": "m6i.large",
    "alertEmails": "oncall@example.com",
    "karpenterCapacityTypes": "spot",
    "karpenterInstanceCategories": "m",
}


def dev_raw() -> dict[str, str]:
    cfg = read_stack_config(ROOT, "dev")
    return {k.split(":", 1)[1]: v for k, v in cfg.values.items() if k.startswith("nox:")}


BASE = dev_raw()


def _cases() -> list[tuple[str, object]]:
    cases: list[tuple[str, object]] = []
    for key in KEYS:
        n = key.name
        if key.kind is str:
            good = GOOD[n]
            bad = [good + "\n", good + " ", " " + good, good + "\x00", HUGE, "☃", "\u200b" + good, 42, ["a"], None]
            if (key.default_for("dev") != "" or key.required) and n not in EMPTY_MEANS_NONE:  # the cases run on dev
                bad.append("")
            cases += [(n, v) for v in bad]
        elif key.kind is int:
            cases += [(n, v) for v in ("abc", "", "1.5", "٣٦٠٠", "1_000", "+600", " 60", "60\n", "1e3", "9" * 5000, "-1", "99999999", True)]
        elif key.kind is bool:
            cases += [(n, v) for v in ("yes", "1", "", "true\n", "tru", "☃", HUGE, 1)]
        else:
            good = GOOD_LIST[n]
            bad = ["not json", "{}", json.dumps(good), "[1]", "[null]", json.dumps([HUGE]), "[[]]", json.dumps([good + "\n"]), "[" * 5000]
            bad += [json.dumps([good, "☃"]), json.dumps([" " + good]), ""]
            cases += [(n, v) for v in bad]
    cases += [("eksNodeInstanceTypes", "[]")]
    return cases


CASES = _cases()


def refused(raw: dict[str, object], stack: str = "dev", region: str | None = "us-west-2") -> str:
    with pytest.raises(ConfigError) as err:
        build("nox-infra", stack, region, raw)
    return str(err.value)


def assert_clear(message: str, *names: str) -> None:
    assert "Traceback" not in message
    for name in names:
        assert name in message, (name, message)
    for line in message.splitlines()[1:]:
        assert len(line) < 700, line  # values are echoed short
        assert "must" in line or "required" in line or "not a known setting" in line, line
    assert HUGE[:100] not in message


@pytest.mark.parametrize(("key", "value"), CASES, ids=[f"{k}-{i}" for i, (k, _) in enumerate(CASES)])
def test_every_key_refuses_bad_values(key, value):
    message = refused({**BASE, key: value})
    assert_clear(message, f"nox:{key}")


def test_corpus_is_large_and_covers_every_key():
    assert len(CASES) > 300
    assert {k for k, _ in CASES} == set(KEYS_BY_NAME)


# --- values the issue found accepted ---------------------------------------------------------------------

ACCEPTED_BEFORE = [
    ("vpcCidr", "127.0.0.0/16"),
    ("vpcCidr", "169.254.0.0/16"),
    ("vpcCidr", "198.18.0.0/16"),
    ("vpcCidr", "240.0.0.0/16"),
    ("vpcCidr", "0.0.0.0/16"),
    ("wafGeoBlockCountries", '["XX"]'),
    ("wafGeoBlockCountries", '["UK"]'),
    ("wafGeoBlockCountries", '["ZZ"]'),
    ("dbEngineVersion", "17.99"),
    ("dbEngineVersion", "15.999999"),
    ("instanceType", "foo.bar"),
    ("instanceType", "t3.nonexistent"),
    ("instanceType", "mac2.metal"),
    ("eksNodeInstanceTypes", '["t3.nonexistent"]'),
    ("cacheNodeType", "cache.foo.bar"),
    ("corsAllowOrigin", "https://app.example.com:0"),
    ("corsAllowOrigin", "https://app.example.com:99999"),
    ("imageBlue", "registry.example.com:0/nox-api:v1"),
    ("imageBlue", "registry.example.com:99999/nox-api:v1"),
    ("hostedZoneId", "Z1"),
    ("albIdleTimeout", "٣٦٠٠"),
    ("albIdleTimeout", "1_000"),
    ("albIdleTimeout", "+600"),
    ("eksNodeInstanceTypes", "[]"),
    ("domain", "api.example.com\n"),
    ("owner", "team\n"),
    ("eksPublicAccessCidrs", '["0::/0"]'),
    ("eksPublicAccessCidrs", '["::0/0"]'),
    ("eksPublicAccessCidrs", '["0.0.0.0/00"]'),
    ("eksPublicAccessCidrs", '["10.0.0.0/8"]'),
]


@pytest.mark.parametrize(("key", "value"), ACCEPTED_BEFORE)
def test_values_accepted_before_are_refused(key, value):
    assert_clear(refused({**BASE, key: value}), f"nox:{key}")


def test_country_message_never_suggests_a_code_that_is_not_one():
    message = refused({**BASE, "wafGeoBlockCountries": '["XX"]'})
    assert "XX" not in message.replace("'XX'", "").replace('["XX"]', "")


def test_instance_type_message_points_at_the_botocore_pin():
    assert "update the botocore pin" in refused({**BASE, "instanceType": "zz9.large"})


# --- cross-field and environment rules -----------------------------------------------------------------------


def prod_raw(**extra: str) -> dict[str, str]:
    cfg = read_stack_config(ROOT, "prod")
    raw = {k.split(":", 1)[1]: v for k, v in cfg.values.items() if k.startswith("nox:")}
    return {**raw, **extra}


PROD_CASES = [
    ({"eksPublicAccessCidrs": '["0.0.0.0/1", "128.0.0.0/1"]'}, "nox:eksPublicAccessCidrs"),
    ({"eksPublicAccessCidrs": '["81.0.0.0/8"]'}, "no wider than /16"),
    ({"eksPublicAccessCidrs": '["2a02::/16"]'}, "no wider than /16 (IPv4) or /32 (IPv6)"),
    ({"eksPublicAccessCidrs": '["100.64.0.0/16"]'}, "a public range"),
    ({"logRetentionDays": "90"}, "nox:logRetentionDays = 90: must be at least 365"),
    ({"natGateways": "single"}, "nox:natGateways = 'single': must be 'perAz'"),
    ({"interfaceEndpoints": "false"}, "nox:interfaceEndpoints = false: must be true"),
    ({"azCount": "2"}, "nox:azCount = 2: must be at least 3"),
    ({"dbReadReplica": "false"}, "nox:dbReadReplica = false: must be true"),
    ({"imageBlue": "registry.example.com/nox-api:v8.0.0"}, "repo@sha256:<64 hex>"),
    ({"imageGreen": "registry.example.com/nox-api:v8.1.0@sha256:" + "a" * 64}, "nox:imageGreen"),
    ({"eksNodeInstanceTypes": '["m6i.large", "m7g.large"]'}, "must not mix arm64 and x86_64"),
    ({"eksNodeInstanceTypes": '["m7g.large"]'}, "must be x86_64 types like the node AMI type (these are arm64)"),
    ({"instanceType": "m7g.large"}, "nox:instanceType = 'm7g.large': must be an x86_64 type like the fleet AMI (this one is arm64)"),
    ({"karpenterArchitecture": "arm64"}, "nox:karpenterArchitecture = 'arm64': must be amd64 like the node AMI (x86_64)"),
    ({"karpenterCapacityTypes": '["reserved"]'}, "nox:karpenterCapacityTypes"),
    ({"karpenterInstanceCategories": '["t"]'}, "nox:karpenterInstanceCategories"),
    # The capacity rule: 2 colours x 20 pods x 250m / 256Mi x 1.5 = 15 vCPU; on m (4 GiB per vCPU) 60 GiB.
    ({"karpenterCpuLimit": "14"}, "nox:karpenterCpuLimit = 14: must be at least 15 vCPU so that 2 colours x nox:hpaMaxReplicas (20)"),
    ({"karpenterMemoryLimitGib": "59"}, "nox:karpenterMemoryLimitGib = 59: must be at least 60 GiB"),
    # r nodes bring 8 GiB per vCPU: 15 vCPU of them is 120 GiB, over the prod default of 64.
    ({"karpenterInstanceCategories": '["c", "m", "r"]'}, "nox:karpenterMemoryLimitGib = 64: must be at least 120 GiB"),
    ({"hpaMaxReplicas": "40", "karpenterCpuLimit": "29"}, "nox:karpenterCpuLimit = 29: must be at least 30 vCPU"),
]


@pytest.mark.parametrize(("extra", "expected"), PROD_CASES)
def test_prod_rules(extra, expected):
    assert_clear(refused(prod_raw(**extra), stack="prod"), expected)


@pytest.mark.parametrize("stack", ["prod", "prod-eu"])
@pytest.mark.parametrize("env", ["dev", "staging"])
def test_prod_stacks_use_the_prod_profile(stack, env):
    assert_clear(refused(prod_raw(environment=env), stack=stack), "nox:environment", f"stack {stack!r} is a prod stack")


def test_capacity_rule_accepts_limits_at_the_need_and_ignores_asg():
    build("nox-infra", "prod", "us-west-2", prod_raw(karpenterCpuLimit="15", karpenterMemoryLimitGib="60"))
    build(
        "nox-infra",
        "prod",
        "us-west-2",
        prod_raw(karpenterInstanceCategories='["c"]', karpenterCpuLimit="15", karpenterMemoryLimitGib="30"),
    )
    # asg stacks run no Karpenter: its limits are not held against the HPA.
    build("nox-infra", "dev", "us-west-2", {**BASE, "platform": "asg", "karpenterCpuLimit": "1"})


def test_capacity_need_is_requests_times_headroom():
    from settings.schema import node_pool_needs

    assert node_pool_needs(20, 2, ["c", "m"]) == (15, 60)
    assert node_pool_needs(20, 2, ["c"]) == (15, 30)
    assert node_pool_needs(6, 2, ["c", "m"]) == (5, 20)  # 3 vCPU x 1.5 = 4.5, rounded up
    assert node_pool_needs(3, 1, ["r"]) == (2, 16)


def test_other_stacks_choose_any_profile():
    build("nox-infra", "preprod", "us-west-2", {**BASE, "environment": "dev"})
    build("nox-infra", "qa-prod", "us-west-2", prod_raw())


@pytest.mark.parametrize("region", ["mars-1", "US-WEST-2", '["us-west-2"]', "us-west-2\n", " us-west-2", "☃"])
def test_region_must_be_one_botocore_knows(region):
    assert_clear(refused(BASE, region=region), "aws:region", "must be a region")


@pytest.mark.parametrize("stack", ["x" * 300, "Prod", "dev\n", "-dev", "d_ev", ""])
def test_stack_name_rule(stack):
    assert_clear(refused(BASE, stack=stack), "stack name")


def test_one_cidr_function_for_every_public_source_key():
    from settings import loader

    assert loader.CIDR_KEYS == {"eksPublicAccessCidrs": True, "deployerCidrs": False}
    assert cidr_problem("81.2.69.0/24", prod=True) is None
    assert cidr_problem("81.0.0.0/8", prod=False) is None
    assert cidr_problem("81.0.0.0/8", prod=True)
    for bad in ("0.0.0.0/0", "::/0", "0::/0", "10.0.0.0/8", "fe80::/10", "2001:db8::/32", "81.2.69.1/24", "224.0.0.0/4", "fd00::/8"):
        assert cidr_problem(bad, prod=False), bad
    # Private sources (a VPN, an in-VPC runner) for a private endpoint: the same function, public=False.
    for ok in ("10.20.0.0/24", "172.16.0.0/16", "fd00:1::/48", "81.2.69.0/24"):
        assert cidr_problem(ok, prod=True, public=False) is None, ok
    for bad in ("0.0.0.0/0", "10.0.0.0/8", "127.0.0.0/16", "169.254.0.0/16", "::/0", "10.0.0.1/24"):
        assert cidr_problem(bad, prod=True, public=False), bad


def test_component_amis_match_the_architecture_rule():
    from components import fleet
    from components.eks import nodes as cluster

    assert fleet.AMI_PARAMETER.endswith("-" + FLEET_AMI_ARCH)
    assert f"AL2023_{EKS_NODE_AMI_ARCH}_STANDARD" == cluster.AMI_TYPE


# --- stack files --------------------------------------------------------------------------------------------


def stack_dir(tmp_path: Path, body: bytes | str, name: str = "broken") -> Path:
    (tmp_path / "Pulumi.yaml").symlink_to(ROOT / "Pulumi.yaml")
    target = tmp_path / f"Pulumi.{name}.yaml"
    target.write_bytes(body if isinstance(body, bytes) else body.encode())
    return tmp_path


DEV_FILE = (ROOT / "Pulumi.dev.yaml").read_text()

STACK_FILES = [
    ("config:\n  - nox:owner\n", "config must be a mapping"),
    ("config: nox:owner=x\n", "config must be a mapping"),
    (DEV_FILE + "  1: x\n", "config key 1 must be a string"),
    (DEV_FILE + "  ~: x\n", "config key None must be a string"),
    (DEV_FILE + "  nox:owner: a\n  nox:owner: b\n", "duplicate key 'nox:owner'"),
    (DEV_FILE + "  owner: a\n", "has no namespace"),
    (DEV_FILE + "  nxo:platform: eks\n", "did you mean nox:platform"),
    (DEV_FILE + "  NOX:platform: eks\n", "did you mean nox:platform"),
    (DEV_FILE + "  nox:dbEngineVersion: 16.10\n", "quote it"),
    (DEV_FILE + "  nox:costCenter: 12\n", "nox:costCenter = 12 is a YAML int"),
    (DEV_FILE + "  nox:owner:\n", "nox:owner has no value"),
    (b"\xff\xfe\x00binary\x00", "not a UTF-8 text file"),
    ("config: [unclosed\n", "not valid YAML"),
    ("[" * 5000, "not valid YAML"),
]


@pytest.mark.parametrize(("body", "expected"), STACK_FILES)
def test_broken_stack_files(tmp_path, body, expected):
    with pytest.raises(StackConfigError) as err:
        read_stack_config(stack_dir(tmp_path, body), "broken")
    assert expected in str(err.value) and len(str(err.value)) < 600


def test_stack_file_that_is_a_directory(tmp_path):
    (tmp_path / "Pulumi.yaml").symlink_to(ROOT / "Pulumi.yaml")
    (tmp_path / "Pulumi.adir.yaml").mkdir()
    with pytest.raises(StackConfigError, match="cannot read"):
        read_stack_config(tmp_path, "adir")


def test_very_long_stack_name():
    with pytest.raises(StackConfigError, match="stack name 'xxx"):
        read_stack_config(ROOT, "x" * 5000)


@pytest.mark.parametrize("override", ["nxo:platform=asg", "NOX:platform=asg", "platform=asg"])
def test_near_miss_namespace_in_set(override):
    with pytest.raises(StackConfigError):
        read_stack_config(ROOT, "dev", [override])


# --- end to end through the CLIs: exit 2, nothing registered, no traceback --------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--stack", "prod", "--set", "nox:environment=dev"], "is a prod stack"),
        (["--stack", "dev", "--set", "aws:region=mars-1"], "aws:region = 'mars-1'"),
        (["--stack", "dev", "--set", "nox:eksNodeInstanceTypes=[]"], "nox:eksNodeInstanceTypes = []"),
        (["--stack", "dev", "--set", "nox:domain=api.example.com\n"], "nox:domain = 'api.example.com\\n'"),
        (["--stack", "x" * 300], "stack name"),
    ],
)
def test_plan_cli_bad_input_exits_2(capsys, args, expected):
    assert cli.main(["plan", *args]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "Traceback" not in err and expected in err
    assert "nothing was registered" in err


def test_plan_cli_broken_stack_file_exits_2(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(cli, "ROOT", stack_dir(tmp_path, DEV_FILE + "  nox:owner: a\n  nox:owner: b\n"))
    assert cli.main(["plan", "--stack", "broken"]) == 2
    assert "duplicate key 'nox:owner'" in capsys.readouterr().err


def _plan_doc(resources: list[dict]) -> dict:
    return {"project": "nox-infra", "stack": "dev", "resources": resources, "outputs": {}}


def _res(urn: str, parent: str | None = None) -> dict:
    return {
        "urn": urn,
        "type": "aws:s3/bucket:Bucket",
        "name": urn.rsplit("::", 1)[-1],
        "parent": parent,
        "dependencies": [],
        "provider": None,
        "protect": False,
        "custom": True,
        "inputs": {},
    }


URN = "urn:pulumi:dev::nox-infra::aws:s3/bucket:Bucket::logs"
PLANS = [
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    (json.dumps(_plan_doc([])), "resources is empty"),
    (json.dumps(_plan_doc([_res(URN), _res(URN)])), "appears twice"),
    (json.dumps(_plan_doc([_res(URN, parent="urn:pulumi:dev::nox-infra::nox:edge:Edge::gone")])), "is not a resource of this plan"),
    (json.dumps(_plan_doc([{**_res(URN), "inputs": {"a": json.loads("[" * 200 + "]" * 200)}}])), "nested deeper than 64"),
]


@pytest.mark.parametrize(("text", "expected"), PLANS)
def test_check_cli_bad_plans_exit_2(tmp_path, capsys, text, expected):
    path = tmp_path / "plan.json"
    path.write_text(text)
    assert cli.main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err


@pytest.mark.parametrize("kind", ["directory", "binary"])
def test_check_cli_unreadable_plan_exits_2(tmp_path, capsys, kind):
    path = tmp_path / "plan.json"
    path.mkdir() if kind == "directory" else path.write_bytes(b"\xff\xfe\x00")
    assert cli.main(["check", str(path)]) == 2
    assert "Traceback" not in capsys.readouterr().err


# --- properties -----------------------------------------------------------------------------------------------

STR_KEYS = [k.name for k in KEYS if k.kind is str]
INT_KEYS = [k.name for k in KEYS if k.kind is int]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(STR_KEYS), st.text(max_size=40))
def test_loader_property_string_keys(key, text):
    """Any text for any string key: refused naming the key, or accepted whole (no stray whitespace or control characters)."""
    try:
        built = build("nox-infra", "dev", "us-west-2", {**BASE, key: text})
    except ConfigError as err:
        assert f"nox:{key}" in str(err) or "nox:" in str(err)
        assert len(str(err)) < 2000
        return
    assert built is not None
    assert text == text.strip() and text.isprintable()


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(INT_KEYS), st.one_of(st.text(max_size=12), st.integers(-(10**12), 10**12).map(str)))
def test_loader_property_integer_keys(key, text):
    """Any text for an integer key: refused, or plain ASCII digits whose value the settings hold."""
    try:
        build("nox-infra", "dev", "us-west-2", {**BASE, key: text})
    except ConfigError as err:
        assert "nox:" in str(err)
        return
    assert text.lstrip("-").isascii() and text.lstrip("-").isdigit() and str(int(text)) == text


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=20), max_size=5))
def test_loader_property_cidr_lists(cidrs):
    try:
        s = build("nox-infra", "dev", "us-west-2", {**BASE, "eksPublicAccessCidrs": json.dumps(cidrs)})
    except ConfigError as err:
        assert "nox:eksPublicAccessCidrs" in str(err)
        return
    assert all(cidr_problem(c, prod=False) is None for c in s.eks.public_access_cidrs)
