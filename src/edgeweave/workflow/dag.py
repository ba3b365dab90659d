"""DAG and TaskSpec: the validated, serializable description of a workflow.

Authoring (Python decorators, YAML) produces these; the scheduler, the store and every
executor consume them. A TaskSpec is plain data (JSON-serializable): a task names its
code by reference (``module:function`` or ``path/to/file.py:function``) or by built-in
operator, never by a live Python object, so it runs the same in a thread, a process or
on a Ray node. Arguments may hold references, resolved at run time:

    {"$task": "detect"}     the return value of upstream task ``detect``
    {"$param": "folder"}    the run's value of DAG param ``folder``
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field, fields
from enum import Enum
from typing import Any

TASK_REF = "$task"
PARAM_REF = "$param"


class TriggerRule(str, Enum):
    """When a task may run, given its upstream tasks' final states."""

    ALL_SUCCESS = "all_success"
    ALL_DONE = "all_done"
    ONE_FAILED = "one_failed"
    NONE_FAILED = "none_failed"


@dataclass(frozen=True)
class Source:
    """Where something was declared, for error messages: file and 1-based line."""

    file: str
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


@dataclass
class TaskSpec:
    task_id: str
    callable_ref: str | None = None
    """``module:function`` or ``path/to/file.py:function``; None when ``operator`` is set."""
    operator: str | None = None
    """Name of a built-in operator (YAML ``uses:``)."""
    kwargs: dict[str, Any] = field(default_factory=dict)
    upstream: list[str] = field(default_factory=list)
    retries: int = 0
    retry_delay_s: float = 1.0
    retry_backoff: float = 2.0
    """Delay before try n+1 is retry_delay_s * retry_backoff**(n-1), capped below."""
    max_retry_delay_s: float = 300.0
    timeout_s: float | None = None
    trigger_rule: TriggerRule = TriggerRule.ALL_SUCCESS
    pool: str | None = None
    resources: dict[str, float] = field(default_factory=dict)
    executor_hint: str | None = None
    """'thread' | 'process' | None (executor default)."""
    source: Source | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain data; shallow (kwargs are shared, not deep-copied: 10k-task fan-ins made
        ``dataclasses.asdict``'s deep copy the cost of creating a run)."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["trigger_rule"] = self.trigger_rule.value
        data["source"] = asdict(self.source) if self.source else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TaskSpec:
        data = dict(data)
        data["trigger_rule"] = TriggerRule(data.get("trigger_rule", "all_success"))
        if data.get("source"):
            data["source"] = Source(**data["source"])
        return cls(**data)

    def retry_delay(self, try_number: int) -> float:
        """Seconds to wait after failed try ``try_number`` (1-based)."""
        delay = self.retry_delay_s * self.retry_backoff ** max(0, try_number - 1)
        return min(delay, self.max_retry_delay_s)


@dataclass
class ParamSpec:
    """A typed DAG param: JSON-schema type name, default (None = required), description."""

    name: str
    type: str = "string"
    """string | integer | number | boolean | array | object"""
    default: Any = None
    required: bool = False
    description: str = ""
    enum: list[Any] | None = None
    minimum: float | None = None
    maximum: float | None = None


@dataclass
class EventTrigger:
    """Starts a run on an event: kind 'webhook' (path), 'mqtt' (topic), 'file' (glob)."""

    kind: str
    target: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class DAG:
    dag_id: str
    tasks: dict[str, TaskSpec]
    params: dict[str, ParamSpec] = field(default_factory=dict)
    schedule: str | None = None
    """cron expression (5 fields) or None for manual/event-only DAGs"""
    timezone: str = "UTC"
    catchup: bool = False
    max_active_runs: int = 16
    description: str = ""
    tags: list[str] = field(default_factory=list)
    events: list[EventTrigger] = field(default_factory=list)
    source: Source | None = None

    def downstream(self) -> dict[str, list[str]]:
        """task id -> ids of the tasks that depend on it."""
        down: dict[str, list[str]] = defaultdict(list)
        for task in self.tasks.values():
            for up in task.upstream:
                down[up].append(task.task_id)
        return dict(down)

    def topological_order(self) -> list[str]:
        """Task ids, upstream before downstream (stable: declaration order breaks ties)."""
        indegree = {tid: len(t.upstream) for tid, t in self.tasks.items()}
        down = self.downstream()
        ready = [tid for tid, d in indegree.items() if d == 0]
        order: list[str] = []
        while ready:
            tid = ready.pop(0)
            order.append(tid)
            for nxt in down.get(tid, []):
                indegree[nxt] -= 1
                if indegree[nxt] == 0:
                    ready.append(nxt)
        return order


def find_cycle(upstream: dict[str, list[str]]) -> list[str] | None:
    """One cycle as a path ``[a, b, ..., a]`` (downstream order) if any, else None.

    Iterative depth-first search: a recursive one overflows Python's stack on chains of a
    few thousand tasks.
    """
    WHITE, GREY, BLACK = 0, 1, 2
    color = dict.fromkeys(upstream, WHITE)
    for root in upstream:
        if color[root] != WHITE:
            continue
        path: list[str] = [root]
        todo: list[list[str]] = [[u for u in upstream.get(root, []) if u in color]]
        color[root] = GREY
        while path:
            if not todo[-1]:
                color[path.pop()] = BLACK
                todo.pop()
                continue
            nxt = todo[-1].pop()
            if color[nxt] == GREY:
                cycle = [*path[path.index(nxt):], nxt]
                return list(reversed(cycle))
            if color[nxt] == WHITE:
                color[nxt] = GREY
                path.append(nxt)
                todo.append([u for u in upstream.get(nxt, []) if u in color])
    return None


def structural_problems(dag: DAG) -> list[str]:
    """Every structural problem (unknown deps, self-deps, cycles), not just the first."""
    problems: list[str] = []
    for task in dag.tasks.values():
        where = f" ({task.source})" if task.source else ""
        for up in task.upstream:
            if up == task.task_id:
                problems.append(f"task {task.task_id!r} depends on itself{where}")
            elif up not in dag.tasks:
                problems.append(f"task {task.task_id!r} depends on unknown task {up!r}{where}; "
                                f"known tasks: {', '.join(sorted(dag.tasks))}")
        if (task.callable_ref is None) == (task.operator is None):
            problems.append(f"task {task.task_id!r} must have exactly one of a python callable "
                            f"or an operator (uses:){where}")
        if task.retries < 0:
            problems.append(f"task {task.task_id!r}: retries must be >= 0, got {task.retries}")
        if task.timeout_s is not None and task.timeout_s <= 0:
            problems.append(f"task {task.task_id!r}: timeout must be > 0 s, got {task.timeout_s}")
    cycle = find_cycle({tid: [u for u in t.upstream if u != tid] for tid, t in dag.tasks.items()})
    if cycle:
        problems.append(f"cycle: {' -> '.join(cycle)}")
    return problems
