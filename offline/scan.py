"""`python -m offline.scan PLAN.json ... --out DIR`: checkov over the Terraform-plan exports, waivers applied.

checkov lives in its own environment (`.venv-scan`, made by `make scan-env`): it pins a boto3 that
conflicts with the botocore of the main venv. Each plan is exported (offline/export.py), scanned
with the `terraform_plan` framework, and every failed check is either waived by
offline/export_waivers.py (with its reason) or reported. Writes DIR/summary.md (for the pull-request
comment), DIR/results.json and DIR/results.sarif (code scanning).
Exit 0 no unwaived failure, 1 unwaived failures, 2 bad input, 3 checkov could not run.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from . import diff, export
from .export_waivers import waiver_for

ROOT = Path(__file__).resolve().parent.parent
CHECKOV = ROOT / ".venv-scan" / "bin" / "checkov"


def checkov(tf_plan: Path, binary: Path = CHECKOV) -> dict[str, Any]:
    """checkov's JSON report of one Terraform plan file."""
    cmd = [str(binary), "-f", str(tf_plan), "--framework", "terraform_plan", "-o", "json", "--compact", "--skip-download"]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode not in (0, 1):
        raise RuntimeError(f"checkov exited {done.returncode}: {done.stderr.strip()[-500:]}")
    report = json.loads(done.stdout or "{}")
    report = report[0] if isinstance(report, list) else report
    if "results" not in report:  # nothing scannable: checkov prints an empty summary
        return {"passed": [], "failed": []}
    return {"passed": report["results"]["passed_checks"], "failed": report["results"]["failed_checks"]}


def scan_plan(path: str, out: Path, binary: Path = CHECKOV) -> dict[str, Any]:
    doc, _ = diff.load(path)
    name = Path(path).stem
    tf_plan = out / f"{name}.tfplan.json"
    tf_plan.write_text(json.dumps(export.terraform_plan(doc), indent=1) + "\n")
    found = checkov(tf_plan, binary)
    failed: list[dict[str, Any]] = []
    waived: list[dict[str, Any]] = []
    for check in found["failed"]:
        item = {"check": check["check_id"], "name": check["check_name"], "resource": check["resource"], "guideline": check.get("guideline")}
        reason = waiver_for(check["check_id"], check["resource"], doc["stack"])
        (waived if reason else failed).append({**item, "reason": reason} if reason else item)
    passed = sorted({(c["check_id"], c["resource"]) for c in found["passed"]})
    return {"plan": name, "stack": doc["stack"], "passed": [list(p) for p in passed], "failed": failed, "waived": waived}


def summary(results: list[dict[str, Any]]) -> str:
    rows = [f"| `{r['plan']}` | {len(r['passed'])} | {len(r['failed'])} | {len(r['waived'])} |" for r in results]
    out = [
        "## Scan of the exported plans (checkov, terraform_plan)",
        "",
        "| Plan | Passed | Failed | Waived |",
        "| --- | ---: | ---: | ---: |",
        *rows,
        "",
    ]
    failures = [(r["plan"], f) for r in results for f in r["failed"]]
    if failures:
        out += ["**Failed checks** (fix the component, or waive in offline/export_waivers.py with a reason):", ""]
        out += [f"- `{plan}` {f['check']} on `{f['resource']}`: {f['name']}" for plan, f in failures[:100]]
        out.append("")
    out.append("_Waivers and their reasons: offline/export_waivers.py._")
    return "\n".join(out) + "\n"


def sarif(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Unwaived failures as SARIF 2.1.0; located at the program's entry point (a plan has no source lines)."""
    rules: dict[str, dict[str, Any]] = {}
    found = []
    for r in results:
        for f in r["failed"]:
            rules.setdefault(f["check"], {"id": f["check"], "shortDescription": {"text": f["name"]}, "helpUri": f.get("guideline") or ""})
            found.append(
                {
                    "ruleId": f["check"],
                    "level": "error",
                    "message": {"text": f"{f['name']}: {f['resource']} in the {r['plan']} plan"},
                    "locations": [{"physicalLocation": {"artifactLocation": {"uri": "__main__.py"}, "region": {"startLine": 1}}}],
                    "partialFingerprints": {"resource": f"{r['plan']}/{f['resource']}/{f['check']}"},
                }
            )
    driver = {"name": "checkov (offline plan export)", "informationUri": "https://www.checkov.io", "rules": list(rules.values())}
    return {
        "version": "2.1.0",
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "runs": [{"tool": {"driver": driver}, "results": found}],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m offline.scan", description=__doc__.splitlines()[0])
    parser.add_argument("plans", nargs="+", metavar="PLAN.json")
    parser.add_argument("--out", required=True, metavar="DIR")
    parser.add_argument("--checkov", default=str(CHECKOV), metavar="PATH", help="checkov executable (default: .venv-scan/bin/checkov)")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    try:
        results = [scan_plan(p, out, Path(args.checkov)) for p in args.plans]
    except diff.PlanFileError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except (OSError, RuntimeError, ValueError) as err:
        print(f"error: checkov could not run: {err}", file=sys.stderr)
        return 3
    (out / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    (out / "results.sarif").write_text(json.dumps(sarif(results), indent=1) + "\n")
    (out / "summary.md").write_text(summary(results))
    print(summary(results), end="")
    return 1 if any(r["failed"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
