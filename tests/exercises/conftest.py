"""Fixtures of the exercise tests, shared with the test that plants wrong answers in them."""

import pytest

from lib import paths, tracking


@pytest.fixture
def store(tmp_path, monkeypatch):
    """A fresh tracking store, so the solutions never add runs to the pipeline's."""
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    monkeypatch.setenv(paths.ROOT_ENV_VAR, str(tmp_path))  # mlruns/ of the fresh store lands in tmp_path
    tracking.configure()
    yield tmp_path
    monkeypatch.undo()
    tracking.configure()
