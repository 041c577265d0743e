"""The team stack for a VM (deploy/team/): pinned images, secrets from a git-ignored .env, one public service."""

import configparser
import re
import subprocess

import pytest
import yaml

from lib.course.team import read_env
from tests import sandbox

TEAM = sandbox.WORKTREE / "deploy" / "team"
COMPOSE = yaml.safe_load((TEAM / "compose.yaml").read_text(encoding="utf-8"))


def locked(package: str) -> str:
    lock = (sandbox.WORKTREE / "requirements.lock").read_text(encoding="utf-8")
    return re.search(rf"^{re.escape(package)}==([^\s;]+)", lock, re.MULTILINE).group(1)


@pytest.mark.parametrize("service", sorted(COMPOSE["services"]))
def test_every_image_is_pinned(service):
    """A tag on every image, never 'latest': the VM runs what was tested."""
    image = COMPOSE["services"][service]["image"]
    name, _, tag = image.rpartition(":")
    assert name and tag and tag != "latest", image


def test_the_mlflow_image_is_the_locked_mlflow():
    """The server's MLflow, PostgreSQL driver and Flask-WTF are the versions the course's lock pins."""
    dockerfile = (TEAM / "mlflow.Dockerfile").read_text(encoding="utf-8")
    assert f"FROM ghcr.io/mlflow/mlflow:v{locked('mlflow')}\n" in dockerfile
    assert f"psycopg2-binary=={locked('psycopg2-binary')}" in dockerfile
    assert f"flask-wtf=={locked('flask-wtf')}" in dockerfile
    assert COMPOSE["services"]["mlflow"]["image"].endswith(f":{locked('mlflow')}")


def test_only_the_tls_proxy_publishes_ports():
    """PostgreSQL, MLflow and the object store are reachable only through the proxy."""
    published = {name for name, service in COMPOSE["services"].items() if service.get("ports")}
    assert published == {"proxy"}
    assert sorted(COMPOSE["services"]["proxy"]["ports"]) == ["443:443", "80:80"]


def test_secrets_come_from_a_git_ignored_env_file():
    """Every required variable is in env.example (empty, for the teacher to fill) and .env is never committed."""
    text = (TEAM / "compose.yaml").read_text(encoding="utf-8")
    required = set(re.findall(r"\$\{([A-Z_]+):\?", text))
    example = read_env(TEAM / "env.example")
    assert required and required <= set(example)
    assert all(not example[name] for name in required if "PASSWORD" in name or "SECRET" in name or "KEY" in name)
    ignored = subprocess.run(["git", "check-ignore", "deploy/team/.env"], cwd=sandbox.WORKTREE, check=False)
    assert ignored.returncode == 0


def test_accounts_default_to_read_and_no_password_is_written_down():
    """The auth config sets READ by default and leaves the admin password to the environment."""
    config = configparser.ConfigParser()
    config.read(TEAM / "basic_auth.ini")
    assert config["mlflow"]["default_permission"] == "READ"
    assert "admin_password" not in config["mlflow"]
    assert "MLFLOW_AUTH_ADMIN_PASSWORD" in COMPOSE["services"]["mlflow"]["environment"]
