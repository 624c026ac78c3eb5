#!/usr/bin/env bash
# Offline plans of every stack x platform on the base and the head checkout, one Markdown diff of
# them all (with the scanner summary appended) for the pull-request comment.
# Usage: plan-diff.sh BASE_DIR HEAD_DIR OUT_DIR. Each checkout plans with its own venv (make setup).
# Exit 0 clean; 1 a mandatory policy or preflight violation in a head plan or a new one in the diff;
# anything else is a failure of the script itself.
set -uo pipefail

base_dir=$1 head_dir=$2
out=$(realpath -m "$3")
mkdir -p "$out/base" "$out/head"
blocking=0
pairs=()
for stack in dev staging prod; do
  for platform in asg eks; do
    name="$stack-$platform"
    # A stack or a setting the base does not know yet: diff against an empty plan (all creates).
    if ! (cd "$base_dir" && venv/bin/python -m offline plan --stack "$stack" --set "nox:platform=$platform" \
      --format json --output "$out/base/$name.json") 2>"$out/base/$name.log"; then
      if [ ! -s "$out/base/$name.json" ]; then
        printf '{"project": "nox-infra", "stack": "%s", "resources": [], "outputs": {}}\n' "$stack" >"$out/base/$name.json"
      fi
    fi
    (cd "$head_dir" && venv/bin/python -m offline plan --stack "$stack" --set "nox:platform=$platform" \
      --format json --output "$out/head/$name.json") 2>"$out/head/$name.log"
    rc=$?
    case $rc in
      0) ;;
      1) blocking=1; echo "::error::$name: the head plan has a mandatory policy or preflight violation (see $name.log)" ;;
      *) echo "::error::$name: the head plan failed (exit $rc)"; cat "$out/head/$name.log" >&2; exit "$rc" ;;
    esac
    pairs+=("$out/base/$name.json" "$out/head/$name.json")
  done
done

# Scanner summary of the head plans (make scan: Terraform-plan export + checkov, waivers applied).
append=()
if make -C "$head_dir" -s scan PLANS="$(printf '%s ' "$out"/head/*.json)" SCAN_OUT="$out/scan"; then
  append=(--append "$out/scan/summary.md")
else
  echo "::warning::the plan scan failed; the comment goes without its summary"
fi

(cd "$head_dir" && venv/bin/python -m offline diff "${pairs[@]}" --format markdown --output "$out/diff.md" "${append[@]}")
rc=$?
case $rc in
  0 | 4) ;;
  1) blocking=1 ;;
  *) echo "::error::offline diff failed (exit $rc)"; exit "$rc" ;;
esac
exit "$blocking"
