"""The API picks up DAG files added or broken while it serves (no restart)."""

from __future__ import annotations

import time

from edgeweave.server import create_app
from edgeweave.workflow import service

NEW = "dag_id: fresh\ntasks: [{id: a, python: os.path:basename}]\n"


def _wait(check, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + 10
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def test_new_and_broken_dag_files_show_up_while_serving(api, tmp_path, test_client):
    folder = tmp_path / "live-dags"
    folder.mkdir()
    bag = service.load_dags([folder], examples=False)
    app = create_app(api.engine, bag, auth=api.auth, dag_refresh_s=0.05)
    with test_client(app) as client:
        def ids() -> list[str]:
            return [d["dag_id"] for d in client.get("/api/v1/dags", headers=api.headers()).json()]

        assert ids() == []
        (folder / "fresh.yaml").write_text(NEW)
        _wait(lambda: ids() == ["fresh"], "a new DAG file should appear in /dags")
        resp = client.post("/api/v1/dags/fresh/runs", json={"params": {}}, headers=api.headers())
        assert resp.status_code == 201
        (folder / "fresh.yaml").write_text("dag_id: fresh\ntasks: [")
        _wait(lambda: client.get("/api/v1/import-errors", headers=api.headers()).json() != [],
              "a broken edit should be listed as an import error")
        assert ids() == []
