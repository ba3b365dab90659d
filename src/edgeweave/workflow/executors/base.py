"""The executor interface: what the scheduler hands out and what comes back.

Like hamilton's executors, an executor is a few methods (start, can_submit, submit,
events, cancel, shutdown) over plain data. A :class:`TaskInvocation` is everything a
worker needs to run one try of one task, as JSON-able data: the scheduler never passes
live objects, so the same invocation runs in a thread, a subprocess or on a Ray node. A
worker answers with :class:`TaskEvent` s (running, log, success, failed), which the
scheduler commits to the store before acting on them.

The event queue lives here so every executor gets the scheduler's fast wake-up for free:
:meth:`Executor.wait` returns as soon as a worker emits an event, rather than after a fixed
poll interval, which is what keeps the hand-off between short tasks in the milliseconds.
"""

from __future__ import annotations

import queue
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

TIKey = tuple[int, str]
"""(run primary key, task id): names a task instance across tries."""

EventKind = Literal["running", "log", "success", "failed"]


@dataclass
class TaskInvocation:
    """One try of one task, as plain serializable data."""

    run_pk: int
    run_id: str
    dag_id: str
    task_id: str
    try_number: int
    spec: dict[str, Any]
    """TaskSpec.to_dict() of the task."""
    upstream_results: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    """Result refs (artifacts.to_ref) of the upstream tasks its kwargs reference by $task;
    None for an upstream that finished without a result. The worker loads the values."""
    params: dict[str, Any] = field(default_factory=dict)
    timeout_s: float | None = None
    artifact_root: str = ""
    log_to: str | None = None
    """Where the worker sends output; None: back through TaskEvents (the local executor)."""

    @property
    def key(self) -> TIKey:
        return (self.run_pk, self.task_id)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TaskInvocation:
        return cls(**data)


@dataclass
class TaskEvent:
    """Something that happened to one try of a task instance."""

    kind: EventKind
    run_pk: int
    task_id: str
    try_number: int
    at: float = 0.0
    """time.time() when it happened."""
    pid: int | None = None
    hostname: str | None = None
    result: dict[str, Any] | None = None
    """success: the result ref (artifacts.to_ref)."""
    error: str | None = None
    retryable: bool = True
    """failed: False when another try cannot help (e.g. the task's code cannot be found)."""
    logs: list[tuple[str, str]] = field(default_factory=list)
    """(stream, text) chunks captured since the last event of this try."""

    @property
    def key(self) -> TIKey:
        return (self.run_pk, self.task_id)


class Executor(ABC):
    """Runs TaskInvocations somewhere and reports what happened through events."""

    def __init__(self) -> None:
        self._events: queue.SimpleQueue[TaskEvent | None] = queue.SimpleQueue()
        self._stash: list[TaskEvent] = []

    def start(self) -> None:  # noqa: B027 - optional hook
        """Acquire resources (threads, connections); called once before the first submit."""

    @abstractmethod
    def can_submit(self, n: int = 1) -> bool:
        """Whether ``n`` more invocations would start now rather than wait for capacity."""

    @abstractmethod
    def submit(self, invocation: TaskInvocation) -> None:
        """Start running ``invocation``; must not block on the task itself."""

    @abstractmethod
    def cancel(self, key: TIKey) -> None:
        """Stop the task if it runs (best effort); its outcome is then ignored."""

    def knows(self, key: TIKey) -> bool:
        """Whether this executor is running (or about to run) ``key``."""
        return False

    def shutdown(self, wait: bool = True) -> None:  # noqa: B027 - optional hook
        """Release resources; with ``wait``, let running tasks finish first."""

    # -- event queue shared by all executors -----------------------------------------
    def emit(self, event: TaskEvent) -> None:
        """Called by workers (any thread) to report an event; wakes a waiting scheduler."""
        self._events.put(event)

    def wake(self) -> None:
        """Make a pending :meth:`wait` return now (e.g. a new run was triggered)."""
        self._events.put(None)

    def events(self) -> list[TaskEvent]:
        """Every event reported since the last call, in order; never blocks."""
        out, self._stash = self._stash, []
        while True:
            try:
                ev = self._events.get_nowait()
            except queue.Empty:
                return out
            if ev is not None:
                out.append(ev)

    def wait(self, timeout: float) -> None:
        """Block until an event arrives (or :meth:`wake`), at most ``timeout`` seconds."""
        if self._stash or timeout <= 0:
            return
        try:
            ev = self._events.get(timeout=timeout)
        except queue.Empty:
            return
        if ev is not None:
            self._stash.append(ev)
