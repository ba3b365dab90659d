"""Input shapes: parsing user shape strings and fixing dynamic dims to static ones."""

from __future__ import annotations

import re

import onnx

from edgeweave.errors import ParameterError

Shape = tuple[int, ...]

_SHAPE_RE = re.compile(r"^\s*([^=\s]+)\s*=\s*(\d+(?:\s*[x,]\s*\d+)*)\s*$")


def parse_shape(text: str) -> tuple[str, Shape]:
    """Parse ``NAME=1x3x224x224`` (``,`` also separates dims) into ``(name, shape)``."""
    match = _SHAPE_RE.match(text)
    if not match:
        raise ParameterError(
            f"bad --shape value {text!r}: expected NAME=D1xD2x..., e.g. x=1x3x224x224",
            "give one --shape per dynamic input, dims as positive integers joined by 'x'",
        )
    dims = tuple(int(d) for d in re.split(r"\s*[x,]\s*", match.group(2)))
    if any(d <= 0 for d in dims):
        raise ParameterError(f"bad --shape value {text!r}: dims must be positive integers")
    return match.group(1), dims


def parse_shapes(texts: list[str] | None) -> dict[str, Shape]:
    """Parse several ``--shape`` values into a dict keyed by input name."""
    return dict(parse_shape(t) for t in texts or [])


def graph_inputs(model: onnx.ModelProto) -> list[onnx.ValueInfoProto]:
    """Real inputs: graph inputs that are not initializers (old exporters list both)."""
    inits = {i.name for i in model.graph.initializer}
    return [i for i in model.graph.input if i.name not in inits]


def declared_dims(value: onnx.ValueInfoProto) -> list[int | str]:
    """Dims of a value: ints where static, the symbolic name (or '?') where dynamic."""
    dims: list[int | str] = []
    for d in value.type.tensor_type.shape.dim:
        if d.HasField("dim_value") and d.dim_value > 0:
            dims.append(int(d.dim_value))
        else:
            dims.append(d.dim_param or "?")
    return dims


def resolve_input_shapes(
    model: onnx.ModelProto, shapes: dict[str, Shape] | None = None, default_dim: int = 1
) -> dict[str, Shape]:
    """A concrete shape per input: the user's shape where given, else the declared one.

    A dynamic dim left without a user shape is an error unless it is the leading (batch)
    dim, which becomes ``default_dim``; guessing spatial dims would measure the wrong thing.
    """
    shapes = dict(shapes or {})
    names = [i.name for i in graph_inputs(model)]
    unknown = sorted(set(shapes) - set(names))
    if unknown:
        raise ParameterError(
            f"--shape names unknown input(s) {unknown}; the model's inputs are {names}",
            "use the input names shown by `edgeweave inspect MODEL`",
        )
    resolved: dict[str, Shape] = {}
    for value in graph_inputs(model):
        dims = declared_dims(value)
        if value.name in shapes:
            given = shapes[value.name]
            if len(given) != len(dims):
                raise ParameterError(
                    f"--shape for input {value.name!r} has rank {len(given)} but the model "
                    f"declares rank {len(dims)} ({_fmt(dims)})",
                    f"give {len(dims)} dims, e.g. {value.name}={_example(dims)}",
                )
            clash = [(i, d, g) for i, (d, g) in enumerate(zip(dims, given)) if isinstance(d, int)
                     and d != g]
            if clash:
                i, d, g = clash[0]
                raise ParameterError(
                    f"--shape for input {value.name!r} sets dim {i} to {g} but the model "
                    f"fixes it to {d}",
                    f"keep static dims as declared: {_fmt(dims)}",
                )
            resolved[value.name] = tuple(given)
            continue
        open_dims = [i for i, d in enumerate(dims) if not isinstance(d, int)]
        if any(i != 0 for i in open_dims):
            raise ParameterError(
                f"input {value.name!r} has dynamic dims ({_fmt(dims)}) and no --shape was given",
                f"pass --shape {value.name}={_example(dims)} with the size you will run at",
            )
        resolved[value.name] = tuple(default_dim if not isinstance(d, int) else d for d in dims)
    return resolved


def _fmt(dims: list[int | str]) -> str:
    return "x".join(str(d) for d in dims)


def _example(dims: list[int | str]) -> str:
    return "x".join(str(d) if isinstance(d, int) else ("1" if i == 0 else "224")
                    for i, d in enumerate(dims))
