"""The team's MLflow tracking server: basic-auth accounts, proxied artifacts, the course's experiment and model."""

from __future__ import annotations

import sys

import httpx

from lib import params, processes
from lib.course.team.common import ADMIN, AUTH_DB, TRACKING_DB, TeamError, alive, expect, tail, write_private
from lib.course.team.postgres import PostgresServer

# A member's own settings, which the server must not inherit from the shell that starts it.
CLIENT_VARIABLES = ("MLFLOW_TRACKING_URI", "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD")


class MlflowServer(PostgresServer):
    """Start ``mlflow server --app-name basic-auth`` against the stack's PostgreSQL, and call its REST API."""

    def _mlflow_up(self, timeout: float = 180) -> None:
        """Start the server in a session of its own (it outlives ``make team-up``), and wait until it is healthy."""
        if alive(self._path("mlflow.pid")):
            return
        artifacts = self._path("artifacts")
        artifacts.mkdir(exist_ok=True, mode=0o700)
        command = [
            sys.executable,
            "-m",
            "mlflow",
            "server",
            "--app-name",
            "basic-auth",
            "--artifacts-destination",
            str(artifacts),
            "--host",
            self.host,
            "--port",
            str(self.ports.mlflow),
            "--workers",
            "1",
            # a client's idle keep-alive connection must not hold 'team-down' up
            "--uvicorn-opts",
            "--timeout-graceful-shutdown 5",
        ]
        log = self._path("logs", "mlflow.log")
        try:
            server = processes.launch(
                command, self.tracking_uri, "/health", timeout, name="mlflow server", env=self._mlflow_env(),
                without=CLIENT_VARIABLES, log=log, detach=True, cwd=self.home,
            )  # fmt: skip
        except RuntimeError as failed:
            raise TeamError(f"{str(failed).splitlines()[0]}:\n{tail(log)}") from None
        if server.log is not None:
            server.log.close()  # the server writes to its own copy of the file
        self._path("mlflow.pid").write_text(f"{server.process.pid}\n", encoding="utf-8")

    def _mlflow_env(self) -> dict[str, str]:
        """The server's settings and secrets: the auth config (written 0600), keys, the backend store's URI.

        In the environment, not on the command line, where ``ps`` would show the database password.
        """
        config = self._path("auth.ini")
        write_private(
            config,
            "[mlflow]\n"
            "default_permission = READ\n"
            f"database_uri = {self.database_uri(AUTH_DB)}\n"
            f"admin_username = {ADMIN}\n"
            "authorization_function = mlflow.server.auth:authenticate_request_basic_auth\n"
            # Each request otherwise re-checks the password's PBKDF2 hash, and a training session makes
            # hundreds. With one worker the cache is never stale: a password change or a deleted account
            # clears its entry on the worker that handled it, and there is no other.
            "auth_cache_ttl_seconds = 60\n",
        )
        pw = self._secrets
        return {
            "MLFLOW_AUTH_CONFIG_PATH": str(config),
            "MLFLOW_FLASK_SERVER_SECRET_KEY": pw["flask_secret_key"],
            "MLFLOW_AUTH_ADMIN_PASSWORD": pw["admin_password"],
            "MLFLOW_BACKEND_STORE_URI": self.database_uri(TRACKING_DB),
        }

    def _api(self, method: str, path: str, auth: tuple[str, str] | None = None, **kwargs: object) -> httpx.Response:
        return httpx.request(method, f"{self.tracking_uri}{path}", auth=auth or self.admin_auth(), timeout=30, **kwargs)  # type: ignore[arg-type]

    def _course_resources(self) -> tuple[str, str]:
        """Create the course's experiment and registered model as the admin (if new); return (id, name)."""
        train = params.load_params()["train"]
        experiment, model = train["experiment"], train["registered_model"]
        found = self._api("GET", "/api/2.0/mlflow/experiments/get-by-name", params={"experiment_name": experiment})
        if found.status_code == 200:
            experiment_id = found.json()["experiment"]["experiment_id"]
        else:
            created = self._api("POST", "/api/2.0/mlflow/experiments/create", json={"name": experiment})
            expect(created, "create the experiment")
            experiment_id = created.json()["experiment_id"]
        model_found = self._api("GET", "/api/2.0/mlflow/registered-models/get", params={"name": model})
        if model_found.status_code != 200:
            expect(
                self._api("POST", "/api/2.0/mlflow/registered-models/create", json={"name": model}), "create the model"
            )
        return experiment_id, model
