# The course's everyday verbs. Run `make help` for the list.
# Every target that needs the environment creates it first (`make setup`).

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NOTEBOOKS := $(sort $(wildcard notebooks/*.ipynb))
CODE := lib tests exercises benchmarks conftest.py
UV_PIN := $(shell grep -m1 '^uv==' requirements.lock || echo uv)
# Offline and private: no tool phones home from any target.
export MLFLOW_DISABLE_TELEMETRY := true
export DO_NOT_TRACK := 1
export DVC_NO_ANALYTICS := 1
export GX_ANALYTICS_ENABLED := false
export HF_HUB_OFFLINE := 1
export PATH := $(CURDIR)/$(BIN):$(PATH)
# Python's default: cache bytecode (__pycache__/, ignored by Git and DVC). Many containers and CI images
# set PYTHONDONTWRITEBYTECODE; then pytest cannot keep the modules it rewrites for its assertion messages
# (the test files and every plugin, schemathesis and hypothesis among them), and every pytest start
# (the suite's, and those the lessons and tests run) spends about 1.5 s rewriting them again.
unexport PYTHONDONTWRITEBYTECODE
# The team stack (make team-up): who gets an account, and where the services listen.
MEMBERS ?= $(shell id -un)
TEAM_HOST ?= 127.0.0.1
EMPTY :=
SPACE := $(EMPTY) $(EMPTY)
COMMA := ,

.PHONY: help setup pipeline test test-fast lint format lab api bench mlflow-ui team-up team-down team-packages monitoring-packages notebooks lock clean distclean

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-11s %s\n", $$1, $$2}'

setup: $(STAMP) ## create .venv (Python 3.11) and install the locked environment into it

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || \
	  { echo "Python 3.11 is required, found $$($(PYTHON) --version 2>&1) at '$(PYTHON)'; run 'make PYTHON=/path/to/python3.11 ...'"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@# uv (the version the lock pins) installs the lock in seconds; pip does the same, slower, where uv cannot.
	@# Both compile the bytecode at install time (pip by default): with PYTHONDONTWRITEBYTECODE set, as in
	@# many containers and CI images, Python would otherwise compile every module it imports, in every process.
	( $(BIN)/python -m pip install --quiet --disable-pip-version-check "$(UV_PIN)" && \
	  $(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -r requirements.lock && \
	  $(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e . ) || \
	( echo "uv could not install the lock; installing with pip instead"; \
	  $(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock && \
	  $(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e . )
	$(BIN)/python -m pip check
	$(BIN)/python -m lib.jupyter
	touch $(STAMP)

pipeline: setup monitoring-packages ## run every stage that is out of date (dvc repro)
	$(BIN)/dvc repro

test: setup team-packages monitoring-packages ## every test: unit, pipeline (dvc repro in a scratch copy), notebooks (nbval), lint gates, the team stack
	$(BIN)/python -m pytest

test-fast: setup monitoring-packages ## the quick subset (unit, API through TestClient, lint gates): no pipeline, no slow servers
	@# Two pytest-xdist workers, one per core of the reference machine; each loads the test modules (about 10 s).
	@# --dist loadscope keeps a module on one worker, so its module-scoped fixtures are built once.
	$(BIN)/python -m pytest tests -p no:nbval -o addopts="-ra" -m "not pipeline and not slow" -n 2 --dist loadscope

lint: setup ## ruff (rules and format) on the code and the notebooks, mypy on lib/, the Pynblint gate
	$(BIN)/ruff check $(CODE)
	$(BIN)/ruff format --check $(CODE)
	$(BIN)/nbqa ruff notebooks
	$(BIN)/mypy --cache-dir $(VENV)/mypy-cache
	$(BIN)/python -m lib.quality $(NOTEBOOKS)

format: setup ## ruff format the code (lib, tests, exercises, benchmarks) and fix what ruff can fix
	$(BIN)/ruff format $(CODE)
	$(BIN)/ruff check --fix $(CODE)

lab: setup ## open JupyterLab on the notebooks with the project's kernel
	$(BIN)/jupyter lab --notebook-dir=. notebooks/1.0-inception.ipynb $(if $(filter 0,$(shell id -u)),--allow-root,)

api: setup ## serve the exported champion on http://127.0.0.1:8000 in the foreground (docs at /docs)
	$(BIN)/python -m lib.serving 8000

bench: setup ## measure the API against the model in-process and mlflow models serve (needs wrk) -> reports/bench.json
	@command -v wrk >/dev/null || { \
	  if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq wrk; \
	  else echo "make bench needs wrk: 'sudo apt-get install wrk' (Debian, Ubuntu) or 'brew install wrk' (macOS)"; exit 1; fi; }
	@test -f models/model.json || $(MAKE) pipeline
	$(BIN)/python -m benchmarks.run

mlflow-ui: setup ## browse the MLflow runs and the model registry at http://127.0.0.1:5000
	$(BIN)/mlflow ui --backend-store-uri sqlite:///$(CURDIR)/mlflow.db --host 127.0.0.1 --port 5000

team-up: setup team-packages ## start the team's MLflow server (PostgreSQL, accounts) and DVC remote (sshd) -> .team/, team.env
	$(BIN)/python -m lib.team up --host $(TEAM_HOST) --members $(subst $(SPACE),$(COMMA),$(strip $(MEMBERS))) --connect $(firstword $(MEMBERS))

team-down: setup ## stop the team stack; its runs, models, artifacts and data stay in .team/
	$(BIN)/python -m lib.team down

team-packages: # PostgreSQL's server and OpenSSH's sshd, from Debian's packages when run as root
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null || [ ! -x /usr/sbin/sshd ]; then \
	  if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql openssh-server >/dev/null; \
	  else echo "make team-up needs PostgreSQL and OpenSSH's server: 'sudo apt-get install postgresql openssh-server' (Debian, Ubuntu), 'brew install postgresql@15' (macOS, with Remote Login on)"; exit 1; fi; \
	fi

monitoring-packages: # Prometheus and promtool (lesson 5.1), from Debian's packages when run as root
	@command -v prometheus >/dev/null && command -v promtool >/dev/null || { \
	  if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus >/dev/null; \
	  else echo "lesson 5.1 needs Prometheus and promtool: 'sudo apt-get install prometheus' (Debian, Ubuntu), 'brew install prometheus' (macOS), or the release archive from https://prometheus.io/download/ on PATH"; exit 1; fi; }

notebooks: setup monitoring-packages ## re-execute every lesson in place, top to bottom, to refresh its saved outputs
	for nb in $(NOTEBOOKS); do \
	  $(BIN)/jupyter nbconvert --to notebook --execute --inplace \
	    --ExecutePreprocessor.record_timing=False --ExecutePreprocessor.timeout=1200 "$$nb" || exit 1; \
	done

lock: setup ## re-resolve requirements.lock (everything) and requirements-serve.lock (the API image) from pyproject.toml
	$(BIN)/uv pip compile pyproject.toml --extra course --universal --python-version 3.11 -o requirements.lock
	$(BIN)/uv pip compile pyproject.toml --universal --python-version 3.11 -c requirements.lock -o requirements-serve.lock

clean: ## delete every pipeline output (keeps .venv, the DVC cache, the MLflow store and the committed cards)
	rm -rf data/raw/*.csv data/processed models metrics reports/notebooks/*.ipynb
	rm -rf reports/codecarbon reports/data_docs reports/monitoring reports/drift reports/*.json
	rm -rf .pytest_cache

distclean: clean ## clean, and delete .venv, the MLflow store and the DVC cache
	rm -rf $(VENV) mlflow.db mlruns .dvc/cache .dvc/tmp
