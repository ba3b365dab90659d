"""``edgeweave serve``: the REST API and the scheduler in one process (embedded defaults)."""

from __future__ import annotations

import threading

import typer

from edgeweave.cli.console import make_console

console = make_console()


def serve(host: str = typer.Option("127.0.0.1", "--host"),
          port: int = typer.Option(8080, "--port"),
          no_scheduler: bool = typer.Option(False, "--no-scheduler",
                                            help="API only; run `edgeweave scheduler` apart")) -> None:
    """Serve /api/v1 on HOST:PORT with the scheduler running in-process (SQLite by default)."""
    import uvicorn

    from edgeweave.server.app import create_app
    from edgeweave.server.auth import AuthConfig
    from edgeweave.workflow.service import SchedulerService, load_dags, open_engine

    engine = open_engine()
    bag = load_dags()
    auth = AuthConfig()
    created = auth.store().ensure_admin()
    if created is not None:  # shown once: only hashes are stored
        console.print(f"[bold]created admin[/] user {created.user!r} password {created.password!r}"
                      f"\n  API token (Authorization: Bearer ...): {created.token}")
    service = None if no_scheduler else SchedulerService(engine, bag)
    if service is not None:
        threading.Thread(target=service.run, name="edgeweave-scheduler", daemon=True).start()
    console.print(f"EdgeWeave API on http://{host}:{port}/api/v1 (OpenAPI: /openapi.json); "
                  f"{len(bag.dags)} DAG(s), scheduler {'off' if service is None else 'on'}")
    try:
        uvicorn.run(create_app(engine, bag, auth=auth), host=host, port=port, log_level="warning")
    finally:
        if service is not None:
            service.stop.set()
