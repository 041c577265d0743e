"""The team stack as one object: start, stop, members and their access (see :mod:`lib.course.team`)."""

from __future__ import annotations

import json
import secrets
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from lib import ports
from lib.course.team.common import ADMIN, Member, Ports, TeamError, alive, expect, read_env, run, stop, write_private
from lib.course.team.mlflow_server import MlflowServer
from lib.course.team.sshd import SshRemote
from lib.processes import tool_env


@dataclass
class Team(MlflowServer, SshRemote):
    """The stack's folder, address and ports; every method is safe to call again."""

    home: Path
    host: str = "127.0.0.1"
    ports: Ports = field(default_factory=Ports)

    def __post_init__(self) -> None:
        self.home = Path(self.home).resolve()

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
            "mlflow": alive(self._path("mlflow.pid")),
            "ssh": alive(self._path("ssh", "sshd.pid")),
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
        stop(self._path("mlflow.pid"))
        stop(self._path("ssh", "sshd.pid"))
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
                expect(granted, f"grant {name} EDIT on the {kind}")
        key = folder / "id_ed25519"
        if not key.exists():
            run(
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
            *(f"{k}={v}" for k, v in member.env(self.tracking_uri, self.remote_url).items()),
        ]
        write_private(folder / "team.env", "\n".join(lines) + "\n")
        return member

    def member(self, name: str) -> Member:
        """A member created earlier, read back from their ``team.env``."""
        path = self._path("members", name, "team.env")
        if not path.is_file():
            raise TeamError(f"no member {name!r} in {self.home}: run 'python -m lib.course.team add-member {name}'")
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
            run(command, "dvc remote", cwd=Path(project), env=env)
        return target

    def status(self) -> dict[str, bool]:
        """Which services are running."""
        return {
            "postgres": (self._path("pg", "data", "PG_VERSION")).exists() and self._postgres_running(),
            "mlflow": alive(self._path("mlflow.pid")),
            "sshd": alive(self._path("ssh", "sshd.pid")),
        }


def load(home: Path) -> Team:
    """The stack in ``home`` with the host and ports it was started with (the defaults if never started)."""
    state = Path(home) / "stack.json"
    if state.is_file():
        saved = json.loads(state.read_text(encoding="utf-8"))
        return Team(Path(home), saved["host"], Ports(**saved["ports"]))
    return Team(Path(home))
