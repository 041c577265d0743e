"""lib.champion: the export's typed record, its one writer and one reader, determinism, and only reviewed types."""

import json

import numpy as np
import pytest
import skops.io as sio
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from lib import champion, data, modeling, params, training


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
    return training.fit(request.param, params.stage_params("train")["candidates"][request.param], train, 0)


def record(**changes) -> champion.ModelExport:
    """A record as a registered version gives it (what lib.training.version_record builds from the registry)."""
    fields = {
        "name": "m",
        "version": 3,
        "candidate": "logistic_regression",
        "run_id": "0123abcd",
        "hyperparameters": {"C": 0.5, "penalty": "l2"},
        "seed": 0,
        "metrics": {"test_macro_f1": 0.98},
        "trained_on": [{"name": "penguins-train", "source": "data/processed/train.csv", "digest": "ab12"}],
    }
    return champion.ModelExport.model_validate(fields | changes)


def test_export_and_read_round_trip(tmp_path, model, splits):
    """Every candidate type reads back with the same probabilities, and the record as written, typed."""
    _, test = splits
    written = champion.export(model, record(), tmp_path)
    loaded, read = champion.read(tmp_path)
    x = modeling.features(test)
    assert np.array_equal(loaded.predict_proba(x), model.predict_proba(x))
    assert read == written and read.version == 3 and read.hyperparameters == {"C": 0.5, "penalty": "l2"}
    assert read.classes == list(modeling.schema.CLASSES) and read.feature_schema == modeling.schema.feature_schema()
    assert read.model_file == champion.MODEL_FILE_NAME and set(read.trusted_types) <= set(champion.TRUSTED_TYPES)
    assert read.trained_on[0].source == "data/processed/train.csv" and read.served_version == "3"


def test_a_scratch_export_says_it_is_unregistered(tmp_path, model):
    """The behavioural tests' scratch export goes through the same writer and reader; its version says what it is."""
    champion.export(model, champion.ModelExport.unregistered("candidate"), tmp_path)
    assert champion.read_record(tmp_path).served_version == "unregistered"


def test_export_bytes_depend_only_on_the_model(model):
    """Two serialisations of the same model are byte-identical (skops alone is not: it names arrays by address
    and stamps the time). A model fitted again gives the same bytes too: the next test."""
    assert champion.deterministic_dumps(model) == champion.deterministic_dumps(model)
    assert sio.dumps(model) != sio.dumps(model)


def test_training_again_gives_the_same_bytes(model, splits):
    """On one machine, the same candidate fitted again on the same data exports the same bytes.

    (Another CPU may give other bytes: the coefficients' last bits follow the floating-point kernels
    OpenBLAS picks for the processor, which is why nbval leaves the model file's md5 out of lesson 2.2.)
    """
    train, _ = splits
    name = next(name for name, spec in modeling.CANDIDATES.items() if isinstance(model[-1], type(spec.estimator())))
    again = training.fit(name, params.stage_params("train")["candidates"][name], train, 0)
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
        champion.load_model_file(tmp_path)


@pytest.mark.parametrize("content", [b"", b"not a zip file", b"PK\x03\x04broken"])
def test_corrupted_model_file_is_a_clear_error(tmp_path, content):
    """Garbage in the model file is reported with the file and the fix, not a traceback from skops."""
    (tmp_path / champion.MODEL_FILE_NAME).write_bytes(content)
    with pytest.raises(champion.ModelFileError, match="re-export"):
        champion.load_model_file(tmp_path)


def test_missing_files_name_the_command(tmp_path, model):
    """Missing model or record: the message says how to make them."""
    with pytest.raises(champion.ModelFileError, match="make pipeline"):
        champion.read(tmp_path)
    champion.export(model, record(), tmp_path)
    champion.metadata_file(tmp_path).unlink()
    with pytest.raises(champion.ModelFileError, match=r"model\.json is missing.*make pipeline"):
        champion.load_model(tmp_path)
    champion.model_file(tmp_path).unlink()
    with pytest.raises(champion.ModelFileError, match=r"\.skops is missing.*make pipeline"):
        champion.load_model(tmp_path)


def _rewrite(folder, change):
    """Edit model.json as a hand or another tool might."""
    document = json.loads(champion.metadata_file(folder).read_text(encoding="utf-8"))
    change(document)
    champion.metadata_file(folder).write_text(json.dumps(document), encoding="utf-8")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda doc: doc.pop("seed"), r"not a complete model record \(seed: Field required\)"),
        (lambda doc: doc.update(version="three"), r"version: Input should be a valid integer"),
        (lambda doc: doc.update(hyperparameters="C=0.5"), r"hyperparameters: Input should be an object"),
        (lambda doc: doc.update(trained_on={"file": "train.csv"}), r"trained_on: Input should be a valid array"),
        (lambda doc: doc.update(threshold=0.5), r"threshold: Extra inputs are not permitted"),
        (lambda doc: doc.pop("model_sha256"), r"not a record champion.export wrote \(model_sha256 is absent\)"),
        (lambda doc: doc.pop("trusted_types"), r"trusted_types is absent"),
        (lambda doc: doc.update(model_file="model.pkl"), r"model_file is 'model.pkl', not 'penguins-classifier"),
        (lambda doc: doc.update(trusted_types=["builtins.eval"]), r"trusted_types lists \['builtins.eval'\]"),
        (lambda doc: doc["feature_schema"]["features"].pop(), r"another feature schema"),
        (lambda doc: doc.update(model_sha256="0" * 64), r"SHA-256 differs"),
        (lambda doc: doc.update(classes=["Gentoo", "Adelie", "Chinstrap"]), r"predicts \['Adelie'.* but model.json"),
    ],
    ids=[
        "no seed",
        "version text",
        "hyperparameters text",
        "trained_on a dict",
        "extra field",
        "no hash",
        "no trusted types",
        "another file",
        "unreviewed type",
        "schema",
        "hash",
        "classes",
    ],
)
def test_read_refuses_a_record_that_breaks_the_contract(tmp_path, splits, change, message):
    """Each way a model.json can break the contract is refused by read, naming the field, with the fix."""
    train, _ = splits
    champion.export(training.fit("logistic_regression", {}, train, 0), record(), tmp_path)
    _rewrite(tmp_path, change)
    with pytest.raises(champion.ModelFileError, match=message) as refused:
        champion.read(tmp_path)
    assert "model.json" in str(refused.value)


def test_not_json_is_named(tmp_path):
    (tmp_path / champion.METADATA_FILE_NAME).write_text("{not json")
    with pytest.raises(champion.ModelFileError, match="not a complete model record.*Invalid JSON"):
        champion.read_record(tmp_path)


def test_metadata_is_sorted_json(tmp_path, model):
    """model.json is stable, readable JSON."""
    champion.export(model, record(), tmp_path)
    text = champion.metadata_file(tmp_path).read_text()
    assert list(json.loads(text)) == sorted(json.loads(text)) and text.endswith("\n")
