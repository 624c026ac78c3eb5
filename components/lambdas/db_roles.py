"""Lambda handler: run SQL as the RDS master user, from inside the VPC.

`pulumi up` invokes it (aws.lambda_.Invocation, synchronous) with
    {"secretArn": ..., "host": ..., "port": 5432, "database": ..., "statements": [...]}
It reads the master credentials from the RDS-managed secret (they never leave AWS, never reach
Pulumi state), connects with TLS verified against the RDS CA bundle of its region, runs the
statements in one transaction and returns how many ran. Any error raises: the invocation fails,
and with it the deploy. The statements are the caller's: the app's database role today
(components/dbroles.py), per-release migrations later.
"""

from __future__ import annotations

import json
import os
import ssl
import urllib.request
from typing import Any

# AWS RDS User Guide, "Using SSL/TLS to encrypt a connection to a DB instance": regional bundles.
CA_BUNDLE_URL = "https://truststore.pki.rds.amazonaws.com/{region}/{region}-bundle.pem"
APPLICATION_NAME = "nox-db-roles"


def tls_context(region: str) -> ssl.SSLContext:
    """verify-full against the RDS CAs (the bundle itself is fetched over verified HTTPS)."""
    with urllib.request.urlopen(CA_BUNDLE_URL.format(region=region), timeout=10) as response:
        bundle = response.read().decode()
    return ssl.create_default_context(cadata=bundle)


def master_credentials(secret_arn: str) -> dict[str, str]:
    import boto3  # in the Lambda runtime

    value = boto3.client("secretsmanager").get_secret_value(SecretId=secret_arn)["SecretString"]
    secret = json.loads(value)
    return {"user": secret["username"], "password": secret["password"]}


def run(connection: Any, statements: list[str]) -> int:
    """All statements or none."""
    connection.run("BEGIN")
    try:
        for statement in statements:
            connection.run(statement)
    except Exception:
        connection.run("ROLLBACK")
        raise
    connection.run("COMMIT")
    return len(statements)


def handler(event: dict[str, Any], context: Any = None, connect: Any = None) -> dict[str, Any]:
    statements = event["statements"]
    if not statements or not all(isinstance(s, str) and s.strip() for s in statements):
        raise ValueError("statements: a non-empty list of SQL strings")
    if connect is None:
        import pg8000.native

        connect = pg8000.native.Connection
    connection = connect(
        host=event["host"],
        port=int(event["port"]),
        database=event["database"],
        ssl_context=tls_context(os.environ["AWS_REGION"]),
        timeout=60,
        application_name=APPLICATION_NAME,
        **master_credentials(event["secretArn"]),
    )
    try:
        return {"statements": run(connection, statements)}
    finally:
        connection.close()
