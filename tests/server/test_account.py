"""Changing your own password: the current one is checked, other sessions end, tokens stay."""

from __future__ import annotations

V1 = "/api/v1/me/password"


def test_a_user_changes_their_password_and_other_sessions_end(api):
    store = api.auth.store()
    other_session = store.create_session("operator")
    resp = api.post(V1, role="operator", json={"current": "pw", "new": "a much better one"})
    assert resp.status_code == 200
    assert store.check_password("operator", "a much better one") is not None
    assert store.check_password("operator", "pw") is None
    assert store.session_user(other_session) is None
    assert api.get("/api/v1/dags", role="operator").status_code == 200  # the token still works
    assert store.users()["operator"]["role"] == "operator"


def test_wrong_current_or_short_new_password_changes_nothing(api):
    before = api.auth.store().path.read_text()
    wrong = api.post(V1, role="viewer", json={"current": "nope", "new": "long enough pw"})
    assert wrong.status_code == 403 and "current password is wrong" in wrong.json()["detail"]
    short = api.post(V1, role="viewer", json={"current": "pw", "new": "short"})
    assert short.status_code == 400 and "at least 10" in short.json()["hint"]
    assert api.auth.store().path.read_text() == before
    assert api.client.post(V1, json={"current": "pw", "new": "long enough pw"}).status_code == 401
