"""lib.paths: one root, every path derived from it, whatever the working directory."""

from pathlib import Path

from lib import paths

TREE = Path(__file__).resolve().parents[2]


def test_root_defaults_to_the_folder_holding_lib(monkeypatch):
    """Without the override, the root is the parent of lib/ (the checkout)."""
    monkeypatch.delenv(paths.ROOT_ENV_VAR, raising=False)
    assert paths.project_root() == TREE


def test_root_follows_the_environment_override(monkeypatch, tmp_path):
    """$PENGUINS_PROJECT_ROOT wins, resolved to an absolute path."""
    monkeypatch.setenv(paths.ROOT_ENV_VAR, str(tmp_path))
    assert paths.project_root() == tmp_path.resolve()


def test_root_does_not_depend_on_the_working_directory(monkeypatch, tmp_path):
    """Changing directory (as nbval and DVC do) changes nothing."""
    monkeypatch.delenv(paths.ROOT_ENV_VAR, raising=False)
    monkeypatch.chdir(tmp_path)
    assert paths.project_root() == TREE


def test_every_path_lies_under_the_root():
    """Data, models, reports, cards and params all derive from PROJ_ROOT."""
    derived = [
        paths.RAW_DATA_FILE,
        paths.TRAIN_FILE,
        paths.TEST_FILE,
        paths.MODELS_DIR,
        paths.DATASET_CARD_FILE,
        paths.NOTEBOOK_REPORTS_DIR,
        paths.PARAMS_FILE,
        paths.METRICS_DIR,
    ]
    for path in derived:
        assert path.is_absolute()
        assert path.is_relative_to(paths.PROJ_ROOT), path


def test_relative_inside_and_outside_the_root(tmp_path):
    """Paths inside the project print relative (stable across machines); others unchanged."""
    assert paths.relative(paths.RAW_DATA_FILE) == "data/raw/penguins_raw.csv"
    outside = tmp_path / "elsewhere.csv"
    assert paths.relative(outside) == str(outside)


def test_ensure_parent_creates_missing_folders(tmp_path):
    """papermill and pandas do not create folders; ensure_parent does."""
    target = tmp_path / "a" / "b" / "file.csv"
    assert paths.ensure_parent(target) == target
    assert target.parent.is_dir()


def test_write_atomically_replaces_only_on_success(tmp_path):
    """A failing writer leaves the old file and no temporary file; a good one replaces it."""
    target = tmp_path / "out" / "file.txt"
    paths.write_atomically(target, lambda tmp: tmp.write_text("old"))

    def broken(tmp):
        tmp.write_text("half")
        raise OSError("disk full")

    try:
        paths.write_atomically(target, broken)
    except OSError:
        pass
    assert target.read_text() == "old" and [p.name for p in target.parent.iterdir()] == ["file.txt"]
    paths.write_atomically(target, lambda tmp: tmp.write_text("new"))
    assert target.read_text() == "new"
