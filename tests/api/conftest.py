"""Fixtures of the API tests: apps built on the session project's exported model."""

import pytest
from fastapi.testclient import TestClient

from lib import champion, serving

EXAMPLE = {"island": "Biscoe", "bill_length_mm": 45.1, "bill_depth_mm": 14.5, "flipper_length_mm": 215,
           "body_mass_g": 5000, "sex": "female"}


@pytest.fixture(scope="session")
def models_dir(project):
    return project.root / "models"


@pytest.fixture(scope="session")
def metadata(models_dir):
    return champion.load_metadata(models_dir)


@pytest.fixture(scope="session")
def client(models_dir):
    """A TestClient on the API serving the exported champion (lifespan run, so the model is loaded)."""
    with TestClient(serving.create_app(serving.Settings(models_dir=models_dir))) as test_client:
        yield test_client


@pytest.fixture
def example():
    return dict(EXAMPLE)
