"""Executors: where task tries run (local threads/processes now, Ray next)."""

from edgeweave.workflow.executors.base import Executor, TaskEvent, TaskInvocation, TIKey

__all__ = ["Executor", "TIKey", "TaskEvent", "TaskInvocation"]
