"""Promotion and rollback: move the registry's ``champion`` alias, and export the version it names to ``models/``.

The registry is the record of which version serves; the export in ``models/`` is what the
API (and its Docker image, which has no MLflow) loads. Promoting is therefore two steps,
always in this order: move the alias, then export the version it now names. The running
API notices the new export and switches to it (:mod:`lib.serving.reloading`). A rollback is
the same two steps with the previous version: nothing is retrained, nothing is lost.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mlflow
from mlflow import MlflowClient

from lib import champion, schema
from lib.tracking import RUN_SETTINGS

CHAMPION = "champion"
CHALLENGER = "challenger"


def version_of(model_name: str, alias: str) -> int:
    """The version an alias points at (raises MLflow's error when the alias does not exist)."""
    return int(MlflowClient().get_model_version_by_alias(model_name, alias).version)


def metadata(model_name: str, version: int) -> dict[str, Any]:
    """``model.json`` for a registered version: what 2.2 exports, read back from the version's run."""
    client = MlflowClient()
    registered = client.get_model_version(model_name, str(version))
    if not registered.run_id:
        raise ValueError(f"{model_name} version {version} has no run: register versions from a logged run")
    run = client.get_run(registered.run_id)
    inputs = [item.dataset for item in (run.inputs.dataset_inputs if run.inputs else [])]
    return {
        "name": model_name,
        "version": int(version),
        "candidate": (registered.tags or {}).get("candidate"),
        "run_id": registered.run_id,
        "hyperparameters": {key: value for key, value in run.data.params.items() if key not in RUN_SETTINGS},
        "metrics": {key: round(value, 4) for key, value in sorted(run.data.metrics.items())},
        "schema": schema.feature_schema(),
        "trained_on": [{"name": item.name, "digest": item.digest, "source": item.source} for item in inputs],
    }


def export_version(model_name: str, version: int, models_dir: Path) -> tuple[Path, Path]:
    """Export a registered version to ``models_dir`` (skops file and ``model.json``), as the API loads it."""
    model = mlflow.sklearn.load_model(f"models:/{model_name}/{version}")
    return champion.export(model, metadata(model_name, version) | {"classes": list(model.classes_)}, models_dir)


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
