# Every target creates venv/ and installs the pinned dependencies on first use.
STACK ?= dev
ARGS ?=
PLAN ?= plan.json
PY := venv/bin/python

.PHONY: plan check test lint bench setup clean promtool

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

## promtool (the alert-rule tests need it) from Debian's `prometheus` package, only when missing.
## The package's postinst may start a Prometheus server: it is stopped and disabled, only promtool is used.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
promtool:
	@command -v promtool >/dev/null 2>&1 || { \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends prometheus >/dev/null && \
	  { $(SUDO) systemctl disable --now prometheus >/dev/null 2>&1 || $(SUDO) service prometheus stop >/dev/null 2>&1 || true; }; }
	@promtool --version 2>&1 | head -1

## The whole test suite (exit 5, no tests collected, is a failure too).
test: venv/.installed promtool
	$(PY) -m pytest -q $(ARGS)

lint: venv/.installed
	venv/bin/ruff check .
	venv/bin/ruff format --check .

bench: venv/.installed
	$(PY) -m offline.bench $(ARGS)

clean:
	rm -rf venv .pytest_cache .ruff_cache .hypothesis
