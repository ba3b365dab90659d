"""An API app built inline over a temp SQLite store, a tiny DAG folder and a temp registry,
with one bearer token per role."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from edgeweave.models.registry import ModelRegistry
from edgeweave.server import AuthConfig, Role, create_app
from edgeweave.store.db import open_store
from edgeweave.workflow import service

with warnings.catch_warnings():  # newer Starlette prefers httpx2 and warns about httpx
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

DAG_YAML = """
dag_id: tiny
schedule: "@daily"
tags: [demo]
params:
  name: {type: string, default: x}
  count: {type: integer, default: 1, minimum: 0}
tasks:
  - id: first
    python: os.path:basename
    params: {p: "{{ params.name }}"}
  - id: second
    python: os.path:basename
    params: {p: "y"}
    needs: [first]
    retries: 2
"""


@dataclass
class Api:
    client: TestClient
    engine: Engine
    tokens: dict[str, str]
    auth: AuthConfig

    def headers(self, role: str = "admin") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def get(self, url: str, role: str = "admin", **kw):  # type: ignore[no-untyped-def]
        return self.client.get(url, headers=self.headers(role), **kw)

    def post(self, url: str, role: str = "admin", **kw):  # type: ignore[no-untyped-def]
        return self.client.post(url, headers=self.headers(role), **kw)

    def patch(self, url: str, role: str = "admin", **kw):  # type: ignore[no-untyped-def]
        return self.client.patch(url, headers=self.headers(role), **kw)


def _register_model(root: Path) -> None:
    folder = root / "resnet" / "1"
    folder.mkdir(parents=True)
    entry = {"name": "resnet", "version": 1, "path": str(folder / "model.onnx"), "backend": "onnxruntime",
             "compute_precision": "int8", "precision": "int8", "shapes": {"x": [1, 3, 16, 16]},
             "source_sha256": "ab" * 32, "accuracy": 0.9, "latency_p50_ms": 1.5, "speedup": 2.0}
    (folder / "entry.json").write_text(json.dumps(entry))
    (folder / "report.json").write_text(json.dumps({"best": "int8", "variants": []}))


@pytest.fixture
def run_dag(api, tmp_path):  # type: ignore[no-untyped-def]
    """Run every queued run of the API's DAG bag to the end, as `edgeweave scheduler` would."""
    from edgeweave.workflow.executors.local import LocalExecutor
    from edgeweave.workflow.scheduler import Scheduler

    bag = api.client.app.state.edgeweave.bag

    def run() -> None:
        sched = Scheduler(api.engine, bag.dags, LocalExecutor(2), poll_interval=0.02,
                          artifact_root=tmp_path / "artifacts")
        try:
            sched.run_until_idle(timeout=20)
        finally:
            sched.close()

    return run


@pytest.fixture
def test_client() -> type[TestClient]:
    return TestClient


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "tiny.yaml").write_text(DAG_YAML)
    (dags / "broken.yaml").write_text("dag_id: broken\ntasks: [{id: a, python: nowhere:nothing}]\n: :\n")
    bag = service.load_dags([dags], examples=False)
    engine = open_store(f"sqlite:///{tmp_path / 'edgeweave.db'}")
    auth = AuthConfig(tmp_path / "home" / "auth.json")
    store = auth.store()
    tokens = {}
    for role in Role:
        store.add_user(role.value, role, "pw")
        tokens[role.value] = store.create_token(role.value)
    _register_model(tmp_path / "registry")
    app = create_app(engine, bag, auth=auth, registry=ModelRegistry(tmp_path / "registry"))
    with TestClient(app) as client:
        yield Api(client, engine, tokens, auth)
    engine.dispose()
