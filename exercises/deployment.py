"""Solutions to the exercises of lesson 4.1, deployment. Run: ``python -m exercises.deployment``."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import Literal

import pandas as pd
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field

from lib import champion, modeling, serving

PENGUIN = serving.schemas.EXAMPLE  # the API's own example: a Gentoo


class Penguin(BaseModel):
    """The lesson's request body, with body mass tightened to at most 6500 g (exercise 1)."""

    island: Literal["Biscoe", "Dream", "Torgersen"]
    bill_length_mm: float = Field(gt=0, le=100)
    bill_depth_mm: float = Field(gt=0, le=40)
    flipper_length_mm: float = Field(gt=0, le=300)
    body_mass_g: float = Field(gt=0, le=6500)
    sex: Literal["male", "female"] | None = None


@asynccontextmanager
async def lifespan(app: FastAPI):
    app.state.model = champion.load_model()
    yield


def minimal_app() -> FastAPI:
    """The lesson's minimal app with the tighter bound, and ``GET /species`` (exercise 2)."""
    app = FastAPI(title="Minimal penguin API", lifespan=lifespan)

    @app.post("/predict")
    def predict(penguin: Penguin) -> dict:
        model = app.state.model
        probabilities = model.predict_proba(modeling.features(pd.DataFrame([penguin.model_dump()])))[0]
        return {
            "species": model.classes_[probabilities.argmax()],
            "probabilities": dict(zip(model.classes_, probabilities.round(4).tolist(), strict=True)),
        }

    @app.get("/species")
    def species() -> list[str]:
        return list(app.state.model.classes_)

    return app


def too_heavy() -> tuple[int, dict]:
    """Exercise 1: a 7000 g penguin is refused; the first error names the field, the rule and the limit."""
    with TestClient(minimal_app()) as client:
        answer = client.post("/predict", json=PENGUIN | {"body_mass_g": 7000})
    return answer.status_code, answer.json()["detail"][0]


def known_species() -> list[str]:
    """Exercise 2: what ``GET /species`` answers."""
    with TestClient(minimal_app()) as client:
        return client.get("/species").json()


def over_the_batch_limit() -> tuple[int, dict]:
    """Exercise 3: 1001 penguins to the project's ``/predict/batch`` (limit 1000)."""
    with TestClient(serving.create_app()) as client:
        answer = client.post("/predict/batch", json={"penguins": [PENGUIN] * 1001})
    return answer.status_code, answer.json()["detail"][0]


if __name__ == "__main__":
    print("1.", too_heavy())
    print("2.", known_species())
    print("3.", over_the_batch_limit())
