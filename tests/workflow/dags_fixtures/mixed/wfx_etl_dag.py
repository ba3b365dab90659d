"""A good Python DAG: data dependencies, >>, typed params, a second DAG object."""

from __future__ import annotations

from typing import Literal

from edgeweave.workflow.authoring import dag, task


@task
def extract(folder: str, limit: int = 3) -> list[int]:
    return list(range(limit))


@task(retries=2, retry_delay=0.5, timeout=30, pool="cpu", resources={"cpu": 1})
def transform(rows: list[int], scale: float = 1.0) -> list[float]:
    return [r * scale for r in rows]


@task(trigger_rule="all_done")
def load(rows: list[float], extra: dict | None = None) -> int:
    return len(rows)


@task
def notify() -> str:
    return "done"


@dag(schedule="0 3 * * *", timezone="Europe/Berlin", tags=["etl"], max_active_runs=1,
     events=[{"webhook": "/hooks/etl"}])
def etl(folder: str = "in", scale: float = 2.0, mode: Literal["fast", "full"] = "fast",
        limit: int = 3):
    """Extract, transform twice, load."""
    rows = extract(folder, limit=limit)
    a = transform(rows, scale=scale)
    b = transform(rows)
    done = load([a, b], extra={"first": a, "mode": mode})
    done >> notify()


@dag(dag_id="etl_small")
def _small():
    """Built at import and assigned: the loader picks up DAG objects too."""
    notify()


small = _small()
