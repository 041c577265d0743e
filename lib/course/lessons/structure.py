"""The project's layout: what each top-level folder and file holds, and its Cookiecutter Data Science twin."""

from __future__ import annotations

from pathlib import Path

from lib import paths

# (path, what it holds, the cookiecutter-data-science v2 equivalent)
LAYOUT: tuple[tuple[str, str, str], ...] = (
    ("notebooks/", "the lessons, numbered `<milestone>.<n>-<name>`, saved with their outputs", "notebooks/"),
    (
        "lib/",
        "the shared module the notebooks call, one file per concern (paths, data, cards, ...)",
        "{{module_name}}/ (paths.py is its config.py)",
    ),
    ("data/raw/", "the raw LTER export, copied unchanged (a DVC output)", "data/raw/"),
    ("data/processed/", "the cleaned train and test splits (a DVC output)", "data/processed/"),
    ("models/", "the exported champion model and its metadata (a DVC output)", "models/"),
    ("metrics/", "the pipeline's metrics as JSON, read by `dvc metrics show`", "reports/"),
    ("reports/", "executed notebooks, Data Docs, emissions, quality and API reports (DVC outputs)", "reports/"),
    ("tests/", "pytest: unit tests of lib, data, model, API and notebook tests", "tests/"),
    ("docs/", "one guide per practice, the cards, the deployment guides", "docs/, references/"),
    ("exercises/", "worked solutions of the lessons' exercises, run by the tests", "(none: a course's addition)"),
    ("params.yaml", "every tunable of every stage", "(none: DVC's convention)"),
    ("dvc.yaml", "the pipeline: one stage per notebook, run by papermill", "(none: DVC's convention)"),
    (
        "pyproject.toml",
        "the project and its dependencies; requirements.lock pins them",
        "pyproject.toml, requirements.txt",
    ),
    ("environment.yml", "the same environment for conda users", "environment.yml (conda option)"),
    ("Makefile", "the verbs: setup, pipeline, test, lint, lab, ...", "Makefile"),
)


def layout_rows(root: Path | None = None) -> list[tuple[str, str, str]]:
    """Return the layout rows, checking that each entry is really there (raises if the tree drifted)."""
    root = Path(root) if root is not None else paths.PROJ_ROOT
    committed = {
        "notebooks/",
        "lib/",
        "tests/",
        "docs/",
        "exercises/",
        "params.yaml",
        "dvc.yaml",
        "pyproject.toml",
        "environment.yml",
        "Makefile",
    }
    absent = [entry for entry, _, _ in LAYOUT if entry in committed and not (root / entry).exists()]
    if absent:
        raise FileNotFoundError(f"the project layout lacks {absent} under {root}")
    return list(LAYOUT)
