"""lib.ports: a taken port stops a server's start with a message that names it and a free one."""

import socket
import subprocess
import sys

import pytest

from lib import ports
from lib.serving import __main__ as serving_main


@pytest.fixture
def taken():
    """A port on 127.0.0.1 that a listening socket holds for the test."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener.getsockname()[1]


def test_a_listening_port_is_taken_and_a_closed_one_is_free(taken):
    """is_free sees the listener; the port that free_port hands out is free."""
    assert not ports.is_free(taken)
    assert ports.is_free(ports.free_port())


def test_the_message_names_the_port_and_a_command_with_a_free_one(taken):
    """check() says which port is taken and fills a free port into the command that changes it."""
    with pytest.raises(ports.PortTaken) as error:
        ports.check(taken, change="make api PORT={port}")
    message = str(error.value)
    assert f"port {taken} on 127.0.0.1 is already taken" in message
    suggested = int(message.rsplit("PORT=", 1)[1])
    assert suggested > taken and ports.is_free(suggested)


def test_the_command_line_exits_1_with_the_message(taken):
    """What make lab and make mlflow-ui run: exit 1 and the message on stderr, no traceback; 0 when free."""
    command = [sys.executable, "-m", "lib.ports", "check", str(taken), "--change", "make lab PORT={port}"]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert done.returncode == 1
    assert f"port {taken} on 127.0.0.1 is already taken" in done.stderr and "make lab PORT=" in done.stderr
    assert "Traceback" not in done.stderr
    free = subprocess.run([*command[:4], str(ports.free_port())], capture_output=True, text=True, check=False)
    assert free.returncode == 0, free.stderr


def test_the_api_refuses_a_taken_port_before_loading_anything(taken, capsys):
    """python -m lib.serving exits 2 and names both ways to pick another port."""
    assert serving_main.main([str(taken)]) == 2
    err = capsys.readouterr().err
    assert f"cannot start the API: port {taken} on 127.0.0.1 is already taken" in err
    assert "'make api PORT=" in err and "'python -m lib.serving " in err
