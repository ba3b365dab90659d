"""Graph-level passes: static shapes, the portable ``optimize_graph`` pipeline and ONNX
Runtime's own offline fusions.

Importing this module registers every graph pass (the folding, dead-code and fusion passes
live in the ``graph_*`` modules beside it and are re-exported here).
"""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import onnx

from edgeweave.errors import OptimizationError, ParameterError
from edgeweave.models.shapes import declared_dims, graph_inputs, resolve_input_shapes
from edgeweave.optimize.passes import graph_ir as ir
from edgeweave.optimize.passes.base import PassContext, PassResult, copy_model, register_pass
from edgeweave.optimize.passes.base import result as make_result
from edgeweave.optimize.passes.graph_arith import fuse_arith_model, fuse_elementwise
from edgeweave.optimize.passes.graph_dead import eliminate_dead, eliminate_model
from edgeweave.optimize.passes.graph_fold import fold_constants, fold_model
from edgeweave.optimize.passes.graph_fuse import (
    fuse_conv_bn,
    fuse_conv_model,
    fuse_gemm_model,
)

__all__ = ["eliminate_dead", "fold_constants", "fuse_conv_bn", "fuse_elementwise",
           "fuse_matmul_add", "optimize_graph", "ort_fusions", "static_shapes"]


@register_pass("static_shapes")
def static_shapes(model: onnx.ModelProto, ctx: PassContext) -> PassResult:
    """Fix dynamic input dims to ``ctx.shapes`` and re-infer every shape in the graph.

    Static shapes let constant folding collapse shape arithmetic and let runtimes pick
    kernels and memory plans ahead of time. A dynamic leading (batch) dim without a given
    shape becomes 1; other dynamic dims need ``ctx.shapes`` (ParameterError otherwise).
    """
    shapes = resolve_input_shapes(model, ctx.shapes)
    out = copy_model(model)
    fixed: dict[str, dict[str, Any]] = {}
    for value in graph_inputs(out):
        before = declared_dims(value)
        dims = value.type.tensor_type.shape.dim
        for dim, size in zip(dims, shapes[value.name], strict=True):
            dim.Clear()
            dim.dim_value = size
        if before != list(shapes[value.name]):
            fixed[value.name] = {"from": before, "to": list(shapes[value.name])}
    error = ir.refresh_shapes(out, strict=True)
    details: dict[str, Any] = {"fixed_inputs": fixed, "changed": bool(fixed)}
    if error:
        details["shape_inference_error"] = error
    return make_result("static_shapes", model, out, **details)


@register_pass("fuse_matmul_add")
def fuse_matmul_add(model: onnx.ModelProto, ctx: PassContext) -> PassResult:
    """MatMul + Add with constant 2-D weight and bias -> Gemm (one kernel with bias)."""
    out, details = fuse_gemm_model(model)
    return make_result("fuse_matmul_add", model, out, **details)


SubPass = Callable[[onnx.ModelProto, PassContext], tuple[onnx.ModelProto, dict[str, Any]]]
_PIPELINE: list[tuple[str, SubPass]] = [
    ("fold_constants", fold_model),
    ("eliminate_dead", lambda m, c: eliminate_model(m)),
    ("fuse_conv_bn", lambda m, c: fuse_conv_model(m)),
    ("fuse_elementwise", lambda m, c: fuse_arith_model(m)),
    ("fuse_matmul_add", lambda m, c: fuse_gemm_model(m)),
]
_LAST_ROUND_ONLY = ("not_folded", "not_fused", "kept")


@register_pass("optimize_graph")
def optimize_graph(model: onnx.ModelProto, ctx: PassContext) -> PassResult:
    """Portable graph optimization: static shapes (when ``ctx.shapes`` is given), then
    folding, redundant-op removal and conv/gemm fusions repeated until a round changes
    nothing. The result is standard ONNX that every backend runs.
    """
    max_rounds = int(ctx.opts("optimize_graph").get("max_rounds", 5))
    if max_rounds < 1:
        raise ParameterError(f"optimize_graph max_rounds must be >= 1, got {max_rounds}",
                             "set options={'optimize_graph': {'max_rounds': 5}}")
    current = model
    summary: dict[str, dict[str, Any]] = {}
    if ctx.shapes:
        shaped = static_shapes(model, ctx)
        current = shaped.model
        summary["static_shapes"] = {k: v for k, v in shaped.details.items() if k != "op_diff"}
    rounds, changed = 0, True
    while changed and rounds < max_rounds:
        rounds += 1
        changed = False
        for name, run in _PIPELINE:
            before = len(current.graph.node)
            current, details = run(current, ctx)
            changed |= bool(details.get("changed"))
            details["nodes_removed"] = before - len(current.graph.node)
            _accumulate(summary.setdefault(name, {}), details)
    ir.refresh_shapes(current)
    for entry in summary.values():
        entry.pop("changed", None)
    return make_result("optimize_graph", model, current, rounds=rounds, converged=not changed,
                       passes=summary, changed=len(current.graph.node) != len(model.graph.node)
                       or any(_any_count(v) for v in summary.values()))


def _accumulate(total: dict[str, Any], details: dict[str, Any]) -> None:
    """Sum counts over rounds; reasons for untouched nodes come from the last round."""
    for key, value in details.items():
        if key in _LAST_ROUND_ONLY:
            total[key] = value
        elif isinstance(value, bool):
            total[key] = total.get(key, False) or value
        elif isinstance(value, int):
            total[key] = total.get(key, 0) + value
        elif isinstance(value, dict):
            merged = Counter(total.get(key, {}))
            merged.update(value)
            total[key] = dict(sorted(merged.items()))


def _any_count(entry: dict[str, Any]) -> bool:
    return any(isinstance(v, int) and not isinstance(v, bool) and v for v in entry.values())


@register_pass("ort_fusions")
def ort_fusions(model: onnx.ModelProto, ctx: PassContext) -> PassResult:
    """ONNX Runtime's offline graph optimization at the EXTENDED level (CPU EP).

    ORT fuses Conv+activation, MatMul+Add, GELU, LayerNorm, ... into com.microsoft contrib
    ops: faster on ORT, but the result runs only on onnxruntime, so the details mark it
    ``backends: ["onnxruntime"]``.
    """

    if ctx.work_dir is not None:
        ctx.work_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=ctx.work_dir) as tmp:
        src, dst = Path(tmp) / "ort_in.onnx", Path(tmp) / "ort_fused.onnx"
        onnx.save(model, str(src))
        try:
            ir.ort_optimize_file(src, dst, "extended")
        except Exception as exc:  # ORT raises its own Fail/InvalidGraph/... types
            raise OptimizationError(
                f"ort_fusions: onnxruntime cannot load the model ({str(exc).strip()[:300]})",
                "run the model on onnxruntime first; fix its inputs/opset, or drop this pass",
            ) from exc
        out = onnx.load(str(dst))
    contrib = Counter(n.op_type for n in out.graph.node if n.domain == "com.microsoft")
    return make_result("ort_fusions", model, out, backends=["onnxruntime"], level="extended",
                       contrib_ops=dict(sorted(contrib.items())), changed=True)
