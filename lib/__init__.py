"""Shared code of the penguins MLOps course: what the lessons call, and the tools around them.

The lessons narrate and call this package; everything longer than a few lines lives
here, with a docstring and a unit test. The pipeline's core sits at the top, one module
per concern:

- ``paths``: where every file of the project lives, resolved from the project root at each use;
- ``params``: ``params.yaml``, the single source of every tunable, and the checks of each value;
- ``preflight``: ``params.yaml`` checked whole before any stage runs (``make pipeline``, ``make test``);
- ``schema``: the data's fields, units, categories and bounds, which GX, the API and the cards read;
- ``data``: acquisition of the raw LTER export, cleaning, the stratified split;
- ``validation``: the Great Expectations suites and the quality gate;
- ``modeling``: the candidates, their pipeline, cross-validation, evaluation, the requirements check;
- ``selection``: the one-standard-error rule that chooses the champion;
- ``tracking``: MLflow runs, comparisons and the registry;
- ``champion``: exporting the champion with skops and loading it against a reviewed type list;
- ``cards`` and ``card_facts``: the dataset and model cards, and the facts they state;
- ``energy``: CodeCarbon measurements of training and inference;
- ``quality``: Pynblint, ruff, pylint and pytest run as tools, their reports as tables;
- ``plots``: the lessons' figures;
- ``processes`` and ``ports``: starting a server and waiting for it, free and taken ports;
- ``jupyter``: the kernel's settings and JupyterLab's (``make setup``);
- ``toolstate``: where every tool keeps its caches and settings, never the user's home (a scratch home per run);
- ``snapshot``: scratch Git repositories (the tests' copy of the project, a fixed identity);
- ``handout``: the students' copy of the course, worked solutions replaced by stubs (``make handout``).

Packages, each split along its seams:

- ``serving``: the prediction API (FastAPI on uvicorn), from its bodies to ``python -m lib.serving``,
  switching models while it serves;
- ``monitoring``: Prometheus, the alert rules, simulated seasons and drift (lesson 5.1);
- ``loop``: closing the loop (lesson 5.2): a new season and its labels, the promotion gate, promotion and rollback;
- ``team``: the team stack, PostgreSQL, an MLflow server and an SSH remote (``make team-up``);
- ``lessons``: helpers that only one lesson uses (its tables, diagrams and scratch examples);
- ``site``: the course as a static site, its course map and its link check (``make site``).

``telemetry.env`` lists every tool's telemetry switch. Importing ``lib`` sets them for this
process and every process it starts (the Makefile exports the same file), so the course runs
offline and sends nothing anywhere; importing ``lib`` changes nothing else. The lessons' kernel
is set up by ``make setup`` instead (``jupyter``: plain output, the project's tools first on
``PATH``, every tool's state in the environment).
"""

import os
from pathlib import Path

# Each tool reads its own switch; all are set before any of them is imported. The list lives in
# telemetry.env, which the Makefile and the dev container read too.
TELEMETRY_OFF = dict(
    line.split("=", 1)
    for line in (Path(__file__).with_name("telemetry.env")).read_text(encoding="utf-8").splitlines()
    if line and not line.startswith("#")
)
os.environ.update(TELEMETRY_OFF)

__all__ = ["TELEMETRY_OFF"]
