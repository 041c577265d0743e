"""The 2026-27 season: penguins measured under a new protocol, sent to the API, then delivered with their species.

**The change.** The field team adopts a new protocol for the culmen (bill) length: measured
from a new landmark, it reads a few millimetres shorter than the old one on every bird, by an
amount that varies from bird to bird with where the landmark falls on its head.
Nothing else changes: the same islands, the same species, the same birds' biology. It is
a realistic kind of change (instruments and protocols change between seasons far more
often than populations do), and a quiet one: every value stays in its plausible range,
so the raw-data checks of lesson 3.2 pass it.

**The simulation.** The season's penguins are *new* birds, not re-measured ones: none of them
is a row of the training or the test split. :mod:`lib.population` fits the birds of the training
split only and draws new ones like them (its docstring says how, and what that assumes);
:func:`simulate` then shifts each bird's culmen length by the protocol's offset:
``bill_length_shift_mm`` on average, give or take :data:`LANDMARK_SPREAD_MM` (a standard
deviation) from bird to bird, drawn independently of everything else about the bird. The birds
held out to judge the models (every third sample number, :func:`held_out`) and the others are
drawn alike and are different birds. Everything is drawn from one seed: the same season on every
run.

:func:`to_raw` writes the labelled delivery in the LTER export's 17 columns, the format
lesson 1.0 acquires and the raw-data checks read.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lib import data, population, schema

STUDY = "PAL2627"  # the LTER's study names: PAL and the season's two years
FIRST_DAY = pd.Timestamp("2026-11-05")
BIRDS_PER_DAY = 10
HELD_OUT_EVERY = 3  # every third sample number is held out to judge the models
SPECIES_RAW = {
    "Adelie": "Adelie Penguin (Pygoscelis adeliae)",
    "Chinstrap": "Chinstrap penguin (Pygoscelis antarctica)",
    "Gentoo": "Gentoo penguin (Pygoscelis papua)",
}
LANDMARK_SPREAD_MM = 1.0  # how much the new protocol's offset varies from bird to bird (a standard deviation)
PROTOCOL_NOTE = "Culmen length measured with the 2026 protocol (new landmark)."


def held_out(sample_numbers: pd.Series) -> pd.Series:
    """Whether each sample is held out to judge the models (every third sample number), not trained on."""
    return sample_numbers % HELD_OUT_EVERY == 0


def request_id(sample_number: int) -> str:
    """The id the field tablet sends with the bird's prediction request (``X-Request-ID``): study and sample."""
    return f"{STUDY}-{int(sample_number)}"


def simulate(
    train: pd.DataFrame,
    birds: int,
    bill_length_shift_mm: float,
    seed: int,
    *,
    landmark_spread_mm: float | None = None,
) -> pd.DataFrame:
    """The season's new birds in measurement order: sample number, request id, the model's features, the species.

    Drawn by :func:`lib.population.draw` from the birds of ``train``; the culmen length then read
    with the new protocol.
    """
    rng = np.random.default_rng(seed)
    season = population.draw(population.fit(train), birds, rng)
    spread = LANDMARK_SPREAD_MM if landmark_spread_mm is None else landmark_spread_mm
    season["bill_length_mm"] = season["bill_length_mm"] + rng.normal(bill_length_shift_mm, spread, birds)
    season = population.rounded(season)
    season.insert(0, "sample_number", np.arange(1, birds + 1))
    season.insert(1, "request_id", season["sample_number"].map(request_id))
    return season[["sample_number", "request_id", *schema.FEATURES, schema.LABEL]]


def to_raw(season: pd.DataFrame) -> pd.DataFrame:
    """The labelled delivery: the season's birds in the LTER export's 17 columns, spelled its way."""
    day = FIRST_DAY + pd.to_timedelta((season["sample_number"] - 1) // BIRDS_PER_DAY, unit="D")
    nest = (season["sample_number"] + 1) // 2
    raw = pd.DataFrame(
        {
            "studyName": STUDY,
            "Sample Number": season["sample_number"],
            "Species": season[schema.LABEL].map(SPECIES_RAW),
            "Region": "Anvers",
            "Island": season["island"],
            "Stage": "Adult, 1 Egg Stage",
            "Individual ID": "N" + nest.astype(str) + "A" + (2 - season["sample_number"] % 2).astype(str),
            "Clutch Completion": "Yes",
            "Date Egg": day.dt.strftime("%Y-%m-%d"),
            "Culmen Length (mm)": season["bill_length_mm"],
            "Culmen Depth (mm)": season["bill_depth_mm"],
            "Flipper Length (mm)": season["flipper_length_mm"],
            "Body Mass (g)": season["body_mass_g"],
            "Sex": season["sex"].str.upper(),
            "Delta 15 N (o/oo)": np.nan,
            "Delta 13 C (o/oo)": np.nan,
            "Comments": PROTOCOL_NOTE,
        }
    )
    return raw[list(schema.RAW_COLUMNS)]


def from_raw(raw: pd.DataFrame) -> pd.DataFrame:
    """A delivery read back: sample number and request id beside the cleaned table (``lib.data.clean``'s rules)."""
    cleaned = data.clean(raw)
    measured = raw[list(schema.RAW_MEASUREMENT_COLUMNS)].apply(pd.to_numeric, errors="coerce").notna().all(axis=1)
    numbers = raw.loc[measured, "Sample Number"].astype(int).to_numpy()  # the rows clean() keeps, in order
    cleaned.insert(0, "request_id", [request_id(number) for number in numbers])
    cleaned.insert(0, "sample_number", numbers)
    return cleaned
