"""What every part of the team stack shares: names, ports, errors, secrets, and process helpers."""

from __future__ import annotations

import contextlib
import functools
import getpass
import json
import os
import secrets
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

ADMIN = "admin"
DB_USER = "mlflow"
TRACKING_DB, AUTH_DB = "mlflow", "mlflow_auth"
SSHD = "/usr/sbin/sshd"
INSTALL_HINT = (
    "'make system-packages' installs it (apt as root or with passwordless sudo, Homebrew on macOS); "
    "by hand: 'sudo apt-get install postgresql openssh-server' (Debian, Ubuntu), 'brew install postgresql@15' "
    "(macOS, which ships sshd); elsewhere PostgreSQL 13 or newer and OpenSSH's server"
)
BREW_POSTGRES = "postgresql@15"  # keg-only: Homebrew keeps its binaries off PATH


class TeamError(RuntimeError):
    """The team stack cannot do what was asked; the message says what to do."""


@dataclass(frozen=True)
class Ports:
    """Where the services listen (PostgreSQL only on loopback, whatever ``host`` is)."""

    postgres: int = 55432
    mlflow: int = 5050
    ssh: int = 2222


@dataclass
class Member:
    """A team member's account: MLflow credentials and the key to the DVC remote."""

    name: str
    password: str
    can_edit: bool
    key: Path

    def env(self, tracking_uri: str, remote_url: str) -> dict[str, str]:
        """What the member exports: the team's tracking server, their account, and the team's DVC remote."""
        return {
            "MLFLOW_TRACKING_URI": tracking_uri,
            "MLFLOW_TRACKING_USERNAME": self.name,
            "MLFLOW_TRACKING_PASSWORD": self.password,
            "PENGUINS_TEAM_DVC_REMOTE": remote_url,
            "PENGUINS_TEAM_DVC_KEYFILE": str(self.key),
        }


class StackBase:
    """Where the stack lives and its secrets; the services (PostgreSQL, MLflow, sshd) build on it."""

    home: Path
    host: str
    ports: Ports

    # -- where things live ------------------------------------------------------------
    @property
    def tracking_uri(self) -> str:
        """The URI members set as ``MLFLOW_TRACKING_URI``."""
        return f"http://{self.host}:{self.ports.mlflow}"

    @property
    def remote_url(self) -> str:
        """The DVC remote's URL (SSH, as the OS user who runs the stack)."""
        return f"ssh://{getpass.getuser()}@{self.host}:{self.ports.ssh}{self.home / 'dvc-remote'}"

    def _path(self, *parts: str) -> Path:
        return self.home.joinpath(*parts)

    # -- secrets ---------------------------------------------------------------------
    @functools.cached_property
    def _secrets(self) -> dict[str, str]:
        """The stack's own secrets, generated once (never a default password) and kept in a 0600 file."""
        path = self._path("secrets.json")
        if path.is_file():
            return json.loads(path.read_text(encoding="utf-8"))
        values = {name: secrets.token_urlsafe(24) for name in ("admin_password", "db_password", "flask_secret_key")}
        values["db_superuser_password"] = secrets.token_urlsafe(24)
        write_private(path, json.dumps(values, indent=2) + "\n")
        return values

    def admin_auth(self) -> tuple[str, str]:
        """The admin's (username, password), for the stack's own set-up calls and for tests."""
        return ADMIN, self._secrets["admin_password"]


def read_env(path: Path) -> dict[str, str]:
    """The ``KEY=value`` lines of an env file (comments and blank lines skipped)."""
    values = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            values[key.strip()] = value.strip()
    return values


def write_private(path: Path, text: str) -> None:
    """Write a secret: created 0600 (never readable by others, not even for a moment)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    path.chmod(0o600)


@contextlib.contextmanager
def private_file(folder: Path, text: str) -> Iterator[Path]:
    """A 0600 file holding ``text`` for the length of a with-block (a password for initdb's --pwfile)."""
    path = folder / f".tmp-{secrets.token_hex(4)}"
    write_private(path, text + "\n")
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


def run(command: list[str], what: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> None:
    """Run a set-up command; raise :class:`TeamError` with its output (the last 2000 characters) if it fails."""
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=300)
    if done.returncode:
        raise TeamError(f"{what} failed (exit {done.returncode}): {(done.stdout + done.stderr).strip()[-2000:]}")


def expect(response: httpx.Response, what: str) -> None:
    """Raise :class:`TeamError` saying what could not be done unless the MLflow server answered 200."""
    if response.status_code != 200:
        raise TeamError(f"cannot {what}: HTTP {response.status_code} {response.text[:300]}")


def alive(pidfile: Path) -> bool:
    """Whether the process whose id ``pidfile`` holds still runs."""
    try:
        pid = int(pidfile.read_text().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return False
    return True


def stop(pidfile: Path, timeout: float = 30) -> None:
    """SIGTERM the process (and its group) named by ``pidfile``, wait, SIGKILL if it lingers; remove the file."""
    if not alive(pidfile):
        pidfile.unlink(missing_ok=True)
        return
    pid = int(pidfile.read_text().strip())
    try:
        os.killpg(pid, signal.SIGTERM)
    except OSError:
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:  # started by this process (a test's up() then down()): reap it, or it lingers as a zombie
            if os.waitpid(pid, os.WNOHANG)[0]:
                break
        except ChildProcessError:
            pass  # another process's child; init reaps it
        try:
            os.kill(pid, 0)
        except OSError:
            break
        time.sleep(0.2)
    else:
        os.killpg(pid, signal.SIGKILL)
    pidfile.unlink(missing_ok=True)


def tail(path: Path, lines: int = 30) -> str:
    """The last ``lines`` lines of a log file ("" when there is none)."""
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]) if path.exists() else ""
