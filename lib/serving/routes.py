"""The API's routes, as functions over the serving state of the app that received the request.

No ``from __future__ import annotations`` here: FastAPI reads the route functions' annotations
at run time, and the batch route's type is built per app (its limit is a setting).
"""

import hmac
import json
from typing import Annotated, Any

import numpy as np
from fastapi import Depends, FastAPI, Header, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import TypeAdapter, ValidationError
from pydantic_core import to_json

from lib.serving import inference
from lib.serving.bodies import (
    UNAUTHORIZED,
    UNAVAILABLE,
    UNPARSABLE,
    BatchPrediction,
    BatchRequest,
    Health,
    ModelInfo,
    Penguin,
    Prediction,
    Reload,
    limited_batch,
    limited_batch_fields,
)
from lib.serving.state import serving

JSON = "application/json"
# A client may name its request (X-Request-ID): the prediction log keeps it, so answers can be
# joined with what is learnt later (the labels of lesson 5.2). Bounded, and printable ASCII only.
RequestId = Annotated[
    str | None,
    Header(
        max_length=128,
        pattern=r"^[!-~]+$",
        description="the client's id for this request, kept in the prediction log (1 to 128 visible ASCII characters)",
    ),
]


def to_rows(penguins: list[Penguin]) -> list[inference.Row]:
    """Validated penguins as rows in schema order (island, four measurements, sex or None)."""
    return [(p.island, p.bill_length_mm, p.bill_depth_mm, p.flipper_length_mm, p.body_mass_g, p.sex) for p in penguins]


def fields_to_rows(penguins: list[dict[str, Any]]) -> list[inference.Row]:
    """Validated penguins as dicts (the batch route's, :func:`lib.serving.bodies.fields_of`) as rows in schema order."""
    return [
        (p["island"], p["bill_length_mm"], p["bill_depth_mm"], p["flipper_length_mm"], p["body_mass_g"], p["sex"])
        for p in penguins
    ]


def answer(row: np.ndarray, classes: list[str], version: str) -> Prediction:
    """One prediction: the most probable species and every class's probability (6 decimals, as numpy rounds)."""
    probabilities = dict(zip(classes, np.round(row, 6).tolist(), strict=True))
    return Prediction(species=classes[int(np.argmax(row))], probabilities=probabilities, model_version=version)


def batch_json(probabilities: np.ndarray, classes: list[str], version: str) -> bytes:
    """The ``/predict/batch`` response body, written directly: the same JSON as :class:`BatchPrediction`.

    Building 1000 pydantic objects (or dicts) and serialising them is several times slower
    than writing the text. The probabilities are rounded for the whole matrix at once by numpy
    (:func:`answer` rounds the same way, so both routes give the same numbers) and written in
    one call of pydantic-core (Rust), as ``/predict``'s answer writes them (``1e-6``); each row
    is then one f-string of those texts, with the names and the version JSON-escaped once.
    ``make bench`` measures the route (docs/performance.md).
    """
    best = probabilities.argmax(axis=1).tolist()
    rounded = np.round(probabilities, 6).tolist()
    if not np.isfinite(probabilities).all():  # nan or inf, which JSON has not: written as null
        predictions = [
            {"species": classes[top], "probabilities": dict(zip(classes, row, strict=True)), "model_version": version}
            for top, row in zip(best, rounded, strict=True)
        ]
        return to_json({"predictions": predictions, "model_version": version}, inf_nan_mode="null")
    cells = to_json(rounded)[2:-2].decode().split("],[")  # "[[a,b,c],[d,e,f]]" -> "a,b,c", "d,e,f"
    names = [f"{json.dumps(name)}:" for name in classes]
    quoted = json.dumps(version)
    opening = [f'{{"species":{json.dumps(name)},"probabilities":{{' for name in classes]
    closing = f'}},"model_version":{quoted}}}'
    if len(names) == 3:  # the penguins' three species: one f-string per row, no inner loop
        first, second, third = names
        rows = [
            f"{opening[top]}{first}{a},{second}{b},{third}{c}{closing}"
            for top, (a, b, c) in zip(best, (cell.split(",") for cell in cells), strict=True)
        ]
    else:
        rows = [
            opening[top] + ",".join(name + value for name, value in zip(names, cell.split(","), strict=True)) + closing
            for top, cell in zip(best, cells, strict=True)
        ]
    return f'{{"predictions":[{",".join(rows)}],"model_version":{quoted}}}'.encode()


def is_json(content_type: str | None) -> bool:
    """Whether a request's content type is JSON (absent counts as JSON, as FastAPI reads bodies)."""
    if not content_type:
        return True
    kind = content_type.split(";", 1)[0].strip().lower()
    return kind == JSON or (kind.startswith("application/") and kind.endswith("+json"))


def parse_batch(adapter: TypeAdapter, body: bytes, content_type: str | None) -> dict[str, Any]:
    """Parse and validate a batch body in one pass of pydantic-core (Rust), with FastAPI's 422 errors.

    FastAPI would parse the JSON with Python's ``json`` and then validate the objects;
    for 1000 penguins that is most of the route's time. ``adapter`` validates into dicts
    (:func:`lib.serving.bodies.limited_batch_fields`). The errors are FastAPI's: each with
    its location under ``body``.
    """
    if not body:
        raise RequestValidationError([{"type": "missing", "loc": ("body",), "msg": "Field required", "input": None}])
    try:
        return adapter.validate_json(body) if is_json(content_type) else adapter.validate_python(body)
    except ValidationError as exc:
        raise RequestValidationError(
            [error | {"loc": ("body", *error["loc"])} for error in exc.errors(include_url=False)]
        ) from None


async def health(request: Request) -> Any:
    """Liveness, whether a model is loaded (503 when it is not, so a load balancer waits), and a failed reload."""
    state = serving(request)
    if state.loaded is None:
        detail = state.reloader.health_detail() or state.error
        return JSONResponse(
            status_code=503,
            content=Health(status="no model", model_loaded=False, detail=detail).model_dump(),
        )
    return Health(
        status="ok",
        model_loaded=True,
        model_version=state.loaded.info.version,
        detail=state.reloader.health_detail(),
    )


async def model_info(request: Request) -> ModelInfo:
    """Name, version, metrics, feature schema and class labels of the served model."""
    return serving(request).current().loaded.info


async def predict(penguin: Penguin, request: Request, x_request_id: RequestId = None) -> Prediction:
    """Classify one penguin (sex may be null when unknown)."""
    model, probabilities = await serving(request).classify(to_rows([penguin]), x_request_id)
    return answer(probabilities[0], model.info.classes, model.info.version)


def batch_route(limit: int) -> Any:
    """The ``/predict/batch`` route for up to ``limit`` penguins (a setting)."""
    adapter = TypeAdapter(limited_batch_fields(limit))

    async def predict_batch(request: Request, x_request_id: RequestId = None) -> Response:
        """Classify up to the batch limit of penguins; answers come back in request order."""
        body = parse_batch(adapter, await request.body(), request.headers.get("content-type"))
        model, probabilities = await serving(request).classify(fields_to_rows(body["penguins"]), x_request_id)
        return Response(batch_json(probabilities, model.info.classes, model.info.version), media_type=JSON)

    return predict_batch


def batch_openapi(body_type: type[BatchRequest]) -> dict[str, Any]:
    """The batch route's request body and 422 answer for ``/docs``: what FastAPI writes for a declared body."""
    body = body_type.model_json_schema(ref_template="#/components/schemas/{model}")
    body.pop("$defs", None)  # Penguin is a component already (POST /predict's body)
    errors = {"$ref": "#/components/schemas/HTTPValidationError"}
    return {
        "requestBody": {"required": True, "content": {JSON: {"schema": body}}},
        "responses": {"422": {"description": "Validation Error", "content": {JSON: {"schema": errors}}}},
    }


def admin_reload_route(token: str) -> Any:
    """``POST /admin/reload`` for the bearer ``token``: load the model's source now and switch to it."""
    expected = token.encode("utf-8")
    bearer = HTTPBearer(auto_error=False, description="the admin token, PENGUINS_ADMIN_TOKEN")

    async def admin_reload(
        request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
    ) -> Any:
        """Reload the model from its source now (the export or the registry alias); needs the admin token."""
        given = credentials.credentials.encode("utf-8") if credentials is not None else b""
        if not hmac.compare_digest(given, expected):  # constant time: no timing hint of how much matched
            return JSONResponse(
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
                content={
                    "detail": "a valid admin token is needed: send 'Authorization: Bearer <PENGUINS_ADMIN_TOKEN>'"
                },
            )
        outcome = await serving(request).reloader.reload()
        reload = Reload(**outcome.__dict__)
        if outcome.outcome == "failed":
            return JSONResponse(status_code=500, content=reload.model_dump())
        return reload

    return admin_reload


def add_routes(api: FastAPI, batch_limit: int, admin_token: str | None = None) -> None:
    """``GET /health``, ``GET /model``, ``POST /predict``, ``POST /predict/batch`` (up to ``batch_limit``)
    and, with an ``admin_token``, ``POST /admin/reload``."""
    api.add_api_route("/health", health, methods=["GET"], response_model=Health, responses={503: {"model": Health}})
    api.add_api_route("/model", model_info, methods=["GET"], response_model=ModelInfo, responses=UNAVAILABLE)
    api.add_api_route(
        "/predict", predict, methods=["POST"], response_model=Prediction, responses=UNPARSABLE | UNAVAILABLE
    )
    body_type = limited_batch(batch_limit)
    api.add_api_route(
        "/predict/batch",
        batch_route(batch_limit),
        methods=["POST"],
        response_model=BatchPrediction,
        responses=UNPARSABLE | UNAVAILABLE,
        openapi_extra=batch_openapi(body_type),
    )
    if admin_token:
        api.add_api_route(
            "/admin/reload",
            admin_reload_route(admin_token),
            methods=["POST"],
            response_model=Reload,
            responses=UNAUTHORIZED | {500: {"model": Reload, "description": "the new model could not be loaded"}},
        )
