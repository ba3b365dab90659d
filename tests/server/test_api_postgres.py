"""The API and the UI pages over PostgreSQL (reads go through the threadpool there): the
main routes answer as they do on SQLite. Skips, saying why, without a local server."""

from __future__ import annotations

import re

import pytest
from engine_fixtures import pg_engine  # noqa: F401

from edgeweave.server import AuthConfig, Role, create_app
from edgeweave.workflow import service

TINY = """
dag_id: tiny
schedule: '@daily'
params: {n: {type: integer, default: 1}}
tasks:
  - {id: a, python: os.path:basename, params: {p: x}}
  - {id: b, python: os.path:basename, params: {p: y}, needs: [a]}
"""


@pytest.fixture
def pg_client(pg_engine, tmp_path, test_client):  # noqa: F811
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "tiny.yaml").write_text(TINY)
    auth = AuthConfig(tmp_path / "auth.json")
    auth.store().add_user("admin", Role.ADMIN, "pw")
    token = auth.store().create_token("admin")
    app = create_app(pg_engine, service.load_dags([dags], examples=False), auth=auth)
    with test_client(app, follow_redirects=False) as client:
        client.headers["Authorization"] = f"Bearer {token}"
        yield client


def test_routes_and_pages_work_on_postgres(pg_client):
    run_id = pg_client.post("/api/v1/dags/tiny/runs", json={"params": {"n": 3}}).json()["run_id"]
    assert pg_client.get("/api/v1/dags").json()[0]["last_run_states"] == ["queued"]
    assert pg_client.get("/api/v1/runs?dag_id=tiny").json()["runs"][0]["params"] == {"n": 3}
    assert [t["task_id"] for t in pg_client.get(f"/api/v1/runs/{run_id}").json()["tasks"]] == ["a", "b"]
    grid = pg_client.get("/api/v1/dags/tiny/grid").json()
    assert grid["cells"] == {"a": ["none"], "b": ["none"]}
    bad = pg_client.post("/api/v1/dags/tiny/runs", json={"params": {"n": "x"}})
    assert bad.status_code == 422 and "param 'n'" in bad.json()["errors"][0]
    assert pg_client.post(f"/api/v1/runs/{run_id}/cancel").json()["state"] == "cancelled"
    with pg_client.stream("GET", f"/api/v1/runs/{run_id}/events") as events:
        lines = [line for line in events.iter_lines() if line.startswith("event: ")]
    assert lines == ["event: run", "event: end"]
    assert pg_client.get("/api/v1/nodes").json()[0]["this_host"] is True
    login = pg_client.get("/login").text
    token = re.search(r'name="login_token" value="([^"]+)"', login).group(1)
    pg_client.headers.pop("Authorization")
    pg_client.post("/login", data={"user": "admin", "password": "pw", "login_token": token, "next": "/"})
    page = pg_client.get("/").text
    assert f'href="/runs/{run_id}" class="dot s-cancelled"' in page
    assert 'data-dag="tiny"' in pg_client.get("/dags/tiny").text
