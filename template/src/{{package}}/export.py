"""Export: the registry's champion into models/, the one thing the API and the evaluation read.

models/model.skops is the fitted pipeline (skops, not pickle) and models/model.json says what it
is: the task, the target, the input columns, the registered version and the types skops may rebuild.
"""

from __future__ import annotations

import json

import mlflow
import mlflow.sklearn
import skops.io
from mlflow.tracking import MlflowClient

from . import config


def main() -> None:
    """The export stage: models:/<name>@champion -> models/model.skops and models/model.json."""
    settings = config.params()["train"]
    mlflow.set_tracking_uri(config.tracking_uri())
    name = settings["registered_model"]
    version = MlflowClient().get_model_version_by_alias(name, "champion")
    pipeline = mlflow.sklearn.load_model(f"models:/{name}@champion")
    out = config.path("models")
    out.mkdir(exist_ok=True)
    skops.io.dump(pipeline, out / "model.skops")
    schema = config.schema()
    meta = {
        "registered_model": name,
        "version": version.version,
        "run_id": version.run_id,
        "task": schema["target"]["task"],
        "target": schema["target"]["name"],
        "features": config.feature_names(),
        "trusted_types": sorted(skops.io.get_untrusted_types(file=out / "model.skops")),
    }
    (out / "model.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    print(f"exported {name} version {version.version} to {out}")


if __name__ == "__main__":
    main()
