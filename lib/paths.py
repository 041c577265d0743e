"""Every path of the project, derived from one root, resolved each time it is used.

The root is ``$PENGUINS_PROJECT_ROOT`` when it is set (the tests run the lessons in a
scratch copy with it), else the folder that holds this package. Notebooks, DVC stages
and the API read ``paths.RAW_DATA_FILE`` and the others as attributes of this module;
each access resolves the root again, so a path never depends on the current working
directory, nor on when this module was first imported (set the variable, and every
later access follows it).
"""

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT_ENV_VAR = "PENGUINS_PROJECT_ROOT"

# Each path of the project, relative to its root. ``paths.NAME`` returns the absolute path.
LAYOUT = {
    "PROJ_ROOT": ".",
    "PARAMS_FILE": "params.yaml",
    "DVC_FILE": "dvc.yaml",
    "DATA_DIR": "data",
    "RAW_DATA_DIR": "data/raw",
    "RAW_DATA_FILE": "data/raw/penguins_raw.csv",
    "PROCESSED_DATA_DIR": "data/processed",
    "TRAIN_FILE": "data/processed/train.csv",
    "TEST_FILE": "data/processed/test.csv",
    "MODELS_DIR": "models",
    "NOTEBOOKS_DIR": "notebooks",
    "LIB_DIR": "lib",
    "TESTS_DIR": "tests",
    "DOCS_DIR": "docs",
    "CARDS_DIR": "docs/cards",
    "DATASET_CARD_FILE": "docs/cards/dataset_card.md",
    "MODEL_CARD_FILE": "docs/cards/model_card.md",
    "REPORTS_DIR": "reports",
    "NOTEBOOK_REPORTS_DIR": "reports/notebooks",
    "METRICS_DIR": "metrics",
}


def project_root() -> Path:
    """Return the project root: ``$PENGUINS_PROJECT_ROOT`` if set, else the parent of ``lib/``."""
    override = os.environ.get(ROOT_ENV_VAR)
    if override:
        return Path(override).expanduser().resolve()
    return Path(__file__).resolve().parents[1]


def __getattr__(name: str) -> Path:
    """``paths.RAW_DATA_FILE`` and the rest of :data:`LAYOUT`, under the root as it is now."""
    if name in LAYOUT:
        root = project_root()
        return root if LAYOUT[name] == "." else root / LAYOUT[name]
    raise AttributeError(f"module 'lib.paths' has no attribute '{name}'; its paths are {sorted(LAYOUT)}")


def __dir__() -> list[str]:
    return sorted([*globals(), *LAYOUT])


def relative(path: os.PathLike | str) -> str:
    """Return ``path`` relative to the project root (POSIX style) when it lies inside it.

    Lessons print paths this way, so their saved outputs are the same on every
    machine. A path outside the project is returned unchanged.
    """
    resolved = Path(path).expanduser().resolve()
    try:
        return resolved.relative_to(project_root()).as_posix()
    except ValueError:
        return str(path)


def ensure_parent(path: os.PathLike | str) -> Path:
    """Create the folder that will hold ``path`` (papermill and pandas do not) and return ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def write_atomically(destination: os.PathLike | str, write: Callable[[Path], object]) -> Path:
    """Create ``destination``'s folder, let ``write`` fill a temporary file beside it, then move it into place.

    A failure in ``write`` leaves the previous ``destination`` as it was, never a
    half-written file; the temporary file is removed either way.
    """
    destination = ensure_parent(destination)
    handle, tmp_name = tempfile.mkstemp(dir=destination.parent, prefix=f".{destination.name}-")
    os.close(handle)
    try:
        write(Path(tmp_name))
        os.replace(tmp_name, destination)
    finally:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
    return destination
