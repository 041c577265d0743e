"""The API's routes, as functions over the serving state of the app that received the request.

No ``from __future__ import annotations`` here: FastAPI reads the route functions' annotations
at run time, and the batch route's type is built per app (its limit is a setting).
"""

from typing import Any

import numpy as np
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic_core import to_json

from lib.serving import inference
from lib.serving.bodies import (
    UNAVAILABLE,
    UNPARSABLE,
    BatchPrediction,
    Health,
    ModelInfo,
    Penguin,
    Prediction,
    limited_batch,
)
from lib.serving.state import serving

JSON = "application/json"


def to_rows(penguins: list[Penguin]) -> list[inference.Row]:
    """Validated penguins as rows in schema order (island, four measurements, sex or None)."""
    return [(p.island, p.bill_length_mm, p.bill_depth_mm, p.flipper_length_mm, p.body_mass_g, p.sex) for p in penguins]


def answer(row: np.ndarray, classes: list[str], version: str) -> Prediction:
    """One prediction: the most probable species and every class's probability (6 decimals)."""
    probabilities = {name: round(float(p), 6) for name, p in zip(classes, row, strict=True)}
    return Prediction(species=classes[int(np.argmax(row))], probabilities=probabilities, model_version=version)


def batch_json(probabilities: np.ndarray, classes: list[str], version: str) -> bytes:
    """The ``/predict/batch`` response body, written directly: the same JSON as :class:`BatchPrediction`.

    Building 1000 pydantic objects and passing them through FastAPI's ``jsonable_encoder``
    takes about 18 ms on 2 cores; plain dicts through ``json.dumps`` about 4; through
    pydantic-core's ``to_json`` (Rust) about 2, most of it the rounding, which is
    Python's ``round`` to 6 decimals exactly as :func:`answer` does. (``to_json`` writes
    ``1e-6`` where ``json.dumps`` writes ``1e-06``: the same number to every JSON parser.)
    """
    best = probabilities.argmax(axis=1).tolist()
    predictions = [
        {
            "species": classes[top],
            "probabilities": {name: round(p, 6) for name, p in zip(classes, row, strict=True)},
            "model_version": version,
        }
        for top, row in zip(best, probabilities.tolist(), strict=True)
    ]
    return to_json({"predictions": predictions, "model_version": version})


async def health(request: Request) -> Any:
    """Liveness, and whether a model is loaded (503 when it is not, so a load balancer waits)."""
    state = serving(request)
    if state.loaded is None:
        return JSONResponse(
            status_code=503,
            content=Health(status="no model", model_loaded=False, detail=state.error).model_dump(),
        )
    return Health(status="ok", model_loaded=True, model_version=state.loaded.info.version)


async def model_info(request: Request) -> ModelInfo:
    """Name, version, metrics, feature schema and class labels of the served model."""
    return serving(request).current().info


async def predict(penguin: Penguin, request: Request) -> Prediction:
    """Classify one penguin (sex may be null when unknown)."""
    model, probabilities = await serving(request).classify(to_rows([penguin]))
    return answer(probabilities[0], model.info.classes, model.info.version)


def batch_route(body_type: type) -> Any:
    """The ``/predict/batch`` route for a request body of ``body_type`` (its penguins limited by a setting)."""

    async def predict_batch(body: body_type, request: Request) -> Response:  # type: ignore[valid-type]
        """Classify up to the batch limit of penguins; answers come back in request order."""
        model, probabilities = await serving(request).classify(to_rows(body.penguins))  # type: ignore[attr-defined]
        return Response(batch_json(probabilities, model.info.classes, model.info.version), media_type=JSON)

    return predict_batch


def add_routes(api: FastAPI, batch_limit: int) -> None:
    """``GET /health``, ``GET /model``, ``POST /predict`` and ``POST /predict/batch`` (up to ``batch_limit``)."""
    api.add_api_route("/health", health, methods=["GET"], response_model=Health, responses={503: {"model": Health}})
    api.add_api_route("/model", model_info, methods=["GET"], response_model=ModelInfo, responses=UNAVAILABLE)
    api.add_api_route(
        "/predict", predict, methods=["POST"], response_model=Prediction, responses=UNPARSABLE | UNAVAILABLE
    )
    api.add_api_route(
        "/predict/batch",
        batch_route(limited_batch(batch_limit)),
        methods=["POST"],
        response_model=BatchPrediction,
        responses=UNPARSABLE | UNAVAILABLE,
    )
