"""YAML DAGs: the format maps onto TaskSpecs; every problem is listed with file:line:col."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from edgeweave.workflow.dag import TaskSpec, TriggerRule
from edgeweave.workflow.yaml_dag import DagValidationError, load_yaml_dag, parse_yaml_dag

FIXTURES = Path(__file__).parent / "dags_fixtures"
OPERATORS = {"python", "optimize_model", "infer"}


def problems_of(text: str, tmp_path: Path, known_operators=OPERATORS, name: str = "flow.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    with pytest.raises(DagValidationError) as info:
        load_yaml_dag(path, known_operators)
    prefix = f"{path}:"
    assert all(p.startswith(prefix) for p in info.value.problems), info.value.problems
    return [p[len(prefix):] for p in info.value.problems], str(info.value)


def test_the_documented_format_loads():
    dag = load_yaml_dag(FIXTURES / "mixed" / "wfx_ocr.yaml", OPERATORS)
    lib = (FIXTURES / "lib" / "wfx_tasklib.py").resolve()
    assert (dag.dag_id, dag.schedule, dag.timezone, dag.max_active_runs, dag.tags) == (
        "ocr_service", "*/5 * * * *", "Europe/Berlin", 1, ["ocr"])
    assert dag.description == "Optimize and run OCR on a folder."
    assert [(e.kind, e.target) for e in dag.events] == [("webhook", "/hooks/ocr"),
                                                        ("mqtt", "edgeweave/ocr/#")]
    assert {n: (p.type, p.default) for n, p in dag.params.items()} == {
        "folder": ("string", "images"), "threshold": ("number", 0.5), "count": ("integer", 2)}
    assert (dag.params["threshold"].minimum, dag.params["threshold"].maximum) == (0, 1)
    optimize, scale, report = dag.tasks.values()
    assert optimize.operator == "optimize_model" and optimize.callable_ref is None
    assert optimize.kwargs == {"model": "zoo:ppocr-det", "folder": {"$param": "folder"}}
    assert (optimize.pool, optimize.resources) == ("gpu", {"cpu": 1.0, "gpu": 0.0, "memory_mb": 512.0})
    assert scale.callable_ref == f"{lib}:double"
    assert (scale.retries, scale.retry_delay_s, scale.timeout_s, scale.executor_hint) == (2, 5.0, 60.0,
                                                                                          "process")
    assert report.kwargs == {"values": [{"$task": "scale"}, 1, {"nested": {"$task": "optimize"}}]}
    assert report.upstream == ["optimize", "scale"]
    assert report.trigger_rule is TriggerRule.ALL_DONE
    assert report.source.line == 28
    assert dag.topological_order() == ["optimize", "scale", "report"]
    for spec in dag.tasks.values():
        assert TaskSpec.from_dict(json.loads(json.dumps(spec.to_dict()))) == spec


def test_dag_id_defaults_to_the_file_stem(tmp_path):
    path = tmp_path / "nightly-report.yml"
    path.write_text("tasks:\n  - id: a\n    uses: python\n")
    assert load_yaml_dag(path).dag_id == "nightly-report"


def test_invalid_yaml_gives_line_and_column():
    with pytest.raises(DagValidationError) as info:
        load_yaml_dag(FIXTURES / "mixed" / "wfx_bad_yaml.yaml")
    assert info.value.problems == [
        f"{FIXTURES / 'mixed' / 'wfx_bad_yaml.yaml'}:5:22: invalid YAML: while parsing a flow "
        f"sequence expected ',' or ']', but got '}}'"]
    assert str(info.value).startswith("1 error in ")


def test_all_problems_of_a_file_are_reported_together(tmp_path):
    problems, message = problems_of("""\
        dag_id: broken
        shedule: "* * * * *"
        max_active_runs: many
        timezone: Mars/Base
        params:
          folder: {type: strng, default: images}
          count: {type: integer, default: "5", colour: red}
        tasks:
          - id: fetch
            uses: optimise_model
            retries: -1
          - id: fetch
            python: pkg.mod:f
          - id: store
            uses: python
            python: os.path:join
            needs: [fetch, fecth]
            params: {x: "{{ params.nope }}", y: "a {{ params.folder }}"}
            trigger_rule: sometimes
            timeout: 0
            resources: {gpu: lots}
            executor: gpu
          - id: empty
            retry_delay: 1
        """, tmp_path)
    assert message.startswith(f"{len(problems)} errors in {tmp_path / 'flow.yaml'}:")
    expected = [
        "2:1: DAG file: unknown key 'shedule' (did you mean 'schedule'?); valid keys: dag_id,",
        "3:18: max_active_runs: expected an integer, got 'many' (str)",
        "4:11: unknown timezone 'Mars/Base'",
        "6:18: param 'folder': unknown type 'strng'; valid types: string, integer, number,",
        "7:35: param 'count': default expected integer, got '5' (str)",
        "7:40: param 'count': unknown key 'colour'; valid keys: type, default,",
        "10:11: task 'fetch': unknown operator 'optimise_model' (did you mean 'optimize_model'?); "
        "known operators: infer, optimize_model, python",
        "11:14: task 'fetch': retries must be >= 0, got -1",
        "12:5: duplicate task id 'fetch' (first defined at line 9)",
        "14:5: task 'store': needs exactly one of 'uses' (a built-in operator) or 'python'",
        "17:20: task 'store' needs unknown task 'fecth'; known tasks: fetch, store, empty",
        "18:17: task 'store' uses unknown param 'nope'; declared params: none",
        "18:41: template 'a {{ params.folder }}' is not supported",
        "19:19: task 'store': unknown trigger_rule 'sometimes'; valid: all_success, all_done,",
        "20:14: task 'store': timeout: must be > 0, got 0",
        "21:22: task 'store': resources.gpu: expected a number, got 'lots' (str)",
        "22:15: task 'store': unknown executor 'gpu'; valid: thread, process",
        "23:5: task 'empty': needs exactly one of 'uses'",
    ]
    assert len(problems) == len(expected), "\n".join(problems)
    for got, want in zip(problems, expected):
        assert got.startswith(want), f"{got!r} does not start with {want!r}"


def test_a_cycle_is_named(tmp_path):
    problems, _ = problems_of("""\
        tasks:
          - {id: a, uses: python, needs: [c]}
          - {id: b, uses: python, needs: [a]}
          - {id: c, uses: python, needs: [b]}
          - {id: d, uses: python, needs: [d]}
        """, tmp_path)
    assert problems == ["2:1: cycle: a -> b -> c -> a", "5:35: task 'd' depends on itself"]


def test_task_refs_add_dependencies_and_unknown_refs_are_caught(tmp_path):
    problems, _ = problems_of("""\
        tasks:
          - {id: a, uses: python}
          - {id: b, uses: python, params: {x: "{{ tasks.a }}", y: "{{tasks.zz}}"}}
        """, tmp_path)
    assert problems == ["3:59: task 'b' needs unknown task 'zz'; known tasks: a, b"]


def test_python_refs_are_checked_without_running_them(tmp_path):
    (tmp_path / "steps.py").write_text("def work():\n    return 1\n\nraise SystemExit('never run')\n")
    problems, _ = problems_of("""\
        tasks:
          - {id: ok, python: ./steps.py:work}
          - {id: missing_fn, python: ./steps.py:wrok}
          - {id: missing_file, python: ./nope.py:work}
          - {id: missing_module, python: edgeweave_nope.mod:work}
          - {id: bad_ref, python: just_a_name}
        """, tmp_path)
    assert [p.split(": ", 1)[0] for p in problems] == ["3:30", "4:32", "5:34", "6:27"]
    assert f"{tmp_path / 'steps.py'} has no function 'wrok' (defined there: work)" in problems[0]
    assert f"file {tmp_path / 'nope.py'} not found" in problems[1]
    assert "module 'edgeweave_nope.mod'" in problems[2] or "edgeweave_nope" in problems[2]
    assert "invalid code reference 'just_a_name'" in problems[3]


def test_unknown_operators_are_only_checked_with_a_registry(tmp_path):
    text = "tasks:\n  - {id: a, uses: teleport}\n"
    assert parse_yaml_dag(text, "x.yaml").tasks["a"].operator == "teleport"
    with pytest.raises(DagValidationError, match="unknown operator 'teleport'"):
        parse_yaml_dag(text, "x.yaml", known_operators=OPERATORS)


@pytest.mark.parametrize(("text", "expected"), [
    ("", "the file is empty"),
    ("- just\n- a list\n", "1:1: DAG file: expected a mapping, got a list"),
    ("dag_id: x\n", "1:1: missing required key 'tasks'"),
    ("tasks: {a: 1}\n", "1:8: tasks: expected a list, got a mapping"),
    ("tasks:\n  - {uses: python}\n", "2:5: task: missing required key 'id'"),
    ("events: [{webhook: hooks}]\ntasks: [{id: a, uses: python}]\n",
     "1:10: webhook path 'hooks' must start with '/'"),
    ("schedule: every minute\ntasks: [{id: a, uses: python}]\n",
     "1:11: schedule 'every minute' has 2 fields, expected 5"),
    ("params: {p: {type: number, default: 2, maximum: 1}}\ntasks: [{id: a, uses: python}]\n",
     "1:37: param 'p': default expected number <= 1, got 2 (int)"),
])
def test_single_problems(text, expected, tmp_path):
    problems, _ = problems_of(text, tmp_path)
    assert any(expected in p for p in problems), problems


def test_param_shorthand_and_required_params(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("params:\n  folder: images\n  n: 3\n  target: {type: str}\n"
                    "tasks: [{id: a, uses: python, params: {f: '{{ params.folder }}'}}]\n")
    dag = load_yaml_dag(path)
    assert {n: (p.type, p.default, p.required) for n, p in dag.params.items()} == {
        "folder": ("string", "images", False), "n": ("integer", 3, False), "target": ("string", None, True)}


def test_schedule_aliases_the_ticker_fires_are_accepted_and_never_firing_dates_refused():
    ok = parse_yaml_dag("schedule: '@daily'\ntasks: [{id: a, python: 'os:getcwd'}]\n")
    assert ok.schedule == "@daily"
    with pytest.raises(DagValidationError, match="failed to find next date"):
        parse_yaml_dag("schedule: '0 0 30 2 *'\ntasks: [{id: a, python: 'os:getcwd'}]\n")
