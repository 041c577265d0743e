"""The team stack: one MLflow tracking server and one DVC remote that a student team shares.

``make team-up`` (``python -m lib.course.team up``) starts, on the machine that serves the
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

The package follows those seams: :mod:`~lib.course.team.postgres`, :mod:`~lib.course.team.mlflow_server`,
:mod:`~lib.course.team.sshd`, :mod:`~lib.course.team.stack` (the :class:`Team` that starts and stops them all,
members and their access), :mod:`~lib.course.team.common` (names, ports, secrets, process helpers) and
:mod:`~lib.course.team.cli` (``python -m lib.course.team``).
"""

from lib.course.team.cli import main
from lib.course.team.common import ADMIN, INSTALL_HINT, Member, Ports, TeamError, read_env
from lib.course.team.postgres import postgres_bindir
from lib.course.team.stack import Team, load

__all__ = [
    "ADMIN", "INSTALL_HINT", "Member", "Ports", "Team", "TeamError", "load", "main", "postgres_bindir", "read_env",
]  # fmt: skip
