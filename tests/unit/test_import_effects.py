"""Importing lib changes nothing in the importing process but the documented telemetry switches.

(Libraries lib imports may add warnings filters of their own, numpy and scikit-learn do; lib adds none at
import, which ``test_no_lib_module_filters_warnings_or_edits_the_environment_at_import`` checks in the source.)
"""

import ast
import json
import os
import subprocess
import sys

import pytest

from lib import TELEMETRY_OFF
from tests.sandbox import WORKTREE

PROBE = """
import json, os, sys, warnings
before = (dict(os.environ), len(warnings.filters), set(sys.modules))
import {module}
after = (dict(os.environ), len(warnings.filters))
changed = sorted(k for k in set(before[0]) | set(after[0]) if before[0].get(k) != after[0].get(k))
import pandas.core.dtypes.common as common
print(json.dumps({{"changed": changed, "filters": after[1] - before[1],
                   "pandas_patched": hasattr(common, "infer_dtype_from_object") and "pandas" in sys.modules}}))
"""


def probe(module: str) -> dict:
    """Import ``module`` in a fresh interpreter, with the colour switches a kernel sets; report what changed."""
    env = {key: value for key, value in os.environ.items() if key not in TELEMETRY_OFF}
    env |= {"FORCE_COLOR": "1", "CLICOLOR_FORCE": "1", "TERM": "xterm-color"}
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(module=module)],
        cwd=WORKTREE,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.splitlines()[-1])


@pytest.mark.slow
def test_importing_lib_sets_only_the_telemetry_switches():
    """``import lib``, the API's package and the monitoring and loop packages set the switches of telemetry.env
    and nothing else (no PATH, TERM or NO_COLOR), and leave pandas as it is (Evidently's stand-in is a call)."""
    for module in ("lib", "lib.serving", "lib.monitoring", "lib.loop"):
        seen = probe(module)
        assert seen["changed"] == sorted(TELEMETRY_OFF), (module, seen)
        assert not seen["pandas_patched"], (module, seen)


@pytest.mark.slow
def test_the_stand_in_is_what_lets_evidently_import():
    """The probe can fail: after ``evidently_on_pandas3()`` pandas has the name, and Evidently imports."""
    code = "from lib import monitoring; monitoring.evidently_on_pandas3(); import evidently; print('ok')"
    done = subprocess.run([sys.executable, "-c", code], cwd=WORKTREE, capture_output=True, text=True, check=False)
    assert done.stdout.strip() == "ok", done.stderr[-2000:]
    assert probe("lib.monitoring")["pandas_patched"] is False


MODULE_LEVEL_EFFECTS = (
    "warnings.filterwarnings",
    "warnings.simplefilter",
    "os.environ.update",
    "os.environ.setdefault",
)


def test_no_lib_module_filters_warnings_or_edits_the_environment_at_import():
    """No statement at a module's top level of lib/ (outside functions) filters warnings or edits os.environ;
    lib/__init__.py's telemetry switches are the one exception."""
    found = []
    for path in sorted((WORKTREE / "lib").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for statement in tree.body:
            if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                continue
            for node in ast.walk(statement):
                call = ast.unparse(node.func) if isinstance(node, ast.Call) else ""
                if call in MODULE_LEVEL_EFFECTS or (
                    isinstance(node, ast.Subscript)
                    and "os.environ" in ast.unparse(node)
                    and isinstance(getattr(node, "ctx", None), ast.Store)
                ):
                    found.append(f"{path.relative_to(WORKTREE)}:{node.lineno}: {ast.unparse(node)[:80]}")
    assert found, "the telemetry switches of lib/__init__.py were not found: is the check still looking?"
    assert all(entry.startswith("lib/__init__.py:") and "TELEMETRY_OFF" in entry for entry in found), found
