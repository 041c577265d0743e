"""Running the project's tools and servers from a lesson, with plain, reproducible output.

A Jupyter kernel exports ``FORCE_COLOR=1`` and ``CLICOLOR_FORCE=1``, so every tool
it starts would draw colours and spinners into the saved outputs. :func:`tool_env`
removes them and puts the environment's own ``bin/`` first on ``PATH``, so
``dvc``, ``pytest`` or ``python`` mean the project's locked versions.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx

from lib import paths
from lib.ports import free_port

FORCING = ("FORCE_COLOR", "CLICOLOR_FORCE", "CLICOLOR", "PY_COLORS")
# The servers a Jupyter kernel started, by name (see launch).
_STARTED_IN_KERNEL: dict[str, Server] = {}


def tool_env(extra: dict[str, str] | None = None, without: Iterable[str] = ()) -> dict[str, str]:
    """Return a copy of the environment for a tool: no forced colours, the venv's bin first on PATH.

    ``extra`` adds or replaces variables; the names in ``without`` are left out.
    """
    dropped = set(FORCING) | set(without)
    env = {key: value for key, value in os.environ.items() if key not in dropped}
    bin_dir = str(Path(sys.executable).parent)
    env.update({"PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""), "NO_COLOR": "1", "TERM": "dumb"})
    env.update(extra or {})
    return env


def tool(name: str) -> str:
    """Return the path of a console script installed beside this interpreter (``pynblint``, ``ruff``, ...)."""
    candidate = Path(sys.executable).with_name(name)
    return str(candidate) if candidate.exists() else name


@dataclass
class Server:
    """A uvicorn process serving the API in the background; ``stop()`` (or ``with``) ends it."""

    process: subprocess.Popen
    url: str
    log: IO[str] | None = None

    def output(self) -> str:
        """What the server has printed so far (its log file), or "" when it has none."""
        if self.log is None or self.log.closed:
            return ""
        self.log.seek(0)
        return self.log.read()

    def stop(self, timeout: float = 10, group: bool = False) -> int:
        """Stop the server with SIGTERM (SIGKILL after ``timeout``) and return its exit code.

        uvicorn shuts down gracefully on SIGTERM and then re-raises it, so a clean stop
        returns ``-15`` on POSIX (0 on older uvicorn releases). With ``group``, the signals go
        to the server's whole process group (a server launched with ``detach`` that starts
        workers of its own, as ``mlflow models serve`` does).
        """
        signal_of = (lambda sig: os.killpg(self.process.pid, sig)) if group else self.process.send_signal
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                signal_of(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    signal_of(signal.SIGKILL)
                self.process.wait()
        if self.log is not None and not self.log.closed:
            self.log.close()
        return self.process.returncode

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


def start_server(
    port: int | None = None, env: dict[str, str] | None = None, timeout: float = 60, production: bool = False
) -> Server:
    """Start the API on 127.0.0.1 and wait until ``/health`` answers 200.

    By default ``uvicorn --factory lib.serving:create_app``, as lesson 4.1 teaches it; with
    ``production=True``, ``python -m lib.serving`` as the Docker image and the systemd unit
    run it (slow request headers cut off, exit status 0 after a graceful stop).

    Raises ``RuntimeError`` with the server's own output if it exits or does not
    become healthy in ``timeout`` seconds (and stops it).
    """
    port = port or free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "lib.serving:create_app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    if production:
        command = [sys.executable, "-m", "lib.serving", str(port)]
    return launch(command, f"http://127.0.0.1:{port}", "/health", timeout, name="the API", env=env)


def launch(
    command: list[str],
    url: str,
    health: str,
    timeout: float,
    *,
    name: str,
    env: dict[str, str] | None = None,
    without: Iterable[str] = (),
    log: Path | None = None,
    detach: bool = False,
    cwd: Path | None = None,
) -> Server:
    """Start ``command`` as a server at ``url`` and wait until ``url + health`` answers 200.

    The server's output goes to a file, not a pipe: a pipe nobody reads fills up after 64 KiB
    of log lines and then blocks the server. It is a temporary file, or ``log`` (appended to).
    With ``detach`` the server runs in a session of its own, so it outlives this process (the
    team's MLflow server after ``make team-up``). ``env`` and ``without`` adjust the tool
    environment (:func:`tool_env`); ``cwd`` is the project's root unless given.

    Raises ``RuntimeError`` with the server's output if the process exits first, or if it is
    not healthy within ``timeout`` seconds (then it is stopped).

    In a Jupyter kernel, a server that this kernel started earlier under the same ``name`` is
    stopped first, so running a lesson again (or again after an error in a middle cell) never
    leaves the older one behind.
    """
    previous = _STARTED_IN_KERNEL.pop(name, None)
    if previous is not None:
        previous.stop()
    sink = (
        open(log, "a+", encoding="utf-8")  # noqa: SIM115  # pylint: disable=consider-using-with  # the Server owns it
        if log is not None
        else tempfile.TemporaryFile("w+")  # pylint: disable=consider-using-with
    )
    process = subprocess.Popen(  # pylint: disable=consider-using-with
        command,
        env=tool_env(env, without),
        stdout=sink,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=cwd if cwd is not None else paths.PROJ_ROOT,
        start_new_session=detach,
    )
    server = Server(process, url, sink)
    state = wait_until_healthy(process, f"{url}{health}", timeout)
    if state == "ready":
        if "ipykernel" in sys.modules and not detach:
            _STARTED_IN_KERNEL[name] = server
        return server
    output = server.output()
    server.stop()
    if state == "exited":
        raise RuntimeError(f"{name} exited with code {process.returncode}:\n{output}")
    raise RuntimeError(f"{name} did not answer {health} within {timeout:.0f} s:\n{output[-4000:]}")


def resident_mb(pid: int) -> float:
    """The resident memory of process ``pid`` in MB (Linux: ``/proc/PID/status``)."""
    for line in Path(f"/proc/{pid}/status").read_text(encoding="utf-8").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise ValueError(f"process {pid} reports no resident memory")


def wait_until_healthy(process: subprocess.Popen, url: str, timeout: float) -> str:
    """Poll ``url`` until it answers 200: return ``"ready"``, ``"exited"`` (the process ended) or ``"timeout"``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return "exited"
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return "ready"
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    return "timeout"
