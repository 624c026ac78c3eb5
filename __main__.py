"""nox-infra: the NOX API platform on AWS. Load settings, build the components, export outputs."""

import pulumi
import pulumi_aws as aws

from components import alarms as alarm_catalogue
from components import logs as app_logs
from components.alarms import Alarms, AlarmsArgs
from components.alerting import Alerting, AlertingArgs
from components.appaccess import AppAccess
from components.cache import Cache, CacheArgs
from components.dashboard import Dashboard, DashboardArgs
from components.database import APP_USER as database_app_user
from components.database import Database, DatabaseArgs
from components.dbroles import DatabaseRoles, DatabaseRolesArgs
from components.edge import Edge, EdgeArgs
from components.logs import AppLogs, AppLogsArgs
from components.network import Network, NetworkArgs
from settings import load_settings

settings = load_settings()  # raises a clean ConfigError before any resource is registered
prefix = settings.name
protect = settings.deletion_protection

provider = aws.Provider("aws", region=settings.region, default_tags={"tags": settings.tags})
opts = pulumi.ResourceOptions(providers=[provider])

# The alarm topic first: every alarm below, and the Prometheus side, publishes to it.
alerting = Alerting("alerting", AlertingArgs(settings=settings.alerting, name_prefix=prefix, protect=protect), opts)
network = Network("network", NetworkArgs(settings=settings.network, name_prefix=prefix, protect=protect), opts)
edge = Edge(
    "edge",
    EdgeArgs(
        settings=settings.edge,
        name_prefix=prefix,
        protect=protect,
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
            protect=settings.platform_protect,
            vpc_id=network.vpc.id,
            private_subnet_ids=network.private_subnet_ids,
            tags=settings.tags,
            log_key=network.log_key,
            log_retention_days=settings.network.log_retention_days,
        ),
        opts,
    )
    app_security_group_ids = [cluster.node_security_group_id]
else:
    from components.alb import Alb, AlbArgs
    from components.fleet import AppSecurityGroup, AppSecurityGroupArgs

    # Both were part of Edge: their children keep the names they had there (edge-alb, edge-app-sg, ...)
    # and aliases to it, so existing stacks keep every resource (components/edge.py FORMER_STEM).
    alb = Alb(
        "alb",
        AlbArgs(
            settings=settings.edge,
            release=settings.release,
            edge=edge,
            name_prefix=prefix,
            protect=settings.platform_protect,
            vpc_id=network.vpc.id,
            public_subnet_ids=network.public_subnet_ids,
        ),
        opts,
    )
    app_security_group = AppSecurityGroup(
        "app-security-group",
        AppSecurityGroupArgs(
            name_prefix=prefix,
            vpc_id=network.vpc.id,
            vpc_cidr=settings.network.cidr,
            alb_security_group=alb.security_group,
            formerly_under=edge,
        ),
        opts,
    )
    app_security_group_ids = [app_security_group.group.id]

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
        # A prod teardown keeps the data (policy aws-rds-instance-final-snapshot-prod); a drill or dev
        # stack's does not leave a snapshot behind (its name would block the next teardown).
        final_snapshot=protect or (settings.teardown == "stack" and settings.is_prod),
        lock_copy_vault=settings.is_prod,
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
# The app's database role (IAM login), created by the master user from inside the VPC; the app
# (ASGs, Deployments) waits for it. No app secret exists: see components/appaccess.py.
db_roles = DatabaseRoles(
    "db-roles",
    DatabaseRolesArgs(
        name_prefix=prefix,
        vpc_id=network.vpc.id,
        private_subnet_ids=network.private_subnet_ids,
        database=database,
        log_key=network.log_key,
        log_retention_days=settings.network.log_retention_days,
    ),
    opts,
)
access = AppAccess(region=settings.region, database=database, cache=cache, ready=[db_roles.invocation, cache.replication_group])

if settings.platform == "eks":
    from components.prometheus import ClusterMonitoring, ClusterMonitoringArgs
    from components.workload import Workload, WorkloadArgs

    workload = Workload(
        "workload",
        WorkloadArgs(
            settings=settings,
            cluster=cluster,
            access=access,
            edge=edge,
            db_pool_max=settings.database.pool_max,
        ),
        pulumi.ResourceOptions(providers=[provider, cluster.k8s_provider]),
    )
    # The seed's Prometheus alerts (the four application ones; the database and Redis ones are
    # CloudWatch alarms below), routed by Alertmanager to the alerting topic.
    monitoring = ClusterMonitoring(
        "monitoring",
        ClusterMonitoringArgs(
            settings=settings.prometheus,
            name_prefix=prefix,
            protect=settings.platform_protect,  # lives and goes with the cluster (a platform switch)
            region=settings.region,
            cluster=cluster,
            topic_arn=alerting.topic.arn,
            topic_key_arn=alerting.key.arn,
            pss_version=settings.eks.version,
            runbook_base_url=settings.alerting.runbook_base_url,
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
                protect=settings.platform_protect,  # asg only: a platform switch deletes it
                region=settings.region,
                topic_arn=alerting.topic.arn,
                runbook_base_url=settings.alerting.runbook_base_url,
                log_key=network.log_key,
                log_retention_days=settings.network.log_retention_days,
            ),
            opts,
        )

    logs = AppLogs(
        "logs",
        AppLogsArgs(
            name_prefix=prefix,
            groups=app_logs.asg_group_names(prefix),
            app_source=app_logs.APP,
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
            protect=settings.platform_protect,
            private_subnet_ids=network.private_subnet_ids,
            app_security_group_id=app_security_group.group.id,
            target_group_arns=alb.target_group_arns,
            access=access,
            db_pool_max=settings.database.pool_max,
            region=settings.region,
            tags=settings.tags,
            alarm_topic_arn=alerting.topic.arn,
            runbook_base_url=settings.alerting.runbook_base_url,
            prometheus=managed_prometheus,
            logs=logs,
        ),
        opts,
    )
    load_balancer = alb.load_balancer
    pulumi.export("albDnsName", load_balancer.dns_name)
    # The release driver's CloudWatch gates read per-colour ALB metrics by these dimensions.
    pulumi.export("albArnSuffix", load_balancer.arn_suffix)
    pulumi.export("targetGroupArnSuffixes", {c: tgs["app"].arn_suffix for c, tgs in alb.target_groups.items()})
    pulumi.export("autoScalingGroups", {c: g.name for c, g in fleet.groups.items()})

# --- alarms and dashboard: the same on every stack (dev included) ------------------------------------
targets = [
    *alarm_catalogue.database_targets(database.writer.identifier, database.reader_replica.identifier if database.reader_replica else None),
    *alarm_catalogue.cache_targets(cache.replication_group.replication_group_id, settings.cache.shards, settings.cache.replicas_per_shard),
    alarm_catalogue.waf_target(edge.web_acl.name, settings.region),
]
if settings.platform == "eks":
    from components.insights import ContainerInsights, ContainerInsightsArgs
    from components.workload import NAMESPACE as APP_NAMESPACE
    from components.workload import deployment_name

    logs = AppLogs(
        "logs",
        AppLogsArgs(
            name_prefix=prefix,
            groups={s: cluster.eks_cluster.name.apply(lambda n, s=s: app_logs.eks_group_name(n, s)) for s in app_logs.EKS_SOURCES},
            app_source=app_logs.EKS_APP,
            log_key=network.log_key,
            log_retention_days=settings.network.log_retention_days,
        ),
        opts,
    )
    ContainerInsights(
        "container-insights",
        ContainerInsightsArgs(
            cluster=cluster,
            kubernetes_version=settings.eks.version,
            container_log_groups=list(logs.groups.values()),
            log_key=network.log_key,
            log_retention_days=settings.network.log_retention_days,
        ),
        opts,
    )
    from components.alb import EKS_DNS_RECORD, asg_record_urns, domain_record

    controller_lb, tg_suffixes = alarm_catalogue.controller_load_balancer(cluster.eks_cluster.name, workload, provider)
    targets += alarm_catalogue.alb_targets(controller_lb.arn_suffix, tg_suffixes)
    # nox:domain -> the Ingress's ALB, as the asg path's record (components/alb.py domain_record).
    domain_record(
        EKS_DNS_RECORD,
        settings.edge,
        controller_lb.dns_name,
        controller_lb.zone_id,
        pulumi.ResourceOptions(parent=workload, aliases=asg_record_urns()),
    )
    targets += alarm_catalogue.eks_targets(cluster.eks_cluster.name, APP_NAMESPACE, {c: deployment_name(c) for c in workload.deployments})
else:
    targets += alarm_catalogue.alb_targets(
        alb.load_balancer.arn_suffix,
        {f"{c}-{kind}": tg.arn_suffix for c, tgs in alb.target_groups.items() for kind, tg in tgs.items()},
    )
# Optional log search (nox:logSearch): the app group's parsed events into an OpenSearch domain.
log_search = None
if settings.log_search.enabled:
    from components.logsearch import LogSearch, LogSearchArgs

    log_search = LogSearch(
        "log-search",
        LogSearchArgs(
            settings=settings.log_search,
            production=settings.is_prod,
            name_prefix=prefix,
            protect=protect,
            vpc_id=network.vpc.id,
            private_subnet_ids=network.private_subnet_ids,
            source=logs.groups[app_logs.EKS_APP if settings.platform == "eks" else app_logs.APP],
            source_ready=logs,
            log_key=network.log_key,
            log_retention_days=settings.network.log_retention_days,
        ),
        opts,
    )
targets += app_logs.targets()
catalogue = alarm_catalogue.checks(
    settings.alerting,
    max_connections=settings.database.max_connections,
    allocated_storage_gib=settings.database.allocated_storage,
    memory_gib=settings.database.memory_gib,
) + app_logs.checks(app_logs.metric_namespace(prefix))
Alarms(
    "alarms",
    AlarmsArgs(
        name_prefix=prefix,
        topic_arn=alerting.topic.arn,
        checks=catalogue,
        targets=tuple(targets),
        runbook_base_url=settings.alerting.runbook_base_url,
    ),
    opts,
)
dashboard = Dashboard("dashboard", DashboardArgs(name_prefix=prefix, region=settings.region, targets=tuple(targets)), opts)

pulumi.export("alertTopicArn", alerting.topic.arn)
pulumi.export("alertKeyArn", alerting.key.arn)
pulumi.export("dashboardName", dashboard.dashboard.dashboard_name)
pulumi.export("vpcId", network.vpc.id)
pulumi.export("privateSubnetIds", network.private_subnet_ids)
pulumi.export("certificateArn", edge.certificate_arn)
pulumi.export("webAclArn", edge.web_acl.arn)
pulumi.export("trafficWeights", settings.release.weights)
pulumi.export("databaseEndpoint", database.writer.address)
pulumi.export("databaseReaderEndpoint", database.reader_replica.address if database.reader_replica else None)
pulumi.export("redisConfigurationEndpoint", cache.replication_group.configuration_endpoint_address)
pulumi.export("databaseMasterSecretArn", database.master_secret_arn)  # RDS-managed; administrators only
pulumi.export("databaseAppUser", database_app_user)
pulumi.export("redisAppUser", cache.app_user.user_name)
pulumi.export("dbRolesFunction", db_roles.function.name)  # reusable for migrations (docs/app-contract.md)
pulumi.export("dbPoolMax", settings.database.pool_max)
pulumi.export("logGroups", {source: group.name for source, group in logs.groups.items()})
pulumi.export("logSearchEndpoint", log_search.domain.endpoint if log_search else None)  # docs/logs.md, "Search (optional)"
