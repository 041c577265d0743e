"""Export: the registered champion into models/, the one thing the API and the evaluation read.

models/model.skops is the fitted pipeline (skops, not pickle) and models/model.json says what it
is: the task, the target, the input columns, the registered version and the types skops may rebuild.
The train stage calls :func:`export` with the model it has just registered, so models/ is a DVC output
of that stage, versioned beside the run that made it (the registry itself, mlflow.db, is not in Git).
"""

from __future__ import annotations

import json
from typing import Any

import skops.io
from sklearn.pipeline import Pipeline

from . import config


def export(pipeline: Pipeline, name: str, version: Any) -> None:
    """Write models/model.skops and models/model.json for one registered version."""
    out = config.path("models")
    out.mkdir(exist_ok=True)
    skops.io.dump(pipeline, out / "model.skops")
    schema = config.schema()
    meta = {
        "registered_model": name,
        "version": str(version.version),
        "run_id": version.run_id,
        "task": schema["target"]["task"],
        "target": schema["target"]["name"],
        "features": config.feature_names(),
        "trusted_types": sorted(skops.io.get_untrusted_types(file=out / "model.skops")),
    }
    (out / "model.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    print(f"exported {name} version {version.version} to {out}")
