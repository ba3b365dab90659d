"""In-memory view of one active run: task states, dependency counters, result refs.

The scheduler decides from this view (no query per decision) and writes every change to
the store through its WriteBatch; the view is rebuilt from the store on restart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.engine import Engine

from edgeweave.store.errors import InvalidTransitionError, NotFoundError
from edgeweave.store.repository import row_to_ref
from edgeweave.store.tables import result_table, run_table, ti_table
from edgeweave.workflow.dag import TaskSpec, TriggerRule
from edgeweave.workflow.executors.base import TaskInvocation
from edgeweave.workflow.runner import referenced_tasks
from edgeweave.workflow.states import FINISHED, RunState, TaskState, can_transition

S = TaskState
_BAD = (S.FAILED, S.UPSTREAM_FAILED)


@dataclass(eq=False)
class TIView:
    pk: int
    task_id: str
    spec: TaskSpec
    state: TaskState
    try_number: int
    max_tries: int
    spec_dict: dict[str, Any]
    refs: tuple[str, ...] = ()
    pending_up: int = 0
    started: float | None = None
    next_retry: float | None = None

    def move(self, new: TaskState) -> None:
        if not can_transition(self.state, new):
            raise InvalidTransitionError(f"task {self.task_id!r}: illegal transition "
                                         f"{self.state.value} -> {new.value}")
        self.state = new


@dataclass(eq=False)
class RunView:
    pk: int
    run_id: str
    dag_id: str
    params: dict[str, Any]
    tis: dict[str, TIView]
    down: dict[str, list[str]] = field(default_factory=dict)
    results: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    unfinished: int = 0
    log_seq: dict[tuple[int, int], int] = field(default_factory=dict)

    @classmethod
    def load(cls, engine: Engine, run_pk: int) -> RunView:
        with engine.connect() as conn:
            run = conn.execute(select(run_table).where(run_table.c.id == run_pk)).first()
            if run is None:
                raise NotFoundError(f"no run with id {run_pk}")
            rows = conn.execute(select(ti_table.c.id, ti_table.c.task_id, ti_table.c.state,
                                       ti_table.c.try_number, ti_table.c.max_tries, ti_table.c.spec,
                                       ti_table.c.started_at, ti_table.c.next_retry_at)
                                .where(ti_table.c.run_pk == run_pk).order_by(ti_table.c.id)).all()
            results = conn.execute(select(result_table, ti_table.c.task_id)
                                   .join(ti_table, ti_table.c.id == result_table.c.ti_id)
                                   .where(ti_table.c.run_pk == run_pk,
                                          ti_table.c.state == S.SUCCESS.value)).all()
        tis = {}
        for r in rows:
            spec = TaskSpec.from_dict(r.spec)
            tis[r.task_id] = TIView(
                r.id, r.task_id, spec, S(r.state), r.try_number, r.max_tries, r.spec,
                refs=tuple(sorted(referenced_tasks(spec.kwargs))),
                started=r.started_at.timestamp() if r.started_at else None,
                next_retry=r.next_retry_at.timestamp() if r.next_retry_at else None)
        view = cls(run.id, run.run_id, run.dag_id, dict(run.params or {}), tis)
        view.results = {r.task_id: row_to_ref(r) for r in results}
        view.recount()
        return view

    def recount(self) -> None:
        self.down = {}
        for ti in self.tis.values():
            for up in ti.spec.upstream:
                self.down.setdefault(up, []).append(ti.task_id)
        for ti in self.tis.values():
            ti.pending_up = sum(1 for up in ti.spec.upstream if self.tis[up].state not in FINISHED)
        self.unfinished = sum(1 for ti in self.tis.values() if ti.state not in FINISHED)

    def next_seq(self, ti_pk: int, try_number: int) -> int:
        key = (ti_pk, try_number)
        seq = self.log_seq.get(key, 0)
        self.log_seq[key] = seq + 1
        return seq

    def decide(self, ti: TIView) -> TaskState | None:
        """What a task in state none becomes given its upstream, or None (keep waiting)."""
        ups = [self.tis[u].state for u in ti.spec.upstream]
        failed = any(s in _BAD for s in ups)
        rule = ti.spec.trigger_rule
        if rule is TriggerRule.ONE_FAILED:
            if failed:
                return S.SCHEDULED
            return S.SKIPPED if ti.pending_up == 0 else None
        if ti.pending_up:
            return None
        if rule is TriggerRule.ALL_DONE:
            return S.SCHEDULED
        if rule is TriggerRule.NONE_FAILED:
            return S.UPSTREAM_FAILED if failed else S.SCHEDULED
        if all(s is S.SUCCESS for s in ups):
            return S.SCHEDULED
        return S.UPSTREAM_FAILED if failed else S.SKIPPED

    def invocation(self, ti: TIView, artifact_root: str) -> TaskInvocation:
        return TaskInvocation(
            run_pk=self.pk, run_id=self.run_id, dag_id=self.dag_id, task_id=ti.task_id,
            try_number=ti.try_number, spec=ti.spec_dict,
            upstream_results={t: self.results.get(t) for t in ti.refs},
            params=self.params, timeout_s=ti.spec.timeout_s, artifact_root=artifact_root)

    def closure(self, task_ids: list[str], downstream: bool) -> list[str]:
        seen: list[str] = []
        stack = list(task_ids)
        while stack:
            tid = stack.pop()
            if tid in seen:
                continue
            seen.append(tid)
            if downstream:
                stack.extend(self.down.get(tid, ()))
        return seen

    def clear(self, task_ids: list[str], downstream: bool) -> list[TIView]:
        """Reset finished tasks to none (with fresh retries); returns those reset."""
        reset = []
        for tid in self.closure(task_ids, downstream):
            ti = self.tis[tid]
            if ti.state in FINISHED:
                ti.move(S.NONE)
                ti.max_tries = ti.try_number + ti.spec.retries + 1
                self.results.pop(tid, None)
                reset.append(ti)
        self.recount()
        return reset

    @staticmethod
    def clear_finished(engine: Engine, run_pk: int, task_ids: list[str], downstream: bool) -> None:
        """Clear tasks of a finished run in the store and queue the run again (one commit)."""
        view = RunView.load(engine, run_pk)
        reset = view.clear(task_ids, downstream)
        with engine.begin() as conn:
            for ti in reset:
                conn.execute(update(ti_table).where(ti_table.c.id == ti.pk).values(
                    state=S.NONE.value, max_tries=ti.max_tries, error=None, ended_at=None,
                    started_at=None, duration=None, next_retry_at=None))
            if reset:
                conn.execute(delete(result_table).where(result_table.c.ti_id.in_([t.pk for t in reset])))
                conn.execute(update(run_table).where(run_table.c.id == run_pk).values(
                    state=RunState.QUEUED.value, ended_at=None))
