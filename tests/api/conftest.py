"""Fixtures of the API tests: apps built on an exported champion (made here, without the pipeline)."""

import pytest
from fastapi.testclient import TestClient

from lib import champion, data, modeling, params, serving, training

EXAMPLE = serving.bodies.EXAMPLE  # the request example of /docs


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory):
    """A champion exported without running the pipeline, so these tests run in 'make test-fast'.

    The logistic regression of params.yaml, trained on the packaged data's split (a second);
    the pipeline's own export is served by the tests that start the real server.
    """
    train, test = data.split(data.clean(data.load_raw(data.packaged_raw_export())), test_size=0.25, seed=42)
    settings = params.stage_params("train")
    name = "logistic_regression"
    model = training.fit(name, settings["candidates"][name], train, settings["seed"])
    folder = tmp_path_factory.mktemp("models")
    record = champion.ModelExport(
        name=settings["registered_model"],
        version=1,
        candidate=name,
        run_id=None,  # trained here, in no MLflow run
        hyperparameters=settings["candidates"][name],
        seed=settings["seed"],
        metrics={key: round(value, 4) for key, value in modeling.evaluate(model, test).items()},
        trained_on=[],
    )
    champion.export(model, record, folder)
    return folder


@pytest.fixture(scope="session")
def metadata(models_dir):
    """The exported record, as the API reads it."""
    return champion.read_record(models_dir)


@pytest.fixture(scope="session")
def client(models_dir):
    """A TestClient on the API serving the exported champion (lifespan run, so the model is loaded)."""
    with TestClient(serving.create_app(serving.Settings(models_dir=models_dir))) as test_client:
        yield test_client


@pytest.fixture
def example():
    return dict(EXAMPLE)
