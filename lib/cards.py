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

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from huggingface_hub import DatasetCard, DatasetCardData, EvalResult, ModelCard, ModelCardData
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from lib import paths, schema

TEMPLATES = Path(__file__).parent / "templates"

CITATION_BIBTEX = """```bibtex
@article{gorman2014,
  title   = {Ecological Sexual Dimorphism and Environmental Variability within a Community
             of Antarctic Penguins (Genus Pygoscelis)},
  author  = {Gorman, Kristen B. and Williams, Tony D. and Fraser, William R.},
  journal = {PLoS ONE},
  volume  = {9},
  number  = {3},
  pages   = {e90081},
  year    = {2014},
  doi     = {10.1371/journal.pone.0090081}
}
@manual{horst2020,
  title  = {palmerpenguins: Palmer Archipelago (Antarctica) penguin data},
  author = {Horst, Allison Marie and Hill, Alison Presmanes and Gorman, Kristen B.},
  year   = {2020},
  note   = {R package version 0.1.0},
  doi    = {10.5281/zenodo.3960218}
}
```"""

CITATION_APA = (
    "Gorman, K. B., Williams, T. D., & Fraser, W. R. (2014). Ecological sexual dimorphism and "
    "environmental variability within a community of Antarctic penguins (genus *Pygoscelis*). "
    "*PLoS ONE, 9*(3), e90081. https://doi.org/10.1371/journal.pone.0090081\n\n"
    "Horst, A. M., Hill, A. P., & Gorman, K. B. (2020). *palmerpenguins: Palmer Archipelago "
    "(Antarctica) penguin data* (R package version 0.1.0). https://doi.org/10.5281/zenodo.3960218"
)


def markdown_table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """Render a GitHub-flavoured markdown table (``|`` in cells is escaped)."""

    def cell(value: Any) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(cell(h) for h in headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def size_category(n_rows: int) -> str:
    """Return the Hugging Face ``size_categories`` tag for a number of rows."""
    bounds = [(1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M")]
    for bound, tag in bounds:
        if n_rows < bound:
            return tag
    return "n>1M"


def dataset_statistics(raw: pd.DataFrame) -> dict[str, Any]:
    """Compute the facts a dataset card states about the raw export."""
    species = schema.species_names(raw[schema.RAW_SPECIES_COLUMN])
    dates = pd.to_datetime(raw["Date Egg"], errors="coerce")
    sex = schema.known_sex(raw[schema.SEX.raw])
    return {
        "n_rows": int(len(raw)),
        "n_columns": int(raw.shape[1]),
        "species_counts": species.value_counts().sort_index().to_dict(),
        "island_species": pd.crosstab(raw[schema.RAW_ISLAND_COLUMN], species),
        "missing": raw.isna().sum().to_dict(),
        "sex_unknown": int(sex.isna().sum()),
        "rows_without_measurements": int(raw[list(schema.RAW_MEASUREMENT_COLUMNS)].isna().all(axis=1).sum()),
        "seasons": sorted(raw["studyName"].dropna().unique().tolist()),
        "first_date": dates.min().date().isoformat(),
        "last_date": dates.max().date().isoformat(),
    }


def _structure_section(raw: pd.DataFrame, stats: dict[str, Any]) -> str:
    rows = []
    for field in schema.RAW_FIELDS:
        column = raw[field.name]
        if pd.api.types.is_numeric_dtype(column) and field.unit not in (None, "date"):
            values = f"{column.min():g} to {column.max():g}"
        else:
            distinct = column.dropna().nunique()
            values = f"{distinct} distinct" if distinct > 4 else ", ".join(map(str, sorted(column.dropna().unique())))
        rows.append((f"`{field.name}`", field.unit or "", field.description, values, stats["missing"][field.name]))
    fields = markdown_table(["field", "unit", "meaning", "values", "missing"], rows)
    crosstab = stats["island_species"]
    islands = markdown_table(
        ["island", *crosstab.columns],
        [(island, *(int(n) for n in crosstab.loc[island])) for island in crosstab.index],
    )
    return (
        f"One CSV file, `{paths.relative(paths.RAW_DATA_FILE)}`: {stats['n_rows']} rows (one adult penguin "
        f"each) and {stats['n_columns']} columns, exactly as the Palmer Station LTER exported them. "
        "There is no predefined split: the pipeline's `prepare` stage makes a stratified train/test split.\n\n"
        f"{fields}\n\nPenguins per island and species (the label is `Species`):\n\n{islands}"
    )


def build_dataset_card(raw: pd.DataFrame, raw_md5: str) -> DatasetCard:
    """Build the dataset card of the raw export: facts computed from it, prose from ``templates/dataset_card.md``."""
    stats = dataset_statistics(raw)
    card_data = DatasetCardData(
        language="en",
        license="cc0-1.0",
        pretty_name="Palmer Penguins (raw LTER export)",
        size_categories=size_category(stats["n_rows"]),
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
        species_counts=", ".join(f"{name} {count}" for name, count in stats["species_counts"].items()),
        raw_md5=raw_md5,
        structure=_structure_section(raw, stats),
        rows_without_measurements=stats["rows_without_measurements"],
        measured=stats["n_rows"] - stats["rows_without_measurements"],
        sex_unknown=stats["sex_unknown"],
    )


def _per_island_rows(metrics: dict[str, float], test: pd.DataFrame) -> list[tuple]:
    counts = test["island"].astype(str).value_counts()
    return [
        (
            island,
            int(counts.get(island, 0)),
            f"{accuracy:.4f}",
            f"{metrics[schema.island_metric(island, 'macro_f1')]:.4f}",
        )
        for island, accuracy in schema.island_accuracies(metrics).items()
    ]


def build_model_card(
    *,
    model: Pipeline,
    model_name: str,
    champion: str,
    hyperparameters: dict[str, Any],
    candidates: pd.DataFrame,
    metrics: dict[str, float],
    importance: pd.Series,
    train: pd.DataFrame,
    test: pd.DataFrame,
    cv_folds: int,
    seed: int,
    requirements: dict[str, float],
    software: dict[str, str],
) -> ModelCard:
    """Build the model card of the champion: facts from its results and fitted pipeline, prose from the template.

    ``candidates`` has one row per candidate with ``candidate``, ``cv_macro_f1``,
    ``cv_macro_f1_std``, ``test_macro_f1`` and ``test_accuracy``; ``metrics`` are the
    champion's own (as logged to MLflow). Nothing that changes between identical runs
    (run ids, registry versions, dates) goes into the card, so it is reproducible.
    """
    min_f1, min_island = requirements["min_macro_f1"], requirements["min_island_accuracy"]
    island_rows = _per_island_rows(metrics, test)
    worst_island = min(float(row[2]) for row in island_rows)
    meets = metrics["test_macro_f1"] >= min_f1 and worst_island >= min_island
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
    table = markdown_table(
        ["candidate", f"CV macro-F1 ({cv_folds} folds)", "test macro-F1", "test accuracy"],
        [
            (
                f"**{row.candidate}**" if row.candidate == champion else row.candidate,
                f"{row.cv_macro_f1:.4f} ± {row.cv_macro_f1_std:.4f}",
                f"{row.test_macro_f1:.4f}",
                f"{row.test_accuracy:.4f}",
            )
            for row in candidates.itertuples()
        ],
    )
    per_class = markdown_table(["species", "test F1"], [(c, f"{metrics[f'test_f1_{c}']:.4f}") for c in schema.CLASSES])
    islands = markdown_table(["island", "test rows", "accuracy", "macro-F1"], island_rows)
    inputs = ", ".join(f"`{name}`" for name in schema.FEATURES)
    hyper = ", ".join(f"`{key}={value}`" for key, value in sorted(hyperparameters.items()))
    top = ", ".join(f"`{name}` ({value:.3f})" for name, value in importance.head(3).items())
    counts = ", ".join(f"{name} {n}" for name, n in train[schema.LABEL].value_counts().sort_index().items())
    return ModelCard.from_template(
        card_data,
        template_path=str(TEMPLATES / "model_card.md"),
        model_id=model_name,
        model_name=model_name,
        champion=champion,
        champion_words=champion.replace("_", " "),
        n_candidates=len(candidates),
        inputs=inputs,
        n_train=len(train),
        n_test=len(test),
        train_counts=counts,
        preprocessing=describe_preprocessing(model),
        pipeline_steps=describe_pipeline(model),
        hyperparameters=hyper,
        seed=seed,
        min_macro_f1=f"{min_f1:.2f}",
        min_island_accuracy=f"{min_island:.2f}",
        candidates_table=table,
        species_table=per_class,
        island_table=islands,
        test_macro_f1=f"{metrics['test_macro_f1']:.4f}",
        worst_island=f"{worst_island:.4f}",
        meets=meets,
        top_importances=top,
        software=", ".join(f"{name} {version}" for name, version in sorted(software.items())),
    )


def _steps(transformer: Any) -> list[Any]:
    return [step for _, step in transformer.steps] if isinstance(transformer, Pipeline) else [transformer]


def _step_words(step: Any, columns: Sequence[str]) -> str:
    if isinstance(step, StandardScaler):
        return "standardised (zero mean, unit variance)"
    if isinstance(step, SimpleImputer):
        return (
            f"a missing value becomes `{step.fill_value}`"
            if step.strategy == "constant"
            else f"imputed ({step.strategy})"
        )
    if isinstance(step, OneHotEncoder):
        levels = "; ".join(
            f"{column}: {', '.join(map(str, cats))}" for column, cats in zip(columns, step.categories_, strict=True)
        )
        return f"one-hot encoded ({levels})"
    return type(step).__name__


def describe_preprocessing(model: Pipeline) -> str:
    """Say what the fitted pipeline's preprocessing does to each input, read from the pipeline itself."""
    parts = []
    for _, transformer, columns in model.named_steps["preprocess"].transformers_:
        if transformer == "drop" or len(columns) == 0:
            continue
        names = ", ".join(f"`{column}`" for column in columns)
        parts.append(f"{names}: " + ", then ".join(_step_words(step, columns) for step in _steps(transformer)))
    return "; ".join(parts) + "."


def describe_pipeline(model: Pipeline) -> str:
    """Name the fitted pipeline's steps and their estimators (``preprocess`` ..., then ``classifier`` ...)."""
    described = []
    for name, step in model.steps:
        if hasattr(step, "transformers_"):
            inner = "; ".join(
                f"`{part}` " + ", ".join(type(s).__name__ for s in _steps(transformer))
                for part, transformer, _ in step.transformers_
                if transformer != "drop"
            )
            described.append(f"`{name}` ({type(step).__name__}: {inner})")
        else:
            described.append(f"`{name}` ({type(step).__name__})")
    return ", then ".join(described)


def write_card(card: DatasetCard | ModelCard, path: Path) -> Path:
    """Write a card as markdown (YAML metadata first) to ``path`` and return the path."""
    paths.ensure_parent(path)
    text = str(card).rstrip("\n") + "\n"
    Path(path).write_text(text, encoding="utf-8")
    return Path(path)


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
