# Every target creates venv/ and installs the locked dependencies on first use.
# `make help` lists the targets: each is documented by the `##` comment on its line.
STACK ?= dev
ARGS ?=
PLAN ?= plan.json
JOBS ?= 2
PY := venv/bin/python
PLANS ?= $(PLAN)
SCAN_OUT ?= scan
# apt-get needs root: use sudo when not running as root.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.DEFAULT_GOAL := help
.PHONY: help setup plan check test lint fmt docs lock bench scan scan-env shellcheck promtool clean

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-11s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

# The lock holds every transitive dependency with its hashes (`make lock` regenerates it).
venv/.installed: requirements.lock
	test -x $(PY) || python3 -m venv venv
	venv/bin/pip install --quiet --require-hashes -r requirements.lock
	touch $@

setup: venv/.installed shellcheck promtool ## venv/ with exactly the locked dependencies, shellcheck and promtool

plan: venv/.installed ## Offline plan of STACK (ARGS: --format, --output, --set ...), AWS API preflight included; no cloud, no CLI
	$(PY) -m offline plan --stack $(STACK) $(ARGS)

check: venv/.installed ## Re-check a saved PLAN: AWS API preflight and policy pack (make exits 2 if it fails)
	$(PY) -m offline check $(PLAN) $(ARGS)

# The scanner environment, shellcheck and promtool first: the export, workflow and alert-rule tests use them.
test: venv/.installed scan-env shellcheck promtool ## The whole test suite on JOBS processes (pytest's exit 5, no tests, fails too)
	$(PY) -m pytest -q -n $(JOBS) --dist loadfile $(ARGS)

lint: venv/.installed ## ruff check, ruff format --check and mypy (files and strictness: pyproject.toml)
	venv/bin/ruff check .
	venv/bin/ruff format --check .
	venv/bin/mypy

fmt: venv/.installed ## ruff format, then ruff check --fix
	venv/bin/ruff format .
	venv/bin/ruff check --fix .

docs: venv/.installed ## Regenerate the README's configuration and outputs tables and Pulumi.yaml's config block
	$(PY) -m settings.docs --write

lock: venv/.installed ## Re-resolve requirements.lock (hashes) from the pins in requirements*.txt
	venv/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url \
		--no-emit-find-links --output-file requirements.lock requirements-dev.txt

bench: venv/.installed ## Offline-plan timings per stack against a floor
	$(PY) -m offline.bench $(ARGS)

# checkov pins an old boto3 that conflicts with our botocore: its own environment (about 2-5
# minutes the first time; then nothing to do).
.venv-scan/.installed: requirements-scan.txt
	test -x .venv-scan/bin/python || python3 -m venv .venv-scan
	.venv-scan/bin/pip install --quiet -r requirements-scan.txt
	touch $@

scan-env: .venv-scan/.installed ## checkov's own environment (.venv-scan/), only when missing

scan: venv/.installed scan-env ## checkov over the Terraform-plan exports of PLANS (saved plans), waivers applied; writes SCAN_OUT/
	$(PY) -m offline.scan $(PLANS) --out $(SCAN_OUT)

# The user-data test runs shellcheck on the rendered scripts and actionlint on every workflow `run:`
# script: install the Debian package if missing (a failed install fails the target); without
# apt-get, warn (those tests then skip or fail and say why).
shellcheck: ## Install shellcheck (Debian package) when missing
	@command -v shellcheck >/dev/null || ! command -v apt-get >/dev/null || \
		{ $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq shellcheck >/dev/null; }
	@command -v shellcheck >/dev/null || echo "warning: no shellcheck and no apt-get: the shellcheck and workflow tests cannot run" >&2

# The alert-rule tests need promtool, the release tests the Prometheus server binary
# (tests/test_release_engines.py starts its own on 127.0.0.1): install Debian's `prometheus` package,
# which has both, when missing (a failed install fails the target). The package's postinst may start
# a Prometheus service: it is stopped and disabled (the tests run their own).
promtool: ## Install promtool and the prometheus server (Debian package prometheus) when missing
	@{ command -v promtool && command -v prometheus; } >/dev/null 2>&1 || { \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends prometheus >/dev/null && \
	  { $(SUDO) systemctl disable --now prometheus >/dev/null 2>&1 || $(SUDO) service prometheus stop >/dev/null 2>&1 || true; }; }
	@promtool --version 2>&1 | head -1

clean: ## Remove venv/, .venv-scan/ and the caches
	rm -rf venv .venv-scan .pytest_cache .ruff_cache .hypothesis
