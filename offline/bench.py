"""`make bench`: wall time of the offline plan per stack against a floor, in fresh processes.

Plan: `python -m offline plan --stack S --format json --output /dev/null`, the whole command
(config, program, mocks, recording, policy pack, JSON) as CI runs it.

Floor: a fresh process that does what *any* Pulumi Python program planned this way must do and
nothing of ours: import pulumi and the provider SDK modules the plan itself loaded (read from an
untimed `-X importtime` run of the plan; a program cannot create an `aws.ec2.Vpc` without loading
`pulumi_aws.ec2`: those imports are most of a plan's time and not ours to cut), read the same
stack config the same way, then register the same NUMBER of trivial resources (a dummy custom
type, no inputs, no parent) under the same NoxMocks and RecordingMonitor, and write the JSON
document the same way. What the floor leaves
out is exactly our overhead: settings validation, the components, richer inputs and invokes,
stack outputs and the policy pack. The ratio plan/floor measures that; the target is <= 1.3.

Each figure is the median of --runs fresh processes (default 5), plan and floor interleaved so
that machine noise hits both alike, after one untimed warm-up each.

Preflight share: the CPU time of the AWS API preflight stage (importing it, reading its shape
cache, checking every mapped input of the stack's plan) in fresh processes that have already
imported pulumi and pulumi_aws, as a plan has by then; reported as what it adds to the rest of
the plan (target <= 10 %, docs/preflight.md).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
STACKS = ("dev", "staging", "prod")
TARGET = 1.3
PREFLIGHT_TARGET = 0.10
FLOOR_TYPE = "bench:index:Trivial"
PROVIDER_SDKS = ("pulumi_aws", "pulumi_kubernetes", "pulumi_random")


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(cmd: list[str]) -> tuple[float, float]:
    """(wall, cpu) seconds of one fresh process; CPU time is the steadier figure on a busy machine."""
    cpu, start = _cpu(), time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed, cpu = time.perf_counter() - start, _cpu() - cpu
    if proc.returncode not in (0, 1):  # 1: a mandatory policy violation, still a complete plan
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stderr[-2000:]}")
    return elapsed, cpu


def plan_cmd(stack: str, overrides: list[str]) -> list[str]:
    sets = [arg for value in overrides for arg in ("--set", value)]
    return [sys.executable, "-m", "offline", "plan", "--stack", stack, "--format", "json", "--output", os.devnull, *sets]


def floor_cmd(stack: str, count: int, modules: list[str], overrides: list[str]) -> list[str]:
    spec = json.dumps({"stack": stack, "count": count, "modules": modules, "overrides": overrides})
    return [sys.executable, "-m", "offline.bench", "--floor", spec]


def _sdk_modules(importtime_log: str) -> list[str]:
    """Provider SDK modules a process executed, in order, from its `-X importtime` log.

    Modules, not the types' classes: the plan also loads data-source modules (`aws.ssm.get_parameter`,
    `aws.iam.get_policy_document`, ...), and the SDKs load submodules lazily, so this log of what
    actually ran is the one faithful list.
    """
    seen: dict[str, None] = {}
    for line in importtime_log.splitlines():
        if line.startswith("import time:") and line.count("|") == 2:
            name = line.rsplit("|", 1)[1].strip()
            if name.split(".", 1)[0] in PROVIDER_SDKS:
                seen.setdefault(name, None)
    return list(seen)


def _load_order(modules: list[str]) -> list[str]:
    """Packages before their modules, as attribute access (`aws.ec2.Vpc`) loads them in a program.

    The log leaves out packages the SDK loads lazily (their `__init__` runs outside the import
    statement machinery); importing a submodule of a still-lazy package would skip that
    `__init__` (which imports every class of the package) and so undercount the floor.
    """
    packages = {".".join(m.split(".")[:i]) for m in modules for i in range(1, m.count(".") + 1)}
    return sorted(packages, key=lambda p: (p.count("."), p)) + [m for m in modules if m not in packages]


def probe(stack: str, overrides: list[str]) -> tuple[int, list[str], dict[str, Any]]:
    """One untimed plan (also the warm-up): how many resources, which provider SDK modules, its estimates."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "plan.json"
        cmd = plan_cmd(stack, overrides)
        cmd[cmd.index(os.devnull)] = str(out)
        cmd[1:1] = ["-X", "importtime"]
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        if proc.returncode not in (0, 1):
            raise RuntimeError(f"plan of {stack} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
        doc = json.loads(out.read_text())
    return len(doc["resources"]), _sdk_modules(proc.stderr), doc


def run_preflight_probe(plan_file: str) -> None:
    """One preflight process: prints the CPU seconds of the stage as a plan runs it."""
    import pulumi  # noqa: F401  (loaded by every plan before the preflight runs: not its cost)
    import pulumi_aws  # noqa: F401

    doc = json.loads(Path(plan_file).read_text())
    start = time.process_time()
    from . import preflight

    preflight.run(doc)
    print(time.process_time() - start)


def preflight_cpu(plan_file: Path, runs: int) -> float:
    cmd = [sys.executable, "-m", "offline.bench", "--preflight", str(plan_file)]
    return statistics.median(float(subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True).stdout) for _ in range(runs))


def run_floor(spec: dict[str, Any]) -> int:
    """The floor process: SDK imports, the same config read, N trivial registrations, the JSON.

    Returns the number of resources registered.
    """
    import importlib

    import pulumi

    from . import engine, report
    from .config import read_stack_config

    config = read_stack_config(ROOT, spec["stack"], spec["overrides"])

    def trivial() -> None:
        # Loaded inside the program, as `__main__.py` loads them: same place, same engine settings.
        # Nothing but the provider SDKs: settings, components and the policy pack are ours.
        for name in _load_order(spec["modules"]):
            # `__all__`, unlike `__name__` or `__path__`, is no introspection attribute: it runs a lazy module.
            getattr(importlib.import_module(name), "__all__", None)
        for i in range(spec["count"]):
            pulumi.CustomResource(FLOOR_TYPE, f"trivial-{i}", {})

    plan = engine.run(spec["stack"], config=config, program=trivial)
    Path(os.devnull).write_text(report.to_json(plan.to_json()))
    return len(plan.resources)


def bench(stacks: list[str], runs: int, overrides: list[str]) -> list[dict[str, Any]]:
    rows = []
    for stack in stacks:
        count, modules, doc = probe(stack, overrides)
        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / "plan.json").write_text(json.dumps(doc))
            stage_cpu = preflight_cpu(Path(tmp) / "plan.json", runs)
        fcmd, pcmd = floor_cmd(stack, count, modules, overrides), plan_cmd(stack, overrides)
        _timed(fcmd)  # warm-up
        plan_runs, floor_runs = [], []
        for _ in range(runs):
            plan_runs.append(_timed(pcmd))
            floor_runs.append(_timed(fcmd))
        plan_s, floor_s = (statistics.median(w for w, _ in plan_runs), statistics.median(w for w, _ in floor_runs))
        plan_cpu, floor_cpu = (statistics.median(c for _, c in plan_runs), statistics.median(c for _, c in floor_runs))
        rows.append(
            {
                "stack": stack,
                "resources": count,
                "plan": plan_s,
                "floor": floor_s,
                "ratio": plan_s / floor_s,
                "plan_cpu": plan_cpu,
                "floor_cpu": floor_cpu,
                "cpu_ratio": plan_cpu / floor_cpu,
                "preflight_cpu": stage_cpu,
                "preflight_adds": stage_cpu / (plan_cpu - stage_cpu),
                "plan_runs": plan_runs,
                "floor_runs": floor_runs,
                "estimates": _estimate_summary(doc),
            }
        )
        print(f"  {stack}: plan {plan_s:.3f} s, floor {floor_s:.3f} s", file=sys.stderr, flush=True)
    return rows


def _estimate_summary(doc: dict[str, Any]) -> dict[str, Any]:
    """What `pulumi up` of this stack would take (offline/estimates): minutes and the critical path by name."""
    est, names = doc["estimates"], {r["urn"]: r["name"] for r in doc["resources"]}
    return {
        "createMinutes": est["createMinutes"],
        "destroyMinutes": est["destroyMinutes"],
        "criticalPath": [names[u] for u in est["criticalPath"]],
        "monthlyCostUsd": est["monthlyCostUsd"].get("total"),
    }


def estimate_lines(rows: list[dict[str, Any]]) -> str:
    """Estimated `pulumi up` of each stack measured (prod first: the one the issue asks about)."""
    out = []
    for r in sorted(rows, key=lambda r: r["stack"] != "prod"):
        est = r["estimates"]
        out.append(
            f"{r['stack']}: estimated `pulumi up` {est['createMinutes']:g} min, `pulumi destroy` {est['destroyMinutes']:g} min; "
            f"critical path: {' -> '.join(est['criticalPath'])}"
        )
    return "\n".join(out) + "\n"


def table(rows: list[dict[str, Any]], runs: int) -> str:
    head = ("stack", "resources", "plan (s)", "floor (s)", "ratio", "", "plan cpu (s)", "floor cpu (s)", "cpu ratio")
    body = [
        (
            r["stack"],
            str(r["resources"]),
            f"{r['plan']:.3f}",
            f"{r['floor']:.3f}",
            f"{r['ratio']:.2f}",
            "ok" if round(r["ratio"], 2) <= TARGET else f"above {TARGET}",
            f"{r['plan_cpu']:.3f}",
            f"{r['floor_cpu']:.3f}",
            f"{r['cpu_ratio']:.2f}",
        )
        for r in rows
    ]
    widths = [max(len(x[i]) for x in [head, *body]) for i in range(len(head))]
    lines = [
        "  ".join(c.ljust(w) if i in (0, 5) else c.rjust(w) for i, (c, w) in enumerate(zip(x, widths, strict=True))).rstrip()
        for x in [head, *body]
    ]
    lines.insert(1, "-" * max(len(line) for line in lines))
    shares = [
        f"  {r['stack']}: {r['preflight_cpu']:.3f} s of {r['plan_cpu']:.3f} s plan CPU, adds {r['preflight_adds']:.1%} "
        + ("ok" if r["preflight_adds"] <= PREFLIGHT_TARGET else f"above {PREFLIGHT_TARGET:.0%}")
        for r in rows
    ]
    return (
        f"Offline plan vs floor: median of {runs} fresh processes each, wall time (target ratio <= {TARGET}) "
        "and CPU time (user+sys)\n"
        + "\n".join(lines)
        + f"\nAWS API preflight stage, CPU (target: adds <= {PREFLIGHT_TARGET:.0%} to the rest of the plan):\n"
        + "\n".join(shares)
        + "\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m offline.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="fresh processes per figure (median; default 5, minimum 1)")
    parser.add_argument("--stack", action="append", choices=STACKS, help="stack to measure (repeatable; default: all three)")
    parser.add_argument("--set", action="append", default=[], metavar="NS:KEY=VALUE", help="config override for every run")
    parser.add_argument("--json", action="store_true", help="print the raw figures as JSON instead of a table")
    parser.add_argument("--floor", help=argparse.SUPPRESS)  # internal: one floor process
    parser.add_argument("--preflight", help=argparse.SUPPRESS)  # internal: one preflight process
    args = parser.parse_args(argv)
    if args.preflight:
        run_preflight_probe(args.preflight)
        return 0
    if args.floor:
        import gc

        gc.disable()  # as `python -m offline` does: the same process settings for plan and floor
        run_floor(json.loads(args.floor))
        return 0
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    rows = bench(args.stack or list(STACKS), args.runs, args.set)
    print(
        json.dumps(rows, indent=2) if args.json else table(rows, args.runs) + "\n" + estimate_lines(rows), end="" if not args.json else "\n"
    )
    return 0


if __name__ == "__main__":
    from .cli import exit_now

    exit_now(main())  # the same exit path as `python -m offline`, so plan and floor pay alike
