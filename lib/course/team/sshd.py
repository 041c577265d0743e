"""The team's DVC remote: OpenSSH's sshd, SFTP only, one key per member, on a port of its own."""

from __future__ import annotations

import getpass
import os
import time
from pathlib import Path

from lib.course.team.common import INSTALL_HINT, SSHD, StackBase, TeamError, alive, run


class SshRemote(StackBase):
    """Start the stack's own sshd (its config, host key and authorized keys under ``<home>/ssh``)."""

    def _sshd_up(self) -> None:
        if not Path(SSHD).exists():
            raise TeamError(f"OpenSSH's server ({SSHD}) is not installed. {INSTALL_HINT}")
        folder = self._path("ssh")
        folder.mkdir(exist_ok=True, mode=0o700)
        self._path("dvc-remote").mkdir(exist_ok=True, mode=0o700)
        host_key = folder / "host_ed25519"
        if not host_key.exists():
            run(
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
        if alive(folder / "sshd.pid"):
            return
        if os.geteuid() == 0:
            Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege-separation folder
        run([SSHD, "-f", str(config), "-E", str(self._path("logs", "sshd.log"))], "sshd")
        deadline = time.monotonic() + 10
        while not (folder / "sshd.pid").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
