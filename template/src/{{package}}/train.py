"""Training: every candidate of params.yaml cross-validated and tracked in MLflow, then the selection rule.

Each candidate is an MLflow run (its hyperparameters, its score per fold, their mean and standard
error). The rule picks the simplest candidate whose mean is within one standard error of the best;
it is refitted on the whole training split, logged with its signature (skops, not pickle),
registered with the alias "champion" and exported into models/. CodeCarbon measures the energy of
all of it.
"""

from __future__ import annotations

import json
import math
from typing import Any

import mlflow
import mlflow.sklearn
import numpy as np
import skops.io
from codecarbon import OfflineEmissionsTracker
from mlflow.models import infer_signature
from mlflow.tracking import MlflowClient
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score

from . import config, data, export, model


def cross_validate(settings: dict[str, Any], features, target) -> dict[str, dict[str, Any]]:
    """Each candidate's fold scores, mean and standard error, each logged as an MLflow run."""
    task = config.schema()["target"]["task"]
    folds_class = StratifiedKFold if task == "classification" else KFold
    folds = folds_class(n_splits=settings["cv_folds"], shuffle=True, random_state=settings["seed"])
    results = {}
    for name, hyperparameters in settings["candidates"].items():
        pipeline = model.build(name, hyperparameters or {}, settings["seed"])
        scores = cross_val_score(pipeline, features, target, cv=folds, scoring=config.score_name())
        mean, se = float(np.mean(scores)), float(np.std(scores, ddof=1) / math.sqrt(len(scores)))
        with mlflow.start_run(run_name=name):
            mlflow.log_params({"candidate": name, **(hyperparameters or {})})
            mlflow.log_metrics({f"cv_{config.score_name()}_mean": mean, f"cv_{config.score_name()}_se": se})
            for fold, score in enumerate(scores):
                mlflow.log_metric(f"cv_{config.score_name()}", float(score), step=fold)
        results[name] = {"mean": mean, "se": se, "folds": [float(s) for s in scores], "params": hyperparameters or {}}
    return results


def select(results: dict[str, dict[str, Any]]) -> str:
    """The one-standard-error rule: the first (simplest) candidate within one SE of the best mean."""
    best = max(results.values(), key=lambda r: r["mean"])
    return next(name for name, r in results.items() if r["mean"] >= best["mean"] - best["se"])


def register(name: str, cv: dict[str, Any], settings: dict[str, Any], features, target) -> str:
    """Refit the champion on the whole training split, log and register it, point "champion" at it, export it."""
    pipeline = model.build(name, settings["candidates"][name] or {}, settings["seed"])
    pipeline.fit(features, target)
    trusted = skops.io.get_untrusted_types(data=skops.io.dumps(pipeline))
    with mlflow.start_run(run_name=f"{name} (champion)"):
        mlflow.log_params({"candidate": name, **(settings["candidates"][name] or {})})
        mlflow.log_metrics({f"cv_{config.score_name()}_mean": cv["mean"], f"cv_{config.score_name()}_se": cv["se"]})
        info = mlflow.sklearn.log_model(
            pipeline,
            name="model",
            signature=infer_signature(features, pipeline.predict(features)),
            input_example=features.head(3),
            registered_model_name=settings["registered_model"],
            serialization_format="skops",
            skops_trusted_types=trusted,
            pip_requirements=["scikit-learn", "skops"],
        )
    version = str(info.registered_model_version)
    client, registered = MlflowClient(), settings["registered_model"]
    client.set_registered_model_alias(registered, "champion", version)
    export.export(pipeline, registered, client.get_model_version(registered, version))
    return version


def main() -> None:
    """The train stage: reports/candidates.json, reports/emissions.csv, a registered champion in models/."""
    settings = config.params()["train"]
    features, target = data.features_and_target(data.load_split("train"))
    mlflow.set_tracking_uri(config.tracking_uri())
    mlflow.set_experiment(settings["experiment"])
    reports = config.path("reports")
    reports.mkdir(exist_ok=True)
    tracker = OfflineEmissionsTracker(
        country_iso_code=config.params()["energy"]["country_iso_code"],
        output_dir=str(reports),
        output_file="emissions.csv",
        project_name=settings["experiment"],
        log_level="error",
        save_to_file=True,
    )
    tracker.start()
    try:
        results = cross_validate(settings, features, target)
        champion = select(results)
        version = register(champion, results[champion], settings, features, target)
    finally:
        emissions = tracker.stop()
    summary = {"metric": config.score_name(), "champion": champion, "version": version, "candidates": results}
    (reports / "candidates.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    for name, r in results.items():
        print(f"{name:>20}: {r['mean']:.3f} +/- {r['se']:.3f} {'<- champion' if name == champion else ''}")
    print(f"champion {champion}, version {version}; emissions {emissions or 0:.2e} kg CO2eq")


if __name__ == "__main__":
    main()
