"""The API image: it copies every lib module the API imports, and its lock covers every import."""

import json
import os
import re
import shutil
import sys
from importlib import metadata
from pathlib import Path

import httpx
from packaging.markers import Marker
from packaging.utils import canonicalize_name

from lib import processes
from lib.serving.bodies import EXAMPLE
from tests import lessons
from tests.sandbox import WORKTREE

DOCKERFILE = (WORKTREE / "Dockerfile").read_text(encoding="utf-8")


def test_image_copies_exactly_what_the_api_imports():
    """The COPY lines hold lib/__init__.py and every module or package lib.serving needs, and nothing else.

    Imports inside functions count: the registry source imports lib.tracking only when it is chosen.
    """
    lines = [line for line in DOCKERFILE.splitlines() if line.startswith("COPY lib/")]
    copied = {name for line in lines for name in re.findall(r"lib/(\w+)(?:\.py|/)\s", line + " ")}
    assert copied == lessons.lib_closure({"serving"}, module_level_only=False) | {"__init__"}
    ignored = (WORKTREE / ".dockerignore").read_text(encoding="utf-8")
    for module in copied:
        assert (f"!lib/{module}/*.py" if (WORKTREE / "lib" / module).is_dir() else f"!lib/{module}.py") in ignored


def lock_pins(name: str) -> dict[str, tuple[str, str | None]]:
    """name -> (version, marker) of each package pinned in a lock file (the Linux entry where there are several)."""
    found = {}
    for line in (WORKTREE / name).read_text(encoding="utf-8").splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-]+)==([^\s;]+)(?:\s*;\s*(.+))?$", line.strip())
        if match and (match[3] is None or Marker(match[3]).evaluate()):
            found[canonicalize_name(match[1])] = (match[2], match[3])
    return found


def test_serving_lock_is_a_subset_of_the_main_lock():
    """The image gets the very versions the model was trained and tested with."""
    main = lock_pins("requirements.lock")
    for name, (version, _) in lock_pins("requirements-serve.lock").items():
        assert main.get(name, (None,))[0] == version, f"{name}: serve lock {version}, main lock {main.get(name)}"


def image_site(folder: Path) -> Path:
    """A site-packages holding only the serving lock's distributions (links into this environment's)."""
    site = folder / "site-packages"
    site.mkdir()
    for name in lock_pins("requirements-serve.lock"):
        dist = metadata.distribution(name)
        for entry in {Path(str(f)).parts[0] for f in dist.files or []}:
            source = Path(dist.locate_file(entry))
            if not entry.startswith("..") and source.exists() and not (site / entry).exists():
                (site / entry).symlink_to(source)
    return site


def test_the_image_contents_serve_the_model(tmp_path, project):
    """With only the image's files and the serving lock's packages, uvicorn serves /health and /predict."""
    app = tmp_path / "app"
    for line in DOCKERFILE.splitlines():
        if line.startswith(("COPY lib/", "COPY models/")):
            *sources, target = line.split()[1:]
            (app / target).mkdir(parents=True, exist_ok=True)
            root = project.root if target.startswith("models") else WORKTREE
            for source in sources:
                if (root / source).is_dir():
                    shutil.copytree(root / source, app / target, dirs_exist_ok=True)
                else:
                    shutil.copy(root / source, app / target)
    # -S: no site-packages of this environment; only the serving lock's packages (PYTHONPATH) and the app
    env = {"PYTHONPATH": f"{app}{os.pathsep}{image_site(tmp_path)}", "PENGUINS_PROJECT_ROOT": str(app)}
    port = processes.free_port()
    command = json.loads(re.search(r"^CMD (\[.*\])$", DOCKERFILE, re.MULTILINE).group(1))
    assert command[:3] == ["python", "-m", "lib.serving"] and command[3] == "8000"
    server = processes.launch(
        [sys.executable, "-S", *command[1:3], str(port), "--host", "127.0.0.1"],
        f"http://127.0.0.1:{port}",
        "/health",
        30,
        name="the image's API",
        env=env,
        cwd=app,
    )
    try:
        assert httpx.get(f"{server.url}/health").json()["model_loaded"] is True
        assert httpx.post(f"{server.url}/predict", json=EXAMPLE).json()["species"] == "Gentoo"
    finally:
        assert server.stop(timeout=30) == 0  # a graceful stop on SIGTERM exits 0, as Docker's stop expects


def test_image_runs_as_a_non_root_user_with_a_health_check():
    """USER is set before CMD, and the HEALTHCHECK asks /health."""
    assert re.search(r"^USER (?!root)\w+", DOCKERFILE, re.MULTILINE)
    assert "HEALTHCHECK" in DOCKERFILE and "/health" in DOCKERFILE
    assert DOCKERFILE.index("USER ") < DOCKERFILE.index("CMD [")
