"""EKS cluster component: pure helpers, then the program under mocks (platform = eks)."""

from __future__ import annotations

import json
import re

import pulumi
import pytest
from test_fleet import REGION, computed, rid

from components import cluster as c
from components.eks import addons, iam
from offline.mocks import NoxMocks
from settings import ConfigError

EKS = "nox:platform=eks"
CLUSTER = "aws:eks/cluster:Cluster"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
ADDON = "aws:eks/addon:Addon"
ROLE = "aws:iam/role:Role"
ATTACH = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
RELEASE = "kubernetes:helm.sh/v3:Release"
K8S_PROVIDER = "pulumi:providers:kubernetes"


# --- pure helpers ---------------------------------------------------------------------------


def test_kubeconfig_uses_aws_eks_get_token():
    cfg = json.loads(c.kubeconfig_json("nox-prod", "https://x.eks.amazonaws.com", "Q0E=", "us-west-2"))
    assert cfg["clusters"][0]["cluster"] == {"server": "https://x.eks.amazonaws.com", "certificate-authority-data": "Q0E="}
    assert cfg["current-context"] == "nox-prod"
    exec_ = cfg["users"][0]["user"]["exec"]
    assert exec_["apiVersion"] == "client.authentication.k8s.io/v1beta1"
    assert exec_["command"] == "aws"
    assert exec_["args"][:6] == ["eks", "get-token", "--cluster-name", "nox-prod", "--region", "us-west-2"]
    assert "token" not in json.dumps(cfg["users"][0]["user"]).replace("get-token", "")


def test_irsa_trust_is_one_service_account_with_sts_audience():
    doc = json.loads(
        iam.irsa_trust_policy("arn:aws:iam::1:oidc-provider/oidc.eks.x/id/AB", "https://oidc.eks.x/id/AB", "kube-system", "aws-node")
    )
    [st] = doc["Statement"]
    assert st["Principal"] == {"Federated": "arn:aws:iam::1:oidc-provider/oidc.eks.x/id/AB"}
    assert st["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert st["Condition"] == {
        "StringEquals": {
            "oidc.eks.x/id/AB:sub": "system:serviceaccount:kube-system:aws-node",
            "oidc.eks.x/id/AB:aud": "sts.amazonaws.com",
        }
    }


def test_vendored_lb_controller_policy_covers_what_the_ingress_uses():
    doc = json.loads(addons.lb_controller_policy())
    actions = {a for s in doc["Statement"] for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    # listener-attributes (security/CORS headers), WAF association, rule ordering, tagging on create.
    for needed in (
        "elasticloadbalancing:ModifyListenerAttributes",
        "elasticloadbalancing:DescribeListenerAttributes",
        "wafv2:AssociateWebACL",
        "elasticloadbalancing:SetRulePriorities",
        "elasticloadbalancing:AddTags",
        "ec2:GetSecurityGroupsForVpc",
    ):
        assert needed in actions


def test_chart_versions_are_pinned():
    for v in (addons.LB_CONTROLLER_VERSION, addons.METRICS_SERVER_VERSION):
        assert v.count(".") == 2 and all(p.isdigit() for p in v.split("."))


# --- the program under mocks -------------------------------------------------------------------


@pytest.fixture(scope="module")
def prod(plan_for):
    return plan_for("prod", EKS)


def _children(plan, parent_urn, token):
    return [r for r in plan.of_type(token) if r["parent"] == parent_urn]


def _role_by_arn(plan, arn):
    name = arn.rsplit("/", 1)[-1]
    # Roles are auto-named like Pulumi does: "<resource name>-<7 hex>".
    [role] = [
        r
        for r in plan.of_type(ROLE)
        if name in (r["inputs"].get("name"), r["name"]) or re.fullmatch(re.escape(r["name"]) + "-[0-9a-f]{7}", name)
    ]
    return role


def _attached(plan, role):
    return {a["inputs"]["policyArn"].rsplit("/", 1)[-1] for a in _children(plan, role["urn"], ATTACH)}


def test_control_plane_posture(prod):
    eks = prod.one(CLUSTER)
    i = eks["inputs"]
    assert i["name"] == "nox-prod" and i["version"] == "1.35"
    assert i["vpcConfig"]["endpointPrivateAccess"] is True
    assert i["vpcConfig"]["endpointPublicAccess"] is False
    assert "publicAccessCidrs" not in i["vpcConfig"]
    assert i["enabledClusterLogTypes"] == ["api", "audit", "authenticator", "controllerManager", "scheduler"]
    assert i["encryptionConfig"]["resources"] == ["secrets"]
    assert i["encryptionConfig"]["provider"]["keyArn"].startswith("arn:aws:kms:")
    assert i["accessConfig"] == {"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": False}
    assert i["upgradePolicy"] == {"supportType": "STANDARD"}
    assert eks["protect"] is True and i["deletionProtection"] is True


def test_private_subnets_only(prod):
    eks = prod.one(CLUSTER)
    subnets = {r["urn"]: r["inputs"]["tags"]["Tier"] for r in prod.of_type("aws:ec2/subnet:Subnet")}
    for r in (eks, prod.one(NODE_GROUP)):
        tiers = {subnets[d] for d in r["dependencies"] if d in subnets}
        assert tiers == {"private"}, r["name"]
    assert len(eks["inputs"]["vpcConfig"]["subnetIds"]) == 3


def test_log_group_precreated_with_retention_and_key(prod):
    group = prod.one("aws:cloudwatch/logGroup:LogGroup", "cluster-control-plane-logs")
    assert group["inputs"]["name"] == "/aws/eks/nox-prod/cluster"
    assert group["inputs"]["retentionInDays"] == 365
    assert group["inputs"]["kmsKeyId"].startswith("arn:aws:kms:")
    assert group["urn"] in prod.one(CLUSTER)["dependencies"]


def test_secrets_key_usable_by_cluster_role(prod):
    eks = prod.one(CLUSTER)
    role = _role_by_arn(prod, eks["inputs"]["roleArn"])
    assert json.loads(role["inputs"]["assumeRolePolicy"])["Statement"][0]["Principal"] == {"Service": "eks.amazonaws.com"}
    assert _attached(prod, role) == {"AmazonEKSClusterPolicy"}
    [kms] = _children(prod, role["urn"], "aws:iam/rolePolicy:RolePolicy")
    st = json.loads(kms["inputs"]["policy"])["Statement"][0]
    assert st["Resource"] == eks["inputs"]["encryptionConfig"]["provider"]["keyArn"]
    assert "kms:Decrypt" in st["Action"]


def test_admin_access_entry(prod):
    entry = prod.one("aws:eks/accessEntry:AccessEntry", "cluster-admin")
    assert entry["inputs"]["principalArn"] == "arn:aws:iam::123456789012:role/nox-platform-admin"
    assoc = prod.one("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
    assert assoc["inputs"]["policyArn"] == "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
    assert assoc["inputs"]["accessScope"] == {"type": "cluster"}
    assert entry["urn"] in assoc["dependencies"]


def test_eks_without_an_admin_role_is_refused_before_any_resource(plan_for):
    # Authentication mode API and no creator admin: without an admin entry nobody could apply the workload.
    with pytest.raises(ConfigError, match="nox:eksAdminRoleArn is empty but nox:platform = 'eks'"):
        plan_for("dev", EKS, "nox:eksAdminRoleArn=")


def test_public_endpoint_only_for_listed_cidrs(plan_for):
    vpc = plan_for("dev", EKS, 'nox:eksPublicAccessCidrs=["81.2.69.0/24"]').one(CLUSTER)["inputs"]["vpcConfig"]
    assert vpc["endpointPublicAccess"] is True and vpc["endpointPrivateAccess"] is True
    assert vpc["publicAccessCidrs"] == ["81.2.69.0/24"]


def test_prod_refuses_an_open_api_endpoint(plan_for):
    with pytest.raises(ConfigError, match="eksPublicAccessCidrs"):
        plan_for("prod", EKS, 'nox:eksPublicAccessCidrs=["0.0.0.0/0"]')


def test_node_group(prod):
    ng = prod.one(NODE_GROUP)["inputs"]
    assert ng["amiType"] == "AL2023_x86_64_STANDARD"
    assert ng["capacityType"] == "ON_DEMAND"
    assert ng["instanceTypes"] == ["m6i.large", "m7i.large"]
    assert ng["scalingConfig"] == {"minSize": 3, "maxSize": 10, "desiredSize": 3}
    assert ng["updateConfig"] == {"maxUnavailable": 1}
    assert ng["version"] == "1.35"
    assert "diskSize" not in ng  # the launch template owns the disk
    role = _role_by_arn(prod, ng["nodeRoleArn"])
    policies = _attached(prod, role)
    assert {"AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryPullOnly"} <= policies
    assert "AmazonEKS_CNI_Policy" not in policies  # vpc-cni has its own IRSA role


def test_launch_template_imdsv2_hop_limit_one_encrypted_gp3(prod):
    lt = prod.one("aws:ec2/launchTemplate:LaunchTemplate", "cluster-nodes-lt")
    i = lt["inputs"]
    assert i["metadataOptions"]["httpTokens"] == "required"
    assert i["metadataOptions"]["httpPutResponseHopLimit"] == 1
    [bdm] = i["blockDeviceMappings"]
    assert bdm["ebs"]["volumeType"] == "gp3" and bdm["ebs"]["encrypted"] == "true"
    assert bdm["ebs"]["kmsKeyId"].startswith("arn:aws:kms:")
    assert {t["resourceType"] for t in i["tagSpecifications"]} >= {"instance", "volume"}
    assert lt["urn"] in prod.one(NODE_GROUP)["dependencies"]
    assert prod.one(NODE_GROUP)["inputs"]["launchTemplate"]["version"] == "1"


def test_volume_key_lets_auto_scaling_use_it_without_naming_it(prod):
    """AWSServiceRoleForAutoScaling may not exist yet (fresh account) and KMS refuses a policy that
    names a missing principal: the role is matched by aws:PrincipalArn, never named as a principal."""
    key = prod.one("aws:kms/key:Key", "cluster-volume-key")
    statements = json.loads(key["inputs"]["policy"])["Statement"]
    slr = "arn:aws:iam::123456789012:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
    assert slr not in json.dumps([s["Principal"] for s in statements])
    by_sid = {s["Sid"]: s for s in statements}
    assert by_sid["AccountAdministers"]["Principal"] == {"AWS": "arn:aws:iam::123456789012:root"}
    use, grant = by_sid["AutoScalingUsesKey"], by_sid["AutoScalingAttachesVolumes"]
    for statement in (use, grant):  # "*" is safe only with the condition pinning the exact role
        assert statement["Principal"] == {"AWS": "*"} and statement["Condition"]["ArnEquals"] == {"aws:PrincipalArn": slr}
    assert "kms:Decrypt" in use["Action"] and "kms:GenerateDataKey*" in use["Action"]
    assert grant["Action"] == "kms:CreateGrant" and grant["Condition"]["Bool"] == {"kms:GrantIsForAWSResource": "true"}
    assert set(by_sid) == {"AccountAdministers", "AutoScalingUsesKey", "AutoScalingAttachesVolumes"}
    assert key["protect"] is True


def test_fleet_key_names_only_a_role_the_stack_creates_first(plan_for):
    """The asg path names its own suffixed service-linked role, created (dependency) before the key."""
    plan = plan_for("prod", "nox:platform=asg")
    slr = plan.one("aws:iam/serviceLinkedRole:ServiceLinkedRole")
    key = plan.one("aws:kms/key:Key", "nox-prod-ebs")
    assert slr["urn"] in key["dependencies"] and slr["inputs"]["customSuffix"] == "nox-prod"
    statements = json.loads(key["inputs"]["policy"])["Statement"]
    named = set()
    for statement in statements:
        aws_principal = statement["Principal"].get("AWS", [])
        named |= set([aws_principal] if isinstance(aws_principal, str) else aws_principal)
    role = "arn:aws:iam::123456789012:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling_nox-prod"
    assert named == {"arn:aws:iam::123456789012:root", role}


def test_upgrade_policy_follows_the_support_type(plan_for):
    eks = plan_for("prod", EKS, "nox:eksVersion=1.34", "nox:eksSupportType=EXTENDED").one(CLUSTER)["inputs"]
    assert (eks["version"], eks["upgradePolicy"]) == ("1.34", {"supportType": "EXTENDED"})


def test_deployer_security_group_reaches_the_api_before_any_kubernetes_resource(prod):
    [rule] = [r for r in prod.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule") if r["name"] == "cluster-deployer-sg"]
    i = rule["inputs"]
    assert (i["ipProtocol"], i["fromPort"], i["toPort"]) == ("tcp", 443, 443)
    assert i["referencedSecurityGroupId"] == "sg-0123456789abcdef0"  # Pulumi.prod.yaml's placeholder
    assert i["securityGroupId"] == computed(prod.one(CLUSTER))[1]["vpcConfig"]["clusterSecurityGroupId"]
    assert prod.one(CLUSTER)["urn"] in rule["dependencies"]
    assert rule["urn"] in prod.one(K8S_PROVIDER)["dependencies"]


def test_deployer_cidrs_get_one_rule_each(plan_for):
    plan = plan_for("prod", EKS, "nox:deployerSecurityGroupId=", 'nox:deployerCidrs=["10.20.0.0/24","10.30.0.0/24"]')
    rules = sorted(
        (r for r in plan.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule") if r["name"].startswith("cluster-deployer")),
        key=lambda r: r["name"],
    )
    assert [(r["name"], r["inputs"]["cidrIpv4"], r["inputs"]["fromPort"]) for r in rules] == [
        ("cluster-deployer-cidr-0", "10.20.0.0/24", 443),
        ("cluster-deployer-cidr-1", "10.30.0.0/24", 443),
    ]
    assert {r["urn"] for r in rules} <= set(plan.one(K8S_PROVIDER)["dependencies"])


def test_private_only_endpoint_without_a_deployer_is_refused(plan_for):
    with pytest.raises(ConfigError, match="nox:deployerSecurityGroupId are all empty"):
        plan_for("prod", EKS, "nox:deployerSecurityGroupId=")


def test_teardown_platform_unprotects_the_cluster_only(plan_for):
    plan = plan_for("prod", EKS, "nox:teardown=platform")
    eks = plan.one(CLUSTER)
    assert eks["protect"] is False and eks["inputs"]["deletionProtection"] is False
    assert plan.one("aws:kms/key:Key", "cluster-volume-key")["protect"] is False
    assert all(r["protect"] for r in plan.of_type("aws:rds/instance:Instance"))  # the data tier stays protected


def test_oidc_provider_and_irsa_roles(prod):
    eks_oidc = prod.one("aws:iam/openIdConnectProvider:OpenIdConnectProvider")["inputs"]
    assert eks_oidc["url"].startswith("https://oidc.eks.us-west-2.amazonaws.com/id/")
    assert eks_oidc["clientIdLists"] == ["sts.amazonaws.com"]
    issuer = eks_oidc["url"].removeprefix("https://")
    expected = {
        "vpc-cni": ("aws-node", "AmazonEKS_CNI_Policy"),
        "aws-ebs-csi-driver": ("ebs-csi-controller-sa", "AmazonEBSCSIDriverPolicy"),
    }
    addons = {a["inputs"]["addonName"]: a for a in prod.of_type(ADDON)}
    for addon, (sa, policy) in expected.items():
        role = _role_by_arn(prod, addons[addon]["inputs"]["serviceAccountRoleArn"])
        cond = json.loads(role["inputs"]["assumeRolePolicy"])["Statement"][0]["Condition"]["StringEquals"]
        assert cond == {f"{issuer}:sub": f"system:serviceaccount:kube-system:{sa}", f"{issuer}:aud": "sts.amazonaws.com"}
        assert _attached(prod, role) == {policy}


def default_addon_version(addon: str, kubernetes_version: str) -> str:
    """What the mocks answer to aws.eks.getAddonVersion (mostRecent unset: the default build)."""
    call = pulumi.runtime.MockCallArgs(
        "aws:eks/getAddonVersion:getAddonVersion", {"addonName": addon, "kubernetesVersion": kubernetes_version}, ""
    )
    return NoxMocks(REGION).call(call)["version"]


def test_addon_versions_follow_the_cluster_version(plan_for):
    plan = plan_for("prod", EKS, "nox:eksVersion=1.34", "nox:eksSupportType=EXTENDED")
    versions = {a["inputs"]["addonName"]: a["inputs"]["addonVersion"] for a in plan.of_type(ADDON)}
    assert versions == {name: default_addon_version(name, "1.34") for name in versions} and len(versions) == 6


def test_addons_and_their_order(prod):
    addons = {a["inputs"]["addonName"]: a for a in prod.of_type(ADDON)}
    # amazon-cloudwatch-observability is the Container Insights component's (tests/test_alarms.py).
    assert set(addons) == {
        "vpc-cni",
        "coredns",
        "kube-proxy",
        "eks-pod-identity-agent",
        "aws-ebs-csi-driver",
        "amazon-cloudwatch-observability",
    }
    ng = prod.one(NODE_GROUP)
    assert ng["urn"] in addons["amazon-cloudwatch-observability"]["dependencies"]
    for a in addons.values():
        assert a["inputs"]["resolveConflictsOnCreate"] == "OVERWRITE"
        assert a["inputs"]["resolveConflictsOnUpdate"] == "OVERWRITE"
        # The default build AWS answers for this add-on on the cluster's own version (1.35), not a constant.
        assert a["inputs"]["addonVersion"] == default_addon_version(a["inputs"]["addonName"], "1.35")
    assert json.loads(addons["vpc-cni"]["inputs"]["configurationValues"]) == {"enableNetworkPolicy": "true"}
    ng = prod.one(NODE_GROUP)
    for before in ("vpc-cni", "kube-proxy", "eks-pod-identity-agent"):
        assert addons[before]["urn"] in ng["dependencies"]
    for after in ("coredns", "aws-ebs-csi-driver"):
        assert ng["urn"] in addons[after]["dependencies"]


def test_kubeconfig_is_secret(prod):
    provider = prod.one(K8S_PROVIDER)
    assert provider["inputs"]["kubeconfig"] == "[secret]"
    assert prod.outputs["kubeconfig"] == "[secret]"


def test_helm_releases_pinned_on_the_cluster_provider(prod):
    provider = prod.one(K8S_PROVIDER)
    ng = prod.one(NODE_GROUP)
    cluster = prod.one("nox:eks:Cluster")["urn"]
    releases = {r["inputs"]["chart"]: r for r in prod.of_type(RELEASE) if r["parent"] == cluster}  # the cluster's own charts
    # OCI charts name their registry in `chart` and have no repository options.
    assert {k: (r["inputs"]["version"], r["inputs"].get("repositoryOpts", {}).get("repo")) for k, r in releases.items()} == {
        "aws-load-balancer-controller": ("1.14.1", "https://aws.github.io/eks-charts"),
        "metrics-server": ("3.13.0", "https://kubernetes-sigs.github.io/metrics-server/"),
        "oci://public.ecr.aws/karpenter/karpenter-crd": ("1.14.1", None),
        "oci://public.ecr.aws/karpenter/karpenter": ("1.14.1", None),
    }
    for r in releases.values():
        assert r["inputs"]["namespace"] == "kube-system"
        assert r["provider"].startswith(provider["urn"] + "::")
        assert ng["urn"] in r["dependencies"]


def test_lb_controller_values_and_role(prod):
    rel = next(r for r in prod.of_type(RELEASE) if r["inputs"]["chart"] == "aws-load-balancer-controller")
    values = rel["inputs"]["values"]
    assert values["clusterName"] == "nox-prod" and values["region"] == "us-west-2"
    assert values["vpcId"].startswith("vpc-")
    sa = values["serviceAccount"]
    assert sa["name"] == "aws-load-balancer-controller" and sa["create"] is True
    role = _role_by_arn(prod, sa["annotations"]["eks.amazonaws.com/role-arn"])
    cond = json.loads(role["inputs"]["assumeRolePolicy"])["Statement"][0]["Condition"]["StringEquals"]
    assert any(v == "system:serviceaccount:kube-system:aws-load-balancer-controller" for v in cond.values())
    policy = prod.one("aws:iam/policy:Policy", "cluster-lb-controller-policy")
    assert json.loads(policy["inputs"]["policy"]) == json.loads(addons.LB_CONTROLLER_POLICY_FILE.read_text())


def _grants(plan, role):
    return {r["urn"] for r in plan.resources if r["parent"] == role["urn"] and r["type"] in (ATTACH, "aws:iam/rolePolicy:RolePolicy")}


def test_every_role_user_depends_on_the_roles_policies(prod):
    # depends_on a Role does not reach its child attachments. Without these edges EKS, nodes and
    # the controller could start before they hold their permissions, and a destroy would detach
    # the policies first (EKS then cannot remove its ENIs/security groups, nor the controller the ALB).
    eks = prod.one(CLUSTER)
    cluster_grants = _grants(prod, _role_by_arn(prod, eks["inputs"]["roleArn"]))
    assert len(cluster_grants) == 2 and cluster_grants <= set(eks["dependencies"])  # EKS policy + KMS use
    addons = {a["inputs"]["addonName"]: a for a in prod.of_type(ADDON)}
    cni_grants = _grants(prod, _role_by_arn(prod, addons["vpc-cni"]["inputs"]["serviceAccountRoleArn"]))
    ng = prod.one(NODE_GROUP)
    node_grants = _grants(prod, _role_by_arn(prod, ng["inputs"]["nodeRoleArn"]))
    assert len(node_grants) == 3 and len(cni_grants) == 1
    assert node_grants | cni_grants <= set(ng["dependencies"])
    for name in ("vpc-cni", "aws-ebs-csi-driver"):
        grants = _grants(prod, _role_by_arn(prod, addons[name]["inputs"]["serviceAccountRoleArn"]))
        assert grants and grants <= set(addons[name]["dependencies"]), name
    rel = next(r for r in prod.of_type(RELEASE) if r["inputs"]["chart"] == "aws-load-balancer-controller")
    lb_grants = _grants(prod, _role_by_arn(prod, rel["inputs"]["values"]["serviceAccount"]["annotations"]["eks.amazonaws.com/role-arn"]))
    assert len(lb_grants) == 1 and lb_grants <= set(rel["dependencies"])


def test_kubernetes_provider_depends_on_the_admin_access_entry(prod):
    # Every Kubernetes resource is applied only once the admin role may use the API, and a destroy
    # removes them (the Ingress finalizer included) before the access entry goes.
    deps = set(prod.one(K8S_PROVIDER)["dependencies"])
    assert prod.one("aws:eks/accessEntry:AccessEntry", "cluster-admin")["urn"] in deps
    assert prod.one("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")["urn"] in deps


def test_data_tier_admits_the_cluster_security_group(prod):
    """PostgreSQL and Redis admit the pods' security group (the cluster's, which EKS creates), nothing wider."""
    eks_sg = computed(prod.one(CLUSTER))[1]["vpcConfig"]["clusterSecurityGroupId"]
    groups = {rid(prod, "aws:ec2/securityGroup:SecurityGroup", n): n for n in ("database-sg", "cache-sg")}
    rules = {
        (groups[r["inputs"]["securityGroupId"]], r["inputs"]["fromPort"], r["inputs"].get("referencedSecurityGroupId"))
        for r in prod.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if r["inputs"]["securityGroupId"] in groups and r["inputs"].get("referencedSecurityGroupId") == eks_sg
    }
    assert rules == {("database-sg", 5432, eks_sg), ("cache-sg", 6379, eks_sg)}
    assert (
        prod.one(CLUSTER)["urn"]
        in prod.one("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "database-from-app-0")["dependencies"]
    )


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_asg_platform_builds_no_cluster(plan_for, stack):
    plan = plan_for(stack, "nox:platform=asg")
    assert plan.of_type(CLUSTER) == [] and plan.of_type(K8S_PROVIDER) == []
    assert not [r for r in plan.resources if r["type"].startswith("kubernetes:")]
