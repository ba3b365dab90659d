"""LocalExecutor: run tasks in this machine's threads (default) or subprocesses.

Threads start in microseconds and suit tasks that release the GIL (numpy, onnxruntime,
I/O). Processes (``mode="process"``, or ``executor_hint: process`` on a task) suit
Python-heavy tasks and are the only way to stop a task for real.

Timeouts and cancel differ by mode, because Python cannot kill a thread:
- process: the child gets SIGTERM at the deadline, SIGKILL after ``kill_grace_s``; cancel
  kills at once. Nothing the task does after that happens.
- thread: at the deadline the try is reported failed (timeout) and its thread is
  abandoned: the function keeps running until it returns by itself and its result is
  discarded. A replacement thread keeps the parallelism. Use ``executor: process`` for
  tasks that must really be stopped.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from edgeweave.workflow.executors import capture
from edgeweave.workflow.executors.base import Executor, TaskEvent, TaskInvocation, TIKey
from edgeweave.workflow.runner import describe_failure, run_invocation

HOSTNAME = socket.gethostname()
MODES = ("thread", "process")


@dataclass(eq=False)
class _Active:
    inv: TaskInvocation
    mode: str
    deadline: float | None
    capture: capture.Capture = field(default_factory=capture.Capture)
    done: bool = False
    proc: subprocess.Popen[bytes] | None = None


QUEUE_AHEAD = 8
"""Tasks queued per worker beyond the ones running (see LocalExecutor.max_inflight)."""


class LocalExecutor(Executor):
    """Runs up to ``parallelism`` tasks at once in threads or subprocesses of this machine."""

    def __init__(self, parallelism: int | None = None, mode: str = "thread", *,
                 kill_grace_s: float = 2.0, log_flush_s: float = 1.0) -> None:
        super().__init__()
        if mode not in MODES:
            raise ValueError(f"executor mode must be one of {', '.join(MODES)}, got {mode!r}")
        cpus = os.cpu_count() or 2
        self.parallelism = parallelism or max(4, 2 * cpus)
        if self.parallelism < 1:
            raise ValueError(f"parallelism must be >= 1, got {parallelism}")
        self.mode = mode
        self.kill_grace_s = kill_grace_s
        self.log_flush_s = log_flush_s
        self._lock = threading.Lock()
        self._active: dict[TIKey, _Active] = {}
        self._work: list[_Active | None] = []
        self._work_cv = threading.Condition(self._lock)
        self._waiting = 0  # worker threads blocked waiting for work
        self._proc_slots = threading.BoundedSemaphore(self.parallelism)
        self._threads: list[threading.Thread] = []
        self._started = False
        self._next_flush = 0.0

    # -- interface ---------------------------------------------------------------------
    def start(self) -> None:
        if not self._started:
            capture.install()
            self._started = True

    @property
    def max_inflight(self) -> int:
        """Tasks accepted at once: ``parallelism`` run, the rest wait in this executor's
        queue, so a worker that finishes starts the next task without waiting for the
        scheduler's next commit (short tasks would otherwise idle the workers)."""
        return self.parallelism * QUEUE_AHEAD

    def can_submit(self, n: int = 1) -> bool:
        return len(self._active) + n <= self.max_inflight

    def knows(self, key: TIKey) -> bool:
        return key in self._active

    def submit(self, invocation: TaskInvocation) -> None:
        self.start()
        mode = invocation.spec.get("executor_hint") or self.mode
        if mode not in MODES:
            self.emit(self._failed(invocation, f"unknown executor hint {mode!r}; use "
                                   f"{' or '.join(MODES)}", False))
            return
        active = _Active(invocation, mode, None)  # the deadline starts when the task does
        with self._lock:
            self._active[invocation.key] = active
            if mode == "process":
                threading.Thread(target=self._run_process, args=(active,), daemon=True,
                                 name=f"edgeweave-proc-{invocation.task_id}").start()
                return
            self._work.append(active)
            self._work_cv.notify()
            if len(self._work) > self._waiting and len(self._threads) < self.parallelism:
                thread = threading.Thread(target=self._thread_main, daemon=True,
                                          name=f"edgeweave-worker-{len(self._threads)}")
                self._threads.append(thread)
                thread.start()

    def cancel(self, key: TIKey) -> None:
        with self._lock:
            active = self._active.pop(key, None)
            if active is None:
                return
            active.done = True
            proc = active.proc
        if proc is not None:
            _kill_group(proc, signal.SIGKILL)

    def events(self) -> list[TaskEvent]:
        now = time.monotonic()
        with self._lock:
            for active in list(self._active.values()):
                if active.mode == "thread" and active.deadline is not None and now >= active.deadline:
                    self._finish_locked(active, self._failed(
                        active.inv, f"timed out after {active.inv.timeout_s:g} s (the thread keeps "
                        "running until the function returns; its result is discarded — use "
                        "executor: process to kill tasks at the deadline)", True))
            if now >= self._next_flush:
                self._next_flush = now + self.log_flush_s
                for active in self._active.values():
                    chunks = active.capture.drain()
                    if chunks:
                        inv = active.inv
                        self.emit(TaskEvent("log", inv.run_pk, inv.task_id, inv.try_number,
                                            at=time.time(), logs=chunks))
        return super().events()

    def shutdown(self, wait: bool = True) -> None:
        with self._lock:
            threads = list(self._threads)
            self._threads.clear()
            self._work.extend([None] * len(threads))
            self._work_cv.notify_all()
            if not wait:
                for active in self._active.values():
                    active.done = True
                    if active.proc is not None:
                        _kill_group(active.proc, signal.SIGKILL)
        if wait:
            for thread in threads:
                thread.join(timeout=30)
        if self._started:
            capture.uninstall()
            self._started = False

    # -- workers -----------------------------------------------------------------------
    def _thread_main(self) -> None:
        while True:
            with self._lock:
                while not self._work:
                    self._waiting += 1
                    self._work_cv.wait()
                    self._waiting -= 1
                active = self._work.pop(0)
                if active is not None and not active.done:
                    active.deadline = _deadline(active.inv)
            if active is None:
                return
            if not active.done:
                self._run_thread(active)

    def _run_thread(self, active: _Active) -> None:
        inv = active.inv
        capture.ensure()
        token = capture.CURRENT.set(active.capture)
        self.emit(TaskEvent("running", inv.run_pk, inv.task_id, inv.try_number, at=time.time(),
                            pid=os.getpid(), hostname=HOSTNAME))
        try:
            event = TaskEvent("success", inv.run_pk, inv.task_id, inv.try_number,
                              result=run_invocation(inv))
        except (Exception, SystemExit) as exc:
            error, text, retryable = describe_failure(exc)
            active.capture.write("stderr", text)
            event = self._failed(inv, error, retryable)
        finally:
            capture.CURRENT.reset(token)
        with self._lock:
            self._finish_locked(active, event)

    def _run_process(self, active: _Active) -> None:
        with self._proc_slots:  # at most ``parallelism`` child processes at once
            with self._lock:
                if active.done:  # cancelled while waiting for a slot
                    return
                active.deadline = _deadline(active.inv)
            self._run_process_slot(active)

    def _run_process_slot(self, active: _Active) -> None:
        inv = active.inv
        work = Path(tempfile.mkdtemp(prefix="edgeweave-task-"))
        files = {"stdout": work / "stdout", "stderr": work / "stderr", "log": work / "log"}
        payload = {"invocation": inv.to_dict(), "sys_path": [p for p in sys.path if p],
                   "parent_pid": os.getpid(), "result": str(work / "result.json"),
                   "log": str(files["log"])}
        (work / "payload.json").write_text(json.dumps(payload), encoding="utf-8")
        offsets = dict.fromkeys(files, 0)
        event: TaskEvent | None = None
        try:
            with open(files["stdout"], "wb") as out, open(files["stderr"], "wb") as err:
                proc = subprocess.Popen(
                    [sys.executable, "-m", "edgeweave.workflow.executors.child",
                     str(work / "payload.json")],
                    stdin=subprocess.DEVNULL, stdout=out, stderr=err, start_new_session=True)
            with self._lock:
                active.proc = proc
                cancelled = active.done
            if cancelled:
                _kill_group(proc, signal.SIGKILL)
            self.emit(TaskEvent("running", inv.run_pk, inv.task_id, inv.try_number,
                                at=time.time(), pid=proc.pid, hostname=HOSTNAME))
            event = self._watch(active, proc, files, offsets)
            self._tail(active, files, offsets)
            if event is None:
                event = self._process_outcome(inv, work / "result.json", proc.returncode)
        except OSError as exc:
            event = self._failed(inv, f"cannot start a process for the task: {exc}", True)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        with self._lock:
            self._finish_locked(active, event)

    def _watch(self, active: _Active, proc: subprocess.Popen[bytes], files: dict[str, Path],
               offsets: dict[str, int]) -> TaskEvent | None:
        """Wait for the child, tailing its output; kill it at the deadline."""
        while True:
            wait = self.log_flush_s
            if active.deadline is not None:
                wait = max(0.0, min(wait, active.deadline - time.monotonic()))
            try:
                proc.wait(timeout=wait)
                return None
            except subprocess.TimeoutExpired:
                pass
            self._tail(active, files, offsets)
            if active.deadline is not None and time.monotonic() >= active.deadline:
                _kill_group(proc, signal.SIGTERM)
                try:
                    proc.wait(timeout=self.kill_grace_s)
                except subprocess.TimeoutExpired:
                    _kill_group(proc, signal.SIGKILL)
                    proc.wait()
                return self._failed(active.inv, f"timed out after {active.inv.timeout_s:g} s; "
                                    "the task's process was killed", True)

    @staticmethod
    def _tail(active: _Active, files: dict[str, Path], offsets: dict[str, int]) -> None:
        for stream, path in files.items():
            try:
                with open(path, "rb") as fh:
                    fh.seek(offsets[stream])
                    data = fh.read()
            except FileNotFoundError:
                continue
            if data:
                offsets[stream] += len(data)
                active.capture.write(stream, data.decode("utf-8", errors="replace"))

    def _process_outcome(self, inv: TaskInvocation, result: Path, code: int | None) -> TaskEvent:
        try:
            out = json.loads(result.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            how = f"killed by signal {-code}" if code is not None and code < 0 else f"exit code {code}"
            return self._failed(inv, f"the task's process died ({how}) before reporting a result", True)
        if out.get("ok"):
            return TaskEvent("success", inv.run_pk, inv.task_id, inv.try_number, result=out["result"])
        return self._failed(inv, out.get("error") or "failed", bool(out.get("retryable", True)))

    # -- helpers -----------------------------------------------------------------------
    @staticmethod
    def _failed(inv: TaskInvocation, error: str, retryable: bool) -> TaskEvent:
        return TaskEvent("failed", inv.run_pk, inv.task_id, inv.try_number, error=error,
                         retryable=retryable)

    def _finish_locked(self, active: _Active, event: TaskEvent) -> None:
        """Report the try's outcome once; a later outcome (after timeout/cancel) is dropped."""
        if active.done:
            return
        active.done = True
        if self._active.get(active.inv.key) is active:
            del self._active[active.inv.key]
        event.at = event.at or time.time()
        event.logs = active.capture.drain()
        self.emit(event)


def _deadline(inv: TaskInvocation) -> float | None:
    return time.monotonic() + inv.timeout_s if inv.timeout_s else None


def _kill_group(proc: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    """Signal the child's whole process group (it may have started its own children)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)
