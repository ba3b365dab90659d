"""`edgeweave serve --production`: API workers plus a scheduler child, none left behind."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import psutil


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_health(port: int, proc: subprocess.Popen[str], timeout: float = 15.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()[0]
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=2) as resp:
                return json.loads(resp.read())
        except OSError:
            time.sleep(0.1)
    raise AssertionError("server did not start")


def _scheduler_child(parent: psutil.Process) -> psutil.Process:
    for _ in range(50):
        found = [c for c in parent.children() if "scheduler" in c.cmdline()]
        if found:
            return found[0]
        time.sleep(0.1)
    raise AssertionError("no scheduler child process")


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _gone(pids: list[int], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not any(_alive(p) for p in pids):
            return True
        time.sleep(0.1)
    return False


def _serve(tmp_path, port: int, *args: str) -> subprocess.Popen[str]:  # type: ignore[no-untyped-def]
    """`edgeweave serve ARGS` on ``port`` with a fresh home and an empty DAG folder."""
    (tmp_path / "dags").mkdir(exist_ok=True)
    env = {**os.environ, "EDGEWEAVE_HOME": str(tmp_path), "EDGEWEAVE_DAGS": str(tmp_path / "dags")}
    env.pop("EDGEWEAVE_DB_URL", None)
    return subprocess.Popen([sys.executable, "-m", "edgeweave.cli.main", "serve", "--port", str(port), *args],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_production_serve_runs_workers_and_a_scheduler_child_and_stops_them_all(tmp_path):
    port = _free_port()
    proc = _serve(tmp_path, port, "--production")
    try:
        assert _wait_health(port, proc)["status"] == "ok"
        parent = psutil.Process(proc.pid)
        scheduler = _scheduler_child(parent)
        family = [c.pid for c in parent.children(recursive=True)]
        assert len(family) >= 3  # the scheduler and two API workers
        proc.send_signal(signal.SIGTERM)
        out = proc.communicate(timeout=20)[0]
    finally:
        proc.kill()
    assert proc.returncode == 0, out
    assert "created admin" in out and out.count("created admin") == 1
    assert f"scheduler process started (pid {scheduler.pid})" in out
    assert "exited with code" not in out  # a stop we asked for is not reported as a death
    assert _gone(family), "child processes left running after serve stopped"


def test_production_serve_reports_a_dead_scheduler_and_keeps_serving(tmp_path):
    port = _free_port()
    proc = _serve(tmp_path, port, "--production", "--workers", "1")
    try:
        _wait_health(port, proc)
        scheduler = _scheduler_child(psutil.Process(proc.pid))
        scheduler.kill()
        assert _gone([scheduler.pid])
        time.sleep(0.3)
        assert _wait_health(port, proc)["status"] == "ok"
        proc.send_signal(signal.SIGTERM)
        out = proc.communicate(timeout=20)[0]
    finally:
        proc.kill()
    assert f"scheduler process (pid {scheduler.pid}) exited with code -9" in out, out
    assert proc.returncode == 0, out


def test_https_serving_marks_the_session_cookie_secure(tmp_path):
    import re
    import shutil
    import ssl

    import pytest

    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
                    "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1"], check=True,
                   capture_output=True)
    port = _free_port()
    proc = _serve(tmp_path, port, "--no-scheduler", "--ssl-certfile", str(cert), "--ssl-keyfile", str(key))
    try:
        tls = ssl.create_default_context(cafile=str(cert))
        tls.check_hostname = False
        base = f"https://127.0.0.1:{port}"
        deadline = time.monotonic() + 15
        while True:
            try:
                login = urllib.request.urlopen(f"{base}/login", context=tls, timeout=2)
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline
                time.sleep(0.1)
        with login:
            token = re.search(r'name="login_token" value="([^"]+)"', login.read().decode()).group(1)
        login_cookie = login.headers["set-cookie"].split(";")[0]
        assert "Secure" in login.headers["set-cookie"]
        from edgeweave.server.auth import AuthConfig

        password = AuthConfig(tmp_path / "auth.json").store().add_user("ops", "operator")
        body = f"user=ops&password={password}&login_token={token}&next=/".encode()
        request = urllib.request.Request(f"{base}/login", data=body, headers={"Cookie": login_cookie})

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
                return None

        opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=tls), NoRedirect)
        try:
            opener.open(request, timeout=5)
            raise AssertionError("login should redirect")
        except urllib.error.HTTPError as redirect:
            redirect.close()
            assert redirect.code == 303
            cookie = next(v for k, v in redirect.headers.items() if k.lower() == "set-cookie"
                          and v.startswith("ew_session="))
        assert "Secure" in cookie and "HttpOnly" in cookie
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=15)


def test_tls_options_go_together(tmp_path):
    env = {**os.environ, "EDGEWEAVE_HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-m", "edgeweave.cli.main", "serve", "--ssl-certfile", "x.pem"],
                         env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "--ssl-certfile and --ssl-keyfile go together" in out.stdout + out.stderr
