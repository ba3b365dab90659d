"""User management over the API: admins only; secrets shown once; no admin lock-out."""

from __future__ import annotations

V1 = "/api/v1"


def test_admin_creates_a_user_who_can_then_use_the_api(api):
    resp = api.post(f"{V1}/users", json={"user": "cam_ops", "role": "operator", "token": True})
    assert resp.status_code == 201
    body = resp.json()
    assert body["role"] == "operator" and body["password"] and body["token"].startswith("ew_")
    store = api.auth.store()
    assert store.check_password("cam_ops", body["password"]) is not None
    assert body["password"] not in store.path.read_text()
    ok = api.client.patch(f"{V1}/dags/tiny", json={"is_paused": True},
                          headers={"Authorization": f"Bearer {body['token']}"})
    assert ok.status_code == 200
    users = {u["user"]: u for u in api.get(f"{V1}/users").json()}
    assert users["cam_ops"] == {"user": "cam_ops", "role": "operator", "tokens": 1, "sessions": 0}
    assert all("password" not in u and "salt" not in u for u in users.values())


def test_only_admins_manage_users_and_nothing_is_written_otherwise(api):
    before = api.auth.store().path.read_text()
    for role in ("operator", "viewer"):
        assert api.get(f"{V1}/users", role=role).status_code == 403
        assert api.post(f"{V1}/users", role=role, json={"user": "x", "role": "admin"}).status_code == 403
        assert api.post(f"{V1}/users/viewer/tokens", role=role).status_code == 403
        assert api.client.delete(f"{V1}/users/viewer", headers=api.headers(role)).status_code == 403
    assert api.auth.store().path.read_text() == before


def test_removed_user_loses_access_at_once(api):
    token = api.post(f"{V1}/users/viewer/tokens").json()["token"]
    assert api.client.get(f"{V1}/dags", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert api.client.delete(f"{V1}/users/viewer", headers=api.headers()).status_code == 200
    assert api.client.get(f"{V1}/dags", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_bad_input_and_self_lock_out_are_refused(api):
    assert api.post(f"{V1}/users", json={"user": "x", "role": "root"}).status_code == 422
    assert api.post(f"{V1}/users", json={"user": "../etc"}).status_code == 400
    assert api.post(f"{V1}/users", json={"user": "bad name"}).status_code == 400
    assert api.post(f"{V1}/users/ghost/tokens").status_code == 404
    assert api.client.delete(f"{V1}/users/ghost", headers=api.headers()).status_code == 404
    demote = api.post(f"{V1}/users", json={"user": "admin", "role": "viewer"})
    assert demote.status_code == 409 and "demote themselves" in demote.json()["detail"]
    remove = api.client.delete(f"{V1}/users/admin", headers=api.headers())
    assert remove.status_code == 409 and api.auth.store().users()["admin"]["role"] == "admin"
