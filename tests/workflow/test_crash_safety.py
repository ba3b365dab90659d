"""kill -9 the scheduler mid-run; a new scheduler finishes the run, no task runs after success."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from edgeweave.store import repository as repo
from edgeweave.store.db import open_store

HERE = Path(__file__).parent
SRC = HERE.parent.parent / "src"


def _spawn(db: str, tmp_path: Path, out: Path, mode: str, executor: str) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(SRC), str(HERE)]))
    return subprocess.Popen([sys.executable, str(HERE / "engine_crash_main.py"), db,
                             str(tmp_path / "artifacts"), str(out), mode, executor],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _lines(out: Path) -> list[tuple[str, str, int]]:
    return [(k, t, int(n)) for k, t, n, _ in (line.split() for line in out.read_text().splitlines())]


@pytest.mark.parametrize("executor", ["thread", "process"])
def test_kill_9_mid_run_then_resume(tmp_path, executor):
    db = f"sqlite:///{tmp_path / 'edgeweave.db'}"
    out = tmp_path / "tasks.txt"
    first = _spawn(db, tmp_path, out, "start", executor)
    deadline = time.monotonic() + 30
    # kill once some b-tasks finished and others are mid-flight
    while True:
        lines = _lines(out) if out.exists() else []
        done = {t for k, t, _ in lines if k == "done"}
        started = {t for k, t, _ in lines if k == "start"}
        if len(done) >= 3 and started - done:
            break
        if first.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"scheduler ended or stalled before the kill: {first.communicate()}")
        time.sleep(0.02)
    os.kill(first.pid, signal.SIGKILL)
    first.communicate()  # reap it and close its pipes
    assert first.returncode == -signal.SIGKILL
    engine = open_store(db)
    (run,) = repo.list_runs(engine)
    assert run.state == "running"
    before = {t.task_id: (t.state, t.try_number) for t in repo.task_instances(engine, run.run_id)}
    assert any(s == "running" for s, _ in before.values())
    lines_at_kill = len(_lines(out))

    second = _spawn(db, tmp_path, out, "resume", executor)
    stdout, stderr = second.communicate(timeout=60)
    assert second.returncode == 0, stderr
    assert "running" in stdout  # it reported recovering the orphaned tries

    run = repo.get_run(engine, run.run_id)
    tis = {t.task_id: t for t in repo.task_instances(engine, run.run_id)}
    assert run.state == "success"
    assert set(tis) == {"a", "c", *(f"b{i}" for i in range(6))}  # none lost
    lines = _lines(out)
    for task_id, ti in tis.items():
        assert ti.state == "success"
        # exactly one completed execution of the successful try, none after it
        assert lines.count(("done", task_id, ti.try_number)) == 1
        assert not [n for k, t, n in lines if t == task_id and n > ti.try_number]
        if before[task_id][0] == "success":  # succeeded before the kill: never ran again
            assert ti.try_number == before[task_id][1]
            assert not [x for x in lines[lines_at_kill:] if x[1] == task_id]
    engine.dispose()
