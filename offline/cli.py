"""`python -m offline plan|check`: the offline plan and the saved-plan policy re-check.

Contract (scripts and CI rely on it; `make plan` / `make check` pass ARGS through):

    python -m offline plan --stack dev [--format tree|json|markdown|mermaid|dot] [--output FILE]
                           [--set ns:key=value ...] [--policy-config FILE] [--debug]
    python -m offline check PLAN.json [--format tree|json|markdown|mermaid|dot] [--output FILE]
                           [--policy-config FILE] [--debug]
    python -m offline diff BASE.json HEAD.json [...] [--format tree|json|markdown]   (offline/diff.py)
    python -m offline export PLAN.json --format terraform-plan [--output FILE]      (offline/export.py)

Stages of `plan`: config -> program under mocks -> secret-leak check -> AWS API preflight
(offline/preflight, docs/preflight.md) -> policy pack -> report. `check` re-runs the preflight and
the policy pack over the saved document's resources.

Exit codes, plan: 0 planned, no preflight violation and no mandatory policy violation; 1 an AWS API
preflight violation or a mandatory policy violation; 2 invalid configuration (nothing was
registered); 3 any other failure (a secret in clear text included).
Exit codes, check: 0 clean; 1 a preflight violation or a mandatory policy violation; 2 unreadable or
invalid plan file; 3 any other failure.
Through make (`make plan`, `make check`), any non-zero exit of these commands becomes make's own
exit status 2 (GNU make reports a failed recipe that way); call `python -m offline` directly to
tell the cases apart.

With `--format json` stdout (or FILE) holds only the plan document (its `preflight` section and
`estimates` included); policy results and the preflight summary go to stderr. `mermaid` and `dot`
draw the components and their dependencies.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import traceback
from pathlib import Path
from typing import Any

from . import report
from .config import StackConfigError, read_stack_config

ROOT = Path(__file__).resolve().parent.parent
FORMATS = ("tree", "json", "markdown", "mermaid", "dot")  # mermaid/dot: the component diagram (docs/estimates.md)

EXIT_OK, EXIT_POLICY, EXIT_CONFIG, EXIT_FAILURE = 0, 1, 2, 3


class UsageError(Exception):
    """A bad flag value (e.g. an unreadable --policy-config): exit 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m offline",
        description=(
            "Offline plan of the nox-infra Pulumi program under Pulumi's mock engine (no cloud, no CLI), "
            "with the nox-security policy pack evaluated over every registered resource."
        ),
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="{plan,check,diff,export}")

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--format", choices=FORMATS, default="tree", help="report format (default: tree)")
    common.add_argument("--output", metavar="FILE", help="write the report to FILE instead of stdout")
    common.add_argument(
        "--policy-config", metavar="FILE", help="policy pack config JSON, as for `pulumi preview --policy-pack-config` (enforcement levels)"
    )
    common.add_argument("--debug", action="store_true", help="print the traceback of an unexpected failure")

    plan = sub.add_parser(
        "plan",
        parents=[common],
        help="run the program for a stack and report what it would create",
        description="Run __main__.py for STACK under the mock engine; check every mapped input against the AWS API "
        "(preflight); report resources, preflight and policy results. "
        "Exit 0 ok, 1 preflight or mandatory policy violation, 2 invalid configuration, 3 other failure. "
        "(Through make, any failure exits 2.)",
    )
    plan.add_argument("--stack", default="dev", help="stack name: reads Pulumi.yaml + Pulumi.<stack>.yaml (default: dev)")
    plan.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NS:KEY=VALUE",
        help="override a config value for this plan only (repeatable), e.g. --set nox:platform=asg",
    )
    plan.set_defaults(func=cmd_plan)

    check = sub.add_parser(
        "check",
        parents=[common],
        help="re-check a saved `--format json` plan: AWS API preflight and policy pack",
        description="Run the AWS API preflight and the policy pack over a saved plan without running the program. "
        "Exit 0 clean, 1 preflight or mandatory policy violation, 2 unreadable or invalid plan, 3 other failure. "
        "(Through make, any failure exits 2.)",
    )
    check.add_argument("plan_file", metavar="PLAN.json", help="a plan written by `plan --format json`")
    check.set_defaults(func=cmd_check)

    from . import diff, export  # their own modules: diff of two plans, Terraform-plan export for scanners

    diff.add_parser(sub)
    export.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
        return code
    except UsageError as err:
        _err(f"error: {err}")
        return EXIT_CONFIG
    except KeyboardInterrupt:
        _err("interrupted")
        return 130


def exit_now(code: int) -> None:
    """Flush and leave without the interpreter's teardown.

    A plan leaves about a million live objects (mostly the provider SDK modules); tearing them down
    one by one costs 0.5-1 s and does nothing useful for a finished command. Reports are written
    and files closed before this point; only stdout and stderr need flushing.
    """
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # e.g. BrokenPipeError when piped into `head`
            stream.flush()
    os._exit(code)


# --- helpers ---------------------------------------------------------------------------------


def _err(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _fail(what: str, err: BaseException, debug: bool) -> int:
    _err(f"error: {what}: {type(err).__name__}: {err}")
    if debug:
        traceback.print_exception(err)
    else:
        _err("(run with --debug for the traceback)")
    return EXIT_FAILURE


def _policy_config(path: str | None) -> dict[str, Any] | None:
    if path is None:
        return None
    try:
        config = json.loads(Path(path).read_text())
    except OSError as err:
        raise UsageError(f"--policy-config {path}: cannot read: {err.strerror or err}") from None
    except ValueError as err:
        raise UsageError(f"--policy-config {path}: not valid JSON: {err}") from None
    if not isinstance(config, dict):
        raise UsageError(f"--policy-config {path}: must be a JSON object of policy name -> level or settings")
    return config


def evaluate(doc: dict[str, Any], policy_config: dict[str, Any] | None) -> list[Any]:
    """The policy pack over a plan document: the one path both `plan` and `check` take."""
    from . import policycheck

    try:
        return list(policycheck.evaluate(doc, config=policy_config))
    except policycheck.PolicyConfigError as err:
        raise UsageError(f"--policy-config: {err}") from None


def preflight(doc: dict[str, Any]) -> bool:
    """The AWS API preflight over a plan document; stores its `preflight` section. True when clean."""
    from . import preflight as aws_preflight

    doc["preflight"] = aws_preflight.run(doc).to_json()
    return not doc["preflight"]["violations"]


def _failed(doc: dict[str, Any], violations: list[Any]) -> int:
    from . import policycheck

    clean = not (doc.get("preflight") or {}).get("violations")
    return EXIT_POLICY if policycheck.has_mandatory(violations) or not clean else EXIT_OK


def _render(fmt: str, doc: dict[str, Any], violations: list[Any]) -> str:
    from . import policycheck

    if fmt == "json":
        return report.to_json(report.with_estimates(doc))
    if fmt in ("mermaid", "dot"):
        return _diagram(fmt, doc)
    if fmt == "markdown":
        return report.markdown(doc, violations)
    return (
        report.tree(doc)
        + "\n"
        + report.preflight_tree(doc["preflight"])
        + "\nPolicies:\n"
        + _indent(policycheck.format_violations(violations))
        + "\n"
    )


def _diagram(fmt: str, doc: dict[str, Any]) -> str:
    from . import estimates
    from .estimates import diagram

    text: str = getattr(diagram, fmt)(doc, estimates.estimate(doc))
    return text


def _indent(text: str) -> str:
    return "\n".join(("    " + line) if line else line for line in text.rstrip("\n").splitlines())


def _write(text: str, output: str | None) -> None:
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    try:
        Path(output).write_text(text)
    except OSError as err:
        raise UsageError(f"--output {output}: cannot write: {err.strerror or err}") from None


# --- plan ------------------------------------------------------------------------------------


def cmd_plan(args: argparse.Namespace) -> int:
    policy_config = _policy_config(args.policy_config)
    records: list[dict[str, Any]] = []
    try:
        config = read_stack_config(ROOT, args.stack, args.set)
        if str(ROOT) not in sys.path:
            sys.path.insert(0, str(ROOT))
        from settings import ConfigError

        from . import engine
    except StackConfigError as err:
        _err(f"error: invalid configuration for stack {args.stack!r}: {err}\n(nothing was registered)")
        return EXIT_CONFIG
    except Exception as err:
        return _fail("cannot start the offline plan", err, args.debug)

    try:
        # Whatever the program prints must not corrupt a JSON report on stdout.
        with contextlib.redirect_stdout(sys.stderr):
            plan = engine.run(args.stack, config=config, records=records)
    except ConfigError as err:
        problems = getattr(err, "problems", None) or [str(err)]
        registered = "nothing was registered" if not records else f"{len(records)} resource(s) were registered first"
        _err(f"error: invalid configuration for stack {args.stack!r} ({registered}):\n  " + "\n  ".join(problems))
        return EXIT_CONFIG
    except Exception as err:
        return _fail(f"offline plan of stack {args.stack!r} failed", err, args.debug)

    # Policies see the document exactly as a saved plan file holds it: `check` gives the same answer.
    doc = json.loads(json.dumps(plan.to_json()))
    leaks = secret_leaks(doc)
    if leaks:
        _err(
            "error: secret values reach the plan in clear text, so `pulumi up` would store them unencrypted:\n  "
            + "\n  ".join(leaks[:20])
            + ("\n  ..." if len(leaks) > 20 else "")
            + "\nRead secret config with Config.get_secret/require_secret and keep values derived from secrets "
            "in pulumi.Output.secret."
        )
        return EXIT_FAILURE
    try:
        preflight(doc)
    except Exception as err:
        return _fail("AWS API preflight failed", err, args.debug)
    try:
        violations = evaluate(doc, policy_config)
    except UsageError:
        raise
    except Exception as err:
        return _fail("policy evaluation failed", err, args.debug)
    return _finish(args, doc, violations)


def secret_leaks(doc: dict[str, Any]) -> list[str]:
    """Where a mock secret (a `secure:` config placeholder or a generated secret) shows in clear text.

    Every such value is marked secret when the mocks hand it out; finding one unredacted means the
    program dropped the secret marking on the way, exactly what would leak in a real state file.
    """
    from .mocks import MOCK_SECRET_PREFIX  # also the start of the `secure:` placeholder

    found: list[str] = []

    def walk(value: Any, where: str) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                walk(item, f"{where}.{key}")
        elif isinstance(value, list):
            for i, item in enumerate(value):
                walk(item, f"{where}[{i}]")
        elif isinstance(value, str) and MOCK_SECRET_PREFIX in value:
            found.append(where)

    for res in doc["resources"]:
        walk(res["inputs"], f"{res['type']} {res['name']}: inputs")
    walk(doc["outputs"], "stack outputs")
    return found


def _finish(args: argparse.Namespace, doc: dict[str, Any], violations: list[Any]) -> int:
    from . import policycheck

    _write(_render(args.format, doc, violations), args.output)
    if args.output:
        _err(f"wrote {args.format} plan of {doc['project']}/{doc['stack']} ({report.total(doc)} resources) to {args.output}")
    if args.format == "json" or args.output:
        for warning in doc.get("warnings", []):
            _err(f"warning: {warning}")
        _err(report.preflight_tree(doc["preflight"]).rstrip("\n"))
        _err(policycheck.format_violations(violations))
    return _failed(doc, violations)


# --- check -----------------------------------------------------------------------------------


class PlanFileError(Exception):
    pass


def load_plan(path: str) -> dict[str, Any]:
    """Read and validate a saved plan; PlanFileError says why it cannot be used."""
    try:
        text = Path(path).read_text()
    except FileNotFoundError:
        raise PlanFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise PlanFileError(f"{path}: is a directory, not a plan file") from None
    except OSError as err:
        raise PlanFileError(f"{path}: cannot read: {err.strerror or err}") from None
    except UnicodeDecodeError:
        raise PlanFileError(f"{path}: not a text file") from None
    try:
        doc: dict[str, Any] = json.loads(text)
    except ValueError as err:
        raise PlanFileError(f"{path}: not valid JSON: {err}") from None
    except RecursionError:
        raise PlanFileError(f"{path}: JSON nested too deeply to be a plan document") from None
    try:
        report.validate(doc)
    except report.PlanSchemaError as err:
        raise PlanFileError(f"{path}: not a plan document (docs/plan-schema.md): {err}") from None
    return doc


def cmd_check(args: argparse.Namespace) -> int:
    from . import policycheck

    policy_config = _policy_config(args.policy_config)
    try:
        doc = load_plan(args.plan_file)
    except PlanFileError as err:
        _err(f"error: {err}")
        return EXIT_CONFIG
    try:
        preflight(doc)  # recomputed from the resources: a stored section is never trusted
    except Exception as err:
        return _fail("AWS API preflight failed", err, args.debug)
    try:
        violations = evaluate(doc, policy_config)
    except UsageError:
        raise
    except policycheck.PlanError as err:
        _err(f"error: {args.plan_file}: {err}")
        return EXIT_CONFIG
    except Exception as err:
        return _fail("policy evaluation failed", err, args.debug)

    if args.format == "json":
        text = (
            json.dumps(
                {
                    "project": doc["project"],
                    "stack": doc["stack"],
                    "mandatory": policycheck.has_mandatory(violations),
                    "violations": [report.violation_dict(v) for v in violations],
                    "preflight": doc["preflight"],
                },
                indent=2,
            )
            + "\n"
        )
    elif args.format == "markdown":
        text = report.markdown(doc, violations)
    elif args.format in ("mermaid", "dot"):
        text = _diagram(args.format, doc)
    else:
        text = (
            f"Policy check of saved plan {args.plan_file} ({doc['project']}/{doc['stack']}, "
            f"{report.total(doc)} resources)\n"
            + report.preflight_tree(doc["preflight"])
            + policycheck.format_violations(violations).rstrip("\n")
            + "\n"
        )
    _write(text, args.output)
    if args.output:
        _err(
            f"{report.preflight_summary(doc['preflight'])}; {report.policy_summary(violations)}; "
            f"wrote {args.format} report to {args.output}"
        )
    return _failed(doc, violations)
