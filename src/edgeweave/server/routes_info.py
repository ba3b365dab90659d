"""Models and their reports, the device profile, health and Prometheus metrics."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import PlainTextResponse
from sqlalchemy import func, select, text

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
    report_path = ctx.registry.root / entry.name / str(entry.version) / "report.json"
    report = json.loads(report_path.read_text()) if report_path.is_file() else None
    return {**entry.model_dump(), "versions": ctx.registry.versions(entry.name), "report": report}


@router.get("/device")
def device(_: Any = reader) -> dict[str, Any]:
    from edgeweave.runtime.device import detect_device

    return detect_device().model_dump()


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
