"""The API's request and response bodies, built from the feature schema of ``lib.schema``.

The island and sex values, and each measurement's unit and plausible range, are the
ones the data checks use; the classes carry examples, so ``/docs`` is a usable page.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from typing_extensions import TypedDict

from lib import schema

Island = Literal[schema.ISLANDS]  # type: ignore[valid-type]
Sex = Literal[schema.SEXES]  # type: ignore[valid-type]
Species = Literal[schema.CLASSES]  # type: ignore[valid-type]
_RANGES = {f.name: f for f in schema.NUMERIC_FEATURES}
EXAMPLE: dict[str, Any] = {
    "island": "Biscoe",
    "bill_length_mm": 45.1,
    "bill_depth_mm": 14.5,
    "flipper_length_mm": 215,
    "body_mass_g": 5000,
    "sex": "female",
}


def _measurement(name: str) -> Any:
    feature = _RANGES[name]
    return Annotated[
        float,
        Field(
            ge=feature.minimum,
            le=feature.maximum,
            allow_inf_nan=False,
            examples=[EXAMPLE[name]],
            description=f"{feature.description}, in {feature.unit} ({feature.minimum:g} to {feature.maximum:g})",
        ),
    ]


BillLength = _measurement("bill_length_mm")
BillDepth = _measurement("bill_depth_mm")
FlipperLength = _measurement("flipper_length_mm")
BodyMass = _measurement("body_mass_g")


class Penguin(BaseModel):
    """One adult penguin's island, sex and body measurements."""

    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra={"examples": [EXAMPLE]})

    island: Island = Field(description="island of the nest", examples=["Biscoe"])
    bill_length_mm: BillLength  # type: ignore[valid-type]
    bill_depth_mm: BillDepth  # type: ignore[valid-type]
    flipper_length_mm: FlipperLength  # type: ignore[valid-type]
    body_mass_g: BodyMass  # type: ignore[valid-type]
    sex: Sex | None = Field(description="sex, or null when unknown", examples=["female"])


class BatchRequest(BaseModel):
    """Several penguins to classify at once."""

    model_config = ConfigDict(extra="forbid", strict=True)

    penguins: list[Penguin] = Field(min_length=1, description="the penguins, in the order answers should come back")


def limited_batch(limit: int) -> type[BatchRequest]:
    """The batch request with at most ``limit`` penguins (the limit is a setting, so the class is built per app)."""

    class LimitedBatch(BatchRequest):
        """Several penguins to classify at once (at most the configured batch limit)."""

        penguins: list[Penguin] = Field(
            min_length=1, max_length=limit, description=f"1 to {limit} penguins, in answer order"
        )

    return LimitedBatch


def fields_of(model: type[BaseModel]) -> Any:
    """A TypedDict with ``model``'s fields, their types and constraints, validated as strictly.

    pydantic-core validates a list of these into plain dicts: for a batch of 1000 penguins
    that is about a third cheaper than building 1000 ``Penguin`` objects, with the same
    rules and the same errors (type, location and message), because each field is the
    model's own annotation. The model stays what ``/docs`` shows.
    """
    annotations = {
        name: Annotated[(field.annotation, *field.metadata)] if field.metadata else field.annotation
        for name, field in model.model_fields.items()
    }
    fields = _TypedDict(f"{model.__name__}Fields", annotations)
    fields.__pydantic_config__ = model.model_config
    return fields


def limited_batch_fields(limit: int) -> Any:
    """The body of :func:`limited_batch` as TypedDicts (see :func:`fields_of`): what ``/predict/batch`` validates."""
    penguins = _List[fields_of(Penguin)]
    body = _TypedDict("BatchFields", {"penguins": Annotated[penguins, Field(min_length=1, max_length=limit)]})
    body.__pydantic_config__ = BatchRequest.model_config
    return body


_TypedDict: Any = TypedDict  # called with fields known only at run time, which a type checker cannot follow
_List: Any = list


class Prediction(BaseModel):
    """The predicted species and the probability of each class."""

    species: Species = Field(examples=["Gentoo"])
    probabilities: dict[str, float] = Field(examples=[{"Adelie": 0.002, "Chinstrap": 0.002, "Gentoo": 0.996}])
    model_version: str = Field(description="registry version of the model that answered", examples=["1"])


class BatchPrediction(BaseModel):
    """One prediction per penguin, in request order."""

    predictions: list[Prediction]
    model_version: str


class Problem(BaseModel):
    """An error that is not about one field: a body that cannot be parsed, no model, or too busy."""

    detail: str


UNAVAILABLE: dict[int | str, dict[str, Any]] = {
    503: {
        "model": Problem,
        "description": "no model is loaded, or the server is too busy (then with Retry-After); the detail says which",
    }
}
UNPARSABLE: dict[int | str, dict[str, Any]] = {
    400: {
        "model": Problem,
        "description": "the body cannot be parsed (for example, it is not UTF-8)",
    }
}


UNAUTHORIZED: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "no admin token, or a wrong one (send 'Authorization: Bearer <token>')"}
}


class Reload(BaseModel):
    """What ``POST /admin/reload`` did."""

    outcome: Literal["loaded", "failed", "unchanged"] = Field(description="loaded: now serving the source's model")
    model_version: str | None = Field(description="the version now serving")
    previous_version: str | None = Field(default=None, description="the version served before")
    detail: str | None = Field(default=None, description="why the load failed")


class Health(BaseModel):
    """Liveness and readiness."""

    status: Literal["ok", "no model"]
    model_loaded: bool
    model_version: str | None = None
    detail: str | None = None


class ModelInfo(BaseModel):
    """What is being served."""

    name: str
    version: str
    candidate: str | None = None
    source: str
    inference: Literal["numpy", "pandas"] = Field(
        description="numpy: the preprocessing replayed without pandas; pandas: the pipeline as exported"
    )
    metrics: dict[str, float]
    features: list[dict[str, Any]]
    classes: list[str]
