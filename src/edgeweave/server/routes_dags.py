"""DAG routes: list, structure, pause/unpause, import errors, trigger a run."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from sqlalchemy import select

from edgeweave.errors import ParameterError
from edgeweave.server.deps import Context, context, reader, writer
from edgeweave.server.problems import check_id, problem
from edgeweave.store import repository as repo
from edgeweave.store.tables import DagRow, run_table
from edgeweave.workflow import service
from edgeweave.workflow.params import params_json_schema, validate_params

router = APIRouter(tags=["dags"])
RECENT = 5


class PauseBody(BaseModel):
    is_paused: bool


class TriggerBody(BaseModel):
    params: dict[str, Any] = Field(default_factory=dict)


def _recent_states(ctx: Context) -> dict[str, list[str]]:
    """Per DAG, the states of its last RECENT runs (newest first), in one query."""
    query = select(run_table.c.dag_id, run_table.c.state).order_by(run_table.c.id.desc()).limit(5000)
    recent: dict[str, list[str]] = {}
    with ctx.engine.connect() as conn:
        for dag_id, state in conn.execute(query):
            states = recent.setdefault(dag_id, [])
            if len(states) < RECENT:
                states.append(state)
    return recent


@router.get("/dags")
def list_dags(ctx: Context = Depends(context), _: Any = reader) -> list[dict[str, Any]]:
    with ctx.engine.connect() as conn:
        paused = dict(conn.execute(select(DagRow.dag_id, DagRow.is_paused)).all())
    recent = _recent_states(ctx)
    return [{"dag_id": d.dag_id, "schedule": d.schedule, "paused": bool(paused.get(d.dag_id)),
             "tags": d.tags, "description": d.description, "task_count": len(d.tasks),
             "last_run_states": recent.get(d.dag_id, [])}
            for d in sorted(ctx.bag.dags.values(), key=lambda d: d.dag_id)]


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
