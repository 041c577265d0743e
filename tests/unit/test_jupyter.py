"""lib.jupyter: the kernel starts with telemetry off, JupyterLab fetches no news, other settings survive."""

import json
import sys

import pytest

from lib import TELEMETRY_OFF, jupyter, toolstate


@pytest.fixture
def prefix(tmp_path):
    kernel = jupyter.kernelspec_file(tmp_path)
    kernel.parent.mkdir(parents=True)
    kernel.write_text(json.dumps({"argv": ["python"], "env": {"MY_VAR": "1"}}), encoding="utf-8")
    overrides = jupyter.overrides_file(tmp_path)
    overrides.parent.mkdir(parents=True)
    overrides.write_text(json.dumps({"@jupyterlab/apputils-extension:themes": {"theme": "JupyterLab Dark"}}))
    return tmp_path


def test_configure_sets_both_and_keeps_other_settings(prefix):
    """Telemetry switches and the tools' state folders join the kernel's env; news off joins the overrides."""
    jupyter.configure(prefix)
    spec = json.loads(jupyter.kernelspec_file(prefix).read_text())
    state = toolstate.environment(prefix / "var")
    assert spec["env"] == {"MY_VAR": "1", **TELEMETRY_OFF, **state} and spec["argv"] == ["python"]
    assert state["PYLINTHOME"] == str(prefix / "var" / "pylint") and (prefix / "var").is_dir()
    settings = json.loads(jupyter.overrides_file(prefix).read_text())
    assert settings[jupyter.NOTIFICATIONS] == {"fetchNews": "false", "checkForUpdates": False}
    assert settings["@jupyterlab/apputils-extension:themes"] == {"theme": "JupyterLab Dark"}


def test_configure_twice_changes_nothing(prefix):
    """Running make setup again rewrites the same bytes."""
    files = jupyter.configure(prefix)
    first = [f.read_bytes() for f in files]
    assert [f.read_bytes() for f in jupyter.configure(prefix)] == first


def test_configure_without_a_kernel_names_the_fix(tmp_path):
    """An environment without ipykernel gets a message with the command, and no file is written."""
    with pytest.raises(FileNotFoundError, match="make setup"):
        jupyter.configure(tmp_path)
    assert not jupyter.overrides_file(tmp_path).exists()


def test_this_environment_is_configured():
    """make setup ran lib.jupyter here: the project's kernel has telemetry off and its tools' state in the
    environment, not the home; the lab fetches no news."""
    spec = json.loads(jupyter.kernelspec_file(sys.prefix).read_text())
    expected = TELEMETRY_OFF | toolstate.environment(jupyter.state_folder(sys.prefix))
    assert expected.items() <= spec.get("env", {}).items(), "run 'make setup' (it runs python -m lib.jupyter)"
    settings = json.loads(jupyter.overrides_file(sys.prefix).read_text())
    assert settings[jupyter.NOTIFICATIONS]["fetchNews"] == "false"
