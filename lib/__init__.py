"""Shared code of the penguins MLOps course.

The notebooks narrate and call this package; everything longer than a few lines
lives here, with a docstring and a unit test. One module per concern:

- ``paths``: where every file of the project lives, resolved from the project root;
- ``params``: ``params.yaml``, the single source of every tunable, and its checks;
- ``data``: acquisition of the raw LTER export;
- ``plots``: the figures of the lessons;
- ``cards``: the dataset card (and, from Milestone 2, the model card).

Importing ``lib`` switches off the telemetry of MLflow, DVC, Great Expectations
and the Hugging Face hub for this process and every process it starts, so the
course runs offline and sends nothing anywhere.
"""

import os
import warnings
from pathlib import Path

# Each tool reads its own switch; all are set before any of them is imported. The list lives in
# telemetry.env, which the Makefile and the dev container read too.
TELEMETRY_OFF = dict(
    line.split("=", 1)
    for line in (Path(__file__).with_name("telemetry.env")).read_text(encoding="utf-8").splitlines()
    if line and not line.startswith("#")
)
os.environ.update(TELEMETRY_OFF)
# CodeCarbon logs every measurement at INFO; the lessons print what matters themselves.
os.environ.setdefault("CODECARBON_LOG_LEVEL", "error")

# tqdm (through huggingface_hub) warns on import that ipywidgets is absent; the
# course shows no progress bars, so the warning is noise in every lesson.
warnings.filterwarnings("ignore", message="IProgress not found", module="tqdm")

__all__ = ["TELEMETRY_OFF"]
