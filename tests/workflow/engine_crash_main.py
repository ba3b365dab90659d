"""Crash-test scheduler: ``python engine_crash_main.py DB ART OUT start|resume thread|process``.

``start`` triggers a run of the fixture DAG and runs it; the test kill -9s this process
mid-run. ``resume`` starts a fresh scheduler on the same store, which recovers the
orphaned tries and finishes the run.
"""

from __future__ import annotations

import sys

from edgeweave.store.db import open_store
from edgeweave.workflow.dag import DAG, TaskSpec
from edgeweave.workflow.executors.local import LocalExecutor
from edgeweave.workflow.scheduler import Scheduler


def crash_dag(out: str) -> DAG:
    def t(task_id: str, seconds: float, upstream: list[str]) -> TaskSpec:
        return TaskSpec(task_id, callable_ref="engine_tasks:record", upstream=upstream,
                        kwargs={"path": out, "seconds": seconds}, retries=2, retry_delay_s=0.05)

    tasks = [t("a", 0.3, [])]
    tasks += [t(f"b{i}", 0.4, ["a"]) for i in range(6)]
    tasks += [t("c", 0.2, [f"b{i}" for i in range(6)])]
    return DAG("crash", {s.task_id: s for s in tasks})


def main(db: str, artifacts: str, out: str, mode: str, executor: str) -> None:
    engine = open_store(db)
    sched = Scheduler(engine, {"crash": crash_dag(out)}, LocalExecutor(2, executor), artifact_root=artifacts)
    if mode == "start":
        print(sched.trigger("crash"), flush=True)
    else:
        print("recovered:", [(r.task_id, r.old_state, r.new_state) for r in sched.start()], flush=True)
    sched.run_until_idle(timeout=60)
    sched.close()


if __name__ == "__main__":
    main(*sys.argv[1:6])
