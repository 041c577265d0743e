"""TCP ports on this machine: a free one for a test server, and a clear stop when one is taken.

``python -m lib.ports check PORT --change 'make lab PORT={port}'`` is what ``make lab`` and
``make mlflow-ui`` run before they start a server: it exits 1 with a message that names the
port and a free one, instead of the server's own traceback. Standard library only, so the
API image (which runs :mod:`lib.serving`'s own check) carries it.
"""

from __future__ import annotations

import argparse
import errno
import socket
import sys


class PortTaken(RuntimeError):
    """A port a server is asked to listen on is taken; the message names it and a free one."""


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def is_free(port: int, host: str = "127.0.0.1") -> bool:
    """Whether a server could listen on ``host:port`` now (a socket lingering in TIME_WAIT does not count)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn, Jupyter and MLflow do
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                return False
            raise
    return True


def check(port: int, host: str = "127.0.0.1", change: str = "") -> None:
    """Raise :class:`PortTaken` if ``host:port`` is taken, saying how to choose another.

    ``change`` is the command that picks another port, with ``{port}`` where the port goes
    (``"make api PORT={port}"``); the message fills in the next port that is free now.
    """
    if is_free(port, host):
        return
    hint = ""
    if change:
        alternative = next((p for p in range(port + 1, port + 100) if is_free(p, host)), port + 1)
        hint = f" Stop that program, or choose another port: {change.format(port=alternative)}"
    raise PortTaken(
        f"port {port} on {host} is already taken: another program (perhaps one you started earlier) "
        f"listens there.{hint}"
    )


def main(argv: list[str] | None = None) -> int:
    """``python -m lib.ports check PORT [--host H] [--change CMD]``: exit 1 with the message if taken."""
    parser = argparse.ArgumentParser(prog="python -m lib.ports")
    verbs = parser.add_subparsers(dest="verb", required=True)
    checker = verbs.add_parser("check", help="exit 1, saying what to do, if a server could not listen on PORT")
    checker.add_argument("port", type=int)
    checker.add_argument("--host", default="127.0.0.1")
    checker.add_argument("--change", default="", help="the command that picks another port, with {port} in it")
    arguments = parser.parse_args(argv)
    try:
        check(arguments.port, arguments.host, arguments.change)
    except PortTaken as taken:
        print(taken, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
