"""Run routes: list with paging and filters, show with task instances, cancel, clear, task logs.

Reads are ``async def`` and call the store through :func:`store_read`; writes stay plain
``def`` routes (FastAPI runs them in its threadpool) because a write may wait for SQLite's
write lock. Bodies are encoded by :class:`FastJSON` (orjson, datetimes included).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query
from sqlalchemy import update

from edgeweave.errors import InvalidTransitionError
from edgeweave.server.deps import Context, context, reader, store_read, writer
from edgeweave.server.problems import check_id
from edgeweave.server.responses import FastJSON
from edgeweave.server.schemas import RunDetail, RunPage, TaskDetail, ok
from edgeweave.store import repository as repo
from edgeweave.store.tables import DagRunRow, TaskInstanceRow, run_table, utcnow
from edgeweave.workflow.run_state import RunView
from edgeweave.workflow.states import RunState, TaskState

router = APIRouter(tags=["runs"])


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when else None


def run_dict(run: DagRunRow) -> dict[str, Any]:
    return {"run_id": run.run_id, "dag_id": run.dag_id, "state": run.state, "params": run.params,
            "trigger_source": run.trigger_source, "logical_date": _iso(run.logical_date),
            "created_at": _iso(run.created_at), "started_at": _iso(run.started_at),
            "ended_at": _iso(run.ended_at)}


def ti_dict(ti: TaskInstanceRow) -> dict[str, Any]:
    return {"task_id": ti.task_id, "state": ti.state, "try_number": ti.try_number,
            "max_tries": ti.max_tries, "started_at": _iso(ti.started_at), "ended_at": _iso(ti.ended_at),
            "duration": ti.duration, "hostname": ti.hostname, "error": ti.error}


@router.get("/runs", response_class=FastJSON, responses=ok(RunPage))
async def list_runs(dag_id: str | None = None, state: RunState | None = None,
                    limit: int = Query(50, ge=1, le=1000), offset: int = Query(0, ge=0),
                    ctx: Context = Depends(context), _: Any = reader) -> FastJSON:
    """Runs newest first; ``next_offset`` is null on the last page."""
    if dag_id is not None:
        check_id(dag_id, "DAG id")
    rows = await store_read(ctx, repo.run_summaries, ctx.engine, dag_id, state, limit=limit + 1,
                            offset=offset)
    more = len(rows) > limit
    return FastJSON({"runs": rows[:limit], "limit": limit, "offset": offset,
                     "next_offset": offset + limit if more else None})


@router.get("/runs/{run_id}", response_class=FastJSON, responses=ok(RunDetail))
async def show_run(run_id: str, ctx: Context = Depends(context), _: Any = reader) -> FastJSON:
    run, tasks = await store_read(ctx, repo.run_with_tasks, ctx.engine, check_id(run_id, "run id"))
    return FastJSON({**run, "tasks": tasks})


@router.post("/runs/{run_id}/cancel")
def cancel_run(run_id: str, ctx: Context = Depends(context), _: Any = writer) -> dict[str, Any]:
    """A queued run is cancelled here; a running one is marked cancelled and the scheduler
    (which polls for runs cancelled by other processes) stops its tasks. 409 if finished."""
    run = repo.get_run(ctx.engine, check_id(run_id, "run id"))
    if not repo.cancel_queued_run(ctx.engine, run.id):
        with ctx.engine.begin() as conn:  # compare-and-set: never overwrite a finished run
            done = conn.execute(update(run_table).where(run_table.c.id == run.id,
                                                        run_table.c.state == RunState.RUNNING.value)
                                .values(state=RunState.CANCELLED.value, ended_at=utcnow())).rowcount
        if done != 1:
            state = repo.get_run(ctx.engine, run.id).state
            raise InvalidTransitionError(f"run {run.run_id!r} is already {state}",
                                         "only queued or running runs can be cancelled")
    return run_dict(repo.get_run(ctx.engine, run.id))


@router.post("/runs/{run_id}/tasks/{task_id}/clear", response_class=FastJSON,
             responses=ok(RunDetail))
def clear_task(run_id: str, task_id: str,
               downstream: bool = Query(True, description="also clear every task downstream of it"),
               ctx: Context = Depends(context), _: Any = writer) -> FastJSON:
    """Run a finished task again (by default with everything downstream of it): their
    states go back to none with fresh retries, their results are dropped and the run is
    queued again, so the scheduler reruns them. Only a finished run can be cleared (409
    while it is queued or running) and only a finished task (409 while it waits or runs).
    Returns the run with its task instances, as ``GET /runs/{run_id}`` does."""
    run = repo.get_run(ctx.engine, check_id(run_id, "run id"))
    ti = repo.get_task_instance(ctx.engine, run.run_id, check_id(task_id, "task id"))
    if not RunState(run.state).finished:
        raise InvalidTransitionError(f"run {run.run_id!r} is {run.state}: only a finished run's "
                                     "tasks can be cleared",
                                     "wait until the run finishes, or cancel it, then clear")
    if not TaskState(ti.state).finished:
        raise InvalidTransitionError(f"task {task_id!r} of run {run.run_id!r} is {ti.state}, "
                                     "not finished", "only success, failed, upstream_failed or "
                                     "skipped tasks can be cleared")
    RunView.clear_finished(ctx.engine, run.id, [ti.task_id], downstream)
    fresh, tasks = repo.run_with_tasks(ctx.engine, run.run_id)
    return FastJSON({**fresh, "tasks": tasks})


@router.get("/runs/{run_id}/tasks/{task_id}", response_class=FastJSON, responses=ok(TaskDetail))
async def show_task(run_id: str, task_id: str, ctx: Context = Depends(context),
                    _: Any = reader) -> FastJSON:
    ti = await store_read(ctx, repo.get_task_instance, ctx.engine, check_id(run_id, "run id"),
                          check_id(task_id, "task id"))
    return FastJSON({**ti_dict(ti), "run_id": run_id, "spec": ti.spec})


@router.get("/runs/{run_id}/tasks/{task_id}/logs")
def task_logs(run_id: str, task_id: str, try_: int | None = Query(None, alias="try", ge=0),
              tail: int | None = Query(None, ge=0, le=100_000), offset: int = Query(0, ge=0),
              ctx: Context = Depends(context), _: Any = reader) -> dict[str, Any]:
    """One try's log (default: the latest); pass ``next_offset`` back to follow a running task.
    (A plain ``def``: a log can be megabytes, too long a read to hold the event loop.)"""
    ti = repo.get_task_instance(ctx.engine, check_id(run_id, "run id"), check_id(task_id, "task id"))
    read = repo.read_log(ctx.engine, ti.id, try_, offset=offset, tail=tail)
    return {"run_id": run_id, "task_id": task_id, "try": read.try_number, "text": read.text,
            "next_offset": read.next_offset, "state": ti.state}
