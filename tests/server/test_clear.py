"""POST /runs/{run_id}/tasks/{task_id}/clear: rerun a finished task (and its downstream)."""

from __future__ import annotations

import pytest

from edgeweave.store import repository as repo
from edgeweave.workflow.states import RunState

V1 = "/api/v1"
PROBLEM = "application/problem+json"


def _problem(resp, status: int) -> dict:  # type: ignore[no-untyped-def]
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith(PROBLEM)
    return resp.json()


def _finished_run(api, run_dag) -> str:  # type: ignore[no-untyped-def]
    resp = api.post(f"{V1}/dags/tiny/runs", json={"params": {}})
    assert resp.status_code == 201, resp.text
    run_id = resp.json()["run_id"]
    run_dag()
    assert repo.get_run(api.engine, run_id).state == "success"
    return run_id


def _states(api, run_id: str) -> dict[str, tuple[str, int]]:  # type: ignore[no-untyped-def]
    return {t.task_id: (t.state, t.try_number) for t in repo.task_instances(api.engine, run_id)}


def test_clear_resets_the_task_and_its_downstream_and_the_scheduler_reruns_them(api, run_dag):
    run_id = _finished_run(api, run_dag)
    resp = api.post(f"{V1}/runs/{run_id}/tasks/first/clear", role="operator")
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["run_id"] == run_id and body["state"] == "queued" and body["ended_at"] is None
    assert {t["task_id"]: t["state"] for t in body["tasks"]} == {"first": "none", "second": "none"}
    assert body == api.get(f"{V1}/runs/{run_id}").json()  # the same shape as GET /runs/{id}
    run_dag()
    assert repo.get_run(api.engine, run_id).state == "success"
    assert _states(api, run_id) == {"first": ("success", 2), "second": ("success", 2)}


def test_clear_without_downstream_resets_only_that_task(api, run_dag):
    run_id = _finished_run(api, run_dag)
    body = api.post(f"{V1}/runs/{run_id}/tasks/first/clear", params={"downstream": "false"}).json()
    assert {t["task_id"]: t["state"] for t in body["tasks"]} == {"first": "none", "second": "success"}
    run_dag()
    assert _states(api, run_id) == {"first": ("success", 2), "second": ("success", 1)}


@pytest.mark.parametrize("state", [RunState.QUEUED, RunState.RUNNING])
def test_clear_while_the_run_is_active_is_409_and_changes_nothing(api, state):
    run_id = api.post(f"{V1}/dags/tiny/runs", json={}).json()["run_id"]
    repo.set_run_state(api.engine, repo.get_run(api.engine, run_id).id, state)
    body = _problem(api.post(f"{V1}/runs/{run_id}/tasks/first/clear"), 409)
    assert state.value in body["detail"] and "finish" in body["hint"]
    assert repo.get_run(api.engine, run_id).state == state.value
    assert _states(api, run_id) == {"first": ("none", 0), "second": ("none", 0)}


def test_clear_an_unfinished_task_is_409(api):
    run_id = api.post(f"{V1}/dags/tiny/runs", json={}).json()["run_id"]
    repo.set_run_state(api.engine, repo.get_run(api.engine, run_id).id, RunState.FAILED)
    body = _problem(api.post(f"{V1}/runs/{run_id}/tasks/second/clear"), 409)
    assert "not finished" in body["detail"]
    assert repo.get_run(api.engine, run_id).state == "failed"


def test_clear_unknown_task_or_run_is_404(api, run_dag):
    run_id = _finished_run(api, run_dag)
    body = _problem(api.post(f"{V1}/runs/{run_id}/tasks/third/clear"), 404)
    assert "third" in body["detail"] and "first" in body["hint"]
    _problem(api.post(f"{V1}/runs/manual__nope/tasks/first/clear"), 404)
    _problem(api.post(f"{V1}/runs/{run_id}/tasks/a..b/clear"), 400)
    assert repo.get_run(api.engine, run_id).state == "success"


def test_viewer_may_not_clear_and_nothing_changes(api, run_dag):
    run_id = _finished_run(api, run_dag)
    before = _states(api, run_id)
    body = _problem(api.post(f"{V1}/runs/{run_id}/tasks/first/clear", role="viewer"), 403)
    assert "operator" in body["detail"]
    assert repo.get_run(api.engine, run_id).state == "success" and _states(api, run_id) == before
