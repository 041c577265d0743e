"""The dataset card and the model card, with Hugging Face's card classes and official templates.

Every fact is computed here, from the raw data, the candidates' scores, the evaluation and the
emissions, so a card cannot drift from what it describes. The prose the data cannot give
(who collected it, why, for whom the model is, what it must never be used for) is yours to write
in cards.yaml, which this module reads; a section still waiting for it says which key to fill.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import yaml
from huggingface_hub import DatasetCard, DatasetCardData, EvalResult, ModelCard, ModelCardData

from . import config


def yours(key: str) -> str:
    """The team's own text for a section, from cards.yaml, or a line saying which key to fill."""
    path = config.path("cards.yaml")
    prose = (yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None) or {}
    return str(prose.get(key) or f"*To write: `{key}` in cards.yaml.*")


def structure(raw: pd.DataFrame, schema: dict[str, Any]) -> str:
    """A Markdown table of the columns: kind, what the profile allows, missing values."""
    lines = ["| column | kind | allowed | missing |", "|---|---|---|---|"]
    for column in [*schema["columns"], {**schema["target"], "kind": f"target ({schema['target']['task']})"}]:
        allowed = column.get("categories") or column.get("classes")
        allowed_text = ", ".join(map(str, allowed)) if allowed else f"{column['min']} to {column['max']}"
        missing = int(raw[column["name"]].isna().sum())
        lines.append(f"| `{column['name']}` | {column['kind']} | {allowed_text} | {missing} |")
    return "\n".join(lines)


def dataset_card(raw: pd.DataFrame) -> DatasetCard:
    """The raw data's card."""
    schema = config.schema()
    target = schema["target"]
    counts = raw[target["name"]].value_counts()
    rarest = counts.index[-1].item() if hasattr(counts.index[-1], "item") else counts.index[-1]
    balance = (
        f"The rarest class, {rarest!r}, has {counts.iloc[-1]} of {len(raw)} rows ({counts.iloc[-1] / len(raw):.1%})."
        if target["task"] == "classification"
        else f"The target ranges from {raw[target['name']].min()} to {raw[target['name']].max()}."
    )
    missing = int(raw[config.feature_names()].isna().any(axis=1).sum())
    data = DatasetCardData(pretty_name=config.params()["train"]["experiment"], license="unknown")
    return DatasetCard.from_template(
        data,
        curators=yours("curators"),
        language="not applicable (tabular data)",
        dataset_summary=f"{len(raw)} rows, {len(schema['columns'])} input columns, target `{target['name']}` "
        f"({target['task']}), from `data/raw/{config.raw_data_path().name}` (tracked by DVC).",
        dataset_description=yours("dataset_description"),
        direct_use=f"Training and evaluating this project's {target['task']} model of `{target['name']}`.",
        out_of_scope_use=yours("out_of_scope_use"),
        dataset_structure=structure(raw, schema),
        bias_risks_limitations=f"{balance} {missing} rows miss at least one input value. "
        "The ranges and categories above are what these rows showed, not what the world allows. "
        + yours("dataset_limitations"),
        bias_recommendations=yours("bias_recommendations"),
    )


def model_card(candidates: dict[str, Any], metrics: dict[str, Any], emissions_kg: float) -> ModelCard:
    """The champion's card."""
    schema = config.schema()
    name = config.params()["train"]["registered_model"]
    champion = candidates["champion"]
    low, high = metrics["interval_95"]
    table = ["| candidate | mean | standard error |", "|---|---|---|"] + [
        f"| {n} | {r['mean']:.3f} | {r['se']:.3f} |" for n, r in candidates["candidates"].items()
    ]
    verdict = "met" if metrics["requirement_met"] else "**not met**"
    data = ModelCardData(
        model_name=name,
        library_name="sklearn",
        license="unknown",
        metrics=[metrics["metric"]],
        eval_results=[
            EvalResult(
                task_type=f"tabular-{schema['target']['task']}",
                dataset_type="test-split",
                dataset_name="held-out test split",
                metric_type=metrics["metric"],
                metric_value=round(metrics["score"], 4),
            )
        ],
    )
    return ModelCard.from_template(
        data,
        model_id=name,
        developers=yours("developers"),
        model_type=f"scikit-learn pipeline ({champion}) for tabular {schema['target']['task']}",
        language="not applicable (tabular data)",
        model_summary=f"A {schema['target']['task']} model of `{schema['target']['name']}`: {champion}.",
        model_description=f"scikit-learn pipeline, candidate `{champion}` with hyperparameters "
        f"{candidates['candidates'][champion]['params'] or 'the defaults'}, "
        f"registered version {candidates['version']} (alias `champion`).",
        direct_use=yours("model_direct_use"),
        out_of_scope_use=yours("model_out_of_scope_use"),
        bias_risks_limitations=f"The test score's 95% interval spans {high - low:.3f} on {metrics['n_test']} rows. "
        + yours("model_limitations"),
        training_data=f"The training split of `data/raw/{config.raw_data_path().name}`.",
        preprocessing="Numbers: median imputation, standard scaling. "
        "Categories: the most frequent value for a missing one, one-hot encoding.",
        training_regime=f"{len(candidates['candidates'][champion]['folds'])}-fold cross-validation of each candidate; "
        "the simplest within one standard error of the best mean is the champion.\n\n" + "\n".join(table),
        testing_data=f"The held-out test split: {metrics['n_test']} rows, "
        "used to judge the exported champion, never to choose it.",
        testing_factors=yours("testing_factors"),
        testing_metrics=metrics["metric"],
        results=f"{metrics['metric']} {metrics['score']:.3f} (95% interval {low:.3f} to {high:.3f}, "
        f"{metrics['n_test']} test rows). Requirement: at least {metrics['requirement']:.3f} "
        f"on the interval's lower end: {verdict}.",
        co2_emitted=f"{emissions_kg:.2e} kg CO2eq for the cross-validation and the final fit (CodeCarbon, offline).",
    )


def main() -> None:
    """The cards stage: docs/cards/dataset_card.md and model_card.md."""
    raw = pd.read_csv(config.raw_data_path())
    candidates = json.loads(config.path("reports", "candidates.json").read_text(encoding="utf-8"))
    metrics = json.loads(config.path("reports", "metrics.json").read_text(encoding="utf-8"))
    emissions = float(pd.read_csv(config.path("reports", "emissions.csv"))["emissions"].sum())
    out = config.path("docs", "cards")
    out.mkdir(parents=True, exist_ok=True)
    dataset_card(raw).save(out / "dataset_card.md")
    model_card(candidates, metrics, emissions).save(out / "model_card.md")
    print(f"wrote {out / 'dataset_card.md'} and {out / 'model_card.md'}")


if __name__ == "__main__":
    main()
