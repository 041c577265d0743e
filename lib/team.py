"""The team stack: one MLflow tracking server and one DVC remote that a student team shares.

``make team-up`` (``python -m lib.team up``) starts, on the machine that serves the
team (a VM, a teacher's server, or this laptop on loopback):

- **PostgreSQL** (the system's binaries, Debian's ``postgresql`` package) with a
  cluster of its own under ``<home>/pg``: MLflow's backend store and its accounts;
- **``mlflow server --app-name basic-auth``** with proxied artifact access
  (``--artifacts-destination <home>/artifacts``: members need no storage
  credentials), an admin password generated at set-up, default permission READ,
  and one account per member with EDIT on the course's experiment and model;
- **OpenSSH's sshd** serving the team's DVC remote (``<home>/dvc-remote``) over
  SFTP only: one key per member, read-only (``internal-sftp -R``) for viewers.

Everything binds to 127.0.0.1 unless ``--host`` says otherwise. The secrets stay in
``<home>`` (default ``.team/``, git-ignored, mode 0700 for what is secret); each
member's ``team.env`` holds what they export; ``connect`` copies one to the
project's git-ignored ``team.env`` and writes the DVC remote to the git-ignored
``.dvc/config.local``. ``down`` stops the services and keeps every byte of data.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import getpass
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import httpx

from lib import params, paths, ports
from lib.processes import tool_env, wait_until_healthy

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

    def env(self, team: Team) -> dict[str, str]:
        """What the member exports: the tracking server, their account, and the DVC remote."""
        return {
            "MLFLOW_TRACKING_URI": team.tracking_uri,
            "MLFLOW_TRACKING_USERNAME": self.name,
            "MLFLOW_TRACKING_PASSWORD": self.password,
            "PENGUINS_TEAM_DVC_REMOTE": team.remote_url,
            "PENGUINS_TEAM_DVC_KEYFILE": str(self.key),
        }


@dataclass
class Team:
    """The stack's folder, address and ports; every method is safe to call again."""

    home: Path
    host: str = "127.0.0.1"
    ports: Ports = field(default_factory=Ports)

    def __post_init__(self) -> None:
        self.home = Path(self.home).resolve()

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
        _write_private(path, json.dumps(values, indent=2) + "\n")
        return values

    def admin_auth(self) -> tuple[str, str]:
        """The admin's (username, password), for the stack's own set-up calls and for tests."""
        return ADMIN, self._secrets["admin_password"]

    # -- PostgreSQL ------------------------------------------------------------------
    def _as_postgres(self, command: list[str]) -> list[str]:
        """PostgreSQL refuses to run as root: as root, run its tools as the ``postgres`` user."""
        return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command

    def _postgres_up(self) -> None:
        bindir = postgres_bindir()
        folder, data, log = self._path("pg"), self._path("pg", "data"), self._path("pg", "postgres.log")
        folder.mkdir(exist_ok=True, mode=0o700)
        if os.geteuid() == 0:
            shutil.chown(folder, "postgres", "postgres")
            probe = subprocess.run(self._as_postgres(["test", "-x", str(self.home)]), check=False)
            if probe.returncode:
                raise TeamError(
                    f"the 'postgres' user cannot enter {self.home}; give its parent folders o+x, "
                    "or choose a --home under one it can enter (for example /srv/penguins-team)"
                )
        if not (data / "PG_VERSION").is_file():
            with _private_file(self.home, self._secrets["db_superuser_password"]) as pwfile:
                if os.geteuid() == 0:
                    shutil.chown(pwfile, "postgres")
                _run(
                    self._as_postgres(
                        [
                            str(bindir / "initdb"),
                            "-D",
                            str(data),
                            "-U",
                            "postgres",
                            "--auth=scram-sha-256",
                            f"--pwfile={pwfile}",
                            "-E",
                            "UTF8",
                            "--locale=C",
                        ]
                    ),
                    "initdb",
                )
        if not self._postgres_running():
            options = f"-p {self.ports.postgres} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''"
            _run(
                self._as_postgres(
                    [str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60", "-o", options, "start"]
                ),
                f"PostgreSQL (its log: {log})",
            )
        self._postgres_databases()

    def _postgres_running(self) -> bool:
        data = self._path("pg", "data")
        if not (data / "postmaster.pid").exists():
            return False
        done = subprocess.run(
            self._as_postgres([str(postgres_bindir() / "pg_ctl"), "-D", str(data), "status"]),
            capture_output=True,
            check=False,
        )
        return done.returncode == 0

    def _postgres_databases(self) -> None:
        """Create MLflow's role and its two databases (tracking, accounts) if they are not there."""
        import psycopg2  # noqa: PLC0415  # only the team stack needs it; pylint: disable=import-outside-toplevel

        pw = self._secrets
        connection = psycopg2.connect(
            host="127.0.0.1",
            port=self.ports.postgres,
            user="postgres",
            password=pw["db_superuser_password"],
            dbname="postgres",
            connect_timeout=10,
        )
        connection.autocommit = True
        # Not 'with connection': psycopg2 opens a transaction there, and CREATE DATABASE refuses one.
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (DB_USER,))
            if cursor.fetchone() is None:
                cursor.execute(f"CREATE ROLE {DB_USER} LOGIN PASSWORD %s", (pw["db_password"],))
            for name in (TRACKING_DB, AUTH_DB):
                cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
                if cursor.fetchone() is None:
                    cursor.execute(f"CREATE DATABASE {name} OWNER {DB_USER}")
        connection.close()

    def _postgres_down(self) -> None:
        if self._postgres_running():
            data = self._path("pg", "data")
            _run(
                self._as_postgres([str(postgres_bindir() / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]),
                "pg_ctl stop",
            )

    def database_uri(self, database: str = TRACKING_DB) -> str:
        """SQLAlchemy URI of one of MLflow's databases (it holds the database password)."""
        password = self._secrets["db_password"]
        return f"postgresql+psycopg2://{DB_USER}:{password}@127.0.0.1:{self.ports.postgres}/{database}"

    # -- MLflow ------------------------------------------------------------------------
    def _mlflow_up(self, timeout: float = 180) -> None:
        if _alive(self._path("mlflow.pid")):
            return
        config = self._path("auth.ini")
        _write_private(
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
        artifacts = self._path("artifacts")
        artifacts.mkdir(exist_ok=True, mode=0o700)
        pw = self._secrets
        env = tool_env(
            {
                "MLFLOW_AUTH_CONFIG_PATH": str(config),
                "MLFLOW_FLASK_SERVER_SECRET_KEY": pw["flask_secret_key"],
                "MLFLOW_AUTH_ADMIN_PASSWORD": pw["admin_password"],
                # in the environment, not on the command line, where 'ps' would show its password
                "MLFLOW_BACKEND_STORE_URI": self.database_uri(TRACKING_DB),
            }
        )
        for name in ("MLFLOW_TRACKING_URI", "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD"):
            env.pop(name, None)
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
        with log.open("a", encoding="utf-8") as sink:
            process = subprocess.Popen(  # outlives this call; pylint: disable=consider-using-with
                command, env=env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True, cwd=self.home
            )
        self._path("mlflow.pid").write_text(f"{process.pid}\n", encoding="utf-8")
        state = wait_until_healthy(process, f"{self.tracking_uri}/health", timeout)
        if state == "ready":
            return
        if state == "exited":
            raise TeamError(f"mlflow server exited with code {process.returncode}:\n{_tail(log)}")
        _stop(self._path("mlflow.pid"))
        raise TeamError(f"mlflow server did not answer on {self.tracking_uri} within {timeout:.0f} s:\n{_tail(log)}")

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
            _expect(created, "create the experiment")
            experiment_id = created.json()["experiment_id"]
        model_found = self._api("GET", "/api/2.0/mlflow/registered-models/get", params={"name": model})
        if model_found.status_code != 200:
            _expect(
                self._api("POST", "/api/2.0/mlflow/registered-models/create", json={"name": model}), "create the model"
            )
        return experiment_id, model

    # -- sshd (the DVC remote) ------------------------------------------------------------
    def _sshd_up(self) -> None:
        if not Path(SSHD).exists():
            raise TeamError(f"OpenSSH's server ({SSHD}) is not installed. {INSTALL_HINT}")
        folder = self._path("ssh")
        folder.mkdir(exist_ok=True, mode=0o700)
        self._path("dvc-remote").mkdir(exist_ok=True, mode=0o700)
        host_key = folder / "host_ed25519"
        if not host_key.exists():
            _run(
                ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "penguins-team-host", "-f", str(host_key)],
                "ssh-keygen",
            )
        keys = folder / "authorized_keys"
        keys.touch(mode=0o600)
        config = folder / "sshd_config"
        config.write_text(
            f"Port {self.ports.ssh}\n"
            f"ListenAddress {self.host}\n"
            f"HostKey {host_key}\n"
            f"AuthorizedKeysFile {keys}\n"
            f"PidFile {folder / 'sshd.pid'}\n"
            f"AllowUsers {getpass.getuser()}\n"
            "PasswordAuthentication no\n"
            "KbdInteractiveAuthentication no\n"
            "PermitRootLogin prohibit-password\n"
            "UsePAM no\n"
            "StrictModes no\n"
            "AllowTcpForwarding no\n"
            "X11Forwarding no\n"
            "Subsystem sftp internal-sftp\n",
            encoding="utf-8",
        )
        if _alive(folder / "sshd.pid"):
            return
        if os.geteuid() == 0:
            Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege-separation folder
        _run([SSHD, "-f", str(config), "-E", str(self._path("logs", "sshd.log"))], "sshd")
        deadline = time.monotonic() + 10
        while not (folder / "sshd.pid").exists() and time.monotonic() < deadline:
            time.sleep(0.1)

    # -- the verbs -------------------------------------------------------------------------
    def up(self, members: list[str] | None = None) -> float:
        """Start (or resume) every service, create missing members; return the seconds it took."""
        start = time.perf_counter()
        self.home.mkdir(parents=True, exist_ok=True)
        self.home.chmod(0o711)  # others may enter (PostgreSQL runs as its own user), not list
        for name in ("logs", "members"):
            self._path(name).mkdir(exist_ok=True, mode=0o700)
        self._check_ports()
        self._path("stack.json").write_text(
            json.dumps({"host": self.host, "ports": asdict(self.ports)}, indent=2) + "\n", encoding="utf-8"
        )
        self._postgres_up()
        self._mlflow_up()
        self._sshd_up()
        for name in members or []:
            if not self._path("members", name, "team.env").is_file():
                self.add_member(name)
        return time.perf_counter() - start

    def _check_ports(self) -> None:
        """Each service that is not running yet must find its port free; a running one keeps its port."""
        saved = load(self.home)
        running = {
            "postgres": self._postgres_running(),
            "mlflow": _alive(self._path("mlflow.pid")),
            "ssh": _alive(self._path("ssh", "sshd.pid")),
        }
        for service, is_running in running.items():
            port, variable = getattr(self.ports, service), f"TEAM_{service.upper()}_PORT"
            if is_running and port != getattr(saved.ports, service):
                was = getattr(saved.ports, service)
                raise TeamError(f"{service} runs on port {was}: 'make team-down' before moving it to {port}")
            host = "127.0.0.1" if service == "postgres" else self.host
            if not is_running:
                try:
                    ports.check(port, host, change=f"make team-up {variable}={{port}}")
                except ports.PortTaken as taken:
                    raise TeamError(f"{service}: {taken}") from None

    def down(self) -> None:
        """Stop the services (MLflow, sshd, PostgreSQL); keep their data."""
        _stop(self._path("mlflow.pid"))
        _stop(self._path("ssh", "sshd.pid"))
        if (self._path("pg", "data", "PG_VERSION")).exists():
            self._postgres_down()

    def add_member(self, name: str, can_edit: bool = True) -> Member:
        """Create ``name``'s MLflow account and DVC key; EDIT on the course's experiment and model unless a viewer."""
        if not name.replace("-", "").replace("_", "").isalnum() or name == ADMIN:
            raise TeamError(f"member name {name!r}: expected letters, digits, '-' or '_' (and not '{ADMIN}')")
        folder = self._path("members", name)
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        password = secrets.token_urlsafe(18)
        created = self._api("POST", "/api/2.0/mlflow/users/create", json={"username": name, "password": password})
        if created.status_code != 200:
            raise TeamError(f"cannot create the account {name!r} (HTTP {created.status_code}): {created.text[:300]}")
        if can_edit:
            experiment_id, model = self._course_resources()
            for kind, resource in (("experiment", experiment_id), ("registered_model", model)):
                granted = self._api(
                    "POST",
                    "/api/3.0/mlflow/users/permissions/grant",
                    json={"username": name, "resource_type": kind, "resource_id": resource, "permission": "EDIT"},
                )
                _expect(granted, f"grant {name} EDIT on the {kind}")
        key = folder / "id_ed25519"
        if not key.exists():
            _run(
                ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"penguins-team-{name}", "-f", str(key)],
                "ssh-keygen",
            )
        sftp = "internal-sftp" if can_edit else "internal-sftp -R"  # a viewer can pull, not push
        with self._path("ssh", "authorized_keys").open("a", encoding="utf-8") as keys:
            keys.write(f'restrict,command="{sftp}" {(folder / "id_ed25519.pub").read_text().strip()}\n')
        member = Member(name, password, can_edit, key)
        lines = [
            f"# {name}'s access to the penguins team stack ({'EDIT' if can_edit else 'READ'}). Never commit it.",
            "# Load it in a shell with:  set -a; . ./team.env; set +a",
            *(f"{k}={v}" for k, v in member.env(self).items()),
        ]
        _write_private(folder / "team.env", "\n".join(lines) + "\n")
        return member

    def member(self, name: str) -> Member:
        """A member created earlier, read back from their ``team.env``."""
        path = self._path("members", name, "team.env")
        if not path.is_file():
            raise TeamError(f"no member {name!r} in {self.home}: run 'python -m lib.team add-member {name}'")
        values = read_env(path)
        edit = "(EDIT)" in path.read_text(encoding="utf-8").splitlines()[0]
        return Member(name, values["MLFLOW_TRACKING_PASSWORD"], edit, Path(values["PENGUINS_TEAM_DVC_KEYFILE"]))

    def connect(self, project: Path, name: str) -> Path:
        """Give a clone of the project ``name``'s access: ``team.env`` and the DVC remote in ``.dvc/config.local``."""
        member = self.member(name)
        target = Path(project) / "team.env"
        shutil.copyfile(self._path("members", name, "team.env"), target)
        target.chmod(0o600)
        env = tool_env()
        for command in (
            ["dvc", "remote", "add", "--local", "--force", "--default", "team", self.remote_url],
            ["dvc", "remote", "modify", "--local", "team", "keyfile", str(member.key)],
        ):
            _run(command, "dvc remote", cwd=Path(project), env=env)
        return target

    def status(self) -> dict[str, bool]:
        """Which services are running."""
        return {
            "postgres": (self._path("pg", "data", "PG_VERSION")).exists() and self._postgres_running(),
            "mlflow": _alive(self._path("mlflow.pid")),
            "sshd": _alive(self._path("ssh", "sshd.pid")),
        }


# -- helpers ----------------------------------------------------------------------------------
def postgres_bindir() -> Path:
    """The folder of PostgreSQL's server tools, which both Debian and Homebrew keep off PATH.

    Debian: the newest ``/usr/lib/postgresql/N/bin``; else ``initdb`` on PATH; else Homebrew's
    keg-only ``postgresql@15`` (``brew --prefix postgresql@15``/bin).
    """
    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    if debian:
        return debian[-1].parent
    found = shutil.which("initdb") or shutil.which("pg_ctl")
    if found:
        return Path(found).parent
    brew = shutil.which("brew")
    if brew:
        prefix = subprocess.run([brew, "--prefix", BREW_POSTGRES], capture_output=True, text=True, check=False)
        keg = Path(prefix.stdout.strip()) / "bin"
        if prefix.returncode == 0 and (keg / "initdb").is_file():
            return keg
    raise TeamError(f"PostgreSQL's server (initdb, pg_ctl) is not installed. {INSTALL_HINT}")


def read_env(path: Path) -> dict[str, str]:
    """The ``KEY=value`` lines of an env file (comments and blank lines skipped)."""
    values = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            values[key.strip()] = value.strip()
    return values


def _write_private(path: Path, text: str) -> None:
    """Write a secret: created 0600 (never readable by others, not even for a moment)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    path.chmod(0o600)


@contextlib.contextmanager
def _private_file(folder: Path, text: str) -> Iterator[Path]:
    """A 0600 file holding ``text`` for the length of a with-block (a password for initdb's --pwfile)."""
    path = folder / f".tmp-{secrets.token_hex(4)}"
    _write_private(path, text + "\n")
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


def _run(command: list[str], what: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> None:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=300)
    if done.returncode:
        raise TeamError(f"{what} failed (exit {done.returncode}): {(done.stdout + done.stderr).strip()[-2000:]}")


def _expect(response: httpx.Response, what: str) -> None:
    if response.status_code != 200:
        raise TeamError(f"cannot {what}: HTTP {response.status_code} {response.text[:300]}")


def _alive(pidfile: Path) -> bool:
    try:
        pid = int(pidfile.read_text().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return False
    return True


def _stop(pidfile: Path, timeout: float = 30) -> None:
    """SIGTERM the process (and its group) named by ``pidfile``, wait, SIGKILL if it lingers; remove the file."""
    if not _alive(pidfile):
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


def _tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]) if path.exists() else ""


def load(home: Path) -> Team:
    """The stack in ``home`` with the host and ports it was started with (the defaults if never started)."""
    state = Path(home) / "stack.json"
    if state.is_file():
        saved = json.loads(state.read_text(encoding="utf-8"))
        return Team(Path(home), saved["host"], Ports(**saved["ports"]))
    return Team(Path(home))


def main(argv: list[str] | None = None) -> int:
    """``python -m lib.team up|down|status|add-member|connect``: see ``make help``."""
    parser = argparse.ArgumentParser(prog="python -m lib.team", description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--home", type=Path, default=paths.PROJ_ROOT / ".team", help="the stack's folder (.team)")
    verbs = parser.add_subparsers(dest="verb", required=True)
    up = verbs.add_parser("up", help="start the stack; create the members named")
    up.add_argument("--host", default=None, help="address to bind MLflow and sshd to (127.0.0.1)")
    up.add_argument("--members", default="", help="comma-separated member names, each with EDIT")
    up.add_argument("--connect", default=None, help="member whose access this clone gets (team.env, .dvc/config.local)")
    for service, default in asdict(Ports()).items():
        up.add_argument(f"--{service}-port", type=int, help=f"{service}'s port (the last one, else {default})")
    verbs.add_parser("down", help="stop the stack, keep its data")
    verbs.add_parser("status", help="which services run")
    add = verbs.add_parser("add-member", help="create a member's account and key")
    add.add_argument("name")
    add.add_argument("--read-only", action="store_true", help="READ on everything, pull but not push")
    connect = verbs.add_parser("connect", help="give this clone a member's access")
    connect.add_argument("name")
    args = parser.parse_args(argv)
    team = load(args.home)
    try:
        if args.verb == "up":
            if args.host:
                team.host = args.host
            chosen = {name: getattr(args, f"{name}_port") for name in asdict(Ports())}
            team.ports = replace(team.ports, **{name: port for name, port in chosen.items() if port})
            members = [name for name in args.members.split(",") if name]
            seconds = team.up(members)
            print(f"team stack up in {seconds:.1f} s: MLflow {team.tracking_uri}, DVC remote {team.remote_url}")
            for name in members:
                print(f"  member {name}: {team.home / 'members' / name / 'team.env'}")
            if args.connect:
                print(f"this clone now uses {args.connect}'s access: {team.connect(paths.PROJ_ROOT, args.connect)}")
        elif args.verb == "down":
            team.down()
            print(f"team stack stopped; its data stays in {team.home}")
        elif args.verb == "status":
            for service, running in team.status().items():
                print(f"{service}: {'running' if running else 'stopped'}")
        elif args.verb == "add-member":
            member = team.add_member(args.name, can_edit=not args.read_only)
            access = "EDIT" if member.can_edit else "READ"
            print(f"member {member.name} ({access}): {team.home / 'members' / member.name / 'team.env'}")
        elif args.verb == "connect":
            print(f"this clone now uses {args.name}'s access: {team.connect(paths.PROJ_ROOT, args.name)}")
    except TeamError as error:
        print(f"team stack: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
