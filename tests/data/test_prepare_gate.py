"""The prepare stage's gate on the split it writes: lesson 2.1's own cell, run with a bad split planted."""

import hashlib

import nbformat
import pandas as pd
import pytest

from lib import data, paths, validation
from tests.sandbox import WORKTREE

LESSON = WORKTREE / "notebooks" / "2.1-data-versioning.ipynb"


def split_cell() -> str:
    """The source of the lesson's cell that splits the clean data and writes the two files."""
    cells = [c for c in nbformat.read(LESSON, as_version=4).cells if c.cell_type == "code"]
    (cell,) = [c for c in cells if "data.split(" in c.source and "data.write_csv" in c.source]
    return cell.source


def run_split_cell(root, split) -> dict:
    """Run the lesson's split cell in a project at ``root`` with ``split`` in place of ``data.split``."""
    namespace = {"data": data, "validation": validation, "paths": paths, "test_size": 0.25, "seed": 42}
    namespace["clean"] = data.clean(data.load_raw(data.packaged_raw_export()))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(paths.ROOT_ENV_VAR, str(root))
        patch.setattr(data, "split", split)
        exec(split_cell(), namespace)  # noqa: S102  # the lesson's own code
    return namespace


def digests(files) -> dict:
    return {file.name: hashlib.md5(file.read_bytes()).hexdigest() for file in files}


@pytest.mark.slow
def test_a_leaking_split_is_stopped_before_anything_is_written(tmp_path, monkeypatch):
    """A split whose test set repeats ten training birds fails the processed suite, naming the expectation,
    and the last good split stays byte for byte."""
    real_split = data.split
    good = run_split_cell(tmp_path, real_split)
    monkeypatch.setenv(paths.ROOT_ENV_VAR, str(tmp_path))
    files = [paths.TRAIN_FILE, paths.TEST_FILE]
    before = digests(files)
    assert good["checked"].success and all(file.is_file() for file in files)

    def leaking(clean, test_size, seed):
        train, test = real_split(clean, test_size=test_size, seed=seed)
        return train, pd.concat([test, train.head(10)])

    with pytest.raises(validation.DataValidationError, match="expect_compound_columns_to_be_unique") as error:
        run_split_cell(tmp_path, leaking)
    assert "The split is wrong, not the delivery" in str(error.value) and "raw_source" not in str(error.value)
    assert digests(files) == before


def test_the_gate_comes_before_the_files_in_the_lesson():
    """In the cell, validation.require runs on the split before the first data.write_csv."""
    source = split_cell()
    assert source.index("validation.require(validation.validate_processed(") < source.index("data.write_csv")
