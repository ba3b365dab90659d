"""FLOPs of one inference, from tensor shapes at a concrete input shape.

Shapes come from ONNX shape inference on a copy with static inputs; where that leaves
a compute-heavy node's shapes unknown (data-dependent Reshape/Resize), one ONNX Runtime
inference with every intermediate exposed gives the real shapes. Conv, ConvTranspose,
MatMul and Gemm count 2 FLOPs per multiply-accumulate; other ops one per output element.
"""

from __future__ import annotations

import contextlib

import numpy as np
import onnx
from onnx import helper, shape_inference

from edgeweave.models.shapes import Shape, graph_inputs

HEAVY = {"Conv", "ConvTranspose", "MatMul", "Gemm", "ConvInteger", "MatMulInteger", "QLinearConv",
         "QLinearMatMul", "FusedConv", "FusedGemm", "FusedMatMul"}
FREE = {"Constant", "Shape", "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity",
        "Transpose", "Cast", "Gather", "Slice", "Concat", "Split", "ConstantOfShape", "Range",
        "QuantizeLinear", "DequantizeLinear", "Dropout", "Expand"}


def count_flops(model: onnx.ModelProto, shapes: dict[str, Shape]) -> int:
    """Total FLOPs of ``model`` at input ``shapes`` (see the module docstring)."""
    known = _inferred_shapes(model, shapes)
    needed = {name for node in model.graph.node if node.op_type in HEAVY
              for name in [*node.input[:2], *node.output[:1]] if name and name not in known}
    if needed:
        known.update(_runtime_shapes(model, shapes, needed))
    total = 0
    for node in model.graph.node:
        total += _node_flops(node, known)
    return int(total)


def _inferred_shapes(model: onnx.ModelProto, shapes: dict[str, Shape]) -> dict[str, Shape]:
    fixed = onnx.ModelProto()
    fixed.CopyFrom(model)
    for value in graph_inputs(fixed):
        if value.name in shapes:
            dims = value.type.tensor_type.shape.dim
            for d, size in zip(dims, shapes[value.name]):
                d.Clear()
                d.dim_value = size
    with contextlib.suppress(Exception):  # best effort; the runtime fallback fills gaps
        fixed = shape_inference.infer_shapes(fixed, data_prop=True)
    known: dict[str, Shape] = {}
    for v in [*fixed.graph.input, *fixed.graph.value_info, *fixed.graph.output]:
        dims = v.type.tensor_type.shape.dim
        if dims and all(d.HasField("dim_value") for d in dims):
            known[v.name] = tuple(int(d.dim_value) for d in dims)
    for init in fixed.graph.initializer:
        known[init.name] = tuple(int(d) for d in init.dims)
    return known


def _runtime_shapes(
    model: onnx.ModelProto, shapes: dict[str, Shape], names: set[str]
) -> dict[str, Shape]:
    import onnxruntime as ort

    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    existing = {o.name for o in probe.graph.output}
    for name in sorted(names - existing):
        probe.graph.output.append(helper.make_empty_tensor_value_info(name))
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    options.log_severity_level = 3
    try:
        session = ort.InferenceSession(probe.SerializeToString(), options,
                                       providers=["CPUExecutionProvider"])
        feeds = {}
        for value in session.get_inputs():
            dtype = _ORT_TYPES.get(value.type, np.float32)
            feeds[value.name] = np.zeros(shapes[value.name], dtype=dtype)
        outs = session.run(None, feeds)
    except Exception:
        return {}
    return {o.name: tuple(a.shape) for o, a in zip(session.get_outputs(), outs)
            if o.name in names and hasattr(a, "shape")}


_ORT_TYPES = {"tensor(float)": np.float32, "tensor(float16)": np.float16,
              "tensor(int64)": np.int64, "tensor(int32)": np.int32, "tensor(uint8)": np.uint8,
              "tensor(int8)": np.int8, "tensor(bool)": np.bool_, "tensor(double)": np.float64}


def _node_flops(node: onnx.NodeProto, known: dict[str, Shape]) -> int:
    out = known.get(node.output[0]) if node.output else None
    op = node.op_type
    if op in ("Conv", "ConvInteger", "FusedConv"):
        w = known.get(node.input[1])
        if out is None or w is None:
            return 0
        return 2 * int(np.prod(out)) * int(np.prod(w[1:]))
    if op == "QLinearConv":
        w = known.get(node.input[3])
        return 0 if out is None or w is None else 2 * int(np.prod(out)) * int(np.prod(w[1:]))
    if op == "ConvTranspose":
        x, w = known.get(node.input[0]), known.get(node.input[1])
        if x is None or w is None:
            return 0
        return 2 * int(np.prod(x)) * int(np.prod(w[1:]))
    if op in ("MatMul", "MatMulInteger", "FusedMatMul", "Gemm", "FusedGemm"):
        a = known.get(node.input[0])
        if out is None or a is None:
            return 0
        k = a[-1]
        if op in ("Gemm", "FusedGemm") and any(x.name == "transA" and x.i for x in node.attribute):
            k = a[0]
        return 2 * int(np.prod(out)) * int(k)
    if op == "QLinearMatMul":
        a = known.get(node.input[0])
        return 0 if out is None or a is None else 2 * int(np.prod(out)) * int(a[-1])
    if op in FREE or out is None:
        return 0
    return int(np.prod(out))
