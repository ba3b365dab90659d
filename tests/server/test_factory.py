"""``app_from_env``: the app each uvicorn worker builds, from EDGEWEAVE_* alone."""

from __future__ import annotations

import warnings

import uvicorn

from edgeweave.server.auth import AuthConfig, Role
from edgeweave.server.factory import APP_FACTORY, app_from_env, uvicorn_options

with warnings.catch_warnings():  # newer Starlette prefers httpx2 and warns about httpx
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

DAG_YAML = """
dag_id: from_env
tasks:
  - id: only
    python: os.path:basename
    params: {p: "x"}
"""


def test_app_from_env_uses_home_dags_and_auth_file(tmp_path, monkeypatch):
    (tmp_path / "dags").mkdir()
    (tmp_path / "dags" / "from_env.yaml").write_text(DAG_YAML)
    monkeypatch.setenv("EDGEWEAVE_HOME", str(tmp_path))
    monkeypatch.setenv("EDGEWEAVE_DAGS", str(tmp_path / "dags"))
    monkeypatch.delenv("EDGEWEAVE_DB_URL", raising=False)
    store = AuthConfig().store()
    store.add_user("ops", Role.OPERATOR, "pw")
    token = store.create_token("ops")

    app = app_from_env()
    with TestClient(app) as client:
        health = client.get("/api/v1/health").json()
        assert health["status"] == "ok" and health["dags"] >= 1
        dags = client.get("/api/v1/dags", headers={"Authorization": f"Bearer {token}"}).json()
        assert "from_env" in {d["dag_id"] for d in dags}
        assert client.get("/api/v1/dags").status_code == 401
    assert (tmp_path / "edgeweave.db").is_file()
    app.state.edgeweave.engine.dispose()


def test_uvicorn_accepts_the_factory_and_options():
    config = uvicorn.Config(APP_FACTORY, factory=True, **uvicorn_options(3))
    assert config.workers == 3 and config.access_log is False
    assert uvicorn_options()["workers"] == 1
