"""Typed DAG params: strict validation naming every bad param, JSON schema, CLI parsing."""

from __future__ import annotations

import pytest

from edgeweave.errors import ParameterError
from edgeweave.workflow.dag import DAG, ParamSpec
from edgeweave.workflow.params import (
    params_json_schema,
    params_model,
    parse_cli_params,
    schema_problems,
    validate_params,
)


def make_dag() -> DAG:
    params = [
        ParamSpec("folder", "string", default="images", description="input folder"),
        ParamSpec("threshold", "number", default=0.5, minimum=0, maximum=1),
        ParamSpec("count", "integer", required=True),
        ParamSpec("verbose", "boolean", default=False),
        ParamSpec("mode", "string", default="fast", enum=["fast", "full"]),
        ParamSpec("labels", "array", default=["car"]),
        ParamSpec("schema", "object", default={}),  # shadows a BaseModel attribute: no warning
        ParamSpec("note", "string"),  # optional, defaults to None
    ]
    return DAG("p", tasks={}, params={p.name: p for p in params})


def test_defaults_fill_in_and_good_values_pass():
    assert validate_params(make_dag(), {"count": 3}) == {
        "folder": "images", "threshold": 0.5, "count": 3, "verbose": False, "mode": "fast",
        "labels": ["car"], "schema": {}, "note": None}
    given = {"count": 1, "threshold": 1, "verbose": True, "mode": "full", "labels": [], "note": "n"}
    assert validate_params(make_dag(), given)["threshold"] == 1  # an int is a fine number


def test_defaults_are_copies():
    dag = make_dag()
    validate_params(dag, {"count": 1})["labels"].append("bus")
    assert dag.params["labels"].default == ["car"]


@pytest.mark.parametrize(("name", "value", "expected"), [
    ("threshold", "high", "param 'threshold': expected number between 0 and 1, got 'high' (str)"),
    ("threshold", 1.5, "param 'threshold': expected number between 0 and 1, got 1.5 (float)"),
    ("threshold", True, "param 'threshold': expected number between 0 and 1, got True (bool)"),
    ("count", "5", "param 'count': expected integer, got '5' (str)"),
    ("count", 5.0, "param 'count': expected integer, got 5.0 (float)"),
    ("verbose", "true", "param 'verbose': expected boolean, got 'true' (str)"),
    ("verbose", 1, "param 'verbose': expected boolean, got 1 (int)"),
    ("mode", "slow", "param 'mode': expected one of 'fast', 'full', got 'slow' (str)"),
    ("labels", "car", "param 'labels': expected array, got 'car' (str)"),
])
def test_a_bad_value_names_param_type_and_value(name, value, expected):
    given = {"count": 1, name: value}
    with pytest.raises(ParameterError) as info:
        validate_params(make_dag(), given)
    assert expected in info.value.message


def test_every_problem_is_reported_together():
    with pytest.raises(ParameterError) as info:
        validate_params(make_dag(), {"threshold": "high", "verbose": "yes", "colour": "red", "size": 2})
    lines = info.value.message.splitlines()
    assert lines[0] == "5 param problems for DAG 'p':"
    assert sorted(line.strip() for line in lines[1:]) == sorted([
        "unknown param 'colour'",
        "unknown param 'size'",
        "param 'threshold': expected number between 0 and 1, got 'high' (str)",
        "param 'verbose': expected boolean, got 'yes' (str)",
        "param 'count': required (integer), not given",
    ])
    assert "count (integer)" in info.value.hint


def test_model_is_strict():
    model = params_model(make_dag())
    assert model.model_validate({"count": 2}).model_dump(by_alias=True)["count"] == 2
    with pytest.raises(ValueError):
        model.model_validate({"count": "2"})


def test_json_schema_for_the_trigger_form():
    schema = params_json_schema(make_dag())
    props = schema["properties"]
    assert schema["title"] == "p" and schema["required"] == ["count"]
    assert props["threshold"] == {"default": 0.5, "maximum": 1, "minimum": 0, "title": "threshold",
                                  "type": "number"}
    assert props["folder"]["description"] == "input folder"
    assert props["mode"]["enum"] == ["fast", "full"]
    assert props["count"]["type"] == "integer" and props["verbose"]["type"] == "boolean"


@pytest.mark.parametrize(("spec", "expected"), [
    (ParamSpec("x", "strng"), "unknown type 'strng'; valid types: string, integer"),
    (ParamSpec("x", "integer", default="5"), "default expected integer, got '5' (str)"),
    (ParamSpec("x", "number", default=2, maximum=1), "default expected number <= 1, got 2 (int)"),
    (ParamSpec("x", "string", enum=[1, 2]), "enum must be a non-empty list of string values"),
    (ParamSpec("x", "string", minimum=1), "minimum/maximum only apply"),
    (ParamSpec("x", "string", default="a", required=True), "is required but has a default"),
    (ParamSpec("not ok", "string"), "must be an identifier"),
])
def test_bad_param_schemas(spec, expected):
    assert any(expected in p for p in schema_problems(spec)), schema_problems(spec)


def test_cli_params_parse_json_else_string():
    assert parse_cli_params(["n=5", "t=0.5", "on=true", "xs=[1, 2]", "name=cam 3", "eq=a=b", "e="]) == {
        "n": 5, "t": 0.5, "on": True, "xs": [1, 2], "name": "cam 3", "eq": "a=b", "e": ""}


def test_cli_params_keep_strings_for_string_params():
    assert parse_cli_params(["folder=123", "count=3"], make_dag()) == {"folder": "123", "count": 3}


def test_cli_params_without_equals_are_rejected_together():
    with pytest.raises(ParameterError, match="'folder', '=x'") as info:
        parse_cli_params(["folder", "=x", "a=1"])
    assert "name=value" in info.value.hint
