# beacon: the README's commands. Everything installs into .venv (the core environment),
# the cache dir (~/.cache/beacon: JVM artifacts, Airflow and Superset envs) and ./var (state).
SHELL := /bin/bash
PYTHON_VERSION ?= 3.11
VENV := .venv
BEACON := $(VENV)/bin/beacon
PYTEST_ARGS ?=

.PHONY: demo test bootstrap up down reset status lint typecheck check

demo: bootstrap ## install, start everything, create tables, print where it all runs
	$(BEACON) up
	$(BEACON) tables init
	@echo
	$(BEACON) status

test: bootstrap ## install, then run every test tier
	$(VENV)/bin/pytest $(PYTEST_ARGS)

bootstrap: $(VENV)/.installed ## core env (uv) + JVM artifacts + Airflow/Superset envs
	$(BEACON) bootstrap

$(VENV)/.installed: pyproject.toml
	@command -v uv >/dev/null || { echo "[core env] installing uv with pip"; python3 -m pip install --quiet uv; }
	@echo "[core env] $(VENV) with Python $(PYTHON_VERSION)"
	uv venv --allow-existing --python $(PYTHON_VERSION) $(VENV)
	uv pip install --python $(VENV)/bin/python -e '.[dev]'
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
