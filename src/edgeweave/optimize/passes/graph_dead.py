"""Redundant-op and dead-code removal.

Ops that only pass their input through at inference (Identity, Dropout, a Cast to the same
type, a Reshape/Flatten/Expand/Squeeze to the same shape, Transpose with the identity
permutation, a one-input Concat, x*1, x+0) are bypassed; Transpose pairs are composed and
Reshape chains collapsed; then nodes, initializers and value_info nobody reads are dropped.
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

_SAME_SHAPE_NOOPS = frozenset({"Reshape", "Flatten", "Expand", "Squeeze", "Unsqueeze", "Tile"})
_NEUTRAL = {"Mul": 1.0, "Div": 1.0, "Add": 0.0, "Sub": 0.0}


def eliminate_model(model: onnx.ModelProto) -> tuple[onnx.ModelProto, dict[str, Any]]:
    """Remove redundant and dead parts on a copy; returns the model and counts per kind."""
    out = copy_model(model)
    counts: Counter[str] = Counter()
    for _ in range(10):  # bypassing one op can expose the next (Transpose pairs, chains)
        skips = ir.Skips()  # reasons of the last sweep only
        before = sum(counts.values())
        types = ir.infer_types(out)
        _bypass(out, types, counts, skips)
        _merge_chains(out, types, counts)
        counts["removed_dead_nodes"] += _remove_dead(out.graph)
        if sum(counts.values()) == before:
            break
    counts["removed_initializers"] += ir.prune_initializers(out.graph)
    counts["removed_value_info"] += ir.prune_value_info(out.graph)
    details: dict[str, Any] = {k: v for k, v in sorted(counts.items()) if v}
    details["kept"] = skips.as_dict()
    details["changed"] = bool(sum(counts.values()))
    return out, details


@register_pass("eliminate_dead")
def eliminate_dead(model: onnx.ModelProto, ctx: PassContext) -> PassResult:
    """Bypass pass-through ops and drop whatever no output depends on."""
    out, details = eliminate_model(model)
    return make_result("eliminate_dead", model, out, **details)


def _redundant(node: onnx.NodeProto, types: dict[str, onnx.TypeProto],
               consts: ir.Constants) -> tuple[str, str] | None:
    """(kind, passed-through input) when the node just forwards one of its inputs."""
    op, ins = node.op_type, node.input
    if node.domain not in ("", "ai.onnx") or not ins or not ins[0]:
        return None
    if op == "Identity":
        return "removed_identity", ins[0]
    if op == "Dropout":
        mask_used = len(node.output) > 1 and node.output[1]
        training = ins[2] if len(ins) > 2 and ins[2] else None
        if mask_used or (training and not _is_false(consts.get(training))):
            return None
        return "removed_dropout", ins[0]
    if op == "Cast":
        to = next((a.i for a in node.attribute if a.name == "to"), 0)
        same = to and to == ir.elem_type(types.get(ins[0]))
        return ("removed_cast", ins[0]) if same else None
    if op == "Concat" and len(ins) == 1:
        return "removed_concat", ins[0]
    if op == "Transpose":
        perm = next((list(a.ints) for a in node.attribute if a.name == "perm"), None)
        if perm is not None and perm == sorted(perm):
            return "removed_transpose", ins[0]
        return None
    if op in _SAME_SHAPE_NOOPS or op in _NEUTRAL:
        return _same_shape(node, types, consts)
    return None


def _same_shape(node: onnx.NodeProto, types: dict[str, onnx.TypeProto],
                consts: ir.Constants) -> tuple[str, str] | None:
    out_shape = ir.static_shape(types.get(node.output[0]))
    if out_shape is None:
        return None
    if node.op_type in _SAME_SHAPE_NOOPS:
        if ir.static_shape(types.get(node.input[0])) == out_shape:
            return "removed_same_shape", node.input[0]
        return None
    neutral = _NEUTRAL[node.op_type]
    positions = (0, 1) if node.op_type in ("Mul", "Add") else (0,)
    for keep in positions:
        other = consts.get(node.input[1 - keep])
        data = node.input[keep]
        if other is None or ir.static_shape(types.get(data)) != out_shape:
            continue
        same_type = ir.elem_type(types.get(data)) == ir.elem_type(types.get(node.output[0]))
        if same_type and other.size and np.all(other == neutral):
            return "removed_neutral", data
    return None


def _is_false(value: np.ndarray | None) -> bool:
    return value is not None and not bool(np.asarray(value).any())


def _bypass(model: onnx.ModelProto, types: dict[str, onnx.TypeProto], counts: Counter[str],
            skips: ir.Skips) -> None:
    """Rewire readers of pass-through ops to the op's input and drop the op."""
    graph = model.graph
    consts = ir.Constants(graph)
    outputs = {o.name for o in graph.output}
    alias: dict[str, str] = {}
    to_output: list[tuple[str, str]] = []
    keep: list[onnx.NodeProto] = []
    for node in graph.node:
        found = _redundant(node, types, consts)
        if found is None:
            keep.append(node)
        elif node.output[0] in outputs:
            to_output.append((node.output[0], found[0]))
            keep.append(node)
        else:
            alias[node.output[0]] = found[1]
            counts[found[0]] += 1
    if alias:
        ir.replace_nodes(graph, keep)
        _apply_alias(graph, alias)
    for name, kind in to_output:
        node = ir.producers(graph)[name]
        if _fold_into_output(graph, node):
            counts[kind] += 1
        else:
            skips.add("feeds a graph output straight from an input or constant", node)


def _root(alias: dict[str, str], name: str) -> str:
    while name in alias:
        name = alias[name]
    return name


def _apply_alias(graph: onnx.GraphProto, alias: dict[str, str]) -> None:
    for node in graph.node:
        for i, name in enumerate(node.input):
            if name in alias:
                node.input[i] = _root(alias, name)
        for sub in ir.subgraphs(node):
            for name in list(alias):
                ir.rename_input(sub, name, _root(alias, name))


def _fold_into_output(graph: onnx.GraphProto, node: onnx.NodeProto) -> bool:
    """Bypass a pass-through op that produces a graph output by renaming its input's producer.

    Only possible when the input comes from a node (not a graph input or initializer) and
    is not itself a graph output; otherwise the op must stay to give the output its name.
    """
    src, dst = node.input[0], node.output[0]
    producer = ir.producers(graph).get(src)
    if producer is None or src in {o.name for o in graph.output}:
        return False
    index = next(i for i, n in enumerate(graph.node) if dst in n.output)
    ir.rename_input(graph, src, dst)
    for i, name in enumerate(producer.output):
        if name == src:
            producer.output[i] = dst
    del graph.node[index]
    return True


def _merge_chains(model: onnx.ModelProto, types: dict[str, onnx.TypeProto],
                  counts: Counter[str]) -> None:
    """Transpose(Transpose(x)) -> one Transpose; Reshape(Reshape(x)) -> Reshape(x)."""
    graph = model.graph
    prods = ir.producers(graph)
    consts = ir.Constants(graph)
    for node in graph.node:
        first = prods.get(node.input[0]) if node.input else None
        if first is None or first.op_type != node.op_type or node.domain or first.domain:
            continue
        if node.op_type == "Transpose":
            perm = _perm(node, ir.rank(types.get(node.input[0])))
            inner = _perm(first, ir.rank(types.get(first.input[0])))
            if perm is None or inner is None:
                continue
            composed = [inner[p] for p in perm]
            node.input[0] = first.input[0]
            del node.attribute[:]
            node.attribute.append(helper.make_attribute("perm", composed))
            counts["merged_transpose"] += 1
        elif node.op_type == "Reshape" and _plain_shape(consts.get(node.input[1])):
            node.input[0] = first.input[0]
            counts["merged_reshape"] += 1


def _perm(node: onnx.NodeProto, rank: int | None) -> list[int] | None:
    perm = next((list(a.ints) for a in node.attribute if a.name == "perm"), None)
    if perm is None and rank is not None:
        perm = list(range(rank))[::-1]
    return perm


def _plain_shape(shape: np.ndarray | None) -> bool:
    """A Reshape target that does not copy dims from its input (no 0 entries)."""
    return shape is not None and shape.ndim == 1 and bool(np.all(shape != 0))


def _remove_dead(graph: onnx.GraphProto) -> int:
    """Drop nodes none of whose outputs reach a graph output (walking backwards)."""
    live = {o.name for o in graph.output}
    keep: list[onnx.NodeProto] = []
    for node in reversed(graph.node):
        if any(o in live for o in node.output if o):
            keep.append(node)
            live.update(n for n in node.input if n)
            for sub in ir.subgraphs(node):
                live.update(ir.used_names(sub))
    removed = len(graph.node) - len(keep)
    if removed:
        ir.replace_nodes(graph, reversed(keep))
    return removed
