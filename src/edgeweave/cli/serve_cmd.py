"""``edgeweave serve``: the REST API and the scheduler.

Default: one process, the scheduler in a thread beside one uvicorn server (embedded
defaults, nothing to set up). ``--production`` (or ``--workers N`` > 1): the scheduler runs
as its own child process (``edgeweave scheduler``) and the API in N uvicorn worker
processes (default 2), each building its app from the environment
(:func:`edgeweave.server.factory.app_from_env`). The child is stopped when serve stops;
if it dies, serve says so and keeps serving the API.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from typing import Any

import typer

from edgeweave.cli.console import make_console
from edgeweave.errors import ParameterError

console = make_console()
PRODUCTION_WORKERS = 2
STOP_GRACE_S = 10.0


def serve(host: str = typer.Option("127.0.0.1", "--host"),
          port: int = typer.Option(8080, "--port"),
          no_scheduler: bool = typer.Option(False, "--no-scheduler",
                                            help="API only; run `edgeweave scheduler` apart"),
          workers: int = typer.Option(None, "--workers", min=1,
                                      help="API worker processes (default 1; 2 with --production)"),
          production: bool = typer.Option(False, "--production",
                                          help="scheduler in its own process, API in N workers"),
          ssl_certfile: str = typer.Option(None, "--ssl-certfile", help="serve HTTPS with this certificate"),
          ssl_keyfile: str = typer.Option(None, "--ssl-keyfile",
                                          help="the certificate's private key")) -> None:
    """Serve the web UI and /api/v1 on HOST:PORT with the scheduler (SQLite by default).

    Over HTTPS (``--ssl-certfile``/``--ssl-keyfile``, or a TLS proxy on this host sending
    X-Forwarded-Proto) the session cookie is marked Secure."""
    import uvicorn

    from edgeweave.server.factory import APP_FACTORY, uvicorn_options
    from edgeweave.server.workers import WorkerPool, reuse_port_supported
    from edgeweave.workflow.service import load_dags, open_engine

    if bool(ssl_certfile) != bool(ssl_keyfile):
        raise ParameterError("--ssl-certfile and --ssl-keyfile go together", "give both, or neither")
    tls = {"ssl_certfile": ssl_certfile, "ssl_keyfile": ssl_keyfile} if ssl_certfile else {}
    scheme = "https" if tls else "http"
    if not tls and host not in ("127.0.0.1", "localhost", "::1"):
        console.print(f"[bold yellow]warning:[/] serving plain HTTP on {host}: passwords, tokens and "
                      "session cookies cross the network unencrypted; use --ssl-certfile/--ssl-keyfile "
                      "or a TLS proxy in front", highlight=False)
    workers = workers or (PRODUCTION_WORKERS if production else 1)
    engine = open_engine()  # migrates the store once, before any worker opens it
    bag = load_dags()
    _print_admin_once()
    if not production and workers == 1:
        _serve_one_process(engine, bag, host, port, not no_scheduler, tls)
        return
    engine.dispose()
    console.print(f"EdgeWeave UI on {scheme}://{host}:{port}/ and API under /api/v1 (OpenAPI: "
                  f"/openapi.json); {len(bag.dags)} DAG(s), {workers} API worker process(es), "
                  f"scheduler {'off' if no_scheduler else 'in its own process'}")
    child = None if no_scheduler else SchedulerProcess.start()
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        if reuse_port_supported():  # one socket per worker: connections spread evenly
            WorkerPool(APP_FACTORY, host, port, workers, {**uvicorn_options(1), "host": host,
                                                          "port": port, **tls},
                       report=lambda text: console.print(f"[bold red]{text}[/]", highlight=False)).run()
        else:
            uvicorn.run(APP_FACTORY, factory=True, host=host, port=port, **uvicorn_options(workers), **tls)
    finally:
        if child is not None:
            child.stop()


def _print_admin_once() -> None:
    from edgeweave.server.auth import AuthConfig

    created = AuthConfig().store().ensure_admin()
    if created is not None:  # shown once: only hashes are stored
        console.print(f"[bold]created admin[/] user {created.user!r} password {created.password!r}"
                      f"\n  API token (Authorization: Bearer ...): {created.token}")


def _serve_one_process(engine: Any, bag: Any, host: str, port: int, scheduler: bool,
                       tls: dict[str, str]) -> None:
    import uvicorn

    from edgeweave.server.app import create_app
    from edgeweave.server.auth import AuthConfig
    from edgeweave.server.factory import uvicorn_options
    from edgeweave.workflow.service import DAG_REFRESH_S, SchedulerService

    service = SchedulerService(engine, bag) if scheduler else None
    if service is not None:
        threading.Thread(target=service.run, name="edgeweave-scheduler", daemon=True).start()
    scheme = "https" if tls else "http"
    console.print(f"EdgeWeave UI on {scheme}://{host}:{port}/ and API under /api/v1 (OpenAPI: "
                  f"/openapi.json); {len(bag.dags)} DAG(s), scheduler {'off' if service is None else 'on'}")
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        app = create_app(engine, bag, auth=AuthConfig(), dag_refresh_s=DAG_REFRESH_S)
        uvicorn.run(app, host=host, port=port, **uvicorn_options(1), **tls)
    finally:
        if service is not None:
            service.stop.set()


def _exit_on_sigterm(signum: int, frame: Any) -> None:
    """uvicorn shuts down on SIGTERM, then raises it again: end with cleanup, not abruptly."""
    raise SystemExit(0)


class SchedulerProcess:
    """``edgeweave scheduler`` as a child process, watched by a thread that reports its death."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self.proc = proc
        self.stopping = threading.Event()
        self.watcher = threading.Thread(target=self._watch, name="edgeweave-scheduler-watch", daemon=True)
        self.watcher.start()

    @classmethod
    def start(cls) -> SchedulerProcess:
        from edgeweave.server.workers import die_with_parent

        # its own session: a Ctrl-C in the terminal reaches serve, which then stops it
        proc = subprocess.Popen([sys.executable, "-m", "edgeweave.cli.main", "scheduler"],
                                start_new_session=True, preexec_fn=die_with_parent())
        console.print(f"scheduler process started (pid {proc.pid})")
        return cls(proc)

    def _watch(self) -> None:
        code = self.proc.wait()
        if not self.stopping.is_set():
            console.print(f"[bold red]scheduler process (pid {self.proc.pid}) exited with code {code}[/]: "
                          "no runs are scheduled until `edgeweave serve` is restarted (or run "
                          "`edgeweave scheduler` apart); the API keeps serving", highlight=False)

    def stop(self) -> None:
        """SIGTERM (the scheduler finishes its step and exits), SIGKILL after a grace period."""
        self.stopping.set()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                console.print(f"scheduler process (pid {self.proc.pid}) did not stop in "
                              f"{STOP_GRACE_S:.0f} s: killed")
                self.proc.kill()
                self.proc.wait()
        self.watcher.join(timeout=1)
