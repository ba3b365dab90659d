"""DAG routes: list, structure, pause/unpause, import errors, trigger a run."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from edgeweave.errors import ParameterError
from edgeweave.server.deps import Context, context, reader, store_read, writer
from edgeweave.server.problems import check_id, problem
from edgeweave.server.responses import FastJSON
from edgeweave.server.schemas import DagDetail, DagSummary, GridData, ok
from edgeweave.store import repository as repo
from edgeweave.workflow import service
from edgeweave.workflow.dag import DAG, TaskSpec
from edgeweave.workflow.params import params_json_schema, validate_params

router = APIRouter(tags=["dags"])
RECENT = 5
GRID_DEFAULT, GRID_MAX = 25, 100


class PauseBody(BaseModel):
    is_paused: bool


class TriggerBody(BaseModel):
    params: dict[str, Any] = Field(default_factory=dict)


@router.get("/dags", response_class=FastJSON, responses=ok(list[DagSummary]))
async def list_dags(ctx: Context = Depends(context), _: Any = reader) -> FastJSON:
    """DAGs with pause flag and recent run states (one index probe per DAG, not a scan of
    every run)."""
    dags = sorted(ctx.bag.dags.values(), key=lambda d: d.dag_id)
    paused, recent = await store_read(ctx, repo.dag_list_state, ctx.engine, [d.dag_id for d in dags],
                                      RECENT)
    return FastJSON([{"dag_id": d.dag_id, "schedule": d.schedule, "paused": paused.get(d.dag_id, False),
                      "tags": d.tags, "description": d.description, "task_count": len(d.tasks),
                      "last_run_states": recent.get(d.dag_id, [])} for d in dags])


def task_summary(task: TaskSpec) -> dict[str, Any]:
    """What the API and the Graph view's task panel show of a task."""
    return {"task_id": task.task_id, "operator": task.operator or "python", "callable": task.callable_ref,
            "upstream": list(task.upstream), "retries": task.retries,
            "trigger_rule": task.trigger_rule.value, "pool": task.pool, "timeout_s": task.timeout_s}


_SCHEMAS: dict[int, tuple[DAG, dict[str, Any]]] = {}


def _params_schema(dag: DAG) -> dict[str, Any]:
    """The DAG's params JSON schema, built once per loaded DAG (building the pydantic model
    behind it was most of ``GET /dags/{id}``); the DAG is kept with it, so its id is not
    reused while cached."""
    hit = _SCHEMAS.get(id(dag))
    if hit is None or hit[0] is not dag:
        if len(_SCHEMAS) > 1024:
            _SCHEMAS.clear()
        hit = _SCHEMAS[id(dag)] = (dag, params_json_schema(dag))
    return hit[1]


@router.get("/dags/{dag_id}", response_class=FastJSON, responses=ok(DagDetail))
async def show_dag(dag_id: str, ctx: Context = Depends(context), _: Any = reader) -> FastJSON:
    dag = service.get_dag(ctx.bag, check_id(dag_id, "DAG id"))
    tasks = [task_summary(t) for t in dag.tasks.values()]
    paused = await store_read(ctx, repo.is_paused, ctx.engine, dag.dag_id)
    return FastJSON({"dag_id": dag.dag_id, "description": dag.description, "schedule": dag.schedule,
                     "tags": dag.tags, "paused": paused, "max_active_runs": dag.max_active_runs,
                     "order": dag.topological_order(), "tasks": tasks,
                     "params_schema": _params_schema(dag)})


@router.get("/dags/{dag_id}/grid", response_class=FastJSON, responses=ok(GridData))
async def dag_grid(dag_id: str, request: Request, runs: int = Query(GRID_DEFAULT, ge=1, le=GRID_MAX),
                   ctx: Context = Depends(context), _: Any = reader) -> FastJSON:
    """Grid view data in one request: tasks (upstream first) x the DAG's last ``runs`` runs.

    ``cells[task_id][i]`` (and ``tries``/``durations``) belong to ``runs[i]``, newest first;
    null where that run has no such task (the DAG changed since). Two narrow Core queries,
    so the Grid view costs one cheap request instead of one per run. Bodies are kept for
    a second (``server/microcache.py``): viewers polling one DAG share one computation;
    ``Cache-Control: no-cache`` asks for a fresh one.
    """
    dag = service.get_dag(ctx.bag, check_id(dag_id, "DAG id"))
    key = (dag.dag_id, id(dag), runs)
    fresh = "no-cache" in request.headers.get("cache-control", "")  # the client asks for the store's now
    body = None if fresh else ctx.grid_cache.get(key)
    if body is not None:
        return Response(body, media_type="application/json", headers={"X-EdgeWeave-Cache": "hit"})
    run_rows, ti_rows = await store_read(ctx, repo.grid_rows, ctx.engine, dag.dag_id, runs)
    order = dag.topological_order()
    column = {row.pop("id"): i for i, row in enumerate(run_rows)}
    cells: dict[str, list[str | None]] = {tid: [None] * len(run_rows) for tid in order}
    tries: dict[str, list[int | None]] = {tid: [None] * len(run_rows) for tid in order}
    durations: dict[str, list[float | None]] = {tid: [None] * len(run_rows) for tid in order}
    for run_pk, task_id, state, try_number, duration in ti_rows:  # repo.GRID_TI_COLUMNS
        states = cells.get(task_id)
        if states is None:  # a task the current DAG no longer has
            continue
        i = column[run_pk]
        states[i] = state
        tries[task_id][i] = try_number
        durations[task_id][i] = duration
    body = FastJSON({"dag_id": dag.dag_id,
                     "tasks": [{"task_id": tid, "upstream": list(dag.tasks[tid].upstream)} for tid in order],
                     "runs": run_rows, "cells": cells, "tries": tries, "durations": durations}).body
    ctx.grid_cache.put(key, body)
    return Response(body, media_type="application/json", headers={"X-EdgeWeave-Cache": "miss"})


@router.patch("/dags/{dag_id}")
def pause_dag(dag_id: str, body: PauseBody, ctx: Context = Depends(context),
              _: Any = writer) -> dict[str, Any]:
    dag = service.get_dag(ctx.bag, check_id(dag_id, "DAG id"))
    repo.sync_dag(ctx.engine, dag)
    repo.set_paused(ctx.engine, dag.dag_id, body.is_paused)
    return {"dag_id": dag.dag_id, "paused": body.is_paused}


@router.get("/import-errors")
async def import_errors(ctx: Context = Depends(context), _: Any = reader) -> list[dict[str, str]]:
    return [{"file": f, "error": e} for f, e in sorted(ctx.bag.import_errors.items())]


@router.post("/dags/{dag_id}/runs", status_code=201, response_model=None)
def trigger_run(dag_id: str, body: TriggerBody, ctx: Context = Depends(context),
                _: Any = writer) -> Any:
    """Queue a run; params are validated first (422 naming each bad param, nothing stored)."""
    dag = service.get_dag(ctx.bag, check_id(dag_id, "DAG id"))
    try:
        values = validate_params(dag, body.params)
    except ParameterError as exc:  # a well-formed request whose params do not fit: 422
        lines = [line.strip() for line in exc.message.splitlines()[1:]]
        return problem(422, exc.message, exc.hint, kind="params", errors=lines)
    return {"run_id": service.trigger(ctx.engine, dag, values, source="api")}
