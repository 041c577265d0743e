"""lib.schema: one place for the islands, the sexes, and how the raw export spells them."""

import pandas as pd
import pytest

from lib import schema


def test_islands_and_sexes_are_named_not_indexed():
    """The categorical inputs by name: island first in the features, sex last."""
    assert (schema.ISLAND.name, schema.SEX.name) == ("island", "sex")
    assert schema.ISLANDS == ("Biscoe", "Dream", "Torgersen") and schema.SEXES == ("female", "male")
    assert schema.FEATURES[0] == schema.ISLAND.name and schema.FEATURES[-1] == schema.SEX.name
    assert schema.RAW_SEXES == ("FEMALE", "MALE")


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        pytest.param("MALE", "male", id="male"),
        pytest.param(" FEMALE ", "female", id="padded"),
        pytest.param(".", None, id="dot"),
        pytest.param("", None, id="blank"),
        pytest.param(None, None, id="missing"),
        pytest.param("M", None, id="abbreviated"),
    ],
)
def test_known_sex(given, expected):
    """Only the export's FEMALE and MALE are a known sex; everything else is missing, never guessed."""
    value = schema.known_sex(pd.Series([given], dtype="string"))[0]
    assert (value if pd.notna(value) else None) == expected


def test_species_names_keep_the_common_name():
    """The first word of the raw label, whatever the Latin name after it."""
    raw = pd.Series(["Adelie Penguin (Pygoscelis adeliae)", "Gentoo penguin (Pygoscelis papua)"])
    assert schema.species_names(raw).tolist() == ["Adelie", "Gentoo"]
