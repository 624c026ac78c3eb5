"""Karpenter on eks (issue 15 §1): the AWS side, the charts, the NodePool and EC2NodeClass (checked
against the pinned CRDs' schemas), the system node group, and the limits against the HPA maxima."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

from components.eks import karpenter as k
from components.eks import nodes
from components.workload import REQUESTS
from settings import COLOURS
from settings.schema import APP_POD_CPU_MILLI, APP_POD_MEMORY_MIB, KARPENTER_CATEGORY_GIB_PER_VCPU, node_pool_needs

CRDS = Path(__file__).parent / "data" / "karpenter"
NODE_POOL = "kubernetes:karpenter.sh/v1:NodePool"
NODE_CLASS = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"
RELEASE = "kubernetes:helm.sh/v3:Release"
POLICY = "aws:iam/policy:Policy"
ATTACH = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
ROLE = "aws:iam/role:Role"


@pytest.fixture(scope="module")
def prod(plan_for):
    return plan_for("prod")


ACCOUNT = "123456789012"
QUEUE_ARN = f"arn:aws:sqs:us-west-2:{ACCOUNT}:nox-prod-karpenter"


def _auto_named(resource_name: str, physical: str) -> bool:
    """Pulumi auto-names `<resource name>-<7 hex>`; the mocks do the same."""
    return re.fullmatch(re.escape(resource_name) + "-[0-9a-f]{7}", physical) is not None


def _release(plan, name):
    return next(r for r in plan.of_type(RELEASE) if r["inputs"]["name"] == name)


def _schema(crd_file: str) -> dict:
    crd = yaml.safe_load((CRDS / crd_file).read_text())
    (version,) = [v for v in crd["spec"]["versions"] if v["name"] == "v1"]
    return version["schema"]["openAPIV3Schema"]


# --- pure helpers ---------------------------------------------------------------------------


def test_controller_policies_are_upstreams_with_every_placeholder_substituted():
    docs = k.controller_policies(
        partition="aws", region="us-west-2", account="123456789012", cluster="nox-prod", node_role_arn="arn:node", queue_arn="arn:queue"
    )
    assert list(docs) == [
        "NodeLifecyclePolicy",
        "IAMIntegrationPolicy",
        "EKSIntegrationPolicy",
        "InterruptionPolicy",
        "ResourceDiscoveryPolicy",
    ]
    assert all("${" not in d for d in docs.values())
    lifecycle = json.loads(docs["NodeLifecyclePolicy"])["Statement"]
    # Scoped by the cluster's tags: Karpenter may only launch, tag and terminate what it tagged as this cluster's.
    deletion = next(s for s in lifecycle if s["Sid"] == "AllowScopedDeletion")
    assert deletion["Condition"]["StringEquals"] == {"aws:ResourceTag/kubernetes.io/cluster/nox-prod": "owned"}
    assert deletion["Action"] == ["ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"]
    iam = json.loads(docs["IAMIntegrationPolicy"])["Statement"]
    assert iam[0] == {
        "Sid": "AllowPassingInstanceRole",
        "Effect": "Allow",
        "Resource": "arn:node",
        "Action": "iam:PassRole",
        "Condition": {"StringEquals": {"iam:PassedToService": ["ec2.amazonaws.com", "ec2.amazonaws.com.cn"]}},
    }
    assert json.loads(docs["InterruptionPolicy"])["Statement"][0]["Resource"] == "arn:queue"
    eks = json.loads(docs["EKSIntegrationPolicy"])["Statement"][0]
    assert eks["Resource"] == "arn:aws:eks:us-west-2:123456789012:cluster/nox-prod"


def test_a_placeholder_left_unsubstituted_is_an_error(tmp_path, monkeypatch):
    doc = {"NodeLifecyclePolicy": {"Statement": [{"Resource": "arn:${AWS::Partition}:ec2:${Unknown}"}]}}
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(doc))
    monkeypatch.setattr(k, "CONTROLLER_POLICY_FILE", path)
    with pytest.raises(ValueError, match="unsubstituted placeholder in Karpenter policy NodeLifecyclePolicy"):
        k.controller_policies(partition="aws", region="r", account="a", cluster="c", node_role_arn="n", queue_arn="q")


def test_queue_policy_admits_eventbridge_and_denies_plain_http():
    allow, deny = json.loads(k.queue_policy("arn:queue"))["Statement"]
    assert allow["Principal"] == {"Service": ["events.amazonaws.com", "sqs.amazonaws.com"]}
    assert (allow["Action"], allow["Resource"]) == ("sqs:SendMessage", "arn:queue")
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_volume_key_use_is_through_ec2_only():
    (st,) = json.loads(k.volume_key_use_policy("arn:key", "us-west-2"))["Statement"]
    assert st["Resource"] == "arn:key"
    assert st["Condition"] == {"StringEquals": {"kms:ViaService": "ec2.us-west-2.amazonaws.com"}}
    assert "kms:CreateGrant" in st["Action"] and "kms:GenerateDataKeyWithoutPlaintext" in st["Action"]


def test_pod_requests_are_the_capacity_rules():
    assert REQUESTS == {"cpu": f"{APP_POD_CPU_MILLI}m", "memory": f"{APP_POD_MEMORY_MIB}Mi"} == {"cpu": "250m", "memory": "256Mi"}


# --- the plan ---------------------------------------------------------------------------------


def test_charts_pinned_from_public_ecr_crds_owned_by_the_crd_chart(prod):
    crd, chart = _release(prod, "karpenter-crd"), _release(prod, "karpenter")
    assert (crd["inputs"]["chart"], crd["inputs"]["version"]) == ("oci://public.ecr.aws/karpenter/karpenter-crd", "1.14.1")
    assert (chart["inputs"]["chart"], chart["inputs"]["version"]) == ("oci://public.ecr.aws/karpenter/karpenter", "1.14.1")
    assert chart["inputs"]["skipCrds"] is True
    assert crd["urn"] in chart["dependencies"]
    assert {crd["inputs"]["namespace"], chart["inputs"]["namespace"]} == {"kube-system"}


def test_controller_values_need_no_imds(prod):
    values = _release(prod, "karpenter")["inputs"]["values"]
    queue = prod.one("aws:sqs/queue:Queue")
    assert values["settings"]["clusterName"] == "nox-prod"
    assert values["settings"]["interruptionQueue"] == queue["inputs"]["name"] == "nox-prod-karpenter"
    assert re.fullmatch(r"https://[0-9A-F]{32}\.gr7\.us-west-2\.eks\.amazonaws\.com", values["settings"]["clusterEndpoint"])
    assert values["controller"]["env"] == [{"name": "AWS_REGION", "value": "us-west-2"}]
    assert values["serviceAccount"] == {"create": True, "name": "karpenter"}


def test_controller_role_is_pod_identity_with_upstreams_policies(prod):
    assoc = prod.one("aws:eks/podIdentityAssociation:PodIdentityAssociation")
    assert (assoc["inputs"]["namespace"], assoc["inputs"]["serviceAccount"]) == ("kube-system", "karpenter")
    role = prod.by_urn(assoc["parent"])
    assert role["name"] == "cluster-karpenter-controller-role"
    assert _auto_named(role["name"], assoc["inputs"]["roleArn"].removeprefix(f"arn:aws:iam::{ACCOUNT}:role/"))
    trust = json.loads(role["inputs"]["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "pods.eks.amazonaws.com"} and trust["Action"] == ["sts:AssumeRole", "sts:TagSession"]
    attached = sorted(
        a["inputs"]["policyArn"].removeprefix(f"arn:aws:iam::{ACCOUNT}:policy/") for a in prod.of_type(ATTACH) if a["parent"] == role["urn"]
    )
    policies = {p["name"]: p for p in prod.of_type(POLICY) if p["parent"] == role["urn"]}
    assert sorted(policies) == sorted(f"cluster-karpenter-{n}" for n in k.controller_policy_names())
    assert len(attached) == len(policies) and all(any(_auto_named(p, a) for a in attached) for p in policies)
    node_arn = prod.one("aws:eks/accessEntry:AccessEntry", "cluster-karpenter-node-access")["inputs"]["principalArn"]
    passrole = json.loads(policies["cluster-karpenter-IAMIntegrationPolicy"]["inputs"]["policy"])["Statement"][0]
    assert passrole["Resource"] == node_arn
    assert json.loads(policies["cluster-karpenter-InterruptionPolicy"]["inputs"]["policy"])["Statement"][0]["Resource"] == QUEUE_ARN
    # The node volume key, through EC2 only (the launch template's key: one key for every node).
    (kms,) = [p for p in prod.of_type("aws:iam/rolePolicy:RolePolicy") if p["parent"] == role["urn"]]
    key_arn = prod.one("aws:ec2/launchTemplate:LaunchTemplate")["inputs"]["blockDeviceMappings"][0]["ebs"]["kmsKeyId"]
    assert json.loads(kms["inputs"]["policy"]) == json.loads(k.volume_key_use_policy(key_arn, "us-west-2"))
    # The chart waits for the association and every grant: no controller start without credentials.
    chart = _release(prod, "karpenter")
    assert assoc["urn"] in chart["dependencies"]
    assert {a["urn"] for a in prod.of_type(ATTACH) if a["parent"] == role["urn"]} <= set(chart["dependencies"])


def test_interruption_queue_and_its_rules(prod):
    queue = prod.one("aws:sqs/queue:Queue")
    assert queue["inputs"]["messageRetentionSeconds"] == 300 and queue["inputs"]["sqsManagedSseEnabled"] is True
    rules = {r["name"]: json.loads(r["inputs"]["eventPattern"]) for r in prod.of_type("aws:cloudwatch/eventRule:EventRule")}
    assert rules == {
        "cluster-karpenter-scheduled-change": {"source": ["aws.health"], "detail-type": ["AWS Health Event"]},
        "cluster-karpenter-spot-interruption": {"source": ["aws.ec2"], "detail-type": ["EC2 Spot Instance Interruption Warning"]},
        "cluster-karpenter-rebalance": {"source": ["aws.ec2"], "detail-type": ["EC2 Instance Rebalance Recommendation"]},
        "cluster-karpenter-instance-state-change": {"source": ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"]},
        "cluster-karpenter-capacity-reservation-interruption": {
            "source": ["aws.ec2"],
            "detail-type": ["EC2 Capacity Reservation Instance Interruption Warning"],
        },
    }
    targets = prod.of_type("aws:cloudwatch/eventTarget:EventTarget")
    assert len(targets) == len(rules) and {t["inputs"]["arn"] for t in targets} == {QUEUE_ARN}
    assert {t["inputs"]["targetId"] for t in targets} == {"KarpenterInterruptionQueueTarget"}
    policy = prod.one("aws:sqs/queuePolicy:QueuePolicy")
    assert policy["inputs"]["queueUrl"] == f"https://sqs.us-west-2.amazonaws.com/{ACCOUNT}/nox-prod-karpenter"
    assert json.loads(policy["inputs"]["policy"]) == json.loads(k.queue_policy(QUEUE_ARN))


def test_node_role_joins_through_an_ec2_linux_access_entry(prod):
    role = prod.one(ROLE, "cluster-karpenter-node-role")
    entry = prod.one("aws:eks/accessEntry:AccessEntry", "cluster-karpenter-node-access")
    role_name = entry["inputs"]["principalArn"].removeprefix(f"arn:aws:iam::{ACCOUNT}:role/")
    assert entry["inputs"]["type"] == "EC2_LINUX" and _auto_named(role["name"], role_name)
    trust = json.loads(role["inputs"]["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "ec2.amazonaws.com"}
    attached = sorted(a["inputs"]["policyArn"] for a in prod.of_type(ATTACH) if a["parent"] == role["urn"])
    assert attached == sorted(f"arn:aws:iam::aws:policy/{p}" for p in nodes.NODE_POLICIES)
    node_class = prod.one(NODE_CLASS)
    assert node_class["inputs"]["spec"]["role"] == role_name
    assert entry["urn"] in node_class["dependencies"]


def test_node_class_is_hardened_and_found_by_tags(prod):
    spec = prod.one(NODE_CLASS)["inputs"]["spec"]
    assert spec["amiSelectorTerms"] == [{"alias": k.AMI_ALIAS}] and k.AMI_ALIAS.startswith("al2023@v")
    assert spec["metadataOptions"] == {
        "httpEndpoint": "enabled",
        "httpProtocolIPv6": "disabled",
        "httpPutResponseHopLimit": 1,
        "httpTokens": "required",
    }
    (device,) = spec["blockDeviceMappings"]
    # The node group's key (its launch template's), whose policy the account delegates to IAM.
    key_arn = prod.one("aws:ec2/launchTemplate:LaunchTemplate")["inputs"]["blockDeviceMappings"][0]["ebs"]["kmsKeyId"]
    assert key_arn.startswith(f"arn:aws:kms:us-west-2:{ACCOUNT}:key/")
    assert device == {
        "deviceName": "/dev/xvda",
        "ebs": {"volumeSize": "50Gi", "volumeType": "gp3", "encrypted": True, "kmsKeyID": key_arn, "deleteOnTermination": True},
    }
    assert spec["subnetSelectorTerms"] == spec["securityGroupSelectorTerms"] == [{"tags": {"karpenter.sh/discovery": "nox-prod"}}]
    assert spec["tags"]["Name"] == "nox-prod-karpenter-node" and spec["tags"]["Environment"] == "prod"


def test_discovery_tags_are_on_the_private_subnets_and_the_cluster_security_group(prod):
    subnets = [s for s in prod.of_type("aws:ec2/subnet:Subnet") if s["inputs"]["tags"].get("Tier") == "private"]
    assert subnets and all(s["inputs"]["tags"]["karpenter.sh/discovery"] == "nox-prod" for s in subnets)
    others = [s for s in prod.of_type("aws:ec2/subnet:Subnet") if s["inputs"]["tags"].get("Tier") != "private"]
    assert not any("karpenter.sh/discovery" in s["inputs"]["tags"] for s in others)
    tag = prod.one("aws:ec2/tag:Tag")
    # The cluster security group: the nodes' and pods' group, the one the data tier admits.
    sg = prod.one("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "database-from-app-0")["inputs"]["referencedSecurityGroupId"]
    assert (tag["inputs"]["resourceId"], tag["inputs"]["key"], tag["inputs"]["value"]) == (sg, "karpenter.sh/discovery", "nox-prod")


def test_node_pool_requirements_limits_and_disruption(prod):
    spec = prod.one(NODE_POOL)["inputs"]["spec"]
    assert spec["template"]["spec"]["requirements"] == [
        {"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64"]},
        {"key": "kubernetes.io/os", "operator": "In", "values": ["linux"]},
        {"key": "karpenter.sh/capacity-type", "operator": "In", "values": ["on-demand"]},
        {"key": "karpenter.k8s.aws/instance-category", "operator": "In", "values": ["c", "m"]},
        {"key": "karpenter.k8s.aws/instance-generation", "operator": "Gt", "values": ["4"]},
    ]
    assert spec["template"]["spec"]["nodeClassRef"] == {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": "app"}
    assert spec["limits"] == {"cpu": "16", "memory": "64Gi"}
    assert spec["disruption"] == {
        "consolidationPolicy": "WhenEmptyOrUnderutilized",
        "consolidateAfter": "5m",
        "budgets": [{"nodes": "10%"}],
    }
    assert prod.one(NODE_CLASS)["urn"] in prod.one(NODE_POOL)["dependencies"]


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_limits_reach_both_colours_hpa_maxima(plan_for, stack):
    plan = plan_for(stack, "nox:platform=eks")
    (most,) = {h["inputs"]["spec"]["maxReplicas"] for h in plan.of_type("kubernetes:autoscaling/v2:HorizontalPodAutoscaler")}
    pods = len(COLOURS) * most  # both colours at their maximum during a release, serving or not now
    spec = plan.one(NODE_POOL)["inputs"]["spec"]
    cpu, memory_gib = int(spec["limits"]["cpu"]), int(spec["limits"]["memory"].removesuffix("Gi"))
    # Every pod's requests, with the headroom, fit; and so does the memory the richest nodes bring along.
    assert cpu * 1000 >= pods * APP_POD_CPU_MILLI * 1.5
    assert memory_gib * 1024 >= pods * APP_POD_MEMORY_MIB * 1.5
    categories = spec["template"]["spec"]["requirements"][3]["values"]
    need_cpu, need_memory = node_pool_needs(most, len(COLOURS), categories)
    assert cpu >= need_cpu and memory_gib >= need_memory
    # Memory for the CPU the pods need, on the memory-richest allowed category.
    assert need_memory >= need_cpu * max(KARPENTER_CATEGORY_GIB_PER_VCPU[c] for c in categories)


def test_node_pool_and_node_class_match_the_pinned_crds(prod):
    for token, crd in ((NODE_POOL, "karpenter.sh_nodepools.yaml"), (NODE_CLASS, "karpenter.k8s.aws_ec2nodeclasses.yaml")):
        obj = prod.one(token)["inputs"]
        jsonschema.validate(
            {"apiVersion": obj["apiVersion"], "kind": obj["kind"], "metadata": obj["metadata"], "spec": obj["spec"]}, _schema(crd)
        )


def test_the_crd_schemas_catch_a_bad_spec(prod):
    spec = json.loads(json.dumps(prod.one(NODE_POOL)["inputs"]["spec"]))
    spec["disruption"]["consolidationPolicy"] = "WhenIdle"
    with pytest.raises(jsonschema.ValidationError, match="WhenIdle"):
        jsonschema.validate({"spec": spec}, _schema("karpenter.sh_nodepools.yaml"))
    node_class = json.loads(json.dumps(prod.one(NODE_CLASS)["inputs"]["spec"]))
    node_class["metadataOptions"]["httpTokens"] = "maybe"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"spec": node_class}, _schema("karpenter.k8s.aws_ec2nodeclasses.yaml"))


def test_system_node_group_is_tainted_and_its_charts_tolerate_it(prod):
    ng = prod.one("aws:eks/nodeGroup:NodeGroup")["inputs"]
    assert ng["labels"] == {"nox/node-pool": "system"}
    assert ng["taints"] == [{"key": "CriticalAddonsOnly", "value": "true", "effect": "NO_SCHEDULE"}]
    for chart in ("aws-load-balancer-controller", "metrics-server"):
        values = _release(prod, chart)["inputs"]["values"]
        assert values["nodeSelector"] == {"nox/node-pool": "system"}
        assert values["tolerations"] == [{"key": "CriticalAddonsOnly", "operator": "Exists", "effect": "NoSchedule"}]
    # The app does not tolerate it: its pods go to Karpenter's nodes, and wait for the NodePool.
    for deployment in prod.of_type("kubernetes:apps/v1:Deployment"):
        pod = deployment["inputs"]["spec"]["template"]["spec"]
        assert "tolerations" not in pod and "nodeSelector" not in pod
        assert prod.one(NODE_POOL)["urn"] in deployment["dependencies"]
