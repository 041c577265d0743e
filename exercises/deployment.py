"""Solutions to the exercises of lesson 4.1, deployment. Run: ``python -m exercises.deployment``."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import Literal

import pandas as pd
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field

from lib import champion, modeling, serving

PENGUIN = serving.bodies.EXAMPLE  # the API's own example: a Gentoo


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


# Bad penguins a client could send: (what is wrong, the change to the valid example).
PROBES = {
    "a bill 30 mm deep": {"bill_depth_mm": 30.0},
    "a flipper of 290 mm": {"flipper_length_mm": 290.0},
    "sex written M": {"sex": "M"},
    "island in lower case": {"island": "biscoe"},
}


def minimal_lets_through() -> pd.DataFrame:
    """Exercise 3: which bad penguins the minimal app answers and the project's API refuses, and the answer given.

    The minimal app checks types and loose bounds of its own; the project's API takes its bounds from
    the feature schema (the range of real penguins). Both refuse a value outside a ``Literal``. What
    slips through still gets a confident species from the model.

    Returns a DataFrame with one row per probe of ``PROBES`` and the columns ``probe``, ``minimal`` and
    ``project`` (the status codes), ``project_refuses`` (the fields the project's 422 names, joined by
    ", ") and ``minimal_answered`` (the species the minimal app answered, or None).
    """
    rows = []
    with TestClient(minimal_app()) as minimal, TestClient(serving.create_app()) as project:
        for what, change in PROBES.items():
            body = PENGUIN | change
            loose, strict = minimal.post("/predict", json=body), project.post("/predict", json=body)
            refused_fields = (
                [error["loc"][-1] for error in strict.json().get("detail", [])] if strict.status_code == 422 else []
            )
            rows.append(
                {
                    "probe": what,
                    "minimal": loose.status_code,
                    "project": strict.status_code,
                    "project_refuses": ", ".join(map(str, refused_fields)),
                    "minimal_answered": loose.json().get("species") if loose.status_code == 200 else None,
                }
            )
    return pd.DataFrame(rows)


def over_the_batch_limit() -> tuple[int, dict]:
    """Exercise 4: 1001 penguins to the project's ``/predict/batch`` (limit 1000)."""
    with TestClient(serving.create_app()) as client:
        answer = client.post("/predict/batch", json={"penguins": [PENGUIN] * 1001})
    return answer.status_code, answer.json()["detail"][0]


if __name__ == "__main__":
    print("1.", too_heavy())
    print("2.", known_species())
    print("3.", minimal_lets_through().to_string(index=False), sep="\n")
    print("4.", over_the_batch_limit())
