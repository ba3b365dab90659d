"""Repository functions against SQLite and PostgreSQL: runs, transitions, logs, results, pools."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from edgeweave.store import repository as repo
from edgeweave.store.errors import InvalidTransitionError, NotFoundError, StoreError
from edgeweave.store.tables import run_table, ti_table
from edgeweave.workflow.dag import DAG, TaskSpec
from edgeweave.workflow.states import TaskState


def _dag(dag_id: str = "d", **kwargs) -> DAG:
    return DAG(dag_id, {
        "a": TaskSpec("a", callable_ref="m:f", retries=2, kwargs=kwargs),
        "b": TaskSpec("b", callable_ref="m:g", upstream=["a"]),
    })


def _count(engine, table) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def test_create_and_get_run(engine):
    run = repo.create_run(engine, _dag(), {"p": 1}, source="manual")
    got = repo.get_run(engine, run.run_id)
    assert got.id == run.id and got.state == "queued" and got.params == {"p": 1}
    assert repo.get_run(engine, run.id).run_id == run.run_id
    assert got.logical_date.tzinfo is not None
    tis = repo.task_instances(engine, run.run_id)
    assert [t.task_id for t in tis] == ["a", "b"]
    assert tis[0].max_tries == 3 and tis[0].state == "none"
    assert TaskSpec.from_dict(tis[1].spec).upstream == ["a"]


def test_create_run_writes_nothing_on_failure(engine):
    run = repo.create_run(engine, _dag(), run_id="fixed")
    before = (_count(engine, run_table), _count(engine, ti_table))
    with pytest.raises(StoreError, match="already exists"):
        repo.create_run(engine, _dag(), run_id="fixed")
    with pytest.raises(StoreError, match="JSON"):
        repo.create_run(engine, _dag(x=object()))
    assert (_count(engine, run_table), _count(engine, ti_table)) == before
    assert repo.get_run(engine, "fixed").id == run.id


def test_unknown_run_lists_recent(engine):
    repo.create_run(engine, _dag(), run_id="known-run")
    with pytest.raises(NotFoundError, match="no run 'nope'") as info:
        repo.get_run(engine, "nope")
    assert "known-run" in info.value.hint


def test_list_runs_filters(engine):
    for i in range(5):
        repo.create_run(engine, _dag("x" if i % 2 else "y"), run_id=f"r{i}")
    assert [r.run_id for r in repo.list_runs(engine)] == ["r4", "r3", "r2", "r1", "r0"]
    assert [r.run_id for r in repo.list_runs(engine, dag_id="x")] == ["r3", "r1"]
    assert [r.run_id for r in repo.list_runs(engine, limit=2, offset=1)] == ["r3", "r2"]
    assert repo.list_runs(engine, state="success") == []


def test_transition_checks_and_commits(engine):
    run = repo.create_run(engine, _dag())
    ti = repo.get_task_instance(engine, run.run_id, "a")
    ti = repo.transition(engine, ti, TaskState.SCHEDULED)
    assert repo.get_task_instance(engine, run.run_id, "a").state == "scheduled"  # committed
    with pytest.raises(InvalidTransitionError, match="scheduled to success") as info:
        repo.transition(engine, ti, TaskState.SUCCESS)
    assert "queued" in info.value.hint
    ti = repo.transition(engine, ti, TaskState.QUEUED, try_number=1)
    assert ti.state == "queued" and ti.try_number == 1


def test_logs_per_try(engine):
    run = repo.create_run(engine, _dag())
    ti = repo.get_task_instance(engine, run.run_id, "a")
    assert repo.append_log(engine, ti.id, 1, "stdout", "one\n") == 0
    repo.append_log(engine, ti.id, 1, "stderr", "two\n")
    repo.append_log(engine, ti.id, 2, "log", "second try\n")
    assert repo.read_log(engine, ti.id, 1).text == "one\ntwo\n"
    latest = repo.read_log(engine, ti.id)
    assert latest.try_number == 2 and latest.text == "second try\n"
    assert repo.read_log(engine, ti.id, 1, tail=1).text == "two\n"
    follow = repo.read_log(engine, ti.id, 1, offset=1)
    assert follow.text == "two\n" and follow.next_offset == 2
    assert repo.read_log(engine, ti.id, 1, streams=["stderr"]).text == "two\n"
    with pytest.raises(StoreError, match="stream"):
        repo.append_log(engine, ti.id, 1, "bogus", "x")


def test_results_inline_and_artifact(engine, tmp_path):
    import numpy as np

    from edgeweave.store.artifacts import to_ref

    run = repo.create_run(engine, _dag())
    a, b = repo.task_instances(engine, run.run_id)
    repo.save_result(engine, a.id, 1, to_ref({"k": [1, 2]}, tmp_path))
    assert repo.load_result(engine, a.id, str(tmp_path)) == {"k": [1, 2]}
    arr = np.random.default_rng(0).random((50, 7)).astype(np.float32)
    repo.save_result(engine, b.id, 1, to_ref(arr, tmp_path))
    repo.save_result(engine, b.id, 2, to_ref(arr * 2, tmp_path))  # a later try replaces it
    np.testing.assert_array_equal(repo.load_result(engine, b.id, str(tmp_path)), arr * 2)
    with pytest.raises(NotFoundError):
        repo.load_result(engine, 10**6)


def test_pools(engine):
    repo.set_pool(engine, "gpu", 2, "one GPU, two streams")
    repo.set_pool(engine, "gpu", 3)
    assert repo.get_pools(engine) == {"gpu": 3}
    repo.delete_pool(engine, "gpu")
    with pytest.raises(NotFoundError):
        repo.delete_pool(engine, "gpu")
    with pytest.raises(StoreError):
        repo.set_pool(engine, "bad", -1)


def test_sync_dag_and_pause(engine):
    repo.sync_dag(engine, _dag("z"), fileloc="/dags/z.py")
    repo.set_paused(engine, "z", True)
    repo.sync_dag(engine, _dag("z"))  # re-parsing keeps the paused flag
    from sqlalchemy.orm import Session

    from edgeweave.store.tables import DagRow

    with Session(engine) as s:
        row = s.get(DagRow, "z")
        assert row.is_paused and row.fileloc == "/dags/z.py"
    with pytest.raises(NotFoundError):
        repo.set_paused(engine, "unknown", True)
