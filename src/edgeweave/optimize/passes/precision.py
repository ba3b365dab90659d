"""FP16 conversion: float32 weights and activations become float16, with a block list of
ops that break or lose accuracy in half precision kept in float32.

The conversion itself is onnxruntime's maintained converter
(``onnxruntime.transformers.float16.convert_float_to_float16``, a fork of
onnxconverter-common's); this pass chooses the block list, keeps float32 graph inputs and
outputs by default (callers keep feeding float32), re-sorts the nodes (the converter
appends its Cast nodes at the end, which the ONNX checker rejects) and reports what it did.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

import numpy as np
import onnx
from onnx import numpy_helper

from edgeweave.errors import ParameterError
from edgeweave.optimize.passes import graph_ir as ir
from edgeweave.optimize.passes.base import PassContext, PassResult, copy_model, register_pass
from edgeweave.optimize.passes.base import result as make_result

FP16_MAX = 65504.0

EXTRA_FP32_OPS = frozenset({
    # index / coordinate math: fp16 has 11 bits of mantissa, so coordinates past 2048 and
    # the thresholds of detection post-processing go wrong
    "NonMaxSuppression", "TopK", "RoiAlign", "Range", "CumSum", "Upsample",
    "ArgMax", "ArgMin", "EyeLike", "RandomUniformLike", "RandomNormalLike",
    "GridSample", "Einsum",
})
ACCURATE_FP32_OPS = frozenset({
    # reductions and normalizations whose intermediate sums overflow or round off in fp16
    "Softmax", "LogSoftmax", "ReduceMean", "ReduceSum", "ReduceSumSquare", "ReduceL2",
    "ReduceLogSumExp", "Pow", "Sqrt", "Exp", "Log", "LayerNormalization",
    "InstanceNormalization", "GroupNormalization",
})


def fp32_ops(opts: dict[str, Any]) -> set[str]:
    """Op types the pass keeps in float32 under ``opts``."""
    from onnxruntime.transformers.float16 import DEFAULT_OP_BLOCK_LIST

    ops = set(DEFAULT_OP_BLOCK_LIST) | EXTRA_FP32_OPS
    if opts.get("accurate", False):
        ops |= ACCURATE_FP32_OPS
    extra = opts.get("keep_fp32_ops", [])
    if not isinstance(extra, list | tuple | set) or not all(isinstance(o, str) for o in extra):
        raise ParameterError(f"to_fp16 keep_fp32_ops must be a list of op types, got {extra!r}",
                             "e.g. options={'to_fp16': {'keep_fp32_ops': ['Softmax']}}")
    return ops | set(extra)


def _keep_io(model: onnx.ModelProto, value: Any) -> bool | list[str]:
    if isinstance(value, bool):
        return value
    names = {v.name for v in (*model.graph.input, *model.graph.output)}
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        unknown = sorted(set(value) - names)
        if unknown:
            raise ParameterError(f"to_fp16 keep_io_types names unknown inputs/outputs {unknown}",
                                 f"use names among {sorted(names)}")
        return list(value)
    raise ParameterError(f"to_fp16 keep_io_types must be true/false or a list of names, "
                         f"got {value!r}", "e.g. options={'to_fp16': {'keep_io_types': True}}")


def _node_names(model: onnx.ModelProto, value: Any) -> list[str]:
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise ParameterError(f"to_fp16 keep_fp32_nodes must be a list of node names, "
                             f"got {value!r}", "name nodes as `edgeweave inspect MODEL` shows")
    known = {n.name for n in model.graph.node}
    unknown = sorted(set(value) - known)
    if unknown:
        raise ParameterError(f"to_fp16 keep_fp32_nodes names unknown nodes {unknown[:5]}",
                             "name nodes as `edgeweave inspect MODEL` shows")
    return list(value)


def _overflow_nodes(model: onnx.ModelProto) -> list[str]:
    """Names of nodes reading a float32 constant beyond float16's range (+-65504).

    Such values would be clipped (e.g. BatchNormalization variances of 1e7 that become
    65504 and wreck the output), so their readers stay float32. Unnamed readers get a name,
    since the converter blocks nodes by name.
    """
    graph = model.graph
    big = {t.name for t in graph.initializer if t.data_type == onnx.TensorProto.FLOAT
           and _max_abs(t) > FP16_MAX}
    names: list[str] = []
    taken = {n.name for n in graph.node}
    for node in graph.node:
        if big.intersection(node.input):
            if not node.name:
                node.name = ir.fresh_name(f"{node.op_type}_fp32", taken)
            names.append(node.name)
    return names


def _max_abs(tensor: onnx.TensorProto) -> float:
    values = numpy_helper.to_array(tensor)
    finite = values[np.isfinite(values)]
    return float(np.abs(finite).max()) if finite.size else 0.0


def initializer_bytes(model: onnx.ModelProto) -> int:
    """Bytes held by initializers (what the weights cost on disk and in memory)."""
    total = 0
    for init in model.graph.initializer:
        if init.HasField("raw_data"):
            total += len(init.raw_data)
        else:
            size = onnx.helper.tensor_dtype_to_np_dtype(init.data_type).itemsize
            count = 1
            for d in init.dims:
                count *= d
            total += size * count
    return total


@register_pass("to_fp16")
def to_fp16(model: onnx.ModelProto, ctx: PassContext) -> PassResult:
    """Convert float32 to float16, keeping float32 I/O and a block list of ops in float32.

    Options (``ctx.opts("to_fp16")``): ``keep_io_types`` (default True: inputs and outputs
    stay float32), ``keep_fp32_ops`` (more op types to keep), ``keep_fp32_nodes`` (node
    names), ``accurate`` (also keep Softmax/reductions/Pow/Exp/normalizations in float32).
    """
    from onnxruntime.transformers.float16 import convert_float_to_float16

    opts = ctx.opts("to_fp16")
    keep_io = _keep_io(model, opts.get("keep_io_types", True))
    nodes = _node_names(model, opts.get("keep_fp32_nodes", []))
    block = fp32_ops(opts)
    work = copy_model(model)
    ir.constants_to_initializers(work)  # Constant tensors would be converted blindly
    del work.graph.value_info[:]  # the converter re-infers types; stale ones would mislead it
    overflow = _overflow_nodes(work)
    nodes = sorted(set(nodes) | set(overflow))
    bytes_before = initializer_bytes(work)
    casts_before = sum(n.op_type == "Cast" for n in work.graph.node)
    converter_log = logging.getLogger("onnxruntime.transformers.float16")
    level = converter_log.level
    converter_log.setLevel(logging.WARNING)
    try:
        out = convert_float_to_float16(work, keep_io_types=keep_io, op_block_list=sorted(block),
                                       node_block_list=nodes)
    finally:
        converter_log.setLevel(level)
    ir.topo_sort(out.graph)
    kept = Counter(n.op_type for n in work.graph.node if n.op_type in block or n.name in nodes)
    casts = sum(n.op_type == "Cast" for n in out.graph.node) - casts_before
    return make_result(
        "to_fp16", model, out, precision="fp16", keep_io_types=keep_io,
        kept_fp32=dict(sorted(kept.items())), kept_fp32_overflow=overflow, casts_inserted=casts,
        fp16_initializers=sum(i.data_type == onnx.TensorProto.FLOAT16
                              for i in out.graph.initializer),
        initializer_bytes_before=bytes_before,
        initializer_bytes_after=initializer_bytes(out), changed=True)
