"""Every path of the project, derived from one root.

The root is ``$PENGUINS_PROJECT_ROOT`` when it is set (the tests use it to run the
lessons in a scratch copy), else the folder that holds this package. Notebooks,
DVC stages and the API all import these constants, so a path never depends on
the current working directory.
"""

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT_ENV_VAR = "PENGUINS_PROJECT_ROOT"


def project_root() -> Path:
    """Return the project root: ``$PENGUINS_PROJECT_ROOT`` if set, else the parent of ``lib/``."""
    override = os.environ.get(ROOT_ENV_VAR)
    if override:
        return Path(override).expanduser().resolve()
    return Path(__file__).resolve().parents[1]


PROJ_ROOT = project_root()

PARAMS_FILE = PROJ_ROOT / "params.yaml"
DVC_FILE = PROJ_ROOT / "dvc.yaml"

DATA_DIR = PROJ_ROOT / "data"
RAW_DATA_DIR = DATA_DIR / "raw"
RAW_DATA_FILE = RAW_DATA_DIR / "penguins_raw.csv"
PROCESSED_DATA_DIR = DATA_DIR / "processed"
TRAIN_FILE = PROCESSED_DATA_DIR / "train.csv"
TEST_FILE = PROCESSED_DATA_DIR / "test.csv"

MODELS_DIR = PROJ_ROOT / "models"
NOTEBOOKS_DIR = PROJ_ROOT / "notebooks"
LIB_DIR = PROJ_ROOT / "lib"
TESTS_DIR = PROJ_ROOT / "tests"

DOCS_DIR = PROJ_ROOT / "docs"
CARDS_DIR = DOCS_DIR / "cards"
DATASET_CARD_FILE = CARDS_DIR / "dataset_card.md"
MODEL_CARD_FILE = CARDS_DIR / "model_card.md"

REPORTS_DIR = PROJ_ROOT / "reports"
NOTEBOOK_REPORTS_DIR = REPORTS_DIR / "notebooks"
METRICS_DIR = PROJ_ROOT / "metrics"


def relative(path: os.PathLike | str) -> str:
    """Return ``path`` relative to the project root (POSIX style) when it lies inside it.

    Lessons print paths this way, so their saved outputs are the same on every
    machine. A path outside the project is returned unchanged.
    """
    resolved = Path(path).expanduser().resolve()
    try:
        return resolved.relative_to(PROJ_ROOT).as_posix()
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
