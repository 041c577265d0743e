"""The dev container and the CI workflow, checked statically (no Docker engine or runner here).

The image installs every system package the Makefile's ``system-packages`` would, forwards
the ports the Makefile's servers listen on, and creates the environment with ``make setup``;
the workflow runs ``.ci/run`` as the runner's own user for the oldest and newest Python.
"""

import json
import re

import yaml

from lib.course import team
from tests.sandbox import WORKTREE

FOLDER = WORKTREE / ".devcontainer"
MAKEFILE = (WORKTREE / "Makefile").read_text(encoding="utf-8")


def devcontainer() -> dict:
    """devcontainer.json (JSON with // comments, which the spec allows)."""
    text = (FOLDER / "devcontainer.json").read_text(encoding="utf-8")
    return json.loads(re.sub(r"^\s*//.*$", "", text, flags=re.MULTILINE))


def makefile_apt_packages() -> set[str]:
    """The Debian packages behind every need of ``make system-packages`` (wrk included, for make bench)."""
    return {name for value in re.findall(r"^APT_\w+ := (.*)$", MAKEFILE, re.MULTILINE) for name in value.split()}


def test_the_image_installs_every_system_package_the_makefile_needs():
    """Nothing in the container asks for sudo: apt-get install in the Dockerfile covers the Makefile's list."""
    dockerfile = (FOLDER / "Dockerfile").read_text(encoding="utf-8")
    install = re.search(r"apt-get install[^\n]*\\\n((?:.*\\\n)*.*)", dockerfile)
    assert install, "the Dockerfile has no apt-get install"
    packages = {word for word in re.findall(r"[a-z][a-z0-9.+-]+", install.group(1)) if word not in {"rm", "rf"}}
    assert makefile_apt_packages() == {"prometheus", "postgresql", "openssh-server", "wrk"}
    assert makefile_apt_packages() <= packages


def test_the_image_is_debian_bookworm_with_a_supported_python():
    """A bookworm base whose Python is one that pyproject.toml admits."""
    base = re.search(r"^FROM (\S+)", (FOLDER / "Dockerfile").read_text(encoding="utf-8"), re.MULTILINE).group(1)
    assert base.endswith("-bookworm")
    version = re.search(r"python:(?:[\d.]+-)?(3\.\d+)-", base).group(1)  # the image's release, then Python's
    assert version in re.search(r"^SUPPORTED_PYTHONS := (.*)$", MAKEFILE, re.MULTILINE).group(1).split()


def test_the_container_sets_up_the_course_and_forwards_its_ports():
    """make setup after creation; every port a make target listens on, the team's MLflow and Prometheus forwarded."""
    config = devcontainer()
    assert config["postCreateCommand"] == "make setup"
    assert config["remoteUser"] != "root"
    make_ports = {int(port) for port in re.findall(r"^[a-z-]+: PORT := (\d+)$", MAKEFILE, re.MULTILINE)}
    assert make_ports == {8000, 8888, 5001}
    assert make_ports | {team.Ports().mlflow, 9090} <= set(config["forwardPorts"])
    assert {str(port) for port in config["forwardPorts"]} == set(config["portsAttributes"])


def test_the_container_has_the_telemetry_switches_of_every_make_target():
    """docker run --env-file with lib/telemetry.env, the file the Makefile and lib read."""
    args = devcontainer()["runArgs"]
    env_file = args[args.index("--env-file") + 1]
    assert env_file == "${localWorkspaceFolder}/lib/telemetry.env"
    assert "include lib/telemetry.env" in MAKEFILE


def test_ci_runs_dot_ci_run_as_the_runner_for_the_oldest_and_newest_python():
    """One source for what CI runs (.ci/run), a matrix of 3.11 and 3.13, no sudo around it."""
    workflow = yaml.safe_load((WORKTREE / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8"))
    job = workflow["jobs"]["test"]
    assert job["runs-on"] == "ubuntu-latest"
    assert job["strategy"]["matrix"]["python"] == ["3.11", "3.13"]
    runs = [step["run"] for step in job["steps"] if "run" in step]
    assert runs == ["bash .ci/run"]
    step = next(step for step in job["steps"] if step.get("run") == "bash .ci/run")
    assert step["env"]["PYTHON"] == "${{ steps.python.outputs.python-path }}"
    assert "make test" in (WORKTREE / ".ci" / "run").read_text(encoding="utf-8")
