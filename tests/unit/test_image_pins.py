"""Every container image the project names is pinned to a release: a tag that moves (python:3.11-slim,
1-3.12-bookworm, latest) changes a student's machine under the course, as an unpinned Grafana image did to a
mlops-zoomcamp student (DataTalksClub/mlops-zoomcamp#319)."""

import json
import re

import pytest
import yaml

from lib.course import snapshot
from tests.sandbox import WORKTREE

FULL_VERSION = re.compile(r"(?<![\d.])v?\d+\.\d+\.\d+")  # major.minor.patch somewhere in the tag
# Projects whose releases have two parts: PostgreSQL since 10 (15.14 is a patch release of 15).
TWO_PART_RELEASES = {"postgres"}


def split(reference: str) -> tuple[str, str, str]:
    """``registry:port/name:tag@digest`` -> (name, tag, digest)."""
    rest, _, digest = reference.partition("@")
    slash = rest.rfind("/")
    name, colon, tag = rest.rpartition(":") if ":" in rest[slash + 1 :] else (rest, "", "")
    return name, tag if colon else "", digest


def unpinned(reference: str) -> str | None:
    """Why ``reference`` is not pinned to a release, or None when it is."""
    name, tag, digest = split(reference)
    if digest.startswith("sha256:"):
        return None
    if not tag or tag == "latest":
        return f"{reference}: no version (Docker takes whatever 'latest' is that day)"
    if FULL_VERSION.search(tag):
        return None
    if name.rsplit("/", 1)[-1] in TWO_PART_RELEASES and re.match(r"\d+\.\d+(?![\d.])", tag):
        return None
    return f"{reference}: the tag '{tag}' moves to each new patch release; name one release (or a digest)"


def images() -> list[tuple[str, str]]:
    """(file, image) for every image named in a tracked Dockerfile, compose file or dev container definition."""
    found = []
    for relative in snapshot.project_files(WORKTREE):
        text = None
        if relative.name == "Dockerfile" or relative.name.endswith(".Dockerfile"):
            text = (WORKTREE / relative).read_text(encoding="utf-8")
            stages = set(re.findall(r"^FROM\s+\S+\s+AS\s+(\S+)", text, re.MULTILINE | re.IGNORECASE))
            for image in re.findall(r"^FROM\s+(?:--\S+\s+)*(\S+)", text, re.MULTILINE | re.IGNORECASE):
                if image not in stages:
                    found.append((str(relative), image))
        elif re.fullmatch(r"(docker-)?compose(\.[\w-]+)?\.ya?ml", relative.name):
            services = yaml.safe_load((WORKTREE / relative).read_text(encoding="utf-8")).get("services", {})
            found += [(str(relative), service["image"]) for service in services.values() if "image" in service]
        elif relative.name == "devcontainer.json":
            text = (WORKTREE / relative).read_text(encoding="utf-8")
            definition = json.loads(re.sub(r"^\s*//.*$", "", text, flags=re.MULTILINE))
            if "image" in definition:
                found.append((str(relative), definition["image"]))
    return found


def test_the_project_names_its_images():
    """The search finds the images it should (this guards the check below from passing on nothing)."""
    named = {image for _, image in images()}
    assert {"prom/prometheus:v2.54.1", "postgres:15.14-bookworm"} <= named
    assert any(image.startswith("python:") for image in named)
    assert any(image.startswith("mcr.microsoft.com/devcontainers/python:") for image in named)
    assert any(image.startswith("ghcr.io/mlflow/mlflow:") for image in named)


def test_every_image_is_pinned_to_a_release():
    problems = [f"{where}: {why}" for where, image in images() if (why := unpinned(image))]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("reference", "pinned"),
    [
        ("python:3.11.15-slim-bookworm", True),
        ("python:3.11-slim", False),
        ("mcr.microsoft.com/devcontainers/python:1.2.8-3.12-bookworm", True),
        ("mcr.microsoft.com/devcontainers/python:1-3.12-bookworm", False),
        ("prom/prometheus:v2.54.1", True),
        ("grafana/grafana-oss", False),
        ("caddy:latest", False),
        ("postgres:15.14-bookworm", True),
        ("postgres:15", False),
        ("rustfs/rustfs:1.0.0-alpha.83", True),
        ("localhost:5000/penguins-api", False),
        ("localhost:5000/penguins-api:0.1.0", True),
        ("python@sha256:" + "a" * 64, True),
    ],
)
def test_what_counts_as_pinned(reference, pinned):
    assert (unpinned(reference) is None) is pinned
