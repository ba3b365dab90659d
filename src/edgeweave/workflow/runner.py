"""Run one TaskInvocation in a worker: find the code, resolve arguments, call, store result.

This is all a worker (a thread, a subprocess, a Ray task) needs: the invocation is plain
data, upstream values are loaded from their result refs (inline or from the artifact
store), and the return value is turned into a result ref before it goes back, so nothing
but JSON crosses the boundary. The task can ask who it is with :func:`get_context`.
"""

from __future__ import annotations

import importlib
import traceback
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from edgeweave.errors import EdgeWeaveError, first_line
from edgeweave.store import artifacts
from edgeweave.workflow.dag import PARAM_REF, TASK_REF
from edgeweave.workflow.executors.base import TaskInvocation


class TaskSetupError(EdgeWeaveError):
    """The task could not even start (code not found, bad reference): retrying cannot help."""

    retryable = False


@dataclass(frozen=True)
class TaskContext:
    """Who the running task is; ``get_context()`` inside a task function returns it."""

    run_id: str
    dag_id: str
    task_id: str
    try_number: int
    params: dict[str, Any] = field(default_factory=dict)


_CONTEXT: ContextVar[TaskContext | None] = ContextVar("edgeweave_task_context", default=None)


def get_context() -> TaskContext:
    """The context of the task running in this thread; RuntimeError outside a task."""
    ctx = _CONTEXT.get()
    if ctx is None:
        raise RuntimeError("get_context() is only available inside a running task")
    return ctx


def resolve_ref(ref: str) -> Callable[..., Any]:
    """The function a ``module:function`` / ``file.py:function`` reference names."""
    try:
        from edgeweave.workflow.callables import resolve_callable
    except ImportError:  # authoring not installed yet: plain module:function only
        module, _, name = ref.rpartition(":")
        if not module or not name:
            raise TaskSetupError(f"invalid task code reference {ref!r}",
                                 "expected 'package.module:function'") from None
        try:
            return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]
        except (ImportError, AttributeError) as exc:
            raise TaskSetupError(f"cannot load {ref!r}: {first_line(exc)}") from exc
    try:
        return resolve_callable(ref)
    except EdgeWeaveError as exc:
        raise TaskSetupError(exc.message, exc.hint) from exc


def task_callable(spec: dict[str, Any]) -> Callable[..., Any]:
    """The function a TaskSpec dict runs: its operator's, or its callable_ref's."""
    if spec.get("operator"):
        from edgeweave.workflow.operators import OPERATORS

        name = spec["operator"]
        if name not in OPERATORS:
            raise TaskSetupError(f"task {spec['task_id']!r}: unknown operator {name!r}",
                                 f"built-in operators: {', '.join(sorted(OPERATORS)) or 'none'}")
        return OPERATORS[name]
    if not spec.get("callable_ref"):
        raise TaskSetupError(f"task {spec['task_id']!r} has neither an operator nor a callable")
    return resolve_ref(spec["callable_ref"])


def referenced_tasks(value: Any) -> set[str]:
    """Task ids referenced by ``{"$task": id}`` anywhere inside ``value``."""
    found: set[str] = set()
    if isinstance(value, dict):
        if set(value) == {TASK_REF}:
            found.add(str(value[TASK_REF]))
        else:
            for v in value.values():
                found |= referenced_tasks(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            found |= referenced_tasks(v)
    return found


def resolve_args(value: Any, inv: TaskInvocation, cache: dict[str, Any]) -> Any:
    """``value`` with every $task / $param reference replaced by the actual value."""
    if isinstance(value, dict):
        if set(value) == {TASK_REF}:
            tid = str(value[TASK_REF])
            if tid not in cache:
                if tid not in inv.upstream_results:
                    raise TaskSetupError(f"task {inv.task_id!r} references the result of {tid!r}, "
                                         "which is not one of its upstream tasks",
                                         f"add {tid!r} to the task's upstream (needs:)")
                cache[tid] = artifacts.from_ref(inv.upstream_results[tid], inv.artifact_root or None)
            return cache[tid]
        if set(value) == {PARAM_REF}:
            name = str(value[PARAM_REF])
            if name not in inv.params:
                raise TaskSetupError(f"task {inv.task_id!r} references param {name!r}, which the "
                                     f"run does not have; run params: {', '.join(inv.params) or 'none'}")
            return inv.params[name]
        return {k: resolve_args(v, inv, cache) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_args(v, inv, cache) for v in value]
    return value


def run_invocation(inv: TaskInvocation) -> dict[str, Any]:
    """Run the task; return its result ref. Exceptions from the task propagate."""
    fn = task_callable(inv.spec)
    kwargs = resolve_args(inv.spec.get("kwargs") or {}, inv, {})
    token = _CONTEXT.set(TaskContext(inv.run_id, inv.dag_id, inv.task_id, inv.try_number,
                                     dict(inv.params)))
    try:
        value = fn(**kwargs)
    finally:
        _CONTEXT.reset(token)
    return artifacts.to_ref(value, inv.artifact_root or None)


def describe_failure(exc: BaseException) -> tuple[str, str, bool]:
    """(one-line error, full traceback, retryable) for a failed try."""
    retryable = bool(getattr(exc, "retryable", True))
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return f"{type(exc).__name__}: {first_line(exc)}", text, retryable
