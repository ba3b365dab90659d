"""The store's tables as typed SQLAlchemy 2 ORM classes.

The ORM classes serve reads and the occasional single write (API, CLI); the scheduler's hot
path writes through ``Class.__table__`` with Core executemany, which avoids per-row ORM
overhead. Timestamps are stored as naive UTC and returned timezone-aware (UTC) so SQLite
and PostgreSQL behave the same. The migration in ``migrations/versions`` creates exactly
these tables; a test compares the two.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on every database."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass a timezone-aware datetime")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=timezone.utc)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON}


class DagRow(Base):
    """A DAG the scheduler has seen: where it came from and whether it is paused."""

    __tablename__ = "dag"
    dag_id: Mapped[str] = mapped_column(String(250), primary_key=True)
    fileloc: Mapped[str | None] = mapped_column(Text)
    is_paused: Mapped[bool] = mapped_column(Boolean, default=False)
    schedule: Mapped[str | None] = mapped_column(String(100))
    last_parsed: Mapped[datetime | None]


class DagRunRow(Base):
    """One run of a DAG: its params, what triggered it and its overall state."""

    __tablename__ = "dag_run"
    __table_args__ = (Index("ix_dag_run_dag_state", "dag_id", "state"),
                      # newest runs of one DAG (runs list, Grid view, DAG list): migration 0002
                      Index("ix_dag_run_dag_id_id", "dag_id", "id"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dag_id: Mapped[str] = mapped_column(String(250))
    run_id: Mapped[str] = mapped_column(String(250), unique=True)
    state: Mapped[str] = mapped_column(String(20), index=True)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    trigger_source: Mapped[str] = mapped_column(String(50), default="manual")
    logical_date: Mapped[datetime]
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]


class TaskInstanceRow(Base):
    """One task of one run: its state, current try and a snapshot of the TaskSpec it runs."""

    __tablename__ = "task_instance"
    __table_args__ = (Index("uq_task_instance_run_task", "run_pk", "task_id", unique=True),
                      Index("ix_task_instance_state", "state"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_pk: Mapped[int] = mapped_column(ForeignKey("dag_run.id", ondelete="CASCADE"))
    task_id: Mapped[str] = mapped_column(String(250))
    state: Mapped[str] = mapped_column(String(20))
    try_number: Mapped[int] = mapped_column(Integer, default=0)
    max_tries: Mapped[int] = mapped_column(Integer, default=1)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    queued_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    duration: Mapped[float | None] = mapped_column(Float)
    hostname: Mapped[str | None] = mapped_column(String(250))
    pid: Mapped[int | None] = mapped_column(Integer)
    scheduler_id: Mapped[str | None] = mapped_column(String(250))
    """``host:pid:token`` of the scheduler that queued the current try (crash recovery)."""
    heartbeat_at: Mapped[datetime | None]
    next_retry_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)


class TaskLogRow(Base):
    """A chunk of one try's captured output; ``seq`` orders chunks within the try."""

    __tablename__ = "task_log"
    __table_args__ = (Index("ix_task_log_ti_try_seq", "ti_id", "try_number", "seq"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ti_id: Mapped[int] = mapped_column(ForeignKey("task_instance.id", ondelete="CASCADE"))
    try_number: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    stream: Mapped[str] = mapped_column(String(10))
    """stdout | stderr | log"""
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class TaskResultRow(Base):
    """A task's return value: inline JSON, or the key of a file in the artifact store."""

    __tablename__ = "task_result"
    ti_id: Mapped[int] = mapped_column(ForeignKey("task_instance.id", ondelete="CASCADE"),
                                       primary_key=True)
    try_number: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(10))
    """inline | artifact"""
    value: Mapped[Any | None] = mapped_column(JSON)
    artifact_key: Mapped[str | None] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(Integer, default=0)
    content_type: Mapped[str] = mapped_column(String(100))


class PoolRow(Base):
    """A named concurrency limit: at most ``slots`` tasks of the pool queued or running."""

    __tablename__ = "pool"
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    slots: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text, default="")


dag_table = DagRow.__table__
run_table = DagRunRow.__table__
ti_table = TaskInstanceRow.__table__
log_table = TaskLogRow.__table__
result_table = TaskResultRow.__table__
pool_table = PoolRow.__table__
