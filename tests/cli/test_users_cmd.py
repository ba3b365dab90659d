"""`edgeweave users`: create users for the dashboard, tokens, removal; bad input exits cleanly."""

from __future__ import annotations

import re

import pytest

from edgeweave.cli.main import main
from edgeweave.server import AuthConfig, Role


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("EDGEWEAVE_HOME", str(tmp_path))
    return tmp_path


def _run(capsys, *args: str) -> tuple[int, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out + out.err


def test_add_user_with_token_then_log_in_and_call_the_api(home, capsys):
    code, out = _run(capsys, "users", "add", "ops", "--role", "operator", "--token")
    assert code == 0
    password = re.search(r"password: (\S+)", out).group(1)
    token = re.search(r"(ew_\w+_\S+)", out).group(1)
    store = AuthConfig(home / "auth.json").store()
    assert store.check_password("ops", password).role == Role.OPERATOR
    assert store.authenticate(token).user == "ops"
    code, out = _run(capsys, "users", "list")
    assert code == 0 and "ops" in out and "operator" in out


def test_remove_user_drops_tokens_and_sessions(home, capsys):
    _run(capsys, "users", "add", "temp", "--token")
    store = AuthConfig(home / "auth.json").store()
    session = store.create_session("temp")
    assert _run(capsys, "users", "remove", "temp")[0] == 0
    assert store.session_user(session) is None and store.users() == {}


def test_bad_role_and_unknown_user_are_clear_errors(home, capsys):
    code, out = _run(capsys, "users", "add", "x", "--role", "root")
    assert code == 2 and "unknown role 'root'" in out and "viewer, operator, admin" in out
    code, out = _run(capsys, "users", "remove", "ghost")
    assert code == 10 and "no user 'ghost'" in out
    code, out = _run(capsys, "users", "add", "bad name")
    assert code == 2 and "bad user name" in out
