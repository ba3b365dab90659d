"""The documented response shapes (server/schemas.py) match what the routes really send."""

from __future__ import annotations

from pydantic import TypeAdapter

from edgeweave.server.schemas import DagDetail, DagSummary, GridData, RunDetail, RunPage, TaskDetail

V1 = "/api/v1"


def test_real_responses_match_the_documented_models(api):
    run_id = api.post(f"{V1}/dags/tiny/runs", json={"params": {"name": "a"}}).json()["run_id"]
    TypeAdapter(list[DagSummary]).validate_python(api.get(f"{V1}/dags").json())
    DagDetail.model_validate(api.get(f"{V1}/dags/tiny").json())
    grid = GridData.model_validate(api.get(f"{V1}/dags/tiny/grid").json())
    assert grid.cells["first"] == ["none"]
    page = RunPage.model_validate(api.get(f"{V1}/runs").json())
    assert page.runs[0].run_id == run_id and page.next_offset is None
    detail = RunDetail.model_validate(api.get(f"{V1}/runs/{run_id}").json())
    assert [t.task_id for t in detail.tasks] == ["first", "second"]
    TaskDetail.model_validate(api.get(f"{V1}/runs/{run_id}/tasks/second").json())


def test_openapi_documents_the_read_bodies(api):
    spec = api.client.get("/openapi.json").json()
    paths = {"/api/v1/runs": "RunPage", "/api/v1/runs/{run_id}": "RunDetail",
             "/api/v1/dags/{dag_id}/grid": "GridData", "/api/v1/dags/{dag_id}": "DagDetail"}
    for path, model in paths.items():
        schema = spec["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        assert schema == {"$ref": f"#/components/schemas/{model}"}, path
    assert "RunSummary" in spec["components"]["schemas"]
