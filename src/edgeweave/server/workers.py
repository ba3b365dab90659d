"""N API worker processes, each with its own listening socket on one port (SO_REUSEPORT).

uvicorn's ``--workers`` shares one listening socket between its workers; whichever worker
is awake accepts a whole burst of new connections, so 20 clients often all land on one
worker while the other idles (measured: 20/0 splits in bench/api_load.py). With one
SO_REUSEPORT socket per worker the kernel spreads new connections across them by hash.

The supervisor restarts a worker that dies, and on SIGTERM/SIGINT stops them all. Where the
platform has no SO_REUSEPORT, ``reuse_port_supported()`` is False and callers fall back to
uvicorn's own workers.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
import sys
import time
from collections.abc import Callable
from typing import Any

from edgeweave.errors import EdgeWeaveError, ParameterError

log = logging.getLogger(__name__)
RESTART_BACKOFF_S = 1.0
EARLY_DEATH_S = 5.0
MAX_EARLY_DEATHS = 3


def die_with_parent() -> Callable[[], Any] | None:
    """On Linux, a function that asks the kernel to SIGTERM the calling process when its
    parent dies without cleaning up (SIGKILL, crash), so no child serves or schedules on its
    own; None elsewhere. Usable as a ``preexec_fn`` or called first thing in a child."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None
    pr_set_pdeathsig = 1
    return lambda: libc.prctl(pr_set_pdeathsig, signal.SIGTERM)


def reuse_port_supported() -> bool:
    return hasattr(socket, "SO_REUSEPORT") and os.name == "posix"


def listening_socket(host: str, port: int, backlog: int = 2048) -> socket.socket:
    """A socket bound to (host, port) with SO_REUSEPORT, listening."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(backlog)
    sock.set_inheritable(True)
    return sock


def check_port(host: str, port: int) -> None:
    """ParameterError, before any worker starts, when (host, port) is taken by another program
    (bound but not listening, so no connection is ever queued on this probe)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise ParameterError(f"cannot listen on {host}:{port}: {exc.strerror or exc}",
                                 "choose another --port, or stop the program using it") from exc


def _worker(app: str, host: str, port: int, options: dict[str, Any], app_dir: str | None,
            parent: int) -> None:
    """One worker process: its own socket, one uvicorn server with the app factory."""
    import uvicorn

    hook = die_with_parent()
    if hook is not None:
        hook()
    if os.getppid() != parent:  # the supervisor died before the hook was set
        return

    if app_dir:
        sys.path.insert(0, app_dir)
    config = uvicorn.Config(app, factory=True, **{k: v for k, v in options.items() if k != "workers"})
    config.load()  # build the app first: the kernel routes connections to a socket once it listens
    uvicorn.Server(config).run(sockets=[listening_socket(host, port)])


class WorkerPool:
    """Start ``count`` workers; ``run()`` watches them until SIGTERM/SIGINT, then stops them."""

    def __init__(self, app: str, host: str, port: int, count: int, options: dict[str, Any],
                 app_dir: str | None = None, report: Callable[[str], None] = log.error) -> None:
        self.app, self.host, self.port, self.count = app, host, port, count
        self.options, self.app_dir, self.report = options, app_dir, report
        self._ctx = multiprocessing.get_context("spawn")
        self.procs: list[Any] = []
        self._started: dict[int, float] = {}
        self._stopping = False

    def _spawn(self) -> Any:
        proc = self._ctx.Process(target=_worker, name="edgeweave-api-worker",
                                 args=(self.app, self.host, self.port, self.options, self.app_dir,
                                       os.getpid()))
        proc.start()
        self._started[proc.pid] = time.monotonic()
        return proc

    def _stop(self, signum: int, frame: Any) -> None:
        self._stopping = True

    def run(self) -> None:
        check_port(self.host, self.port)
        previous = {sig: signal.signal(sig, self._stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        self.procs = [self._spawn() for _ in range(self.count)]
        early_deaths = 0
        try:
            while not self._stopping:
                for i, proc in enumerate(self.procs):
                    proc.join(timeout=0.2)
                    if proc.exitcode is None or self._stopping:
                        continue
                    lived = time.monotonic() - self._started.pop(proc.pid, 0.0)
                    early_deaths = early_deaths + 1 if lived < EARLY_DEATH_S else 0
                    if early_deaths >= MAX_EARLY_DEATHS:
                        raise EdgeWeaveError(f"API workers keep exiting at start (last code {proc.exitcode})",
                                             "see the worker's error above")
                    self.report(f"API worker pid {proc.pid} exited with code {proc.exitcode}; "
                                "starting a new one")
                    time.sleep(RESTART_BACKOFF_S)
                    self.procs[i] = self._spawn()
        finally:
            self.stop()
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def stop(self, grace_s: float = 10.0) -> None:
        self._stopping = True
        for proc in self.procs:
            if proc.is_alive():
                proc.terminate()  # uvicorn finishes its requests on SIGTERM
        deadline = time.monotonic() + grace_s
        for proc in self.procs:
            proc.join(timeout=max(deadline - time.monotonic(), 0.1))
            if proc.is_alive():
                proc.kill()
                proc.join()
