# beacon: the README's commands. Everything installs into .venv (the core environment),
# the cache dir (~/.cache/beacon: JVM artifacts, Airflow and Superset envs) and ./var (state).
SHELL := /bin/bash
PYTHON_VERSION ?= 3.11
VENV := .venv
BEACON := $(VENV)/bin/beacon
PYTEST_ARGS ?=
# uv from PATH, else as a module of the system Python (after `pip install uv`, which may put
# no script on PATH under pyenv).
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")

.PHONY: demo test unit bootstrap bench-tools system system-test system-bench tracker e2e-trackers up down reset status lint typecheck check

demo: bootstrap ## install, start everything, create tables, send demo traffic, recompute the closed days through Airflow, print where it all runs
	$(BEACON) up
	$(BEACON) tables init
	$(BEACON) simulate --visitors 300 --days 3
	$(BEACON) batch trigger --wait-for-stream --ds $$(date -u -d yesterday +%F) --days 3
	@echo
	$(BEACON) status

test: bootstrap system-test tracker e2e-trackers ## install, then run every test tier
	cd tracker && npm test
	$(VENV)/bin/pytest $(PYTEST_ARGS)

unit: system $(VENV)/.installed ## the unit tier alone: no services, one local Spark, two workers; under a minute
	$(BEACON) bootstrap --only spark
	$(VENV)/bin/pytest tests/unit -n 2 --dist loadgroup $(PYTEST_ARGS)

bootstrap: system $(VENV)/.installed ## core env (uv) + JVM artifacts + Airflow/Superset envs
	$(BEACON) bootstrap

bench-tools: bootstrap system-bench ## what the benchmarks (bench/) need: the platform's artifacts and wrk

# Debian packages: Maven resolves the JVM artifacts; the tests drive Debian's Chromium.
system:
	@command -v mvn >/dev/null || { echo "[system] installing maven"; apt-get update -qq && apt-get install -y -qq maven; }

system-test:
	@command -v chromium >/dev/null || { echo "[system] installing chromium"; apt-get update -qq && apt-get install -y -qq chromium; }

# The collector load benchmark drives the collector with Debian's wrk.
system-bench:
	@command -v wrk >/dev/null || { echo "[system] installing wrk"; apt-get update -qq && apt-get install -y -qq wrk; }

tracker: tracker/node_modules/.installed ## the tracker's build and test tools (npm ci)

tracker/node_modules/.installed: tracker/package-lock.json
	cd tracker && npm ci --no-audit --no-fund
	@touch $@

e2e-trackers: tests/e2e/official_trackers/node_modules/.installed ## the official Snowplow and Plausible browser trackers the e2e tier drives (npm ci)

tests/e2e/official_trackers/node_modules/.installed: tests/e2e/official_trackers/package-lock.json
	cd tests/e2e/official_trackers && npm ci --no-audit --no-fund
	@touch $@

$(VENV)/.installed: pyproject.toml
	@$(UV) --version >/dev/null 2>&1 || { echo "[core env] installing uv with pip"; python3 -m pip install --quiet uv; }
	@echo "[core env] $(VENV) with Python $(PYTHON_VERSION)"
	$(UV) venv --allow-existing --python $(PYTHON_VERSION) $(VENV)
	$(UV) pip install --python $(VENV)/bin/python -e '.[dev]'
	@touch $@

up: $(VENV)/.installed
	$(BEACON) up

down:
	@if [ -x $(BEACON) ]; then $(BEACON) down; else echo "nothing installed, nothing to stop"; fi

reset:
	@if [ -x $(BEACON) ]; then $(BEACON) down --reset; else rm -rf var; fi

status:
	$(BEACON) status

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(VENV)/.installed
	$(VENV)/bin/mypy

check: lint typecheck test
