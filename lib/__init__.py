"""Shared code of the penguins MLOps course: the ML system the lessons build, and the tools around it.

The lessons narrate and call this package; everything longer than a few lines lives
here, with a docstring and a unit test. **Start with** ``training`` (how the model is
made, step by step) and ``champion`` (the contract between training and serving);
``docs/architecture.md`` draws the whole as one picture.

The ML system, from raw data to the served, monitored and replaced model:

- ``paths`` and ``params``: where every file lives; ``params.yaml``, the single source of every
  tunable, and the checks of each value (``preflight`` checks the file whole before any stage runs);
- ``schema``: the data's fields, units, categories and bounds, which GX, the API and the cards read;
- ``data``: acquisition of the raw LTER export, cleaning, the stratified split;
- ``population``: new penguins drawn like the training split's, the traffic and the season of 5.1 and 5.2;
- ``validation``: the Great Expectations suites and the quality gate of raw and processed data;
- ``modeling``: the candidates, their pipeline, cross-validation, evaluation, importances;
- ``selection``: the one-standard-error rule that chooses the champion;
- ``training``: fit a candidate, log it, run a session of every candidate, publish the chosen one;
- ``requirements``: the success criteria of inception, one type and its checks (2.2's publish, 3.2's tests, the gate);
- ``evidence``: 95% intervals beside the scores that decide, and two models compared on the same birds;
- ``fairness``: accuracy by island and by sex (Fairlearn's ``MetricFrame``), the largest gap with its interval;
- ``explain``: what a model leans on, Shapley values (SHAP) beside permutation importance;
- ``tracking``: the MLflow store, experiments, and runs read back;
- ``champion``: ``models/``, its typed record (``model.json``), one writer, and a reader that checks the files;
- ``cards`` and ``card_facts``: the dataset and model cards, and the facts they state;
- ``serving``: the prediction API (FastAPI on uvicorn), from its bodies to ``python -m lib.serving``,
  switching models while it serves;
- ``monitoring``: Prometheus, the alert rules, simulated seasons and drift (lesson 5.1);
- ``loop``: closing the loop (lesson 5.2): a new season and its labels, the promotion gate, promotion and rollback.

Measuring and checking it:

- ``energy``: CodeCarbon measurements of training and inference;
- ``quality``: Pynblint, ruff, pylint and pytest run as tools, their reports as tables;
- ``plots``: the lessons' figures.

Running it: ``processes`` and ``ports`` start a server (the API, Prometheus, an MLflow server) and
wait for it, and find free and taken ports.

The course's own machinery lives apart, in ``course``: the tools' scratch homes, the lessons' kernel,
scratch Git, the helpers of a lesson or two, the hand-out, the site and its architecture picture, and
the team stack (see its docstring). Nothing above imports from it.

``telemetry.env`` lists every tool's telemetry switch. Importing ``lib`` sets them for this
process and every process it starts (the Makefile exports the same file), so the course runs
offline and sends nothing anywhere; importing ``lib`` changes nothing else. The lessons' kernel
is set up by ``make setup`` instead (``course.jupyter``: plain output, the project's tools first on
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
