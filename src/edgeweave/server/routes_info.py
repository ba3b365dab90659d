"""Models and their reports, nodes and the device profile, health and Prometheus metrics."""

from __future__ import annotations

import json
import socket
from functools import lru_cache
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import PlainTextResponse
from sqlalchemy import case, func, select, text

from edgeweave.server.deps import Context, context, reader, store_read
from edgeweave.server.problems import check_id
from edgeweave.store.tables import run_table, ti_table
from edgeweave.workflow.states import RunState, TaskState

router = APIRouter(tags=["info"])
public = APIRouter(tags=["health"])


@router.get("/models")
def list_models(ctx: Context = Depends(context), _: Any = reader) -> list[dict[str, Any]]:
    reg = ctx.registry
    return [{**reg.get(name).model_dump(), "versions": reg.versions(name)}
            for name in reg.names() if reg.versions(name)]


@router.get("/models/{name}")
def show_model(name: str, ctx: Context = Depends(context), _: Any = reader) -> dict[str, Any]:
    """The latest version's entry, its versions and its full optimization report."""
    entry = ctx.registry.get(check_id(name, "model name"))
    report_path = ctx.registry.report_path(entry)
    report = json.loads(report_path.read_text()) if report_path.is_file() else None
    return {**entry.model_dump(), "versions": ctx.registry.versions(entry.name), "report": report}


@lru_cache(maxsize=1)
def this_device() -> dict[str, Any]:
    """This host's profile, read once per process (it runs nvidia-smi when present)."""
    from edgeweave.runtime.device import detect_device

    return detect_device().model_dump()


@router.get("/device")
def device(_: Any = reader) -> dict[str, Any]:
    return this_device()


NODE_WINDOW = 5_000


def node_rows(ctx: Context) -> list[dict[str, Any]]:
    """Hosts that ran any of the last NODE_WINDOW task tries, busiest first (a bounded
    window, so the cost does not grow with the whole history)."""
    recent = (select(ti_table.c.hostname, ti_table.c.state, ti_table.c.started_at)
              .order_by(ti_table.c.id.desc()).limit(NODE_WINDOW).subquery())
    query = (select(recent.c.hostname, func.count().label("tries"),
                    func.max(recent.c.started_at).label("last_task_at"),
                    func.sum(case((recent.c.state == TaskState.RUNNING.value, 1), else_=0))
                    .label("running"))
             .where(recent.c.hostname.is_not(None)).group_by(recent.c.hostname)
             .order_by(func.count().desc()))
    with ctx.engine.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]


@router.get("/nodes")
def nodes(ctx: Context = Depends(context), _: Any = reader) -> list[dict[str, Any]]:
    """The nodes that ran this store's recent tasks, and this API host with its device profile.

    Every executor records the hostname of each task it runs, so workers on other hosts
    (sharing a PostgreSQL store) appear here as soon as they run something."""
    return node_list(ctx)


def node_list(ctx: Context) -> list[dict[str, Any]]:
    here = socket.gethostname()
    rows = {r["hostname"]: r for r in node_rows(ctx)}
    out = [{"hostname": here, "this_host": True, "tasks_run": rows.get(here, {}).get("tries", 0),
            "running": rows.get(here, {}).get("running", 0) or 0,
            "last_task_at": _iso(rows.get(here, {}).get("last_task_at")), "device": this_device()}]
    out += [{"hostname": h, "this_host": False, "tasks_run": r["tries"], "running": r["running"] or 0,
             "last_task_at": _iso(r["last_task_at"]), "device": None} for h, r in rows.items() if h != here]
    return out


def _iso(when: Any) -> str | None:
    return when.isoformat() if when is not None else None


def _ping(ctx: Context) -> None:
    with ctx.engine.connect() as conn:
        conn.execute(text("SELECT 1"))


@public.get("/health")
async def health(ctx: Context = Depends(context)) -> dict[str, Any]:
    await store_read(ctx, _ping, ctx)
    return {"status": "ok", "dags": len(ctx.bag.dags), "import_errors": len(ctx.bag.import_errors)}


def _counts(ctx: Context, column: Any) -> dict[str, int]:
    with ctx.engine.connect() as conn:
        return {state: n for state, n in conn.execute(select(column, func.count()).group_by(column))}


@public.get("/metrics", response_class=PlainTextResponse)
def metrics(ctx: Context = Depends(context)) -> PlainTextResponse:
    """Prometheus text format: runs and task instances by state, DAGs, import errors."""
    runs, tis = _counts(ctx, run_table.c.state), _counts(ctx, ti_table.c.state)
    lines = ["# HELP edgeweave_dag_runs Workflow runs in the store by state.",
             "# TYPE edgeweave_dag_runs gauge"]
    lines += [f'edgeweave_dag_runs{{state="{s.value}"}} {runs.get(s.value, 0)}' for s in RunState]
    lines += ["# HELP edgeweave_task_instances Task instances in the store by state.",
              "# TYPE edgeweave_task_instances gauge"]
    lines += [f'edgeweave_task_instances{{state="{s.value}"}} {tis.get(s.value, 0)}' for s in TaskState]
    lines += ["# HELP edgeweave_dags DAGs loaded.", "# TYPE edgeweave_dags gauge",
              f"edgeweave_dags {len(ctx.bag.dags)}",
              "# HELP edgeweave_import_errors DAG files that failed to load.",
              "# TYPE edgeweave_import_errors gauge", f"edgeweave_import_errors {len(ctx.bag.import_errors)}"]
    return PlainTextResponse("\n".join(lines) + "\n", media_type="text/plain; version=0.0.4")
