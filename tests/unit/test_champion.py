"""lib.champion: the export is deterministic, and loading trusts only the reviewed types."""

import json

import numpy as np
import pytest
import skops.io as sio
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from lib import champion, data, modeling, params


def _double(values):
    """A function skops cannot know: loading it would mean running code from the file."""
    return values * 2


@pytest.fixture(scope="module")
def splits():
    return data.split(data.clean(data.load_raw(data.packaged_raw_export())), test_size=0.25, seed=42)


@pytest.fixture(scope="module", params=sorted(modeling.CANDIDATES))
def model(request, splits):
    """Every declared candidate, with its params.yaml hyperparameters, fitted."""
    train, _ = splits
    configured = params.stage_params("train")["candidates"]
    candidate = modeling.build_candidate(request.param, configured[request.param], seed=0)
    return candidate.fit(modeling.features(train), modeling.labels(train))


def test_export_and_load_round_trip(tmp_path, model, splits):
    """Every candidate type loads back with the same probabilities, and its metadata beside it."""
    _, test = splits
    model_path, meta_path = champion.export(model, {"name": "m", "version": 3}, tmp_path)
    loaded = champion.load_model(tmp_path)
    x = modeling.features(test)
    assert np.array_equal(loaded.predict_proba(x), model.predict_proba(x))
    meta = champion.load_metadata(tmp_path)
    assert meta["version"] == 3 and meta["model_file"] == model_path.name
    assert set(meta["trusted_types"]) <= set(champion.TRUSTED_TYPES)


def test_export_bytes_depend_only_on_the_model(model):
    """Two serialisations of the same model are byte-identical (skops alone is not)."""
    assert champion.deterministic_dumps(model) == champion.deterministic_dumps(model)
    assert sio.dumps(model) != sio.dumps(model)


def test_training_again_gives_the_same_bytes(model, splits):
    """On one machine, the same candidate fitted again on the same data exports the same bytes.

    (Another CPU may give other bytes: the coefficients' last bits follow the floating-point kernels
    OpenBLAS picks for the processor, which is why nbval leaves the model file's md5 out of lesson 2.2.)
    """
    train, _ = splits
    name = next(name for name, spec in modeling.CANDIDATES.items() if isinstance(model[-1], type(spec.estimator())))
    again = modeling.build_candidate(name, params.stage_params("train")["candidates"][name], seed=0)
    again.fit(modeling.features(train), modeling.labels(train))
    assert champion.deterministic_dumps(again) == champion.deterministic_dumps(model)


def test_untrusted_types_are_refused(tmp_path, splits):
    """A file asking for a type outside TRUSTED_TYPES is not loaded, and the type is named."""
    train, _ = splits
    sneaky = make_pipeline(FunctionTransformer(_double), LogisticRegression(max_iter=10000))
    sneaky.fit(modeling.features(train)[list(modeling.schema.NUMERIC)], modeling.labels(train))
    with pytest.raises(champion.ModelFileError, match="not reviewed"):
        champion.trusted_types_of(sneaky)
    sio.dump(sneaky, tmp_path / champion.MODEL_FILE_NAME)
    with pytest.raises(champion.ModelFileError, match=r"not trusted: \[.*_double"):
        champion.load_model(tmp_path)


@pytest.mark.parametrize("content", [b"", b"not a zip file", b"PK\x03\x04broken"])
def test_corrupted_model_file_is_a_clear_error(tmp_path, content):
    """Garbage in the model file is reported with the file and the fix, not a traceback from skops."""
    (tmp_path / champion.MODEL_FILE_NAME).write_bytes(content)
    with pytest.raises(champion.ModelFileError, match="re-export"):
        champion.load_model(tmp_path)


def test_missing_files_name_the_command(tmp_path):
    """Missing model or metadata: the message says how to make them."""
    with pytest.raises(champion.ModelFileError, match="make pipeline"):
        champion.load_model(tmp_path)
    with pytest.raises(champion.ModelFileError, match="make pipeline"):
        champion.load_metadata(tmp_path)
    (tmp_path / champion.METADATA_FILE_NAME).write_text("{not json")
    with pytest.raises(champion.ModelFileError, match="not valid JSON"):
        champion.load_metadata(tmp_path)


def test_metadata_is_sorted_json(tmp_path, model):
    """model.json is stable, readable JSON."""
    _, meta_path = champion.export(model, {"b": 1, "a": 2}, tmp_path)
    text = meta_path.read_text()
    assert list(json.loads(text)) == sorted(json.loads(text)) and text.endswith("\n")
