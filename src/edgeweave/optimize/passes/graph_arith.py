"""Constant arithmetic fusions that stay standard ONNX.

* chains of constant scalings / offsets collapse into one op:
  ``(x / 6) * s -> x * (s / 6)``, ``(x + a) - b -> x + (a - b)``;
* a constant affine input of a Conv goes into its weights:
  ``Conv(x * a + b) -> Conv'(x)`` with ``W' = W * a`` and ``bias' = bias + sum(W * b)``
  (the offset only when the conv pads nothing, since padding inserts zeros, not ``b``).

Mobile nets (PP-LCNet's learnable affine blocks, hard-swish written as x*clip(x+3)/6*s+b)
carry many such ops; each one is a full pass over an activation tensor.
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

_SCALE, _SHIFT = ("Mul", "Div"), ("Add", "Sub")
_FLOAT_DTYPES = (np.float16, np.float32, np.float64)


class _Arith(ir.GraphIndex):
    """Indexes of one graph, plus helpers reading ``x op const`` nodes."""

    def split(self, node: onnx.NodeProto | None) -> tuple[str, np.ndarray] | None:
        """(data input, constant as a multiplier or addend) for x*c, x/c, c*x, x+c, c+x, x-c."""
        if node is None or node.domain or node.op_type not in _SCALE + _SHIFT or \
                not node.output[0]:
            return None
        for slot in (1, 0) if node.op_type in ("Mul", "Add") else (1,):
            value = self.consts.get(node.input[slot])
            if value is None or value.dtype.type not in _FLOAT_DTYPES:
                continue
            data = node.input[1 - slot]
            if data in self.consts:
                return None  # both constant: fold_constants' job
            if node.op_type == "Div":
                return (data, 1.0 / value.astype(np.float64)) if np.all(value != 0) else None
            return data, (-value.astype(np.float64) if node.op_type == "Sub"
                          else value.astype(np.float64))
        return None

    def private(self, name: str) -> bool:
        """True when exactly one node reads ``name`` and it is not exported."""
        return len(self.users.get(name, [])) == 1 and name not in self.keep_names

    def constant(self, base: str, value: np.ndarray, dtype: np.dtype) -> str:
        name = ir.fresh_name(base, self.names)
        array = np.asarray(value, dtype=dtype)
        ir.add_initializer(self.graph, name, array)
        self.consts.put(name, array)
        return name


def _merge_chain(a: _Arith, node: onnx.NodeProto, skips: ir.Skips) -> str | None:
    """Rewrite ``node`` over the input of its constant predecessor; returns what merged."""
    outer = a.split(node)
    if outer is None:
        return None
    inner_node = a.prods.get(outer[0])
    inner = a.split(inner_node)
    if inner is None or inner_node is None:
        return None
    kind = "scale" if node.op_type in _SCALE else "shift"
    if (inner_node.op_type in _SCALE) != (kind == "scale"):
        return None
    if not a.private(outer[0]):
        skips.add("intermediate result has other consumers", node)
        return None
    merged = inner[1] * outer[1] if kind == "scale" else inner[1] + outer[1]
    like = a.consts.get(next(n for n in node.input if n in a.consts))
    assert like is not None  # split() found a constant input
    name = a.constant(f"{node.name or node.output[0]}_{kind}", merged, like.dtype)
    node.op_type = "Mul" if kind == "scale" else "Add"
    del node.input[:]
    node.input.extend([inner[0], name])
    inner_node.output[0] = ""  # dropped by the caller
    return f"merged_{kind}"


def _fold_input_affine(a: _Arith, conv: onnx.NodeProto, skips: ir.Skips) -> str | None:
    """Fold ``x*s + t`` (scalars or per-input-channel) feeding a Conv into its weights."""
    if conv.op_type != "Conv" or conv.domain or conv.input[1] not in a.consts:
        return None
    chain: list[onnx.NodeProto] = []
    scale, shift, source = None, None, conv.input[0]
    node = a.prods.get(source)
    if node is not None and node.op_type in _SHIFT and a.split(node) and a.private(source):
        source, shift = a.split(node)  # type: ignore[misc]
        chain.append(node)
        node = a.prods.get(source)
    if node is not None and node.op_type in _SCALE and a.split(node) and a.private(source):
        source, scale = a.split(node)  # type: ignore[misc]
        chain.append(node)
    if not chain:
        return None
    weight = a.consts.get(conv.input[1])
    bias_name = conv.input[2] if len(conv.input) > 2 and conv.input[2] else ""
    if bias_name and bias_name not in a.consts:
        return None
    assert weight is not None
    why = _affine_problem(conv, weight, scale, shift)
    if why:
        skips.add(why, conv)
        return None
    cout, cin = weight.shape[0], weight.shape[1]
    w64 = weight.astype(np.float64)
    tail = (1,) * (weight.ndim - 2)
    bias = a.consts.get(bias_name).astype(np.float64) if bias_name else np.zeros(cout)  # type: ignore[union-attr]
    if shift is not None:
        per_in = np.broadcast_to(shift.reshape(-1), (cin,))
        bias = bias + (w64 * per_in.reshape(1, cin, *tail)).sum(axis=tuple(range(1, w64.ndim)))
    if scale is not None:
        w64 = w64 * np.broadcast_to(scale.reshape(-1), (cin,)).reshape(1, cin, *tail)
    base = conv.name or conv.output[0]
    new_inputs = [source, a.constant(f"{base}_w_affine", w64, weight.dtype),
                  a.constant(f"{base}_b_affine", bias, weight.dtype)]
    del conv.input[:]
    conv.input.extend(new_inputs)
    for dropped in chain:
        dropped.output[0] = ""
    return "folded_input_affine"


def _affine_problem(conv: onnx.NodeProto, weight: np.ndarray, scale: np.ndarray | None,
                    shift: np.ndarray | None) -> str:
    group = next((a.i for a in conv.attribute if a.name == "group"), 1)
    for value in (scale, shift):
        if value is None:
            continue
        shape = (1,) * (weight.ndim - value.ndim) + value.shape
        if value.ndim > weight.ndim or shape[0] != 1 or any(d != 1 for d in shape[2:]) or \
                shape[1] not in (1, weight.shape[1] * group):
            return "input affine constant is not per-channel"
        if group != 1 and value.size != 1:
            return "per-channel input affine on a grouped conv"
    if shift is not None and np.any(shift):
        attrs = {x.name: helper.get_attribute_value(x) for x in conv.attribute}
        pads = attrs.get("pads", [])
        auto_pad = attrs.get("auto_pad", b"NOTSET")
        if any(pads) or auto_pad not in (b"NOTSET", b"VALID"):
            return "input offset cannot fold into a padded conv"
    return ""


def fuse_arith_model(model: onnx.ModelProto) -> tuple[onnx.ModelProto, dict[str, Any]]:
    """Apply both rewrites on a copy until neither finds anything."""
    out = copy_model(model)
    moved = ir.constants_to_initializers(out)
    counts: Counter[str] = Counter()
    while True:
        skips = ir.Skips()
        arith = _Arith(out.graph)
        done = 0
        for node in out.graph.node:
            if not node.output[0]:
                continue
            kind = _merge_chain(arith, node, skips) or _fold_input_affine(arith, node, skips)
            if kind:
                counts[kind] += 1
                done += 1
        if not done:
            break
        ir.replace_nodes(out.graph, (n for n in out.graph.node if n.output[0]))
    return out, ir.rewrite_details(out, counts, moved, skips)


@register_pass("fuse_elementwise")
def fuse_elementwise(model: onnx.ModelProto, ctx: PassContext) -> PassResult:
    """Merge constant Mul/Div and Add/Sub chains; fold a Conv's input affine into it."""
    out, details = fuse_arith_model(model)
    return make_result("fuse_elementwise", model, out, **details)
