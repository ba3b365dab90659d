"""The HTML pages: DAG list, Graph, Grid, trigger form, runs, live run, task log, models,
model report with its chart, device. Each page needs a logged-in user (any role)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response

from edgeweave.errors import ParameterError
from edgeweave.server.auth import Principal, Role
from edgeweave.server.deps import Context, context
from edgeweave.server.problems import check_id
from edgeweave.server.routes_dags import task_summary
from edgeweave.server.routes_info import node_list, this_device
from edgeweave.server.ui import charts, queries
from edgeweave.server.ui.graph_layout import Layout, layout
from edgeweave.server.ui.render import page
from edgeweave.server.ui.session import ui_user
from edgeweave.store import repository as repo
from edgeweave.workflow import service
from edgeweave.workflow.dag import DAG
from edgeweave.workflow.params import params_json_schema
from edgeweave.workflow.states import RunState

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)
RECENT = 8
PAGE = 50


def _dag(ctx: Context, dag_id: str) -> DAG:
    return service.get_dag(ctx.bag, check_id(dag_id, "DAG id"))


@lru_cache(maxsize=256)
def _layout(dag_id: str, structure: str) -> Layout:
    """Layouts depend only on the structure, so they are computed once per DAG version."""
    upstream = json.loads(structure)
    return layout(list(upstream), upstream)


def dag_layout(dag: DAG) -> Layout:
    order = dag.topological_order()
    return _layout(dag.dag_id, json.dumps({t: list(dag.tasks[t].upstream) for t in order}))


def task_details(dag: DAG) -> dict[str, dict[str, Any]]:
    """Per task id, what its panel shows (the API's task summary without the id)."""
    return {t.task_id: {k: v for k, v in task_summary(t).items() if k != "task_id"}
            for t in dag.tasks.values()}


def next_fire_of(dag: DAG) -> datetime | None:
    """When the DAG's schedule fires next (None without a cron schedule)."""
    if not dag.schedule:
        return None
    from edgeweave.workflow.triggers_cron import next_fire

    try:
        return next_fire(dag.schedule, dag.timezone, datetime.now(timezone.utc))
    except (ValueError, KeyError):  # a non-cron schedule: nothing to show
        return None


@router.get("/")
def dag_list(request: Request, ctx: Context = Depends(context),
             who: Principal = Depends(ui_user)) -> Response:
    paused = queries.paused_flags(ctx.engine)
    recent = queries.recent_runs(ctx.engine, sorted(ctx.bag.dags), RECENT)
    dags = [{"dag": d, "paused": paused.get(d.dag_id, False), "recent": recent.get(d.dag_id, []),
             "next_fire": next_fire_of(d)} for d in sorted(ctx.bag.dags.values(), key=lambda d: d.dag_id)]
    return page(request, "dags.html", who, "DAGs", dags=dags,
                import_errors=sorted(ctx.bag.import_errors.items()))


@router.get("/dags/{dag_id}")
def graph_view(request: Request, dag_id: str, run: str | None = Query(None, max_length=250),
               ctx: Context = Depends(context), who: Principal = Depends(ui_user)) -> Response:
    dag = _dag(ctx, dag_id)
    runs = queries.run_choices(ctx.engine, dag.dag_id)
    selected = check_id(run, "run id") if run else (runs[0]["run_id"] if runs else None)
    return page(request, "graph.html", who, f"{dag.dag_id} - Graph", dag=dag, tab="graph",
                layout=dag_layout(dag), runs=runs, selected=selected,
                tasks_json=json.dumps(task_details(dag)),
                paused=repo.is_paused(ctx.engine, dag.dag_id))


@router.get("/dags/{dag_id}/grid")
def grid_view(request: Request, dag_id: str, runs: int = Query(25, ge=1, le=100),
              ctx: Context = Depends(context), who: Principal = Depends(ui_user)) -> Response:
    dag = _dag(ctx, dag_id)
    return page(request, "grid.html", who, f"{dag.dag_id} - Grid", dag=dag, tab="grid", runs=runs,
                depth={n.id: n.layer for n in dag_layout(dag).nodes},
                paused=repo.is_paused(ctx.engine, dag.dag_id))


def form_fields(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The trigger form's inputs, one per param, from the params JSON schema."""
    required = set(schema.get("required", []))
    fields = []
    for name, prop in schema.get("properties", {}).items():
        options = prop.get("enum")
        if options is None and "anyOf" in prop:  # optional params: {anyOf: [{type: X}, {type: null}]}
            prop = {**prop, **next((a for a in prop["anyOf"] if a.get("type") != "null"), {})}
            options = prop.get("enum")
        kind = "select" if options else {"boolean": "checkbox", "integer": "integer", "number": "number",
                                         "array": "json", "object": "json"}.get(prop.get("type", ""), "text")
        limits = [f"{word} {prop[key]:g}" for key, word in (("minimum", ">="), ("maximum", "<="))
                  if prop.get(key) is not None]
        default = prop.get("default")
        fields.append({"name": name, "kind": kind, "options": options or [], "required": name in required,
                       "minimum": prop.get("minimum"), "maximum": prop.get("maximum"),
                       "description": prop.get("description", ""), "type": prop.get("type", "any"),
                       "limits": ", ".join(limits),
                       "value": json.dumps(default) if kind == "json" and default is not None
                       else ("" if default is None else default)})
    return fields


@router.get("/dags/{dag_id}/trigger")
def trigger_form(request: Request, dag_id: str, ctx: Context = Depends(context),
                 who: Principal = Depends(ui_user)) -> Response:
    dag = _dag(ctx, dag_id)
    return page(request, "trigger.html", who, f"Trigger {dag.dag_id}", dag=dag, tab="trigger",
                fields=form_fields(params_json_schema(dag)), paused=repo.is_paused(ctx.engine, dag.dag_id))


@router.get("/runs")
def runs_page(request: Request, dag_id: str | None = Query(None, max_length=250),
              state: str | None = Query(None, max_length=30), offset: int = Query(0, ge=0),
              ctx: Context = Depends(context), who: Principal = Depends(ui_user)) -> Response:
    if dag_id:
        check_id(dag_id, "DAG id")
    states = [s.value for s in RunState]
    if state and state not in states:
        raise ParameterError(f"unknown run state {state!r}", f"use one of {', '.join(states)}")
    rows = repo.run_summaries(ctx.engine, dag_id or None, state or None, limit=PAGE + 1, offset=offset)
    return page(request, "runs.html", who, "Runs", runs=rows[:PAGE], offset=offset, page=PAGE,
                more=len(rows) > PAGE, dag_id=dag_id or "", state=state or "",
                dag_ids=sorted(ctx.bag.dags), states=states)


@router.get("/runs/{run_id}")
def run_page(request: Request, run_id: str, ctx: Context = Depends(context),
             who: Principal = Depends(ui_user)) -> Response:
    run = repo.get_run(ctx.engine, check_id(run_id, "run id"))
    tis = repo.task_instances(ctx.engine, run.id)
    return page(request, "run.html", who, f"Run {run.run_id}", run=run, tis=tis,
                params_json=json.dumps(run.params, indent=1, default=str))


@router.get("/runs/{run_id}/tasks/{task_id}")
def task_page(request: Request, run_id: str, task_id: str, try_: int | None = Query(None, alias="try", ge=0),
              ctx: Context = Depends(context), who: Principal = Depends(ui_user)) -> Response:
    ti = repo.get_task_instance(ctx.engine, check_id(run_id, "run id"), check_id(task_id, "task id"))
    return page(request, "task.html", who, f"{task_id} - {run_id}", ti=ti, run_id=run_id,
                try_number=try_ if try_ is not None else "",
                spec_json=json.dumps(ti.spec, indent=1, default=str))


@router.get("/models")
def models_page(request: Request, ctx: Context = Depends(context),
                who: Principal = Depends(ui_user)) -> Response:
    reg = ctx.registry
    models = [{"entry": reg.get(n), "versions": reg.versions(n)} for n in reg.names() if reg.versions(n)]
    return page(request, "models.html", who, "Models", models=models)


def _report(ctx: Context, name: str, version: str) -> tuple[Any, dict[str, Any] | None, Any]:
    if version != "latest" and not version.isdigit():
        raise ParameterError(f"bad model version {version!r}", "use a version number or 'latest'")
    entry = ctx.registry.get(check_id(name, "model name"), version)
    path = ctx.registry.report_path(entry)
    return entry, (json.loads(path.read_text()) if path.is_file() else None), path


@router.get("/models/{name}")
def model_page(request: Request, name: str, version: str = Query("latest", max_length=20),
               ctx: Context = Depends(context), who: Principal = Depends(ui_user)) -> Response:
    from pydantic import ValidationError

    from edgeweave.optimize.report import OptimizationReport

    entry, raw, path = _report(ctx, name, version)
    report, problem = None, ""
    if raw is not None:
        try:
            report = OptimizationReport.model_validate(raw)
        except ValidationError as exc:  # written by another version, or edited by hand
            problem = f"{path} does not match the report schema: {exc.error_count()} problem(s), " \
                      f"first: {'.'.join(map(str, exc.errors()[0]['loc']))}: {exc.errors()[0]['msg']}"
    return page(request, "model.html", who, f"Model {entry.name}", entry=entry, report=report,
                report_problem=problem, versions=ctx.registry.versions(entry.name))


@router.get("/models/{name}/chart.svg")
def model_chart(name: str, version: str = Query("latest", max_length=20), ctx: Context = Depends(context),
                who: Principal = Depends(ui_user)) -> Response:
    entry, report, path = _report(ctx, name, version)
    if report is None:
        svg = charts.latency_accuracy_svg({}, f"{entry.name} v{entry.version}: no report")
    else:
        svg = charts.cached_svg(path, path.stat().st_mtime_ns, f"{entry.name} v{entry.version}")
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "private, max-age=60"})


@router.get("/device")
def device_page(request: Request, ctx: Context = Depends(context),
                who: Principal = Depends(ui_user)) -> Response:
    return page(request, "device.html", who, "Device and nodes", device=this_device(),
                nodes=node_list(ctx))


@router.get("/users")
def users_page(request: Request, ctx: Context = Depends(context),
               who: Principal = Depends(ui_user)) -> Response:
    if not who.can(Role.ADMIN):
        raise HTTPException(403, f"user {who.user!r} ({who.role.value}) may not manage users; "
                                 "it needs the admin role")
    return page(request, "users.html", who, "Users", users=ctx.store.users())


@router.get("/account")
def account_page(request: Request, who: Principal = Depends(ui_user)) -> Response:
    from edgeweave.server.auth import MIN_PASSWORD

    return page(request, "account.html", who, "Your account", min_password=MIN_PASSWORD)
