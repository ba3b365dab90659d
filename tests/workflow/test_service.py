"""The scheduler service: a webhook event starts a run that the scheduler completes."""

import contextlib
import json
import socket
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from edgeweave.store import repository as repo
from edgeweave.workflow import service
from edgeweave.workflow.loader import DagBag

HOOK_DAG = '''
dag_id: hooked
params:
  name: {type: string, default: x}
events:
  - webhook: /hooks/hello
tasks:
  - id: echo
    python: os.path:basename
    params: {p: "{{ params.name }}"}
'''


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def dag_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("EDGEWEAVE_HOME", str(tmp_path / "home"))
    folder = tmp_path / "dags"
    folder.mkdir()
    (folder / "hooked.yaml").write_text(HOOK_DAG)
    return folder


def test_webhook_event_runs_the_dag_to_success(dag_folder: Path):
    bag = service.load_dags([dag_folder], examples=False)
    assert not bag.import_errors, bag.import_errors
    engine = service.open_engine()
    port = _free_port()
    svc = service.SchedulerService(engine, bag, webhook_port=port)
    worker = threading.Thread(target=svc.run, daemon=True)
    worker.start()
    try:
        body = None
        for _ in range(50):  # the listener starts with the service
            try:
                req = urllib.request.Request(f"http://127.0.0.1:{port}/hooks/hello",
                                             data=json.dumps({"name": "/a/b.txt"}).encode(),
                                             method="POST")
                with urllib.request.urlopen(req, timeout=5) as resp:
                    body = json.loads(resp.read())
                break
            except OSError:
                time.sleep(0.1)
        assert body and body["run_id"].startswith("webhook__")
        deadline = time.monotonic() + 20
        while repo.get_run(engine, body["run_id"]).state not in ("success", "failed"):
            assert time.monotonic() < deadline, "run did not finish"
            time.sleep(0.05)
        run = repo.get_run(engine, body["run_id"])
        assert run.state == "success" and run.params == {"name": "/a/b.txt"}
        ti = repo.task_instances(engine, run.id)[0]
        assert repo.load_result(engine, ti.id) == "b.txt"
    finally:
        svc.stop.set()
        worker.join(timeout=10)


NEW_DAG = '''
dag_id: added_later
tasks:
  - id: only
    python: os.path:basename
    params: {p: "/x/y.txt"}
'''


@contextlib.contextmanager
def _service(dag_folder: Path, port: int) -> Iterator[tuple[DagBag, Engine]]:
    """A scheduler service over ``dag_folder`` that looks for changed files twice a second."""
    bag = service.load_dags([dag_folder], examples=False)
    engine = service.open_engine()
    svc = service.SchedulerService(engine, bag, webhook_port=port, dag_refresh_s=0.5)
    worker = threading.Thread(target=svc.run, daemon=True)
    worker.start()
    try:
        yield bag, engine
    finally:
        svc.stop.set()
        worker.join(timeout=10)


def test_a_dag_file_added_while_running_is_scheduled(dag_folder: Path):
    with _service(dag_folder, _free_port()) as (bag, engine):
        (dag_folder / "added_later.yaml").write_text(NEW_DAG)
        deadline = time.monotonic() + 15
        while "added_later" not in bag.dags:
            assert time.monotonic() < deadline, "the new DAG file was not picked up"
            time.sleep(0.1)
        run_id = service.trigger(engine, bag.dags["added_later"], {}, source="api")
        while repo.get_run(engine, run_id).state != "success":
            assert time.monotonic() < deadline, repo.get_run(engine, run_id).state
            time.sleep(0.1)
        (dag_folder / "added_later.yaml").write_text("dag_id: added_later\ntasks: [")  # now broken
        while not bag.import_errors:
            assert time.monotonic() < deadline, "the broken edit was not noticed"
            time.sleep(0.1)
        assert "added_later" not in bag.dags and "hooked" in bag.dags


LATER_HOOK = '''
dag_id: hooked_later
events:
  - webhook: /hooks/later
tasks:
  - id: echo
    python: os.path:basename
    params: {p: "/q/r.txt"}
'''


def test_a_webhook_added_by_a_reloaded_dag_file_is_served_on_the_same_port(dag_folder: Path):
    port = _free_port()
    with _service(dag_folder, port) as (_, engine):
        (dag_folder / "hooked_later.yaml").write_text(LATER_HOOK)
        deadline = time.monotonic() + 20
        body = None
        while body is None:
            assert time.monotonic() < deadline, "the new webhook was never served"
            try:
                req = urllib.request.Request(f"http://127.0.0.1:{port}/hooks/later", data=b"{}",
                                             method="POST")
                with urllib.request.urlopen(req, timeout=5) as resp:
                    body = json.loads(resp.read())
            except OSError:  # 404 until the reload, or the listener restarting
                time.sleep(0.2)
        run_id = body["run_id"]
        while repo.get_run(engine, run_id).state != "success":
            assert time.monotonic() < deadline, repo.get_run(engine, run_id).state
            time.sleep(0.1)
        assert repo.get_run(engine, run_id).dag_id == "hooked_later"
