"""Static analysis of the lessons: the Pynblint gate.

Pynblint always exits 0, whatever it finds, so a gate must read its JSON report.
:func:`pynblint_lints` does that for one notebook; ``python -m lib.quality NB...``
prints every lint and exits 1 when there is any, for ``make lint`` and pre-commit.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from lib.processes import tool, tool_env


def pynblint_lints(notebook: Path | str, timeout: float = 120) -> list[dict]:
    """Run Pynblint (default settings) on one notebook and return its lints.

    Each lint is a dict with ``slug``, ``description`` and ``recommendation``
    (and ``cells`` for cell-level lints). Raises ``RuntimeError`` with Pynblint's
    own output when it does not produce a report.
    """
    notebook = Path(notebook)
    if not notebook.is_file():
        raise FileNotFoundError(f"{notebook} does not exist: expected a .ipynb file")
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        result = subprocess.run(
            [tool("pynblint"), str(notebook), "--quiet", "--output", str(report), "--yes"],
            capture_output=True, text=True, timeout=timeout, check=False, env=tool_env(),
        )
        if not report.is_file():
            raise RuntimeError(f"pynblint wrote no report for {notebook}:\n{result.stdout}{result.stderr}")
        return json.loads(report.read_text(encoding="utf-8")).get("lints", [])


def main(argv: list[str] | None = None) -> int:
    """Lint each notebook named in ``argv``; print the lints; return 1 if there is any."""
    notebooks = argv if argv is not None else sys.argv[1:]
    if not notebooks:
        print("usage: python -m lib.quality NOTEBOOK.ipynb [...]", file=sys.stderr)
        return 2
    found = 0
    for notebook in notebooks:
        lints = pynblint_lints(notebook)
        found += len(lints)
        for lint in lints:
            print(f"{notebook}: {lint['slug']}: {lint['description']}")
        print(f"{notebook}: {len(lints)} pynblint lint(s)")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
