"""Server-sent run events: a snapshot on every change, then ``end`` when the run finishes."""

from __future__ import annotations

import json
import threading
import time

from edgeweave.server import routes_live
from edgeweave.store import repository as repo
from edgeweave.workflow.states import RunState, TaskState


def _events(resp) -> list[tuple[str, dict]]:  # type: ignore[no-untyped-def]
    out, kind = [], None
    for line in resp.iter_lines():
        if line.startswith("event: "):
            kind = line[7:]
        elif line.startswith("data: "):
            out.append((kind, json.loads(line[6:])))
            if kind == "end":
                break
    return out


def _run(api) -> str:  # type: ignore[no-untyped-def]
    return api.post("/api/v1/dags/tiny/runs", json={"params": {}}).json()["run_id"]


def test_stream_follows_a_run_until_it_finishes(api, monkeypatch):
    monkeypatch.setattr(routes_live, "POLL_S", 0.05)
    run_id = _run(api)
    run = repo.get_run(api.engine, run_id)
    repo.set_run_state(api.engine, run.id, RunState.RUNNING)

    def work() -> None:
        time.sleep(0.3)
        for ti in repo.task_instances(api.engine, run.id):
            for state in (TaskState.SCHEDULED, TaskState.QUEUED, TaskState.RUNNING, TaskState.SUCCESS):
                repo.transition(api.engine, ti.id, state)
        repo.set_run_state(api.engine, run.id, RunState.SUCCESS)

    worker = threading.Thread(target=work)
    worker.start()
    with api.client.stream("GET", f"/api/v1/runs/{run_id}/events", headers=api.headers("viewer")) as resp:
        assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/event-stream")
        events = _events(resp)
    worker.join()
    kinds = [k for k, _ in events]
    assert kinds[0] == "run" and kinds[-1] == "end" and kinds.count("run") >= 2
    first, last = events[0][1], events[-2][1]
    assert first["run"]["state"] == "running"
    assert last["run"]["state"] == "success" and {t["state"] for t in last["tasks"]} == {"success"}


def test_finished_run_gives_one_snapshot_and_end(api):
    run_id = _run(api)
    repo.set_run_state(api.engine, repo.get_run(api.engine, run_id).id, RunState.FAILED)
    with api.client.stream("GET", f"/api/v1/runs/{run_id}/events", headers=api.headers()) as resp:
        assert [k for k, _ in _events(resp)] == ["run", "end"]


def test_unknown_run_is_404_before_streaming(api):
    resp = api.get("/api/v1/runs/nope/events")
    assert resp.status_code == 404 and resp.headers["content-type"].startswith("application/problem+json")
    assert api.client.get(f"/api/v1/runs/{_run(api)}/events").status_code == 401
