"""Task and run states, and which transitions are legal.

none -> scheduled -> queued -> running -> success | failed | up_for_retry | skipped |
upstream_failed. A transition is committed to the store before anything acts on it.
"""

from __future__ import annotations

from enum import Enum


class TaskState(str, Enum):
    NONE = "none"
    SCHEDULED = "scheduled"
    QUEUED = "queued"
    RUNNING = "running"
    SUCCESS = "success"
    FAILED = "failed"
    UP_FOR_RETRY = "up_for_retry"
    SKIPPED = "skipped"
    UPSTREAM_FAILED = "upstream_failed"

    @property
    def finished(self) -> bool:
        return self in FINISHED


class RunState(str, Enum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCESS = "success"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in (RunState.SUCCESS, RunState.FAILED, RunState.CANCELLED)


FINISHED = frozenset({TaskState.SUCCESS, TaskState.FAILED, TaskState.SKIPPED,
                      TaskState.UPSTREAM_FAILED})

ALLOWED: dict[TaskState, frozenset[TaskState]] = {
    TaskState.NONE: frozenset({TaskState.SCHEDULED, TaskState.SKIPPED, TaskState.UPSTREAM_FAILED}),
    TaskState.SCHEDULED: frozenset({TaskState.QUEUED, TaskState.SKIPPED, TaskState.UPSTREAM_FAILED,
                                    TaskState.NONE}),
    TaskState.QUEUED: frozenset({TaskState.RUNNING, TaskState.SCHEDULED, TaskState.FAILED,
                                 TaskState.SKIPPED}),
    TaskState.RUNNING: frozenset({TaskState.SUCCESS, TaskState.FAILED, TaskState.UP_FOR_RETRY,
                                  TaskState.SKIPPED}),
    TaskState.UP_FOR_RETRY: frozenset({TaskState.SCHEDULED, TaskState.FAILED, TaskState.SKIPPED}),
    TaskState.SUCCESS: frozenset({TaskState.NONE}),  # cleared for a re-run
    TaskState.FAILED: frozenset({TaskState.NONE}),
    TaskState.SKIPPED: frozenset({TaskState.NONE}),
    TaskState.UPSTREAM_FAILED: frozenset({TaskState.NONE}),
}


def can_transition(old: TaskState, new: TaskState) -> bool:
    return new in ALLOWED[old]
