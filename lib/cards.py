"""Cards: the dataset card and the model card, built with Hugging Face's card classes.

Every number in a card is computed from the file it describes, so the card
cannot drift from the data: re-running the stage rewrites it. The text around
the numbers (provenance, collection, biases, licence) is written once here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from huggingface_hub import DatasetCard, DatasetCardData, EvalResult, ModelCard, ModelCardData

from lib import paths, schema

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
    """Build the dataset card of the raw export from its data and its MD5 hash."""
    stats = dataset_statistics(raw)
    species = ", ".join(f"{name} {count}" for name, count in stats["species_counts"].items())
    card_data = DatasetCardData(
        language="en",
        license="cc0-1.0",
        pretty_name="Palmer Penguins (raw LTER export)",
        size_categories=size_category(stats["n_rows"]),
        task_categories="tabular-classification",
        tags=["penguins", "ecology", "antarctica", "mlops-course"],
        source_datasets=["original"],
    )
    measured = stats["n_rows"] - stats["rows_without_measurements"]
    return DatasetCard.from_template(
        card_data,
        pretty_name=card_data.pretty_name,
        dataset_summary=(
            f"Body measurements of {stats['n_rows']} adult Adelie, Chinstrap and Gentoo penguins nesting on three "
            f"islands of the Palmer Archipelago, Antarctica, in the {stats['first_date'][:4]} to "
            f"{stats['last_date'][:4]} breeding seasons. This course uses it to classify the species ({species})."
        ),
        dataset_description=(
            "The raw export of the Palmer Station Long Term Ecological Research (LTER) program's penguin study, "
            "as shipped (unchanged) by the `palmerpenguins` package: bill (culmen), flipper and body-mass "
            "measurements, molecular sex, blood stable-isotope ratios and field notes. The file acquired here has "
            f"MD5 `{raw_md5}`."
        ),
        curators="Dr. Kristen B. Gorman and the Palmer Station Antarctica LTER",
        funded_by="US National Science Foundation, Office of Polar Programs (Palmer Station LTER)",
        shared_by="Allison M. Horst, Alison P. Hill and Kristen B. Gorman (the `palmerpenguins` package)",
        language="English column names and labels; the content is tabular, not natural language",
        license="CC0 1.0 (public domain dedication), as published by the Palmer Station LTER and `palmerpenguins`",
        repo="https://github.com/allisonhorst/palmerpenguins",
        paper="https://doi.org/10.1371/journal.pone.0090081",
        demo="the notebook `notebooks/1.0-inception.ipynb` of this course",
        direct_use=(
            "Teaching and benchmarking tabular classification and data cleaning: predicting the species of an "
            "adult penguin of these three species from bill, flipper and body-mass measurements, island and sex."
        ),
        out_of_scope_use=(
            "Conclusions about penguin populations beyond these three islands and seasons; other species or "
            "chicks; any decision about real animals without expert review. The isotope columns are not "
            "suited to diet studies without the original study's methods."
        ),
        dataset_structure=_structure_section(raw, stats),
        curation_rationale_section=(
            "The study measured how male and female penguins of three sympatric species differ in size and "
            "foraging (sexual dimorphism and environmental variability), to understand how they respond to "
            "a changing Antarctic environment."
        ),
        data_collection_and_processing_section=(
            "Study nests were followed on Biscoe, Dream and Torgersen islands in the seasons "
            f"{', '.join(stats['seasons'])} "
            f"({stats['first_date']} to {stats['last_date']}). When a nest reached the one-egg stage, its adults "
            "were captured, measured (bill length and depth, flipper length, body mass) and blood-sampled for "
            f"molecular sexing and stable-isotope analysis. {stats['rows_without_measurements']} rows have no "
            f"measurements at all (the adult was not sampled), so {measured} rows are usable for the model; "
            f"sex is unknown for {stats['sex_unknown']} rows. This course copies the file unchanged; cleaning is "
            "a later, separate stage."
        ),
        source_data_producers_section=(
            "Field researchers of the Palmer Station Antarctica LTER, led by Dr. Kristen B. Gorman, with "
            "William R. Fraser and Tony D. Williams."
        ),
        annotation_process_section=(
            "Not applicable: there are no annotations added after collection. The label (species) was recorded "
            "in the field when each bird was sampled; sex comes from a molecular test, not from annotators."
        ),
        who_are_annotators_section="Not applicable (see above): no annotators were involved.",
        personal_and_sensitive_information=(
            "None. The records describe wild birds; there are no people, names or locations finer than the island."
        ),
        bias_risks_limitations=(
            "- **Island is almost the label.** Gentoo were sampled only on Biscoe, Chinstrap only on Dream, and "
            "Torgersen has only Adelie, so a model can learn the island instead of the bird; it says little "
            "about penguins from other colonies.\n"
            f"- **Imbalanced classes**: {species}. Accuracy alone hides errors on Chinstrap; use macro-F1.\n"
            "- **Sexual dimorphism**: males are larger within each species, so body measurements mix sex and "
            f"species; sex is missing for {stats['sex_unknown']} rows.\n"
            "- **Narrow sampling**: breeding adults at one nesting stage, three seasons, one region."
        ),
        bias_recommendations=(
            "Report per-class and per-island results, not only the overall score; keep island as an input only "
            "knowing it is a shortcut; treat predictions for penguins outside these islands as unreliable."
        ),
        citation_bibtex=CITATION_BIBTEX,
        citation_apa=CITATION_APA,
        glossary=(
            "- **Culmen**: the upper ridge of the bill; its length and depth are the bill's size.\n"
            "- **Clutch**: the eggs of one nest; a full clutch is two eggs.\n"
            "- **Delta 15 N / Delta 13 C**: isotope ratios in blood, in parts per thousand, that reflect diet."
        ),
        more_information=(
            "The original data are published by the Environmental Data Initiative as packages "
            "knb-lter-pal.219 (Adelie), knb-lter-pal.220 (Gentoo) and knb-lter-pal.221 (Chinstrap)."
        ),
        dataset_card_authors="The maintainers of this MLOps course, from the data and the sources above",
        dataset_card_contact="Open an issue in this course's repository",
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
    """Build the model card of the champion from the training session's real results.

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
                metric_type="f1",
                metric_name="macro-F1",
                metric_value=round(metrics["test_macro_f1"], 4),
            ),
            EvalResult(
                task_type="tabular-classification",
                dataset_type="palmer-penguins",
                dataset_name="Palmer Penguins (held-out test split)",
                dataset_split="test",
                metric_type="accuracy",
                metric_name="accuracy",
                metric_value=round(metrics["test_accuracy"], 4),
            ),
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
        model_id=model_name,
        model_summary=(
            f"A scikit-learn {champion.replace('_', ' ')} pipeline that predicts the species of an adult penguin "
            "(Adelie, Chinstrap or Gentoo) from its island, sex and four body measurements, with a probability per "
            "species. It is the model every lesson of this MLOps course builds, tests and serves."
        ),
        model_description=(
            f"The champion of {len(candidates)} candidates trained in lesson 2.2 and tracked with MLflow, chosen by "
            f"cross-validated macro-F1. Inputs: {inputs} (sex may be missing). Preprocessing and classifier form one "
            "pipeline, exported with skops (no pickle) and registered in MLflow with the alias `champion`."
        ),
        developers="The authors of the penguins MLOps course",
        funded_by="Not applicable: a teaching project",
        shared_by="The penguins MLOps course repository",
        model_type=f"Tabular multi-class classifier ({champion.replace('_', ' ')}, scikit-learn pipeline)",
        language="Not applicable (tabular inputs)",
        license="MIT (the code and the model); the training data are CC0 1.0",
        base_model="None: trained from scratch",
        repo="This course's repository: `notebooks/2.2-experiment-tracking.ipynb` trains it",
        paper="Gorman, Williams & Fraser (2014), doi:10.1371/journal.pone.0090081, for the data",
        demo="The API started in `notebooks/4.1-deployment.ipynb` (`POST /predict`)",
        direct_use=(
            "Predicting the species of an adult Adelie, Chinstrap or Gentoo penguin measured as in the Palmer "
            "Station LTER study, for teaching MLOps and for checking field records."
        ),
        downstream_use="A baseline for other tabular classifiers of the same data; the served model of lesson 4.1.",
        out_of_scope_use=(
            "Other species, chicks, or colonies outside Biscoe, Dream and Torgersen; any decision about real "
            "animals without an expert; measurements taken with other protocols or units."
        ),
        bias_risks_limitations=(
            "- **Island shortcut**: in the data Gentoo live only on Biscoe, Chinstrap only on Dream and Torgersen "
            "has only Adelie, so island alone says much about the species; scores on these islands overstate "
            "performance elsewhere. The permutation importances below show how much each input is used.\n"
            f"- **Small data**: {len(train)} training and {len(test)} test rows; one test error moves the "
            "per-island accuracy by several points.\n"
            "- **Sampling**: breeding adults of three seasons (2007-2009) in one region."
        ),
        bias_recommendations=(
            "Check per-island results (below) before trusting the overall score; treat inputs outside the "
            "training ranges as unreliable (the API refuses implausible values); re-train and re-check when "
            "data from new colonies arrive."
        ),
        get_started_code=(
            "```python\nfrom lib import champion, modeling\n\nmodel = champion.load_model()  # models/, skops\n"
            "probabilities = model.predict_proba(modeling.features(table))\n\n"
            "# or through the MLflow registry\nimport mlflow\n"
            f"model = mlflow.pyfunc.load_model('models:/{model_name}@champion')\n```"
        ),
        training_data=(
            f"`data/processed/train.csv`: {len(train)} rows ({counts}) of the cleaned Palmer Penguins data, a "
            "stratified split made in lesson 2.1 (see `docs/cards/dataset_card.md`)."
        ),
        preprocessing=(
            "Measurements standardised (zero mean, unit variance, fitted on the training rows only); island and "
            "sex one-hot encoded, missing sex as its own category `unknown`. All inside the exported pipeline."
        ),
        training_regime=f"Full precision (float64) on a CPU; hyperparameters: {hyper}; seed {seed}.",
        speeds_sizes_times=(
            "Training takes seconds on a laptop CPU; lesson 3.1 measures its energy with CodeCarbon and lesson "
            "4.1 the latency of the served model."
        ),
        testing_data=(
            f"`data/processed/test.csv`: {len(test)} held-out rows, stratified by species, never used for "
            "training or for choosing the champion."
        ),
        testing_factors="Species (per-class F1) and island (per-island accuracy and macro-F1).",
        testing_metrics=(
            "Macro-F1 (the mean of the per-species F1 scores, so the small Chinstrap class counts as much as the "
            f"others), chosen at inception with a threshold of {min_f1:.2f}; accuracy; per-island accuracy with a "
            f"threshold of {min_island:.2f}."
        ),
        results=f"{table}\n\nPer species (test set):\n\n{per_class}\n\nPer island (test set):\n\n{islands}",
        results_summary=(
            f"The champion, {champion}, reaches a test macro-F1 of {metrics['test_macro_f1']:.4f} and a lowest "
            f"per-island accuracy of {worst_island:.4f}: the inception requirements (macro-F1 >= {min_f1:.2f}, "
            f"per-island accuracy >= {min_island:.2f}) are {'met' if meets else 'NOT met'}."
        ),
        model_examination=f"Permutation importance on the test set (drop in macro-F1 when shuffled): {top}.",
        hardware_type="A laptop-class CPU; no accelerator",
        hours_used="Well under a minute per training session",
        cloud_provider="None: trained locally",
        cloud_region="None",
        co2_emitted="Measured with CodeCarbon in lesson 3.1 (see `metrics/emissions.json`)",
        model_specs=(
            "A scikit-learn `Pipeline`: a `ColumnTransformer` (scaler; imputer and one-hot encoder), "
            "then the classifier."
        ),
        compute_infrastructure="The course's DVC pipeline, stage `train`, run by papermill.",
        hardware_requirements="Any CPU; the exported file is a few kilobytes to megabytes.",
        software=", ".join(f"{name} {version}" for name, version in sorted(software.items())),
        citation_bibtex=CITATION_BIBTEX,
        citation_apa=CITATION_APA,
        glossary=(
            "- **Macro-F1**: the unweighted mean of the F1 score of each class.\n"
            "- **Champion**: the MLflow registry alias of the version chosen to be served."
        ),
        more_information="Lesson 2.2 shows every run in MLflow (`make mlflow-ui`).",
        model_card_authors="Generated by lesson 2.2 from the training session's results",
        model_card_contact="Open an issue in this course's repository",
    )


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
