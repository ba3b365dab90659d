"""Read models for the pages' first paint (the live parts use the REST API)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Engine

from edgeweave.store.tables import dag_table, run_table


def recent_runs(engine: Engine, dag_ids: list[str], per_dag: int) -> dict[str, list[dict[str, Any]]]:
    """Per DAG its last ``per_dag`` runs (run_id, state, created_at), newest first.

    One ``LIMIT`` probe of the (dag_id, id) index per DAG in one connection: the cost follows
    the DAGs on the page, not the length of the run history."""
    query = (select(run_table.c.run_id, run_table.c.state, run_table.c.created_at)
             .where(run_table.c.dag_id == bindparam("dag_id")).order_by(run_table.c.id.desc())
             .limit(per_dag))
    with engine.connect() as conn:
        return {dag_id: [dict(r) for r in conn.execute(query, {"dag_id": dag_id}).mappings()]
                for dag_id in dag_ids}


def paused_flags(engine: Engine) -> dict[str, bool]:
    with engine.connect() as conn:
        return {d: bool(p) for d, p in conn.execute(select(dag_table.c.dag_id, dag_table.c.is_paused))}


def run_choices(engine: Engine, dag_id: str, limit: int = 25) -> list[dict[str, Any]]:
    """The DAG's last runs for the Graph view's run picker."""
    query = (select(run_table.c.run_id, run_table.c.state, run_table.c.created_at)
             .where(run_table.c.dag_id == dag_id).order_by(run_table.c.id.desc()).limit(limit))
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]
