"""Scheduler semantics on a real store with the thread executor (process where it matters)."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from edgeweave.store import repository as repo
from edgeweave.store.errors import NotFoundError, StoreError
from edgeweave.workflow.dag import DAG, TaskSpec, TriggerRule
from edgeweave.workflow.executors.local import LocalExecutor
from edgeweave.workflow.scheduler import Scheduler

T = "engine_tasks:"


def spec(task_id: str, fn: str, upstream=(), **kw) -> TaskSpec:
    kwargs = kw.pop("kwargs", {})
    return TaskSpec(task_id, callable_ref=T + fn, upstream=list(upstream), kwargs=kwargs, **kw)


def dag(dag_id: str, *specs: TaskSpec, **kw) -> DAG:
    return DAG(dag_id, {s.task_id: s for s in specs}, **kw)


@pytest.fixture
def make(request, tmp_path):
    made: list[Scheduler] = []

    def factory(*dags: DAG, engine=None, parallelism: int = 8, mode: str = "thread") -> Scheduler:
        engine = engine or request.getfixturevalue("sqlite_engine")
        sched = Scheduler(engine, {d.dag_id: d for d in dags}, LocalExecutor(parallelism, mode),
                          artifact_root=tmp_path / "artifacts", poll_interval=0.02)
        made.append(sched)
        return sched

    yield factory
    for sched in made:
        sched.close()


def run(sched: Scheduler, dag_id: str, params=None, timeout: float = 20) -> tuple[str, dict]:
    run_id = sched.trigger(dag_id, params or {})
    sched.run_until_idle(timeout=timeout)
    tis = {t.task_id: t for t in repo.task_instances(sched.engine, run_id)}
    return repo.get_run(sched.engine, run_id).state, tis


def lines(path) -> list[list[str]]:
    return [line.split() for line in path.read_text().splitlines()]


def test_data_flows_by_task_and_param_refs(make):
    d = dag("flow", spec("a", "value", kwargs={"x": 2}),
            spec("b", "add", ["a"], kwargs={"a": {"$task": "a"}, "b": {"$param": "p"}}))
    sched = make(d)
    state, tis = run(sched, "flow", {"p": 40})
    assert state == "success"
    assert repo.load_result(sched.engine, tis["b"].id, sched.artifact_root) == 42
    assert tis["b"].queued_at <= tis["b"].started_at <= tis["b"].ended_at
    assert tis["b"].hostname and tis["b"].pid and tis["b"].duration >= 0


def test_large_result_reaches_downstream(make):
    d = dag("big", spec("make", "big_array", kwargs={"n": 2_500_000}),
            spec("use", "array_stats", ["make"], kwargs={"arr": {"$task": "make"}}))
    sched = make(d)
    state, tis = run(sched, "big")
    assert state == "success"
    stats = repo.load_result(sched.engine, tis["use"].id)
    assert stats == {"n": 2_500_000, "sum": float(np.arange(2_500_000).sum()), "dtype": "float64"}
    assert repo.result_ref(sched.engine, tis["make"].id)["size"] > 20_000_000


def test_upstream_failed_propagates_down_a_chain(make):
    d = dag("fail", spec("a", "boom"), spec("b", "noop", ["a"]), spec("c", "noop", ["b"]),
            spec("side", "noop"))
    state, tis = run(make(d), "fail")
    assert state == "failed"
    assert {k: t.state for k, t in tis.items()} == {
        "a": "failed", "b": "upstream_failed", "c": "upstream_failed", "side": "success"}
    assert "ValueError: boom" in tis["a"].error


def test_trigger_rules(make):
    d = dag("rules",
            spec("ok", "noop"), spec("bad", "boom"),
            spec("all_done", "noop", ["ok", "bad"], trigger_rule=TriggerRule.ALL_DONE),
            spec("on_fail", "noop", ["ok", "bad"], trigger_rule=TriggerRule.ONE_FAILED),
            spec("no_fail", "noop", ["ok"], trigger_rule=TriggerRule.ONE_FAILED),
            spec("none_failed", "noop", ["ok", "no_fail"], trigger_rule=TriggerRule.NONE_FAILED),
            spec("after_skip", "noop", ["no_fail"]),
            spec("nf_bad", "noop", ["bad"], trigger_rule=TriggerRule.NONE_FAILED))
    state, tis = run(make(d), "rules")
    assert {k: t.state for k, t in tis.items()} == {
        "ok": "success", "bad": "failed", "all_done": "success", "on_fail": "success",
        "no_fail": "skipped", "none_failed": "success", "after_skip": "skipped",
        "nf_bad": "upstream_failed"}
    assert state == "failed"


def test_one_failed_fires_before_other_upstreams_finish(make, tmp_path):
    out = tmp_path / "log.txt"
    d = dag("early", spec("bad", "boom"),
            spec("slow", "record", kwargs={"path": str(out), "seconds": 0.5}),
            spec("alert", "record", ["bad", "slow"], kwargs={"path": str(out)},
                 trigger_rule=TriggerRule.ONE_FAILED))
    run(make(d), "early")
    order = [(kind, task) for kind, task, *_ in lines(out)]
    assert order.index(("start", "alert")) < order.index(("done", "slow"))


def test_retries_with_exponential_backoff(make, tmp_path):
    counter = tmp_path / "count"
    d = dag("retry", spec("f", "flaky", kwargs={"path": str(counter), "failures": 2},
                          retries=3, retry_delay_s=0.1, retry_backoff=2.0))
    sched = make(d)
    t0 = time.monotonic()
    state, tis = run(sched, "retry")
    assert state == "success" and tis["f"].try_number == 3
    assert repo.load_result(sched.engine, tis["f"].id) == 3
    assert time.monotonic() - t0 >= 0.1 + 0.2  # waited retry_delay * backoff**(n-1) each time
    assert "flaky failure 1" in repo.read_log(sched.engine, tis["f"].id, 1).text


def test_retries_exhausted_fails(make, tmp_path):
    d = dag("nope", spec("f", "flaky", kwargs={"path": str(tmp_path / "c"), "failures": 5},
                         retries=1, retry_delay_s=0.01))
    state, tis = run(make(d), "nope")
    assert state == "failed" and tis["f"].try_number == 2 and "flaky failure 2" in tis["f"].error


def test_missing_function_is_not_retried(make):
    d = dag("missing", spec("f", "no_such_function", retries=3, retry_delay_s=0.01))
    state, tis = run(make(d), "missing")
    assert state == "failed" and tis["f"].try_number == 1 and "no_such_function" in tis["f"].error


def test_thread_timeout_fails_the_try(make, tmp_path):
    d = dag("slow", spec("s", "sleep", kwargs={"seconds": 3}, timeout_s=0.2))
    t0 = time.monotonic()
    state, tis = run(make(d), "slow")
    assert state == "failed" and "timed out after 0.2 s" in tis["s"].error
    assert time.monotonic() - t0 < 2.5


def test_process_timeout_kills_the_task(make, tmp_path):
    marker = tmp_path / "written"
    d = dag("kill", spec("w", "write_after", kwargs={"path": str(marker), "seconds": 1.5},
                         timeout_s=0.5, executor_hint="process"))
    state, tis = run(make(d), "kill")
    assert state == "failed" and "killed" in tis["w"].error
    time.sleep(1.5)
    assert not marker.exists()


def test_independent_tasks_overlap(make, tmp_path):
    out = tmp_path / "log.txt"
    d = dag("par", *(spec(n, "record", kwargs={"path": str(out), "seconds": 0.3}) for n in "ab"))
    run(make(d), "par")
    events = lines(out)
    starts = [float(e[3]) for e in events if e[0] == "start"]
    dones = [float(e[3]) for e in events if e[0] == "done"]
    assert max(starts) < min(dones)  # the second started before the first ended


def test_pool_limits_concurrency(make, tmp_path):
    out = tmp_path / "log.txt"
    d = dag("pooled", *(spec(f"t{i}", "record", kwargs={"path": str(out), "seconds": 0.1},
                             pool="single") for i in range(3)))
    sched = make(d)
    with pytest.raises(StoreError, match="single"):
        sched.trigger("pooled")
    repo.set_pool(sched.engine, "single", 1)
    assert run(sched, "pooled")[0] == "success"
    kinds = [e[0] for e in lines(out)]
    assert kinds == ["start", "done"] * 3  # never two at once


def test_max_active_runs_queues_extra_runs(make, tmp_path):
    d = dag("one", spec("s", "sleep", kwargs={"seconds": 0.2}), max_active_runs=1)
    sched = make(d)
    first, second = sched.trigger("one"), sched.trigger("one")
    sched.run_until_idle(timeout=10)
    a, b = repo.get_run(sched.engine, first), repo.get_run(sched.engine, second)
    assert a.state == b.state == "success"
    assert b.started_at >= a.ended_at


def test_cancel_run_stops_running_tasks(make, tmp_path):
    marker = tmp_path / "written"
    d = dag("cancel", spec("w", "write_after", kwargs={"path": str(marker), "seconds": 1.0},
                           executor_hint="process"),
            spec("after", "noop", ["w"]))
    sched = make(d)
    run_id = sched.trigger("cancel")
    threading.Timer(0.4, sched.cancel_run, args=(run_id,)).start()
    sched.run_until_idle(timeout=10)
    tis = {t.task_id: t for t in repo.task_instances(sched.engine, run_id)}
    assert repo.get_run(sched.engine, run_id).state == "cancelled"
    assert tis["w"].state == "failed" and tis["w"].error == "cancelled"
    assert tis["after"].state == "skipped"
    time.sleep(1.0)
    assert not marker.exists()


def test_clear_reruns_a_finished_task_and_downstream(make, tmp_path):
    out = tmp_path / "log.txt"
    d = dag("again", spec("a", "record", kwargs={"path": str(out)}),
            spec("b", "record", ["a"], kwargs={"path": str(out)}))
    sched = make(d)
    state, _ = run(sched, "again")
    run_id = repo.list_runs(sched.engine, dag_id="again")[0].run_id
    sched.clear(run_id, ["a"])
    sched.run_until_idle(timeout=10)
    tis = {t.task_id: t for t in repo.task_instances(sched.engine, run_id)}
    assert repo.get_run(sched.engine, run_id).state == "success"
    assert tis["a"].try_number == tis["b"].try_number == 2
    with pytest.raises(NotFoundError):
        sched.clear(run_id, ["zzz"])


def test_unknown_dag(make):
    with pytest.raises(NotFoundError, match="unknown DAG 'nope'"):
        make(dag("x", spec("a", "noop"))).trigger("nope")


def test_many_short_tasks_no_database_lock(make):
    """Fan-out of 400 tasks on 16 threads while another thread writes and reads the store."""
    n = 400
    d = dag("wide", spec("start", "noop"), *(spec(f"t{i}", "pid", ["start"]) for i in range(n)),
            spec("end", "noop", [f"t{i}" for i in range(n)]))
    sched = make(d, parallelism=16)
    stop = threading.Event()
    errors: list[BaseException] = []

    def hammer() -> None:
        other = repo.create_run(sched.engine, dag("other", spec("a", "noop")))
        (ti,) = repo.task_instances(sched.engine, other.id)
        while not stop.is_set():
            try:
                repo.append_log(sched.engine, ti.id, 1, "stdout", "x\n")
                repo.list_runs(sched.engine, limit=5)
            except BaseException as exc:  # noqa: BLE001 - report any failure
                errors.append(exc)
                return

    thread = threading.Thread(target=hammer)
    thread.start()
    try:
        state, tis = run(sched, "wide", timeout=30)
    finally:
        stop.set()
        thread.join()
    assert not errors
    assert state == "success" and all(t.state == "success" for t in tis.values())


def test_postgres_end_to_end(make, pg_engine, tmp_path):
    d = dag("pg", spec("a", "value", kwargs={"x": [1, 2]}),
            spec("b", "flaky", ["a"], kwargs={"path": str(tmp_path / "c"), "failures": 1},
                 retries=1, retry_delay_s=0.01),
            spec("c", "array_stats", ["a"], kwargs={"arr": {"$task": "a"}}))
    sched = make(d, engine=pg_engine)
    state, tis = run(sched, "pg")
    assert state == "success" and tis["b"].try_number == 2
    assert repo.load_result(pg_engine, tis["c"].id)["sum"] == 3.0


def test_run_forever_picks_up_triggers_from_other_threads_and_store(make):
    d = dag("bg", spec("a", "value", kwargs={"x": 1}))
    sched = make(d)
    sched.db_poll_interval = 0.05
    stop = threading.Event()
    loop = threading.Thread(target=sched.run_forever, args=(stop,))
    loop.start()
    try:
        in_process = sched.trigger("bg")  # from this thread, while the loop runs
        elsewhere = repo.create_run(sched.engine, d).run_id  # as the CLI would: only the store
        deadline = time.monotonic() + 10
        while {repo.get_run(sched.engine, r).state for r in (in_process, elsewhere)} != {"success"}:
            assert time.monotonic() < deadline, "runs did not finish"
            time.sleep(0.02)
    finally:
        sched.stop(stop)
        loop.join(timeout=5)
    assert not loop.is_alive()
