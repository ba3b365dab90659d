"""Reference cases for the control-flow family (ControlOps.swift): Loop and If nodes with
subgraphs built here with onnx.helper, and the two Loop nodes of the real SSDLite person
detector (/work/shared/models or $GSCTL_MODELS) fed with the values onnxruntime computes
in front of them."""
import os

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper

rng = np.random.default_rng(5)
FLOAT = TensorProto.FLOAT
INT64 = TensorProto.INT64
BOOL = TensorProto.BOOL


def scalar_info(name, kind):
    return helper.make_tensor_value_info(name, kind, [])


def const(name, array):
    return helper.make_node("Constant", [], [name], value=onnx.numpy_helper.from_array(np.asarray(array), name=name))


def accumulate_body():
    """y = x + a * iteration; keeps going while sum(y) < limit; scans y * 2 and the iteration."""
    nodes = [
        helper.make_node("Cast", ["i"], ["i_float"], to=FLOAT),
        helper.make_node("Mul", ["a", "i_float"], ["step"]),
        helper.make_node("Add", ["x", "step"], ["y"]),
        helper.make_node("ReduceSum", ["y"], ["total"], keepdims=0),
        helper.make_node("Less", ["total", "limit"], ["keep_going"]),
        const("two", np.float32(2)),
        helper.make_node("Mul", ["y", "two"], ["doubled"]),
        helper.make_node("Identity", ["i"], ["iteration"]),
    ]
    return helper.make_graph(
        nodes,
        "accumulate",
        [scalar_info("i", INT64), scalar_info("cond", BOOL), helper.make_tensor_value_info("x", FLOAT, [2, 3])],
        [
            scalar_info("keep_going", BOOL),
            helper.make_tensor_value_info("y", FLOAT, [2, 3]),
            helper.make_tensor_value_info("doubled", FLOAT, [2, 3]),
            scalar_info("iteration", INT64),
        ],
    )


def branches():
    then_graph = helper.make_graph(
        [helper.make_node("Add", ["p", "q"], ["sum"]), helper.make_node("Shape", ["p"], ["then_shape"])],
        "then",
        [],
        [helper.make_tensor_value_info("sum", FLOAT, None), helper.make_tensor_value_info("then_shape", INT64, None)],
    )
    else_graph = helper.make_graph(
        [helper.make_node("Sub", ["p", "q"], ["difference"]), helper.make_node("Shape", ["q"], ["else_shape"])],
        "else",
        [],
        [helper.make_tensor_value_info("difference", FLOAT, None), helper.make_tensor_value_info("else_shape", INT64, None)],
    )
    return then_graph, else_graph


def nested_body():
    """A Loop body holding an If that reads a value two scopes out."""
    then_graph = helper.make_graph(
        [helper.make_node("Mul", ["acc", "outer_factor"], ["scaled"])], "t", [],
        [helper.make_tensor_value_info("scaled", FLOAT, None)])
    else_graph = helper.make_graph(
        [helper.make_node("Add", ["acc", "outer_factor"], ["shifted"])], "e", [],
        [helper.make_tensor_value_info("shifted", FLOAT, None)])
    nodes = [
        const("two", np.int64(2)),
        helper.make_node("Mod", ["i", "two"], ["parity"]),
        const("zero", np.int64(0)),
        helper.make_node("Equal", ["parity", "zero"], ["even"]),
        helper.make_node("If", ["even"], ["next"], then_branch=then_graph, else_branch=else_graph),
        helper.make_node("Identity", ["cond"], ["cond_out"]),
    ]
    return helper.make_graph(
        nodes, "nested",
        [scalar_info("i", INT64), scalar_info("cond", BOOL), helper.make_tensor_value_info("acc", FLOAT, [3])],
        [scalar_info("cond_out", BOOL), helper.make_tensor_value_info("next", FLOAT, [3])])


def synthetic_cases():
    out = []
    x = rng.standard_normal((2, 3)).astype(np.float32)
    a = rng.standard_normal((2, 3)).astype(np.float32)
    scope = {"a": a, "limit": np.array(1e9, np.float32)}
    body = accumulate_body()
    out.append({"name": "Loop-trip-count", "op": "Loop", "attrs": {"body": body}, "opset": 13, "outputs": 3,
                "inputs": [np.array(5, np.int64), np.array(True), x], "scope": scope})
    out.append({"name": "Loop-trip-count-only", "op": "Loop", "attrs": {"body": body}, "opset": 13, "outputs": 3,
                "inputs": [np.array(4, np.int64), None, x], "scope": scope})
    stop = {"a": np.abs(a) + 0.5, "limit": np.array(float(x.sum()) + 20, np.float32)}
    out.append({"name": "Loop-condition-stops", "op": "Loop", "attrs": {"body": body}, "opset": 13, "outputs": 3,
                "inputs": [None, np.array(True), x], "scope": stop})
    out.append({"name": "Loop-both-limits", "op": "Loop", "attrs": {"body": body}, "opset": 13, "outputs": 3,
                "inputs": [np.array(100, np.int64), np.array(True), x], "scope": stop})
    out.append({"name": "Loop-initial-false", "op": "Loop", "attrs": {"body": body}, "opset": 13, "outputs": 3,
                "inputs": [np.array(3, np.int64), np.array(False), x], "scope": scope})
    out.append({"name": "Loop-zero-trips", "op": "Loop", "attrs": {"body": body}, "opset": 13, "outputs": 3,
                "inputs": [np.array(0, np.int64), np.array(True), x], "scope": scope})
    out.append({"name": "Loop-opset11", "op": "Loop", "attrs": {"body": body}, "opset": 11, "outputs": 3,
                "inputs": [np.array(3, np.int64), np.array(True), x], "scope": scope})
    nested = nested_body()
    out.append({"name": "Loop-nested-If", "op": "Loop", "attrs": {"body": nested}, "opset": 13, "outputs": 1,
                "inputs": [np.array(5, np.int64), None, np.arange(3, dtype=np.float32)],
                "scope": {"outer_factor": np.array([1.5, -2.0, 0.5], np.float32)}})
    then_graph, else_graph = branches()
    p = rng.standard_normal((2, 2)).astype(np.float32)
    q = rng.standard_normal((2,)).astype(np.float32)
    for flag in [True, False]:
        out.append({"name": f"If-{str(flag).lower()}", "op": "If", "opset": 13, "outputs": 2,
                    "attrs": {"then_branch": then_graph, "else_branch": else_graph},
                    "inputs": [np.array(flag)], "scope": {"p": p, "q": q}})
    # An outer value that is also an explicit input of the node (as in SSDLite).
    body = helper.make_graph(
        [helper.make_node("Add", ["carried", "shared"], ["next"]), helper.make_node("Identity", ["cond"], ["cond_out"])],
        "shared", [scalar_info("i", INT64), scalar_info("cond", BOOL), helper.make_tensor_value_info("carried", FLOAT, [2])],
        [scalar_info("cond_out", BOOL), helper.make_tensor_value_info("next", FLOAT, [2])])
    out.append({"name": "Loop-explicit-input-read-by-body", "op": "Loop", "attrs": {"body": body}, "opset": 13,
                "outputs": 1, "input_names": ["trips", "", "shared"],
                "inputs": [np.array(3, np.int64), None, np.array([1.0, 2.0], np.float32)]})
    return out


def free_names(graph):
    defined = {v.name for v in graph.input} | {t.name for t in graph.initializer}
    free = []
    for node in graph.node:
        for name in node.input:
            if name and name not in defined and name not in free:
                free.append(name)
        for attribute in node.attribute:
            if attribute.type == onnx.AttributeProto.GRAPH:
                for name in free_names(attribute.g):
                    if name not in defined and name not in free:
                        free.append(name)
        defined |= set(node.output)
    return free


def ssdlite_cases():
    models = os.environ.get("GSCTL_MODELS", "/work/shared/models")
    path = os.path.join(models, "ssdlite_person.onnx")
    if not os.path.exists(path):
        return []
    model = onnx.load(path)
    loops = [n for n in model.graph.node if n.op_type == "Loop"]
    initializers = {t.name: onnx.numpy_helper.to_array(t) for t in model.graph.initializer}
    wanted = []
    for loop in loops:
        for name in list(loop.input) + free_names(loop.attribute[0].g):
            if name and name not in initializers and name not in wanted:
                wanted.append(name)
    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    existing = {o.name for o in probe.graph.output}
    for name in wanted:
        if name not in existing:
            probe.graph.output.append(onnx.ValueInfoProto(name=name))
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    options.log_severity_level = 3
    session = ort.InferenceSession(probe.SerializeToString(), options, providers=["CPUExecutionProvider"])
    # A small synthetic photo: smooth gradients with blobs and noise (the Loop resizes it to 300x300).
    h, w = 90, 120
    yy, xx = np.mgrid[0:h, 0:w]
    image = np.stack([(xx * 2) % 256, (yy * 3) % 256, ((xx + yy) * 5) % 256], axis=-1).astype(np.float32)
    image += rng.normal(0, 20, image.shape)
    image = np.clip(image, 0, 255).astype(np.uint8)[None]
    names = [o.name for o in session.get_outputs()]
    values = dict(zip(names, session.run(names, {session.get_inputs()[0].name: image})))
    values.update(initializers)
    out = []
    for loop in loops:
        body = loop.attribute[0].g
        scope = {name: values[name] for name in free_names(body) if name not in loop.input}
        out.append({
            "name": f"SSDLite-{loop.name}", "op": "Loop", "opset": 13, "outputs": len(loop.output),
            "attrs": {"body": body}, "input_names": list(loop.input),
            "inputs": [values[name] if name else None for name in loop.input], "scope": scope, "tolerance": 1e-5,
        })
    return out


def cases():
    return synthetic_cases() + ssdlite_cases()
