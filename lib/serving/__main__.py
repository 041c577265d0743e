"""``python -m lib.serving [PORT] [--host HOST]``: load the model once, then serve it in the foreground.

This is the production entry point (the Docker image and the systemd unit run it): on
top of the app's own limits it cuts off slow request headers and exits 0 after a graceful
stop on SIGTERM (see :mod:`lib.serving.server`).
"""

from __future__ import annotations

import argparse
import sys

from lib import champion, ports
from lib.serving.app import create_app
from lib.serving.loading import ModelUnavailable, load
from lib.serving.server import serve
from lib.serving.settings import Settings


def main(argv: list[str] | None = None) -> int:
    """Check the port and the settings and load the model (exit 2 with the reason if any fails), then serve."""
    parser = argparse.ArgumentParser(prog="python -m lib.serving", description="Serve the penguin species API.")
    parser.add_argument("port", nargs="?", type=int, default=8000, help="TCP port (default 8000)")
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1; 0.0.0.0 in Docker)"
    )
    arguments = parser.parse_args(sys.argv[1:] if argv is None else argv)
    try:
        ports.check(arguments.port, arguments.host, change="'make api PORT={port}' or 'python -m lib.serving {port}'")
    except ports.PortTaken as taken:
        print(f"cannot start the API: {taken}", file=sys.stderr)
        return 2
    try:
        settings = Settings.from_env()
        loaded = load(settings)
    except (champion.ModelFileError, ModelUnavailable, OSError, ImportError, ValueError) as exc:
        print(f"cannot start the API: {exc}", file=sys.stderr)
        return 2
    print(f"serving {loaded.info.name} version {loaded.info.version} ({loaded.info.source})", flush=True)
    print(f"open http://{arguments.host}:{arguments.port}/docs ; stop with Ctrl+C", flush=True)
    serve(create_app(settings, loaded), settings, arguments.host, arguments.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
