"""Tiny ONNX graphs built with onnx.helper, for unit tests (real models are in the zoo)."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def conv_bn_relu_model(opset: int = 13, batch: int | str = "N", size: int | str = 16,
                       seed: int = 0) -> onnx.ModelProto:
    """Conv -> BatchNormalization -> Relu -> GlobalAveragePool -> Flatten -> Gemm (10 classes)."""
    rng = np.random.default_rng(seed)
    w = rng.normal(0, 0.3, (8, 3, 3, 3)).astype(np.float32)
    b = rng.normal(0, 0.1, 8).astype(np.float32)
    inits = [
        numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b"),
        numpy_helper.from_array(rng.uniform(0.5, 1.5, 8).astype(np.float32), "scale"),
        numpy_helper.from_array(rng.normal(0, 0.1, 8).astype(np.float32), "bias"),
        numpy_helper.from_array(rng.normal(0, 0.1, 8).astype(np.float32), "mean"),
        numpy_helper.from_array(rng.uniform(0.5, 1.5, 8).astype(np.float32), "var"),
        numpy_helper.from_array(rng.normal(0, 0.3, (8, 10)).astype(np.float32), "fc_w"),
        numpy_helper.from_array(rng.normal(0, 0.1, 10).astype(np.float32), "fc_b"),
    ]
    nodes = [
        helper.make_node("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1], name="conv"),
        helper.make_node("BatchNormalization", ["c", "scale", "bias", "mean", "var"], ["bn"],
                         name="bn"),
        helper.make_node("Relu", ["bn"], ["r"], name="relu"),
        helper.make_node("GlobalAveragePool", ["r"], ["g"], name="gap"),
        helper.make_node("Flatten", ["g"], ["f"], name="flatten"),
        helper.make_node("Gemm", ["f", "fc_w", "fc_b"], ["logits"], name="fc"),
    ]
    graph = helper.make_graph(
        nodes, "conv_bn_relu",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [batch, 3, size, size])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [batch, 10])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def save(model: onnx.ModelProto, path) -> str:  # type: ignore[no-untyped-def]
    onnx.save(model, str(path))
    return str(path)
