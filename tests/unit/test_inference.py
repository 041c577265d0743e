"""lib.serving.inference: the numpy path gives the pipeline's probabilities, or steps aside."""

import numpy as np
import pytest
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from lib import data, modeling, params, training
from lib.serving import inference


@pytest.fixture(scope="module")
def train():
    return data.split(data.clean(data.load_raw(data.packaged_raw_export())), test_size=0.25, seed=42)[0]


def rows_of(table):
    return [
        tuple(None if isinstance(v, float) and np.isnan(v) else v for v in row)
        for row in modeling.features(table).itertuples(index=False)
    ]


CONFIGURED = params.stage_params("train")["candidates"]


@pytest.mark.parametrize("name", sorted(modeling.CANDIDATES))
def test_compiled_path_equals_the_pipeline(train, name):
    """For every candidate, with its params.yaml settings, on every training row (unknown sex included)."""
    model = training.fit(name, CONFIGURED[name], train, 0)
    fast = inference.compile_pipeline(model)
    assert fast is not None
    rows = rows_of(train)
    assert any(row[-1] is None for row in rows)
    assert np.allclose(fast(rows), model.predict_proba(modeling.features(train)), rtol=0, atol=1e-9)
    assert np.allclose(fast(rows), inference.pandas_path(model)(rows), rtol=0, atol=1e-9)


def test_unknown_structures_are_left_to_the_pipeline(train):
    """A pipeline of another shape is not compiled (the API then uses it as it is)."""
    other = make_pipeline(MinMaxScaler(), modeling.CANDIDATES["logistic_regression"].estimator())
    other.fit(modeling.features(train)[list(modeling.schema.NUMERIC)], modeling.labels(train))
    assert inference.compile_pipeline(other) is None


def test_a_compiled_path_that_disagrees_is_refused(train, monkeypatch):
    """The self-check on reference rows rejects a transformation that drifts from the pipeline."""
    model = training.fit("logistic_regression", {}, train, 0)
    original = inference.CompiledPipeline.transform
    monkeypatch.setattr(inference.CompiledPipeline, "transform", lambda self, rows: original(self, rows) * 1.01)
    assert inference.compile_pipeline(model) is None


def test_frame_puts_nan_for_unknown_sex():
    """The pandas path's table has float measurements and NaN for a missing sex."""
    table = inference.frame([("Dream", 40.0, 18.0, 190.0, 3800.0, None)])
    assert table["body_mass_g"].dtype == "float64" and np.isnan(table.loc[0, "sex"])
