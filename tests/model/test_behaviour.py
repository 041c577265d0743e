"""Behavioural tests of the champion, in the CheckList families (Ribeiro et al., 2020).

Each test is a table: minimum functionality (typical specimens must be right),
invariance (changes that must not change the species) and directional
expectations (changes that must move a probability the expected way).
Measurements are typical values of the Palmer data: island, bill length and
depth (mm), flipper length (mm), body mass (g), sex.
"""

import pytest

from lib import schema

ADELIE = ("Torgersen", 39.1, 18.7, 181.0, 3750.0, "male")
CHINSTRAP = ("Dream", 49.5, 18.4, 196.0, 3700.0, "male")
GENTOO = ("Biscoe", 47.5, 15.0, 218.0, 5000.0, "female")


def species(probabilities, penguin):
    scores = probabilities(*penguin)
    return max(scores, key=scores.get)


def changed(penguin, **changes):
    values = dict(zip(schema.FEATURES, penguin, strict=True)) | changes
    return tuple(values[field] for field in schema.FEATURES)


@pytest.mark.parametrize(
    ("penguin", "expected"),
    [
        (ADELIE, "Adelie"),
        (("Biscoe", 37.8, 18.3, 174.0, 3400.0, "female"), "Adelie"),
        (("Dream", 39.5, 16.7, 178.0, 3250.0, None), "Adelie"),
        (CHINSTRAP, "Chinstrap"),
        (("Dream", 46.5, 17.9, 192.0, 3500.0, "female"), "Chinstrap"),
        (("Dream", 51.3, 19.2, 193.0, 3650.0, None), "Chinstrap"),
        (GENTOO, "Gentoo"),
        (("Biscoe", 50.0, 16.3, 230.0, 5700.0, "male"), "Gentoo"),
        (("Biscoe", 46.1, 13.2, 211.0, 4500.0, None), "Gentoo"),
    ],
    ids=[
        "adelie-torgersen",
        "adelie-biscoe",
        "adelie-dream-sex-unknown",
        "chinstrap-male",
        "chinstrap-female",
        "chinstrap-sex-unknown",
        "gentoo-female",
        "gentoo-male",
        "gentoo-sex-unknown",
    ],
)
def test_minimum_functionality(probabilities, penguin, expected):
    """MFT: a typical specimen of each species, with and without a known sex, is classified right."""
    assert species(probabilities, penguin) == expected


@pytest.mark.parametrize(
    ("penguin", "change"),
    [
        (ADELIE, {"sex": None}),
        (CHINSTRAP, {"sex": None}),
        (GENTOO, {"sex": None}),
        (ADELIE, {"body_mass_g": 3850.0}),
        (CHINSTRAP, {"body_mass_g": 3600.0}),
        (GENTOO, {"body_mass_g": 5100.0}),
        (ADELIE, {"bill_length_mm": 39.3}),
        (CHINSTRAP, {"bill_depth_mm": 18.6}),
        (GENTOO, {"flipper_length_mm": 217.0}),
        (ADELIE, {"island": "Dream"}),
        (ADELIE, {"island": "Biscoe"}),
        (GENTOO, {"island": "Dream"}),
    ],
    ids=[
        "adelie-sex-unknown",
        "chinstrap-sex-unknown",
        "gentoo-sex-unknown",
        "adelie-mass+100g",
        "chinstrap-mass-100g",
        "gentoo-mass+100g",
        "adelie-bill+0.2mm",
        "chinstrap-depth+0.2mm",
        "gentoo-flipper-1mm",
        "adelie-on-dream",
        "adelie-on-biscoe",
        "gentoo-on-dream",
    ],
)
def test_invariance(probabilities, penguin, change):
    """INV: forgetting the sex, a measurement error, or the island of a clear specimen keeps the species."""
    assert species(probabilities, changed(penguin, **change)) == species(probabilities, penguin)


@pytest.mark.parametrize(
    ("penguin", "change", "target", "direction"),
    [
        (changed(ADELIE, island="Dream"), {"bill_length_mm": 47.0}, "Chinstrap", "up"),
        (CHINSTRAP, {"bill_length_mm": 42.0}, "Chinstrap", "down"),
        (changed(ADELIE, island="Biscoe"), {"bill_depth_mm": 15.0, "flipper_length_mm": 212.0}, "Gentoo", "up"),
        (GENTOO, {"bill_depth_mm": 18.5, "flipper_length_mm": 195.0}, "Gentoo", "down"),
        (changed(ADELIE, island="Biscoe"), {"body_mass_g": 5200.0}, "Gentoo", "up"),
    ],
    ids=[
        "longer-bill-more-chinstrap",
        "shorter-bill-less-chinstrap",
        "gentoo-shape-more-gentoo",
        "adelie-shape-less-gentoo",
        "heavier-more-gentoo",
    ],
)
def test_directional(probabilities, penguin, change, target, direction):
    """DIR: moving a measurement towards a species' profile raises that species' probability."""
    before = probabilities(*penguin)[target]
    after = probabilities(*changed(penguin, **change))[target]
    assert after > before if direction == "up" else after < before, (before, after)
