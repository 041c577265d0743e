"""New penguins, drawn like the training split's: the traffic of lessons 5.1 and 5.2 without reusing a bird.

A simulated season must not replay the birds the model was trained or tested on: a bird in two
roles (trained on, then judged on; or the test split, then traffic) makes every score about it
optimistic. :func:`fit` describes the training split only (lesson 2.1 keeps the test split to evaluate
the model chosen without it): how often each species, island and sex occurs, the mean of each group's four
measurements, and each species' covariance of them within its groups. :func:`draw` draws new
birds from that description: a group by its share (or, given island weights, an island first and
then a group of that island by its share there), its measurements from a normal distribution with
the group's mean and the species' covariance, unrounded; :func:`rounded` then rounds them to the
export's precision (body mass finer: 10 g, where the export records 25 g steps).

What this assumes: within a species, island and sex, measurements are normal with the species'
correlations (close to what the Palmer data shows); it cannot invent a kind of penguin the
training split does not hold. Everything is drawn from the generator it is given.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lib import schema

GROUP = [schema.LABEL, schema.ISLAND.name, "sex"]
# 0.1 mm and 1 mm as the LTER export records them; body mass to 10 g, finer than the export's 25 g steps
DECIMALS = {"bill_length_mm": 1, "bill_depth_mm": 1, "flipper_length_mm": 0, "body_mass_g": -1}


@dataclass(frozen=True)
class Population:
    """The birds as :func:`fit` describes them: groups, their shares and means, each species' covariance."""

    groups: pd.DataFrame  # one row per (species, island, sex): its share of the birds and its mean measurements
    covariance: Mapping[str, np.ndarray]  # per species: the covariance of the measurements within its groups


def fit(train: pd.DataFrame) -> Population:
    """Describe the birds of ``train`` (the training split): each group's share and means, each species' covariance."""
    grouped = train.groupby(GROUP, observed=True, dropna=False, sort=True)
    groups = grouped[list(schema.NUMERIC)].mean()
    groups.insert(0, "share", grouped.size() / len(train))
    within = train[list(schema.NUMERIC)] - grouped[list(schema.NUMERIC)].transform("mean")
    covariance = {
        species: np.cov(within[train[schema.LABEL] == species].to_numpy(), rowvar=False)
        for species in sorted(train[schema.LABEL].unique())
    }
    return Population(groups.reset_index(), covariance)


def _shares(population: Population, island_weights: Mapping[str, float] | None) -> np.ndarray:
    """Each group's probability: its share, or its island's weight times its share within the island."""
    shares = population.groups["share"].to_numpy(dtype=float)
    if island_weights is None:
        return shares
    unknown = set(island_weights) - set(schema.ISLANDS)
    if unknown or not island_weights or min(island_weights.values()) < 0 or sum(island_weights.values()) <= 0:
        raise ValueError(
            f"island weights must map islands of {schema.ISLANDS} to non-negative numbers, got {dict(island_weights)}"
        )
    islands = population.groups[schema.ISLAND.name].astype(str)
    within = shares / population.groups.groupby(islands)["share"].transform("sum").to_numpy()
    probabilities = islands.map(island_weights).fillna(0.0).to_numpy(dtype=float) * within
    return probabilities / probabilities.sum()


def draw(
    population: Population,
    birds: int,
    rng: np.random.Generator,
    *,
    island_weights: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """``birds`` new penguins: the model's features and the species, in the order drawn.

    ``island_weights`` (island -> weight) changes how many come from where, as when the field team
    spends a season on one island; each island's birds look as before.
    """
    chosen = rng.choice(len(population.groups), size=birds, p=_shares(population, island_weights))
    season = population.groups.iloc[chosen].drop(columns="share").reset_index(drop=True)
    season[list(schema.NUMERIC)] = np.vstack(
        [
            rng.multivariate_normal(means, population.covariance[species])
            for species, means in zip(season[schema.LABEL], season[list(schema.NUMERIC)].to_numpy(), strict=True)
        ]
    )
    return season[[*schema.FEATURES, schema.LABEL]]


def rounded(birds: pd.DataFrame) -> pd.DataFrame:
    """The measurements rounded (0.1 mm, 1 mm, 10 g: :data:`DECIMALS`), within the schema's plausible range."""
    birds = birds.copy()
    for column, places in DECIMALS.items():
        feature = next(f for f in schema.NUMERIC_FEATURES if f.name == column)
        birds[column] = birds[column].round(places).clip(feature.minimum, feature.maximum)
    return birds
