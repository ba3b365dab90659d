"""Read models for the pages' first paint (the live parts use the REST API)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from edgeweave.store.tables import dag_table, run_table


def recent_runs(engine: Engine, per_dag: int) -> dict[str, list[dict[str, Any]]]:
    """Per DAG its last ``per_dag`` runs (run_id, state, created_at), newest first, one query."""
    rank = func.row_number().over(partition_by=run_table.c.dag_id,
                                  order_by=run_table.c.id.desc()).label("rank")
    ranked = select(run_table.c.dag_id, run_table.c.id, run_table.c.run_id, run_table.c.state,
                    run_table.c.created_at, rank).subquery()
    query = (select(ranked.c.dag_id, ranked.c.run_id, ranked.c.state, ranked.c.created_at)
             .where(ranked.c.rank <= per_dag).order_by(ranked.c.dag_id, ranked.c.id.desc()))
    out: dict[str, list[dict[str, Any]]] = {}
    with engine.connect() as conn:
        for row in conn.execute(query).mappings():
            out.setdefault(row["dag_id"], []).append(dict(row))
    return out


def paused_flags(engine: Engine) -> dict[str, bool]:
    with engine.connect() as conn:
        return {d: bool(p) for d, p in conn.execute(select(dag_table.c.dag_id, dag_table.c.is_paused))}


def run_choices(engine: Engine, dag_id: str, limit: int = 25) -> list[dict[str, Any]]:
    """The DAG's last runs for the Graph view's run picker."""
    query = (select(run_table.c.run_id, run_table.c.state, run_table.c.created_at)
             .where(run_table.c.dag_id == dag_id).order_by(run_table.c.id.desc()).limit(limit))
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]
