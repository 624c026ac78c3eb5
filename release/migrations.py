"""Database migrations of a release: the candidate image's `nox:migrationCommand`, once, before any traffic.

Both platforms run it inside the VPC with the app's own database login (an IAM token signed by
the app's role: docs/app-contract.md), before the candidate colour is deployed:

- eks (`StackJob`): the driver sets `nox:migrationImage`; that `pulumi up` creates a
  `batch/v1` Job named by the image digest, which the Kubernetes provider awaits (components/workload.py).
- asg (`SsmMigration`): no Pulumi resource runs a command once and waits for it (an SSM State
  Manager association re-runs on every instance that joins its targets, and the candidate's
  instances do not exist yet under blue/green), so the driver sends one SSM Run Command
  (`AWS-RunShellScript`) to one healthy instance of the ACTIVE colour: it is in the VPC, has the
  app's role, Docker, and the app container whose environment (endpoints, no secret) the
  migration container reuses. The driver waits for it on its clock (GetCommandInvocation), logs
  its output; SSM keeps the invocation and its output (`aws ssm list-command-invocations --details`).
"""

from __future__ import annotations

import logging
import shlex
from collections.abc import Callable
from typing import Any, Protocol

from components import appspec

from .gates import Clock, Verdict, stamp

log = logging.getLogger("release")

MIGRATION_IMAGE = "nox:migrationImage"
MIGRATION_COMMAND = "nox:migrationCommand"
MIGRATION_TIMEOUT = "nox:migrationTimeout"
DEFAULT_COMMAND = "npm run migrate"  # the seed's `docker exec nox-api-green npm run migrate`
DEFAULT_TIMEOUT = 600
SSM_POLL = 5.0
# GetCommandInvocation statuses (botocore ssm model, CommandInvocationStatus).
SSM_RUNNING = {"Pending", "InProgress", "Delayed"}
CONTAINER_NAME = "nox-api"  # components.fleet.CONTAINER_NAME (not imported: pulumi_aws; a test ties them)
OUTPUT_TAIL = 2000  # characters of the command's output in the release log


class Migrations(Protocol):
    def changes(self, image: str) -> dict[str, str]:
        """Stack config that makes `pulumi up` run the migration (empty: it runs outside the stack)."""
        ...

    def run(self, image: str, clock: Clock, context: str) -> Verdict:
        """Run (or confirm) the migration after that update; a failed verdict rolls the release back."""
        ...


class StackJob:
    """eks: the migration is the stack's Job; the update that creates it has awaited it."""

    def changes(self, image: str) -> dict[str, str]:
        return {MIGRATION_IMAGE: image}

    def run(self, image: str, clock: Clock, context: str) -> Verdict:
        return Verdict(True, "Job completed, awaited by pulumi up")


def migration_script(image: str, command: str) -> str:
    """The shell the instance runs: pull the image (ECR login as in the user data), then run the
    command in a container with the running app container's own settings (its environment less
    the image's defaults and its colour), the same user and lockdown, on the host network
    (the role's IAM token comes from IMDS, hop limit 1)."""
    uid = appspec.RUN_AS_UID
    argv = " ".join(shlex.quote(a) for a in shlex.split(command))
    return f"""set -euo pipefail
IMAGE={shlex.quote(image)}
registry="${{IMAGE%%/*}}"
if [[ "$registry" == *.dkr.ecr.*.amazonaws.com ]]; then
  aws ecr get-login-password --region "$(cut -d. -f4 <<<"$registry")" | docker login --username AWS --password-stdin "$registry"
fi
docker pull --quiet "$IMAGE"
env_file="$(mktemp)"
trap 'rm -f "$env_file"' EXIT
running_image="$(docker inspect --format '{{{{.Image}}}}' {CONTAINER_NAME})"
comm -23 \\
  <(docker inspect --format '{{{{range .Config.Env}}}}{{{{println .}}}}{{{{end}}}}' {CONTAINER_NAME} | sort) \\
  <(docker image inspect --format '{{{{range .Config.Env}}}}{{{{println .}}}}{{{{end}}}}' "$running_image" | sort) \\
  | grep -v -e '^DEPLOYMENT_COLOR=' -e '^$' >"$env_file" || true
docker run --rm --network host --user {uid}:{uid} --init --read-only --tmpfs /tmp \\
  --cap-drop ALL --security-opt no-new-privileges --env-file "$env_file" \\
  "$IMAGE" {argv}
"""


class SsmMigration:
    """asg: SSM Run Command on one InService, healthy instance of `group` (the active colour's)."""

    def __init__(
        self,
        group: str,
        command: str,
        timeout: int,
        *,
        clients: Callable[[str], Any],
        poll: float = SSM_POLL,
        log_group: str | None = None,
    ):
        self.group, self.command, self.timeout, self.poll, self.log_group = group, command, timeout, poll, log_group
        self._clients = clients  # service name -> boto3 client (tests: moto or a stub)

    def changes(self, image: str) -> dict[str, str]:
        return {}

    def instance(self) -> str | None:
        page = self._clients("autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=[self.group])
        ids = [
            i["InstanceId"]
            for g in page.get("AutoScalingGroups", [])
            for i in g.get("Instances", [])
            if i.get("LifecycleState") == "InService" and i.get("HealthStatus") == "Healthy"
        ]
        return min(ids) if ids else None

    def run(self, image: str, clock: Clock, context: str) -> Verdict:
        try:
            target = self.instance()
            if target is None:
                return Verdict(False, f"migration: no InService healthy instance in {self.group} to run it on")
            ssm = self._clients("ssm")
            sent = ssm.send_command(
                InstanceIds=[target],
                DocumentName="AWS-RunShellScript",
                Comment=f"nox release migration {image}"[:100],  # SendCommand: Comment at most 100 characters
                Parameters={"commands": [migration_script(image, self.command)], "executionTimeout": [str(self.timeout)]},
                TimeoutSeconds=max(30, min(self.timeout, 2_592_000)),  # delivery timeout: 30 s to 30 days
                **(
                    {"CloudWatchOutputConfig": {"CloudWatchLogGroupName": self.log_group, "CloudWatchOutputEnabled": True}}
                    if self.log_group
                    else {}
                ),
            )
            command_id = sent["Command"]["CommandId"]
        except Exception as err:  # credentials, throttling, no such group: nothing ran
            return Verdict(False, f"migration: cannot start SSM Run Command: {type(err).__name__}: {err}")
        log.info("%s %s migration: SSM command %s on %s (%s), image %s", stamp(clock), context, command_id, target, self.group, image)
        return self._wait(ssm, command_id, target, clock, context)

    def _wait(self, ssm: Any, command_id: str, target: str, clock: Clock, context: str) -> Verdict:
        deadline = clock.now() + self.timeout + 60  # executionTimeout, plus delivery
        while True:
            clock.sleep(self.poll)
            try:
                inv = ssm.get_command_invocation(CommandId=command_id, InstanceId=target)
            except Exception as err:  # InvocationDoesNotExist right after SendCommand
                inv = {"Status": "Pending", "StatusDetails": f"{type(err).__name__}"}
            status = inv.get("Status", "")
            if status not in SSM_RUNNING:
                return self._finished(inv, command_id, target, clock, context)
            if clock.now() >= deadline:
                return Verdict(False, f"migration: SSM command {command_id} still {status} after {self.timeout}s")

    def _finished(self, inv: dict[str, Any], command_id: str, target: str, clock: Clock, context: str) -> Verdict:
        out = (inv.get("StandardOutputContent") or "")[-OUTPUT_TAIL:]
        err = (inv.get("StandardErrorContent") or "")[-OUTPUT_TAIL:]
        status, code = inv.get("Status"), inv.get("ResponseCode")
        level = logging.INFO if status == "Success" else logging.ERROR
        log.log(level, "%s %s migration: %s (exit %s) on %s\n--- stdout ---\n%s--- stderr ---\n%s", stamp(clock), context, status, code,
                target, out, err)  # fmt: skip
        if status == "Success":
            return Verdict(True)
        last = err.strip().splitlines()[-1:] or [inv.get("StatusDetails", "")]
        return Verdict(False, f"migration failed: SSM command {command_id} {status} (exit {code}) on {target}: {last[0][:200]}")
