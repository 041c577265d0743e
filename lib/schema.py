"""The data's schema, in one place: the raw LTER export's fields, and the model's features.

The acquisition, the dataset card, the cleaning, the data checks, the model and
the API all read these tables, so a field is described, renamed or bounded here
and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass


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
