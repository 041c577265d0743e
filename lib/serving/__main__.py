"""``python -m lib.serving [PORT]``: load the model once, then serve it on 127.0.0.1 in the foreground."""

from __future__ import annotations

import sys

import uvicorn

from lib import champion
from lib.serving.app import create_app
from lib.serving.loading import ModelUnavailable, load
from lib.serving.settings import Settings


def main(argv: list[str] | None = None) -> int:
    """Check the settings and load the model (exit 2 with the reason if either fails), then serve."""
    argv = sys.argv[1:] if argv is None else argv
    port = int(argv[0]) if argv else 8000
    try:
        settings = Settings.from_env()
        loaded = load(settings)
    except (champion.ModelFileError, ModelUnavailable, OSError, ImportError, ValueError) as exc:
        print(f"cannot start the API: {exc}", file=sys.stderr)
        return 2
    print(f"serving {loaded.info.name} version {loaded.info.version} ({loaded.info.source})")
    print(f"open http://127.0.0.1:{port}/docs ; stop with Ctrl+C")
    uvicorn.run(create_app(settings, loaded), host="127.0.0.1", port=port, log_level="info")
    return 0


if __name__ == "__main__":
    sys.exit(main())
