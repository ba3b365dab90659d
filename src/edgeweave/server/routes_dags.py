"""DAG routes: list, structure, pause/unpause, import errors, trigger a run."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import select

from edgeweave.errors import ParameterError
from edgeweave.server.deps import Context, context, reader, writer
from edgeweave.server.problems import check_id, problem
from edgeweave.store import repository as repo
from edgeweave.store.tables import dag_table
from edgeweave.workflow import service
from edgeweave.workflow.params import params_json_schema, validate_params

router = APIRouter(tags=["dags"])
RECENT = 5
GRID_DEFAULT, GRID_MAX = 25, 100


class PauseBody(BaseModel):
    is_paused: bool


class TriggerBody(BaseModel):
    params: dict[str, Any] = Field(default_factory=dict)


@router.get("/dags", response_class=JSONResponse)
def list_dags(ctx: Context = Depends(context), _: Any = reader) -> JSONResponse:
    """DAGs with pause flag and recent run states; plain JSON types, sent without re-encoding."""
    with ctx.engine.connect() as conn:
        paused = dict(conn.execute(select(dag_table.c.dag_id, dag_table.c.is_paused)).all())
    recent = repo.recent_run_states(ctx.engine, RECENT)
    return JSONResponse([{"dag_id": d.dag_id, "schedule": d.schedule, "paused": bool(paused.get(d.dag_id)),
             "tags": d.tags, "description": d.description, "task_count": len(d.tasks),
             "last_run_states": recent.get(d.dag_id, [])}
            for d in sorted(ctx.bag.dags.values(), key=lambda d: d.dag_id)])


@router.get("/dags/{dag_id}")
def show_dag(dag_id: str, ctx: Context = Depends(context), _: Any = reader) -> dict[str, Any]:
    dag = service.get_dag(ctx.bag, check_id(dag_id, "DAG id"))
    tasks = [{"task_id": t.task_id, "operator": t.operator or "python", "callable": t.callable_ref,
              "upstream": list(t.upstream), "retries": t.retries, "trigger_rule": t.trigger_rule.value,
              "pool": t.pool, "timeout_s": t.timeout_s} for t in dag.tasks.values()]
    return {"dag_id": dag.dag_id, "description": dag.description, "schedule": dag.schedule,
            "tags": dag.tags, "paused": repo.is_paused(ctx.engine, dag.dag_id),
            "max_active_runs": dag.max_active_runs, "order": dag.topological_order(),
            "tasks": tasks, "params_schema": params_json_schema(dag)}


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when else None


@router.get("/dags/{dag_id}/grid", response_class=JSONResponse)
def dag_grid(dag_id: str, runs: int = Query(GRID_DEFAULT, ge=1, le=GRID_MAX),
             ctx: Context = Depends(context), _: Any = reader) -> JSONResponse:
    """Grid view data in one request: tasks (upstream first) x the DAG's last ``runs`` runs.

    ``cells[task_id][i]`` (and ``tries``/``durations``) belong to ``runs[i]``, newest first;
    null where that run has no such task (the DAG changed since). Two narrow Core queries,
    so the Grid view costs one cheap request instead of one per run. The body is already
    plain JSON types, so it goes out as a JSONResponse: FastAPI's jsonable_encoder walk over
    the 3 x runs x tasks cells cost more than the queries.
    """
    dag = service.get_dag(ctx.bag, check_id(dag_id, "DAG id"))
    run_rows, ti_rows = repo.grid_rows(ctx.engine, dag.dag_id, runs)
    order = dag.topological_order()
    column = {row["id"]: i for i, row in enumerate(run_rows)}
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
    return JSONResponse({"dag_id": dag.dag_id,
            "tasks": [{"task_id": tid, "upstream": list(dag.tasks[tid].upstream)} for tid in order],
            "runs": [{"run_id": r["run_id"], "state": r["state"], "trigger_source": r["trigger_source"],
                      "logical_date": _iso(r["logical_date"]), "created_at": _iso(r["created_at"]),
                      "started_at": _iso(r["started_at"]), "ended_at": _iso(r["ended_at"])}
                     for r in run_rows],
            "cells": cells, "tries": tries, "durations": durations})


@router.patch("/dags/{dag_id}")
def pause_dag(dag_id: str, body: PauseBody, ctx: Context = Depends(context),
              _: Any = writer) -> dict[str, Any]:
    dag = service.get_dag(ctx.bag, check_id(dag_id, "DAG id"))
    repo.sync_dag(ctx.engine, dag)
    repo.set_paused(ctx.engine, dag.dag_id, body.is_paused)
    return {"dag_id": dag.dag_id, "paused": body.is_paused}


@router.get("/import-errors")
def import_errors(ctx: Context = Depends(context), _: Any = reader) -> list[dict[str, str]]:
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
