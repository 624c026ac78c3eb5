# Every target creates venv/ and installs the pinned dependencies on first use.
STACK ?= dev
ARGS ?=
PLAN ?= plan.json
PY := venv/bin/python

.PHONY: plan check test lint bench setup clean

venv/.installed: requirements.txt requirements-dev.txt policies/requirements.txt
	python3 -m venv venv
	venv/bin/pip install --quiet --upgrade pip
	venv/bin/pip install --quiet -r requirements-dev.txt -r policies/requirements.txt
	touch $@

setup: venv/.installed

## Offline plan of STACK under Pulumi's mock engine, AWS API preflight and policy pack included (no
## cloud, no CLI). make exits 2 on any failure; `$(PY) -m offline plan` returns 1/2/3 (see its --help).
plan: venv/.installed
	$(PY) -m offline plan --stack $(STACK) $(ARGS)

## Re-check a saved plan JSON: AWS API preflight and policy pack. make exits 0 when clean and 2 on
## any failure (GNU make's status for a failed recipe); `$(PY) -m offline check` itself returns 1 for a
## violation, 2 for an unreadable plan, 3 otherwise (docs/preflight.md).
check: venv/.installed
	$(PY) -m offline check $(PLAN) $(ARGS)

## The whole test suite (exit 5, no tests collected, is a failure too).
test: venv/.installed
	$(PY) -m pytest -q $(ARGS)

lint: venv/.installed
	venv/bin/ruff check .
	venv/bin/ruff format --check .

bench: venv/.installed
	$(PY) -m offline.bench $(ARGS)

clean:
	rm -rf venv .pytest_cache .ruff_cache .hypothesis
