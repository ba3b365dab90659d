"""Small, transactional functions over the store, for the scheduler, the CLI and the API.

Each function opens its own transaction and commits before it returns, so what a caller
acts on is already durable. The scheduler's hot path batches its writes through
:class:`edgeweave.store.batch.WriteBatch` instead; these are the one-at-a-time versions.
"""

from __future__ import annotations

import functools
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Executable, bindparam, delete, func, insert, select, union_all, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from edgeweave.store import artifacts
from edgeweave.store.errors import InvalidTransitionError, NotFoundError, StoreError
from edgeweave.store.tables import (
    DagRow,
    DagRunRow,
    PoolRow,
    TaskInstanceRow,
    TaskLogRow,
    TaskResultRow,
    dag_table,
    log_table,
    run_table,
    ti_table,
    utcnow,
)
from edgeweave.workflow.states import ALLOWED, RunState, TaskState, can_transition

if TYPE_CHECKING:  # the store sits below the workflow layer: DAG is only a type here
    from edgeweave.workflow.dag import DAG

STREAMS = ("stdout", "stderr", "log")


def _session(engine: Engine) -> Session:
    return Session(engine, expire_on_commit=False)


def new_run_id(source: str, logical_date: datetime) -> str:
    """``source__2024-05-01T12:00:00__a1b2c3``: readable, sortable, unique across DAGs."""
    return f"{source}__{logical_date:%Y-%m-%dT%H:%M:%S}__{secrets.token_hex(3)}"


def create_run(engine: Engine, dag: DAG, params: dict[str, Any] | None = None, *,
               source: str = "manual", logical_date: datetime | None = None,
               run_id: str | None = None) -> DagRunRow:
    """A new run in state ``queued`` with one task instance per task, in one transaction.

    Either the run and all its task instances are written, or (on any error) nothing is.
    """
    now = utcnow()
    logical_date = logical_date or now
    run_id = run_id or new_run_id(source, logical_date)
    specs = {tid: spec.to_dict() for tid, spec in dag.tasks.items()}
    for what, data in [("params", params or {}), *((f"task {t!r}", d) for t, d in specs.items())]:
        try:
            json.dumps(data)
        except (TypeError, ValueError) as exc:
            raise StoreError(f"cannot store a run of DAG {dag.dag_id!r}: {what} is not JSON: {exc}",
                             "task kwargs and params must be JSON-serializable") from exc
    run_values = {"dag_id": dag.dag_id, "run_id": run_id, "state": RunState.QUEUED.value,
                  "params": dict(params or {}), "trigger_source": source,
                  "logical_date": logical_date, "created_at": now}
    try:
        with engine.begin() as conn:
            pk = conn.execute(insert(run_table).values(**run_values).returning(run_table.c.id)).scalar_one()
            rows = [{"run_pk": pk, "task_id": tid, "state": TaskState.NONE.value, "try_number": 0,
                     "max_tries": spec.retries + 1, "spec": specs[tid]}
                    for tid, spec in dag.tasks.items()]
            if rows:
                conn.execute(insert(ti_table), rows)
    except IntegrityError as exc:
        raise StoreError(f"run {run_id!r} already exists", "use another run id") from exc
    return DagRunRow(id=pk, **run_values)


def get_run(engine: Engine, run_id: str | int) -> DagRunRow:
    """The run with this run id (str) or primary key (int); NotFoundError if unknown."""
    column = DagRunRow.id if isinstance(run_id, int) else DagRunRow.run_id
    with _session(engine) as s:
        row = s.scalars(select(DagRunRow).where(column == run_id)).first()
    if row is None:
        raise _no_run(engine, run_id)
    return row


def _no_run(engine: Engine, run_id: str | int) -> NotFoundError:
    recent = list_runs(engine, limit=5)
    known = ", ".join(r.run_id for r in recent) or "none yet"
    return NotFoundError(f"no run {run_id!r}", f"recent runs: {known}")


def list_runs(engine: Engine, dag_id: str | None = None, state: str | RunState | None = None,
              limit: int = 50, offset: int = 0) -> list[DagRunRow]:
    """Runs, newest first, optionally of one DAG and/or in one state."""
    if limit < 0 or offset < 0:
        raise StoreError(f"limit and offset must be >= 0, got limit={limit} offset={offset}")
    query = select(DagRunRow).order_by(DagRunRow.id.desc()).limit(limit).offset(offset)
    if dag_id is not None:
        query = query.where(DagRunRow.dag_id == dag_id)
    if state is not None:
        query = query.where(DagRunRow.state == RunState(state).value)
    with _session(engine) as s:
        return list(s.scalars(query))


RUN_SUMMARY_COLUMNS = ("run_id", "dag_id", "state", "params", "trigger_source", "logical_date",
                       "created_at", "started_at", "ended_at")


def run_summaries(engine: Engine, dag_id: str | None = None, state: str | RunState | None = None,
                  limit: int = 50, offset: int = 0) -> list[dict[str, Any]]:
    """Like :func:`list_runs` but plain dicts from a Core select of the listed columns.

    The API lists runs on every page load; building ORM objects cost more than the query.
    """
    if limit < 0 or offset < 0:
        raise StoreError(f"limit and offset must be >= 0, got limit={limit} offset={offset}")
    params: dict[str, Any] = {"limit": limit, "offset": offset}
    if dag_id is not None:
        params["dag_id"] = dag_id
    if state is not None:
        params["state"] = RunState(state).value
    with engine.connect() as conn:
        rows = conn.execute(_summary_query(dag_id is not None, state is not None), params).all()
    return [dict(zip(RUN_SUMMARY_COLUMNS, row)) for row in rows]


@functools.cache
def _summary_query(by_dag: bool, by_state: bool) -> Executable:
    """The runs-list statement, its values bound: built (and compiled) once per filter set."""
    query = (select(*(run_table.c[name] for name in RUN_SUMMARY_COLUMNS))
             .order_by(run_table.c.id.desc()).limit(bindparam("limit")).offset(bindparam("offset")))
    if by_dag:
        query = query.where(run_table.c.dag_id == bindparam("dag_id"))
    if by_state:
        query = query.where(run_table.c.state == bindparam("state"))
    return query


TI_SUMMARY_COLUMNS = ("task_id", "state", "try_number", "max_tries", "started_at", "ended_at",
                      "duration", "hostname", "error")


def run_with_tasks(engine: Engine, run_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A run (``RUN_SUMMARY_COLUMNS``) and its task instances (``TI_SUMMARY_COLUMNS``, in
    creation order) as plain dicts, in one connection; NotFoundError if there is no such run."""
    with engine.connect() as conn:
        row = conn.execute(_RUN_BY_ID, {"run_id": run_id}).first()
        if row is not None:
            tasks = conn.execute(_RUN_TIS, {"run_pk": row[0]}).all()
            return (dict(zip(RUN_SUMMARY_COLUMNS, row[1:])),
                    [dict(zip(TI_SUMMARY_COLUMNS, ti)) for ti in tasks])
    raise _no_run(engine, run_id)


_RUN_BY_ID = select(run_table.c.id, *(run_table.c[name] for name in RUN_SUMMARY_COLUMNS)) \
    .where(run_table.c.run_id == bindparam("run_id"))
_RUN_TIS = (select(*(ti_table.c[name] for name in TI_SUMMARY_COLUMNS))
            .where(ti_table.c.run_pk == bindparam("run_pk")).order_by(ti_table.c.id))


def recent_run_states(engine: Engine, per_dag: int = 5,
                      dag_ids: Sequence[str] | None = None) -> dict[str, list[str]]:
    """Per DAG, the states of its last ``per_dag`` runs, newest first, in one query.

    With ``dag_ids`` (the DAGs a caller shows), one ``LIMIT per_dag`` probe of the
    (dag_id, id) index per DAG, joined by UNION ALL: the cost follows the DAGs shown, not the
    size of the history. Without, every DAG in the store: ROW_NUMBER() over (dag_id, id),
    which reads every run once (SQLite and PostgreSQL).
    """
    if dag_ids is not None:
        with engine.connect() as conn:
            return _recent_states(conn, list(dag_ids), per_dag)
    rank = func.row_number().over(partition_by=run_table.c.dag_id,
                                  order_by=run_table.c.id.desc()).label("rank")
    ranked = select(run_table.c.dag_id, run_table.c.id, run_table.c.state, rank).subquery()
    query = (select(ranked.c.dag_id, ranked.c.state).where(ranked.c.rank <= per_dag)
             .order_by(ranked.c.dag_id, ranked.c.id.desc()))
    recent: dict[str, list[str]] = {}
    with engine.connect() as conn:
        for dag_id, state in conn.execute(query):
            recent.setdefault(dag_id, []).append(state)
    return recent


RECENT_CHUNK = 100  # DAGs per UNION ALL statement (SQLite allows 500 compound terms)


@functools.lru_cache(maxsize=64)
def _recent_query(dags: int, per_dag: int) -> Executable:
    """UNION ALL of ``dags`` index probes, the DAG ids bound as d0, d1, ...: built once per
    size (building the statement cost more than running it), compiled once by SQLAlchemy."""
    parts = [select(run_table.c.dag_id, run_table.c.id, run_table.c.state)
             .where(run_table.c.dag_id == bindparam(f"d{i}")).order_by(run_table.c.id.desc())
             .limit(per_dag).subquery() for i in range(dags)]
    selects = [select(p.c.dag_id, p.c.id, p.c.state) for p in parts]
    return union_all(*selects) if dags > 1 else selects[0]


def _recent_states(conn: Connection, dag_ids: list[str], per_dag: int) -> dict[str, list[str]]:
    recent: dict[str, list[str]] = {}
    for start in range(0, len(dag_ids), RECENT_CHUNK):
        chunk = dag_ids[start:start + RECENT_CHUNK]
        rows = conn.execute(_recent_query(len(chunk), per_dag),
                            {f"d{i}": dag_id for i, dag_id in enumerate(chunk)}).all()
        for dag_id, _, state in sorted(rows, key=lambda r: (r[0], -r[1])):
            recent.setdefault(dag_id, []).append(state)
    return recent


def dag_list_state(engine: Engine, dag_ids: Sequence[str],
                   per_dag: int = 5) -> tuple[dict[str, bool], dict[str, list[str]]]:
    """For a DAG list, in one connection: every stored DAG's paused flag, and the states
    of the last ``per_dag`` runs of each of ``dag_ids`` (see :func:`recent_run_states`)."""
    with engine.connect() as conn:
        paused = {dag_id: bool(flag) for dag_id, flag in
                  conn.execute(select(dag_table.c.dag_id, dag_table.c.is_paused))}
        return paused, (_recent_states(conn, list(dag_ids), per_dag) if dag_ids else {})


GRID_RUN_COLUMNS = ("id", "run_id", "state", "trigger_source", "logical_date", "created_at",
                    "started_at", "ended_at")
GRID_TI_COLUMNS = ("run_pk", "task_id", "state", "try_number", "duration")


def grid_rows(engine: Engine, dag_id: str, runs: int) -> tuple[list[dict[str, Any]], list[tuple[Any, ...]]]:
    """The last ``runs`` runs of a DAG (newest first) and their task instances, in two queries.

    Task instances come back as plain tuples in ``GRID_TI_COLUMNS`` order: a grid has
    runs x tasks of them and per-row mappings were most of the endpoint's cost.

    Only the columns a Grid view draws are read (no params, spec or error), so the cost stays
    small however large those JSON/text columns grow.
    """
    with engine.connect() as conn:
        run_rows = [dict(zip(GRID_RUN_COLUMNS, row))
                    for row in conn.execute(_GRID_RUNS, {"dag_id": dag_id, "runs": runs}).all()]
        if not run_rows:
            return [], []
        ti_rows = conn.execute(_GRID_TIS, {"run_pks": [r["id"] for r in run_rows]}).all()
    return run_rows, [tuple(row) for row in ti_rows]


# built once: building a statement and its cache key cost as much as running it
_GRID_RUNS = (select(*(run_table.c[name] for name in GRID_RUN_COLUMNS))
              .where(run_table.c.dag_id == bindparam("dag_id")).order_by(run_table.c.id.desc())
              .limit(bindparam("runs")))
_GRID_TIS = (select(*(ti_table.c[name] for name in GRID_TI_COLUMNS))
             .where(ti_table.c.run_pk.in_(bindparam("run_pks", expanding=True))))


def set_run_state(engine: Engine, run_pk: int, state: RunState, **fields: Any) -> None:
    with engine.begin() as conn:
        conn.execute(update(run_table).where(run_table.c.id == run_pk)
                     .values(state=RunState(state).value, **fields))


def cancel_queued_run(engine: Engine, run_pk: int) -> bool:
    """Cancel a run that has not started (its tasks become skipped); False if it had."""
    with engine.begin() as conn:
        done = conn.execute(update(run_table).where(run_table.c.id == run_pk,
                                                    run_table.c.state == RunState.QUEUED.value)
                            .values(state=RunState.CANCELLED.value, ended_at=utcnow()))
        if done.rowcount != 1:
            return False
        conn.execute(update(ti_table).where(ti_table.c.run_pk == run_pk,
                                            ti_table.c.state == TaskState.NONE.value)
                     .values(state=TaskState.SKIPPED.value))
    return True


def task_instances(engine: Engine, run_id: str | int) -> list[TaskInstanceRow]:
    """The run's task instances in creation (declaration) order."""
    run = get_run(engine, run_id)
    with _session(engine) as s:
        return list(s.scalars(select(TaskInstanceRow).where(TaskInstanceRow.run_pk == run.id)
                              .order_by(TaskInstanceRow.id)))


def get_task_instance(engine: Engine, run_id: str | int, task_id: str) -> TaskInstanceRow:
    tis = task_instances(engine, run_id)
    for ti in tis:
        if ti.task_id == task_id:
            return ti
    raise NotFoundError(f"run {run_id!r} has no task {task_id!r}",
                        f"its tasks: {', '.join(t.task_id for t in tis)}")


def transition(engine: Engine, ti: TaskInstanceRow | int, new_state: TaskState,
               **fields: Any) -> TaskInstanceRow:
    """Move one task instance to ``new_state`` (plus ``fields``), committed before returning.

    The change is a compare-and-set on the state read in the same transaction, so two
    writers cannot both move the same task out of one state.
    """
    new_state = TaskState(new_state)
    ti_id = ti if isinstance(ti, int) else ti.id
    with _session(engine) as s, s.begin():
        row = s.get(TaskInstanceRow, ti_id)
        if row is None:
            raise NotFoundError(f"no task instance with id {ti_id}")
        old = TaskState(row.state)
        if not can_transition(old, new_state):
            raise InvalidTransitionError(
                f"task {row.task_id!r} cannot go from {old.value} to {new_state.value}",
                "allowed from here: " + ", ".join(sorted(s.value for s in _allowed(old))))
        done = s.execute(update(ti_table).where(ti_table.c.id == ti_id, ti_table.c.state == old.value)
                         .values(state=new_state.value, **fields))
        if done.rowcount != 1:
            raise InvalidTransitionError(f"task {row.task_id!r} changed state concurrently")
    with _session(engine) as s:
        fresh = s.get(TaskInstanceRow, ti_id)
    if fresh is None:
        raise NotFoundError(f"task instance {ti_id} vanished")
    return fresh


def _allowed(state: TaskState) -> frozenset[TaskState]:
    return ALLOWED[state]


def append_log(engine: Engine, ti_id: int, try_number: int, stream: str, text: str) -> int:
    """Append a chunk to a try's log; returns its sequence number."""
    if stream not in STREAMS:
        raise StoreError(f"log stream must be one of {', '.join(STREAMS)}, got {stream!r}")
    with engine.begin() as conn:
        seq = conn.execute(select(func.coalesce(func.max(log_table.c.seq), -1) + 1)
                           .where(log_table.c.ti_id == ti_id, log_table.c.try_number == try_number)
                           ).scalar_one()
        conn.execute(insert(log_table).values(ti_id=ti_id, try_number=try_number, seq=seq,
                                              stream=stream, text=text, created_at=utcnow()))
    return int(seq)


@dataclass
class LogRead:
    """Log text of one try (chunks ``offset`` onwards) and the offset to continue from."""

    text: str
    next_offset: int
    try_number: int


def read_log(engine: Engine, ti_id: int, try_number: int | None = None, *, offset: int = 0,
             tail: int | None = None, streams: Sequence[str] = STREAMS) -> LogRead:
    """A try's captured output (default: the latest try that logged anything).

    ``offset`` is a chunk sequence number (pass back ``next_offset`` to follow a running
    task); ``tail`` keeps only the last N lines.
    """
    with engine.connect() as conn:
        if try_number is None:
            try_number = conn.execute(select(func.max(log_table.c.try_number))
                                      .where(log_table.c.ti_id == ti_id)).scalar_one() or 0
        rows = conn.execute(select(log_table.c.seq, log_table.c.text)
                            .where(log_table.c.ti_id == ti_id, log_table.c.try_number == try_number,
                                   log_table.c.seq >= offset, log_table.c.stream.in_(list(streams)))
                            .order_by(log_table.c.seq)).all()
    text = "".join(r.text for r in rows)
    if tail is not None:
        text = "".join(text.splitlines(keepends=True)[-tail:]) if tail > 0 else ""
    return LogRead(text, (rows[-1].seq + 1) if rows else offset, try_number)


def log_chunks(engine: Engine, ti_id: int, try_number: int) -> list[TaskLogRow]:
    """Every chunk of one try, with its stream, in order."""
    with _session(engine) as s:
        return list(s.scalars(select(TaskLogRow).where(TaskLogRow.ti_id == ti_id,
                                                       TaskLogRow.try_number == try_number)
                              .order_by(TaskLogRow.seq)))


def save_result(engine: Engine, ti_id: int, try_number: int, ref: dict[str, Any]) -> None:
    """Record a task's result ref (from artifacts.to_ref), replacing an older try's."""
    with _session(engine) as s, s.begin():
        s.execute(delete(TaskResultRow).where(TaskResultRow.ti_id == ti_id))
        s.add(TaskResultRow(ti_id=ti_id, try_number=try_number, kind=ref["kind"],
                            value=ref.get("value"), artifact_key=ref.get("key"),
                            size=int(ref.get("size", 0)), content_type=ref["content_type"]))


def result_ref(engine: Engine, ti_id: int) -> dict[str, Any] | None:
    """The stored result ref of a task instance, or None if it has none."""
    with _session(engine) as s:
        row = s.get(TaskResultRow, ti_id)
    return None if row is None else row_to_ref(row)


def row_to_ref(row: Any) -> dict[str, Any]:
    if row.kind == "inline":
        return {"kind": "inline", "value": row.value, "size": row.size,
                "content_type": row.content_type}
    return {"kind": "artifact", "key": row.artifact_key, "size": row.size,
            "content_type": row.content_type}


def load_result(engine: Engine, ti_id: int, root: str | None = None) -> Any:
    """A task instance's return value; NotFoundError if it has no stored result."""
    ref = result_ref(engine, ti_id)
    if ref is None:
        raise NotFoundError(f"task instance {ti_id} has no result",
                            "only successful tasks have results")
    return artifacts.from_ref(ref, root)


def set_pool(engine: Engine, name: str, slots: int, description: str = "") -> None:
    """Create or resize a pool."""
    if not name or slots < 0:
        raise StoreError(f"a pool needs a name and slots >= 0, got {name!r} with {slots}")
    with _session(engine) as s, s.begin():
        row = s.get(PoolRow, name)
        if row is None:
            s.add(PoolRow(name=name, slots=slots, description=description))
        else:
            row.slots, row.description = slots, description or row.description


def get_pools(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {r.name: r.slots for r in conn.execute(select(PoolRow.name, PoolRow.slots))}


def delete_pool(engine: Engine, name: str) -> None:
    with engine.begin() as conn:
        if conn.execute(delete(PoolRow.__table__).where(PoolRow.name == name)).rowcount == 0:
            raise NotFoundError(f"no pool {name!r}")


def sync_dag(engine: Engine, dag: DAG, fileloc: str | None = None) -> None:
    """Record (or refresh) a parsed DAG; keeps its paused flag."""
    with _session(engine) as s, s.begin():
        row = s.get(DagRow, dag.dag_id)
        if row is None:
            row = DagRow(dag_id=dag.dag_id, is_paused=False)
            s.add(row)
        row.fileloc = fileloc or (dag.source.file if dag.source else None) or row.fileloc
        row.schedule = dag.schedule
        row.last_parsed = utcnow()


def is_paused(engine: Engine, dag_id: str) -> bool:
    """Whether ``dag_id`` is paused (a DAG the store has never seen is not)."""
    with _session(engine) as s:
        row = s.get(DagRow, dag_id)
        return bool(row is not None and row.is_paused)


def set_paused(engine: Engine, dag_id: str, paused: bool) -> None:
    with _session(engine) as s, s.begin():
        row = s.get(DagRow, dag_id)
        if row is None:
            raise NotFoundError(f"no DAG {dag_id!r} in the store", "the scheduler records DAGs it loads")
        row.is_paused = paused
