"""The REST API through a test client: every route, auth and roles, problem details."""

from __future__ import annotations

import pytest

from edgeweave.store import repository as repo
from edgeweave.workflow.states import RunState

V1 = "/api/v1"
PROBLEM = "application/problem+json"


def _problem(resp, status: int) -> dict:  # type: ignore[no-untyped-def]
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith(PROBLEM)
    body = resp.json()
    assert body["status"] == status and body["title"] and body["type"]
    assert {"detail", "hint"} <= set(body)
    return body


def _trigger(api, **params) -> str:  # type: ignore[no-untyped-def]
    resp = api.post(f"{V1}/dags/tiny/runs", json={"params": params})
    assert resp.status_code == 201, resp.text
    return resp.json()["run_id"]


def _run_count(api) -> int:  # type: ignore[no-untyped-def]
    return len(repo.list_runs(api.engine, limit=1000))


# --- DAGs -----------------------------------------------------------------------------

def test_list_dags_shows_schedule_tags_tasks_and_recent_states(api):
    _trigger(api)
    (dag,) = api.get(f"{V1}/dags", role="viewer").json()
    assert dag == {"dag_id": "tiny", "schedule": "@daily", "paused": False, "tags": ["demo"],
                   "description": "", "task_count": 2, "last_run_states": ["queued"]}


def test_show_dag_has_structure_and_params_schema(api):
    dag = api.get(f"{V1}/dags/tiny", role="viewer").json()
    tasks = {t["task_id"]: t for t in dag["tasks"]}
    assert tasks["second"]["upstream"] == ["first"] and tasks["second"]["retries"] == 2
    assert dag["order"] == ["first", "second"]
    props = dag["params_schema"]["properties"]
    assert set(props) == {"name", "count"}


def test_unknown_dag_is_404_problem(api):
    body = _problem(api.get(f"{V1}/dags/nope"), 404)
    assert "nope" in body["detail"] and "tiny" in body["hint"]


def test_pause_and_unpause(api):
    assert api.patch(f"{V1}/dags/tiny", role="operator", json={"is_paused": True}).json()["paused"]
    assert repo.is_paused(api.engine, "tiny")
    assert api.get(f"{V1}/dags").json()[0]["paused"] is True
    api.patch(f"{V1}/dags/tiny", json={"is_paused": False})
    assert api.get(f"{V1}/dags/tiny").json()["paused"] is False


def test_pause_with_bad_body_is_422(api):
    body = _problem(api.patch(f"{V1}/dags/tiny", json={"is_paused": "maybe"}), 422)
    assert "is_paused" in body["detail"]
    headers = {**api.headers(), "content-type": "application/json"}
    _problem(api.client.patch(f"{V1}/dags/tiny", content=b"{not json", headers=headers), 422)


def test_import_errors_list_the_broken_file(api):
    (err,) = api.get(f"{V1}/import-errors", role="viewer").json()
    assert err["file"].endswith("broken.yaml") and "YAML" in err["error"]


# --- triggering -------------------------------------------------------------------------

def test_trigger_stores_a_queued_run_with_defaults(api):
    run_id = _trigger(api, name="hello")
    run = api.get(f"{V1}/runs/{run_id}", role="viewer").json()
    assert run["state"] == "queued" and run["params"] == {"name": "hello", "count": 1}
    assert run["trigger_source"] == "api"
    assert [t["task_id"] for t in run["tasks"]] == ["first", "second"]


@pytest.mark.parametrize(("params", "named"), [({"count": "5"}, "count"), ({"count": -1}, "count"),
                                               ({"colour": "red"}, "colour")])
def test_trigger_with_bad_params_is_422_naming_the_param_and_stores_nothing(api, params, named):
    body = _problem(api.post(f"{V1}/dags/tiny/runs", json={"params": params}), 422)
    assert named in body["detail"] and any(named in e for e in body["errors"])
    assert _run_count(api) == 0


def test_trigger_unknown_dag_is_404(api):
    _problem(api.post(f"{V1}/dags/ghost/runs", json={}), 404)


# --- runs -------------------------------------------------------------------------------

def test_runs_paging_and_filters(api):
    ids = [_trigger(api, count=i) for i in range(5)]
    page = api.get(f"{V1}/runs", params={"limit": 2}).json()
    assert [r["run_id"] for r in page["runs"]] == ids[::-1][:2] and page["next_offset"] == 2
    last = api.get(f"{V1}/runs", params={"limit": 2, "offset": 4}).json()
    assert [r["run_id"] for r in last["runs"]] == [ids[0]] and last["next_offset"] is None
    repo.cancel_queued_run(api.engine, repo.get_run(api.engine, ids[1]).id)
    cancelled = api.get(f"{V1}/runs", params={"state": "cancelled", "dag_id": "tiny"}).json()
    assert [r["run_id"] for r in cancelled["runs"]] == [ids[1]]
    assert api.get(f"{V1}/runs", params={"dag_id": "other"}).json()["runs"] == []


@pytest.mark.parametrize("query", [{"limit": 0}, {"limit": "many"}, {"offset": -1}, {"state": "bogus"}])
def test_runs_bad_query_is_422(api, query):
    _problem(api.get(f"{V1}/runs", params=query), 422)


def test_unknown_run_is_404(api):
    _problem(api.get(f"{V1}/runs/manual__nope"), 404)


def test_cancel_a_queued_run_then_409_when_finished(api):
    run_id = _trigger(api)
    assert api.post(f"{V1}/runs/{run_id}/cancel", role="operator").json()["state"] == "cancelled"
    states = {t.state for t in repo.task_instances(api.engine, run_id)}
    assert states == {"skipped"}
    body = _problem(api.post(f"{V1}/runs/{run_id}/cancel"), 409)
    assert "cancelled" in body["detail"]


def test_cancel_a_running_run_marks_it_for_the_scheduler(api):
    run_id = _trigger(api)
    run = repo.get_run(api.engine, run_id)
    repo.set_run_state(api.engine, run.id, RunState.RUNNING)
    assert api.post(f"{V1}/runs/{run_id}/cancel").json()["state"] == "cancelled"
    assert repo.get_run(api.engine, run_id).state == "cancelled"


def test_show_task_instance(api):
    run_id = _trigger(api)
    ti = api.get(f"{V1}/runs/{run_id}/tasks/second", role="viewer").json()
    assert ti["state"] == "none" and ti["max_tries"] == 3 and ti["spec"]["upstream"] == ["first"]
    _problem(api.get(f"{V1}/runs/{run_id}/tasks/third"), 404)


def test_logs_by_try_with_tail_and_offset(api):
    run_id = _trigger(api)
    ti = repo.get_task_instance(api.engine, run_id, "first")
    repo.append_log(api.engine, ti.id, 1, "stdout", "try one\n")
    for i in range(3):
        repo.append_log(api.engine, ti.id, 2, "stdout", f"line {i}\n")
    url = f"{V1}/runs/{run_id}/tasks/first/logs"
    latest = api.get(url, role="viewer").json()
    assert latest["try"] == 2 and latest["text"] == "line 0\nline 1\nline 2\n"
    assert api.get(url, params={"try": 1}).json()["text"] == "try one\n"
    assert api.get(url, params={"tail": 1}).json()["text"] == "line 2\n"
    follow = api.get(url, params={"offset": latest["next_offset"]}).json()
    assert follow["text"] == "" and follow["next_offset"] == latest["next_offset"]
    _problem(api.get(url, params={"tail": -1}), 422)


# --- models, device, health, metrics ----------------------------------------------------

def test_models_list_and_show_with_report(api):
    (model,) = api.get(f"{V1}/models", role="viewer").json()
    assert model["name"] == "resnet" and model["versions"] == [1]
    shown = api.get(f"{V1}/models/resnet").json()
    assert shown["precision"] == "int8" and shown["report"] == {"best": "int8", "variants": []}
    _problem(api.get(f"{V1}/models/missing"), 404)


def test_device_profile(api):
    device = api.get(f"{V1}/device", role="viewer").json()
    assert device["logical_cores"] >= 1 and "isa" in device


def test_health_needs_no_token(api):
    assert api.client.get(f"{V1}/health").json()["status"] == "ok"


def test_metrics_prometheus_text(api):
    _trigger(api)
    resp = api.client.get(f"{V1}/metrics")
    assert resp.headers["content-type"].startswith("text/plain")
    assert 'edgeweave_dag_runs{state="queued"} 1' in resp.text
    assert 'edgeweave_task_instances{state="none"} 2' in resp.text
    assert "# TYPE edgeweave_dag_runs gauge" in resp.text


def test_openapi_lists_the_routes(api):
    paths = api.client.get("/openapi.json").json()["paths"]
    for path in ["/dags", "/dags/{dag_id}", "/dags/{dag_id}/runs", "/import-errors", "/runs",
                 "/runs/{run_id}", "/runs/{run_id}/cancel", "/runs/{run_id}/tasks/{task_id}/logs",
                 "/models", "/models/{name}", "/device", "/health", "/metrics"]:
        assert V1 + path in paths


# --- auth and roles ---------------------------------------------------------------------

@pytest.mark.parametrize("header", [None, "Bearer nope", "Bearer ew_abc_def", "Basic YTpi", "Bearer "])
def test_missing_or_invalid_token_is_401(api, header):
    headers = {"Authorization": header} if header else {}
    body = _problem(api.client.get(f"{V1}/dags", headers=headers), 401)
    assert "token" in body["detail"]


def test_revoked_token_is_401(api):
    api.auth.store().revoke(api.tokens["viewer"])
    _problem(api.get(f"{V1}/dags", role="viewer"), 401)


def test_viewer_is_refused_writes_and_nothing_is_written(api):
    run_id = _trigger(api)
    _problem(api.post(f"{V1}/dags/tiny/runs", role="viewer", json={}), 403)
    _problem(api.patch(f"{V1}/dags/tiny", role="viewer", json={"is_paused": True}), 403)
    body = _problem(api.post(f"{V1}/runs/{run_id}/cancel", role="viewer"), 403)
    assert "operator" in body["detail"]
    assert _run_count(api) == 1 and not repo.is_paused(api.engine, "tiny")
    assert repo.get_run(api.engine, run_id).state == "queued"


# --- bad input --------------------------------------------------------------------------

def test_oversized_body_is_413_and_nothing_written(api):
    big = {"params": {"name": "x" * (1 << 20)}}
    _problem(api.post(f"{V1}/dags/tiny/runs", json=big), 413)
    assert _run_count(api) == 0


def test_streamed_oversized_body_is_413(api):
    chunks = (b"x" * 65536 for _ in range(20))
    _problem(api.post(f"{V1}/dags/tiny/runs", content=chunks), 413)


@pytest.mark.parametrize("url", ["/models/..", "/models/.hidden", "/models/a..b", "/runs/..%2F..%2Fetc",
                                 "/runs/x/tasks/..%5Cx/logs", "/dags/%2E%2E"])
def test_path_traversal_in_ids_is_refused(api, url):
    resp = api.get(V1 + url)
    assert resp.status_code in (400, 404) and resp.headers["content-type"].startswith(PROBLEM)


def test_unknown_route_and_method(api):
    _problem(api.get(f"{V1}/nothing-here"), 404)
    _problem(api.client.delete(f"{V1}/dags/tiny", headers=api.headers()), 405)


def test_auth_disabled_lets_every_caller_act_as_admin(api, test_client):
    from edgeweave.server import AuthConfig, create_app

    app = create_app(api.engine, api.client.app.state.edgeweave.bag, auth=AuthConfig(enabled=False))
    with test_client(app) as client:
        assert client.post(f"{V1}/dags/tiny/runs", json={}).status_code == 201
