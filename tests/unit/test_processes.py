"""lib.processes: tools started from a lesson print plain text and are the project's own."""

import sys
import types
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


def test_a_kernel_never_keeps_two_servers_of_the_same_name(monkeypatch):
    """In a Jupyter kernel, starting a server again under its name stops the one started before (lesson re-runs)."""
    monkeypatch.setitem(sys.modules, "ipykernel", types.ModuleType("ipykernel"))
    monkeypatch.setattr(processes, "_STARTED_IN_KERNEL", {})

    def start():
        port = processes.free_port()
        command = [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"]
        return processes.launch(command, f"http://127.0.0.1:{port}", "/", timeout=30, name="a file server")

    first = start()
    second = start()
    try:
        assert first.process.poll() is not None, "the first server still runs"
        assert second.process.poll() is None
    finally:
        second.stop()
        first.stop()
