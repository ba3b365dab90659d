"""Python authoring: ``@dag`` and ``@task``, where passing a result makes the dependency.

Inside a ``@dag`` function a task call does not run the task: it records a TaskSpec and
returns a TaskRef; passing that ref to another task becomes ``{"$task": id}`` plus an
upstream edge. The DAG's params are the function's parameters, typed from annotations.
Every problem (bad kwarg, nested function, bad param type, cycle) is collected while the
DAG is built and raised together, naming file and line. Outside a ``@dag`` body a task
is a plain function, which is also what a worker calls.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
import sys
import types
import typing
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Literal, Union

from edgeweave.workflow.callables import (
    TASK_FN_ATTR,
    DagError,
    DagValidationError,
    callable_ref_for,
    error_location,
)
from edgeweave.workflow.dag import (
    DAG,
    PARAM_REF,
    TASK_REF,
    EventTrigger,
    ParamSpec,
    Source,
    TaskSpec,
    TriggerRule,
    structural_problems,
)
from edgeweave.workflow.params import schema_problems

EXECUTOR_HINTS = ("thread", "process")
EVENT_KINDS = ("webhook", "mqtt", "file")
_PY_PARAM_TYPES = {str: "string", int: "integer", float: "number", bool: "boolean",
                   list: "array", dict: "object"}
_BUILDER: contextvars.ContextVar[_Builder | None] = contextvars.ContextVar("ew_builder", default=None)


def dag_settings_problems(schedule: Any, timezone: Any, max_active_runs: Any) -> list[str]:
    """Problems with a DAG's schedule (5-field cron), time zone and max_active_runs.

    The schedule is checked by the cron ticker's own validator, so a DAG that loads is a
    DAG the ticker can fire (aliases like @daily included, never-firing dates refused).
    """
    from zoneinfo import ZoneInfo

    from edgeweave.errors import ParameterError
    from edgeweave.workflow.triggers_cron import validate_schedule

    problems: list[str] = []
    if schedule is not None:
        try:
            validate_schedule(schedule, "UTC")
        except ParameterError as exc:
            problems.append(exc.message)
    try:
        ZoneInfo(str(timezone))
    except (ValueError, KeyError, OSError):
        problems.append(f"unknown timezone {timezone!r} (use an IANA name such as 'Europe/Berlin')")
    if isinstance(max_active_runs, bool) or not isinstance(max_active_runs, int) or max_active_runs < 1:
        problems.append(f"max_active_runs must be an integer >= 1, got {max_active_runs!r}")
    return problems


def parse_event(spec: Any) -> EventTrigger:
    """An EventTrigger from ``{"webhook": "/hooks/x"}`` / ``{"mqtt": topic}`` / ``{"file": glob}``."""
    if isinstance(spec, EventTrigger):
        return spec
    if not isinstance(spec, dict):
        raise DagError(f"event must be a mapping like {{webhook: /hooks/name}}, got {spec!r}")
    kinds = [k for k in EVENT_KINDS if k in spec]
    extra = sorted(set(spec) - {*EVENT_KINDS, "params"})
    if len(kinds) != 1 or extra:
        raise DagError(f"event {spec!r} must have exactly one of {', '.join(EVENT_KINDS)} "
                       f"(plus optional params)" + (f"; unknown keys: {', '.join(extra)}" if extra else ""))
    target, params = spec[kinds[0]], spec.get("params") or {}
    if not isinstance(target, str) or not target or not isinstance(params, dict):
        raise DagError(f"event {kinds[0]}: expected a non-empty string target and a params mapping")
    if kinds[0] == "webhook" and not target.startswith("/"):
        raise DagError(f"webhook path {target!r} must start with '/'")
    return EventTrigger(kind=kinds[0], target=target, params=dict(params))


class TaskRef:
    """The future result of a task inside a @dag body; ``a >> b`` orders without data."""

    def __init__(self, builder: _Builder, task_id: str) -> None:
        self._builder = builder
        self.task_id = task_id

    def __repr__(self) -> str:
        return f"TaskRef({self.task_id!r})"

    def _edge(self, up: Any, down: Any) -> None:
        ups = up if isinstance(up, (list, tuple)) else [up]
        downs = down if isinstance(down, (list, tuple)) else [down]
        for u in ups:
            for d in downs:
                bad = next((x for x in (u, d) if not isinstance(x, TaskRef)), None)
                if bad is not None:
                    raise DagError(f">> and << take task results (or lists of them), "
                                   f"got {type(bad).__name__}")
                self._builder.add_upstream(d.task_id, u.task_id)

    def __rshift__(self, other: Any) -> Any:
        self._edge(self, other)
        return other

    def __rrshift__(self, other: Any) -> TaskRef:
        self._edge(other, self)
        return self

    def __lshift__(self, other: Any) -> Any:
        self._edge(other, self)
        return other

    def __rlshift__(self, other: Any) -> Any:
        self._edge(self, other)
        return other

    def _no_value(self, *args: Any) -> Any:
        raise DagError(f"result of task {self.task_id!r} has no value while the DAG is built; pass "
                       f"the whole result to a task and index, iterate or branch there")

    __getitem__ = __iter__ = __bool__ = _no_value  # type: ignore[assignment]


class ParamRef:
    """A DAG param inside a @dag body; becomes ``{"$param": name}`` when passed to a task."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"ParamRef({self.name!r})"

    def _no_value(self, *args: Any) -> Any:
        raise DagError(f"param {self.name!r} has no value while the DAG is built; pass it to a "
                       f"task and use it there")

    __str__ = __format__ = __bool__ = __getitem__ = __add__ = __radd__ = _no_value  # type: ignore[assignment]


class _Builder:
    """Collects TaskSpecs and problems while one @dag body runs."""

    def __init__(self, dag_id: str, params: dict[str, ParamSpec]) -> None:
        self.dag_id = dag_id
        self.params = params
        self.tasks: dict[str, TaskSpec] = {}
        self.counts: dict[str, int] = {}
        self.problems: list[str] = []

    def new_id(self, base: str) -> str:
        n = self.counts.get(base, 0)
        self.counts[base] = n + 1
        task_id = base if n == 0 else f"{base}__{n}"
        while task_id in self.tasks:
            n += 1
            task_id = f"{base}__{n}"
        return task_id

    def add_upstream(self, task_id: str, up: str) -> None:
        spec = self.tasks[task_id]
        if up not in spec.upstream:
            spec.upstream.append(up)

    def to_data(self, value: Any, upstream: list[str], where: str) -> Any:
        """Arguments as JSON data: refs become {"$task"}/{"$param"}; anything else is a problem."""
        if isinstance(value, TaskRef):
            if value.task_id not in upstream:
                upstream.append(value.task_id)
            return {TASK_REF: value.task_id}
        if isinstance(value, ParamRef):
            return {PARAM_REF: value.name}
        if value is None or isinstance(value, (str, bool, int, float)):
            return value
        if isinstance(value, (list, tuple)):
            return [self.to_data(v, upstream, where) for v in value]
        if isinstance(value, dict) and all(isinstance(k, str) for k in value):
            return {k: self.to_data(v, upstream, where) for k, v in value.items()}
        self.problems.append(f"{where}: value of type {type(value).__name__} cannot be stored in the "
                             f"DAG (JSON only); create it inside a task or pass it as a param")
        return None


class TaskFunction:
    """A @task: records a TaskSpec inside a @dag body, runs the function outside one."""

    def __init__(self, fn: Callable[..., Any], options: dict[str, Any]) -> None:
        functools.update_wrapper(self, fn)
        setattr(self, TASK_FN_ATTR, fn)
        self.fn = fn
        self.options = options

    def __repr__(self) -> str:
        return f"<task {self.fn.__module__}.{self.fn.__qualname__}>"

    def override(self, **options: Any) -> TaskFunction:
        """The same task with other options (e.g. ``task_id``, ``retries``) for one call."""
        unknown = set(options) - set(self.options)
        if unknown:
            raise DagError(f"unknown task option(s): {', '.join(sorted(unknown))}; "
                           f"valid: {', '.join(self.options)}")
        return TaskFunction(self.fn, {**self.options, **options})

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        builder = _BUILDER.get()
        if builder is None:
            return self.fn(*args, **kwargs)
        frame = sys._getframe(1)  # the call site in the @dag body, for error messages
        return self._record(builder, Source(frame.f_code.co_filename, frame.f_lineno), args, kwargs)

    def _record(self, builder: _Builder, source: Source, args: tuple, kwargs: dict) -> TaskRef:
        opts = self.options
        task_id = builder.new_id(opts["task_id"] or self.fn.__name__)
        where = f"{source}: task {task_id!r}"
        try:
            ref: str | None = callable_ref_for(self.fn)
        except DagError as exc:
            builder.problems.append(f"{where}: {exc.message}")
            ref = None
        upstream: list[str] = []
        call_kwargs = self._bind(builder, where, args, kwargs)
        data = {k: builder.to_data(v, upstream, f"{where}, argument {k!r}") for k, v in call_kwargs.items()}
        try:
            rule = TriggerRule(opts["trigger_rule"])
        except ValueError:
            builder.problems.append(f"{where}: unknown trigger_rule {opts['trigger_rule']!r}; valid: "
                                    f"{', '.join(r.value for r in TriggerRule)}")
            rule = TriggerRule.ALL_SUCCESS
        if opts["executor"] is not None and opts["executor"] not in EXECUTOR_HINTS:
            builder.problems.append(f"{where}: unknown executor {opts['executor']!r}; valid: "
                                    f"{', '.join(EXECUTOR_HINTS)}")
        builder.tasks[task_id] = TaskSpec(
            task_id=task_id, callable_ref=ref or f"<unresolvable>:{self.fn.__qualname__}",
            kwargs=data, upstream=upstream, retries=opts["retries"],
            retry_delay_s=float(opts["retry_delay"]), timeout_s=opts["timeout"], trigger_rule=rule,
            pool=opts["pool"], resources=dict(opts["resources"] or {}),
            executor_hint=opts["executor"], source=source)
        return TaskRef(builder, task_id)

    def _bind(self, builder: _Builder, where: str, args: tuple, kwargs: dict) -> dict[str, Any]:
        """Call arguments by parameter name; a call the function cannot accept is a problem."""
        sig = inspect.signature(self.fn)
        try:
            bound = sig.bind(*args, **kwargs)
        except TypeError as exc:
            accepted = ", ".join(sig.parameters) or "no arguments"
            builder.problems.append(f"{where}: {self.fn.__name__}() cannot be called like this: {exc} "
                                    f"(it accepts: {accepted})")
            return {}
        result: dict[str, Any] = {}
        for name, value in bound.arguments.items():
            kind = sig.parameters[name].kind
            if kind is inspect.Parameter.VAR_KEYWORD:
                result.update(value)
            elif kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.POSITIONAL_ONLY):
                builder.problems.append(f"{where}: parameter {name!r} is positional-only or *args; "
                                        f"task arguments are passed by name")
            else:
                result[name] = value
        return result


def task(fn: Callable[..., Any] | None = None, *, retries: int = 0, retry_delay: float = 1.0,
         timeout: float | None = None, trigger_rule: str = "all_success", pool: str | None = None,
         resources: dict[str, float] | None = None, executor: str | None = None,
         task_id: str | None = None) -> Any:
    """Mark a module-level function as a task; usable as ``@task`` or ``@task(retries=2)``."""
    options = dict(retries=retries, retry_delay=retry_delay, timeout=timeout, trigger_rule=trigger_rule,
                   pool=pool, resources=resources, executor=executor, task_id=task_id)
    if fn is not None:
        return TaskFunction(fn, options)
    return lambda f: TaskFunction(f, options)


def _param_type(annotation: Any) -> tuple[str | None, list[Any] | None, bool]:
    """(JSON type, enum, optional) for an annotation; type None when unsupported."""
    origin = typing.get_origin(annotation)
    if origin in (Union, types.UnionType):
        rest = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(rest) == 1:
            type_name, enum, _ = _param_type(rest[0])
            return type_name, enum, True
        return None, None, False
    if origin is Literal:
        values = list(typing.get_args(annotation))
        kinds = {_PY_PARAM_TYPES.get(type(v)) for v in values}
        return (kinds.pop() if len(kinds) == 1 else None), values, False
    return _PY_PARAM_TYPES.get(origin or annotation), None, False


def _dag_params(fn: Callable[..., Any], where: str, problems: list[str]) -> dict[str, ParamSpec]:
    try:
        hints = typing.get_type_hints(fn)
    except Exception as exc:
        problems.append(f"{where}: cannot read the type hints of the DAG params: {exc}")
        hints = {}
    params: dict[str, ParamSpec] = {}
    for p in inspect.signature(fn).parameters.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD, p.POSITIONAL_ONLY):
            problems.append(f"{where}: DAG param {p.name!r}: *args, **kwargs and positional-only "
                            f"params are not supported")
            continue
        has_default = p.default is not p.empty
        default = p.default if has_default else None
        if p.name in hints:
            type_name, enum, optional = _param_type(hints[p.name])
        elif has_default and default is not None:
            type_name, enum, optional = _PY_PARAM_TYPES.get(type(default)), None, False
        else:
            type_name, enum, optional = None, None, False
        if type_name is None:
            got = hints.get(p.name, "no annotation")
            problems.append(f"{where}: DAG param {p.name!r} needs a type: str, int, float, bool, list, "
                            f"dict or Literal[...] (optionally | None), got {got}")
            continue
        spec = ParamSpec(name=p.name, type=type_name, default=default, required=not has_default,
                         enum=enum)
        if default is None and has_default and not optional:
            problems.append(f"{where}: DAG param {p.name!r} defaults to None; annotate it as "
                            f"{type_name} | None or give a {type_name} default")
        problems.extend(f"{where}: {msg}" for msg in schema_problems(spec))
        params[p.name] = spec
    return params


class DagFunction:
    """A @dag: calling it (or ``.build()``) runs the body once and returns a validated DAG."""

    def __init__(self, fn: Callable[..., Any], options: dict[str, Any]) -> None:
        functools.update_wrapper(self, fn)
        self.fn = fn
        self.options = options
        self.dag_id: str = options["dag_id"] or fn.__name__

    def __repr__(self) -> str:
        return f"<dag {self.dag_id!r}>"

    def __call__(self) -> DAG:
        return self.build()

    def build(self) -> DAG:
        """Record the tasks, check everything, raise DagValidationError with all problems."""
        code = self.fn.__code__
        file = str(Path(code.co_filename))
        where = f"{file}:{code.co_firstlineno}: DAG {self.dag_id!r}"
        problems: list[str] = []
        opts = self.options
        params = _dag_params(self.fn, where, problems)
        problems += [f"{where}: {p}" for p in dag_settings_problems(opts["schedule"], opts["timezone"],
                                                                   opts["max_active_runs"])]
        events: list[EventTrigger] = []
        for event in opts["events"]:
            try:
                events.append(parse_event(event))
            except DagError as exc:
                problems.append(f"{where}: {exc.message}")
        builder = _Builder(self.dag_id, params)
        token = _BUILDER.set(builder)
        try:
            self.fn(**{name: ParamRef(name) for name in params})
        except DagError as exc:
            problems.append(f"{error_location(exc, file)}: {exc.message}")
        except Exception as exc:
            problems.append(f"{error_location(exc, file)}: building DAG {self.dag_id!r} failed: "
                            f"{type(exc).__name__}: {exc}")
        finally:
            _BUILDER.reset(token)
        problems += builder.problems
        dag = DAG(dag_id=self.dag_id, tasks=builder.tasks, params=params, schedule=opts["schedule"],
                  timezone=opts["timezone"], catchup=opts["catchup"],
                  max_active_runs=opts["max_active_runs"], tags=list(opts["tags"]),
                  description=opts["description"] or inspect.getdoc(self.fn) or "", events=events,
                  source=Source(file, code.co_firstlineno))
        if not builder.tasks and not problems:
            problems.append(f"{where}: the DAG has no tasks; call @task functions in its body")
        problems += [f"{where}: {p}" for p in structural_problems(dag)]
        if problems:
            raise DagValidationError(file, problems, "fix the lines above; see the @task and @dag docs")
        return dag


def dag(fn: Callable[..., Any] | None = None, *, dag_id: str | None = None, schedule: str | None = None,
        timezone: str = "UTC", catchup: bool = False, max_active_runs: int = 16,
        tags: Iterable[str] = (), description: str | None = None, events: Iterable[Any] = ()) -> Any:
    """Mark a function as a DAG: its parameters are the DAG's typed params."""
    options = dict(dag_id=dag_id, schedule=schedule, timezone=timezone, catchup=catchup,
                   max_active_runs=max_active_runs, tags=tuple(tags), description=description,
                   events=tuple(events))
    if fn is not None:
        return DagFunction(fn, options)
    return lambda f: DagFunction(f, options)
