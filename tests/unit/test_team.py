"""lib.course.team without services: names, secrets' file modes, env files, and the install hint."""

import socket

import pytest

from lib import ports
from lib.course import team


def test_secrets_are_generated_once_and_private(tmp_path):
    """Random, long, never MLflow's old default, written 0600, and the same on every later read."""
    stack = team.Team(tmp_path)
    first = stack.admin_auth()
    assert first[0] == "admin" and len(first[1]) >= 24 and first[1] != "password1234"
    assert (tmp_path / "secrets.json").stat().st_mode & 0o777 == 0o600
    assert team.Team(tmp_path).admin_auth() == first


def test_env_files_are_read_as_key_value_lines(tmp_path):
    """Comments and blank lines are skipped; a value may contain '='."""
    path = tmp_path / "team.env"
    path.write_text("# alice's access\n\nMLFLOW_TRACKING_URI=http://127.0.0.1:5050\nTOKEN=a=b\n")
    assert team.read_env(path) == {"MLFLOW_TRACKING_URI": "http://127.0.0.1:5050", "TOKEN": "a=b"}


@pytest.mark.parametrize("name", ["admin", "ana bruno", "../x", ""])
def test_a_member_name_must_be_a_plain_word(tmp_path, name):
    """Names become account names, folder names and key comments: the error says what is allowed."""
    with pytest.raises(team.TeamError, match="expected letters, digits"):
        team.Team(tmp_path).add_member(name)


def test_an_unknown_member_names_the_command_that_adds_one(tmp_path):
    """Asking for a member who does not exist says how to create them."""
    with pytest.raises(team.TeamError, match="add-member carla"):
        team.Team(tmp_path).member("carla")


def test_the_stack_remembers_its_address(tmp_path):
    """load() gives back the host and ports the stack was started with (defaults before that)."""
    assert team.load(tmp_path).ports == team.Ports()
    (tmp_path / "stack.json").write_text('{"host": "10.0.0.5", "ports": {"postgres": 1, "mlflow": 2, "ssh": 3}}')
    loaded = team.load(tmp_path)
    assert (loaded.host, loaded.ports, loaded.tracking_uri) == ("10.0.0.5", team.Ports(1, 2, 3), "http://10.0.0.5:2")


def test_a_taken_port_names_the_make_variable_that_moves_it(tmp_path):
    """team-up stops before starting anything when a service's port is taken, naming TEAM_<SERVICE>_PORT."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        stack = team.Team(tmp_path, ports=team.Ports(postgres=ports.free_port(), mlflow=port, ssh=ports.free_port()))
        with pytest.raises(team.TeamError, match=rf"mlflow: port {port} .* make team-up TEAM_MLFLOW_PORT=\d+"):
            stack.up()
    assert not (tmp_path / "pg").exists(), "nothing may start when a port is taken"


def test_the_command_line_takes_each_port(tmp_path, monkeypatch):
    """--mlflow-port, --ssh-port and --postgres-port reach the stack (make team-up TEAM_*_PORT=...)."""
    seen = {}
    monkeypatch.setattr(team.Team, "up", lambda self, members=None: seen.setdefault("ports", self.ports) and 0.0)
    args = ["--home", str(tmp_path), "up", "--mlflow-port", "6001", "--ssh-port", "6002", "--postgres-port", "6003"]
    assert team.main(args) == 0
    assert seen["ports"] == team.Ports(postgres=6003, mlflow=6001, ssh=6002)
