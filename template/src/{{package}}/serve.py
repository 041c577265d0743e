"""The API: the exported champion behind FastAPI, its request body made from schema.yaml.

``uvicorn <package>.serve:app`` (or ``make api``) serves ``GET /health``, ``POST /predict`` (one row,
its columns named as in the CSV), ``GET /metrics`` (Prometheus) and the OpenAPI page at ``/docs``.
A value of the wrong type, outside the profiled range or not among the known categories gets a 422
that names the field.
"""

# No `from __future__ import annotations`: FastAPI reads the route's body type, made at run time, from its annotation.
import time
from contextlib import asynccontextmanager
from typing import Any, Literal

import pandas as pd
from fastapi import FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from pydantic import BaseModel, ConfigDict, Field, create_model

from . import config, model


def request_model(schema: dict[str, Any]) -> type[BaseModel]:
    """One field per input column: its type, its range or categories, required unless it may be missing."""
    fields: dict[str, Any] = {}
    for i, column in enumerate(schema["columns"]):
        limits: dict[str, Any] = {"alias": column["name"]}
        if column["kind"] == "categorical":
            kind: Any = Literal[tuple(column["categories"])]
        else:
            kind, limits["ge"], limits["le"] = float, column["min"], column["max"]
        if column.get("nullable"):
            kind, limits["default"] = kind | None, None
        fields[f"field_{i}"] = (kind, Field(**limits))
    config_ = ConfigDict(extra="forbid", populate_by_name=False)
    return create_model("Row", __config__=config_, **fields)


def create_app() -> FastAPI:
    """The app: the model is loaded when the server starts, not when this module is imported."""
    schema = config.schema()
    row_model = request_model(schema)
    registry = CollectorRegistry()
    requests = Counter("api_requests", "Requests by route and status", ["route", "status"], registry=registry)
    latency = Histogram("api_request_seconds", "Time to answer a request", ["route"], registry=registry)
    state: dict[str, Any] = {}

    @asynccontextmanager
    async def lifespan(_: FastAPI):
        state["model"], state["meta"] = model.load()
        yield

    app = FastAPI(title=config.params()["train"]["registered_model"], lifespan=lifespan)

    @app.middleware("http")
    async def measure(request: Request, call_next):
        start, status = time.perf_counter(), "500"  # an exception in a route is answered with a 500
        try:
            response = await call_next(request)
            status = str(response.status_code)
            return response
        finally:
            # The route's template, not the raw path: a scan of made-up paths adds one series, "unmatched".
            route = getattr(request.scope.get("route"), "path", "unmatched")
            requests.labels(route, status).inc()
            latency.labels(route).observe(time.perf_counter() - start)

    @app.get("/health")
    def health() -> dict[str, Any]:
        return {"status": "ok", "model_version": state["meta"]["version"]}

    @app.post("/predict")
    def predict(row: row_model) -> dict[str, Any]:  # type: ignore[valid-type]
        frame = pd.DataFrame([row.model_dump(by_alias=True)])  # type: ignore[attr-defined]
        return {**model.predict(state["model"], state["meta"], frame)[0], "model_version": state["meta"]["version"]}

    @app.get("/metrics")
    def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return app


app = create_app()
