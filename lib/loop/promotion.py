"""Promotion and rollback: move the registry's ``champion`` alias, and export the version it names to ``models/``.

The registry is the record of which version serves; the export in ``models/`` is what the
API (and its Docker image, which has no MLflow) loads. Promoting is therefore two steps,
always in this order: move the alias, then export the version it now names
(:func:`lib.training.export_version`, the same export lesson 2.2 makes). The running
API notices the new export and switches to it (:mod:`lib.serving.reloading`). A rollback is
the same two steps with the previous version: nothing is retrained, nothing is lost.
"""

from __future__ import annotations

from pathlib import Path

import mlflow
from mlflow import MlflowClient

from lib.training import export_version

CHAMPION = "champion"
CHALLENGER = "challenger"


def version_of(model_name: str, alias: str) -> int:
    """The version an alias points at (raises MLflow's error when the alias does not exist)."""
    return int(MlflowClient().get_model_version_by_alias(model_name, alias).version)


def promote(model_name: str, version: int, models_dir: Path, alias: str = CHAMPION) -> int | None:
    """Point ``alias`` at ``version`` and export it; return the version the alias pointed at before (None: none)."""
    client = MlflowClient()
    try:
        previous: int | None = version_of(model_name, alias)
    except mlflow.exceptions.MlflowException:
        previous = None
    client.set_registered_model_alias(model_name, alias, str(version))
    export_version(model_name, version, models_dir)
    return previous
