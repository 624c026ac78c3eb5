"""Application secrets: DATABASE_URL, DATABASE_READONLY_URL and REDIS_URL in one Secrets Manager secret.

The value is built from Pulumi secrets and stays one (wrapped explicitly, not left to propagation);
the secret has its own customer KMS key. Readers (the fleet's instance role, the EKS workload's
role) attach `read_policy_json()`: read this secret, decrypt through Secrets Manager, nothing else.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from .kms import encryption_key

READ_ACTIONS = ("secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret")
# Days a deleted secret can still be restored (7 is the minimum; 0 would delete at once).
RECOVERY_DAYS_PROTECTED = 30
RECOVERY_DAYS = 7


def secret_value(database_url: str, database_readonly_url: str | None, redis_url: str) -> str:
    """The JSON the app reads: one key per environment variable."""
    value = {"DATABASE_URL": database_url}
    if database_readonly_url is not None:
        value["DATABASE_READONLY_URL"] = database_readonly_url
    value["REDIS_URL"] = redis_url
    return json.dumps(value)


@dataclass(frozen=True)
class AppSecretsArgs:
    name_prefix: str
    protect: bool
    database_url: pulumi.Output[str]
    database_readonly_url: pulumi.Output[str] | None
    redis_url: pulumi.Output[str]


class AppSecrets(pulumi.ComponentResource):
    """One secret per stack with the app's connection URLs, readable only through `read_policy_json()`."""

    secret: aws.secretsmanager.Secret
    key: aws.kms.Key
    database_url: pulumi.Output[str]
    database_readonly_url: pulumi.Output[str] | None
    redis_url: pulumi.Output[str]
    secret_string: pulumi.Output[str]  # the stored JSON (secret)

    def __init__(self, name: str, args: AppSecretsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("nox:data:AppSecrets", name, None, opts)
        prefix = args.name_prefix
        self.database_url = args.database_url
        self.database_readonly_url = args.database_readonly_url
        self.redis_url = args.redis_url
        self._region = aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=self)).region

        self.key = encryption_key(
            f"{prefix}-app-secrets", description=f"{prefix} application secrets (Secrets Manager)", parent=self, protect=args.protect
        )
        self.secret = aws.secretsmanager.Secret(
            f"{name}-secret",
            name_prefix=f"{prefix}/app-",
            description=f"{prefix} NOX API connection URLs: DATABASE_URL, DATABASE_READONLY_URL, REDIS_URL",
            kms_key_id=self.key.arn,
            recovery_window_in_days=RECOVERY_DAYS_PROTECTED if args.protect else RECOVERY_DAYS,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        self.secret_string = pulumi.Output.secret(
            pulumi.Output.all(args.database_url, args.database_readonly_url, args.redis_url).apply(lambda a: secret_value(*a))
        )
        # Never protected: a changed value (new endpoint, rotated password) replaces the version.
        aws.secretsmanager.SecretVersion(
            f"{name}-value",
            secret_id=self.secret.id,
            secret_string=self.secret_string,
            opts=pulumi.ResourceOptions(parent=self, protect=False),
        )
        self.register_outputs({"secretArn": self.secret.arn})

    def read_policy_json(self) -> pulumi.Output[str]:
        """IAM policy (JSON) for a reader: this secret's value and metadata, and its key only via Secrets Manager."""
        return pulumi.Output.all(self.secret.arn, self.key.arn, self._region).apply(
            lambda a: json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {"Sid": "ReadAppSecret", "Effect": "Allow", "Action": list(READ_ACTIONS), "Resource": a[0]},
                        {
                            "Sid": "DecryptAppSecret",
                            "Effect": "Allow",
                            "Action": "kms:Decrypt",
                            "Resource": a[1],
                            "Condition": {"StringEquals": {"kms:ViaService": f"secretsmanager.{a[2]}.amazonaws.com"}},
                        },
                    ],
                }
            )
        )
