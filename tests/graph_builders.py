"""Tiny ONNX graphs for the graph/precision pass tests, plus helpers to run models and to
fetch the real PP-OCR models that rapidocr-onnxruntime ships."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

FLOAT = TensorProto.FLOAT
OCR_MODELS = {
    "det": ("ch_PP-OCRv4_det_infer.onnx", (1, 3, 320, 320)),
    "rec": ("ch_PP-OCRv4_rec_infer.onnx", (1, 3, 48, 320)),
    "cls": ("ch_ppocr_mobile_v2.0_cls_infer.onnx", (1, 3, 48, 192)),
}


def make(nodes: list[onnx.NodeProto], inputs: list[onnx.ValueInfoProto],
         outputs: list[onnx.ValueInfoProto], inits: dict[str, np.ndarray] | None = None,
         opset: int = 13) -> onnx.ModelProto:
    """A checked model from nodes, I/O value infos and numpy initializers."""
    tensors = [numpy_helper.from_array(v, k) for k, v in (inits or {}).items()]
    graph = helper.make_graph(nodes, "test", inputs, outputs, tensors)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    return model


def vi(name: str, shape: list[int | str], elem: int = FLOAT) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(name, elem, shape)


def shape_chain_model() -> onnx.ModelProto:
    """x[N,3,4,4] -> Reshape(x, Concat(Unsqueeze(Gather(Shape(x), 0)), [-1])) -> MatMul + Add.

    The Shape/Gather/Unsqueeze/Concat chain is what exporters emit for ``x.view(x.size(0),
    -1)``; with a static batch it folds to a constant and the MatMul input becomes 2-D.
    """
    rng = np.random.default_rng(1)
    nodes = [
        helper.make_node("Shape", ["x"], ["s"], name="shape"),
        helper.make_node("Gather", ["s", "zero"], ["n"], axis=0, name="gather"),
        helper.make_node("Unsqueeze", ["n", "axes0"], ["n1"], name="unsqueeze"),
        helper.make_node("Concat", ["n1", "minus1"], ["target"], axis=0, name="concat"),
        helper.make_node("Reshape", ["x", "target"], ["flat"], name="reshape"),
        helper.make_node("MatMul", ["flat", "w"], ["mm"], name="matmul"),
        helper.make_node("Add", ["mm", "b"], ["y"], name="add"),
    ]
    inits = {"zero": np.array(0, np.int64), "axes0": np.array([0], np.int64),
             "minus1": np.array([-1], np.int64),
             "w": rng.normal(0, 0.2, (48, 5)).astype(np.float32),
             "b": rng.normal(0, 0.1, 5).astype(np.float32)}
    return make(nodes, [vi("x", ["N", 3, 4, 4])], [vi("y", ["N", 5])], inits)


def matmul_add_model(rank: int = 2) -> onnx.ModelProto:
    """x[2,(3,)8] @ W[8,4] + b[4]."""
    rng = np.random.default_rng(2)
    shape = [2, 8] if rank == 2 else [2, 3, 8]
    nodes = [helper.make_node("MatMul", ["x", "w"], ["mm"], name="matmul"),
             helper.make_node("Add", ["mm", "b"], ["y"], name="add")]
    inits = {"w": rng.normal(0, 0.3, (8, 4)).astype(np.float32),
             "b": rng.normal(0, 0.1, 4).astype(np.float32)}
    return make(nodes, [vi("x", shape)], [vi("y", [*shape[:-1], 4])], inits)


def redundant_model() -> onnx.ModelProto:
    """Pass-through ops around one Relu, a dead Sigmoid branch and an unused initializer."""
    nodes = [
        helper.make_node("Identity", ["x"], ["i1"], name="identity_in"),
        helper.make_node("Transpose", ["i1"], ["t1"], perm=[0, 2, 1], name="t1"),
        helper.make_node("Transpose", ["t1"], ["t2"], perm=[0, 2, 1], name="t2"),
        helper.make_node("Cast", ["t2"], ["c"], to=FLOAT, name="cast_same"),
        helper.make_node("Dropout", ["c"], ["d"], name="dropout"),
        helper.make_node("Reshape", ["d", "same_shape"], ["r"], name="reshape_same"),
        helper.make_node("Mul", ["r", "one"], ["m"], name="mul_one"),
        helper.make_node("Relu", ["m"], ["relu"], name="relu"),
        helper.make_node("Identity", ["relu"], ["y"], name="identity_out"),
        helper.make_node("Sigmoid", ["x"], ["dead"], name="dead_sigmoid"),
    ]
    inits = {"same_shape": np.array([1, 4, 6], np.int64), "one": np.ones(1, np.float32),
             "unused": np.zeros(10, np.float32)}
    return make(nodes, [vi("x", [1, 4, 6])], [vi("y", [1, 4, 6])], inits)


def identity_io_model() -> onnx.ModelProto:
    """y = Identity(x): the Identity must stay, it gives the output its own name."""
    return make([helper.make_node("Identity", ["x"], ["y"], name="id")],
                [vi("x", [2, 3])], [vi("y", [2, 3])])


def conv_affine_model(pads: int = 0, seed: int = 3) -> onnx.ModelProto:
    """Conv -> Mul/Add/Div per-channel -> Relu -> x*0.5+0.1 -> Conv(pads) -> y."""
    rng = np.random.default_rng(seed)
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], pads=[1] * 4, name="conv1"),
        helper.make_node("Mul", ["ch_scale", "c1"], ["m1"], name="mul_channel"),
        helper.make_node("Add", ["m1", "ch_shift"], ["a1"], name="add_channel"),
        helper.make_node("Div", ["a1", "two"], ["d1"], name="div_scalar"),
        helper.make_node("Relu", ["d1"], ["r1"], name="relu"),
        helper.make_node("Mul", ["r1", "half"], ["m2"], name="affine_scale"),
        helper.make_node("Add", ["m2", "tenth"], ["a2"], name="affine_shift"),
        helper.make_node("Conv", ["a2", "w2", "b2"], ["y"], pads=[pads] * 4, name="conv2"),
    ]
    inits = {
        "w1": rng.normal(0, 0.3, (8, 3, 3, 3)).astype(np.float32),
        "b1": rng.normal(0, 0.1, 8).astype(np.float32),
        "ch_scale": rng.uniform(0.5, 1.5, (1, 8, 1, 1)).astype(np.float32),
        "ch_shift": rng.normal(0, 0.1, (8, 1, 1)).astype(np.float32),
        "two": np.array(2.0, np.float32), "half": np.array([0.5], np.float32),
        "tenth": np.array([0.1], np.float32),
        "w2": rng.normal(0, 0.3, (4, 8, 1, 1)).astype(np.float32),
        "b2": rng.normal(0, 0.1, 4).astype(np.float32),
    }
    out = 8 + 2 * pads
    return make(nodes, [vi("x", [1, 3, 8, 8])], [vi("y", [1, 4, out, out])], inits)


def scale_chain_model() -> onnx.ModelProto:
    """y = ((x / 6) * s + a) - b: one Mul and one Add are enough."""
    nodes = [helper.make_node("Div", ["x", "six"], ["d"], name="div"),
             helper.make_node("Mul", ["s", "d"], ["m"], name="mul"),
             helper.make_node("Add", ["m", "a"], ["p"], name="add"),
             helper.make_node("Sub", ["p", "b"], ["y"], name="sub")]
    inits = {"six": np.array(6.0, np.float32), "s": np.array([1.5], np.float32),
             "a": np.array([0.25], np.float32), "b": np.full((1, 4), 0.5, np.float32)}
    return make(nodes, [vi("x", [2, 4])], [vi("y", [2, 4])], inits)


def constant_of_shape_model(side: int = 40) -> onnx.ModelProto:
    """y = x + ConstantOfShape([side, side]): the constant may be too big to fold."""
    nodes = [helper.make_node("ConstantOfShape", ["dims"], ["big"],
                              value=helper.make_tensor("v", FLOAT, [1], [1.0]), name="cos"),
             helper.make_node("Add", ["x", "big"], ["y"], name="add")]
    inits = {"dims": np.array([side, side], np.int64)}
    return make(nodes, [vi("x", [side, side])], [vi("y", [side, side])], inits)


def bn_overflow_model() -> onnx.ModelProto:
    """Conv -> BatchNormalization whose variance (1e7) does not fit in float16."""
    rng = np.random.default_rng(4)
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"], pads=[1] * 4, name="conv"),
             helper.make_node("BatchNormalization", ["c", "g", "beta", "mean", "var"], ["y"],
                              name="bn")]
    inits = {"w": rng.normal(0, 300, (4, 3, 3, 3)).astype(np.float32),
             "g": np.ones(4, np.float32), "beta": np.zeros(4, np.float32),
             "mean": np.zeros(4, np.float32), "var": np.full(4, 1e7, np.float32)}
    return make(nodes, [vi("x", [1, 3, 8, 8])], [vi("y", [1, 4, 8, 8])], inits)


def ocr_model(key: str) -> tuple[onnx.ModelProto, tuple[int, ...]] | None:
    """A real PP-OCR model from rapidocr-onnxruntime and its test shape, or None."""
    spec = importlib.util.find_spec("rapidocr_onnxruntime")
    if spec is None or spec.origin is None:
        return None
    name, shape = OCR_MODELS[key]
    path = Path(spec.origin).parent / "models" / name
    return (onnx.load(str(path)), shape) if path.exists() else None


def text_input(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    """A PP-OCR-normalised NCHW tensor of dark text lines on a light background.

    Real-looking input keeps activations in their trained ranges (random noise drives
    the detector to all-zero maps, which hides numerical errors).
    """
    from PIL import Image, ImageDraw

    _, _, height, width = shape
    rng = np.random.default_rng(seed)
    img = Image.new("RGB", (width, height), (235, 235, 230))
    draw = ImageDraw.Draw(img)
    for top in range(4, height - 10, 24):
        text = "".join(rng.choice(list("EDGEWEAVE edgeweave 0123456789"), 24))
        draw.text((6, top), text, fill=(20, 20, 30))
    pixels = np.asarray(img, dtype=np.float32) / 255.0
    chw = ((pixels - 0.5) / 0.5).transpose(2, 0, 1)
    return np.ascontiguousarray(chw[None]).astype(np.float32)


def ort_run(model: onnx.ModelProto, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    session = ort.InferenceSession(model.SerializeToString(), options,
                                   providers=["CPUExecutionProvider"])
    return session.run(None, feeds)


def ov_run(path: Path, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
    """Run on OpenVINO CPU in float32 (its default on AVX512-BF16 machines is bf16)."""
    import openvino as ov

    compiled = ov.Core().compile_model(str(path), "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    results = compiled(feeds)
    return [np.array(results[out]) for out in compiled.outputs]


def if_model() -> onnx.ModelProto:
    """Branches of an If read main-graph tensors (an Identity output and a Constant)."""
    then_graph = helper.make_graph(
        [helper.make_node("Add", ["i", "k"], ["t"], name="then_add")], "then", [],
        [vi("t", [2, 3])])
    else_graph = helper.make_graph(
        [helper.make_node("Neg", ["i"], ["e"], name="else_neg")], "else", [], [vi("e", [2, 3])])
    nodes = [
        helper.make_node("Identity", ["x"], ["i"], name="identity"),
        helper.make_node("Constant", [], ["k"], name="k",
                         value=numpy_helper.from_array(np.full((2, 3), 2.0, np.float32))),
        helper.make_node("ReduceSum", ["x"], ["total"], keepdims=0, name="sum"),
        helper.make_node("Greater", ["total", "zero"], ["cond"], name="greater"),
        helper.make_node("If", ["cond"], ["y"], then_branch=then_graph,
                         else_branch=else_graph, name="if"),
    ]
    return make(nodes, [vi("x", [2, 3])], [vi("y", [2, 3])],
                {"zero": np.array(0.0, np.float32)})
