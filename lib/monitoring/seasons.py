"""Simulated seasons of production traffic, new penguins drawn like the training split's, replayed against the API."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import httpx
import numpy as np
import pandas as pd

from lib import population, schema


def normal_season(train: pd.DataFrame, size: int, seed: int) -> pd.DataFrame:
    """A season like the training data: ``size`` new penguins drawn like the birds of ``train`` (:mod:`lib.population`).

    New birds, not the test split's: lesson 2.1 keeps those to evaluate the chosen model, and a bird sent
    as traffic and scored there too would play two roles.
    """
    birds = population.draw(population.fit(train), size, np.random.default_rng(seed))
    return population.rounded(birds)[list(schema.FEATURES)]


def island_mix_season(train: pd.DataFrame, weights: Mapping[str, float], size: int, seed: int) -> pd.DataFrame:
    """A season with another island mix: ``size`` new penguins whose islands are drawn with ``weights``.

    Each penguin is drawn like the training birds of its island, so each island's penguins look as
    before; only how many come from where changes, as when the field team spends the season on
    one island.
    """
    birds = population.draw(population.fit(train), size, np.random.default_rng(seed), island_weights=weights)
    return population.rounded(birds)[list(schema.FEATURES)]


def penguin_payloads(season: pd.DataFrame) -> list[dict[str, Any]]:
    """The season's rows as ``/predict`` bodies (a missing sex becomes ``null``)."""
    season = season[list(schema.FEATURES)].astype(object).where(season.notna(), None)
    return season.to_dict(orient="records")


def send(url: str, season: pd.DataFrame, rate: float) -> dict[int, int]:
    """POST each penguin of ``season`` to ``url``'s ``/predict`` at ``rate`` requests a second; count the statuses.

    A ``request_id`` column, when the season has one, is sent as each request's ``X-Request-ID``
    (the prediction log keeps it, so labels can be joined to the answers later).
    """
    statuses: dict[int, int] = {}
    interval = 1.0 / rate
    ids = season["request_id"].tolist() if "request_id" in season else [None] * len(season)
    start = time.monotonic()
    with httpx.Client(base_url=url, timeout=10) as client:
        for index, (payload, request_id) in enumerate(zip(penguin_payloads(season), ids, strict=True)):
            pause = start + index * interval - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            headers = {"X-Request-ID": request_id} if request_id else None
            status = client.post("/predict", json=payload, headers=headers).status_code
            statuses[status] = statuses.get(status, 0) + 1
    return statuses
