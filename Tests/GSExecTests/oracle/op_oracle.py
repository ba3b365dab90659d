"""Single-node reference cases for the Swift executor, computed by onnxruntime.

Usage: op_oracle.py CASES.py [CASES.py ...] > cases.json

Each CASES.py defines `cases()` returning a list of dicts:
    {"name": str, "op": str, "attrs": {name: value}, "inputs": [np.ndarray or None],
     "opset": int (default 17), "outputs": int (default 1), "domain": "" }
Attributes are typed from their Python value (int, float, str, list of int/float/str,
np.ndarray for tensors, onnx.GraphProto for subgraphs). The script builds a one-node model
with onnx.helper, runs it in onnxruntime (all graph optimizations off) and prints inputs,
attributes and outputs as JSON for the Swift test to replay.

Control-flow cases may also give:
    "input_names": [str or ""]   names of the node's inputs (default in0, in1, ...; repeats
                                 allowed), for subgraphs that read a node input by name
    "scope": {name: np.ndarray}  further graph inputs the node's subgraphs read by name
Subgraph attributes are printed as {"type": "graph", "value": {"name", "nodes", "inputs",
"outputs", "initializers"}}, each node as {"name", "op", "domain", "inputs", "outputs",
"attrs"}, each value as {"name", "elem_type", "shape"}.
"""
import importlib.util
import json
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import helper, numpy_helper

DTYPES = {
    np.dtype("float32"): ("float", onnx.TensorProto.FLOAT),
    np.dtype("float16"): ("float16", onnx.TensorProto.FLOAT16),
    np.dtype("float64"): ("double", onnx.TensorProto.DOUBLE),
    np.dtype("int64"): ("int64", onnx.TensorProto.INT64),
    np.dtype("int32"): ("int32", onnx.TensorProto.INT32),
    np.dtype("int8"): ("int8", onnx.TensorProto.INT8),
    np.dtype("uint8"): ("uint8", onnx.TensorProto.UINT8),
    np.dtype("bool"): ("bool", onnx.TensorProto.BOOL),
}


def encode(array):
    name, _ = DTYPES[array.dtype]
    data = array.reshape(-1)
    if array.dtype == np.bool_:
        values = [bool(v) for v in data]
    elif array.dtype.kind == "f":
        values = [None if np.isnan(v) else (str(v) if np.isinf(v) else float(v)) for v in data.astype(np.float64)]
    else:
        values = [int(v) for v in data]
    return {"dtype": name, "shape": list(array.shape), "data": values}


def value_info_json(info):
    tensor = info.type.tensor_type
    has_type = info.type.HasField("tensor_type")
    shape = None
    if has_type and tensor.HasField("shape"):
        shape = [d.dim_value if d.HasField("dim_value") else None for d in tensor.shape.dim]
    return {"name": info.name, "elem_type": tensor.elem_type if has_type and tensor.elem_type else None, "shape": shape}


def graph_json(graph):
    return {
        "name": graph.name,
        "nodes": [
            {
                "name": node.name,
                "op": node.op_type,
                "domain": node.domain,
                "inputs": list(node.input),
                "outputs": list(node.output),
                "attrs": {a.name: proto_attribute_json(a) for a in node.attribute},
            }
            for node in graph.node
        ],
        "inputs": [value_info_json(v) for v in graph.input],
        "outputs": [value_info_json(v) for v in graph.output],
        "initializers": {t.name: encode(numpy_helper.to_array(t)) for t in graph.initializer},
    }


def proto_attribute_json(attribute):
    kind = onnx.AttributeProto
    if attribute.type == kind.FLOAT:
        return {"type": "float", "value": attribute.f}
    if attribute.type == kind.INT:
        return {"type": "int", "value": attribute.i}
    if attribute.type == kind.STRING:
        return {"type": "string", "value": attribute.s.decode()}
    if attribute.type == kind.TENSOR:
        return {"type": "tensor", "value": encode(numpy_helper.to_array(attribute.t))}
    if attribute.type == kind.GRAPH:
        return {"type": "graph", "value": graph_json(attribute.g)}
    if attribute.type == kind.FLOATS:
        return {"type": "floats", "value": list(attribute.floats)}
    if attribute.type == kind.INTS:
        return {"type": "ints", "value": list(attribute.ints)}
    if attribute.type == kind.STRINGS:
        return {"type": "strings", "value": [s.decode() for s in attribute.strings]}
    if attribute.type == kind.GRAPHS:
        return {"type": "graphs", "value": [graph_json(g) for g in attribute.graphs]}
    raise TypeError(f"unsupported attribute {attribute.name} of type {attribute.type}")


def attribute_json(value):
    if isinstance(value, onnx.GraphProto):
        return {"type": "graph", "value": graph_json(value)}
    if isinstance(value, bool):
        return {"type": "int", "value": int(value)}
    if isinstance(value, int):
        return {"type": "int", "value": value}
    if isinstance(value, float):
        return {"type": "float", "value": value}
    if isinstance(value, str):
        return {"type": "string", "value": value}
    if isinstance(value, np.ndarray):
        return {"type": "tensor", "value": encode(value)}
    if isinstance(value, (list, tuple)):
        if all(isinstance(v, int) for v in value):
            return {"type": "ints", "value": list(value)}
        if all(isinstance(v, (int, float)) for v in value):
            return {"type": "floats", "value": [float(v) for v in value]}
        return {"type": "strings", "value": list(value)}
    raise TypeError(f"unsupported attribute {value!r}")


def node_attribute(name, value):
    """Tensors go to onnx.helper as TensorProtos (a bare array would become INTS)."""
    if isinstance(value, np.ndarray):
        return numpy_helper.from_array(value, name=name)
    return value


def run_case(case):
    inputs = case["inputs"]
    names = case.get("input_names") or [f"in{i}" if x is not None else "" for i, x in enumerate(inputs)]
    outputs = [f"out{i}" for i in range(case.get("outputs", 1))]
    attrs = {k: node_attribute(k, v) for k, v in case.get("attrs", {}).items()}
    node = helper.make_node(case["op"], names, outputs, domain=case.get("domain", ""), **attrs)
    scope = case.get("scope", {})
    feeds = {}
    for n, x in list(zip(names, inputs)) + list(scope.items()):
        if x is not None and n:
            feeds[n] = x
    graph_inputs = [helper.make_tensor_value_info(n, DTYPES[x.dtype][1], x.shape) for n, x in feeds.items()]
    # Outputs carry only their names; onnxruntime infers their types.
    graph_outputs = [onnx.ValueInfoProto(name=o) for o in outputs]
    graph = helper.make_graph([node], case["name"], graph_inputs, graph_outputs)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", case.get("opset", 17))])
    model.ir_version = 8
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    options.log_severity_level = 3
    session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    results = session.run(outputs, feeds)
    extra = {}
    if "input_names" in case:
        extra["input_names"] = names
    if scope:
        extra["scope"] = {n: encode(x) for n, x in scope.items()}
    return extra | {
        "name": case["name"],
        "op": case["op"],
        "opset": case.get("opset", 17),
        "attrs": {k: attribute_json(v) for k, v in case.get("attrs", {}).items()},
        "inputs": [encode(x) if x is not None else None for x in inputs],
        "outputs": [encode(np.asarray(r)) for r in results],
        "tolerance": case.get("tolerance", 1e-5),
    }


def main():
    all_cases = []
    for path in sys.argv[1:]:
        spec = importlib.util.spec_from_file_location("cases", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        for c in module.cases():
            try:
                all_cases.append(run_case(c))
            except Exception as error:
                raise SystemExit(f"case {c['name']}: {error}")
    json.dump(all_cases, sys.stdout)


if __name__ == "__main__":
    main()
