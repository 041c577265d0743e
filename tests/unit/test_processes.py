"""lib.processes: tools started from a lesson print plain text and are the project's own."""

import sys
from pathlib import Path

from lib import processes


def test_tool_env_removes_forced_colours(monkeypatch):
    """The kernel's FORCE_COLOR and friends do not reach the tools."""
    for name in processes.FORCING:
        monkeypatch.setenv(name, "1")
    env = processes.tool_env({"EXTRA": "x"})
    assert not set(processes.FORCING) & set(env)
    assert env["NO_COLOR"] == "1" and env["EXTRA"] == "x"
    assert env["PATH"].split(":")[0] == str(Path(sys.executable).parent)


def test_tool_finds_console_scripts_beside_python():
    """Known scripts resolve to the environment's bin; unknown names pass through."""
    assert processes.tool("pynblint") == str(Path(sys.executable).with_name("pynblint"))
    assert processes.tool("no-such-tool-xyz") == "no-such-tool-xyz"
