"""Crash recovery: find task tries a dead scheduler left queued or running, and settle them.

A try is orphaned when the scheduler that queued it is gone: its process is not alive on
this host, or (another host) it stopped heart-beating. A running orphan goes to
up_for_retry (tries left) or failed; a queued one that never started goes back to
scheduled without using up a try. A success is never undone, so no task succeeds twice;
every unfinished task stays in the run, so none is lost.

Assumption: one scheduler per store at a time (several are safe from double starts of a
run, but not designed for sharing work).
"""

from __future__ import annotations

import os
import signal
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from edgeweave.store.tables import run_table, ti_table, utcnow
from edgeweave.workflow.dag import TaskSpec
from edgeweave.workflow.states import RunState, TaskState

HOSTNAME = socket.gethostname()


@dataclass
class Recovered:
    run_id: str
    task_id: str
    old_state: str
    new_state: str


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def is_orphaned(scheduler_id: str | None, heartbeat_at: datetime | None, me: str,
                heartbeat_timeout: float, knows: bool) -> bool:
    """Whether the scheduler ``scheduler_id`` (``host:pid:token``) no longer owns the try."""
    if not scheduler_id:
        return True
    if scheduler_id == me:
        return not knows
    host, _, rest = scheduler_id.partition(":")
    pid = rest.partition(":")[0]
    if host == HOSTNAME and pid.isdigit() and int(pid) != os.getpid() and not pid_alive(int(pid)):
        return True
    stale = heartbeat_at is None or utcnow() - heartbeat_at > timedelta(seconds=heartbeat_timeout)
    return stale


def _kill_leftover(pid: int | None, hostname: str | None, started_at: datetime | None) -> None:
    """Kill a task process the dead scheduler left behind (only if it is surely that one)."""
    if not pid or hostname != HOSTNAME or pid == os.getpid() or not pid_alive(pid):
        return
    try:
        import psutil
    except ImportError:
        return
    try:
        created = psutil.Process(pid).create_time()
        if started_at is None or created > started_at.timestamp() + 1.0:
            return  # the pid was reused by an unrelated, newer process
        os.killpg(pid, signal.SIGKILL)
    except (psutil.Error, OSError):
        pass


def recover(engine: Engine, me: str, knows: object, heartbeat_timeout: float) -> list[Recovered]:
    """Settle orphaned tries in one transaction; ``knows(key)`` asks the live executor."""
    now = utcnow()
    out: list[Recovered] = []
    with engine.begin() as conn:
        rows = conn.execute(
            select(ti_table.c.id, ti_table.c.run_pk, ti_table.c.task_id, ti_table.c.state,
                   ti_table.c.try_number, ti_table.c.max_tries, ti_table.c.spec,
                   ti_table.c.scheduler_id, ti_table.c.heartbeat_at, ti_table.c.pid,
                   ti_table.c.hostname, ti_table.c.started_at, run_table.c.run_id)
            .join(run_table, run_table.c.id == ti_table.c.run_pk)
            .where(ti_table.c.state.in_([TaskState.QUEUED.value, TaskState.RUNNING.value]),
                   run_table.c.state == RunState.RUNNING.value)).all()
        for r in rows:
            if not is_orphaned(r.scheduler_id, r.heartbeat_at, me, heartbeat_timeout,
                               bool(callable(knows) and knows((r.run_pk, r.task_id)))):
                continue
            _kill_leftover(r.pid, r.hostname, r.started_at)
            fields = _settle(r.state, r.try_number, r.max_tries, r.started_at, TaskSpec.from_dict(r.spec),
                             now)
            done = conn.execute(update(ti_table).where(ti_table.c.id == r.id, ti_table.c.state == r.state)
                                .values(**fields))
            if done.rowcount == 1:
                out.append(Recovered(r.run_id, r.task_id, r.state, fields["state"]))
    return out


def _settle(state: str, try_number: int, max_tries: int, started_at: datetime | None,
            spec: TaskSpec, now: datetime) -> dict[str, object]:
    error = "the scheduler stopped while this try was in flight (orphaned); recovered on restart"
    if state == TaskState.QUEUED.value:
        # never reported running: give the try back (queued -> scheduled is legal)
        return {"state": TaskState.SCHEDULED.value, "try_number": max(0, try_number - 1),
                "scheduler_id": None, "queued_at": None}
    if try_number < max_tries:
        return {"state": TaskState.UP_FOR_RETRY.value, "error": error, "ended_at": now,
                "next_retry_at": now + timedelta(seconds=spec.retry_delay(try_number))}
    return {"state": TaskState.FAILED.value, "ended_at": now, "error": error}
