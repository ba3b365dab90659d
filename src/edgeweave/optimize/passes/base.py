"""The pass contract: a named, pure function ``(model, ctx) -> PassResult``.

A pass never mutates its input model (it works on a copy) and records what it did, so the
report can explain every variant: nodes before/after plus pass-specific details (what was
folded, fused, kept in float, ...). Passes register by name and are looked up by name.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import onnx

from edgeweave.errors import ParameterError

Shape = tuple[int, ...]


@dataclass
class PassContext:
    """What passes may need beyond the model.

    ``shapes``: concrete input shapes (static-shape and calibration passes use them).
    ``calibration``: samples per input name, axis 0 = sample, each sample at ``shapes``.
    ``options``: per-pass settings keyed by pass name, e.g. {"quantize_static": {...}}.
    ``work_dir``: scratch space for passes that go through files (ORT's quantizer does).
    """

    shapes: dict[str, Shape] = field(default_factory=dict)
    calibration: dict[str, np.ndarray] | None = None
    options: dict[str, dict[str, Any]] = field(default_factory=dict)
    work_dir: Path | None = None

    def opts(self, pass_name: str) -> dict[str, Any]:
        return self.options.get(pass_name, {})


@dataclass
class PassResult:
    """The new model plus a record of what the pass changed."""

    name: str
    model: onnx.ModelProto
    nodes_before: int
    nodes_after: int
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return self.nodes_before != self.nodes_after or bool(self.details.get("changed"))

    def summary(self) -> dict[str, Any]:
        """JSON-ready record for the report (the model itself is left out)."""
        return {"name": self.name, "nodes_before": self.nodes_before,
                "nodes_after": self.nodes_after, **self.details}


PassFn = Callable[[onnx.ModelProto, PassContext], PassResult]
_PASSES: dict[str, PassFn] = {}
BUILTIN_MODULES = ("graph", "opset", "precision", "quantize")


def _load_builtins() -> None:
    """Import the built-in pass modules so their ``@register_pass`` decorators run."""
    import importlib

    for name in BUILTIN_MODULES:
        importlib.import_module(f"edgeweave.optimize.passes.{name}")


def register_pass(name: str) -> Callable[[PassFn], PassFn]:
    """Decorator: register a pass under ``name``."""

    def wrap(fn: PassFn) -> PassFn:
        _PASSES[name] = fn
        return fn

    return wrap


def pass_names() -> list[str]:
    _load_builtins()
    return sorted(_PASSES)


def get_pass(name: str) -> PassFn:
    if name not in _PASSES:
        _load_builtins()
    if name not in _PASSES:
        raise ParameterError(f"unknown pass {name!r}; known passes: {', '.join(pass_names())}")
    return _PASSES[name]


def copy_model(model: onnx.ModelProto) -> onnx.ModelProto:
    """Deep copy, so a pass can edit freely without touching its input."""
    clone = onnx.ModelProto()
    clone.CopyFrom(model)
    return clone


def op_counts(model: onnx.ModelProto) -> dict[str, int]:
    return dict(Counter(n.op_type for n in model.graph.node))


def op_diff(before: onnx.ModelProto, after: onnx.ModelProto) -> dict[str, int]:
    """Per op type, how many nodes were added (+) or removed (-)."""
    a, b = Counter(op_counts(before)), Counter(op_counts(after))
    return {op: b[op] - a[op] for op in sorted(set(a) | set(b)) if b[op] != a[op]}


def result(name: str, before: onnx.ModelProto, after: onnx.ModelProto, **details: Any) -> PassResult:
    """Build a PassResult with node counts and the op-type diff filled in."""
    return PassResult(name=name, model=after, nodes_before=len(before.graph.node),
                      nodes_after=len(after.graph.node),
                      details={"op_diff": op_diff(before, after), **details})


def run_passes(model: onnx.ModelProto, names: list[str], ctx: PassContext
               ) -> tuple[onnx.ModelProto, list[PassResult]]:
    """Apply passes in order; returns the final model and each pass's record."""
    records: list[PassResult] = []
    for name in names:
        res = get_pass(name)(model, ctx)
        records.append(res)
        model = res.model
    return model, records
