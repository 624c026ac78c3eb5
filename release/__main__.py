"""CLI: `python -m release canary|bluegreen --stack <stack> --image <pinned image> [options]`.

Exit codes: 0 promoted, 1 rolled back (gate failed, `up()` failed or interrupted; the previous
state is applied again), 2 bad arguments or the release could not start (nothing changed),
3 failed (the rollback itself failed: manual intervention, the log says what to apply).
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from components.appspec import OAUTH_PROVIDERS
from settings.model import COLOURS
from settings.schema import digest_problem, image_problem, is_prod_stack

from . import checks as chk
from . import driver
from .automation import REPO_ROOT, AutomationEngine, Engine
from .gates import (
    ERROR_THRESHOLD,
    HEALTH_CHECK_INTERVAL,
    HEALTH_CHECK_TIMEOUT,
    LATENCY_FLOOR,
    LATENCY_RATIO,
    MAX_EXTENSIONS,
    METRIC_WINDOW,
    MIN_REQUESTS,
    Clock,
    LatencyRule,
    SystemClock,
    TrafficRule,
)
from .metrics import COLOUR_LABEL, HEALTH_QUERY, CloudWatchSource, MetricSetupError, MetricSource, PrometheusSource
from .migrations import DEFAULT_COMMAND, DEFAULT_TIMEOUT, MIGRATION_COMMAND, MIGRATION_TIMEOUT, Migrations, SsmMigration, StackJob

EXIT_BAD_ARGS = 2
# Stack outputs the CloudWatch source falls back to when --load-balancer / --target-group are not given.
OUTPUT_ALB_SUFFIX = "albArnSuffix"
OUTPUT_TG_SUFFIXES = "targetGroupArnSuffixes"
OUTPUT_GROUPS = "autoScalingGroups"  # asg: the group per deployed colour (the SSM migration's target)

log = logging.getLogger("release")


class UsageError(Exception):
    pass


def _stages(text: str) -> tuple[int, ...]:
    try:
        stages = tuple(int(s) for s in text.split(",") if s.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"comma-separated percentages, e.g. 1,5,10,25,50,100; got {text!r}") from None
    try:
        return driver.check_stages(stages)
    except driver.ReleaseError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _image(text: str) -> str:
    problem = image_problem(text)
    if problem:
        raise argparse.ArgumentTypeError(f"{text!r} must be {problem}")
    return text


def _number(text: str, what: str) -> float:
    """A finite decimal number: float() would also take nan, inf and 1e999."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{what}, got {text[:80]!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{what} (finite), got {text[:80]!r}")
    return value


def _seconds(text: str) -> float:
    value = _number(text, "a number of seconds")
    if not 0 <= value <= driver.MAX_SECONDS:
        raise argparse.ArgumentTypeError(f"seconds from 0 to {driver.MAX_SECONDS}, got {text!r}")
    return value


def _positive_seconds(text: str) -> float:
    value = _seconds(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be above 0, got {text!r}")
    return value


def _window(text: str) -> float:
    value = _number(text, "a whole number of seconds")
    if value != int(value) or not 1 <= value <= driver.MAX_WINDOW:
        raise argparse.ArgumentTypeError(f"a whole number of seconds from 1 to {driver.MAX_WINDOW}, got {text!r}")
    return value


def _count(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        if not text.strip().isdigit() or not low <= int(text) <= high:
            raise argparse.ArgumentTypeError(f"a whole number from {low} to {high}, got {text[:80]!r}")
        return int(text)

    return parse


def _percent(text: str) -> float:
    value = _number(text, "a percentage")
    if not 0 <= value < 100:
        raise argparse.ArgumentTypeError(f"a percentage from 0 to below 100 (a gate at 100 could never fail), got {text!r}")
    return value


def _ratio(text: str) -> float:
    value = _number(text, "a ratio")
    if not 1 <= value <= 100:
        raise argparse.ArgumentTypeError(f"a ratio from 1 to 100, got {text!r}")
    return value


def _ms(text: str) -> float:
    value = _number(text, "milliseconds")
    if not 0 <= value <= 60_000:
        raise argparse.ArgumentTypeError(f"milliseconds from 0 to 60000, got {text!r}")
    return value


def _target_group(text: str) -> tuple[str, str]:
    colour, sep, suffix = text.partition("=")
    if not sep or colour not in COLOURS:
        raise argparse.ArgumentTypeError(f"COLOUR=targetgroup/<name>/<id> with COLOUR blue or green, got {text!r}")
    return colour, suffix


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    g = common.add_argument_group("release")
    g.add_argument("--stack", required=True, help="Pulumi stack (dev, staging, prod)")
    g.add_argument("--image", required=True, type=_image, help="pinned image for the candidate colour (tag or digest)")
    g.add_argument("--work-dir", default=str(REPO_ROOT), help="the Pulumi project directory (default: this repo)")
    g.add_argument(
        "--max-error-percent",
        type=_percent,
        default=ERROR_THRESHOLD * 100,
        help="error-ratio gate: 5xx / requests in percent, strictly above fails (default 5, the seed's)",
    )
    g.add_argument("--health-timeout", type=_seconds, default=HEALTH_CHECK_TIMEOUT, help="seconds (default 300)")
    g.add_argument("--health-interval", type=_positive_seconds, default=HEALTH_CHECK_INTERVAL, help="seconds (default 10)")
    g.add_argument("--window", type=_window, default=METRIC_WINDOW, help="error-ratio window in seconds (default 60)")
    g.add_argument(
        "--min-requests",
        type=_count(1, 1_000_000),
        default=MIN_REQUESTS,
        help=f"candidate requests a stage needs before its error ratio counts (default {MIN_REQUESTS}: n x 5%% >= 10)",
    )
    g.add_argument(
        "--max-extensions",
        type=_count(0, 10),
        default=MAX_EXTENSIONS,
        help=f"times a stage with too few requests is extended by its duration before it fails (default {MAX_EXTENSIONS})",
    )
    g.add_argument(
        "--allow-no-traffic",
        action="store_true",
        help="pass a stage that still has too few requests after its extensions, logged (stacks nobody calls, e.g. dev)",
    )
    g.add_argument("--policy-pack", default="policies", help="policy pack run with every update (default: policies)")
    g.add_argument("--no-policy-pack", action="store_true", help="run updates without the policy pack")
    g.add_argument("--preview", action="store_true", help="run a preview (with the policy pack) before every update")
    m = common.add_argument_group("metrics")
    m.add_argument("--metrics", choices=("prometheus", "cloudwatch"), default="prometheus")
    m.add_argument(
        "--prometheus-url",
        default=os.environ.get("PROMETHEUS_URL"),
        help="Prometheus base URL (default: $PROMETHEUS_URL); a bearer token is read from $PROMETHEUS_TOKEN",
    )
    m.add_argument("--colour-label", default=COLOUR_LABEL, help=f"metric label holding the colour (default {COLOUR_LABEL})")
    m.add_argument(
        "--health-query",
        default=HEALTH_QUERY,
        help="PromQL that is >= 1 when every target of {colour} is healthy; {label} is the colour label (default: %(default)s)",
    )
    m.add_argument("--region", help="AWS region for CloudWatch (default: the stack's aws:region)")
    m.add_argument("--load-balancer", help=f"ALB ARN suffix app/<name>/<id> (default: stack output {OUTPUT_ALB_SUFFIX})")
    m.add_argument(
        "--target-group",
        type=_target_group,
        action="append",
        default=[],
        metavar="COLOUR=SUFFIX",
        help=f"target-group ARN suffix per colour (default: stack output {OUTPUT_TG_SUFFIXES})",
    )

    k = common.add_argument_group("integration checks and latency (on the candidate, through X-Canary-User: true)")
    k.add_argument("--candidate-url", help="base URL the checks call (default: https://<nox:domain> of the stack)")
    k.add_argument("--no-checks", action="store_true", help="skip the integration checks and the success-rate watch")
    k.add_argument("--oauth-providers", default=",".join(OAUTH_PROVIDERS), help="comma-separated (default: %(default)s)")
    k.add_argument("--oauth-path", default=chk.OAUTH_PATH, help="{provider} is replaced (default: %(default)s)")
    k.add_argument("--ws-path", default=chk.WS_PATH, help="WebSocket path answering ping with pong (default: %(default)s)")
    k.add_argument("--ws-timeout", type=_positive_seconds, default=chk.WS_TIMEOUT, help="seconds for the pong (default 10)")
    k.add_argument("--ai-security", action="store_true", help="the AI security endpoint is enabled: it must answer 401 or 200")
    k.add_argument("--ai-security-path", default=chk.AI_SECURITY_PATH, help="(default: %(default)s)")
    k.add_argument("--http-timeout", type=_positive_seconds, default=chk.HTTP_TIMEOUT, help="seconds per check request (default 10)")
    k.add_argument("--success-watch", type=_positive_seconds, default=chk.SUCCESS_WATCH, help="seconds of /health polling (default 60)")
    k.add_argument(
        "--min-success-percent", type=_percent, default=chk.MIN_SUCCESS * 100, help="share of /health answering 200 (default 95)"
    )
    k.add_argument("--latency-ratio", type=_ratio, default=LATENCY_RATIO, help="candidate p95 / stable p95 that fails (default 1.5)")
    k.add_argument("--latency-floor-ms", type=_ms, default=LATENCY_FLOOR * 1000, help="p95 below which nothing fails (default 200)")
    k.add_argument("--no-latency-gate", action="store_true", help="judge stages on the error ratio only")

    parser = argparse.ArgumentParser(prog="python -m release", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="strategy", required=True)
    c = sub.add_parser("canary", parents=[common], help="weighted canary: 1,5,10,25,50,100 %% then promote")
    c.add_argument("--stages", type=_stages, default=driver.CANARY_STAGES, help="comma-separated percentages ending in 100")
    c.add_argument("--stage-duration", type=_seconds, default=driver.STAGE_DURATION, help="seconds per stage (default 300)")
    c.add_argument("--poll", type=_positive_seconds, default=driver.CANARY_POLL, help="seconds between metric checks (default 30)")
    b = sub.add_parser("bluegreen", parents=[common], help="deploy idle colour, switch all traffic, watch, switch back on failure")
    b.add_argument(
        "--watch", type=_seconds, default=driver.BLUE_GREEN_WATCH, help="seconds watched before and after the switch (default 60)"
    )
    b.add_argument("--poll", type=_positive_seconds, default=driver.BLUE_GREEN_POLL, help="seconds between checks (default 10)")
    b.add_argument("--no-pre-switch-check", action="store_true", help="skip the X-Canary-User check before the switch")
    return parser


def make_engine(args: argparse.Namespace) -> Engine:
    packs = [] if args.no_policy_pack else [args.policy_pack]
    for pack in packs:
        if not Path(args.work_dir, pack, "PulumiPolicy.yaml").is_file():
            raise UsageError(
                f"policy pack {pack!r} not found under {args.work_dir} (PulumiPolicy.yaml); pass --policy-pack PATH or --no-policy-pack"
            )
    return AutomationEngine(
        args.stack, work_dir=args.work_dir, policy_packs=packs, preview_first=args.preview, message=f"release {args.strategy} {args.image}"
    )


def make_metrics(args: argparse.Namespace, engine: Engine) -> MetricSource:
    if args.metrics == "prometheus":
        if not args.prometheus_url:
            raise UsageError("--metrics prometheus needs --prometheus-url (or $PROMETHEUS_URL)")
        return PrometheusSource(
            args.prometheus_url,
            label=args.colour_label,
            health_template=args.health_query,
            token=os.environ.get("PROMETHEUS_TOKEN") or None,
        )
    lb, tgs = args.load_balancer, dict(args.target_group)
    if not lb or set(tgs) != set(COLOURS):
        outputs = _outputs(engine)
        lb = lb or outputs.get(OUTPUT_ALB_SUFFIX)
        tgs = {**(outputs.get(OUTPUT_TG_SUFFIXES) or {}), **tgs}
    if not lb or set(tgs) < set(COLOURS):
        raise UsageError(
            "--metrics cloudwatch needs the ALB and both target-group ARN suffixes: --load-balancer "
            "app/<name>/<id> --target-group blue=targetgroup/... --target-group green=targetgroup/... "
            f"(or stack outputs {OUTPUT_ALB_SUFFIX} and {OUTPUT_TG_SUFFIXES})"
        )
    region = args.region or engine.get_config().get("aws:region")
    source = CloudWatchSource(lb, tgs, region=region)
    source.connect()  # fail now (boto3 missing) rather than count blind polls mid-release
    return source


def _outputs(engine: Engine) -> dict[str, Any]:
    read_outputs = getattr(engine, "outputs", None)
    if not callable(read_outputs):
        return {}
    try:
        outputs: dict[str, Any] = read_outputs()
        return outputs
    except Exception as err:  # no stack outputs to fall back on
        log.warning("cannot read stack outputs: %s", err)
        return {}


def make_migrations(args: argparse.Namespace, engine: Engine) -> Migrations | None:
    """eks: the stack's Job; asg: SSM Run Command on the active colour's group; None without a command."""
    cfg = engine.get_config()
    command = cfg.get(MIGRATION_COMMAND, DEFAULT_COMMAND)
    if not command:
        return None
    if cfg.get("nox:platform", "asg") == "eks":
        return StackJob()
    active = cfg.get(driver.ACTIVE, "blue")
    outputs = _outputs(engine)
    group = (outputs.get(OUTPUT_GROUPS) or {}).get(active)
    if not group:
        raise UsageError(f"the asg migration runs on the active colour's group: stack output {OUTPUT_GROUPS} has no {active!r}")
    region = args.region or cfg.get("aws:region")
    try:
        import boto3
    except ImportError:
        raise MetricSetupError("the asg migration needs boto3: make setup installs it (requirements.lock)") from None
    session = boto3.Session(region_name=region)
    # The command's output also goes to the stack's system log group (components/logs.py), where
    # the instance role's CloudWatchAgentServerPolicy lets the SSM agent write it.
    log_group = (outputs.get("logGroups") or {}).get("system")
    return SsmMigration(group, command, int(cfg.get(MIGRATION_TIMEOUT, DEFAULT_TIMEOUT)), clients=session.client, log_group=log_group)


def make_checks(args: argparse.Namespace, engine: Engine) -> chk.HttpChecks | None:
    if args.no_checks:
        return None
    url = args.candidate_url or (f"https://{domain}" if (domain := engine.get_config().get("nox:domain")) else "")
    if not url:
        raise UsageError("the integration checks need --candidate-url (the stack has no nox:domain), or pass --no-checks")
    try:
        cfg = chk.CheckConfig(
            url,
            providers=tuple(p for p in args.oauth_providers.split(",") if p.strip()),
            oauth_path=args.oauth_path,
            ws_path=args.ws_path,
            ws_timeout=args.ws_timeout,
            ai_security=args.ai_security,
            ai_security_path=args.ai_security_path,
            http_timeout=args.http_timeout,
            success_watch=args.success_watch,
            min_success=args.min_success_percent / 100,
        )
    except ValueError as err:
        raise UsageError(str(err)) from None
    return chk.HttpChecks(cfg)


def _raise_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(
    argv: Sequence[str] | None = None,
    *,
    engine_factory: Callable[[argparse.Namespace], Engine] = make_engine,
    metrics_factory: Callable[[argparse.Namespace, Engine], MetricSource] = make_metrics,
    migrations_factory: Callable[[argparse.Namespace, Engine], Migrations | None] = make_migrations,
    checks_factory: Callable[[argparse.Namespace, Engine], driver.Checks | None] = make_checks,
    clock: Clock | None = None,
) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(levelname)-7s %(message)s", stream=sys.stderr)
    log.setLevel(logging.INFO)
    if is_prod_stack(args.stack) and digest_problem(args.image):
        print(f"error: --image {args.image!r}: must be {digest_problem(args.image)}", file=sys.stderr)
        return EXIT_BAD_ARGS
    try:
        engine = engine_factory(args)
        metrics = metrics_factory(args, engine)
        migrations = migrations_factory(args, engine)
        checks = checks_factory(args, engine)
    except (UsageError, MetricSetupError) as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_BAD_ARGS
    except Exception as err:  # no CLI, no stack, no credentials: nothing has changed yet
        print(f"error: the release could not start (nothing changed): {type(err).__name__}: {str(err)[:300]}", file=sys.stderr)
        return EXIT_BAD_ARGS
    common = {
        "error_threshold": args.max_error_percent / 100,
        "health_timeout": args.health_timeout,
        "health_interval": args.health_interval,
        "window": args.window,
        "traffic": TrafficRule(args.min_requests, args.max_extensions, pass_thin=args.allow_no_traffic),
        "migrations": migrations,
        "checks": checks,
        "latency": None if args.no_latency_gate else LatencyRule(args.latency_ratio, args.latency_floor_ms / 1000, args.min_requests),
    }
    # The seed traps INT and TERM: both roll back.
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        if args.strategy == "canary":
            result = driver.canary(
                engine,
                metrics,
                clock or SystemClock(),
                args.image,
                stages=args.stages,
                stage_duration=args.stage_duration,
                poll=args.poll,
                **common,
            )
        else:
            result = driver.blue_green(
                engine,
                metrics,
                clock or SystemClock(),
                args.image,
                watch_duration=args.watch,
                poll=args.poll,
                pre_switch_check=not args.no_pre_switch_check,
                **common,
            )
    except driver.ReleaseError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_BAD_ARGS
    except KeyboardInterrupt:  # before the release started (reading config): nothing changed
        print("interrupted before any change", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)
    print(result.summary())
    return result.exit_code


if __name__ == "__main__":
    sys.exit(main())
