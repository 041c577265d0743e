"""Cards: the dataset card and the model card, built with Hugging Face's card classes.

The prose (provenance, collection, biases, licence) lives in Jinja templates,
``lib/templates/dataset_card.md`` and ``model_card.md``: Hugging Face's official
templates with the course's text in place of their placeholders, rendered by
``DatasetCard.from_template(..., template_path=...)``. This module computes every
fact they state from the data or the fitted pipeline (counts, dates, scores, the
preprocessing itself), so a card cannot drift from what it describes: re-running
the stage rewrites it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from huggingface_hub import DatasetCard, DatasetCardData, EvalResult, ModelCard, ModelCardData

from lib import card_facts, paths
from lib.card_facts import dataset_statistics, markdown_table

TEMPLATES = Path(__file__).parent / "templates"
# the dataset's facts and the table renderer, which the lessons call as cards.*
__all__ = ["build_dataset_card", "build_model_card", "dataset_statistics", "markdown_table", "section", "write_card"]


def build_dataset_card(raw: pd.DataFrame, raw_md5: str) -> DatasetCard:
    """Build the dataset card of the raw export: facts computed from it, prose from ``templates/dataset_card.md``."""
    stats = card_facts.dataset_statistics(raw)
    card_data = DatasetCardData(
        language="en",
        license="cc0-1.0",
        pretty_name="Palmer Penguins (raw LTER export)",
        size_categories=card_facts.size_category(stats["n_rows"]),
        task_categories="tabular-classification",
        tags=["penguins", "ecology", "antarctica", "mlops-course"],
        source_datasets=["original"],
    )
    return DatasetCard.from_template(
        card_data,
        template_path=str(TEMPLATES / "dataset_card.md"),
        pretty_name=card_data.pretty_name,
        n_rows=stats["n_rows"],
        first_year=stats["first_date"][:4],
        last_year=stats["last_date"][:4],
        first_date=stats["first_date"],
        last_date=stats["last_date"],
        seasons=", ".join(stats["seasons"]),
        n_seasons=len(stats["seasons"]),
        species_counts=", ".join(f"{name} {count}" for name, count in stats["species_counts"].items()),
        raw_md5=raw_md5,
        structure=card_facts.structure_section(raw, stats),
        island_pattern=card_facts.island_pattern(stats["island_species"]),
        rows_without_measurements=stats["rows_without_measurements"],
        measured=stats["n_rows"] - stats["rows_without_measurements"],
        sex_unknown=stats["sex_unknown"],
    )


def build_model_card(*, model_name: str, **inputs: Any) -> ModelCard:
    """Build the model card of the champion: facts from its results and fitted pipeline, prose from the template.

    ``inputs`` are the keyword arguments of :func:`lib.card_facts.model_card_facts`: the fitted
    ``model``, the ``champion``'s name and ``hyperparameters``, the ``candidates`` (one row each with
    ``candidate``, ``cv_macro_f1``, ``cv_macro_f1_std``, ``test_macro_f1``, ``test_accuracy``), the
    champion's own ``metrics`` (as logged to MLflow) and ``importance``, the ``train`` and ``test``
    splits, ``cv_folds``, ``seed``, the ``requirements`` and the ``software`` versions. Nothing that
    changes between identical runs (run ids, registry versions, dates) goes into the card, so it is
    reproducible.
    """
    facts = card_facts.model_card_facts(**inputs)
    champion, metrics = inputs["champion"], inputs["metrics"]
    card_data = ModelCardData(
        model_name=model_name,
        license="mit",
        library_name="sklearn",
        language="en",
        pipeline_tag="tabular-classification",
        tags=["tabular-classification", "penguins", "mlops-course", champion.replace("_", "-")],
        metrics=["f1", "accuracy"],
        eval_results=[
            EvalResult(
                task_type="tabular-classification",
                dataset_type="palmer-penguins",
                dataset_name="Palmer Penguins (held-out test split)",
                dataset_split="test",
                metric_type=metric_type,
                metric_name=metric_name,
                metric_value=round(metrics[key], 4),
            )
            for metric_type, metric_name, key in (
                ("f1", "macro-F1", "test_macro_f1"),
                ("accuracy", "accuracy", "test_accuracy"),
            )
        ],
    )
    return ModelCard.from_template(
        card_data, template_path=str(TEMPLATES / "model_card.md"), model_id=model_name, model_name=model_name, **facts
    )


def write_card(card: DatasetCard | ModelCard, path: Path) -> Path:
    """Write a card as markdown (YAML metadata first) to ``path``, whole or not at all; return the path."""
    text = str(card).rstrip("\n") + "\n"
    return paths.write_atomically(Path(path), lambda tmp: tmp.write_text(text, encoding="utf-8"))


def section(card_text: str, heading: str) -> str:
    """Return the body of the ``## heading`` section of a card (up to the next ``##`` heading)."""
    lines = card_text.splitlines()
    title = f"## {heading}"
    if title not in lines:
        raise KeyError(f"the card has no section '{title}'")
    body = []
    for line in lines[lines.index(title) + 1 :]:
        if line.startswith("## "):
            break
        body.append(line)
    return "\n".join(body).strip()
