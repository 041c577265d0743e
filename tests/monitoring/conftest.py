"""The monitoring tests serve the same exported champion as the API tests."""

from tests.api.conftest import models_dir  # noqa: F401  (a fixture, used by name)
