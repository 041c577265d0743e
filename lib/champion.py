"""The served model as files in ``models/``: the contract between training and serving, one writer, one reader.

``models/`` holds two files: the fitted pipeline (a skops file) and ``model.json``, which
says what that file is (:class:`ModelExport`): its registered name and version, the
candidate, the MLflow run, its hyperparameters and seed, its metrics, the data it was
trained on, the feature schema and classes it answers for, and the file's SHA-256.
:func:`export` is the only writer; :func:`read` reads the export back and makes every check
of the files there (a record complete and typed, this project's schema, the file's name and hash,
trusted types only, the classes it records); :func:`read_record` reads the record alone. The API's
loader is a few lines over :func:`read`; whether a model from any source answers the API (its
species, its columns, reference penguins) is the API's own check (``serving.loading.check_contract``).

The model is stored with skops, not pickle: loading a pickle runs whatever code it contains,
loading a skops file only builds the types it is allowed to, here skops' defaults and the
reviewed :data:`TRUSTED_TYPES`; a file asking for anything else is refused.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path
from typing import Any, NamedTuple

import skops.io as sio
from pydantic import BaseModel, ConfigDict, ValidationError
from sklearn.pipeline import Pipeline

from lib import paths, schema
from lib.modeling import CANDIDATES

MODEL_FILE_NAME = "penguins-classifier.skops"
METADATA_FILE_NAME = "model.json"
# What to do about a damaged export: the pipeline exports the 2.2 champion; a promoted version is
# exported from the registry (lesson 5.2, lib.training.export_version).
REEXPORT = "re-export the model you serve ('make pipeline' for the pipeline's champion)"
# Types outside skops' default trust that the candidates' pipelines contain: numpy
# dtypes, and whatever the declared candidates need (lib/modeling.py), nothing else.
TRUSTED_TYPES: tuple[str, ...] = tuple(
    sorted({"numpy.dtype"} | {kind for candidate in CANDIDATES.values() for kind in candidate.trusted_types})
)
FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


class ModelFileError(RuntimeError):
    """The model export is missing, unreadable, incomplete, not this project's, or asks to load untrusted types."""


class TrainedOn(BaseModel):
    """One dataset a model was trained on, as its MLflow run logged it (``mlflow.log_input``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    source: str
    digest: str


class ModelExport(BaseModel):
    """What ``model.json`` says about the model file beside it: the contract between training and serving.

    The writer gives who the model is (name, registry ``version``, ``candidate``, MLflow ``run_id``),
    how it was made (``hyperparameters`` as typed values, ``seed``, ``trained_on``) and how well it
    did (``metrics``). :func:`export` adds what it reads off the model and the file: the ``classes``,
    the ``feature_schema``, the file's name, SHA-256 and the non-default types it needs. ``version``
    and ``run_id`` are None only for a model that was never registered (:meth:`unregistered`).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, protected_namespaces=())

    name: str
    version: int | None
    candidate: str
    run_id: str | None
    hyperparameters: dict[str, Any]
    seed: int | None
    metrics: dict[str, float]
    trained_on: list[TrainedOn]
    classes: list[str] = []
    feature_schema: dict[str, Any] = {}
    model_file: str = ""
    model_sha256: str = ""
    trusted_types: list[str] = []

    @classmethod
    def unregistered(cls, name: str) -> ModelExport:
        """The record of a model that is in no registry and no run: a scratch export for the behavioural tests."""
        return cls(
            name=name,
            version=None,
            candidate=name,
            run_id=None,
            hyperparameters={},
            seed=None,
            metrics={},
            trained_on=[],
        )

    @property
    def served_version(self) -> str:
        """The version as the API reports it: the registry's number, or ``unregistered``."""
        return str(self.version) if self.version is not None else "unregistered"


class Export(NamedTuple):
    """A read and checked export: the model, and the record that describes it."""

    model: Pipeline
    record: ModelExport


def model_file(models_dir: Path | None = None) -> Path:
    """Return the path of the exported model file."""
    return (Path(models_dir) if models_dir is not None else paths.MODELS_DIR) / MODEL_FILE_NAME


def metadata_file(models_dir: Path | None = None) -> Path:
    """Return the path of the exported model's metadata (``model.json``)."""
    return (Path(models_dir) if models_dir is not None else paths.MODELS_DIR) / METADATA_FILE_NAME


def trusted_types_of(model: Pipeline) -> list[str]:
    """Return the non-default types skops needs for ``model``; raise if one is not in :data:`TRUSTED_TYPES`."""
    needed = sorted(sio.get_untrusted_types(data=sio.dumps(model)))
    unknown = [name for name in needed if name not in TRUSTED_TYPES]
    if unknown:
        raise ModelFileError(f"the model contains types not reviewed in TRUSTED_TYPES: {unknown}")
    return needed


def _renumber(layout: Any, numbers: dict[int, int]) -> Any:
    """Replace skops' object ids (memory addresses) by their order of first appearance."""
    if isinstance(layout, dict):
        renamed: dict[str, Any] = {}
        for key, value in layout.items():
            if key == "__id__" and isinstance(value, int):
                renamed[key] = numbers.setdefault(value, len(numbers))
            elif key == "file" and isinstance(value, str) and value.endswith(".npy"):
                renamed[key] = f"{numbers.setdefault(int(value[:-4]), len(numbers))}.npy"
            else:
                renamed[key] = _renumber(value, numbers)
        return renamed
    if isinstance(layout, list):
        return [_renumber(item, numbers) for item in layout]
    return layout


def deterministic_dumps(model: Pipeline) -> bytes:
    """Serialise with skops so that equal models give equal bytes.

    skops names array files and shared objects after their memory addresses, and
    stamps the zip entries with the current time; both are renumbered and fixed
    here, so the export's hash changes only when the model does.
    """
    numbers: dict[int, int] = {}
    with zipfile.ZipFile(io.BytesIO(sio.dumps(model))) as source:
        layout = _renumber(json.loads(source.read("schema.json")), numbers)
        entries = {"schema.json": json.dumps(layout, sort_keys=True).encode("utf-8")}
        for name in source.namelist():
            if name.endswith(".npy"):
                entries[f"{numbers[int(name[:-4])]}.npy"] = source.read(name)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for name in sorted(entries):
            entry = zipfile.ZipInfo(name, date_time=FIXED_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(entry, entries[name])
    return buffer.getvalue()


def export(model: Pipeline, record: ModelExport, models_dir: Path | None = None) -> ModelExport:
    """Write the model (skops) and its record (``model.json``) to ``models/``; return the record as written.

    The record is completed from the model and its bytes (classes, feature schema, file name,
    SHA-256, trusted types). Both files are written to temporary files first and moved into
    place only when complete, the model first; a reader that sees the new model beside the old
    record (between the two moves), or a file damaged in a copy, knows it by the hash (:func:`read`).
    """
    content = deterministic_dumps(model)
    written = record.model_copy(
        update={
            "classes": [str(label) for label in model.classes_],
            "feature_schema": schema.feature_schema(),
            "model_file": MODEL_FILE_NAME,
            "model_sha256": hashlib.sha256(content).hexdigest(),
            "trusted_types": trusted_types_of(model),
        }
    )
    text = json.dumps(written.model_dump(mode="json"), indent=2, sort_keys=True) + "\n"
    paths.write_atomically(model_file(models_dir), lambda tmp: tmp.write_bytes(content))
    paths.write_atomically(metadata_file(models_dir), lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return written


def missing(path: Path) -> ModelFileError:
    """The error for a missing export file, with the command that makes it."""
    return ModelFileError(
        f"{path} is missing: train and export the champion with 'make pipeline' (or the 2.2 notebook)"
    )


def read_record(models_dir: Path | None = None) -> ModelExport:
    """Read and check ``model.json``: every field of :class:`ModelExport` present and typed, this project's schema.

    Raises :class:`ModelFileError` naming the file, what is wrong and the fix.
    """
    path = metadata_file(models_dir)
    if not path.is_file():
        raise missing(path)
    try:
        record = ModelExport.model_validate_json(path.read_bytes())
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or 'the document'}: {error['msg']}"
            for error in exc.errors()
        )
        raise ModelFileError(f"{path} is not a complete model record ({problems}): {REEXPORT}") from None
    wrong = [f"{name} is absent" for name in sorted(set(ModelExport.model_fields) - record.model_fields_set)]
    if record.model_file != MODEL_FILE_NAME:
        wrong.append(f"model_file is {record.model_file!r}, not {MODEL_FILE_NAME!r}")
    if unreviewed := sorted(set(record.trusted_types) - set(TRUSTED_TYPES)):
        wrong.append(f"trusted_types lists {unreviewed}, not reviewed in TRUSTED_TYPES")
    if wrong:
        raise ModelFileError(f"{path} is not a record champion.export wrote ({'; '.join(wrong)}): {REEXPORT}")
    if record.feature_schema != schema.feature_schema():
        raise ModelFileError(
            f"{path} records another feature schema than this project's: the model was trained for other "
            "inputs; export one trained on this project's data"
        )
    return record


def read(models_dir: Path | None = None) -> Export:
    """Read and check the whole export: the record (:func:`read_record`), then the model file it describes.

    The model file must have the SHA-256 the record gives (:func:`load_model_file`) and predict
    the classes the record lists, in that order.
    """
    if not model_file(models_dir).is_file():
        raise missing(model_file(models_dir))
    record = read_record(models_dir)
    model = load_model_file(models_dir, sha256=record.model_sha256)
    classes = [str(label) for label in model.classes_]
    if classes != record.classes:
        raise ModelFileError(
            f"{model_file(models_dir)} predicts {classes} but {METADATA_FILE_NAME} says {record.classes}: {REEXPORT}"
        )
    return Export(model, record)


def load_model(models_dir: Path | None = None) -> Pipeline:
    """The exported model, after every check of :func:`read` (the lessons' and the tests' way to get it)."""
    return read(models_dir).model


def load_model_file(models_dir: Path | None = None, sha256: str | None = None) -> Pipeline:
    """Load the model file alone, trusting only :data:`TRUSTED_TYPES` beyond skops' defaults.

    The file is read once, and checked and loaded from those bytes, so a file replaced
    in the meantime cannot pass the check and then load as another model. With ``sha256``
    (the ``model_sha256`` of ``model.json``) the bytes must have that hash.

    Raises :class:`ModelFileError` when the file is missing, is not the file ``model.json``
    describes, is not a skops file, or asks for a type that is not trusted."""
    path = model_file(models_dir)
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        raise missing(path) from None
    if sha256 is not None and hashlib.sha256(content).hexdigest() != sha256:
        raise ModelFileError(
            f"{path} is not the file {METADATA_FILE_NAME} describes (its SHA-256 differs): the export is "
            "incomplete or damaged; " + REEXPORT
        )
    try:
        untrusted = sio.get_untrusted_types(data=content)
    except (zipfile.BadZipFile, KeyError, ValueError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"{path} is not a readable skops file ({exc}): {REEXPORT}") from exc
    refused = sorted(set(untrusted) - set(TRUSTED_TYPES))
    if refused:
        raise ModelFileError(f"{path} asks to load types that are not trusted: {refused}; refusing to load it")
    try:
        model = sio.loads(content, trusted=list(TRUSTED_TYPES))
    except Exception as exc:  # skops raises many types for damaged content
        raise ModelFileError(f"{path} could not be loaded ({type(exc).__name__}: {exc}): re-export it") from exc
    if not hasattr(model, "predict_proba"):
        raise ModelFileError(f"{path} holds a {type(model).__name__}, not a classifier with predict_proba")
    return model
