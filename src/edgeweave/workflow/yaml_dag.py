"""YAML authoring: one file, one DAG; every problem reported at once with file:line:col.

The document is composed into YAML nodes (not loaded into plain dicts) so each key and
value keeps its position; checks collect problems and one DagValidationError lists them.
``"{{ params.X }}"`` / ``"{{ tasks.Y }}"`` (whole string) become ``{"$param": X}`` /
``{"$task": Y}``; ``tasks.Y`` also makes Y an upstream task.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from edgeweave.workflow.authoring import EXECUTOR_HINTS, dag_settings_problems, parse_event
from edgeweave.workflow.callables import DagError, DagValidationError, is_path_ref, ref_problem
from edgeweave.workflow.dag import (
    DAG,
    PARAM_REF,
    TASK_REF,
    EventTrigger,
    ParamSpec,
    Source,
    TaskSpec,
    TriggerRule,
    find_cycle,
)
from edgeweave.workflow.params import TYPE_ALIASES, schema_problems

__all__ = ["DagValidationError", "load_yaml_dag", "parse_yaml_dag"]

DAG_KEYS = ("dag_id", "description", "schedule", "timezone", "catchup", "max_active_runs", "tags",
            "params", "events", "tasks")
TASK_KEYS = ("id", "uses", "python", "params", "needs", "retries", "retry_delay", "retry_backoff",
             "max_retry_delay", "timeout", "trigger_rule", "pool", "resources", "executor")
PARAM_KEYS = ("type", "default", "description", "enum", "minimum", "maximum", "required")
_TEMPLATE = re.compile(r"^\{\{\s*(params|tasks)\.([A-Za-z_][\w.-]*)\s*\}\}$")
_ID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
_TYPES: dict[str, tuple[tuple[type, ...], str]] = {
    "str": ((str,), "a string"), "int": ((int,), "an integer"), "number": ((int, float), "a number"),
    "bool": ((bool,), "true or false"), "list": ((list,), "a list"), "dict": ((dict,), "a mapping"),
}


class _Doc:
    """The composed document plus the problems found so far, each with its position."""

    def __init__(self, file: str, loader: yaml.SafeLoader) -> None:
        self.file = file
        self.loader = loader
        self.problems: list[tuple[int, int, str]] = []

    def add(self, node: yaml.Node | None, msg: str) -> None:
        mark = node.start_mark if node is not None else None
        self.problems.append((mark.line + 1 if mark else 0, mark.column + 1 if mark else 0, msg))

    def value(self, node: yaml.Node) -> Any:
        try:
            return self.loader.construct_object(node, deep=True)
        except yaml.YAMLError as exc:
            self.add(node, f"cannot read value: {getattr(exc, 'problem', exc)}")
            return None

    def typed(self, node: yaml.Node, kind: str, what: str, nullable: bool = False) -> Any:
        """The node's value when it is of ``kind`` (see _TYPES), else None plus a problem."""
        value = self.value(node)
        if value is None and nullable:
            return None
        types, label = _TYPES[kind]
        if not isinstance(value, types) or (isinstance(value, bool) and kind != "bool"):
            self.add(node, f"{what}: expected {label}, got {value!r} ({type(value).__name__})")
            return None
        return value

    def items(self, node: yaml.Node, valid: tuple[str, ...] | None, what: str
              ) -> Iterator[tuple[str, yaml.Node, yaml.Node]]:
        """(key, key node, value node) of a mapping; flags unknown and duplicate keys."""
        if not isinstance(node, yaml.MappingNode):
            self.add(node, f"{what}: expected a mapping, got {_kind(node)}")
            return
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = self.value(key_node)
            if not isinstance(key, str):
                self.add(key_node, f"{what}: keys must be strings, got {key!r}")
                continue
            if key in seen:
                self.add(key_node, f"{what}: duplicate key {key!r}")
                continue
            seen.add(key)
            if valid is not None and key not in valid:
                close = difflib.get_close_matches(key, valid, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                self.add(key_node, f"{what}: unknown key {key!r}{hint}; valid keys: {', '.join(valid)}")
                continue
            yield key, key_node, value_node

    def number(self, node: yaml.Node, what: str, low: float, strict: bool = False) -> float | None:
        value = self.typed(node, "number", what, nullable=True)
        if value is not None and (value <= low if strict else value < low):
            self.add(node, f"{what}: must be {'>' if strict else '>='} {low:g}, got {value!r}")
            return None
        return value


def _kind(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    return f"{node.value!r}"


class _Refs:
    """References found in one task's params: (name, node) for tasks and params."""

    def __init__(self, line: int) -> None:
        self.line = line
        self.tasks: list[tuple[str, yaml.Node]] = []
        self.params: list[tuple[str, yaml.Node]] = []


def _template(doc: _Doc, node: yaml.Node, refs: _Refs) -> Any:
    """Task param value as data, with whole-string templates turned into references."""
    if isinstance(node, yaml.MappingNode):
        return {k: _template(doc, v, refs) for k, _, v in doc.items(node, None, "params")}
    if isinstance(node, yaml.SequenceNode):
        return [_template(doc, item, refs) for item in node.value]
    value = doc.value(node)
    if not isinstance(value, str) or "{{" not in value:
        return value
    match = _TEMPLATE.match(value.strip())
    if not match:
        doc.add(node, f"template {value!r} is not supported: use the whole string "
                      f"\"{{{{ params.NAME }}}}\" or \"{{{{ tasks.TASK_ID }}}}\"")
        return value
    kind, name = match.groups()
    (refs.params if kind == "params" else refs.tasks).append((name, node))
    return {PARAM_REF if kind == "params" else TASK_REF: name}


def _param(doc: _Doc, name: str, key_node: yaml.Node, node: yaml.Node) -> ParamSpec | None:
    where = f"param {name!r}"
    if not isinstance(node, yaml.MappingNode):  # shorthand: `folder: images`
        default = doc.value(node)
        kinds = {str: "string", bool: "boolean", int: "integer", float: "number", list: "array",
                 dict: "object"}
        if type(default) not in kinds:
            doc.add(node, f"{where}: expected a mapping like {{type: string, default: ...}}")
            return None
        return ParamSpec(name=name, type=kinds[type(default)], default=default)
    fields: dict[str, Any] = {}
    nodes: dict[str, yaml.Node] = {}
    for key, _, value_node in doc.items(node, PARAM_KEYS, where):
        fields[key], nodes[key] = doc.value(value_node), value_node
    type_name = fields.get("type")
    if type_name is None:
        type_name = {bool: "boolean", int: "integer", float: "number", list: "array",
                     dict: "object"}.get(type(fields.get("default")), "string")
    type_name = TYPE_ALIASES.get(str(type_name), str(type_name))
    spec = ParamSpec(name=name, type=type_name, default=fields.get("default"),
                     required=bool(fields.get("required", "default" not in fields)),
                     description=str(fields.get("description") or ""), enum=fields.get("enum"),
                     minimum=fields.get("minimum"), maximum=fields.get("maximum"))
    for key in ("minimum", "maximum"):
        value = fields.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            doc.add(nodes[key], f"{where}: {key} must be a number, got {value!r}")
            setattr(spec, key, None)
    if spec.enum is not None and not isinstance(spec.enum, list):
        doc.add(nodes["enum"], f"{where}: enum must be a list, got {spec.enum!r}")
        spec.enum = None
    problems = schema_problems(spec)
    for msg in problems:  # point at the key the problem is about
        key = next((k for k in ("type", "default", "enum", "minimum", "maximum") if k in msg), "")
        doc.add(nodes.get(key, node), msg)
    return None if problems else spec


def _task(doc: _Doc, node: yaml.Node, base_dir: Path, known_operators: set[str] | None,
          needs: dict[str, list[tuple[str, yaml.Node]]], refs: dict[str, _Refs]) -> TaskSpec | None:
    fields = {key: (key_node, value_node) for key, key_node, value_node in doc.items(node, TASK_KEYS, "task")}
    if "id" not in fields:
        doc.add(node, "task: missing required key 'id'")
        return None
    task_id = doc.typed(fields["id"][1], "str", "task id")
    if task_id is None:
        return None
    if not _ID.match(task_id):
        doc.add(fields["id"][1], f"task id {task_id!r}: use letters, digits, '_', '-' and '.'")
    if task_id in refs:
        doc.add(node, f"duplicate task id {task_id!r} (first defined at line {refs[task_id].line})")
        return None
    where = f"task {task_id!r}"
    spec = TaskSpec(task_id=task_id, source=Source(doc.file, node.start_mark.line + 1))
    if ("uses" in fields) == ("python" in fields):
        doc.add(node, f"{where}: needs exactly one of 'uses' (a built-in operator) or "
                      f"'python' (module:function or ./file.py:function)")
    if "uses" in fields and (op := doc.typed(fields["uses"][1], "str", f"{where}: uses")) is not None:
        spec.operator = op
        if known_operators is not None and op not in known_operators:
            close = difflib.get_close_matches(op, sorted(known_operators), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            doc.add(fields["uses"][1], f"{where}: unknown operator {op!r}{hint}; known operators: "
                                       f"{', '.join(sorted(known_operators)) or 'none'}")
    if "python" in fields and (ref := doc.typed(fields["python"][1], "str", f"{where}: python")):
        target, _, func = ref.rpartition(":")
        if target and is_path_ref(target) and not Path(target).is_absolute():
            ref = f"{(base_dir / target).resolve()}:{func}"
        spec.callable_ref = ref
        if problem := ref_problem(ref):
            doc.add(fields["python"][1], f"{where}: {problem}")
    refs[task_id] = _Refs(node.start_mark.line + 1)
    if "params" in fields:
        data = _template(doc, fields["params"][1], refs[task_id])
        spec.kwargs = data if isinstance(data, dict) else {}
        if not isinstance(data, dict):
            doc.add(fields["params"][1], f"{where}: params must be a mapping of argument -> value")
    needs[task_id] = []
    if "needs" in fields:
        need_node = fields["needs"][1]
        items = need_node.value if isinstance(need_node, yaml.SequenceNode) else [need_node]
        for item in items:
            if (up := doc.typed(item, "str", f"{where}: needs")) is not None:
                needs[task_id].append((up, item))
    _task_options(doc, spec, fields, where)
    return spec


def _task_options(doc: _Doc, spec: TaskSpec, fields: dict[str, tuple[yaml.Node, yaml.Node]],
                  where: str) -> None:
    node = {key: value_node for key, (_, value_node) in fields.items()}
    if "retries" in node and (v := doc.typed(node["retries"], "int", f"{where}: retries")) is not None:
        spec.retries = v
        if v < 0:
            doc.add(node["retries"], f"{where}: retries must be >= 0, got {v}")
    for key, attr, low, strict in (("retry_delay", "retry_delay_s", 0, False),
                                   ("retry_backoff", "retry_backoff", 1, False),
                                   ("max_retry_delay", "max_retry_delay_s", 0, True),
                                   ("timeout", "timeout_s", 0, True)):
        if key in node and (v := doc.number(node[key], f"{where}: {key}", low, strict)) is not None:
            setattr(spec, attr, float(v))
    if "trigger_rule" in node and (v := doc.typed(node["trigger_rule"], "str", f"{where}: trigger_rule")):
        try:
            spec.trigger_rule = TriggerRule(v)
        except ValueError:
            doc.add(node["trigger_rule"], f"{where}: unknown trigger_rule {v!r}; valid: "
                                          f"{', '.join(r.value for r in TriggerRule)}")
    if "pool" in node:
        spec.pool = doc.typed(node["pool"], "str", f"{where}: pool", nullable=True)
    if "executor" in node and (v := doc.typed(node["executor"], "str", f"{where}: executor")):
        spec.executor_hint = v
        if v not in EXECUTOR_HINTS:
            doc.add(node["executor"], f"{where}: unknown executor {v!r}; valid: {', '.join(EXECUTOR_HINTS)}")
    if "resources" in node:
        for key, _, value_node in doc.items(node["resources"], None, f"{where}: resources"):
            if (v := doc.number(value_node, f"{where}: resources.{key}", 0)) is not None:
                spec.resources[key] = float(v)


def _graph_problems(doc: _Doc, tasks: dict[str, TaskSpec], needs: dict[str, list[tuple[str, yaml.Node]]],
                    refs: dict[str, _Refs], params: dict[str, ParamSpec]) -> None:
    """Unknown needs/refs, self-dependencies and cycles; fills each task's upstream."""
    known = ", ".join(tasks) or "none"
    for task_id, spec in tasks.items():
        for up, node in needs.get(task_id, []) + refs[task_id].tasks:
            if up == task_id:
                doc.add(node, f"task {task_id!r} depends on itself")
            elif up not in tasks:
                doc.add(node, f"task {task_id!r} needs unknown task {up!r}; known tasks: {known}")
            elif up not in spec.upstream:
                spec.upstream.append(up)
        for name, node in refs[task_id].params:
            if name not in params:
                doc.add(node, f"task {task_id!r} uses unknown param {name!r}; declared params: "
                              f"{', '.join(params) or 'none'}")
    cycle = find_cycle({tid: spec.upstream for tid, spec in tasks.items()})
    if cycle:
        line = min(refs[t].line for t in cycle[:-1])
        doc.problems.append((line, 1, f"cycle: {' -> '.join(cycle)}"))


def _header(doc: _Doc, fields: dict[str, yaml.Node], stem: str) -> dict[str, Any]:
    """The DAG-level settings (everything but params, events and tasks)."""
    out: dict[str, Any] = {"dag_id": stem, "description": "", "schedule": None, "timezone": "UTC",
                           "catchup": False, "max_active_runs": 16, "tags": []}
    kinds = {"dag_id": "str", "description": "str", "schedule": "str", "timezone": "str",
             "catchup": "bool", "max_active_runs": "int", "tags": "list"}
    for key, kind in kinds.items():
        if key in fields:
            value = doc.typed(fields[key], kind, key, nullable=key in ("schedule", "description"))
            out[key] = out[key] if value is None and key != "schedule" else value
    checks = {"schedule": (out["schedule"], "UTC", 1), "timezone": (None, out["timezone"], 1),
              "max_active_runs": (None, "UTC", out["max_active_runs"])}
    for key, args in checks.items():
        for msg in dag_settings_problems(*args):
            doc.add(fields.get(key), msg)
    if not _ID.match(str(out["dag_id"])):
        doc.add(fields.get("dag_id"), f"dag_id {out['dag_id']!r}: use letters, digits, '_', '-' and '.'")
    if any(not isinstance(t, str) for t in out["tags"]):
        doc.add(fields.get("tags"), f"tags must be strings, got {out['tags']!r}")
    return out


def _build(doc: _Doc, root: yaml.Node, base_dir: Path, stem: str,
           known_operators: set[str] | None) -> DAG:
    fields = {key: value_node for key, _, value_node in doc.items(root, DAG_KEYS, "DAG file")}
    header = _header(doc, fields, stem)
    params: dict[str, ParamSpec] = {}
    if "params" in fields:
        for name, key_node, node in doc.items(fields["params"], None, "params"):
            if (param := _param(doc, name, key_node, node)) is not None:
                params[name] = param
    events: list[EventTrigger] = []
    for node in _sequence(doc, fields.get("events"), "events"):
        try:
            events.append(parse_event(doc.value(node)))
        except DagError as exc:
            doc.add(node, exc.message)
    tasks: dict[str, TaskSpec] = {}
    needs: dict[str, list[tuple[str, yaml.Node]]] = {}
    refs: dict[str, _Refs] = {}
    if "tasks" not in fields:
        doc.add(root, "missing required key 'tasks' (a list of tasks)")
    for node in _sequence(doc, fields.get("tasks"), "tasks"):
        if (spec := _task(doc, node, base_dir, known_operators, needs, refs)) is not None:
            tasks[spec.task_id] = spec
    if "tasks" in fields and not tasks and not doc.problems:
        doc.add(fields["tasks"], "the DAG has no tasks")
    _graph_problems(doc, tasks, needs, refs, params)
    return DAG(tasks=tasks, params=params, events=events, source=Source(doc.file, 1), **header)


def _sequence(doc: _Doc, node: yaml.Node | None, what: str) -> list[yaml.Node]:
    if node is None or (isinstance(node, yaml.ScalarNode) and doc.value(node) is None):
        return []
    if not isinstance(node, yaml.SequenceNode):
        doc.add(node, f"{what}: expected a list, got {_kind(node)}")
        return []
    return list(node.value)


def parse_yaml_dag(text: str, file: str = "<string>", base_dir: Path | None = None,
                   known_operators: set[str] | None = None) -> DAG:
    """A validated DAG from YAML text; DagValidationError lists every problem with line:col."""
    doc = _Doc(file, yaml.SafeLoader(text))
    try:
        root = doc.loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{file}:{mark.line + 1}:{mark.column + 1}" if mark else file
        detail = " ".join(str(x) for x in (exc.context, exc.problem) if x)
        raise DagValidationError(file, [f"{where}: invalid YAML: {detail}"],
                                 "fix the YAML syntax (indentation, quotes, colons)") from None
    except yaml.YAMLError as exc:
        raise DagValidationError(file, [f"{file}: invalid YAML: {exc}"]) from None
    if root is None:
        raise DagValidationError(file, [f"{file}: the file is empty; expected dag_id, params, tasks"])
    stem = Path(file).stem if file != "<string>" else "dag"
    dag = _build(doc, root, base_dir or Path.cwd(), stem, known_operators)
    doc.loader.dispose()
    if doc.problems:
        lines = [f"{file}:{line}:{col}: {msg}" if line else f"{file}: {msg}"
                 for line, col, msg in sorted(doc.problems, key=lambda p: (p[0], p[1]))]
        raise DagValidationError(file, lines, "fix each line listed above (file:line:column)")
    return dag


def load_yaml_dag(path: str | Path, known_operators: set[str] | None = None) -> DAG:
    """Read and validate one YAML DAG file (dag_id defaults to the file stem)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DagValidationError(str(path), [f"{path}: cannot read: {exc}"]) from None
    return parse_yaml_dag(text, str(path), path.resolve().parent, known_operators)
