"""Group commit: collect many state changes, write them in one transaction.

The scheduler moves thousands of short tasks a second through four states each; one
transaction per change would make SQLite's commit the bottleneck. A WriteBatch coalesces
the changes of one scheduler step (several updates of one row become one) and writes them
with Core executemany, one statement per distinct set of columns, in one commit. Nothing
the batch describes is acted on (submitted, reported) until :meth:`commit` returns.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, insert, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql.schema import Table

from edgeweave.store.tables import log_table, result_table, run_table, ti_table, utcnow


class WriteBatch:
    """Pending writes of one scheduler step; reusable after :meth:`commit`."""

    def __init__(self) -> None:
        self.ti: dict[int, dict[str, Any]] = {}
        self.runs: dict[int, dict[str, Any]] = {}
        self.logs: list[dict[str, Any]] = []
        self.results: dict[int, dict[str, Any]] = {}

    def __bool__(self) -> bool:
        return bool(self.ti or self.runs or self.logs or self.results)

    def ti_update(self, ti_id: int, **fields: Any) -> None:
        self.ti.setdefault(ti_id, {}).update(fields)

    def run_update(self, run_pk: int, **fields: Any) -> None:
        self.runs.setdefault(run_pk, {}).update(fields)

    def log(self, ti_id: int, try_number: int, seq: int, stream: str, text: str,
            at: datetime | None = None) -> None:
        self.logs.append({"ti_id": ti_id, "try_number": try_number, "seq": seq, "stream": stream,
                          "text": text, "created_at": at or utcnow()})

    def result(self, ti_id: int, try_number: int, ref: dict[str, Any]) -> None:
        self.results[ti_id] = {"ti_id": ti_id, "try_number": try_number, "kind": ref["kind"],
                               "value": ref.get("value"), "artifact_key": ref.get("key"),
                               "size": int(ref.get("size", 0)), "content_type": ref["content_type"]}

    def commit(self, engine: Engine) -> None:
        """Write everything in one transaction, then start empty again."""
        if not self:
            return
        with engine.begin() as conn:
            self.write(conn)
        self.__init__()  # type: ignore[misc]

    def write(self, conn: Connection) -> None:
        _grouped_update(conn, ti_table, self.ti)
        _grouped_update(conn, run_table, self.runs)
        if self.results:
            conn.execute(delete(result_table).where(result_table.c.ti_id.in_(list(self.results))))
            conn.execute(insert(result_table), list(self.results.values()))
        if self.logs:
            conn.execute(insert(log_table), self.logs)


_UPDATES: dict[str, Any] = {}


def _grouped_update(conn: Connection, table: Table, rows: dict[int, dict[str, Any]]) -> None:
    stmt = _UPDATES.get(table.name)
    if stmt is None:  # built once: the SET clause follows each executemany's keys
        stmt = _UPDATES[table.name] = update(table).where(table.c.id == bindparam("row_pk"))
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for pk, fields in rows.items():
        groups.setdefault(tuple(sorted(fields)), []).append({"row_pk": pk, **fields})
    for params in groups.values():
        conn.execute(stmt, params)
