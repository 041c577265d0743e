"""Simulated seasons of production traffic, drawn from the held-out split and replayed against the API."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import httpx
import numpy as np
import pandas as pd

from lib import schema


def normal_season(test: pd.DataFrame, seed: int) -> pd.DataFrame:
    """A season like the training data: every held-out penguin once, in a shuffled order."""
    return test.sample(frac=1.0, random_state=seed).reset_index(drop=True)[list(schema.FEATURES)]


def island_mix_season(test: pd.DataFrame, weights: Mapping[str, float], size: int, seed: int) -> pd.DataFrame:
    """A season with another island mix: ``size`` penguins whose islands are drawn with ``weights``.

    Each penguin is a held-out penguin of the drawn island (drawn with replacement), so
    each island's penguins look as before; only how many come from where changes, as when
    the field team spends the season on one island.
    """
    unknown = set(weights) - set(schema.ISLANDS)
    if unknown or not weights or min(weights.values()) < 0 or sum(weights.values()) <= 0:
        raise ValueError(f"weights must map islands of {schema.ISLANDS} to non-negative numbers, got {dict(weights)}")
    rng = np.random.default_rng(seed)
    islands = list(weights)
    probabilities = np.array([weights[island] for island in islands], dtype=float)
    drawn = rng.choice(islands, size=size, p=probabilities / probabilities.sum())
    by_island = {island: test[test[schema.ISLAND.name] == island] for island in islands}
    rows = [by_island[island].iloc[int(rng.integers(len(by_island[island])))] for island in drawn]
    return pd.DataFrame(rows).reset_index(drop=True)[list(schema.FEATURES)]


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
