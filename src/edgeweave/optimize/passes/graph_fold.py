"""Constant folding: nodes whose inputs are all constants become initializers.

Each node is evaluated on its own with onnx's reference evaluator (``onnx.reference``), so
no new dependency is needed and every standard op is covered. ``Shape``/``Size`` of a tensor
whose shape is static are folded from shape inference: once input shapes are fixed, the
Shape -> Gather -> Concat -> Reshape chains exporters emit collapse to constants, which is
where most of the node-count reduction on real models comes from.
"""

from __future__ import annotations

import warnings
from collections import Counter
from typing import Any

import numpy as np
import onnx
from onnx import helper

from edgeweave.errors import ParameterError
from edgeweave.optimize.passes import graph_ir as ir
from edgeweave.optimize.passes.base import PassContext, PassResult, copy_model, register_pass
from edgeweave.optimize.passes.base import result as make_result

DEFAULT_MAX_ELEMENTS = 1 << 20
"""A folded output may hold up to this many elements, or as many as its inputs together."""

NEVER_FOLD = frozenset({
    # random: a folded value would freeze one draw
    "RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike", "Multinomial",
    "Bernoulli",
    # quantization: folding DequantizeLinear would undo INT8 weights (4x size, no INT8 kernels)
    "QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear",
    # an Identity of a constant is removed by eliminate_dead without copying the data
    "Identity", "Constant",
})
# ops whose output can be far larger than their inputs: size checked before evaluating
_GROWING = frozenset({"ConstantOfShape", "Expand", "Tile", "Range"})


def fold_model(model: onnx.ModelProto, ctx: PassContext) -> tuple[onnx.ModelProto, dict[str, Any]]:
    """Fold on a copy until nothing more folds; returns the model and the details."""
    opts = ctx.opts("fold_constants")
    limit = int(opts.get("max_elements", DEFAULT_MAX_ELEMENTS))
    if limit <= 0:
        raise ParameterError(f"fold_constants max_elements must be positive, got {limit}",
                             "set options={'fold_constants': {'max_elements': 1048576}}")
    out = copy_model(model)
    moved = ir.constants_to_initializers(out)
    by_op: Counter[str] = Counter()
    skips = ir.Skips()
    for _ in range(20):  # each sweep can make more shapes static; 20 is far more than seen
        folded = _sweep(out, ir.infer_types(out), limit, by_op, skips)
        if not folded:
            break
        skips = ir.Skips()  # keep only the reasons of the final sweep
    pruned = ir.prune_initializers(out.graph)
    ir.prune_value_info(out.graph)
    total = sum(by_op.values())
    details = {"constants_to_initializers": moved, "folded": total,
               "folded_by_op": dict(sorted(by_op.items())), "pruned_initializers": pruned,
               "not_folded": skips.as_dict(), "changed": bool(total or moved or pruned)}
    return out, details


@register_pass("fold_constants")
def fold_constants(model: onnx.ModelProto, ctx: PassContext) -> PassResult:
    """Replace constant subgraphs (and Constant nodes) by initializers."""
    out, details = fold_model(model, ctx)
    return make_result("fold_constants", model, out, **details)


def _sweep(model: onnx.ModelProto, types: dict[str, onnx.TypeProto], limit: int,
           by_op: Counter[str], skips: ir.Skips) -> int:
    """One pass over the nodes in order; returns how many were folded."""
    graph = model.graph
    consts = ir.Constants(graph)
    graph_outputs = {o.name for o in graph.output}
    version = ir.opset(model)
    keep: list[onnx.NodeProto] = []
    folded = 0
    for node in graph.node:
        values = _try_fold(node, consts, types, version, limit, graph_outputs, skips)
        if values is None:
            keep.append(node)
            continue
        for name, value in values.items():
            ir.add_initializer(graph, name, value)
            consts.put(name, value)
        by_op[node.op_type] += 1
        folded += 1
    if folded:
        ir.replace_nodes(graph, keep)
    return folded


def _try_fold(node: onnx.NodeProto, consts: ir.Constants, types: dict[str, onnx.TypeProto],
              version: int, limit: int, graph_outputs: set[str], skips: ir.Skips
              ) -> dict[str, np.ndarray] | None:
    """The node's output values if it can and should be folded, else None (reason noted)."""
    if node.domain not in ("", "ai.onnx") or node.op_type in NEVER_FOLD:
        return None
    if node.op_type in ("Shape", "Size"):
        return _fold_shape(node, types, version, graph_outputs)
    inputs = [n for n in node.input if n]
    if not all(n in consts for n in inputs) or any(True for _ in ir.subgraphs(node)):
        return None
    if graph_outputs.intersection(node.output):
        skips.add("output is a graph output", node)
        return None
    feeds = {n: consts.get(n) for n in inputs}
    in_size = sum(int(v.size) for v in feeds.values() if v is not None)
    cap = max(limit, in_size)
    if node.op_type in _GROWING and _predicted_size(node, feeds) > cap:
        skips.add(f"output would exceed {cap} elements", node)
        return None
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            from onnx.reference import ReferenceEvaluator

            outs = ReferenceEvaluator(node, opsets={"": version}).run(None, feeds)
    except Exception as exc:  # the reference evaluator raises anything; folding is optional
        skips.add(f"reference evaluator failed: {type(exc).__name__}", node)
        return None
    values: dict[str, np.ndarray] = {}
    for name, value in zip(node.output, outs, strict=False):
        if not name:
            continue
        if not isinstance(value, np.ndarray | np.generic):
            skips.add("output is not a tensor", node)
            return None
        array = np.asarray(value)
        if array.size > cap:
            skips.add(f"output would exceed {cap} elements", node)
            return None
        expected = ir.elem_type(types.get(name))
        if expected and expected != helper.np_dtype_to_tensor_dtype(array.dtype):
            skips.add("reference result has an unexpected dtype", node)
            return None
        values[name] = array
    return values


def _fold_shape(node: onnx.NodeProto, types: dict[str, onnx.TypeProto], version: int,
                graph_outputs: set[str]) -> dict[str, np.ndarray] | None:
    shape = ir.static_shape(types.get(node.input[0]))
    if shape is None or node.output[0] in graph_outputs:
        return None
    if node.op_type == "Size":
        return {node.output[0]: np.array(int(np.prod(shape)), dtype=np.int64)}
    attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
    start, end = attrs.get("start", 0), attrs.get("end")
    if version < 15:
        start, end = 0, None
    dims = list(shape)[slice(start, end)]
    return {node.output[0]: np.array(dims, dtype=np.int64)}


def _predicted_size(node: onnx.NodeProto, feeds: dict[str, np.ndarray | None]) -> int:
    """Element count of a growing op's output, computed without materialising it."""
    vals = [feeds.get(n) for n in node.input]
    try:
        if node.op_type == "ConstantOfShape":
            return int(np.prod(vals[0])) if vals[0] is not None else 0
        if node.op_type == "Expand" and vals[0] is not None and vals[1] is not None:
            return int(np.prod(np.broadcast_shapes(vals[0].shape, tuple(int(d) for d in vals[1]))))
        if node.op_type == "Tile" and vals[0] is not None and vals[1] is not None:
            return int(vals[0].size * np.prod(vals[1]))
        if node.op_type == "Range" and all(v is not None for v in vals[:3]):
            start, lim, delta = (float(np.asarray(v)) for v in vals[:3])
            return int(max(np.ceil((lim - start) / delta), 0)) if delta else 0
    except (ValueError, TypeError, OverflowError):
        return 1 << 62  # inputs that cannot even be sized are not worth folding
    return 0
