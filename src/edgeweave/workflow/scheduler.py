"""The scheduler: turns runs into ready task tries, hands them to an executor, records outcomes.

It keeps each active run's task states in memory (one counter of unfinished upstream tasks
per task, so finding ready tasks is O(edges) per run, not a query) and the store as the
truth: every step's changes go out in one group commit (``WriteBatch``) *before* anything
acts on them (a task is submitted only once its ``queued`` state is durable). It sleeps in
``executor.wait``, which returns the moment a worker reports, so a chain of short tasks
hands off in about a millisecond rather than a poll interval.

Not thread-safe by itself: ``trigger``, ``cancel_run`` and ``clear`` may be called from
any thread (they write the store and queue a command); everything else runs in the thread
that calls ``step`` / ``run_until_idle`` / ``run_forever``.
"""

from __future__ import annotations

import heapq
import os
import queue
import secrets
import threading
import time
from collections import Counter, deque
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from edgeweave.store import repository as repo
from edgeweave.store.artifacts import default_root
from edgeweave.store.batch import WriteBatch
from edgeweave.store.errors import NotFoundError, StoreError
from edgeweave.store.tables import run_table, ti_table, utcnow
from edgeweave.workflow import recovery
from edgeweave.workflow.dag import DAG, TriggerRule
from edgeweave.workflow.executors.base import Executor, TaskEvent, TaskInvocation
from edgeweave.workflow.run_state import RunView, TIView
from edgeweave.workflow.states import RunState, TaskState

S = TaskState


def _dt(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, timezone.utc)


class Scheduler:
    """Runs DAG runs stored in ``engine`` on ``executor``; see the module docstring."""

    def __init__(self, engine: Engine, dags: Mapping[str, DAG], executor: Executor, *,
                 poll_interval: float = 0.05, db_poll_interval: float = 1.0,
                 heartbeat_interval: float = 5.0, heartbeat_timeout: float = 30.0,
                 artifact_root: str | os.PathLike[str] | None = None) -> None:
        self.engine = engine
        self.dags: dict[str, DAG] = dict(dags)
        self.executor = executor
        self.poll_interval = poll_interval
        self.db_poll_interval = db_poll_interval
        self.heartbeat_interval = heartbeat_interval
        self.heartbeat_timeout = heartbeat_timeout
        self.artifact_root = str(artifact_root or default_root())
        self.scheduler_id = f"{recovery.HOSTNAME}:{os.getpid()}:{secrets.token_hex(4)}"
        self._runs: dict[int, RunView] = {}
        self._waiting: dict[int, str] = {}  # queued run pk -> dag id, FIFO
        self._ready: deque[tuple[int, str]] = deque()
        self._retries: list[tuple[float, int, str, int]] = []
        self._pool_used: Counter[str] = Counter()
        self._pools: dict[str, int] = {}
        self._cmds: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()
        self._batch = WriteBatch()
        self._after_commit: list[Any] = []  # actions (cancels) that wait for the commit
        self._started = False
        self._next_db_poll = self._next_heartbeat = 0.0

    # -- API (any thread) ----------------------------------------------------------------
    def set_dags(self, dags: Mapping[str, DAG]) -> None:
        """Use reloaded DAG definitions for runs from now on (runs already created keep the
        task specs stored with them). One attribute assignment: the loop never sees a mix."""
        self.dags = dict(dags)

    def trigger(self, dag_id: str, params: dict[str, Any] | None = None, source: str = "manual",
                logical_date: datetime | None = None, run_id: str | None = None) -> str:
        """Create a queued run (params already validated by the caller); returns its run id."""
        dag = self.dags.get(dag_id)
        if dag is None:
            raise NotFoundError(f"unknown DAG {dag_id!r}",
                                f"known DAGs: {', '.join(sorted(self.dags)) or 'none'}")
        missing = {t.pool for t in dag.tasks.values() if t.pool} - set(repo.get_pools(self.engine))
        if missing:
            raise StoreError(f"DAG {dag_id!r} uses pool(s) {', '.join(sorted(missing))} that do not "
                             "exist", "create them first (repository.set_pool(engine, name, slots))")
        run = repo.create_run(self.engine, dag, params, source=source, logical_date=logical_date,
                              run_id=run_id)
        self._cmds.put(("queued", (run.id, dag_id)))
        self.executor.wake()
        return run.run_id

    def cancel_run(self, run_id: str) -> None:
        """Stop a run: running tries are killed/abandoned, unfinished tasks skipped."""
        run = repo.get_run(self.engine, run_id)
        if not RunState(run.state).finished:
            self._cmds.put(("cancel", run.id))
            self.executor.wake()

    def clear(self, run_id: str, task_ids: list[str], downstream: bool = True) -> None:
        """Re-run finished tasks (and, by default, everything downstream of them)."""
        run = repo.get_run(self.engine, run_id)
        known = {ti.task_id for ti in repo.task_instances(self.engine, run.id)}
        unknown = [t for t in task_ids if t not in known]
        if unknown:
            raise NotFoundError(f"run {run_id!r} has no task(s) {', '.join(unknown)}",
                                f"its tasks: {', '.join(sorted(known))}")
        self._cmds.put(("clear", (run.id, list(task_ids), downstream)))
        self.executor.wake()

    def stop(self, stop_event: threading.Event) -> None:
        """Set ``stop_event`` and wake the loop so run_forever returns promptly."""
        stop_event.set()
        self.executor.wake()

    # -- loop ------------------------------------------------------------------------------
    def start(self) -> list[recovery.Recovered]:
        """Start the executor, settle orphaned tries, load unfinished runs (once)."""
        if self._started:
            return []
        self._started = True
        self.executor.start()
        recovered = self.recover()
        for dag in self.dags.values():
            repo.sync_dag(self.engine, dag)
        with self.engine.connect() as conn:
            rows = conn.execute(select(run_table.c.id, run_table.c.dag_id, run_table.c.state)
                                .where(run_table.c.state.in_([RunState.RUNNING.value,
                                                              RunState.QUEUED.value]))
                                .order_by(run_table.c.id)).all()
        for r in rows:
            if r.state == RunState.RUNNING.value:
                self._load_run(r.id)
            elif r.dag_id in self.dags:
                self._waiting[r.id] = r.dag_id
        return recovered

    def recover(self) -> list[recovery.Recovered]:
        """Settle tries left queued/running by a dead scheduler (see workflow.recovery)."""
        return recovery.recover(self.engine, self.scheduler_id, self.executor.knows,
                                self.heartbeat_timeout)

    def run_until_idle(self, timeout: float | None = None) -> None:
        """Run until no run is active or waiting; TimeoutError after ``timeout`` seconds."""
        self.start()
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.step():
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"runs still active after {timeout} s: "
                                   + ", ".join(r.run_id for r in self._runs.values()))
            self.executor.wait(self._wait_time())

    def run_forever(self, stop_event: threading.Event) -> None:
        """Run until ``stop_event`` is set (use :meth:`stop` to also wake the loop)."""
        self.start()
        while not stop_event.is_set():
            self.step()
            self.executor.wait(self._wait_time())

    def close(self) -> None:
        """Shut the executor down without waiting (running thread tasks are abandoned)."""
        self.executor.shutdown(wait=False)

    def step(self) -> bool:
        """One scheduling round; returns whether any run is still active or waiting."""
        now = time.time()
        self._drain_commands()
        if now >= self._next_db_poll:
            self._poll_db(now)
        for event in self.executor.events():
            self._on_event(event)
        while self._retries and self._retries[0][0] <= now:
            _, run_pk, task_id, try_number = heapq.heappop(self._retries)
            run = self._runs.get(run_pk)
            ti = run.tis.get(task_id) if run else None
            if run and ti and ti.state is S.UP_FOR_RETRY and ti.try_number == try_number:
                self._set(ti, S.SCHEDULED, next_retry_at=None)
                self._ready.append((run_pk, task_id))
        self._start_waiting_runs()
        invocations = self._dispatch()
        self._finish_runs()
        self._batch.commit(self.engine)
        actions, self._after_commit = self._after_commit, []
        for action in actions:
            action()
        for inv in invocations:
            self.executor.submit(inv)
        return bool(self._runs or self._waiting)

    def _wait_time(self) -> float:
        due = [self._next_db_poll, *(self._retries[:1] and [self._retries[0][0]])]
        return max(0.0, min(self.poll_interval, min(due) - time.time()))

    # -- runs ----------------------------------------------------------------------------
    def _drain_commands(self) -> None:
        while True:
            try:
                cmd, arg = self._cmds.get_nowait()
            except queue.Empty:
                return
            if cmd == "queued" and arg[0] not in self._runs:
                self._waiting[arg[0]] = arg[1]
            elif cmd == "cancel":
                self._cancel(arg)
            elif cmd == "clear":
                self._clear(*arg)

    def _poll_db(self, now: float) -> None:
        """Pick up runs queued by other processes (CLI, API) and cancels requested there;
        refresh pools; heartbeat our in-flight tries."""
        self._next_db_poll = now + self.db_poll_interval
        with self.engine.connect() as conn:
            rows = conn.execute(select(run_table.c.id, run_table.c.dag_id, run_table.c.state)
                                .where(run_table.c.state.in_([RunState.QUEUED.value,
                                                              RunState.CANCELLED.value]))
                                .where(run_table.c.id.in_(list(self._runs)) |
                                       (run_table.c.state == RunState.QUEUED.value))).all()
        for r in rows:
            if r.state == RunState.CANCELLED.value and r.id in self._runs:
                self._cancel(r.id, already_marked=True)
            elif r.state == RunState.QUEUED.value and r.dag_id in self.dags and r.id not in self._runs:
                self._waiting.setdefault(r.id, r.dag_id)
        self._pools = repo.get_pools(self.engine)
        if now >= self._next_heartbeat:
            self._next_heartbeat = now + self.heartbeat_interval
            with self.engine.begin() as conn:
                conn.execute(update(ti_table).where(ti_table.c.scheduler_id == self.scheduler_id,
                                                    ti_table.c.state.in_([S.QUEUED.value, S.RUNNING.value]))
                             .values(heartbeat_at=utcnow()))

    def _start_waiting_runs(self) -> None:
        if not self._waiting:
            return
        active = Counter(r.dag_id for r in self._runs.values())
        for run_pk, dag_id in list(self._waiting.items()):
            dag = self.dags.get(dag_id)
            if dag is None or active[dag_id] >= dag.max_active_runs:
                continue
            del self._waiting[run_pk]
            with self.engine.begin() as conn:  # compare-and-set: one scheduler starts a run
                started = conn.execute(update(run_table).where(run_table.c.id == run_pk,
                                                               run_table.c.state == RunState.QUEUED.value)
                                       .values(state=RunState.RUNNING.value, started_at=utcnow()))
            if started.rowcount == 1:
                active[dag_id] += 1
                self._load_run(run_pk)

    def _load_run(self, run_pk: int) -> None:
        run = RunView.load(self.engine, run_pk)
        self._runs[run_pk] = run
        for ti in run.tis.values():
            if ti.state in (S.QUEUED, S.RUNNING):  # left by a scheduler start() did not settle
                ti.state = S.SCHEDULED if ti.state is S.QUEUED else S.UP_FOR_RETRY
                self._batch.ti_update(ti.pk, state=ti.state.value, next_retry_at=None)
            if ti.state is S.SCHEDULED:
                self._ready.append((run_pk, ti.task_id))
            elif ti.state is S.UP_FOR_RETRY:
                heapq.heappush(self._retries, (ti.next_retry or 0.0, run_pk, ti.task_id, ti.try_number))
        for ti in run.tis.values():
            if ti.state is S.NONE:
                self._evaluate(run, ti)

    def _finish_runs(self) -> None:  # a run is failed if any task failed, else success
        for run in [r for r in self._runs.values() if r.unfinished == 0]:
            bad = any(t.state in (S.FAILED, S.UPSTREAM_FAILED) for t in run.tis.values())
            self._batch.run_update(run.pk, state=(RunState.FAILED if bad else RunState.SUCCESS).value,
                                   ended_at=utcnow())
            del self._runs[run.pk]

    def _cancel(self, run_pk: int, already_marked: bool = False) -> None:
        run = self._runs.pop(run_pk, None)
        if run is None:
            if not already_marked:  # still queued: just mark it
                self._waiting.pop(run_pk, None)
                repo.cancel_queued_run(self.engine, run_pk)
            return
        now = utcnow()
        for ti in run.tis.values():
            if ti.state in (S.QUEUED, S.RUNNING):
                self._release(ti)
                self._set(ti, S.FAILED, ended_at=now, error="cancelled")
                self._after_commit.append(lambda key=(run_pk, ti.task_id): self.executor.cancel(key))
            elif ti.state in (S.NONE, S.SCHEDULED, S.UP_FOR_RETRY):
                self._set(ti, S.SKIPPED, ended_at=now, next_retry_at=None)
        self._batch.run_update(run_pk, state=RunState.CANCELLED.value, ended_at=now)

    def _clear(self, run_pk: int, task_ids: list[str], downstream: bool) -> None:
        run = self._runs.get(run_pk)
        if run is None:  # a finished run: reset in the store, then start it like a new one
            RunView.clear_finished(self.engine, run_pk, task_ids, downstream)
            row = repo.get_run(self.engine, run_pk)
            self._waiting[run_pk] = row.dag_id
            return
        for ti in run.clear(task_ids, downstream):
            self._batch.ti_update(ti.pk, state=S.NONE.value, max_tries=ti.max_tries, error=None,
                                  ended_at=None, started_at=None, duration=None, next_retry_at=None)
        for ti in run.tis.values():
            if ti.state is S.NONE:
                self._evaluate(run, ti)

    # -- tasks -----------------------------------------------------------------------------
    def _set(self, ti: TIView, new: TaskState, **fields: Any) -> None:
        ti.move(new)
        self._batch.ti_update(ti.pk, state=new.value, **fields)

    def _release(self, ti: TIView) -> None:
        if ti.spec.pool and ti.state in (S.QUEUED, S.RUNNING):
            self._pool_used[ti.spec.pool] -= 1

    def _on_event(self, ev: TaskEvent) -> None:
        run = self._runs.get(ev.run_pk)
        ti = run.tis.get(ev.task_id) if run else None
        if run is None or ti is None:
            return
        for stream, text in ev.logs:
            self._batch.log(ti.pk, ev.try_number, run.next_seq(ti.pk, ev.try_number), stream, text)
        if ev.try_number != ti.try_number or ti.state not in (S.QUEUED, S.RUNNING) or ev.kind == "log":
            return  # a stale try (timed out, cancelled, recovered) or only output
        at = ev.at or time.time()
        if ti.state is S.QUEUED:
            ti.started = at
            self._set(ti, S.RUNNING, started_at=_dt(at), pid=ev.pid, hostname=ev.hostname,
                      heartbeat_at=_dt(at))
        if ev.kind == "running":
            return
        self._release(ti)
        ended = {"ended_at": _dt(at), "duration": at - (ti.started or at)}
        if ev.kind == "success":
            run.results[ti.task_id] = ev.result
            if ev.result is not None:
                self._batch.result(ti.pk, ti.try_number, ev.result)
            self._set(ti, S.SUCCESS, error=None, **ended)
        elif ev.retryable and ti.try_number < ti.max_tries:
            due = at + ti.spec.retry_delay(ti.try_number)
            self._set(ti, S.UP_FOR_RETRY, error=ev.error, next_retry_at=_dt(due), **ended)
            heapq.heappush(self._retries, (due, run.pk, ti.task_id, ti.try_number))
            return
        else:
            self._set(ti, S.FAILED, error=ev.error, **ended)
        self._finished(run, ti)

    def _finished(self, run: RunView, ti: TIView) -> None:
        """Account for a finished task and settle whatever that decides downstream."""
        stack = [ti]
        while stack:
            done = stack.pop()
            run.unfinished -= 1
            for down_id in run.down.get(done.task_id, ()):
                down = run.tis[down_id]
                down.pending_up -= 1
                # decide only when it can change: all upstream done, or a failure that
                # fires one_failed early (keeps a 10,000-way fan-in linear, not quadratic)
                if down.state is S.NONE and (down.pending_up == 0 or (
                        done.state in (S.FAILED, S.UPSTREAM_FAILED)
                        and down.spec.trigger_rule is TriggerRule.ONE_FAILED)):
                    stack.extend(self._evaluate(run, down, cascade=False))

    def _evaluate(self, run: RunView, ti: TIView, cascade: bool = True) -> list[TIView]:
        """Decide a waiting task from its upstream states: schedule, skip, or upstream_failed.

        Returns tasks it finished (skipped/upstream_failed) when ``cascade`` is False, so the
        caller walks the graph iteratively (a failed 1,000-task chain must not recurse)."""
        decision = run.decide(ti)
        if decision is None:
            return []
        if decision is S.SCHEDULED:
            self._set(ti, S.SCHEDULED)
            self._ready.append((run.pk, ti.task_id))
            return []
        self._set(ti, decision, ended_at=utcnow())
        if cascade:
            self._finished(run, ti)
            return []
        return [ti]

    def _dispatch(self) -> list[TaskInvocation]:
        """Queue as many scheduled tasks as executor capacity and pools allow (FIFO)."""
        out: list[TaskInvocation] = []
        blocked: list[tuple[int, str]] = []
        now = utcnow()
        while self._ready and self.executor.can_submit(len(out) + 1):
            run_pk, task_id = self._ready.popleft()
            run = self._runs.get(run_pk)
            ti = run.tis.get(task_id) if run else None
            if run is None or ti is None or ti.state is not S.SCHEDULED:
                continue
            pool = ti.spec.pool
            if pool:
                if self._pool_used[pool] >= self._pools.get(pool, 0):
                    blocked.append((run_pk, task_id))
                    continue
                self._pool_used[pool] += 1
            ti.try_number += 1
            self._set(ti, S.QUEUED, try_number=ti.try_number, queued_at=now, started_at=None,
                      scheduler_id=self.scheduler_id, heartbeat_at=now, pid=None, hostname=None)
            out.append(run.invocation(ti, self.artifact_root))
        self._ready.extendleft(reversed(blocked))
        return out
