"""Fixtures of the model tests: the exported champion of the session's project, and how to ask it."""

import pandas as pd
import pytest

from lib import champion, data, modeling, paths, schema
from lib.requirements import Requirements


@pytest.fixture(scope="session")
def model(project):
    """The champion as the API serves it: loaded from models/ with the trusted types only."""
    return champion.load_model(paths.MODELS_DIR)


@pytest.fixture(scope="session")
def requirements(project):
    """The success criteria agreed at inception (params.yaml, requirements:)."""
    return Requirements.from_params(project.root / "params.yaml")


@pytest.fixture(scope="session")
def test_set(project):
    """The held-out test split."""
    return data.load_processed(paths.TEST_FILE)


@pytest.fixture(scope="session")
def probabilities(model):
    """A function: one penguin's inputs -> its probability per species."""

    def ask(*penguin):
        row = pd.DataFrame([dict(zip(schema.FEATURES, penguin, strict=True))])
        return dict(zip(model.classes_, model.predict_proba(modeling.features(row))[0], strict=True))

    return ask
