"""The champion model as files in ``models/``: export for serving without MLflow, and a safe load.

The model is stored with skops, not pickle: loading a pickle runs whatever code it
contains, loading a skops file only builds the types it is allowed to. The types
beyond skops' own defaults that this project's models need are listed here,
reviewed once, in :data:`TRUSTED_TYPES`; a file asking for anything else is refused.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import skops.io as sio
from sklearn.pipeline import Pipeline

from lib import paths
from lib.modeling import CANDIDATES

MODEL_FILE_NAME = "penguins-classifier.skops"
METADATA_FILE_NAME = "model.json"
# What to do about a damaged export: the pipeline exports the 2.2 champion; a promoted version is
# exported from the registry (lesson 5.2, lib.loop.promotion.export_version).
REEXPORT = "re-export the model you serve ('make pipeline' for the pipeline's champion)"
# Types outside skops' default trust that the candidates' pipelines contain: numpy
# dtypes, and whatever the declared candidates need (lib/modeling.py), nothing else.
TRUSTED_TYPES: tuple[str, ...] = tuple(
    sorted({"numpy.dtype"} | {kind for candidate in CANDIDATES.values() for kind in candidate.trusted_types})
)
FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


class ModelFileError(RuntimeError):
    """The model export is missing, unreadable, or asks to load untrusted types."""


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


def _renumber(schema: Any, numbers: dict[int, int]) -> Any:
    """Replace skops' object ids (memory addresses) by their order of first appearance."""
    if isinstance(schema, dict):
        renamed: dict[str, Any] = {}
        for key, value in schema.items():
            if key == "__id__" and isinstance(value, int):
                renamed[key] = numbers.setdefault(value, len(numbers))
            elif key == "file" and isinstance(value, str) and value.endswith(".npy"):
                renamed[key] = f"{numbers.setdefault(int(value[:-4]), len(numbers))}.npy"
            else:
                renamed[key] = _renumber(value, numbers)
        return renamed
    if isinstance(schema, list):
        return [_renumber(item, numbers) for item in schema]
    return schema


def deterministic_dumps(model: Pipeline) -> bytes:
    """Serialise with skops so that equal models give equal bytes.

    skops names array files and shared objects after their memory addresses, and
    stamps the zip entries with the current time; both are renumbered and fixed
    here, so the export's hash changes only when the model does.
    """
    numbers: dict[int, int] = {}
    with zipfile.ZipFile(io.BytesIO(sio.dumps(model))) as source:
        schema = _renumber(json.loads(source.read("schema.json")), numbers)
        entries = {"schema.json": json.dumps(schema, sort_keys=True).encode("utf-8")}
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


def export(model: Pipeline, metadata: dict[str, Any], models_dir: Path | None = None) -> tuple[Path, Path]:
    """Write the model (skops) and its metadata (JSON) to ``models/``; return both paths.

    Both are written to temporary files first and moved into place only when complete,
    the model first. The metadata records the model file's SHA-256, so a reader that
    sees the new model beside the old metadata (between the two moves), or a file
    damaged in a copy, knows it (:func:`load_model`).
    """
    target_model, target_meta = model_file(models_dir), metadata_file(models_dir)
    content = deterministic_dumps(model)
    document = {
        **metadata,
        "model_file": MODEL_FILE_NAME,
        "model_sha256": hashlib.sha256(content).hexdigest(),
        "trusted_types": trusted_types_of(model),
    }
    paths.write_atomically(target_model, lambda tmp: tmp.write_bytes(content))
    text = json.dumps(document, indent=2, sort_keys=True) + "\n"
    paths.write_atomically(target_meta, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return target_model, target_meta


def missing(path: Path) -> ModelFileError:
    """The error for a missing export file, with the command that makes it."""
    return ModelFileError(
        f"{path} is missing: train and export the champion with 'make pipeline' (or the 2.2 notebook)"
    )


def load_metadata(models_dir: Path | None = None) -> dict[str, Any]:
    """Read ``model.json``; raise :class:`ModelFileError` naming the file and the fix when it is absent or broken."""
    path = metadata_file(models_dir)
    if not path.is_file():
        raise missing(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelFileError(f"{path} is not valid JSON ({exc}): {REEXPORT}") from exc


def load_model(models_dir: Path | None = None, sha256: str | None = None) -> Pipeline:
    """Load the exported model, trusting only :data:`TRUSTED_TYPES` beyond skops' defaults.

    The file is read once, and checked and loaded from those bytes, so a file replaced
    in the meantime cannot pass the check and then load as another model. With ``sha256``
    (the ``model_sha256`` of ``model.json``) the bytes must have that hash.

    Raises :class:`ModelFileError` when the file is missing, is not the file ``model.json``
    describes, is not a skops file, or asks for a type that is not trusted.
    """
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


def export_signature(models_dir: Path | None = None) -> tuple | None:
    """What changes when the export is replaced: each file's size, modification time and inode; None if absent.

    Cheap enough to read every few seconds (two ``stat`` calls): the API polls it to notice
    a new export (:mod:`lib.serving.reloading`).
    """
    signature = []
    for path in (model_file(models_dir), metadata_file(models_dir)):
        try:
            status = path.stat()
        except FileNotFoundError:
            return None
        signature.append((path.name, status.st_size, status.st_mtime_ns, status.st_ino))
    return tuple(signature)
