"""The team stack with real services on loopback: PostgreSQL, ``mlflow server --app-name basic-auth``, sshd.

One stack serves the module (started cold in a scratch folder, stopped at the end):
its accounts, a member's pipeline run logged to it, the data pushed from one clone
and pulled into another, the API serving from its registry, and a restart that
loses nothing.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from lib import processes, serving
from lib.course.snapshot import git_env
from lib.course.team import Ports, Team, read_env
from lib.serving.bodies import EXAMPLE
from tests import sandbox

pytestmark = pytest.mark.slow  # PostgreSQL, an MLflow server (starts in about 10 s) and sshd: about 70 s in all

EXPERIMENT, MODEL = "penguins-species", "penguins-classifier"


@pytest.fixture(scope="module")
def stack(project):  # noqa: ARG001  (the pipeline's outputs are what a member pushes; it also keeps the module together)
    """A cold stack: members alice (EDIT) and viewer (READ); stopped and deleted afterwards."""
    home = Path(tempfile.mkdtemp(prefix="penguins-team-"))
    team = Team(home, ports=Ports(processes.free_port(), processes.free_port(), processes.free_port()))
    try:
        seconds = team.up(["alice"])
        team.add_member("viewer", can_edit=False)
        print(f"\nteam stack up, cold, in {seconds:.1f} s")
        yield team
    finally:
        team.down()
        shutil.rmtree(home, ignore_errors=True)


def call(team: Team, method: str, path: str, auth=None, **kwargs) -> httpx.Response:
    return httpx.request(method, f"{team.tracking_uri}{path}", auth=auth, timeout=30, **kwargs)


def login(team: Team, name: str) -> tuple[str, str]:
    return name, team.member(name).password


def course_experiment(team: Team, auth: tuple[str, str]) -> dict:
    """The course's experiment as the server describes it to ``auth`` (who must be able to read it)."""
    found = call(team, "GET", "/api/2.0/mlflow/experiments/get-by-name", auth, params={"experiment_name": EXPERIMENT})
    assert found.status_code == 200
    return found.json()["experiment"]


def experiment_runs(team: Team, auth: tuple[str, str]) -> list[dict]:
    search = {"experiment_ids": [course_experiment(team, auth)["experiment_id"]]}
    return call(team, "POST", "/api/2.0/mlflow/runs/search", auth, json=search).json()["runs"]


def test_no_credentials_or_a_wrong_password_get_401(stack):
    """The server answers nobody it cannot identify, not even for reading."""
    search = ("POST", "/api/2.0/mlflow/experiments/search", {"json": {"max_results": 10}})
    method, path, body = search
    assert call(stack, method, path, **body).status_code == 401
    assert call(stack, method, path, auth=("alice", "not-her-password"), **body).status_code == 401
    assert call(stack, method, path, auth=("admin", "password1234"), **body).status_code == 401  # no default
    assert call(stack, method, path, auth=login(stack, "alice"), **body).status_code == 200


def test_a_viewer_reads_but_cannot_write(stack):
    """READ: search and read, but no run, no model version, no alias (403); EDIT (alice) may create runs."""
    viewer, alice = login(stack, "viewer"), login(stack, "alice")
    experiment_id = course_experiment(stack, viewer)["experiment_id"]
    run = {"experiment_id": experiment_id}
    assert call(stack, "POST", "/api/2.0/mlflow/runs/create", viewer, json=run).status_code == 403
    version = {"name": MODEL, "source": f"mlflow-artifacts:/{experiment_id}/x/artifacts/model"}
    assert call(stack, "POST", "/api/2.0/mlflow/model-versions/create", viewer, json=version).status_code == 403
    alias = {"name": MODEL, "alias": "champion", "version": "1"}
    assert call(stack, "POST", "/api/2.0/mlflow/registered-models/alias", viewer, json=alias).status_code == 403
    created = call(stack, "POST", "/api/2.0/mlflow/runs/create", alice, json=run)
    assert created.status_code == 200
    run_id = created.json()["run"]["info"]["run_id"]
    ended = {"run_id": run_id, "status": "KILLED"}
    assert call(stack, "POST", "/api/2.0/mlflow/runs/update", viewer, json=ended).status_code == 403
    assert call(stack, "POST", "/api/2.0/mlflow/runs/update", alice, json=ended).status_code == 200
    # deleting takes MANAGE, which only the admin (and an experiment's creator) has
    assert call(stack, "POST", "/api/2.0/mlflow/runs/delete", alice, json={"run_id": run_id}).status_code == 403


def test_secrets_stay_in_private_files_that_git_ignores(stack):
    """Generated passwords, 0600 files, and the ignore rules that keep them out of a commit."""
    mode = lambda path: path.stat().st_mode & 0o777  # noqa: E731
    assert mode(stack.home / "secrets.json") == 0o600
    assert mode(stack.home / "members" / "alice" / "team.env") == 0o600
    assert mode(stack.home / "members" / "alice" / "id_ed25519") == 0o600
    assert stack.admin_auth()[1] != "password1234" and len(stack.admin_auth()[1]) >= 24
    ignored = subprocess.run(
        ["git", "check-ignore", "team.env", ".team/secrets.json", ".dvc/config.local"],
        cwd=sandbox.WORKTREE,
        capture_output=True,
        text=True,
        check=False,
    )
    assert ignored.stdout.split() == ["team.env", ".team/secrets.json", ".dvc/config.local"]


@pytest.fixture(scope="module")
def member_clone(stack, project, tmp_path_factory):
    """A copy of the session's project connected as alice, with the train stage re-run against the server."""
    clone = tmp_path_factory.mktemp("alice") / "project"
    shutil.copytree(project.root, clone, symlinks=True, ignore=shutil.ignore_patterns(".venv", "__pycache__"))
    shutil.rmtree(clone / "mlruns", ignore_errors=True)
    stack.connect(clone, "alice")
    env = processes.tool_env(read_env(clone / "team.env") | {sandbox.ROOT_ENV_VAR: str(clone)})
    done = subprocess.run(
        ["dvc", "repro", "--force", "--single-item", "train"],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    subprocess.run(["git", "add", "-A"], cwd=clone, check=True, env=env)
    commit = ["git", "commit", "-qm", "Train against the team server"]
    subprocess.run(commit, cwd=clone, check=True, env=env | git_env())  # an identity of its own: CI runners have none
    return clone, env


def test_the_train_stage_logs_everything_to_the_team_server(stack, member_clone):
    """Runs, dataset inputs, logged models, a version with the champion alias, artifacts on the server only."""
    clone, _ = member_clone
    viewer = login(stack, "viewer")
    assert course_experiment(stack, viewer)["artifact_location"].startswith("mlflow-artifacts:/")
    runs = experiment_runs(stack, viewer)
    finished = [run for run in runs if run["info"]["status"] == "FINISHED"]
    assert len(finished) >= 4  # the session and one nested run per candidate
    assert any(run.get("inputs", {}).get("dataset_inputs") for run in finished)
    champion = call(
        stack, "GET", "/api/2.0/mlflow/registered-models/alias", viewer, params={"name": MODEL, "alias": "champion"}
    )
    assert champion.status_code == 200
    assert any((stack.home / "artifacts").rglob("model.skops")) or any((stack.home / "artifacts").rglob("MLmodel"))
    assert not (clone / "mlruns").exists()


def test_push_from_one_clone_and_pull_into_another(stack, member_clone, tmp_path):
    """alice pushes data and model; a teammate's fresh clone pulls the same bytes; a viewer cannot push."""
    clone, env = member_clone
    pushed = subprocess.run(["dvc", "push"], cwd=clone, env=env, capture_output=True, text=True, check=False)
    assert pushed.returncode == 0, pushed.stdout + pushed.stderr
    teammate = tmp_path / "teammate"
    subprocess.run(["git", "clone", "-q", str(clone), str(teammate)], check=True)
    assert not (teammate / "models").exists() and not (teammate / "team.env").exists()  # neither is in Git
    stack.connect(teammate, "viewer")
    pulled = subprocess.run(["dvc", "pull"], cwd=teammate, env=env, capture_output=True, text=True, check=False)
    assert pulled.returncode == 0, pulled.stdout + pulled.stderr
    for relative in ("data/raw/penguins_raw.csv", "data/processed/train.csv", "models/penguins-classifier.skops"):
        assert (teammate / relative).read_bytes() == (clone / relative).read_bytes(), relative
    (teammate / "field-notes.csv").write_text("a,b\n1,2\n")
    added = subprocess.run(
        ["dvc", "add", "field-notes.csv"], cwd=teammate, env=env, capture_output=True, text=True, check=False
    )
    assert added.returncode == 0, added.stdout + added.stderr
    refused = subprocess.run(["dvc", "push"], cwd=teammate, env=env, capture_output=True, text=True, check=False)
    assert refused.returncode != 0  # the viewer's key opens a read-only SFTP session


def test_the_api_serves_the_champion_from_the_team_registry(stack, member_clone, monkeypatch):
    """PENGUINS_MODEL_SOURCE=registry with a member's credentials: the champion the export also holds."""
    clone, _ = member_clone
    for key, value in read_env(stack.home / "members" / "viewer" / "team.env").items():
        monkeypatch.setenv(key, value)
    exported = serving.create_app(serving.Settings(models_dir=clone / "models"))
    registry = serving.create_app(serving.Settings(model_source="registry", model_uri=f"models:/{MODEL}@champion"))
    with TestClient(registry) as served, TestClient(exported) as export:
        info = served.get("/model").json()
        assert info["source"] == f"registry:models:/{MODEL}@champion"
        assert info["version"] == export.get("/model").json()["version"]
        assert served.post("/predict", json=EXAMPLE).json() == export.post("/predict", json=EXAMPLE).json()


def snapshot(team: Team) -> dict:
    viewer = login(team, "viewer")
    runs = experiment_runs(team, viewer)
    versions = call(team, "GET", "/api/2.0/mlflow/model-versions/search", viewer, params={"filter": f"name='{MODEL}'"})
    alias = call(
        team, "GET", "/api/2.0/mlflow/registered-models/alias", viewer, params={"name": MODEL, "alias": "champion"}
    )
    return {
        "runs": sorted(run["info"]["run_id"] for run in runs),
        "versions": sorted(v["version"] for v in versions.json()["model_versions"]),
        "champion": alias.json()["model_version"]["version"],
        "artifacts": sorted(str(p.relative_to(team.home)) for p in (team.home / "artifacts").rglob("*") if p.is_file()),
        "remote": sorted(str(p.relative_to(team.home)) for p in (team.home / "dvc-remote").rglob("*") if p.is_file()),
    }


def test_a_restart_loses_nothing(stack, member_clone):
    """team-down then team-up: every run, version, alias, artifact and remote object is still there."""
    before = snapshot(stack)
    assert before["runs"] and before["versions"] and before["artifacts"] and before["remote"]
    stack.down()
    assert stack.status() == {"postgres": False, "mlflow": False, "sshd": False}
    seconds = stack.up()
    print(f"\nteam stack up, warm, in {seconds:.1f} s")
    assert stack.status() == {"postgres": True, "mlflow": True, "sshd": True}
    assert snapshot(stack) == before
