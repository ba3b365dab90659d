"""Fusions that stay standard ONNX: BatchNormalization / per-channel Mul, Add, Sub, Div into
the preceding Conv, and MatMul + Add into Gemm.

Folding a per-channel affine op into the conv weights removes a whole pass over the
activation tensor at no accuracy cost, on every backend. Each candidate that is left alone
is recorded with the reason (shared conv output, non-constant weights, wrong broadcast...).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import onnx
from onnx import helper

from edgeweave.optimize.passes import graph_ir as ir
from edgeweave.optimize.passes.base import PassContext, PassResult, copy_model, register_pass
from edgeweave.optimize.passes.base import result as make_result

_CONVS = ("Conv", "ConvTranspose")
_AFFINE = ("BatchNormalization", "Mul", "Add", "Sub", "Div")
_FLOATS = {onnx.TensorProto.FLOAT, onnx.TensorProto.FLOAT16, onnx.TensorProto.DOUBLE}


def _attr(node: onnx.NodeProto, name: str, default: Any) -> Any:
    found = next((a for a in node.attribute if a.name == name), None)
    return default if found is None else helper.get_attribute_value(found)


class _ConvFuser(ir.GraphIndex):
    """Folds one affine follower into its conv; ``why`` holds the reason when it cannot."""

    def __init__(self, graph: onnx.GraphProto) -> None:
        super().__init__(graph)
        self.why = ""

    def match(self, node: onnx.NodeProto) -> tuple[onnx.NodeProto, np.ndarray | None] | None:
        """The conv feeding ``node`` and the follower's constant, or None with ``why`` set."""
        self.why = ""
        slots = [0] if node.op_type in ("BatchNormalization", "Sub", "Div") else [0, 1]
        conv_slot = next((i for i in slots if i < len(node.input) and
                          getattr(self.prods.get(node.input[i]), "op_type", "") in _CONVS), None)
        if conv_slot is None or node.domain:
            return None  # not a candidate at all: nothing to explain
        conv = self.prods[node.input[conv_slot]]
        other = None
        if node.op_type != "BatchNormalization":
            other = self.consts.get(node.input[1 - conv_slot])
            if other is None:
                return None  # conv times a tensor: not an affine follower
        if len(self.users[conv.output[0]]) != 1 or conv.output[0] in self.keep_names:
            self.why = "conv output has other consumers"
        elif conv.domain or conv.input[1] not in self.consts or \
                (len(conv.input) > 2 and conv.input[2] and conv.input[2] not in self.consts):
            self.why = "conv weights or bias are not constant"
        elif node.op_type != "BatchNormalization" or self._bn_ok(node):
            return conv, other
        return None

    def _bn_ok(self, bn: onnx.NodeProto) -> bool:
        if any(name not in self.consts for name in bn.input[1:5]):
            self.why = "BatchNormalization parameters are not constant"
        elif any(o for o in bn.output[1:]) or _attr(bn, "training_mode", 0):
            self.why = "BatchNormalization runs in training mode"
        elif _attr(bn, "spatial", 1) == 0:
            self.why = "BatchNormalization with spatial=0 is not per-channel"
        return not self.why

    def fuse(self, conv: onnx.NodeProto, node: onnx.NodeProto, other: np.ndarray | None) -> bool:
        weight = self.consts.get(conv.input[1])
        assert weight is not None  # checked in match()
        group = int(_attr(conv, "group", 1))
        cout = weight.shape[0] if conv.op_type == "Conv" else weight.shape[1] * group
        bias_name = conv.input[2] if len(conv.input) > 2 and conv.input[2] else None
        bias = self.consts.get(bias_name) if bias_name else np.zeros(cout, weight.dtype)
        assert bias is not None
        if node.op_type == "BatchNormalization":
            scale, b, mean, var = (self.consts.get(n).astype(np.float64)  # type: ignore[union-attr]
                                   for n in node.input[1:5])
            mul = scale / np.sqrt(var + float(_attr(node, "epsilon", 1e-5)))
            add = b - mean * mul
        else:
            vec = self._per_channel(other, weight, cout)  # type: ignore[arg-type]
            if vec is None:
                return False
            mul, add = _affine(node.op_type, vec)
            if mul is None:
                self.why = "Div by a constant that holds zeros"
                return False
        new_w = _scale_out_channels(conv, weight.astype(np.float64), mul, group)
        new_b = bias.astype(np.float64) * mul + add
        self._rewrite(conv, node, new_w.astype(weight.dtype), new_b.astype(weight.dtype))
        return True

    def _per_channel(self, value: np.ndarray, weight: np.ndarray, cout: int) -> np.ndarray | None:
        rank = weight.ndim
        if value.ndim > rank or value.dtype != weight.dtype:
            self.why = "constant does not match the conv output's rank or type"
            return None
        shape = (1,) * (rank - value.ndim) + value.shape
        if shape[0] != 1 or any(d != 1 for d in shape[2:]) or shape[1] not in (1, cout):
            self.why = f"constant of shape {list(value.shape)} is not per-channel"
            return None
        return np.broadcast_to(value.reshape(-1).astype(np.float64), (cout,))

    def _rewrite(self, conv: onnx.NodeProto, node: onnx.NodeProto, weight: np.ndarray,
                 bias: np.ndarray) -> None:
        base = conv.name or conv.output[0]
        w_name = ir.fresh_name(f"{base}_w_fused", self.names)
        b_name = ir.fresh_name(f"{base}_b_fused", self.names)
        ir.add_initializer(self.graph, w_name, weight)
        ir.add_initializer(self.graph, b_name, bias)
        self.consts.put(w_name, weight)
        self.consts.put(b_name, bias)
        del conv.input[1:]
        conv.input.extend([w_name, b_name])
        conv.output[0] = node.output[0]


def _affine(op: str, vec: np.ndarray) -> tuple[np.ndarray | None, np.ndarray]:
    """(multiplier, addend) so that op(conv, c) == conv * multiplier + addend."""
    ones, zeros = np.ones_like(vec), np.zeros_like(vec)
    if op == "Mul":
        return vec, zeros
    if op == "Add":
        return ones, vec
    if op == "Sub":
        return ones, -vec
    if np.any(vec == 0):
        return None, zeros
    return 1.0 / vec, zeros


def _scale_out_channels(conv: onnx.NodeProto, weight: np.ndarray, mul: np.ndarray,
                        group: int) -> np.ndarray:
    """Multiply each output channel's filter by ``mul`` (Conv: axis 0; ConvTranspose: axis 1
    within each group)."""
    tail = (1,) * (weight.ndim - 2)
    if conv.op_type == "Conv":
        return weight * mul.reshape(-1, 1, *tail)
    cin, per_group = weight.shape[0], weight.shape[1]
    grouped = weight.reshape(group, cin // group, per_group, *weight.shape[2:])
    return (grouped * mul.reshape(group, 1, per_group, *tail)).reshape(weight.shape)


def fuse_conv_model(model: onnx.ModelProto) -> tuple[onnx.ModelProto, dict[str, Any]]:
    """Fold affine followers into convs on a copy until none is left."""
    out = copy_model(model)
    counts: Counter[str] = Counter()
    moved = ir.constants_to_initializers(out)
    while True:
        skips = ir.Skips()
        fuser = _ConvFuser(out.graph)
        touched: set[str] = set()
        removed: set[int] = set()
        for index, node in enumerate(out.graph.node):
            if node.op_type not in _AFFINE:
                continue
            found = fuser.match(node)
            if found is None or found[0].output[0] in touched:
                if fuser.why:
                    skips.add(fuser.why, node)
                continue
            conv, other = found
            if fuser.fuse(conv, node, other):
                counts[f"fused_conv_{node.op_type.lower()}"] += 1
                touched.add(node.output[0])
                removed.add(index)
            else:
                skips.add(fuser.why, node)
        if not removed:
            break
        ir.replace_nodes(out.graph, (n for i, n in enumerate(out.graph.node) if i not in removed))
    return out, ir.rewrite_details(out, counts, moved, skips)


@register_pass("fuse_conv_bn")
def fuse_conv_bn(model: onnx.ModelProto, ctx: PassContext) -> PassResult:
    """Fold BatchNormalization and per-channel Mul/Add/Sub/Div into the preceding conv."""
    out, details = fuse_conv_model(model)
    return make_result("fuse_conv_bn", model, out, **details)


def fuse_gemm_model(model: onnx.ModelProto) -> tuple[onnx.ModelProto, dict[str, Any]]:
    """MatMul(2-D x, constant 2-D W) + Add(constant bias) -> Gemm, on a copy."""
    out = copy_model(model)
    graph = out.graph
    moved = ir.constants_to_initializers(out)
    types = ir.infer_types(out)
    consts = ir.Constants(graph)
    prods, users = ir.producers(graph), ir.consumers(graph)
    outputs = {o.name for o in graph.output} | ir.outer_scope_names(graph)
    skips = ir.Skips()
    fused = 0
    for node in graph.node:
        if node.op_type != "Add" or node.domain:
            continue
        slot = next((i for i in (0, 1) if getattr(prods.get(node.input[i]), "op_type", "")
                     == "MatMul"), None)
        if slot is None:
            continue
        matmul = prods[node.input[slot]]
        why = _gemm_check(matmul, consts.get(node.input[1 - slot]), types, consts, ir.opset(out),
                          len(users[matmul.output[0]]) == 1 and matmul.output[0] not in outputs)
        if why:
            skips.add(why, node)
            continue
        matmul.op_type = "Gemm"
        matmul.input.append(node.input[1 - slot])
        matmul.output[0] = node.output[0]
        node.output[0] = ""  # marks the Add for removal below
        fused += 1
    if fused:
        ir.replace_nodes(graph, (n for n in graph.node if n.output and n.output[0]))
        ir.prune_value_info(graph)
    details: dict[str, Any] = {"fused_matmul_add": fused, "constants_to_initializers": moved,
                               "not_fused": skips.as_dict(), "changed": bool(fused or moved)}
    return out, details


def _gemm_check(matmul: onnx.NodeProto, bias: np.ndarray | None,
                types: dict[str, onnx.TypeProto], consts: ir.Constants, version: int,
                single_use: bool) -> str:
    """Empty when the pair can become a Gemm, else the reason it cannot."""
    weight = consts.get(matmul.input[1])
    x_rank = ir.rank(types.get(matmul.input[0]))
    if version < 7:
        return f"opset {version} Gemm lacks bias broadcasting (needs opset >= 7)"
    if not single_use:
        return "MatMul output has other consumers"
    if weight is None or weight.ndim != 2:
        return "MatMul weight is not a constant 2-D matrix"
    if bias is None:
        return "Add operand is not constant"
    if x_rank is None:
        return "MatMul input rank unknown (give static shapes)"
    if x_rank != 2:
        return f"MatMul input has rank {x_rank}; Gemm needs 2-D"
    if ir.elem_type(types.get(matmul.input[0])) not in _FLOATS:
        return "Gemm needs a float type"
    n = weight.shape[1]
    if bias.ndim > 2 or (bias.ndim >= 1 and bias.shape[-1] not in (1, n)) or \
            (bias.ndim == 2 and bias.shape[0] != 1):
        return f"bias of shape {list(bias.shape)} does not broadcast to one row of {n}"
    return ""
