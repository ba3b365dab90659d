"""INT8 passes: valid models, the expected quantized ops, outputs close to float."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import pytest
from builders import conv_bn_relu_model
from quant_builders import PPOCR_CLS, cosine, ppocr_model, run_samples, two_input_model

from edgeweave.errors import CalibrationDataError, ParameterError
from edgeweave.models.loader import default_opset
from edgeweave.optimize.passes.base import PassContext
from edgeweave.optimize.passes.quantize import (
    prepare_float,
    quantize_dynamic,
    quantize_static,
    quantized_nodes,
)

SHAPES = {"x": (1, 3, 16, 16)}
RNG = np.random.default_rng(0)
CALIB = {"x": RNG.normal(size=(16, 1, 3, 16, 16)).astype(np.float32)}
EVAL = {"x": RNG.normal(size=(16, 1, 3, 16, 16)).astype(np.float32)}


def _ctx(**opts: object) -> PassContext:
    return PassContext(shapes=SHAPES, calibration=CALIB, options={"quantize_static": opts})


def _ops(model: onnx.ModelProto) -> set[str]:
    return {n.op_type for n in model.graph.node}


def _per_channel_dq(model: onnx.ModelProto) -> int:
    return sum(1 for n in model.graph.node if n.op_type == "DequantizeLinear"
               and any(a.name == "axis" for a in n.attribute))


def test_static_qdq_is_valid_and_close_to_float() -> None:
    model = conv_bn_relu_model()
    before = model.SerializeToString()
    res = quantize_static(model, _ctx())
    assert model.SerializeToString() == before, "the input model must not be mutated"
    onnx.checker.check_model(res.model, full_check=True)
    assert {"QuantizeLinear", "DequantizeLinear"} <= _ops(res.model)
    ref, got = run_samples(model, EVAL), run_samples(res.model, EVAL)
    assert cosine(got, ref) > 0.99
    assert (got.argmax(-1) == ref.argmax(-1)).mean() >= 0.9
    d = res.details
    assert d["method"] == "minmax" and d["per_channel"] is True and d["opset_upgrade"] is None
    assert d["activation_type"] == "QUInt8" and d["weight_type"] == "QInt8"
    assert d["nodes_quantized"] >= 2 and d["quantize_linear"] > 0 and d["exclude_nodes"] == []
    assert d["calibration_samples"] == 16 and d["preprocessed"] is True
    assert {m.domain for m in res.model.opset_import} == {""}, "unused opset imports dropped"
    json.dumps(res.summary())  # the report stores it as JSON


@pytest.mark.parametrize("method", ["minmax", "entropy", "percentile"])
def test_calibration_methods(method: str) -> None:
    res = quantize_static(conv_bn_relu_model(), _ctx(method=method))
    assert res.details["method"] == method
    assert cosine(run_samples(res.model, EVAL), run_samples(conv_bn_relu_model(), EVAL)) > 0.98


def test_opset_11_is_upgraded_first_for_per_channel() -> None:
    res = quantize_static(conv_bn_relu_model(opset=11), _ctx())
    assert res.details["opset_upgrade"]["from"] == 11 and res.details["opset_upgrade"]["to"] == 13
    assert default_opset(res.model) == 13 and _per_channel_dq(res.model) > 0
    onnx.checker.check_model(res.model, full_check=True)


def test_per_tensor_has_no_axis() -> None:
    res = quantize_static(conv_bn_relu_model(), _ctx(per_channel=False))
    assert _per_channel_dq(res.model) == 0 and res.details["per_channel"] is False


def test_exclude_nodes_stay_float() -> None:
    res = quantize_static(conv_bn_relu_model(), _ctx(exclude_nodes=["fc", "no_such_node"]))
    assert "fc" not in quantized_nodes(res.model) and "conv" in quantized_nodes(res.model)
    assert res.details["exclude_nodes"] == ["fc", "no_such_node"]
    assert res.details["exclude_not_found"] == ["no_such_node"]


def test_work_dir_is_used_and_left_clean(tmp_path: Path) -> None:
    ctx = _ctx()
    ctx.work_dir = tmp_path / "work"
    quantize_static(conv_bn_relu_model(), ctx)
    assert ctx.work_dir.is_dir() and not any(ctx.work_dir.iterdir())


def test_dynamic_uses_integer_ops() -> None:
    model = conv_bn_relu_model(opset=12)
    res = quantize_dynamic(model, PassContext())
    onnx.checker.check_model(res.model, full_check=True)
    assert "DynamicQuantizeLinear" in _ops(res.model)
    assert {"ConvInteger", "MatMulInteger"} & _ops(res.model)
    assert res.details["opset_upgrade"]["from"] == 12 and res.details["nodes_quantized"] >= 1
    json.dumps(res.summary())
    assert cosine(run_samples(res.model, EVAL), run_samples(model, EVAL)) > 0.99


@pytest.mark.parametrize(("opts", "match"), [
    ({"method": "kl"}, "bad method"), ({"weight_type": "int4"}, "bad weight_type"),
    ({"exclude_nodes": "conv"}, "list of names"), ({"per_chanel": True}, "unknown"),
    ({"per_channel": "no"}, "true or false"), ({"method": "percentile", "percentile": 5},
                                                 "percentile must be"),
])
def test_bad_options(opts: dict[str, object], match: str) -> None:
    with pytest.raises(ParameterError, match=match):
        quantize_static(conv_bn_relu_model(), _ctx(**opts))


@pytest.mark.parametrize(("calibration", "match"), [
    (None, "needs calibration samples"),
    ({"y": np.zeros((2, 1, 3, 16, 16), np.float32)}, "missing \\['x'\\]"),
    ({"x": np.zeros((2, 1, 3, 8, 8), np.float32)}, "\\(1, 3, 16, 16\\).*\\(2, 1, 3, 8, 8\\)"),
    ({"x": np.zeros((0, 1, 3, 16, 16), np.float32)}, "zero samples"),
])
def test_bad_calibration_data(calibration: dict[str, np.ndarray] | None, match: str) -> None:
    ctx = PassContext(shapes=SHAPES, calibration=calibration)
    with pytest.raises(CalibrationDataError, match=match):
        quantize_static(conv_bn_relu_model(), ctx)


def test_wrong_dtype_names_the_input() -> None:
    ctx = PassContext(calibration={"a": np.ones((2, 1, 4), np.float32),
                                   "ids": np.ones((2, 1, 3), np.float32)})
    with pytest.raises(CalibrationDataError, match="'ids' expects int64 but got float32"):
        quantize_static(two_input_model(), ctx)


def test_prepare_float_names_match_exclusions() -> None:
    prepared = prepare_float(conv_bn_relu_model(), PassContext())
    assert {"conv", "fc"} <= {n.name for n in prepared.graph.node}
    assert "BatchNormalization" not in _ops(prepared)  # folded into the conv


@pytest.fixture(scope="module")
def cls_static() -> tuple[onnx.ModelProto, onnx.ModelProto, dict[str, np.ndarray], dict]:
    path = ppocr_model(PPOCR_CLS)
    if path is None:
        pytest.skip("rapidocr_onnxruntime (PP-OCR models) is not installed")
    model = onnx.load(str(path))
    rng = np.random.default_rng(3)
    data = {"x": rng.uniform(-1, 1, (12, 1, 3, 48, 192)).astype(np.float32)}
    ctx = PassContext(shapes={"x": (1, 3, 48, 192)}, calibration={"x": data["x"][:8]})
    res = quantize_static(model, ctx)
    return model, res.model, {"x": data["x"][8:]}, res.details


def test_real_cls_per_channel_after_upgrade(cls_static) -> None:  # type: ignore[no-untyped-def]
    """Opset-11 PP-OCR cls: no 'Unrecognized attribute: axis for operator DequantizeLinear'."""
    model, quantized, held_out, details = cls_static
    assert default_opset(model) == 11 and default_opset(quantized) == 13
    assert details["opset_upgrade"]["from"] == 11 and details["preprocessed"] is True
    onnx.checker.check_model(quantized, full_check=True)
    assert _per_channel_dq(quantized) >= 50  # one per conv weight at least
    ref, got = run_samples(model, held_out), run_samples(quantized, held_out)
    assert np.abs(got - ref).max() < 0.1 and cosine(got, ref) > 0.99


def test_real_cls_runs_on_openvino(cls_static) -> None:  # type: ignore[no-untyped-def]
    ov = pytest.importorskip("openvino")
    model, quantized, held_out, _ = cls_static
    compiled = ov.Core().compile_model(ov.Core().read_model(quantized.SerializeToString()), "CPU")
    got = np.stack([compiled([x])[0] for x in held_out["x"]])
    assert cosine(got, run_samples(model, held_out)) > 0.99
