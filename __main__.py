"""nox-infra: the NOX API platform on AWS. Load settings, build the components, export outputs."""

import pulumi
import pulumi_aws as aws

from components.cache import Cache, CacheArgs
from components.database import Database, DatabaseArgs
from components.edge import Edge, EdgeArgs
from components.network import Network, NetworkArgs
from components.prometheus import StandInAlerts  # TODO(lead): remove with the stand-in topic below
from components.secrets import AppSecrets, AppSecretsArgs
from settings import load_settings

settings = load_settings()  # raises a clean ConfigError before any resource is registered
prefix = settings.name
protect = settings.deletion_protection

provider = aws.Provider("aws", region=settings.region, default_tags={"tags": settings.tags})
opts = pulumi.ResourceOptions(providers=[provider])

network = Network("network", NetworkArgs(settings=settings.network, name_prefix=prefix, protect=protect), opts)
edge = Edge(
    "edge",
    EdgeArgs(
        settings=settings.edge,
        release=settings.release,
        platform=settings.platform,
        name_prefix=prefix,
        protect=protect,
        vpc_id=network.vpc.id,
        vpc_cidr=settings.network.cidr,
        public_subnet_ids=network.public_subnet_ids,
        log_key=network.log_key,
        log_retention_days=settings.network.log_retention_days,
    ),
    opts,
)

if settings.platform == "eks":
    from components.cluster import Cluster, ClusterArgs

    cluster = Cluster(
        "cluster",
        ClusterArgs(
            settings=settings.eks,
            name_prefix=prefix,
            protect=protect,
            vpc_id=network.vpc.id,
            private_subnet_ids=network.private_subnet_ids,
            log_key=network.log_key,
            log_retention_days=settings.network.log_retention_days,
        ),
        opts,
    )
    app_security_group_ids = [cluster.node_security_group_id]
else:
    app_security_group_ids = [edge.app_security_group.id]

database = Database(
    "database",
    DatabaseArgs(
        settings=settings.database,
        name_prefix=prefix,
        protect=protect,
        vpc_id=network.vpc.id,
        data_subnet_ids=network.data_subnet_ids,
        app_security_group_ids=app_security_group_ids,
        log_key=network.log_key,
        log_retention_days=settings.network.log_retention_days,
    ),
    opts,
)
cache = Cache(
    "cache",
    CacheArgs(
        settings=settings.cache,
        name_prefix=prefix,
        protect=protect,
        vpc_id=network.vpc.id,
        data_subnet_ids=network.data_subnet_ids,
        app_security_group_ids=app_security_group_ids,
        log_key=network.log_key,
        log_retention_days=settings.network.log_retention_days,
    ),
    opts,
)
# TODO(lead): replace with alerting.topic and its key (components/alerting.py), then delete StandInAlerts.
alerts = StandInAlerts("alerts-standin", prefix, protect, opts)
alerts_topic, alerts_key = alerts.topic, alerts.key

secrets = AppSecrets(
    "app-secrets",
    AppSecretsArgs(
        name_prefix=prefix,
        protect=protect,
        database_url=database.url,
        database_readonly_url=database.readonly_url,
        redis_url=cache.url,
    ),
    opts,
)

if settings.platform == "eks":
    from components.cache import PORT as CACHE_PORT
    from components.database import DB_NAME, USERNAME
    from components.database import PORT as DB_PORT
    from components.prometheus import ClusterMonitoring, ClusterMonitoringArgs, PostgresTarget, RedisTarget
    from components.workload import Workload, WorkloadArgs

    Workload(
        "workload",
        WorkloadArgs(
            settings=settings,
            cluster=cluster,
            secrets=secrets,
            edge=edge,
            db_pool_max=settings.database.pool_max,
        ),
        pulumi.ResourceOptions(providers=[provider, cluster.k8s_provider]),
    )
    monitoring = ClusterMonitoring(
        "monitoring",
        ClusterMonitoringArgs(
            settings=settings.prometheus,
            name_prefix=prefix,
            protect=protect,
            region=settings.region,
            cluster=cluster,
            topic_arn=alerts_topic.arn,
            topic_key_arn=alerts_key.arn,
            postgres=PostgresTarget(
                host=database.primary.address, port=DB_PORT, database=DB_NAME, username=USERNAME, password=database.password
            ),
            redis=RedisTarget(host=cache.replication_group.configuration_endpoint_address, port=CACHE_PORT, auth_token=cache.auth_token),
            pss_version=settings.eks.version,
            vpc_cidr=settings.network.cidr,
        ),
        pulumi.ResourceOptions(providers=[provider, cluster.k8s_provider]),
    )
    pulumi.export("clusterName", cluster.eks_cluster.name)
    pulumi.export("kubeconfig", cluster.kubeconfig)
else:
    from components.fleet import AppFleet, FleetArgs
    from components.prometheus import ManagedPrometheus, ManagedPrometheusArgs

    managed_prometheus = None
    if settings.prometheus.managed:
        managed_prometheus = ManagedPrometheus(
            "managed-prometheus",
            ManagedPrometheusArgs(
                name_prefix=prefix,
                protect=protect,
                region=settings.region,
                topic_arn=alerts_topic.arn,
                log_key=network.log_key,
                log_retention_days=settings.network.log_retention_days,
            ),
            opts,
        )

    fleet = AppFleet(
        "fleet",
        FleetArgs(
            settings=settings.fleet,
            release=settings.release,
            name_prefix=prefix,
            protect=protect,
            private_subnet_ids=network.private_subnet_ids,
            app_security_group_id=edge.app_security_group.id,
            target_group_arns=edge.target_group_arns,
            secrets=secrets,
            db_pool_max=settings.database.pool_max,
            region=settings.region,
            tags=settings.tags,
            prometheus=managed_prometheus,
        ),
        opts,
    )
    pulumi.export("albDnsName", edge.load_balancer.dns_name)
    # The release driver's CloudWatch gates read per-colour ALB metrics by these dimensions.
    pulumi.export("albArnSuffix", edge.load_balancer.arn_suffix)
    pulumi.export("targetGroupArnSuffixes", {c: tgs["app"].arn_suffix for c, tgs in edge.target_groups.items()})
    pulumi.export("autoScalingGroups", {c: g.name for c, g in fleet.groups.items()})

pulumi.export("vpcId", network.vpc.id)
pulumi.export("privateSubnetIds", network.private_subnet_ids)
pulumi.export("certificateArn", edge.certificate_arn)
pulumi.export("webAclArn", edge.web_acl.arn)
pulumi.export("trafficWeights", settings.release.weights)
pulumi.export("databaseEndpoint", database.primary.address)
pulumi.export("databaseReaderEndpoint", database.replica.address if database.replica else None)
pulumi.export("redisConfigurationEndpoint", cache.replication_group.configuration_endpoint_address)
pulumi.export("appSecretArn", secrets.secret.arn)
pulumi.export("dbPoolMax", settings.database.pool_max)
