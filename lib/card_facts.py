"""The facts the cards state, computed from the data, the results and the fitted pipeline.

:mod:`lib.cards` hands them to the templates; nothing here knows about Jinja or Hugging Face's
card classes. The templates hold the prose and the study's description; every fact that changes with the
data or the model (a count, a score, where the species live) comes from here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import partial
from typing import Any

import pandas as pd
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from lib import evidence, fairness, modeling, paths, schema
from lib.requirements import GROUP_NAMES, Requirements


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


def island_pattern(crosstab: pd.DataFrame) -> str:
    """Which species were sampled on one island only, and which islands hold one species (island x species counts).

    The words of the cards' island-shortcut warnings, so that they stay true when a delivery changes.
    """
    seen = crosstab > 0
    parts = [f"{s} were sampled only on {seen.index[seen[s]][0]}" for s in seen.columns if seen[s].sum() == 1]
    parts += [f"{i} has only {seen.columns[seen.loc[i]][0]}" for i in seen.index if seen.loc[i].sum() == 1]
    if not parts:
        return "every species was sampled on more than one island, and every island holds more than one species"
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def structure_section(raw: pd.DataFrame, stats: dict[str, Any]) -> str:
    """The *Dataset Structure* section: every raw field with its unit, meaning, values and gaps, and the crosstab."""
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


def per_island_rows(metrics: dict[str, float], test: pd.DataFrame) -> list[tuple]:
    """(island, test rows, accuracy, macro-F1) for each island with test rows."""
    counts, macro_f1 = test["island"].astype(str).value_counts(), partial(schema.island_metric, metric="macro_f1")
    return [
        (island, int(counts.get(island, 0)), f"{accuracy:.4f}", f"{metrics[macro_f1(island)]:.4f}")
        for island, accuracy in schema.island_accuracies(metrics).items()
    ]


def interval_summary(test: pd.DataFrame, predicted: Sequence[str], needs: Requirements, seed: int) -> str:
    """The accuracy requirements read by their 95% intervals on the test split, in words."""
    found = needs.with_intervals(evidence.scores(test, predicted, seed))
    words = _by_interval(
        [(check.criterion, evidence.status(interval, check.needs, check.threshold)) for check, interval in found]
    )
    macro_f1 = found[0][1]  # a perfect score's bootstrap interval is one point, whatever the number of birds
    if macro_f1.low == macro_f1.high:
        words += (
            " (macro-F1's is a perfect score's bootstrap interval, a single point whatever the number of birds: its "
            "*met* says nothing of the test split's size, as lesson 2.2 shows)"
        )
    return words


def importances(importance: pd.Series, test: pd.DataFrame) -> str:
    """Every input's permutation importance, beside what one bird can change in macro-F1 on ``test``."""
    one_bird = evidence.one_error(test[schema.LABEL])["macro_f1"]
    return ", ".join(f"`{name}` ({value:.3f})" for name, value in importance.items()) + (
        f"; one bird moves macro-F1 by up to {one_bird:.4f} on this test split: inputs closer than that cannot be "
        "ranked, and farther apart is no proof either (lesson 3.2 prints each one's spread over the shuffles)"
    )


def _by_interval(statuses: Sequence[tuple[str, str]]) -> str:
    """What the test split shows of each requirement once its score is read by its 95% interval."""
    parts = []
    for status, words in (
        (evidence.MET, "shows {} met"),
        (evidence.FAILED, "shows {} missed"),
        (evidence.UNDECIDED, "leaves {} undecided"),
    ):
        named = [criterion for criterion, seen in statuses if seen == status]
        if named:
            parts.append(words.format(" and ".join([", ".join(named[:-1]), named[-1]] if len(named) > 1 else named)))
    return "the test split " + "; it ".join(parts)


def group_rows(test: pd.DataFrame, predicted: Sequence[str]) -> list[tuple]:
    """(attribute, group, test rows, accuracy, exact 95% interval) for each island and each sex (Fairlearn)."""
    return [
        (attribute, row.Index, row.birds, f"{row.accuracy:.4f}", f"[{row.low:.4f}, {row.high:.4f}]")
        for attribute in fairness.ATTRIBUTES
        for row in fairness.by_group(test, predicted, attribute).itertuples()
    ]


def group_findings(test: pd.DataFrame, predicted: Sequence[str], max_gap: float) -> dict[str, str]:
    """The group requirement on the test split, in words: each gap with its interval and status, and what they show."""
    gaps = fairness.gaps(test, predicted)
    status = {attribute: evidence.status(gap, "<=", max_gap) for attribute, gap in gaps.items()}
    failed = [GROUP_NAMES[a] for a, s in status.items() if s == evidence.FAILED]
    undecided = [GROUP_NAMES[a] for a, s in status.items() if s == evidence.UNDECIDED]
    if failed:
        verdict = f"NOT met between {' and '.join(failed)}: the gap's whole interval lies above the threshold"
    elif undecided:
        verdict = (
            f"not shown by the test split between {' and '.join(undecided)}: the interval straddles the threshold; "
            "the promotion gate (lesson 5.2) checks it again on new birds"
        )
    else:
        verdict = "met: each gap's whole interval is within the threshold"
    described = "; ".join(
        f"between {GROUP_NAMES[attribute]} {gap.bracket()} on {gap.n} birds, {status[attribute]}"
        for attribute, gap in gaps.items()
    )
    return {"group_gaps": described, "group_verdict": verdict, "max_group_gap": f"{max_gap:.2f}"}


def candidates_table(candidates: pd.DataFrame, champion: str, cv_folds: int) -> str:
    """The candidates' scores as a markdown table, the champion in bold, the CV score with its spread."""
    return markdown_table(
        ["candidate", f"CV macro-F1 ({cv_folds} folds, mean ± sd)", "test macro-F1", "test accuracy"],
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


def model_card_facts(
    *,
    model: Pipeline,
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
) -> dict[str, Any]:
    """Every fact the model card's template states, from the session's results and the fitted pipeline.

    See :func:`lib.cards.build_model_card` for what each argument holds.
    """
    min_f1, min_island = requirements["min_macro_f1"], requirements["min_island_accuracy"]
    predicted = list(model.predict(modeling.features(test)))
    island_rows = per_island_rows(metrics, test)
    worst_island = min(float(row[2]) for row in island_rows)
    meets = metrics["test_macro_f1"] >= min_f1 and worst_island >= min_island
    per_class = markdown_table(["species", "test F1"], [(c, f"{metrics[f'test_f1_{c}']:.4f}") for c in schema.CLASSES])
    islands = markdown_table(["island", "test rows", "accuracy", "macro-F1"], island_rows)
    inputs = ", ".join(f"`{name}`" for name in schema.FEATURES)
    hyper = ", ".join(f"`{key}={value}`" for key, value in sorted(hyperparameters.items()))
    counts = ", ".join(f"{name} {n}" for name, n in train[schema.LABEL].value_counts().sort_index().items())
    birds = pd.concat([train, test], ignore_index=True)
    return {
        "champion": champion,
        "champion_words": champion.replace("_", " "),
        "n_candidates": len(candidates),
        "inputs": inputs,
        "n_train": len(train),
        "n_test": len(test),
        "train_counts": counts,
        "preprocessing": describe_preprocessing(model),
        "pipeline_steps": describe_pipeline(model),
        "hyperparameters": hyper,
        "seed": seed,
        "min_macro_f1": f"{min_f1:.2f}",
        "min_island_accuracy": f"{min_island:.2f}",
        "candidates_table": candidates_table(candidates, champion, cv_folds),
        "species_table": per_class,
        "island_table": islands,
        "island_pattern": island_pattern(pd.crosstab(birds["island"], birds[schema.LABEL])),
        "test_macro_f1": f"{metrics['test_macro_f1']:.4f}",
        "worst_island": f"{worst_island:.4f}",
        "meets": meets,
        "interval_summary": interval_summary(test, predicted, Requirements(min_f1, min_island), seed),
        "top_importances": importances(importance, test),
        "group_table": markdown_table(
            ["attribute", "group", "test rows", "accuracy", "95% interval"], group_rows(test, predicted)
        ),
        **group_findings(test, predicted, requirements["max_group_gap"]),
        "software": ", ".join(f"{name} {version}" for name, version in sorted(software.items())),
    }


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
