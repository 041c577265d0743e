"""lib.tracking against a real MLflow tracking server on loopback: artifacts go to the server."""

import sys

import mlflow
import pytest

from lib import processes, tracking

pytestmark = pytest.mark.slow  # an mlflow server takes about 30 s to start on 2 cores


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``mlflow server`` with proxied artifacts (SQLite backend, a local destination), stopped afterwards."""
    folder = tmp_path_factory.mktemp("server")
    port = processes.free_port()
    command = [
        sys.executable,
        "-m",
        "mlflow",
        "server",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--backend-store-uri",
        f"sqlite:///{folder / 'server.db'}",
        "--artifacts-destination",
        str(folder / "artifacts"),
        "--workers",
        "1",
    ]
    server = processes.launch(command, f"http://127.0.0.1:{port}", "/health", 90, name="mlflow server")
    url = server.url
    try:
        yield url, folder
    finally:
        server.stop(timeout=30)


def test_experiment_on_a_server_keeps_artifacts_on_the_server(server, tmp_path, monkeypatch):
    """A run's artifact goes to the server's destination, and nothing to the member's <project>/mlruns."""
    url, folder = server
    monkeypatch.setenv("MLFLOW_TRACKING_URI", url)
    monkeypatch.setenv(tracking.paths.ROOT_ENV_VAR, str(tmp_path))
    try:
        tracking.configure()
        experiment_id = tracking.experiment("team-experiment")
        assert mlflow.get_experiment(experiment_id).artifact_location.startswith("mlflow-artifacts:")
        with mlflow.start_run() as run:
            mlflow.log_dict({"species": 3}, "facts.json")
        assert run.info.artifact_uri.startswith("mlflow-artifacts:")
        assert len(list((folder / "artifacts").rglob("facts.json"))) == 1
        assert not (tmp_path / "mlruns").exists()
    finally:
        monkeypatch.undo()
        tracking.configure()
