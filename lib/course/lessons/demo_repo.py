"""A scratch Git + DVC repository where the 2.1 lesson runs the versioning commands for real.

The project's own repository is locked while ``dvc repro`` runs its stages, and a
lesson should not rewrite the learner's history anyway, so the lesson works in a
temporary folder. Every commit gets a fixed author and a fixed, advancing date, so
commit hashes (and therefore the lesson's saved outputs) are the same on every run.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from lib.course.snapshot import git_env
from lib.processes import tool_env

EPOCH = datetime(2024, 1, 15, 9, 0, tzinfo=UTC)


class CommandFailed(RuntimeError):
    """A demo command exited non-zero; the message has its output."""


class DemoRepo:
    """A temporary folder holding a Git repository (``repo/``), its Git remote and a DVC remote.

    ``github.git`` is a bare repository that plays the part of GitHub (``origin``), and
    ``remote/`` is the DVC remote; :meth:`clone` makes a teammate's fresh clone beside them.
    """

    def __init__(self, base: Path, name: str = "repo"):
        self.base = Path(base)
        self.root = self.base / name
        self.remote = self.base / "remote"
        self.origin = self.base / "github.git"
        self.root.mkdir(parents=True, exist_ok=True)
        self._ticks = 0

    @classmethod
    def create(cls) -> DemoRepo:
        """Make a new empty demo area in the system's temporary folder."""
        return cls(Path(tempfile.mkdtemp(prefix="versioning-demo-")))

    def _env(self) -> dict[str, str]:
        self._ticks += 1
        date = (EPOCH + timedelta(minutes=self._ticks)).isoformat()
        return tool_env(git_env("Ada Student", "ada@example.org", date) | {"DVC_NO_ANALYTICS": "1"})

    def run(self, command: str) -> str:
        """Run a shell-style command (no pipes) in the repository; return its output, stdout then stderr.

        Raises :class:`CommandFailed` with the output when it exits non-zero.
        """
        done = subprocess.run(
            shlex.split(command), cwd=self.root, env=self._env(), capture_output=True, text=True, check=False
        )
        output = (done.stdout + done.stderr).rstrip()
        if done.returncode:
            raise CommandFailed(f"'{command}' exited with {done.returncode}:\n{output}")
        return output

    def show(self, *commands: str) -> None:
        """Run each command and print it, prompt first, then its output, as in a terminal."""
        for command in commands:
            output = self.run(command)
            print(f"$ {command}")
            if output:
                print(output)

    def show_file(self, relative: str) -> None:
        """Print a file of the repository, as ``cat`` would (but on every platform)."""
        print(f"$ cat {relative}")
        print((self.root / relative).read_text(encoding="utf-8").rstrip())

    def show_listing(self, relative: str) -> None:
        """Print the visible entries of a folder of the repository, as ``ls`` would (but on every platform)."""
        print(f"$ ls {relative}")
        for entry in sorted(p.name for p in (self.root / relative).iterdir() if not p.name.startswith(".")):
            print(entry)

    def write(self, relative: str, text: str) -> Path:
        """Write a text file inside the repository."""
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    def copy_in(self, source: Path, relative: str) -> Path:
        """Copy a file into the repository."""
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, path)
        return path

    def clone(self, name: str) -> DemoRepo:
        """Clone ``origin`` into a sibling folder ``name``, as on a new laptop: code only, an empty DVC cache."""
        target = DemoRepo(self.base, name)
        target.root.rmdir()
        self.run(f"git clone -q ../{self.origin.name} ../{name}")
        return target

    def cleanup(self) -> None:
        """Delete the whole demo area."""
        shutil.rmtree(self.base, ignore_errors=True)
