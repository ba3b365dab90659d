"""End-to-end fixtures: a real ``edgeweave serve`` subprocess (tmp home, tmp DAG folder with
a small print-and-sleep pipeline, one user per role) and a headless Chromium driven by
Playwright. Without Chromium or the playwright package the browser tests are skipped."""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("EDGEWEAVE_E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-dev-shm-usage"]
VIEWPORT = {"width": 1400, "height": 900}
DAG_ID = "e2e_pipeline"
TASKS = ("extract", "transform", "check", "publish")

DAG_SOURCE = '''"""A small pipeline whose tasks print and sleep, for the UI tests."""
import time

from edgeweave.workflow.authoring import dag, task


@task
def extract(rows: int, delay: float) -> list[int]:
    for i in range(3):
        print(f"extract: batch {i} of {rows} rows", flush=True)
        time.sleep(delay / 3)
    return list(range(rows))


@task
def transform(data: list[int], delay: float) -> int:
    print(f"transform: summing {len(data)} rows", flush=True)
    time.sleep(delay)
    return sum(data)


@task
def check(data: list[int]) -> bool:
    print("check: ok", flush=True)
    return True


@task
def publish(total: int, ok: bool, label: str) -> str:
    print(f"publish: {label} = {total}", flush=True)
    return f"{label}={total}"


@dag(tags=["e2e"])
def e2e_pipeline(rows: int = 10, delay: float = 0.5, label: str = "total"):
    """Extract, transform and check in parallel, publish."""
    data = extract(rows, delay)
    publish(transform(data, delay), check(data), label)
'''

BIG_DAG_ID = "camera_fleet"


def big_dag_yaml() -> str:
    from edgeweave.examples.fleet import fleet_dag_yaml

    return fleet_dag_yaml(BIG_DAG_ID)


FINISHED = {"success", "failed", "upstream_failed", "skipped", "cancelled", "removed"}


def browser_missing() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[dev]')"
    if not Path(CHROMIUM).is_file():
        return f"no Chromium at {CHROMIUM} (apt-get install chromium, or set EDGEWEAVE_E2E_CHROMIUM)"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """A running ``edgeweave serve``: its URL, state folder and one login per role."""

    url: str
    home: Path
    token: str
    passwords: dict[str, str] = field(default_factory=dict)

    def api(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """Call /api/v1 with the admin's bearer token; returns (status, decoded JSON)."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.url}/api/v1{path}", data=data, method=method,
                                         headers={"Authorization": f"Bearer {self.token}",
                                                  "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            with exc:
                return exc.code, json.loads(exc.read() or b"null")

    def run_count(self, dag_id: str = DAG_ID) -> int:
        status, data = self.api("GET", f"/runs?dag_id={dag_id}&limit=1000")
        assert status == 200, data
        return len(data["runs"])

    def trigger(self, params: dict[str, Any], dag_id: str = DAG_ID) -> str:
        status, data = self.api("POST", f"/dags/{dag_id}/runs", {"params": params})
        assert status == 201, data
        return str(data["run_id"])

    def wait_run(self, run_id: str, timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            status, run = self.api("GET", f"/runs/{run_id}")
            assert status == 200, run
            if run["state"] in FINISHED:
                return dict(run)
            assert time.monotonic() < deadline, f"run {run_id} still {run['state']} after {timeout} s"
            time.sleep(0.2)


def _serve_command() -> list[str]:
    script = Path(sys.executable).with_name("edgeweave")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "edgeweave.cli.main"]


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the server's process group (it and any task processes), SIGKILL if it lingers."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=15)
    with contextlib.suppress(ProcessLookupError):  # task processes left behind in the group
        os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture(scope="session", autouse=True)
def _needs_browser() -> None:
    """Skip (before starting anything) when Chromium or Playwright is missing."""
    reason = browser_missing()
    if reason and os.environ.get("EDGEWEAVE_E2E_REQUIRED"):  # CI: a missing browser is a failure
        pytest.fail(f"browser tests required but cannot run: {reason}")
    if reason:
        pytest.skip(reason)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    from edgeweave.server.auth import AuthConfig, Role

    root = tmp_path_factory.mktemp("e2e-server")
    home, dags = root / "home", root / "dags"
    dags.mkdir()
    (dags / f"{DAG_ID}.py").write_text(DAG_SOURCE)
    (dags / f"{BIG_DAG_ID}.yaml").write_text(big_dag_yaml())
    env = {k: v for k, v in os.environ.items() if not k.startswith("EDGEWEAVE_")}
    env.update(EDGEWEAVE_HOME=str(home), EDGEWEAVE_DAGS=str(dags), PYTHONUNBUFFERED="1", COLUMNS="200")
    port = free_port()
    log_path = root / "serve.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([*_serve_command(), "serve", "--port", str(port)], cwd=root, env=env,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}"
        password = token = None
        deadline = time.monotonic() + 90
        while True:
            text = log_path.read_text(errors="replace")
            if password is None and (m := re.search(r"password '([^']+)'", text)):
                password = m.group(1)
            if token is None and (m := re.search(r"Bearer \.\.\.\): (\S+)", text)):
                token = m.group(1)
            if password and token and _healthy(url):
                break
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"edgeweave serve did not come up (exit {proc.poll()}):\n{text}")
            time.sleep(0.2)
        store = AuthConfig(path=home / "auth.json").store()
        passwords = {"admin": password}
        for name, role in (("viewer", Role.VIEWER), ("operator", Role.OPERATOR)):
            passwords[name] = store.add_user(name, role, secrets.token_urlsafe(12))
        yield Server(url=url, home=home, token=token, passwords=passwords)
    finally:
        _stop(proc)


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/api/v1/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def context(browser: Any, server: Server) -> Iterator[Any]:
    """A fresh browser context (no cookies) per test."""
    ctx = browser.new_context(base_url=server.url, viewport=VIEWPORT)
    ctx.set_default_timeout(20_000)
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture
def page(context: Any) -> Iterator[Any]:
    """A page that fails the test on any uncaught script error."""
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    assert not errors, f"uncaught script errors: {errors}"


def login(page: Any, server: Server, user: str = "admin", next_path: str = "/") -> None:
    page.goto(f"/login?next={next_path}")
    page.fill("input[name=user]", user)
    page.fill("input[name=password]", server.passwords[user])
    page.click("button[type=submit]")
    page.wait_for_url(f"{server.url}{next_path}")


@pytest.fixture
def admin_page(page: Any, server: Server) -> Any:
    login(page, server, "admin")
    return page


@pytest.fixture(scope="session")
def finished_run(server: Server) -> str:
    """A successful run with rows=7, label=e2e, triggered through the API."""
    run_id = server.trigger({"rows": 7, "label": "e2e", "delay": 0.1})
    assert server.wait_run(run_id)["state"] == "success"
    return run_id


@pytest.fixture(scope="session")
def registered_model(server: Server, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A tiny conv classifier optimized for real (onnxruntime only, quick timing) and
    registered in the server's registry."""
    import numpy as np
    from builders import conv_bn_relu_model, save

    import edgeweave
    from edgeweave.models.registry import ModelRegistry
    from edgeweave.runtime.measure import TimingPlan

    tmp = tmp_path_factory.mktemp("e2e-model")
    model = save(conv_bn_relu_model(size=16), tmp / "tiny.onnx")
    np.savez(tmp / "calib.npz", x=np.random.default_rng(0).random((24, 3, 16, 16), dtype=np.float32))
    edgeweave.optimize(model, tmp / "out", calib=str(tmp / "calib.npz"), backends=["onnxruntime"],
                       plan=TimingPlan(warmup=1, min_runs=5, min_seconds=0.02, batch=2),
                       methods=("minmax",))
    name = "tiny-classifier"
    ModelRegistry(server.home / "registry").register(name, (tmp / "out" / "report.json").read_text(),
                                                     tmp / "out")
    return name
