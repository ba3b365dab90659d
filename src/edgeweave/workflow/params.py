"""Typed DAG params: schema checks at load, strict validation at trigger, JSON schema.

Validation is strict on purpose: a trigger that sends ``"5"`` for an integer param is
rejected with a message naming the param, the expected type and what came, instead of
being silently coerced into a run that fails later on a worker.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    ValidationError,
    create_model,
)

from edgeweave.errors import ParameterError
from edgeweave.workflow.dag import DAG, ParamSpec

PARAM_TYPES: dict[str, Any] = {
    "string": StrictStr,
    "integer": StrictInt,
    "number": StrictFloat,
    "boolean": StrictBool,
    "array": list[Any],
    "object": dict[str, Any],
}
TYPE_ALIASES = {"str": "string", "int": "integer", "float": "number", "bool": "boolean",
                "list": "array", "dict": "object"}
_PY_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,), "integer": (int,), "number": (int, float), "boolean": (bool,),
    "array": (list,), "object": (dict,),
}


def value_matches(type_name: str, value: Any) -> bool:
    """Whether ``value`` is a valid JSON value of ``type_name`` (bool is not a number)."""
    if isinstance(value, bool) and type_name != "boolean":
        return False
    return isinstance(value, _PY_TYPES.get(type_name, ()))


def describe(spec: ParamSpec) -> str:
    """Human-readable expected type: 'number between 0 and 1', 'one of 'a', 'b''."""
    if spec.enum is not None:
        return "one of " + ", ".join(repr(v) for v in spec.enum)
    text = spec.type
    if spec.minimum is not None and spec.maximum is not None:
        text += f" between {spec.minimum:g} and {spec.maximum:g}"
    elif spec.minimum is not None:
        text += f" >= {spec.minimum:g}"
    elif spec.maximum is not None:
        text += f" <= {spec.maximum:g}"
    return text


def value_problem(spec: ParamSpec, value: Any) -> str | None:
    """Why ``value`` does not fit ``spec`` (None when it fits)."""
    if value is None and not spec.required and spec.default is None:
        return None
    fits = value_matches(spec.type, value)
    if fits and spec.enum is not None:
        fits = value in spec.enum
    if fits and isinstance(value, (int, float)) and not isinstance(value, bool):
        fits = ((spec.minimum is None or value >= spec.minimum)
                and (spec.maximum is None or value <= spec.maximum))
    if fits:
        return None
    return f"expected {describe(spec)}, got {value!r} ({type(value).__name__})"


def schema_problems(spec: ParamSpec) -> list[str]:
    """Problems in a param's declaration itself (unknown type, default of the wrong type)."""
    problems: list[str] = []
    if not spec.name.isidentifier():
        problems.append(f"param name {spec.name!r} must be an identifier (letters, digits, _)")
    if spec.type not in PARAM_TYPES:
        problems.append(f"param {spec.name!r}: unknown type {spec.type!r}; "
                        f"valid types: {', '.join(PARAM_TYPES)}")
        return problems
    if spec.enum is not None:
        bad = [v for v in spec.enum if not value_matches(spec.type, v)]
        if not spec.enum or bad:
            problems.append(f"param {spec.name!r}: enum must be a non-empty list of {spec.type} "
                            f"values, got {spec.enum!r}")
    if (spec.minimum is not None or spec.maximum is not None) and spec.type not in ("integer", "number"):
        problems.append(f"param {spec.name!r}: minimum/maximum only apply to integer and number params")
    if spec.required and spec.default is not None:
        problems.append(f"param {spec.name!r} is required but has a default ({spec.default!r}); "
                        f"drop one of them")
    if spec.default is not None and not problems and (why := value_problem(spec, spec.default)):
        problems.append(f"param {spec.name!r}: default {why}")
    return problems


def _field(spec: ParamSpec, index: int) -> tuple[str, tuple[Any, Any]]:
    base: Any = Literal[tuple(spec.enum)] if spec.enum else PARAM_TYPES[spec.type]
    info = Field(alias=spec.name, title=spec.name, description=spec.description or None,
                 ge=spec.minimum, le=spec.maximum)
    optional = not spec.required and spec.default is None
    annotated: Any = Annotated[base | None if optional else base, info]
    default = ... if spec.required else spec.default
    return f"p{index}", (annotated, default)


def params_model(dag: DAG) -> type[BaseModel]:
    """A pydantic model of the DAG's params (strict types; fields aliased by param name)."""
    fields = dict(_field(spec, i) for i, spec in enumerate(dag.params.values()))
    config = ConfigDict(extra="forbid", populate_by_name=False)
    model: type[BaseModel] = create_model(  # type: ignore[call-overload]
        f"{dag.dag_id}_params", __config__=config, **fields)
    return model


def params_json_schema(dag: DAG) -> dict[str, Any]:
    """JSON schema of the DAG's params (property names are the param names)."""
    schema = params_model(dag).model_json_schema(by_alias=True)
    schema["title"] = dag.dag_id
    return schema


def validate_params(dag: DAG, given: dict[str, Any] | None) -> dict[str, Any]:
    """The run's params: ``given`` checked strictly, defaults filled in.

    Raises ParameterError naming every bad, missing and unknown param at once.
    """
    given = dict(given or {})
    problems = [f"unknown param {k!r}" for k in given if k not in dag.params]
    result: dict[str, Any] = {}
    for name, spec in dag.params.items():
        if name not in given:
            if spec.required:
                problems.append(f"param {name!r}: required ({describe(spec)}), not given")
            else:
                result[name] = copy.deepcopy(spec.default)
            continue
        why = value_problem(spec, given[name])
        if why:
            problems.append(f"param {name!r}: {why}")
        else:
            result[name] = given[name]
    if not problems:
        try:  # the model is the reference; value_problem mirrors it with better messages
            params_model(dag).model_validate(result)
        except ValidationError as exc:
            problems += [f"param {e['loc'][0]!r}: {e['msg']}" for e in exc.errors()]
    if problems:
        known = ", ".join(f"{n} ({describe(s)})" for n, s in dag.params.items()) or "none"
        noun = "problem" if len(problems) == 1 else "problems"
        raise ParameterError(f"{len(problems)} param {noun} for DAG {dag.dag_id!r}:\n"
                             + "\n".join(f"  {p}" for p in problems),
                             f"params of {dag.dag_id!r}: {known}")
    return result


def parse_cli_params(items: Iterable[str], dag: DAG | None = None) -> dict[str, Any]:
    """``["k=v", ...]`` -> dict; values are JSON when they parse, else plain strings.

    With ``dag``, values of string params stay strings (``name=123`` is ``"123"``).
    """
    result: dict[str, Any] = {}
    bad: list[str] = []
    for item in items:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key:
            bad.append(item)
            continue
        spec = dag.params.get(key) if dag else None
        if spec is not None and spec.type == "string":
            result[key] = raw
            continue
        try:
            result[key] = json.loads(raw)
        except ValueError:
            result[key] = raw
    if bad:
        raise ParameterError(f"bad --param value(s): {', '.join(repr(b) for b in bad)}",
                             "write each param as name=value, e.g. --param threshold=0.5")
    return result
