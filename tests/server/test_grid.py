"""GET /dags/{dag_id}/grid: tasks x last N runs in one request, problem details on bad input."""

from __future__ import annotations

from sqlalchemy import update

from edgeweave.store import repository as repo
from edgeweave.store.tables import ti_table


def _trigger(api, n: int) -> list[str]:
    return [api.post("/api/v1/dags/tiny/runs", json={"params": {}}).json()["run_id"] for _ in range(n)]


def test_grid_shape_and_alignment(api):
    run_ids = _trigger(api, 3)
    oldest = repo.get_run(api.engine, run_ids[0])
    with api.engine.begin() as conn:
        # the oldest run's first task: a state, a try and a duration to find in its cell
        conn.execute(update(ti_table).where(ti_table.c.run_pk == oldest.id, ti_table.c.task_id == "first")
                     .values(state="success", try_number=1, duration=2.5))
    resp = api.get("/api/v1/dags/tiny/grid", role="viewer")
    assert resp.status_code == 200
    grid = resp.json()
    assert grid["dag_id"] == "tiny"
    assert grid["tasks"] == [{"task_id": "first", "upstream": []},
                             {"task_id": "second", "upstream": ["first"]}]
    assert [r["run_id"] for r in grid["runs"]] == run_ids[::-1]  # newest first
    assert grid["runs"][0]["state"] == "queued" and grid["runs"][0]["created_at"].endswith("+00:00")
    assert grid["cells"] == {"first": ["none", "none", "success"], "second": ["none", "none", "none"]}
    assert grid["tries"]["first"] == [0, 0, 1]
    assert grid["durations"]["first"] == [None, None, 2.5]
    assert "params" not in grid["runs"][0]


def test_grid_runs_limit(api):
    run_ids = _trigger(api, 4)
    grid = api.get("/api/v1/dags/tiny/grid?runs=2").json()
    assert [r["run_id"] for r in grid["runs"]] == run_ids[:-3:-1]
    assert all(len(states) == 2 for states in grid["cells"].values())


def test_grid_without_runs(api):
    grid = api.get("/api/v1/dags/tiny/grid").json()
    assert grid["runs"] == [] and grid["cells"] == {"first": [], "second": []}


def test_grid_unknown_dag_is_404_problem(api):
    resp = api.get("/api/v1/dags/nope/grid")
    assert resp.status_code == 404
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert "nope" in resp.json()["detail"]


def test_grid_bad_runs_is_422_problem(api):
    for bad in ("0", "101", "-1", "many"):
        resp = api.get(f"/api/v1/dags/tiny/grid?runs={bad}")
        assert resp.status_code == 422, bad
        assert resp.headers["content-type"].startswith("application/problem+json")


def test_grid_bad_dag_id_is_400_and_needs_a_token(api):
    assert api.get("/api/v1/dags/bad..id/grid").status_code == 400
    assert api.client.get("/api/v1/dags/tiny/grid").status_code == 401
