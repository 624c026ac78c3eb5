"""What the app is given to reach its data stores: endpoints as plain settings, and an IAM policy.

There is no stored credential for the app: PostgreSQL (`rds_iam`) and Redis/Valkey (an RBAC user
in IAM mode) both take short-lived IAM tokens the app signs with its own role (the instance role
on asg, its IRSA role on eks). So nothing here is secret, nothing needs rotating or delivering,
and the endpoints go to the app as environment variables. docs/app-contract.md is the contract.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pulumi

from .cache import PORT as REDIS_PORT
from .database import APP_USER, DB_NAME
from .database import PORT as DB_PORT

if TYPE_CHECKING:
    from .cache import Cache
    from .database import Database


def access_policy(db_connect_arns: list[str], cache_connect_arns: list[str]) -> str:
    """IAM database login as the app's user only (primary and replica), and the app's cache user only."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "PostgresAsAppUser", "Effect": "Allow", "Action": "rds-db:connect", "Resource": list(db_connect_arns)},
                # ElastiCache: both the cache and the user (AWS ElastiCache User Guide, "Authenticating with IAM").
                {"Sid": "CacheAsAppUser", "Effect": "Allow", "Action": "elasticache:Connect", "Resource": list(cache_connect_arns)},
            ],
        }
    )


def connection_env(
    region: str, db_host: str, db_reader_host: str | None, redis_host: str, redis_cache: str, redis_user: str
) -> dict[str, str]:
    """The app's environment for its stores (docs/app-contract.md). No value is a secret."""
    env = {
        "AWS_REGION": region,
        "DATABASE_HOST": db_host,
        "DATABASE_PORT": str(DB_PORT),
        "DATABASE_NAME": DB_NAME,
        "DATABASE_USER": APP_USER,
        "DATABASE_AUTH": "iam",
        "DATABASE_SSLMODE": "verify-full",
    }
    if db_reader_host is not None:
        env["DATABASE_READONLY_HOST"] = db_reader_host
    env |= {
        "REDIS_HOST": redis_host,
        "REDIS_PORT": str(REDIS_PORT),
        "REDIS_CACHE_NAME": redis_cache,  # the replication group id: the host the IAM token is signed for
        "REDIS_USER": redis_user,
        "REDIS_AUTH": "iam",
        "REDIS_TLS": "true",
    }
    return env


@dataclass(frozen=True)
class AppAccess:
    region: str
    database: Database
    cache: Cache
    ready: list[pulumi.Resource] = field(default_factory=list)  # the app starts only after these (the database role)

    def env(self) -> pulumi.Output[dict[str, str]]:
        db, cache = self.database, self.cache
        reader = db.reader_replica.address if db.reader_replica else None
        rg = cache.replication_group
        return pulumi.Output.all(
            db.writer.address, reader, rg.configuration_endpoint_address, rg.replication_group_id, cache.app_user.user_name
        ).apply(lambda a: connection_env(self.region, *a))

    def policy_json(self) -> pulumi.Output[str]:
        return pulumi.Output.all(self.database.connect_arns, self.cache.connect_arns).apply(lambda a: access_policy(*a))
