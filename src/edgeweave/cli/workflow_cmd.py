"""Workflow commands: ``dags list|show|validate``, ``trigger``, ``runs list|show``,
``tasks logs`` and ``scheduler``."""

from __future__ import annotations

import json
import signal
import threading
import time
from pathlib import Path

import typer
from rich.table import Table

from edgeweave.cli.console import make_console
from edgeweave.errors import DagError, ParameterError

console = make_console()
dags_app = typer.Typer(no_args_is_help=True, help="List, show and validate DAGs.")
runs_app = typer.Typer(no_args_is_help=True, help="List and show DAG runs.")
tasks_app = typer.Typer(no_args_is_help=True, help="Task instances: logs.")
STATE_STYLE = {"success": "green", "failed": "red", "upstream_failed": "dark_orange",
               "running": "cyan", "queued": "blue", "scheduled": "blue", "up_for_retry": "yellow",
               "skipped": "magenta", "cancelled": "red", "none": "dim"}


def _styled(state: str) -> str:
    return f"[{STATE_STYLE.get(state, 'white')}]{state}[/]"


def _bag(folder: list[Path] | None):  # type: ignore[no-untyped-def]
    from edgeweave.workflow.service import load_dags

    return load_dags(folder or None)


@dags_app.command("list")
def dags_list(folder: list[Path] = typer.Option(None, "--folder", help="DAG folder(s)")) -> None:
    """DAGs found in the DAG folders (and the bundled examples), plus files that failed."""
    bag = _bag(folder)
    table = Table("dag_id", "schedule", "tasks", "params", "file")
    for dag_id, dag in sorted(bag.dags.items()):
        table.add_row(dag_id, dag.schedule or "-", str(len(dag.tasks)),
                      ", ".join(dag.params) or "-", str(bag.files.get(dag_id, "")))
    console.print(table)
    _print_import_errors(bag.import_errors)


def _print_import_errors(errors: dict[str, str]) -> None:
    for file, message in errors.items():
        console.print(f"[bold red]import error[/] {file}:\n{message}", highlight=False)


@dags_app.command("show")
def dags_show(dag_id: str, folder: list[Path] = typer.Option(None, "--folder")) -> None:
    """A DAG's tasks in dependency order, with their settings and params."""
    from edgeweave.workflow.service import get_dag

    dag = get_dag(_bag(folder), dag_id)
    console.print(f"[bold]{dag.dag_id}[/] — {dag.description or ''}")
    console.print(f"schedule: {dag.schedule or 'manual'} ({dag.timezone}), "
                  f"max_active_runs {dag.max_active_runs}, source {dag.source}")
    table = Table("task", "runs", "upstream", "retries", "timeout s", "trigger rule")
    for tid in dag.topological_order():
        t = dag.tasks[tid]
        table.add_row(tid, t.operator or t.callable_ref or "?", ", ".join(t.upstream) or "-",
                      str(t.retries), str(t.timeout_s or "-"), t.trigger_rule.value)
    console.print(table)
    if dag.params:
        params = Table("param", "type", "default", "description")
        for p in dag.params.values():
            params.add_row(p.name, p.type, "required" if p.required else json.dumps(p.default),
                           p.description)
        console.print(params)


@dags_app.command("pause")
def dags_pause(dag_id: str) -> None:
    """Stop cron schedules of a DAG from starting runs (manual triggers still work)."""
    _set_paused(dag_id, True)


@dags_app.command("unpause")
def dags_unpause(dag_id: str) -> None:
    """Let a paused DAG's schedule start runs again."""
    _set_paused(dag_id, False)


def _set_paused(dag_id: str, paused: bool) -> None:
    from edgeweave.store import repository as repo
    from edgeweave.workflow.service import get_dag, load_dags, open_engine

    dag = get_dag(load_dags(), dag_id)
    engine = open_engine()
    repo.sync_dag(engine, dag)
    repo.set_paused(engine, dag_id, paused)
    console.print(f"{dag_id}: {'paused' if paused else 'unpaused'}")


@dags_app.command("validate")
def dags_validate(paths: list[Path] = typer.Argument(None, help="files or folders")) -> None:
    """Load DAG files and report every problem with file and line; exit 9 if any."""
    from edgeweave.workflow.loader import DagBag
    from edgeweave.workflow.service import known_operators, load_dags

    if paths:
        missing = [str(p) for p in paths if not p.exists()]
        if missing:
            raise ParameterError(f"no such file or folder: {', '.join(missing)}")
        bag = DagBag.load([p for p in paths if p.is_dir()], known_operators=known_operators())
        for p in paths:
            if p.is_file():
                bag.load_file(p, known_operators())
    else:
        bag = load_dags()
    for dag_id in sorted(bag.dags):
        console.print(f"[green]ok[/] {dag_id} ({len(bag.dags[dag_id].tasks)} tasks)")
    if bag.import_errors:
        _print_import_errors(bag.import_errors)
        raise DagError(f"{len(bag.import_errors)} DAG file(s) failed to load",
                       "fix the problems listed above")


def trigger(
    dag_id: str,
    param: list[str] = typer.Option(None, "--param", "-p", help="k=v (value parsed as JSON)"),
    conf: str = typer.Option(None, "--conf", help="params as one JSON object"),
    wait: bool = typer.Option(False, "--wait", help="run it here and wait for the result"),
    timeout: float = typer.Option(None, "--timeout", help="with --wait: give up after seconds"),
) -> None:
    """Trigger a DAG run with validated params; --wait runs it in-process, live."""
    from edgeweave.workflow import service
    from edgeweave.workflow.params import parse_cli_params

    bag = service.load_dags()
    dag = service.get_dag(bag, dag_id)
    params: dict = {}
    if conf:
        try:
            params = json.loads(conf)
        except json.JSONDecodeError as exc:
            raise ParameterError(f"--conf is not valid JSON: {exc}") from exc
        if not isinstance(params, dict):
            raise ParameterError("--conf must be a JSON object, e.g. '{\"pages\": 4}'")
    params.update(parse_cli_params(param or [], dag))
    engine = service.open_engine()
    run_id = service.trigger(engine, dag, params)
    console.print(f"triggered [bold]{run_id}[/]")
    if not wait:
        console.print("a running `edgeweave scheduler` will run it; or use --wait")
        return
    state = _run_and_follow(engine, bag, run_id, timeout)
    if state != "success":
        raise typer.Exit(1)


def _run_and_follow(engine, bag, run_id: str, timeout: float | None) -> str:  # type: ignore[no-untyped-def]
    from edgeweave.store import repository as repo
    from edgeweave.workflow.service import make_scheduler

    scheduler = make_scheduler(engine, bag)
    stop = threading.Event()
    worker = threading.Thread(target=scheduler.run_forever, args=(stop,), daemon=True)
    worker.start()
    seen: dict[str, str] = {}
    deadline = None if timeout is None else time.monotonic() + timeout
    try:
        while True:
            run = repo.get_run(engine, run_id)
            for ti in repo.task_instances(engine, run.id):
                if seen.get(ti.task_id) != ti.state:
                    seen[ti.task_id] = ti.state
                    console.print(f"  {ti.task_id}: {_styled(ti.state)}"
                                  + (f" (try {ti.try_number})" if ti.try_number > 1 else ""))
            if run.state in ("success", "failed", "cancelled"):
                console.print(f"run {run_id}: {_styled(run.state)}")
                return run.state
            if deadline is not None and time.monotonic() > deadline:
                scheduler.cancel_run(run_id)
                console.print(f"[red]timed out after {timeout}s; run cancelled[/]")
                return "cancelled"
            time.sleep(0.2)
    finally:
        scheduler.stop(stop)
        worker.join(timeout=10)
        scheduler.close()


@runs_app.command("list")
def runs_list(dag: str = typer.Option(None, "--dag"), state: str = typer.Option(None, "--state"),
              limit: int = typer.Option(20, "--limit")) -> None:
    """Recent runs, newest first."""
    from edgeweave.store import repository as repo
    from edgeweave.workflow.service import open_engine

    table = Table("run_id", "dag", "state", "source", "created", "duration s")
    for run in repo.list_runs(open_engine(), dag, state, limit=limit):
        duration = (run.ended_at - run.started_at).total_seconds() \
            if run.ended_at and run.started_at else None
        table.add_row(run.run_id, run.dag_id, _styled(run.state), run.trigger_source,
                      f"{run.created_at:%Y-%m-%d %H:%M:%S}", f"{duration:.2f}" if duration else "-")
    console.print(table)


@runs_app.command("show")
def runs_show(run_id: str) -> None:
    """A run's params and its task instances (state, tries, duration, error)."""
    from edgeweave.store import repository as repo
    from edgeweave.workflow.service import open_engine

    engine = open_engine()
    run = repo.get_run(engine, run_id)
    console.print(f"[bold]{run.run_id}[/] {run.dag_id} {_styled(run.state)} "
                  f"params={json.dumps(run.params)}")
    table = Table("task", "state", "try", "duration s", "error")
    for ti in repo.task_instances(engine, run.id):
        table.add_row(ti.task_id, _styled(ti.state), f"{ti.try_number}/{ti.max_tries}",
                      f"{ti.duration:.3f}" if ti.duration is not None else "-",
                      (ti.error or "").splitlines()[-1][:80] if ti.error else "")
    console.print(table)


@tasks_app.command("logs")
def tasks_logs(run_id: str, task_id: str,
               try_number: int = typer.Option(None, "--try", help="default: the latest try"),
               tail: int = typer.Option(None, "--tail", help="last N lines only")) -> None:
    """Captured stdout, stderr and logging of one task try."""
    from edgeweave.store import repository as repo
    from edgeweave.workflow.service import open_engine

    engine = open_engine()
    ti = repo.get_task_instance(engine, run_id, task_id)
    read = repo.read_log(engine, ti.id, try_number or ti.try_number or None, tail=tail)
    console.print(f"[dim]{run_id} {task_id} try {read.try_number}[/]")
    console.print(read.text, end="", markup=False, highlight=False)


def scheduler(webhook_port: int = typer.Option(None, "--webhook-port"),
              mqtt_host: str = typer.Option(None, "--mqtt-host"),
              mqtt_port: int = typer.Option(1883, "--mqtt-port")) -> None:
    """Run the scheduler: queued runs, cron schedules, webhook/MQTT/file events."""
    from edgeweave.workflow.service import SchedulerService, load_dags, open_engine

    bag = load_dags()
    _print_import_errors(bag.import_errors)
    service = SchedulerService(open_engine(), bag, webhook_port, mqtt_host, mqtt_port)
    signal.signal(signal.SIGTERM, lambda *_: service.stop.set())
    console.print(f"scheduler running with {len(bag.dags)} DAG(s); Ctrl-C to stop")
    try:
        service.run()
    except KeyboardInterrupt:
        service.stop.set()
