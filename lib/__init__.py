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
import sys
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

# A lesson's shell commands (`!dvc dag`, `%%bash`) run the project's own tools and print plain text:
# this environment's bin/ first on PATH (a kernel started from JupyterLab may not have it), and
# none of the switches with which a Jupyter kernel forces colours on every program it starts.
_BIN = os.path.dirname(sys.executable)
if os.environ.get("PATH", "").split(os.pathsep)[0] != _BIN:
    os.environ["PATH"] = _BIN + os.pathsep + os.environ.get("PATH", "")
if "ipykernel" in sys.modules:
    for _forced in ("FORCE_COLOR", "CLICOLOR_FORCE", "CLICOLOR"):
        os.environ.pop(_forced, None)
    os.environ.update(NO_COLOR="1", TERM="dumb")
# CodeCarbon logs every measurement at INFO; the lessons print what matters themselves.
os.environ.setdefault("CODECARBON_LOG_LEVEL", "error")

# tqdm (through huggingface_hub) warns on import that ipywidgets is absent; the
# course shows no progress bars, so the warning is noise in every lesson.
warnings.filterwarnings("ignore", message="IProgress not found", module="tqdm")

__all__ = ["TELEMETRY_OFF"]
