"""UI login, sessions, CSRF and security headers, as a browser would meet them."""

from __future__ import annotations

import warnings

from conftest import HTML, csrf_of, login_token

from edgeweave.server import AuthConfig, create_app
from edgeweave.server.ui import session as ui_session
from edgeweave.store import repository as repo

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


def _client(api, **kw) -> TestClient:  # type: ignore[no-untyped-def]
    return TestClient(api.client.app, follow_redirects=False, **kw)


def _login(client, user="admin", password="pw", next_="/"):  # type: ignore[no-untyped-def]
    return client.post("/login", data={"user": user, "password": password,
                                       "login_token": login_token(client), "next": next_})


def test_pages_redirect_to_login_and_back_to_where_you_were(api):
    client = _client(api)
    resp = client.get("/dags/tiny/grid", headers=HTML)
    assert resp.status_code == 303 and resp.headers["location"] == "/login?next=/dags/tiny/grid"
    resp = _login(client, next_="/dags/tiny/grid")
    assert resp.status_code == 303 and resp.headers["location"] == "/dags/tiny/grid"
    assert "tiny" in client.get("/dags/tiny/grid").text


def test_wrong_password_is_refused_without_a_session(api):
    client = _client(api)
    resp = _login(client, password="nope")
    assert resp.status_code == 401 and "Wrong user name or password" in resp.text
    assert "ew_session" not in resp.cookies
    assert client.get("/").status_code == 303


def test_login_form_needs_its_own_token(api):
    client = _client(api)
    client.get("/login")
    resp = client.post("/login", data={"user": "admin", "password": "pw", "login_token": "forged"})
    assert resp.status_code == 403 and "expired or came from another site" in resp.text


def test_open_redirects_are_refused(api):
    for target in ("//evil.example/x", "https://evil.example", "/\\evil.example"):
        resp = _login(_client(api), next_=target)
        assert resp.status_code == 303 and resp.headers["location"] == "/"


def test_session_cookie_is_httponly_samesite_and_only_hashed_on_disk(api):
    client = _client(api)
    resp = _login(client)
    cookie = resp.headers["set-cookie"]
    assert "ew_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # plain http on loopback; see the next test for https
    session_id = client.cookies["ew_session"]
    assert session_id not in api.auth.store().path.read_text()


def test_cookies_are_secure_over_https_or_when_configured(api, tmp_path):
    resp = _login(_client(api, base_url="https://testserver"))
    assert "Secure" in resp.headers["set-cookie"]
    app = create_app(api.engine, api.client.app.state.edgeweave.bag,
                     auth=AuthConfig(api.auth.path, secure_cookies=True))
    with TestClient(app, follow_redirects=False) as client:
        assert "Secure" in _login(client).headers["set-cookie"]


def test_repeated_failures_are_throttled(api, monkeypatch):
    monkeypatch.setattr(ui_session, "THROTTLE", ui_session.Throttle())
    client = _client(api)
    for _ in range(ui_session.MAX_FAILURES):
        assert _login(client, password="bad").status_code == 401
    resp = _login(client)  # even the right password, until the window passes
    assert resp.status_code == 429 and "Too many failed logins" in resp.text


def test_cookie_session_uses_the_api_with_csrf_on_writes(api, browser):
    admin = browser("admin")
    assert admin.get("/api/v1/dags").status_code == 200
    before = len(repo.list_runs(api.engine))
    token = admin.headers.pop("X-CSRF-Token")
    resp = admin.post("/api/v1/dags/tiny/runs", json={"params": {}})
    assert resp.status_code == 403 and "CSRF" in resp.json()["detail"]
    assert "reload the page" in resp.json()["hint"]
    resp = admin.post("/api/v1/dags/tiny/runs", json={"params": {}}, headers={"X-CSRF-Token": "0" * 64})
    assert resp.status_code == 403
    assert len(repo.list_runs(api.engine)) == before
    resp = admin.post("/api/v1/dags/tiny/runs", json={"params": {}}, headers={"X-CSRF-Token": token})
    assert resp.status_code == 201


def test_viewer_session_cannot_write(api, browser):
    viewer = browser("viewer")
    resp = viewer.post("/api/v1/dags/tiny/runs", json={"params": {}})
    assert resp.status_code == 403 and "viewer" in resp.json()["detail"]
    resp = viewer.patch("/api/v1/dags/tiny", json={"is_paused": True})
    assert resp.status_code == 403
    assert repo.list_runs(api.engine) == [] and not repo.is_paused(api.engine, "tiny")


def test_logout_ends_the_session_on_the_server(api, browser):
    admin = browser("admin")
    old = admin.cookies["ew_session"]
    resp = admin.post("/logout", data={"csrf": csrf_of(admin.get("/").text)})
    assert resp.status_code == 303 and resp.headers["location"] == "/login"
    replay = _client(api)
    replay.cookies.set("ew_session", old)
    assert replay.get("/", headers=HTML).status_code == 303
    assert replay.get("/api/v1/dags").status_code == 401


def test_logout_without_csrf_keeps_the_session(api, browser):
    admin = browser("admin")
    session_id = admin.cookies["ew_session"]
    admin.post("/logout", data={"csrf": "forged"})  # a cross-site form post cannot end it
    assert api.auth.store().session_user(session_id) is not None


def test_demoted_user_loses_rights_at_once(api, browser):
    operator = browser("operator")
    assert operator.patch("/api/v1/dags/tiny", json={"is_paused": True}).status_code == 200
    api.auth.store().add_user("operator", "viewer", "pw")
    assert operator.patch("/api/v1/dags/tiny", json={"is_paused": False}).status_code == 403


def test_security_headers_forbid_inline_script_and_framing(api):
    resp = _client(api).get("/login")
    csp = resp.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert resp.headers["x-frame-options"] == "DENY" and resp.headers["x-content-type-options"] == "nosniff"
    assert "<script>" not in resp.text  # every script is a file under /static


def test_auth_disabled_makes_pages_open(api, tmp_path):
    app = create_app(api.engine, api.client.app.state.edgeweave.bag, auth=AuthConfig(enabled=False))
    with TestClient(app, follow_redirects=False) as client:
        page = client.get("/")
        assert page.status_code == 200 and "anonymous" in page.text
