"""The team's PostgreSQL: a cluster of its own under ``<home>/pg``, MLflow's backend store and its accounts."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from lib.course.team.common import (
    AUTH_DB,
    BREW_POSTGRES,
    DB_USER,
    INSTALL_HINT,
    TRACKING_DB,
    StackBase,
    TeamError,
    private_file,
    run,
)


class PostgresServer(StackBase):
    """Start, check and stop the stack's PostgreSQL, and create MLflow's role and databases."""

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
            with private_file(self.home, self._secrets["db_superuser_password"]) as pwfile:
                if os.geteuid() == 0:
                    shutil.chown(pwfile, "postgres")
                run(
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
            run(
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
            run(
                self._as_postgres([str(postgres_bindir() / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]),
                "pg_ctl stop",
            )

    def database_uri(self, database: str = TRACKING_DB) -> str:
        """SQLAlchemy URI of one of MLflow's databases (it holds the database password)."""
        password = self._secrets["db_password"]
        return f"postgresql+psycopg2://{DB_USER}:{password}@127.0.0.1:{self.ports.postgres}/{database}"


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
