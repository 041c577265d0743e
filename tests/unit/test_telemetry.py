"""Importing lib switches off every tool's telemetry, for the process and its children."""

import json
import os
import subprocess
import sys

import lib

CHILD = """
import json, os, subprocess, sys
import lib
probe = "import json, os; print(json.dumps({k: os.environ.get(k) for k in %r}))" % (sorted(lib.TELEMETRY_OFF),)
print(subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout)
"""


def test_switches_are_set_in_this_process():
    """Each tool's own variable has its off value."""
    for name, value in lib.TELEMETRY_OFF.items():
        assert os.environ[name] == value


def test_switches_override_the_caller_and_reach_grandchildren():
    """A process that imports lib exports the off values to what it starts, even if told otherwise."""
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "false", "DVC_NO_ANALYTICS": "", "GX_ANALYTICS_ENABLED": "true"}
    out = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, env=env, check=True).stdout
    assert json.loads(out) == lib.TELEMETRY_OFF
