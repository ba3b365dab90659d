"""Response shapes of the read routes, for ``/openapi.json`` and for contract tests.

The hot read routes build plain dicts and encode them with orjson (validating every row
through pydantic cost more than the query), so these models document the bodies rather
than produce them; ``tests/server/test_schemas.py`` checks real responses against them,
with extra keys forbidden, so the documentation cannot drift from what is sent.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DagSummary(_Doc):
    dag_id: str
    schedule: str | None
    paused: bool
    tags: list[str]
    description: str
    task_count: int
    last_run_states: list[str]
    """newest first"""


class DagTask(_Doc):
    task_id: str
    operator: str
    callable: str | None
    upstream: list[str]
    retries: int
    trigger_rule: str
    pool: str | None
    timeout_s: float | None


class DagDetail(_Doc):
    dag_id: str
    description: str
    schedule: str | None
    tags: list[str]
    paused: bool
    max_active_runs: int
    order: list[str]
    """task ids, upstream first"""
    tasks: list[DagTask]
    params_schema: dict[str, Any]
    """JSON schema of the DAG's params (the trigger form is generated from it)"""


class RunSummary(_Doc):
    run_id: str
    dag_id: str
    state: str
    params: dict[str, Any]
    trigger_source: str
    logical_date: str | None
    created_at: str | None
    started_at: str | None
    ended_at: str | None


class RunPage(_Doc):
    runs: list[RunSummary]
    limit: int
    offset: int
    next_offset: int | None
    """null on the last page"""


class TaskInstanceOut(_Doc):
    task_id: str
    state: str
    try_number: int
    max_tries: int
    started_at: str | None
    ended_at: str | None
    duration: float | None
    hostname: str | None
    error: str | None


class RunDetail(RunSummary):
    tasks: list[TaskInstanceOut]


class TaskDetail(TaskInstanceOut):
    run_id: str
    spec: dict[str, Any]


class GridTask(_Doc):
    task_id: str
    upstream: list[str]


class GridRun(_Doc):
    run_id: str
    state: str
    trigger_source: str
    logical_date: str | None
    created_at: str | None
    started_at: str | None
    ended_at: str | None


class GridData(_Doc):
    dag_id: str
    tasks: list[GridTask]
    """upstream first"""
    runs: list[GridRun]
    """newest first"""
    cells: dict[str, list[str | None]]
    """task id -> state per run (null: that run has no such task)"""
    tries: dict[str, list[int | None]]
    durations: dict[str, list[float | None]]


def ok(model: type[BaseModel], description: str = "OK") -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route whose 200 body has the shape of ``model``."""
    return {200: {"model": model, "description": description}}
