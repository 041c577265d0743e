"""The Makefile on a student's machine: system packages from one target, a supported Python, ports to choose.

``make system-packages`` is exercised for real against stand-ins of ``id``, ``sudo``, ``apt-get``,
``uname`` and ``brew`` that record what they are asked, so each platform's path runs here
without installing anything.
"""

import os
import re
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from tests.sandbox import WORKTREE

MAKEFILE = (WORKTREE / "Makefile").read_text(encoding="utf-8")
COURSE_NEEDS = ("venv", "prometheus", "postgresql", "sshd")
APT = {
    "venv": "python3.12-venv",
    "prometheus": "prometheus",
    "postgresql": "postgresql",
    "sshd": "openssh-server",
    "wrk": "wrk",
}

FAKES = {
    # id -u answers FAKE_UID; everything else is the real id
    "id": '[ "$1" = "-u" ] && { echo "${FAKE_UID:-1000}"; exit 0; }\nexec /usr/bin/id "$@"\n',
    # sudo records its call; it works only where FAKE_SUDO_OK is set (passwordless sudo)
    "sudo": 'echo "sudo $*" >> "$LOG"\n[ -n "$FAKE_SUDO_OK" ] || exit 1\n[ "$1" = "-n" ] && shift\nexec "$@"\n',
    # apt-get and brew record their call and "install" each package as a file in $STATE
    "apt-get": 'echo "apt-get $*" >> "$LOG"\n'
    'for a in "$@"; do case "$a" in -*|install|update) ;; *) touch "$STATE/$a";; esac; done\n',
    "brew": 'echo "brew $*" >> "$LOG"\n[ "$1" = install ] && shift && for a in "$@"; do touch "$STATE/$a"; done\n'
    "exit 0\n",
    "uname": 'if [ "$1" = "-s" ]; then echo "${FAKE_UNAME:-Linux}"; else exec /usr/bin/uname "$@"; fi\n',
    # a Python 3.12 as Ubuntu ships it: its version, and ensurepip only once python3.12-venv is there
    "python3.12": 'case "$2" in *version_info*) echo 3.12;; *ensurepip*) test -f "$STATE/python3.12-venv";; esac\n',
}


def outside_make() -> dict[str, str]:
    """This environment without what a running make passes to the makes it starts.

    Under ``make test PYTHON=...`` the variables given to make reach every make below it through
    ``MAKEFLAGS`` and override the environment, so the make these tests start would not see their
    stand-ins.
    """
    inherited = {"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "PYTHON"}
    return {key: value for key, value in os.environ.items() if key not in inherited}


def copy_makefile(folder: Path) -> None:
    """The files the Makefile reads when it starts."""
    for name in ("Makefile", "requirements.lock", "pyproject.toml", "lib/telemetry.env"):
        (folder / name).parent.mkdir(exist_ok=True)
        shutil.copy(WORKTREE / name, folder / name)


@pytest.fixture
def machine(tmp_path):
    """A folder with the Makefile, stand-in system tools, and a run() that calls make there."""
    copy_makefile(tmp_path)
    fake, state = tmp_path / "fake", tmp_path / "state"
    fake.mkdir()
    state.mkdir()
    for name, body in FAKES.items():
        path = fake / name
        path.write_text("#!/bin/sh\n" + body, encoding="utf-8")
        path.chmod(path.stat().st_mode | stat.S_IXUSR)

    def run(*targets: str, apt: bool = True, brew_formulae: dict | None = None, **env: str):
        """Run make; the checks look for the stand-ins' files (an apt package, or a Homebrew formula)."""
        names = brew_formulae or APT
        checks = [f"CHECK_{need}=test -f {state}/{package}" for need, package in names.items() if need != "venv"]
        tools = fake if apt else tmp_path / "no-apt"
        if not apt:
            tools.mkdir(exist_ok=True)
            for name in ("id", "sudo", "uname", "brew", "python3.12"):
                (tools / name).symlink_to(fake / name)
        environ = {**outside_make(), "PATH": f"{tools}:/usr/bin:/bin", "LOG": str(tmp_path / "log")}
        environ["STATE"] = str(state)
        environ["PYTHON"] = str(fake / "python3.12")
        done = subprocess.run(
            ["make", "--no-print-directory", *checks, *targets],  # later assignments win: the test's own
            cwd=tmp_path,
            env={**environ, **env},
            capture_output=True,
            text=True,
            check=False,
        )
        log = tmp_path / "log"
        calls = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
        return done, calls

    run.state = state
    return run


def test_without_root_or_sudo_it_prints_the_command_and_stops(machine):
    """A student without sudo gets the exact apt command for what is missing, and nothing is installed.

    Ubuntu's Python needs its -venv package before .venv can be made; it is named for that Python.
    """
    (machine.state / "postgresql").touch()
    done, calls = machine("system-packages", "SYSTEM_NEEDS=venv prometheus postgresql sshd")
    assert done.returncode != 0
    assert "sudo apt-get update && sudo apt-get install -y python3.12-venv prometheus openssh-server" in done.stdout
    assert not [call for call in calls if call.startswith("apt-get")]
    # what waits for each missing package, and what does not wait at all (once Python can make .venv)
    assert "prometheus: for lessons 5.1 and 5.2" in done.stdout and "sshd: for the team stack" in done.stdout
    assert "postgresql: for" not in done.stdout  # it is there
    (machine.state / "python3.12-venv").touch()
    done, _ = machine("system-packages", "SYSTEM_NEEDS=venv prometheus postgresql sshd")
    assert "lessons 1.0 to 4.1 need none of them: 'make lab' opens them now" in done.stdout
    (machine.state / "python3.12-venv").unlink()
    lab, _ = machine("lab")  # a student with no venv module: make lab stops, and does not send them to make lab
    assert lab.returncode != 0 and "venv: for every target" in lab.stdout and "'make lab' opens" not in lab.stdout


def test_each_target_asks_only_for_the_packages_it_needs(machine):
    """Nothing installed: each target's check names only its own needs (make -n: nothing runs)."""
    expected = {
        "lab": "venv",
        "pipeline": "venv prometheus",
        "notebooks": "venv prometheus",
        "test-fast": "venv prometheus",
        "test": "venv prometheus postgresql sshd",
        "team-up": "venv postgresql sshd",
        "bench": "venv prometheus wrk",
        "system-packages": "venv prometheus",
    }
    for target, needs in expected.items():
        done, _ = machine("-n", target)
        assert f'missing="{needs}"' in done.stdout, (target, done.stdout[:300])


def test_with_passwordless_sudo_it_installs_through_sudo(machine):
    """A CI runner or the dev container: sudo -n apt-get, one install of every missing package."""
    done, calls = machine("system-packages", "SYSTEM_NEEDS=venv prometheus postgresql sshd", FAKE_SUDO_OK="1")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "sudo -n apt-get update -qq" in calls
    install = "apt-get install -y -qq python3.12-venv prometheus postgresql openssh-server"
    assert f"sudo -n env DEBIAN_FRONTEND=noninteractive {install}" in calls


def test_as_root_it_calls_apt_get_itself(machine):
    """Root needs no sudo; once everything is there, a second run installs nothing."""
    done, calls = machine("system-packages", "SYSTEM_NEEDS=venv prometheus postgresql sshd", FAKE_UID="0")
    assert done.returncode == 0, done.stdout + done.stderr
    assert not [call for call in calls if call.startswith("sudo")]
    assert "apt-get install -y -qq python3.12-venv prometheus postgresql openssh-server" in calls
    again, calls_again = machine("system-packages", "SYSTEM_NEEDS=venv prometheus postgresql sshd", FAKE_UID="0")
    assert again.returncode == 0 and calls_again == calls


def test_on_macos_it_uses_homebrew_without_sudo(machine):
    """Homebrew's formulae (postgresql@15; macOS ships sshd), never sudo."""
    formulae = {
        "prometheus": "prometheus",
        "postgresql": "postgresql@15",
        "sshd": "sshd-ships-with-macos",
        "wrk": "wrk",
    }
    (machine.state / "sshd-ships-with-macos").touch()
    (machine.state / "python3.12-venv").touch()  # Homebrew's and python.org's Pythons have ensurepip
    done, calls = machine(
        "system-packages",
        "SYSTEM_NEEDS=venv prometheus postgresql sshd",
        apt=False,
        brew_formulae=formulae,
        FAKE_UNAME="Darwin",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert calls == ["brew install prometheus postgresql@15"]


def test_a_failed_install_stops_the_target(machine):
    """If the packages are still missing after the install, make stops and names them."""
    done, _ = machine(
        "system-packages", "SYSTEM_NEEDS=venv prometheus postgresql sshd", "CHECK_sshd=false", FAKE_UID="0"
    )
    assert done.returncode != 0 and "still missing after the install:" in done.stdout and "sshd" in done.stdout


def test_make_bench_adds_wrk(machine):
    """wrk is installed for make bench only; the test stops there, before the benchmark itself."""
    for need in COURSE_NEEDS:
        (machine.state / APT[need]).touch()
    done, calls = machine("system-packages", "SYSTEM_NEEDS=venv prometheus postgresql sshd wrk", FAKE_UID="0")
    assert done.returncode == 0 and "apt-get install -y -qq wrk" in calls
    assert re.search(r"^bench: SYSTEM_NEEDS = venv prometheus wrk$", MAKEFILE, re.MULTILINE)


def recipes() -> dict[str, tuple[list[str], list[str]]]:
    """Each target of the Makefile: its prerequisites and its recipe lines."""
    found: dict[str, tuple[list[str], list[str]]] = {}
    current = None
    for line in MAKEFILE.splitlines():
        rule = re.match(r"^([a-z][a-z-]*):(?!=)([^#]*)", line)
        if rule and not re.match(r"^[a-z-]+: [A-Z_]+ [:+?]?=", line):
            current = rule[1]
            found[current] = (rule[2].split(), [])
        elif line.startswith("\t") and current:
            found[current][1].append(line)
        elif not line.startswith("\t"):
            current = None if not line.endswith("\\") else current
    return found


def test_only_system_packages_installs_and_the_main_targets_go_through_it_first():
    """No other recipe calls apt-get or brew; the targets that need the packages check them before set-up."""
    targets = recipes()
    for name, (_, lines) in targets.items():
        if name != "system-packages":
            assert not [line for line in lines if re.search(r"\b(apt-get|brew)\b", line)], name
    for name in ("pipeline", "test", "test-fast", "notebooks", "team-up", "bench", "lab"):
        prerequisites = targets[name][0]
        assert prerequisites[:2] == ["system-packages", "setup"], (name, prerequisites)


def make_setup(folder: Path, python: Path) -> subprocess.CompletedProcess:
    """``make setup PYTHON=python`` in ``folder``, outside any running make."""
    command = ["make", "--no-print-directory", "setup", f"PYTHON={python}"]
    return subprocess.run(command, cwd=folder, env=outside_make(), capture_output=True, text=True, check=False)


def test_an_unsupported_python_is_refused_with_the_fix(tmp_path):
    """make setup with Python 3.10 says which versions work and how to point at one; no .venv is made."""
    copy_makefile(tmp_path)
    old = tmp_path / "python3.10"
    old.write_text('#!/bin/sh\n[ "$1" = "--version" ] && echo "Python 3.10.12" && exit 0\nexit 1\n', encoding="utf-8")
    old.chmod(0o755)
    done = make_setup(tmp_path, old)
    assert done.returncode != 0
    assert "The course needs Python 3.11, 3.12 or 3.13; found Python 3.10.12" in done.stdout
    assert "PYTHON=/path/to/python3.12" in done.stdout
    assert not (tmp_path / ".venv").exists()


def test_the_newest_supported_python_that_runs_is_picked(tmp_path):
    """Without PYTHON: python3.13 if it runs (a pyenv shim of a version not enabled does not), else 3.12...

    PYTHON given on the command line or in the environment wins.
    """
    scripts = {"python3.13": "exit 1", "python3.12": "exit 0", "python3.11": "exit 0", "python3": "exit 0"}
    for name, body in scripts.items():
        (tmp_path / name).write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
        (tmp_path / name).chmod(0o755)

    def picked(*args: str, **env: str) -> str:
        return subprocess.run(
            ["make", "--no-print-directory", "--eval", "print-python: ; @echo $(PYTHON)", "print-python", *args],
            cwd=WORKTREE,
            env={**outside_make(), "PATH": f"{tmp_path}:/usr/bin:/bin", **env},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()

    assert picked() == f"{tmp_path}/python3.12"
    (tmp_path / "python3.13").write_text("#!/bin/sh\nexit 0\n", encoding="utf-8")
    assert picked() == f"{tmp_path}/python3.13"
    assert picked("PYTHON=python3.11") == "python3.11"
    assert picked(PYTHON="/opt/python3.12") == "/opt/python3.12"


@pytest.mark.parametrize(
    ("target", "default"),
    [
        pytest.param("api", "lib.serving 8000", id="api"),
        pytest.param("mlflow-ui", "--port 5001", id="mlflow-ui-not-5000"),
        pytest.param("lab", "--ServerApp.port=8888", id="lab"),
    ],
)
def test_every_server_port_is_a_variable(target, default):
    """Each foreground server has a default port, PORT=... moves it, and its port is checked first."""

    def dry(*args):
        return subprocess.run(
            ["make", "--no-print-directory", "-n", target, *args, "-o", "setup", "-o", ".venv/.installed"],
            cwd=WORKTREE,
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    assert default in dry()
    moved = dry("PORT=8123")
    assert default.replace(re.search(r"\d+", default)[0], "8123") in moved
    if target != "api":  # the API checks its own port (python -m lib.serving), for Docker and systemd too
        assert f"lib.ports check 8123 --change 'make {target} PORT={{port}}'" in moved


def test_a_python_without_its_venv_module_leaves_no_half_made_venv(tmp_path):
    """Debian's Python without python3.x-venv makes .venv/bin/python, then fails: make says why and removes it."""
    copy_makefile(tmp_path)
    python = tmp_path / "python3.12"
    python.write_text(
        "#!/bin/sh\n"
        'case "$*" in\n'
        "  *version_info*) exit 0;;\n"
        '  --version) echo "Python 3.12.3";;\n'
        '  "-m venv .venv") mkdir -p .venv/bin && printf "#!/bin/sh\\nexit 1\\n" > .venv/bin/python && '
        'chmod +x .venv/bin/python; echo "ensurepip is not available" >&2; exit 1;;\n'
        "esac\n",
        encoding="utf-8",
    )
    python.chmod(0o755)
    done = make_setup(tmp_path, python)
    assert done.returncode != 0
    assert "its venv module is missing; make system-packages installs it" in done.stdout, done.stdout + done.stderr
    assert not (tmp_path / ".venv").exists()
