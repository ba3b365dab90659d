"""Small graph helpers shared by the graph passes: who produces/consumes a tensor, which
tensors are constants, renaming, ordering and shape inference.

The passes edit ``onnx.GraphProto`` in place on a copy of the model; these helpers keep that
editing short and keep the rules (outer-scope names, overridable initializers, graph
outputs) in one place so every pass gets them right.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, cast

import numpy as np
import onnx
from onnx import numpy_helper, shape_inference

from edgeweave.errors import OptimizationError

Shape = tuple[int, ...]


class Skips:
    """Why nodes were left alone: reason -> count and the first few node names.

    Like onnxscript's ``check().fail("why")``: a pass explains what it did not touch
    instead of staying silent, and the report shows it.
    """

    def __init__(self, keep: int = 5) -> None:
        self._keep = keep
        self._data: dict[str, dict[str, Any]] = {}

    def add(self, reason: str, node: onnx.NodeProto) -> None:
        entry = self._data.setdefault(reason, {"count": 0, "nodes": []})
        entry["count"] += 1
        if len(entry["nodes"]) < self._keep:
            entry["nodes"].append(node.name or node.output[0])

    def as_dict(self) -> dict[str, dict[str, Any]]:
        return {k: dict(v) for k, v in sorted(self._data.items())}


def subgraphs(node: onnx.NodeProto) -> Iterator[onnx.GraphProto]:
    """Graphs held in a node's attributes (If/Loop/Scan bodies)."""
    for attr in node.attribute:
        if attr.type == onnx.AttributeProto.GRAPH:
            yield attr.g
        elif attr.type == onnx.AttributeProto.GRAPHS:
            yield from attr.graphs


def _walk_inputs(graph: onnx.GraphProto) -> Iterator[str]:
    for node in graph.node:
        yield from node.input
        for sub in subgraphs(node):
            yield from _walk_inputs(sub)
            yield from (o.name for o in sub.output)


def used_names(graph: onnx.GraphProto) -> set[str]:
    """Every tensor name read by a node (also inside subgraphs) or exported as an output."""
    used = set(_walk_inputs(graph))
    used.update(o.name for o in graph.output)
    used.discard("")
    return used


def outer_scope_names(graph: onnx.GraphProto) -> set[str]:
    """Names the nested subgraphs read from this graph: they must keep their names."""
    names: set[str] = set()
    for node in graph.node:
        for sub in subgraphs(node):
            names.update(_walk_inputs(sub))
            names.update(o.name for o in sub.output)
    return names


def producers(graph: onnx.GraphProto) -> dict[str, onnx.NodeProto]:
    return {out: node for node in graph.node for out in node.output if out}


def consumers(graph: onnx.GraphProto) -> dict[str, list[onnx.NodeProto]]:
    """Tensor name -> nodes of this graph that read it (a node once per input slot)."""
    users: dict[str, list[onnx.NodeProto]] = defaultdict(list)
    for node in graph.node:
        for name in node.input:
            if name:
                users[name].append(node)
    return users


def constant_initializers(graph: onnx.GraphProto) -> dict[str, onnx.TensorProto]:
    """Initializers that are true constants: one also listed as graph input can be fed."""
    inputs = {i.name for i in graph.input}
    return {t.name: t for t in graph.initializer if t.name not in inputs}


class Constants:
    """Lazy numpy view of the constant initializers of a graph."""

    def __init__(self, graph: onnx.GraphProto) -> None:
        self._protos = constant_initializers(graph)
        self._cache: dict[str, np.ndarray] = {}

    def __contains__(self, name: str) -> bool:
        return name in self._protos or name in self._cache

    def get(self, name: str) -> np.ndarray | None:
        if name in self._cache:
            return self._cache[name]
        if name not in self._protos:
            return None
        value = numpy_helper.to_array(self._protos[name])
        self._cache[name] = value
        return value

    def put(self, name: str, value: np.ndarray) -> None:
        self._cache[name] = value


def rename_input(graph: onnx.GraphProto, old: str, new: str) -> None:
    """Make every reader of ``old`` (also in subgraphs) read ``new`` instead."""
    for node in graph.node:
        for i, name in enumerate(node.input):
            if name == old:
                node.input[i] = new
        for sub in subgraphs(node):
            rename_input(sub, old, new)
            for out in sub.output:
                if out.name == old:
                    out.name = new


def fresh_name(base: str, taken: set[str]) -> str:
    """A tensor name not in ``taken`` (which is updated)."""
    name, i = base, 0
    while name in taken:
        i += 1
        name = f"{base}_{i}"
    taken.add(name)
    return name


def all_names(graph: onnx.GraphProto) -> set[str]:
    names = {t.name for t in graph.initializer} | {i.name for i in graph.input}
    names.update(out for node in graph.node for out in node.output)
    return names


def add_initializer(graph: onnx.GraphProto, name: str, value: np.ndarray) -> None:
    graph.initializer.append(numpy_helper.from_array(np.asarray(value), name))


def constants_to_initializers(model: onnx.ModelProto) -> int:
    """Turn main-graph ``Constant`` nodes into initializers; returns how many were moved.

    Initializers are what runtimes and the other passes treat as weights; a Constant node
    is an extra node to schedule and hides the value from pattern matching.
    """
    from onnx.reference import ReferenceEvaluator

    graph, outputs = model.graph, {o.name for o in model.graph.output}
    if model.ir_version < 4 and any(n.op_type == "Constant" for n in graph.node):
        raise OptimizationError(
            f"model IR version {model.ir_version} needs initializers listed as inputs",
            "upgrade the model first: onnx.version_converter or re-export with a newer exporter",
        )
    keep: list[onnx.NodeProto] = []
    moved = 0
    for node in graph.node:
        if node.op_type != "Constant" or node.domain not in ("", "ai.onnx") or \
                node.output[0] in outputs or _has_sparse(node):
            keep.append(node)
            continue
        attr = node.attribute[0] if len(node.attribute) == 1 else None
        if attr is not None and attr.name == "value":
            value = numpy_helper.to_array(attr.t)  # the common case, without an evaluator
        else:
            outs = cast(list[Any], ReferenceEvaluator(node, opsets={"": opset(model)}).run(None, {}))
            value = np.asarray(outs[0])
        add_initializer(graph, node.output[0], value)
        moved += 1
    replace_nodes(graph, keep)
    return moved


def _has_sparse(node: onnx.NodeProto) -> bool:
    return any(a.name == "sparse_value" for a in node.attribute)


def reset(field: Any, items: Iterable[Any]) -> None:
    """Replace the contents of a repeated message field by copies of ``items``.

    Copies first: ``items`` may be elements of ``field`` itself, which ``del`` releases.
    """
    copies = []
    for item in items:
        copy = type(item)()
        copy.CopyFrom(item)
        copies.append(copy)
    del field[:]
    field.extend(copies)


def replace_nodes(graph: onnx.GraphProto, nodes: Iterable[onnx.NodeProto]) -> None:
    reset(graph.node, nodes)


def opset(model: onnx.ModelProto, domain: str = "") -> int:
    """Opset version imported for ``domain`` ('' and 'ai.onnx' are the same); 0 if none."""
    domains = ("", "ai.onnx") if domain in ("", "ai.onnx") else (domain,)
    return next((int(o.version) for o in model.opset_import if o.domain in domains), 0)


def topo_sort(graph: onnx.GraphProto) -> None:
    """Order nodes so each comes after its producers (the checker requires it)."""
    ready = {i.name for i in graph.input} | {t.name for t in graph.initializer} | {""}
    ready |= outer_scope_names(graph) - producers(graph).keys()
    pending = list(graph.node)
    ordered: list[onnx.NodeProto] = []
    while pending:
        rest = []
        for node in pending:
            if all(name in ready for name in node.input):
                ordered.append(node)
                ready.update(node.output)
            else:
                rest.append(node)
        if len(rest) == len(pending):
            missing = sorted({n for node in rest for n in node.input if n not in ready})[:5]
            raise OptimizationError(
                f"graph has a cycle or reads undefined tensors {missing}",
                "the model is broken; check it with onnx.checker.check_model",
            )
        pending = rest
    replace_nodes(graph, ordered)


def infer_types(model: onnx.ModelProto) -> dict[str, onnx.TypeProto]:
    """Type and shape of every main-graph tensor that onnx shape inference can work out.

    Stored value_info is ignored (it may be stale after a rewrite): only inputs,
    initializers and declared outputs seed the inference.
    """
    saved = onnx.GraphProto()
    saved.value_info.extend(model.graph.value_info)  # extend copies the messages
    del model.graph.value_info[:]
    try:
        inferred = shape_inference.infer_shapes(model, check_type=False, strict_mode=False,
                                                data_prop=True)
    except (onnx.shape_inference.InferenceError, ValueError):
        inferred = model  # over 2 GB or broken: use what is declared
    finally:
        model.graph.value_info.extend(saved.value_info)
    graph = inferred.graph
    types = {v.name: v.type for v in (*graph.input, *graph.value_info, *graph.output)}
    for init in graph.initializer:
        tp = onnx.helper.make_tensor_type_proto(init.data_type, list(init.dims))
        types[init.name] = tp
    return types


def static_shape(tp: onnx.TypeProto | None) -> Shape | None:
    """The shape when every dim is a known non-negative int, else None."""
    if tp is None or not tp.HasField("tensor_type") or not tp.tensor_type.HasField("shape"):
        return None
    dims = tp.tensor_type.shape.dim
    if not all(d.HasField("dim_value") and d.dim_value >= 0 for d in dims):
        return None
    return tuple(int(d.dim_value) for d in dims)


def rank(tp: onnx.TypeProto | None) -> int | None:
    if tp is None or not tp.HasField("tensor_type") or not tp.tensor_type.HasField("shape"):
        return None
    return len(tp.tensor_type.shape.dim)


def elem_type(tp: onnx.TypeProto | None) -> int:
    return int(tp.tensor_type.elem_type) if tp is not None and tp.HasField("tensor_type") else 0


def refresh_shapes(model: onnx.ModelProto, strict: bool = False) -> str | None:
    """Drop stale value_info and re-run shape inference (with data propagation) in place.

    Graph output shapes are re-inferred too, keeping the declared one where inference
    cannot tell. Returns the inference error message when strict inference failed and the
    lenient fallback was used, else None.
    """
    graph = model.graph
    declared = {o.name: onnx.TypeProto() for o in graph.output}
    for out in graph.output:
        declared[out.name].CopyFrom(out.type)
        if out.type.HasField("tensor_type"):
            out.type.tensor_type.ClearField("shape")
    del graph.value_info[:]
    error = None
    try:
        inferred = shape_inference.infer_shapes(model, check_type=strict, strict_mode=strict,
                                                data_prop=True)
    except (onnx.shape_inference.InferenceError, onnx.checker.ValidationError) as exc:
        error = str(exc).strip().splitlines()[0]
        inferred = shape_inference.infer_shapes(model, strict_mode=False, data_prop=True)
    except ValueError:  # a model over 2 GB cannot be inferred in memory
        inferred = model
    model.CopyFrom(inferred)
    for out in model.graph.output:
        if out.type.HasField("tensor_type") and not out.type.tensor_type.HasField("shape"):
            out.type.CopyFrom(declared[out.name])
    return error


def prune_initializers(graph: onnx.GraphProto) -> int:
    """Drop initializers nobody reads (graph inputs stay: they are the model's interface)."""
    used = used_names(graph) | {i.name for i in graph.input}
    keep = [t for t in graph.initializer if t.name in used]
    removed = len(graph.initializer) - len(keep)
    if removed:
        reset(graph.initializer, keep)
    return removed


def prune_value_info(graph: onnx.GraphProto) -> int:
    """Drop value_info of tensors no longer produced (stale after a rewrite)."""
    produced = {o for n in graph.node for o in n.output} | {i.name for i in graph.input}
    keep = [v for v in graph.value_info if v.name in produced]
    removed = len(graph.value_info) - len(keep)
    if removed:
        reset(graph.value_info, keep)
    return removed


def ort_optimize_file(src: str | Path, dst: str | Path, level: str) -> None:
    """Save ONNX Runtime's offline-optimized graph of ``src`` to ``dst``.

    ``level`` 'basic' keeps standard ONNX (constant folding, Conv+BN, redundant nodes);
    'extended' adds com.microsoft fused ops that only ONNX Runtime runs. Raises what ORT
    raises (its own exception types); callers turn that into their own error.
    """
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = {
        "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
        "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
    }[level]
    options.optimized_model_filepath = str(dst)
    options.log_severity_level = 3
    ort.InferenceSession(str(src), options, providers=["CPUExecutionProvider"])


def rewrite_details(out: onnx.ModelProto, counts: Counter[str], moved: int, skips: Skips
                    ) -> dict[str, Any]:
    """Prune what a rewrite left unused and describe it (shared by the fusion passes)."""
    pruned = prune_initializers(out.graph)
    prune_value_info(out.graph)
    details: dict[str, Any] = dict(sorted(counts.items()))
    details.update(constants_to_initializers=moved, pruned_initializers=pruned,
                   not_fused=skips.as_dict(), changed=bool(counts or moved))
    return details


class GraphIndex:
    """Lookups a rewrite needs over one graph: constants, producers, consumers, names that
    must keep their producer (graph outputs, names read by subgraphs), all names taken."""

    def __init__(self, graph: onnx.GraphProto) -> None:
        self.graph = graph
        self.consts = Constants(graph)
        self.prods = producers(graph)
        self.users = consumers(graph)
        self.keep_names = {o.name for o in graph.output} | outer_scope_names(graph)
        self.names = all_names(graph)
