"""Session set-up for ``tests/`` and for nbval's run of ``notebooks/``.

Every test reads and writes a scratch copy of the project, never the working
tree: see ``tests/sandbox.py``. The session also runs in a new, empty home
(``lib.course.toolstate``): no test, tool or lesson it runs reads what the user's home holds.
"""

import os
from contextlib import ExitStack

import pytest
from _pytest.nodeid import NodeId

from lib import data, paths
from lib.course import toolstate
from tests import sandbox

pytest_plugins = ["tests.nbval_pipeline", "tests.grading"]


def pytest_configure(config):
    if not hasattr(config, "workerinput"):  # pytest-xdist's workers inherit the controller's home
        config.stash[HOME] = ExitStack()
        os.environ.update(config.stash[HOME].enter_context(toolstate.scratch_home("penguins-test-home-")))
    config.stash[SANDBOX] = sandbox.configure(getattr(config, "workerinput", None))
    if not hasattr(config, "workerinput"):  # checked where the session ends: see pytest_sessionfinish
        config.stash[WORKTREE_BEFORE] = sandbox.worktree_state()


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node):
    """pytest-xdist (``make test``, ``make test-fast``): each worker uses the controller's copy of the project."""
    node.workerinput.update(sandbox.worker_input(node.config.stash[SANDBOX]))


SANDBOX = pytest.StashKey[sandbox.Sandbox]()
HOME = pytest.StashKey[ExitStack]()
WORKTREE_BEFORE = pytest.StashKey[object]()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """Build the pipeline before nbval starts the first notebook's kernel."""
    if item.path.suffix == ".ipynb":
        item.config.stash[SANDBOX].ensure_pipeline()


def pytest_itemcollected(item):
    """Mark what needs the pipeline (notebooks, and tests using ``project``), before ``-m`` selects.

    ``make test-fast`` deselects the ``pipeline`` and ``slow`` tests. A test may also get a
    group, which pytest-xdist's ``--dist loadgroup`` (``make test``) keeps on one worker:
    every test that needs the pipeline is in one, in this order, as a single process runs
    them (they share the one built copy, and some change a file of it for a moment and put
    it back); the tests of a module with a module- or class-scoped fixture (a generated
    project, a running server) are in one, so it is made once. The others go wherever a
    worker is free.
    """
    if item.path.suffix == ".ipynb" or "project" in getattr(item, "fixturenames", ()):
        item.add_marker(pytest.mark.pipeline)
    if _needs_pipeline(item):  # also a test marked by hand (a planted wrong answer asks for its fixtures itself)
        item.add_marker(pytest.mark.xdist_group("pipeline"))
    elif _shares_fixtures(item):
        item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::")[0]))


def _shares_fixtures(item) -> bool:
    """Whether a test uses a fixture made once for several tests of its module or class (not this file's own)."""
    definitions = getattr(getattr(item, "_fixtureinfo", None), "name2fixturedefs", {})
    return any(
        defs and defs[-1].scope in ("package", "module", "class") and name not in EVERY_MODULE
        for name, defs in definitions.items()
    )


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Order the session: tests that need no pipeline first, while it is built in the background.

    Under pytest-xdist's ``--dist loadgroup --no-loadscope-reorder`` (``make test``) the order
    is the order in which the controller hands out the groups: the pipeline's tests first (one
    worker waits for the build, which keeps both cores busy meanwhile, then runs them), then the
    slow tests (generated projects, servers: the longest units start early instead of ending
    the run alone), then the rest. Each group keeps pytest's order (the sort is stable).
    """
    if getattr(config.option, "loadgroup", False):  # a worker of pytest-xdist's --dist loadgroup (set by xdist)
        rank = {}  # a group's rank: that of its first item, so that a group is never split
        for item in items:
            key = _group(item) or item.nodeid
            here = 0 if _needs_pipeline(item) else 1 if item.get_closest_marker("slow") else 2
            rank[key] = min(rank.get(key, here), here)
        items.sort(key=lambda item: rank[_group(item) or item.nodeid])
        _name_groups(items)
    else:
        items.sort(key=_needs_pipeline)


def _needs_pipeline(item) -> bool:
    return bool(item.get_closest_marker("pipeline"))


def _group(item) -> str | None:
    mark = item.get_closest_marker("xdist_group")
    return mark.args[0] if mark else None


def _name_groups(items) -> None:
    """Put each test's ``xdist_group`` at the end of its node id (``path::test@group``): how the controller sees it.

    pytest-xdist 3.8 does this by setting ``item._nodeid``, which pytest 9.2 no longer reads
    (the node id is ``item._id``): its groups are silently ignored, and the tests of a group
    are spread over the workers. tests/project/test_sandbox.py checks that a group stays on one worker.
    """
    for item in items:
        group = _group(item)
        if group is not None and not item.nodeid.endswith(f"@{group}"):
            item._id = NodeId.parse(f"{item.nodeid}@{group}")  # pylint: disable=protected-access


def pytest_collection_finish(session):
    """Start building the pipeline in the background if a selected test will need it."""
    if any(item.get_closest_marker("pipeline") for item in session.items):
        session.config.stash[SANDBOX].start_pipeline()


def pytest_unconfigure(config):
    """Delete the session's scratch home."""
    home = config.stash.get(HOME, None)
    if home is not None:
        home.close()


def pytest_sessionfinish(session, exitstatus):
    """Fail a session that changed the working tree; delete the sandbox after a green run, else say where it is.

    Both in the one process that ran the tests, or in pytest-xdist's controller once every
    worker has finished (a check in a test could run while the other worker still runs).
    """
    if hasattr(session.config, "workerinput"):
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    before = session.config.stash.get(WORKTREE_BEFORE, None)
    changed = sandbox.worktree_changes(before, sandbox.worktree_state()) if before is not None else []
    if changed:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        if reporter is not None:
            reporter.write_line(f"the test run changed the working tree {sandbox.WORKTREE} (git status):", red=True)
            for entry in changed:
                reporter.write_line(f"  {entry}")
    box = session.config.stash.get(SANDBOX, None)
    if box is None or not box.owned:
        return
    box.stop_pipeline()
    if session.exitstatus == 0:
        box.cleanup()
    elif reporter is not None:
        reporter.write_line(f"pipeline sandbox kept for inspection: {box.root}")


MLFLOW_URIS = ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")
EVERY_MODULE = {"_mlflow_uris_put_back"}  # this file's module-scoped autouse fixture: keeps no module together


@pytest.fixture(scope="module", autouse=True)
def _mlflow_uris_put_back():
    """Put back the MLflow URIs of the environment after each module's tests (and its fixtures: made after).

    ``mlflow.set_tracking_uri`` and ``set_registry_uri`` (and so ``lib.tracking.configure``) also write
    ``MLFLOW_TRACKING_URI`` and ``MLFLOW_REGISTRY_URI`` into ``os.environ``, for subprocesses: a test
    that points MLflow at its own server or store would otherwise hand it to every later module's
    subprocesses (a generated project registering its model on a team server stopped long before).
    """
    saved = {name: os.environ.get(name) for name in MLFLOW_URIS}
    yield
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(scope="session")
def project(request) -> sandbox.Sandbox:
    """The session's project, with the pipeline run in it (built on first use)."""
    box = request.config.stash[SANDBOX]
    box.ensure_pipeline()
    return box


@pytest.fixture(scope="session")
def raw(project):
    """The raw export the session's pipeline acquired (under its root, whatever root a test has set meanwhile)."""
    return data.load_raw(project.root / paths.LAYOUT["RAW_DATA_FILE"])


@pytest.fixture(scope="session")
def splits(project):
    """The pipeline's (train, test) splits (under its root, whatever root a test has set meanwhile)."""
    return tuple(data.load_processed(project.root / paths.LAYOUT[name]) for name in ("TRAIN_FILE", "TEST_FILE"))
