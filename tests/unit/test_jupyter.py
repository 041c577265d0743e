"""lib.course.jupyter: the kernel starts with telemetry off, JupyterLab fetches no news, other settings survive."""

import json
import sys

import pytest

from lib import TELEMETRY_OFF
from lib.course import jupyter, toolstate


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
    path = {"PATH": f"{prefix / 'bin'}:${{PATH}}"}
    assert spec["env"] == {"MY_VAR": "1", **TELEMETRY_OFF, **jupyter.QUIET, **state, **path}
    assert spec["argv"] == ["python"] and state["PYLINTHOME"] == str(prefix / "var" / "pylint")
    assert jupyter.startup_file(prefix).read_text(encoding="utf-8") == jupyter.STARTUP
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
    """make setup ran lib.course.jupyter here: the project's kernel has telemetry off and its tools' state in the
    environment, not the home; the lab fetches no news."""
    spec = json.loads(jupyter.kernelspec_file(sys.prefix).read_text())
    expected = TELEMETRY_OFF | toolstate.environment(jupyter.state_folder(sys.prefix))
    assert expected.items() <= spec.get("env", {}).items(), "run 'make setup' (it runs python -m lib.course.jupyter)"
    assert jupyter.startup_file(sys.prefix).read_text(encoding="utf-8") == jupyter.STARTUP
    settings = json.loads(jupyter.overrides_file(sys.prefix).read_text())
    assert settings[jupyter.NOTIFICATIONS]["fetchNews"] == "false"


def test_the_startup_file_leaves_plain_output_and_an_empty_namespace():
    """Run as IPython runs it after ipykernel's set-up: the colour switches are gone, NO_COLOR and TERM=dumb
    are set, and the lesson's namespace gains nothing."""
    namespace: dict = {"__name__": "__main__"}
    forced = {"FORCE_COLOR": "1", "CLICOLOR_FORCE": "1", "CLICOLOR": "1", "TERM": "xterm-color"}
    with pytest.MonkeyPatch.context() as patch:
        for name, value in forced.items():
            patch.setenv(name, value)
        patch.delenv("NO_COLOR", raising=False)
        exec(compile(jupyter.STARTUP, "00-course-kernel.py", "exec"), namespace)  # noqa: S102
        import os  # noqa: PLC0415

        assert not {"FORCE_COLOR", "CLICOLOR_FORCE", "CLICOLOR"} & set(os.environ)
        assert os.environ["NO_COLOR"] == "1" and os.environ["TERM"] == "dumb"
    assert set(namespace) == {"__name__", "__builtins__", "__doc__"}
