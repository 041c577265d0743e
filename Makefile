# The course's everyday verbs. Run `make help` for the list.
# Every target that needs the environment creates it first (`make setup`).

SHELL := /bin/bash
.DEFAULT_GOAL := help

# The interpreter .venv is made from: PYTHON if given (`make setup PYTHON=python3.12`), else the newest
# supported Python on PATH that runs (a pyenv shim of a version not enabled does not).
SUPPORTED_PYTHONS := 3.13 3.12 3.11
PYTHON ?= $(firstword $(foreach v,$(SUPPORTED_PYTHONS),$(shell python$(v) -c '' >/dev/null 2>&1 && command -v python$(v))) $(shell command -v python3))
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The project's kernel and JupyterLab settings (lib.course.jupyter), redone when what they are made from changes.
KERNEL_STAMP := $(VENV)/.kernel-configured
# A run whose outputs are saved or compared gets a new, empty home (lib.course.toolstate): nothing of the user's
# home (pylint's statistics, IPython's startup files, matplotlibrc, ~/.codecarbon.config) reaches a lesson.
SCRATCH_HOME := $(BIN)/python -m lib.course.toolstate
NOTEBOOKS := $(sort $(wildcard notebooks/*.ipynb))
CODE := lib tests exercises benchmarks conftest.py
UV_PIN := $(shell grep -m1 '^uv==' requirements.lock || echo uv)
# Offline and private: no tool phones home from any target (the switches of lib/telemetry.env).
include lib/telemetry.env
export $(shell sed -n 's/^\([A-Z_]*\)=.*/\1/p' lib/telemetry.env)
export PATH := $(CURDIR)/$(BIN):$(PATH)
# One OpenMP thread per process (unless OMP_NUM_THREADS is already set): make pipeline runs up to five
# lessons at once and make test two workers beside the pipeline's build, and OpenMP's default of a thread
# per core in each of them oversubscribes the cores; libgomp's threads then wait for each other at every
# barrier (a test that fits a HistGradientBoosting model twice took 37 s in one make test run, 0.9 s in
# another). The penguins are a few hundred rows: one thread is as fast. It also makes a boosted model's
# bytes the same on every machine (scikit-learn records the thread count in the fitted model). OpenBLAS
# (numpy's and scipy's matrix products) reads the same variable: one thread is as fast on matrices this small.
ifeq ($(strip $(OMP_NUM_THREADS)),)
export OMP_NUM_THREADS := 1
else
export OMP_NUM_THREADS
endif
# Python's default: cache bytecode (__pycache__/, ignored by Git and DVC). Many containers and CI images
# set PYTHONDONTWRITEBYTECODE; then pytest cannot keep the modules it rewrites for its assertion messages
# (the test files and every plugin, schemathesis and hypothesis among them), and every pytest start
# (the suite's, and those the lessons and tests run) spends about 1.5 s rewriting them again.
unexport PYTHONDONTWRITEBYTECODE
# The team stack (make team-up): who gets an account, and where the services listen (empty: the
# ports the stack was last started with, else lib.course.team's defaults 5050, 2222 and 55432).
MEMBERS ?= $(shell id -un)
TEAM_HOST ?= 127.0.0.1
TEAM_MLFLOW_PORT ?=
TEAM_SSH_PORT ?=
TEAM_POSTGRES_PORT ?=
EMPTY :=
SPACE := $(EMPTY) $(EMPTY)
COMMA := ,
# make test's pytest-xdist workers: one per core of the reference machine (2 cores).
TEST_WORKERS ?= 2
# Where a foreground server listens: `make api PORT=8001`, `make lab PORT=8889`, `make mlflow-ui PORT=5002`.
# The MLflow UI leaves MLflow's own default, 5000, which macOS's AirPlay Receiver holds.
api: PORT := 8000
lab: PORT := 8888
mlflow-ui: PORT := 5001
# A taken port stops the target with a message that names it and a free one.
CHECK_PORT = $(BIN)/python -m lib.ports check $(PORT) --change 'make $@ PORT={port}'

# System packages (make system-packages): what the course needs from the system, by need, and only where
# it is needed: lessons 1.0 to 4.1 need none (make lab and make setup ask for nothing but Python's venv);
# Prometheus for lessons 5.1 and 5.2 (make pipeline, make notebooks, the tests); PostgreSQL and sshd for the
# team stack (make team-up, and make test, which starts one). `make system-packages` alone installs what the
# lessons need; `make system-packages SYSTEM_NEEDS="venv prometheus postgresql sshd"` everything.
# Each need has a check, its Debian/Ubuntu package, its Homebrew formula (none: macOS ships it), and what waits
# for it. venv: Debian and Ubuntu ship Python's ensurepip apart (python3.12-venv), and without it no .venv.
SYSTEM_NEEDS ?= venv prometheus
test: SYSTEM_NEEDS = venv prometheus postgresql sshd
team-up: SYSTEM_NEEDS = venv postgresql sshd
lab: SYSTEM_NEEDS = venv
bench: SYSTEM_NEEDS = venv prometheus wrk
FOR_venv := every target: Python's venv module makes .venv
FOR_prometheus := lessons 5.1 and 5.2 (the pipeline's monitor and loop stages) and their tests
FOR_postgresql := the team stack (make team-up) and the tests that start it
FOR_sshd := the team stack's DVC remote (make team-up) and the tests that start it
FOR_wrk := make bench's load generator
CHECK_venv = $(BIN)/python -m pip --version || test -z "$(PYTHON)" || $(PYTHON) -c 'import ensurepip'
CHECK_prometheus = command -v prometheus && command -v promtool
CHECK_postgresql = ls /usr/lib/postgresql/*/bin/initdb || command -v initdb || ls "$$(brew --prefix postgresql@15)/bin/initdb"
CHECK_sshd = test -x /usr/sbin/sshd
CHECK_wrk = command -v wrk
APT_venv = python$(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])')-venv
APT_prometheus := prometheus
APT_postgresql := postgresql
APT_sshd := openssh-server
APT_wrk := wrk
BREW_venv :=
BREW_prometheus := prometheus
BREW_postgresql := postgresql@15
BREW_sshd :=
BREW_wrk := wrk
MISSING = $(strip $(foreach need,$(SYSTEM_NEEDS),$(shell ( $(CHECK_$(need)) ) >/dev/null 2>&1 || echo $(need))))

.PHONY: help setup system-packages pipeline test test-fast lint format lab api bench mlflow-ui team-up team-down notebooks site handout new-project check-project lock try-newest clean distclean

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-15s %s\n", $$1, $$2}'

setup: $(STAMP) $(KERNEL_STAMP) ## create .venv (the newest Python 3.11-3.13 found, or PYTHON=...) and install the lock into it
	@$(BIN)/python -c 'import sys; print(f"using Python {sys.version.split()[0]} in $(VENV)")'
ifeq ($(origin PYTHON),command line)
	@test "$$($(BIN)/python -c 'import sys; print(sys.version_info[:2])')" = "$$($(PYTHON) -c 'import sys; print(sys.version_info[:2])')" || \
	  { echo "PYTHON=$(PYTHON) was asked for, but $(VENV) was made with another Python: 'rm -rf $(VENV)', then run make again"; exit 1; }
endif

$(STAMP): requirements.lock pyproject.toml
	@test -n "$(PYTHON)" && $(PYTHON) -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 13))' || \
	  { echo "The course needs Python 3.11, 3.12 or 3.13; found $$($(PYTHON) --version 2>&1 || echo none)$(if $(PYTHON), at '$(PYTHON)')."; \
	    echo "Install one (your package manager, python.org, pyenv), then: make $(MAKECMDGOALS) PYTHON=/path/to/python3.12"; exit 1; }
	@# A .venv left without pip (Debian's venv stops after the interpreter when ensurepip is missing) is made again.
	@$(BIN)/python -m pip --version >/dev/null 2>&1 || { test ! -e $(VENV) || { echo "$(VENV) has no pip (an interrupted set-up?): making it again"; rm -rf $(VENV); }; \
	  echo "creating $(VENV) with $$($(PYTHON) --version) ($(PYTHON))"; \
	  $(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); echo "Python could not make $(VENV): its venv module is missing; make system-packages installs it (python3.x-venv)"; exit 1; }; }
	@# uv (the version the lock pins) installs the lock in seconds; pip does the same, slower, where uv cannot.
	@# --no-deps: the lock is the whole environment, resolved by make lock; nothing is added to it here
	@# (it leaves out rfc3987-syntax on purpose, see lock:), and pip check then confirms it is consistent.
	@# Neither compiles bytecode at install time (25 s on 2 cores for every module of every package): Python
	@# compiles a module when it is first imported and keeps it in __pycache__, since every target runs with
	@# PYTHONDONTWRITEBYTECODE unexported (above); the course imports a fraction of what the lock installs.
	( $(BIN)/python -m pip install --quiet --disable-pip-version-check "$(UV_PIN)" && \
	  $(BIN)/uv pip install --quiet --no-deps --python $(BIN)/python -r requirements.lock && \
	  $(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e . ) || \
	( echo "uv could not install the lock; installing with pip instead"; \
	  $(BIN)/python -m pip install --quiet --disable-pip-version-check --no-compile --no-deps -r requirements.lock && \
	  $(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e . )
	$(BIN)/python -m pip check
	touch $(STAMP)

$(KERNEL_STAMP): $(STAMP) lib/course/jupyter.py lib/course/toolstate.py lib/telemetry.env
	$(BIN)/python -m lib.course.jupyter
	touch $(KERNEL_STAMP)

# The only target that installs system packages: apt as root, or through sudo where it needs no password
# (CI runners, the dev container); Homebrew on macOS. Otherwise it prints the command and stops.
system-packages: ## install what the lessons need from the system (Prometheus, for 5.1 and 5.2); make test and team-up add their own
	@missing="$(MISSING)"; [ -z "$$missing" ] && exit 0; \
	apt="$(strip $(foreach need,$(MISSING),$(APT_$(need))))"; brew="$(strip $(foreach need,$(MISSING),$(BREW_$(need))))"; \
	echo "system packages missing: $$missing"; \
	$(foreach need,$(MISSING),echo "  $(need): for $(FOR_$(need))";) \
	$(if $(filter venv,$(MISSING)),,echo "  (lessons 1.0 to 4.1 need none of them: 'make lab' opens them now)";) \
	if [ "$$(uname -s)" = Darwin ]; then \
	  if command -v brew >/dev/null; then brew install $$brew || exit 1; \
	  else echo "Install Homebrew (https://brew.sh), then run: brew install $$brew"; exit 1; fi; \
	elif command -v apt-get >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then sudo=; \
	  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo="sudo -n"; \
	  else echo "make cannot install them here (not root, and no sudo without a password). Run this, or ask whoever"; \
	    echo "administers this machine to (or use the dev container or a codespace: README, Your machine), then make again:"; \
	    echo "    sudo apt-get update && sudo apt-get install -y $$apt"; exit 1; fi; \
	  echo "installing with apt-get: $$apt"; \
	  $$sudo apt-get update -qq && $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$apt >/dev/null || exit 1; \
	else echo "Install them with your system's package manager (Prometheus with promtool, PostgreSQL 13 or newer" \
	  "with initdb, OpenSSH's sshd), then run make again."; exit 1; fi; \
	still="$(foreach need,$(SYSTEM_NEEDS),$$( ( $(CHECK_$(need)) ) >/dev/null 2>&1 || echo $(need)))"; \
	[ -z "$${still// /}" ] || { echo "still missing after the install: $$still"; exit 1; }

pipeline: system-packages setup ## run every stage that is out of date (dvc repro, the independent stages side by side)
	@$(BIN)/python -m lib.preflight
	@# lib/course/repro.py: `dvc repro --single-item` for each stage once the stages it reads are done, the
	@# five after train side by side (REPRO_FLAGS="--jobs 1" runs them one at a time), then one `dvc repro`.
	$(SCRATCH_HOME) $(BIN)/python -m lib.course.repro $(REPRO_FLAGS)
	@$(BIN)/dvc status --quiet || { echo "make pipeline: a stage is still out of date after the run: see .venv/bin/dvc status"; exit 1; }
	@echo "make pipeline: done. Every lesson ran (reports/notebooks/) and no stage is left to run. Next: make lab"

test: system-packages setup ## every test: unit, pipeline (dvc repro in a scratch copy), notebooks (nbval), lint gates, the team stack
	@$(BIN)/python -m lib.preflight
	@# Two pytest-xdist workers (TEST_WORKERS), beside the pipeline's one build in the background (tests/sandbox.py).
	@# --dist loadgroup: the tests that need the pipeline on one worker, a module with a shared fixture on one;
	@# --no-loadscope-reorder: handed out in conftest.py's order (the pipeline's tests, then the slow ones).
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup --no-loadscope-reorder $(PYTEST_FLAGS)

test-fast: system-packages setup ## the quick subset (unit, API through TestClient, lint gates): no pipeline, no slow servers
	@# Two pytest-xdist workers, one per core of the reference machine; each loads the test modules (about 10 s).
	@# --dist loadscope keeps a module on one worker, so its module-scoped fixtures are built once.
	$(BIN)/python -m pytest tests -p no:nbval -o addopts="-ra" -m "not pipeline and not slow" -n 2 --dist loadscope $(PYTEST_FLAGS)

lint: setup ## ruff (rules and format) on the code and the notebooks, mypy on lib/, the Pynblint gate
	$(BIN)/ruff check $(CODE)
	$(BIN)/ruff format --check $(CODE)
	$(BIN)/nbqa ruff notebooks
	$(BIN)/mypy --cache-dir $(VENV)/mypy-cache
	$(BIN)/python -m lib.quality $(NOTEBOOKS)

format: setup ## ruff format the code (lib, tests, exercises, benchmarks) and fix what ruff can fix
	$(BIN)/ruff format $(CODE)
	$(BIN)/ruff check --fix $(CODE)

lab: system-packages setup ## open JupyterLab on the lessons with the project's kernel, on http://127.0.0.1:8888 (PORT=...)
	@$(CHECK_PORT)
	$(BIN)/jupyter lab --notebook-dir=. --ServerApp.ip=127.0.0.1 --ServerApp.port=$(PORT) --ServerApp.port_retries=0 \
	  notebooks/1.0-inception.ipynb $(if $(filter 0,$(shell id -u)),--allow-root,)

api: setup ## serve the exported champion on http://127.0.0.1:8000 (PORT=...) in the foreground (docs at /docs)
	$(BIN)/python -m lib.serving $(PORT)

bench: system-packages setup ## measure the API as make api runs it, in-process and beside mlflow models serve (wrk) -> reports/bench.json, docs/performance.md
	@test -f models/model.json || $(MAKE) pipeline
	$(BIN)/python -m benchmarks.run

mlflow-ui: setup ## browse the MLflow runs and the model registry at http://127.0.0.1:5001 (PORT=...)
	@$(CHECK_PORT)
	$(BIN)/mlflow ui --backend-store-uri sqlite:///$(CURDIR)/mlflow.db --host 127.0.0.1 --port $(PORT)

team-up: system-packages setup ## start the team's MLflow server (PostgreSQL, accounts) and DVC remote (sshd) -> .team/, team.env
	$(BIN)/python -m lib.course.team up --host $(TEAM_HOST) --members $(subst $(SPACE),$(COMMA),$(strip $(MEMBERS))) \
	  --connect $(firstword $(MEMBERS)) $(if $(TEAM_MLFLOW_PORT),--mlflow-port $(TEAM_MLFLOW_PORT)) \
	  $(if $(TEAM_SSH_PORT),--ssh-port $(TEAM_SSH_PORT)) $(if $(TEAM_POSTGRES_PORT),--postgres-port $(TEAM_POSTGRES_PORT))

team-down: setup ## stop the team stack; its runs, models, artifacts and data stay in .team/
	$(BIN)/python -m lib.course.team down

notebooks: system-packages setup ## re-execute every lesson in place, top to bottom, to refresh its saved outputs
	for nb in $(NOTEBOOKS); do \
	  $(SCRATCH_HOME) $(BIN)/jupyter nbconvert --to notebook --execute --inplace \
	    --ExecutePreprocessor.record_timing=False --ExecutePreprocessor.timeout=1200 "$$nb" || exit 1; \
	done

site: setup ## the course as a static site in site/ (open site/index.html); HANDOUT=1 builds it without the solutions
	$(BIN)/python -m lib.course.site build site $(if $(filter 1 yes true,$(HANDOUT)),--handout)

handout: setup ## a copy of the course for students with the worked solutions stubbed: make handout DEST=../course-handout
	@test -n "$(DEST)" || { echo "say where the hand-out goes: make handout DEST=../course-handout" >&2; exit 2; }
	$(BIN)/python -m lib.course.handout "$(DEST)"

new-project: setup ## a team's own project from template/: make new-project DEST=../our-project DATA=our.csv TARGET=column [TASK=regression] [DROP=id,notes]
	@test -n "$(DEST)" -a -n "$(DATA)" -a -n "$(TARGET)" || { echo "say where, from what data and what to predict: make new-project DEST=../our-project DATA=our.csv TARGET=column" >&2; exit 2; }
	$(BIN)/python -m lib.course.newproject "$(DEST)" "$(DATA)" "$(TARGET)" $(if $(TASK),--task "$(TASK)") $(if $(DROP),--drop "$(DROP)")

check-project: setup ## check a team's repository milestone by milestone: make check-project PROJECT=../our-project [MILESTONE=M2] [REPORT=x.json]
	@test -n "$(PROJECT)" || { echo "say which repository: make check-project PROJECT=../our-project [MILESTONE=M2]" >&2; exit 2; }
	$(BIN)/python -m lib.course.checker "$(PROJECT)" $(if $(MILESTONE),--milestone "$(MILESTONE)") --json "$(or $(REPORT),reports/check-project/$(notdir $(abspath $(PROJECT))).json)"

lock: setup ## re-resolve requirements.lock (everything) and requirements-serve.lock (the API image) from pyproject.toml; LOCK_FLAGS=--upgrade moves every pin to the newest release allowed
	@# --universal: one lock for Linux, macOS and Windows and for every Python that requires-python admits.
	@# Without --upgrade, uv keeps each pin the old lock has, unless pyproject.toml no longer allows it.
	@# --no-emit-package rfc3987-syntax: jsonschema imports it when present (for the "iri" format, which nothing of
	@# the course validates) and it builds a grammar at import: 1 s of CPU in every process that imports nbformat,
	@# Great Expectations or Jupyter (each papermill, nbval and lesson kernel). jsonschema works without it.
	$(BIN)/uv pip compile pyproject.toml --extra course --universal --python-version 3.11 --no-emit-package rfc3987-syntax $(LOCK_FLAGS) -o requirements.lock
	$(BIN)/uv pip compile pyproject.toml --universal --python-version 3.11 -c requirements.lock $(LOCK_FLAGS) -o requirements-serve.lock

# The newest releases pyproject.toml allows, tried in a scratch copy (requirements.lock is not touched):
# make test-fast, the pipeline and nbval there; a report by package in reports/try-newest/ (REPORT=...).
try-newest: system-packages setup ## resolve, install and test the newest allowed releases in a scratch copy -> reports/try-newest/report.md
	$(BIN)/python -m lib.course.newest --report "$(or $(REPORT),reports/try-newest)" $(if $(filter command line,$(origin PYTHON)),--python "$(PYTHON)")

clean: ## delete every pipeline output (keeps .venv, the DVC cache, the MLflow store and the committed cards)
	rm -rf data/raw/*.csv data/processed models metrics reports/notebooks/*.ipynb site
	rm -rf reports/codecarbon reports/data_docs reports/monitoring reports/drift reports/*.json
	rm -rf .pytest_cache

distclean: clean ## clean, and delete .venv, the MLflow store and the DVC cache
	rm -rf $(VENV) mlflow.db mlruns .dvc/cache .dvc/tmp
