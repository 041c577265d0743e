"""lib.course.toolstate: every tool's state in the run's folders, and a scratch home that leaves nothing behind."""

from pathlib import Path

import pytest

from lib.course import toolstate


def test_environment_puts_each_tool_under_the_root(tmp_path):
    """Each tool's variable names its own folder under the root; Jupyter prefers the environment's kernel."""
    variables = toolstate.environment(tmp_path)
    folders = {name: Path(value) for name, value in variables.items() if name in toolstate.STATE_FOLDERS}
    assert folders.keys() == toolstate.STATE_FOLDERS.keys()
    assert all(tmp_path in (folder.parent, folder.parent.parent) for folder in folders.values())
    assert len(set(folders.values())) == len(folders), "two tools share a folder"
    assert variables["PYLINTHOME"] == str(tmp_path / "pylint")
    assert variables["JUPYTER_PREFER_ENV_PATH"] == "1" and variables["JUPYTER_PATH"] == ""


def test_home_environment_moves_home_and_xdg_folders(tmp_path):
    """HOME, the XDG folders and every tool's folder point inside the new home."""
    variables = toolstate.home_environment(tmp_path)
    assert variables["HOME"] == str(tmp_path) and variables["XDG_CACHE_HOME"] == str(tmp_path / ".cache")
    paths = [Path(value) for name, value in variables.items() if name not in toolstate.FIXED]
    assert all(path == tmp_path or tmp_path in path.parents for path in paths)


def test_scratch_home_is_empty_and_deleted_even_after_an_error():
    """The scratch home starts empty and is gone afterwards, also when the run raised."""
    seen = []
    with pytest.raises(RuntimeError, match="the run failed"), toolstate.scratch_home() as variables:
        home = Path(variables["HOME"])
        seen.append(home.is_dir() and not any(home.iterdir()))
        (home / "left-behind").write_text("x", encoding="utf-8")
        raise RuntimeError("the run failed")
    assert seen == [True] and not home.exists()
