"""LocalExecutor on its own: events, per-try log capture, process mode, timeouts, cancel."""

from __future__ import annotations

import os
import time

import pytest

from edgeweave.workflow.dag import TaskSpec
from edgeweave.workflow.executors.base import TaskEvent, TaskInvocation
from edgeweave.workflow.executors.local import QUEUE_AHEAD, LocalExecutor


def inv(task_id: str, fn: str, tmp_path, try_number: int = 1, timeout=None, hint=None, **kwargs):
    spec = TaskSpec(task_id, callable_ref=f"engine_tasks:{fn}", kwargs=kwargs, executor_hint=hint)
    return TaskInvocation(run_pk=1, run_id="r", dag_id="d", task_id=task_id, try_number=try_number,
                          spec=spec.to_dict(), timeout_s=timeout, artifact_root=str(tmp_path / "art"))


def collect(ex: LocalExecutor, n_final: int, timeout: float = 20) -> list[TaskEvent]:
    out: list[TaskEvent] = []
    deadline = time.monotonic() + timeout
    while sum(e.kind in ("success", "failed") for e in out) < n_final:
        if time.monotonic() > deadline:
            raise TimeoutError(f"only got {out}")
        ex.wait(0.05)
        out.extend(ex.events())
    return out


def final(events: list[TaskEvent], task_id: str) -> TaskEvent:
    return next(e for e in events if e.task_id == task_id and e.kind in ("success", "failed"))


def logs(events: list[TaskEvent], task_id: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for e in events:
        if e.task_id == task_id:
            for stream, text in e.logs:
                out[stream] = out.get(stream, "") + text
    return out


@pytest.fixture(params=["thread", "process"])
def executor(request):
    ex = LocalExecutor(4, request.param, kill_grace_s=0.5, log_flush_s=0.1)
    ex.start()
    yield ex
    ex.shutdown(wait=False)


def test_events_running_then_success(executor, tmp_path):
    executor.submit(inv("a", "add", tmp_path, a=1, b=2))
    events = collect(executor, 1)
    kinds = [e.kind for e in events if e.kind != "log"]
    assert kinds == ["running", "success"]
    assert events[0].pid and events[0].hostname
    assert final(events, "a").result == {"kind": "inline", "value": 3, "size": 1,
                                         "content_type": "application/json"}
    assert not executor.knows((1, "a"))


def test_mode_decides_where_it_runs(executor, tmp_path):
    executor.submit(inv("p", "pid", tmp_path))
    child = final(collect(executor, 1), "p").result["value"]
    assert (child == os.getpid()) == (executor.mode == "thread")


def test_parallel_tasks_logs_do_not_mix(executor, tmp_path):
    for name in ("alpha", "beta"):
        executor.submit(inv(name, "chatty", tmp_path, name=name, lines=15))
    events = collect(executor, 2)
    for name, other in (("alpha", "beta"), ("beta", "alpha")):
        captured = logs(events, name)
        assert captured["stdout"].count(f"{name} out") == 15
        assert captured["stderr"].count(f"{name} err") == 15
        assert captured["log"].count(f"{name} log") == 15
        assert other not in "".join(captured.values())


def test_failure_reports_error_and_traceback(executor, tmp_path):
    executor.submit(inv("bad", "boom", tmp_path, message="kaput"))
    events = collect(executor, 1)
    ev = final(events, "bad")
    assert ev.kind == "failed" and ev.error == "ValueError: kaput" and ev.retryable
    assert "Traceback" in logs(events, "bad")["stderr"]


def test_missing_code_is_not_retryable(executor, tmp_path):
    executor.submit(inv("m", "does_not_exist", tmp_path))
    ev = final(collect(executor, 1), "m")
    assert ev.kind == "failed" and not ev.retryable and "does_not_exist" in ev.error


def test_timeout(executor, tmp_path):
    marker = tmp_path / "late"
    executor.submit(inv("t", "write_after", tmp_path, timeout=0.3, path=str(marker), seconds=1.0))
    ev = final(collect(executor, 1), "t")
    assert ev.kind == "failed" and "timed out" in ev.error
    time.sleep(1.2)
    # a process is killed at the deadline; a thread cannot be, its late result is dropped
    assert marker.exists() == (executor.mode == "thread")
    assert not [e for e in executor.events() if e.kind in ("success", "failed")]


def test_cancel(executor, tmp_path):
    marker = tmp_path / "late"
    executor.submit(inv("c", "write_after", tmp_path, path=str(marker), seconds=0.8))
    time.sleep(0.3)
    executor.cancel((1, "c"))
    time.sleep(1.0)
    assert not [e for e in executor.events() if e.kind in ("success", "failed")]
    assert marker.exists() == (executor.mode == "thread")  # threads stop only cooperatively


def test_capacity_and_unknown_hint(tmp_path):
    ex = LocalExecutor(2)
    ex.start()
    cap = ex.max_inflight
    assert cap == 2 * QUEUE_AHEAD  # runs 2, queues the rest so workers never wait
    try:
        ex.submit(inv("a", "sleep", tmp_path, seconds=0.2))
        assert ex.can_submit(cap - 1) and not ex.can_submit(cap)
        ex.submit(inv("h", "noop", tmp_path, hint="gpu-cluster"))
        ev = final(collect(ex, 2), "h")
        assert ev.kind == "failed" and not ev.retryable and "gpu-cluster" in ev.error
    finally:
        ex.shutdown()
    with pytest.raises(ValueError, match="mode"):
        LocalExecutor(mode="fiber")


@pytest.mark.parametrize(("mode", "timeout"), [("thread", 0.8), ("process", None)])
def test_queued_tasks_wait_for_a_worker_and_their_timeout_starts_when_they_do(tmp_path, mode,
                                                                              timeout):
    ex = LocalExecutor(2, mode=mode)
    ex.start()
    try:
        for i in range(4):  # 4 tasks of 0.5 s, only 2 workers: t2, t3 wait ~0.5 s queued;
            # counted from submission they would pass the 0.8 s timeout, from start they don't
            ex.submit(inv(f"t{i}", "sleep", tmp_path, timeout=timeout, seconds=0.5))
        events = collect(ex, 4, timeout=30)
    finally:
        ex.shutdown()
    running, finished = 0, 0
    for e in events:  # never more than 2 running at once
        if e.kind == "running":
            running += 1
        elif e.kind in ("success", "failed"):
            finished += 1
        assert running - finished <= 2
    assert all(final(events, f"t{i}").kind == "success" for i in range(4))


def test_invocation_is_plain_data(tmp_path):
    import json

    i = inv("a", "noop", tmp_path)
    assert TaskInvocation.from_dict(json.loads(json.dumps(i.to_dict()))) == i
