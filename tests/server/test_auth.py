"""The token store: first-start admin, password and token hashes, roles, file mode."""

from __future__ import annotations

import json
import stat

import pytest

from edgeweave.errors import NotFoundError, ParameterError
from edgeweave.server import AuthConfig, Principal, Role


def test_ensure_admin_returns_credentials_only_once(tmp_path):
    store = AuthConfig(tmp_path / "auth.json").store()
    creds = store.ensure_admin()
    assert creds is not None and creds.user == "admin"
    assert store.ensure_admin() is None
    assert store.authenticate(creds.token) == Principal("admin", Role.ADMIN)
    assert store.check_password("admin", creds.password) == Principal("admin", Role.ADMIN)
    assert store.check_password("admin", "wrong") is None


def test_only_hashes_are_stored_and_the_file_is_private(tmp_path):
    path = tmp_path / "auth.json"
    store = AuthConfig(path).store()
    creds = store.ensure_admin()
    assert creds is not None
    text = path.read_text()
    assert creds.password not in text and creds.token.split("_", 2)[2] not in text
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert set(json.loads(text)) == {"users", "tokens", "sessions"}


def test_tokens_roles_and_revocation(tmp_path):
    store = AuthConfig(tmp_path / "auth.json").store()
    store.add_user("ops", Role.OPERATOR, "pw")
    token = store.create_token("ops")
    who = store.authenticate(token)
    assert who is not None and who.can(Role.VIEWER) and who.can(Role.OPERATOR)
    assert not who.can(Role.ADMIN)
    prefix, token_id, secret = token.split("_", 2)
    assert store.authenticate(f"{prefix}_{token_id}_{secret[:-1]}x") is None
    assert store.revoke(token) and store.authenticate(token) is None


def test_bad_user_names_and_unknown_users(tmp_path):
    store = AuthConfig(tmp_path / "auth.json").store()
    with pytest.raises(ParameterError):
        store.add_user("../x", Role.VIEWER)
    with pytest.raises(NotFoundError):
        store.create_token("nobody")
