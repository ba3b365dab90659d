"""API worker processes with one SO_REUSEPORT socket each: a dead worker is replaced, a
taken port is a clear error before anything starts."""

from __future__ import annotations

import contextlib
import http.client
import socket
import subprocess
import sys
import time
from typing import Any

import psutil
import pytest

from edgeweave.errors import ParameterError
from edgeweave.server.workers import check_port, reuse_port_supported

pytestmark = pytest.mark.skipif(not reuse_port_supported(), reason="needs SO_REUSEPORT")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _healthy(port: int) -> bool:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:  # a worker killed mid-request resets the connection: that is "not healthy", not an error
        conn.request("GET", "/api/v1/health")
        response = conn.getresponse()
        response.read()
        return response.status == 200
    except OSError:
        return False
    finally:
        conn.close()


def _workers(parent: psutil.Process) -> list[psutil.Process]:
    """Live API worker processes (a killed one is a zombie until the supervisor reaps it)."""
    live = []
    for child in parent.children():
        try:
            if child.status() != psutil.STATUS_ZOMBIE and "spawn_main" in " ".join(child.cmdline()):
                live.append(child)
        except psutil.Error:
            continue
    return live


def _until(check, what: str, timeout: float = 30.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not (value := check()):
        assert time.monotonic() < deadline, what
        time.sleep(0.1)
    return value


def _serve_two_workers(tmp_path, port: int, **output: Any) -> subprocess.Popen:  # type: ignore[type-arg]
    """`edgeweave serve --workers 2 --no-scheduler` on ``port`` with a fresh home."""
    (tmp_path / "dags").mkdir()
    env = {"PATH": "/usr/bin:/bin", "EDGEWEAVE_HOME": str(tmp_path), "EDGEWEAVE_DAGS": str(tmp_path / "dags")}
    return subprocess.Popen([sys.executable, "-m", "edgeweave.cli.main", "serve", "--port", str(port),
                             "--workers", "2", "--no-scheduler"], env=env, **output)


def test_a_killed_worker_is_replaced_and_the_api_keeps_answering(tmp_path):
    port = _free_port()
    proc = _serve_two_workers(tmp_path, port, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        parent = psutil.Process(proc.pid)
        _until(lambda: _healthy(port) and len(_workers(parent)) == 2, "two workers should serve")
        victim = _workers(parent)[0]
        victim.kill()
        _until(lambda: victim.pid not in [w.pid for w in _workers(parent)] and len(_workers(parent)) == 2,
               "the dead worker should be replaced")
        _until(lambda: all(_healthy(port) for _ in range(10)), "the API should answer")
        proc.terminate()
        out = proc.communicate(timeout=20)[0]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert f"API worker pid {victim.pid} exited" in out


def test_a_port_taken_by_another_program_is_refused_up_front():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ParameterError, match=f"cannot listen on 127.0.0.1:{port}"):
            check_port("127.0.0.1", port)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signal is Linux-only")
def test_workers_stop_when_serve_is_killed(tmp_path):
    port = _free_port()
    proc = _serve_two_workers(tmp_path, port, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    parent = psutil.Process(proc.pid)
    workers: list[psutil.Process] = []
    try:
        workers = _until(lambda: _healthy(port) and len(_workers(parent)) == 2 and _workers(parent),
                         "two workers should serve")
        proc.kill()  # no cleanup runs in serve: the kernel must tell the workers
        proc.wait()
        _, alive = psutil.wait_procs(workers, timeout=15)
        assert not alive, f"workers left running: {[p.pid for p in alive]}"
    finally:  # never leave processes behind, whatever failed
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for worker in workers:
            with contextlib.suppress(psutil.Error):
                worker.kill()
