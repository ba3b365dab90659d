"""`edgeweave serve` as a user starts it: admin credentials printed once, API answering."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(home, port):
    env = {**os.environ, "EDGEWEAVE_HOME": str(home), "EDGEWEAVE_DAGS": str(home / "dags")}
    env.pop("EDGEWEAVE_DB_URL", None)
    return subprocess.Popen([sys.executable, "-m", "edgeweave.cli.main", "serve", "--port",
                             str(port), "--no-scheduler"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def _get(url, token=None):
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    with urllib.request.urlopen(req, timeout=5) as resp:
        return json.loads(resp.read())


def _wait_health(port):
    for _ in range(100):
        try:
            return _get(f"http://127.0.0.1:{port}/api/v1/health")
        except OSError:
            time.sleep(0.1)
    raise AssertionError("server did not start")


def test_serve_prints_admin_token_once_and_serves_the_api(tmp_path):
    port = _free_port()
    proc = _start(tmp_path, port)
    try:
        assert _wait_health(port)["status"] == "ok"
        proc.terminate()
        out = proc.communicate(timeout=15)[0]
    finally:
        proc.kill()
    assert "created admin" in out
    token = next(w for w in out.split() if w.startswith("ew_"))
    port = _free_port()
    proc = _start(tmp_path, port)  # second start: the admin exists, nothing is printed
    try:
        _wait_health(port)
        dags = _get(f"http://127.0.0.1:{port}/api/v1/dags", token)
        assert {d["dag_id"] for d in dags} >= {"ocr_service", "direction_classifier"}
        proc.terminate()
        out = proc.communicate(timeout=15)[0]
    finally:
        proc.kill()
    assert "created admin" not in out
