"""@dag / @task authoring: data dependencies, refs as JSON, build-time errors, re-import."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from edgeweave.workflow.authoring import dag, task
from edgeweave.workflow.callables import DagError, DagValidationError, import_file, resolve_callable
from edgeweave.workflow.dag import TaskSpec, TriggerRule

FIXTURES = Path(__file__).parent / "dags_fixtures"
ETL_FILE = FIXTURES / "mixed" / "wfx_etl_dag.py"
BAD_FILE = FIXTURES / "mixed" / "wfx_bad_calls_dag.py"


@task
def double(x: int) -> int:
    return 2 * x


@task
def add(a: int, b: int = 0) -> int:
    return a + b


@dag
def chain(n: int = 1):
    """Double twice, then add."""
    first = double(n)
    add(double(first), b=first)


def line_of(path: Path, text: str) -> int:
    """1-based line of the first line containing ``text`` (fixtures stay editable)."""
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def build_etl():
    return import_file(ETL_FILE).etl()


def test_passing_a_result_makes_the_dependency_and_a_task_ref():
    built = build_etl()
    assert list(built.tasks) == ["extract", "transform", "transform__1", "load", "notify"]
    assert built.tasks["extract"].kwargs == {"folder": {"$param": "folder"}, "limit": {"$param": "limit"}}
    assert built.tasks["transform"].kwargs == {"rows": {"$task": "extract"}, "scale": {"$param": "scale"}}
    assert built.tasks["transform__1"].kwargs == {"rows": {"$task": "extract"}}
    load = built.tasks["load"]
    assert load.kwargs == {"rows": [{"$task": "transform"}, {"$task": "transform__1"}],
                           "extra": {"first": {"$task": "transform"}, "mode": {"$param": "mode"}}}
    assert load.upstream == ["transform", "transform__1"]
    assert built.tasks["notify"].upstream == ["load"]  # from `done >> notify()`, no data
    assert built.tasks["notify"].kwargs == {}
    assert built.topological_order()[0] == "extract"


def test_task_options_params_and_dag_settings():
    built = build_etl()
    transform = built.tasks["transform"]
    assert (transform.retries, transform.retry_delay_s, transform.timeout_s) == (2, 0.5, 30)
    assert (transform.pool, transform.resources) == ("cpu", {"cpu": 1})
    assert built.tasks["load"].trigger_rule is TriggerRule.ALL_DONE
    assert transform.source.file == str(ETL_FILE.resolve())
    assert transform.source.line == line_of(ETL_FILE, "a = transform(rows")
    assert {n: (p.type, p.default, p.required) for n, p in built.params.items()} == {
        "folder": ("string", "in", False), "scale": ("number", 2.0, False),
        "mode": ("string", "fast", False), "limit": ("integer", 3, False)}
    assert built.params["mode"].enum == ["fast", "full"]
    assert (built.schedule, built.timezone, built.max_active_runs) == ("0 3 * * *", "Europe/Berlin", 1)
    assert built.description == "Extract, transform twice, load."
    assert [(e.kind, e.target) for e in built.events] == [("webhook", "/hooks/etl")]


def test_specs_are_json_and_round_trip():
    for spec in build_etl().tasks.values():
        text = json.dumps(spec.to_dict())
        assert TaskSpec.from_dict(json.loads(text)) == spec


def test_callable_refs_name_module_or_file():
    built = build_etl()
    assert built.tasks["extract"].callable_ref == f"{ETL_FILE.resolve()}:extract"
    spec = chain().tasks["double"]
    assert spec.callable_ref == f"{__name__}:double"


def test_both_ref_forms_resolve_in_a_fresh_interpreter():
    """The point of refs: another process re-imports the task and runs it."""
    refs = [build_etl().tasks["extract"].callable_ref, chain().tasks["double"].callable_ref]
    code = ("import sys; from edgeweave.workflow.callables import resolve_callable as r; "
            "print(r(sys.argv[1])('in', limit=2), r(sys.argv[2])(21))")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent),
                                                        os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, "-c", code, *refs], capture_output=True, text=True,
                         env=env, timeout=60, check=True)
    assert out.stdout.split() == ["[0,", "1]", "42"]


def test_resolve_unwraps_the_task_and_outside_a_dag_a_task_is_a_function():
    assert resolve_callable(f"{__name__}:double") is double.fn
    assert double(4) == 8


def test_calling_twice_numbers_ids_and_chain_builds():
    built = chain()
    assert list(built.tasks) == ["double", "double__1", "add"]
    assert built.tasks["double__1"].kwargs == {"x": {"$task": "double"}}
    assert built.tasks["add"].upstream == ["double__1", "double"]
    assert built.description == "Double twice, then add."


def test_every_build_problem_is_reported_with_its_line():
    with pytest.raises(DagValidationError) as info:
        import_file(BAD_FILE).bad_calls()
    message = str(info.value)
    file = str(BAD_FILE.resolve())
    assert message.startswith(f"4 errors in {file}:")
    expected = [
        (line_of(BAD_FILE, "@dag"), "DAG param 'count' needs a type"),
        (line_of(BAD_FILE, "hieght=32"), "task 'resize'", "unexpected keyword argument 'hieght'",
         "it accepts: image, width"),
        (line_of(BAD_FILE, 'save(img, "extra")'), "task 'save'", "too many positional arguments"),
        (line_of(BAD_FILE, "task(nested)()"), "task 'nested'", "is a nested function"),
    ]
    for line, *parts in expected:
        problem = next(p for p in info.value.problems if p.startswith(f"{file}:{line}:"))
        assert all(part in problem for part in parts), problem


@task
def combine(items: list, label: str = "") -> int:
    return len(items)


def test_fan_in_and_shift_operators():
    @dag(dag_id="shifts")
    def shifts():
        a, b = double(1), double(2)
        c = combine([])
        [a, b] >> c
        d = add(1)
        d << a
        c >> [add(2), add(3)]

    built = shifts()
    assert built.tasks["combine"].upstream == ["double", "double__1"]
    assert built.tasks["add"].upstream == ["double"]
    assert built.tasks["add__1"].upstream == built.tasks["add__2"].upstream == ["combine"]


def test_cycles_lambdas_and_non_json_values_fail_at_build_time():
    @dag(dag_id="loop")
    def loop():
        a, b = double(1), double(2)
        a >> b >> a
        task(lambda x: x)(1)
        combine([object()])

    with pytest.raises(DagValidationError) as info:
        loop()
    text = str(info.value)
    assert "3 errors in" in text
    assert "cycle: double -> double__1 -> double" in text or "cycle: double__1 -> double -> double__1" in text
    assert "is a lambda" in text
    assert "argument 'items'" in text and "type object cannot be stored" in text


def test_params_have_no_value_while_building():
    @dag(dag_id="fmt")
    def fmt(name: str = "x"):
        combine([], label=f"{name}.txt")

    with pytest.raises(DagValidationError, match="param 'name' has no value while the DAG is built"):
        fmt()


@pytest.mark.parametrize(("options", "expected"), [
    ({"schedule": "every 5 minutes"}, "has 3 fields, expected 5"),
    ({"timezone": "Mars/Base"}, "unknown timezone 'Mars/Base'"),
    ({"max_active_runs": 0}, "max_active_runs must be an integer >= 1"),
    ({"events": [{"webhook": "hooks/x"}]}, "must start with '/'"),
])
def test_bad_dag_settings(options, expected):
    with pytest.raises(DagValidationError, match=expected):
        dag(dag_id="s", **options)(lambda: double(1))()


def test_unknown_trigger_rule_and_override():
    @dag(dag_id="rules")
    def rules():
        task(trigger_rule="sometimes")(add.fn)(1)
        double.override(task_id="twice", retries=3)(2)

    with pytest.raises(DagValidationError, match="unknown trigger_rule 'sometimes'"):
        rules()
    with pytest.raises(DagError, match="unknown task option"):
        double.override(color="red")


def test_results_have_no_value_while_building():
    @dag(dag_id="peek")
    def peek():
        rows = double(1)
        for row in rows:
            add(row)

    with pytest.raises(DagValidationError, match="result of task 'double' has no value"):
        peek()
