"""The data's schema, in one place: the raw LTER export's fields, and the model's features.

The acquisition, the dataset card, the cleaning, the data checks, the model and
the API all read these tables, so a field is described, renamed or bounded here
and nowhere else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class RawField:
    """A column of the raw export: its name, unit (or ``None``) and meaning."""

    name: str
    unit: str | None
    description: str


# The 17 columns of the Palmer Station LTER export, in file order (Gorman et al. 2014).
RAW_FIELDS: tuple[RawField, ...] = (
    RawField("studyName", None, "sampling expedition (PAL0708, PAL0809, PAL0910: the 2007-08 to 2009-10 seasons)"),
    RawField("Sample Number", None, "running number of the sample within its species (1 to the species' count)"),
    RawField("Species", None, "species, common and Latin name"),
    RawField("Region", None, "region of the Palmer Archipelago where the sample was taken"),
    RawField("Island", None, "island of the nest: Biscoe, Dream or Torgersen"),
    RawField("Stage", None, "reproductive stage at sampling"),
    RawField(
        "Individual ID", None, "nest and adult (N1A1: adult 1 of nest 1), unique within a season; reused across seasons"
    ),
    RawField("Clutch Completion", None, "whether the nest was observed with a full clutch of 2 eggs (Yes/No)"),
    RawField("Date Egg", "date", "date the nest was observed with its first egg"),
    RawField("Culmen Length (mm)", "mm", "length of the dorsal ridge of the bill (culmen)"),
    RawField("Culmen Depth (mm)", "mm", "depth of the bill"),
    RawField("Flipper Length (mm)", "mm", "length of the flipper"),
    RawField("Body Mass (g)", "g", "body mass"),
    RawField("Sex", None, "sex determined by molecular analysis of blood (MALE, FEMALE; '.' or empty when unknown)"),
    RawField("Delta 15 N (o/oo)", "per mil", "ratio of stable nitrogen isotopes 15N:14N in blood"),
    RawField("Delta 13 C (o/oo)", "per mil", "ratio of stable carbon isotopes 13C:12C in blood"),
    RawField("Comments", None, "free-text notes of the field team"),
)
RAW_COLUMNS: tuple[str, ...] = tuple(field.name for field in RAW_FIELDS)
RAW_SPECIES_COLUMN = "Species"
RAW_ISLAND_COLUMN = "Island"
RAW_MEASUREMENT_COLUMNS: tuple[str, ...] = (
    "Culmen Length (mm)",
    "Culmen Depth (mm)",
    "Flipper Length (mm)",
    "Body Mass (g)",
)


@dataclass(frozen=True)
class NumericFeature:
    """A body measurement the model takes: clean name, raw column, unit and plausible range.

    The range is what a real adult penguin of these species can measure, with a
    margin (the data span well inside it); the data checks and the API refuse
    values outside it.
    """

    name: str
    raw: str
    unit: str
    minimum: float
    maximum: float
    description: str


@dataclass(frozen=True)
class CategoricalFeature:
    """A categorical input: clean name, raw column, allowed values, and whether it may be missing."""

    name: str
    raw: str
    values: tuple[str, ...]
    nullable: bool
    description: str


NUMERIC_FEATURES: tuple[NumericFeature, ...] = (
    NumericFeature("bill_length_mm", "Culmen Length (mm)", "mm", 25.0, 70.0, "length of the bill (culmen)"),
    NumericFeature("bill_depth_mm", "Culmen Depth (mm)", "mm", 10.0, 25.0, "depth of the bill (culmen)"),
    NumericFeature("flipper_length_mm", "Flipper Length (mm)", "mm", 150.0, 250.0, "length of the flipper"),
    NumericFeature("body_mass_g", "Body Mass (g)", "g", 2000.0, 7000.0, "body mass"),
)
CATEGORICAL_FEATURES: tuple[CategoricalFeature, ...] = (
    CategoricalFeature("island", "Island", ("Biscoe", "Dream", "Torgersen"), False, "island of the nest"),
    CategoricalFeature("sex", "Sex", ("female", "male"), True, "sex from molecular analysis; missing when unknown"),
)
ISLAND, SEX = CATEGORICAL_FEATURES
ISLANDS: tuple[str, ...] = ISLAND.values
SEXES: tuple[str, ...] = SEX.values
RAW_SEXES: tuple[str, ...] = tuple(value.upper() for value in SEXES)  # how the raw export spells a known sex
FEATURES: tuple[str, ...] = (ISLAND.name, *(f.name for f in NUMERIC_FEATURES), SEX.name)
NUMERIC: tuple[str, ...] = tuple(f.name for f in NUMERIC_FEATURES)
CATEGORICAL: tuple[str, ...] = tuple(f.name for f in CATEGORICAL_FEATURES)
LABEL = "species"
CLASSES: tuple[str, ...] = ("Adelie", "Chinstrap", "Gentoo")
PROCESSED_COLUMNS: tuple[str, ...] = (*FEATURES, LABEL)


def species_names(raw_species: pd.Series) -> pd.Series:
    """The common name of each raw species label (``Adelie Penguin (Pygoscelis adeliae)`` -> ``Adelie``)."""
    return raw_species.astype("string").str.split().str[0]


def known_sex(raw_sex: pd.Series) -> pd.Series:
    """``female``/``male`` for the raw export's ``FEMALE``/``MALE``; missing for anything else (``.``, blanks)."""
    values = raw_sex.astype("string").str.strip()
    return values.where(values.isin(RAW_SEXES)).str.lower()


def island_metric(island: str, metric: str = "accuracy") -> str:
    """The name of a per-island test metric (``test_accuracy_Biscoe``, ``test_macro_f1_Dream``), built here only."""
    return f"test_{metric}_{island}"


def island_accuracies(metrics: Mapping[str, float]) -> dict[str, float]:
    """The test accuracy of each island that ``metrics`` has, by island, in schema order."""
    return {island: metrics[island_metric(island)] for island in ISLANDS if island_metric(island) in metrics}


def feature_schema() -> dict:
    """The model's inputs, in order, and its output, as plain data (model.json, the API, the cards)."""
    by_name: dict[str, NumericFeature | CategoricalFeature] = {f.name: f for f in NUMERIC_FEATURES}
    by_name |= {f.name: f for f in CATEGORICAL_FEATURES}
    features = []
    for name in FEATURES:
        feature = by_name[name]
        if isinstance(feature, NumericFeature):
            features.append(
                {
                    "name": name,
                    "type": "number",
                    "unit": feature.unit,
                    "minimum": feature.minimum,
                    "maximum": feature.maximum,
                    "nullable": False,
                    "description": feature.description,
                }
            )
        else:
            features.append(
                {
                    "name": name,
                    "type": "category",
                    "values": list(feature.values),
                    "nullable": feature.nullable,
                    "description": feature.description,
                }
            )
    return {"features": features, "label": {"name": LABEL, "classes": list(CLASSES)}}
