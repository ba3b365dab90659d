"""Tiny ONNX graphs for the INT8, opset and calibration tests (built with onnx.helper)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import onnx
from graph_builders import ort_run as run  # noqa: F401  (re-exported for the tests)
from onnx import TensorProto, helper, numpy_helper


def outlier_model(seed: int = 0, outlier: float = 500.0) -> onnx.ModelProto:
    """conv1 -> conv2 (1x1) -> GlobalAveragePool -> Flatten -> Gemm, built to break INT8.

    conv1's channel 0 is ``outlier`` times larger than the others, but conv2 ignores it, so
    the output depends only on the small channels. Per-tensor INT8 on conv1's output spends
    its 256 levels on channel 0 and rounds the small channels to zero: the output collapses
    unless conv1 and conv2 stay in float.
    """
    rng = np.random.default_rng(seed)
    w1 = rng.normal(0, 0.5, (8, 3, 3, 3)).astype(np.float32)
    w1[0] *= outlier
    w2 = rng.normal(0, 0.5, (8, 8, 1, 1)).astype(np.float32)
    w2[:, 0] = 0.0
    fc = rng.normal(0, 0.5, (8, 10)).astype(np.float32)
    nodes = [
        helper.make_node("Conv", ["x", "w1"], ["c1"], pads=[1, 1, 1, 1], name="conv1"),
        helper.make_node("Conv", ["c1", "w2"], ["c2"], name="conv2"),
        helper.make_node("GlobalAveragePool", ["c2"], ["g"], name="gap"),
        helper.make_node("Flatten", ["g"], ["f"], name="flatten"),
        helper.make_node("Gemm", ["f", "fc_w"], ["logits"], name="fc"),
    ]
    graph = helper.make_graph(
        nodes, "outlier",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 10])],
        [numpy_helper.from_array(w1, "w1"), numpy_helper.from_array(w2, "w2"),
         numpy_helper.from_array(fc, "fc_w")],
    )
    return _finish(graph, 13)


def upsample_model(op: str = "Upsample", opset: int = 9, mode: str = "linear") -> onnx.ModelProto:
    """x[1,2,4,4] -> Upsample/Resize x2 (pre-opset-11 semantics) -> Relu."""
    scales = numpy_helper.from_array(np.array([1, 1, 2, 2], np.float32), "scales")
    nodes = [helper.make_node(op, ["x", "scales"], ["u"], mode=mode, name="up"),
             helper.make_node("Relu", ["u"], ["y"], name="relu")]
    graph = helper.make_graph(
        nodes, "upsample",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 4, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2, 8, 8])], [scales])
    return _finish(graph, opset, ir_version=5)


def two_input_model() -> onnx.ModelProto:
    """a[1,4] float and ids[1,3] int64 -> Gather + ReduceSum + Add: for multi-input data tests."""
    table = numpy_helper.from_array(np.arange(40, dtype=np.float32).reshape(10, 4), "table")
    nodes = [
        helper.make_node("Gather", ["table", "ids"], ["rows"], axis=0, name="gather"),
        helper.make_node("ReduceSum", ["rows"], ["s"], axes=[1], keepdims=0, name="sum"),
        helper.make_node("Add", ["a", "s"], ["y"], name="add"),
    ]
    graph = helper.make_graph(
        nodes, "two_inputs",
        [helper.make_tensor_value_info("a", TensorProto.FLOAT, [1, 4]),
         helper.make_tensor_value_info("ids", TensorProto.INT64, [1, 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])], [table])
    return _finish(graph, 12)


def _finish(graph: onnx.GraphProto, opset: int, ir_version: int = 7) -> onnx.ModelProto:
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = ir_version
    onnx.checker.check_model(model)
    return model


def ppocr_model(name: str) -> Path | None:
    """Path of a PP-OCR model shipped in rapidocr_onnxruntime, or None if not installed."""
    spec = importlib.util.find_spec("rapidocr_onnxruntime")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "models" / name
    return path if path.exists() else None


PPOCR_CLS = "ch_ppocr_mobile_v2.0_cls_infer.onnx"
PPOCR_DET = "ch_PP-OCRv4_det_infer.onnx"
PPOCR_REC = "ch_PP-OCRv4_rec_infer.onnx"


def run_samples(model: onnx.ModelProto, samples: dict[str, np.ndarray]) -> np.ndarray:
    """First output for every sample (axis 0 = sample), stacked."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    session = ort.InferenceSession(model.SerializeToString(), options,
                                   providers=["CPUExecutionProvider"])
    count = next(iter(samples.values())).shape[0]
    return np.stack([session.run(None, {k: v[i] for k, v in samples.items()})[0]
                     for i in range(count)])


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    """Mean per-sample cosine similarity (0 where either vector is all zeros)."""
    a, b = a.reshape(a.shape[0], -1), b.reshape(b.shape[0], -1)
    norms = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
    sims = np.where(norms > 0, (a * b).sum(axis=1) / np.maximum(norms, 1e-30), 0.0)
    return float(sims.mean())
