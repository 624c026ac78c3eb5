# Every target creates venv/ and installs the pinned dependencies on first use.
STACK ?= dev
ARGS ?=
PLAN ?= plan.json
PY := venv/bin/python
PLANS ?= $(PLAN)
SCAN_OUT ?= scan
# apt-get needs root: use sudo when not running as root.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: plan check test lint bench setup clean scan scan-env shellcheck

venv/.installed: requirements.txt requirements-dev.txt policies/requirements.txt
	python3 -m venv venv
	venv/bin/pip install --quiet --upgrade pip
	venv/bin/pip install --quiet -r requirements-dev.txt -r policies/requirements.txt
	touch $@

setup: venv/.installed

## Offline plan of STACK under Pulumi's mock engine, policy pack included (no cloud, no CLI).
plan: venv/.installed
	$(PY) -m offline plan --stack $(STACK) $(ARGS)

## Re-check a saved plan JSON against the policy pack: exit 0 clean, 1 violation, 2 unreadable.
check: venv/.installed
	$(PY) -m offline check $(PLAN) $(ARGS)

## The whole test suite (exit 5, no tests collected, is a failure too). The scanner environment
## and shellcheck first: the export and workflow tests use them.
test: venv/.installed scan-env shellcheck
	$(PY) -m pytest -q $(ARGS)

lint: venv/.installed
	venv/bin/ruff check .
	venv/bin/ruff format --check .

bench: venv/.installed
	$(PY) -m offline.bench $(ARGS)

## checkov in its own environment (about 5 minutes the first time; then nothing to do).
.venv-scan/.installed: requirements-scan.txt
	test -x .venv-scan/bin/python || python3 -m venv .venv-scan
	.venv-scan/bin/pip install --quiet -r requirements-scan.txt
	touch $@

scan-env: .venv-scan/.installed

## checkov over the Terraform-plan exports of PLANS (saved plan JSONs), waivers applied; writes SCAN_OUT/.
scan: venv/.installed scan-env
	$(PY) -m offline.scan $(PLANS) --out $(SCAN_OUT)

## shellcheck (Debian package) when missing: actionlint runs it on every workflow `run:` script.
shellcheck:
	@command -v shellcheck >/dev/null || ! command -v apt-get >/dev/null || \
		{ $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq shellcheck >/dev/null; }
	@command -v shellcheck >/dev/null || echo "warning: no shellcheck and no apt-get: the workflow tests fail" >&2

clean:
	rm -rf venv .venv-scan .pytest_cache .ruff_cache .hypothesis
