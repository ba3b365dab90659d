"""to_fp16: float16 weights/activations, float32 I/O kept, block list honoured, checker-valid,
close to float32 on onnxruntime and OpenVINO, and the input model left untouched."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from builders import conv_bn_relu_model
from graph_builders import bn_overflow_model, ocr_model, ort_run, ov_run, text_input

from edgeweave.errors import ParameterError
from edgeweave.optimize.passes.base import PassContext, get_pass
from edgeweave.optimize.passes.graph import optimize_graph
from edgeweave.optimize.passes.precision import to_fp16

FP16 = onnx.TensorProto.FLOAT16
FP32 = onnx.TensorProto.FLOAT


def io_types(model: onnx.ModelProto) -> list[int]:
    return [v.type.tensor_type.elem_type for v in (*model.graph.input, *model.graph.output)]


def feeds(shape: tuple[int, ...], dtype: type = np.float32) -> dict[str, np.ndarray]:
    return {"x": np.random.default_rng(0).normal(0, 1, shape).astype(dtype)}


def test_to_fp16_converts_weights_and_keeps_fp32_io() -> None:
    model = conv_bn_relu_model(batch=1)
    frozen = model.SerializeToString()
    res = to_fp16(model, PassContext())
    assert model.SerializeToString() == frozen
    assert get_pass("to_fp16") is to_fp16
    assert io_types(res.model) == [FP32, FP32]
    assert all(t.data_type == FP16 for t in res.model.graph.initializer)
    assert res.details["casts_inserted"] == 2  # one after the input, one before the output
    assert res.details["initializer_bytes_after"] * 2 == res.details["initializer_bytes_before"]
    onnx.checker.check_model(res.model, full_check=True)
    x = feeds((1, 3, 16, 16))
    np.testing.assert_allclose(ort_run(res.model, x)[0], ort_run(model, x)[0],
                               rtol=1e-2, atol=1e-2)


def test_to_fp16_without_keep_io_types_has_fp16_io() -> None:
    model = conv_bn_relu_model(batch=1)
    res = to_fp16(model, PassContext(options={"to_fp16": {"keep_io_types": False}}))
    assert io_types(res.model) == [FP16, FP16]
    assert res.details["casts_inserted"] == 0
    onnx.checker.check_model(res.model, full_check=True)
    x = feeds((1, 3, 16, 16))
    got = ort_run(res.model, {"x": x["x"].astype(np.float16)})[0]
    np.testing.assert_allclose(got.astype(np.float32), ort_run(model, x)[0], rtol=1e-2, atol=1e-2)


def test_to_fp16_keeps_blocked_ops_in_fp32() -> None:
    model = conv_bn_relu_model(batch=1)
    res = to_fp16(model, PassContext(options={"to_fp16": {"keep_fp32_ops": ["Gemm"]}}))
    gemm = next(n for n in res.model.graph.node if n.op_type == "Gemm")
    producers = {o: n for n in res.model.graph.node for o in n.output}
    assert producers[gemm.input[0]].op_type == "Cast"  # fp16 activation cast up to fp32
    inits = {t.name: t for t in res.model.graph.initializer}
    assert inits[gemm.input[1]].data_type == FP32  # its weights stay fp32
    assert res.details["kept_fp32"] == {"Gemm": 1}
    onnx.checker.check_model(res.model, full_check=True)


def test_to_fp16_keeps_nodes_with_out_of_range_constants_in_fp32() -> None:
    model = bn_overflow_model()
    res = to_fp16(model, PassContext())
    assert res.details["kept_fp32_overflow"] == ["bn"]
    x = feeds((1, 3, 8, 8))
    want = ort_run(model, x)[0]
    np.testing.assert_allclose(ort_run(res.model, x)[0], want, rtol=1e-2,
                               atol=1e-2 * float(np.abs(want).max()))


@pytest.mark.parametrize("options", [{"keep_io_types": "yes"}, {"keep_io_types": ["nope"]},
                                     {"keep_fp32_ops": "Softmax"},
                                     {"keep_fp32_nodes": ["missing_node"]}])
def test_to_fp16_rejects_bad_options(options: dict[str, object]) -> None:
    with pytest.raises(ParameterError, match="to_fp16"):
        to_fp16(conv_bn_relu_model(batch=1), PassContext(options={"to_fp16": options}))


@pytest.fixture(scope="module")
def cls_fp16():  # type: ignore[no-untyped-def]
    found = ocr_model("cls")
    if found is None:
        pytest.skip("rapidocr-onnxruntime (PP-OCR models) is not installed")
    model, shape = found
    ctx = PassContext(shapes={"x": shape})
    return model, shape, to_fp16(optimize_graph(model, ctx).model, ctx)


def test_fp16_cls_is_valid_smaller_and_close_on_onnxruntime(cls_fp16) -> None:  # type: ignore[no-untyped-def]
    model, shape, res = cls_fp16
    onnx.checker.check_model(res.model, full_check=True)
    assert res.details["initializer_bytes_after"] < 0.51 * res.details["initializer_bytes_before"]
    x = {"x": text_input(shape)}
    want, got = ort_run(model, x)[0], ort_run(res.model, x)[0]
    np.testing.assert_allclose(got, want, rtol=1e-2, atol=5e-3)


def test_fp16_cls_runs_on_openvino(cls_fp16, tmp_path) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("openvino")
    model, shape, res = cls_fp16
    path = tmp_path / "cls_fp16.onnx"
    onnx.save(res.model, str(path))
    x = {"x": text_input(shape)}
    np.testing.assert_allclose(ov_run(path, x)[0], ort_run(model, x)[0], rtol=1e-2, atol=5e-3)


@pytest.mark.parametrize("key", ["det", "rec"])
def test_fp16_raw_ocr_models_stay_close(key: str) -> None:
    found = ocr_model(key)
    if found is None:
        pytest.skip("rapidocr-onnxruntime (PP-OCR models) is not installed")
    model, shape = found
    res = to_fp16(model, PassContext())  # straight from the exported model, BN included
    onnx.checker.check_model(res.model, full_check=True)
    x = {"x": text_input(shape)}
    want, got = ort_run(model, x)[0], ort_run(res.model, x)[0]
    error = np.abs(got - want)  # both output probabilities in [0, 1]
    if key == "det":  # a few pixels at text borders move most; the 0.3 mask barely changes
        assert error.max() < 0.1 and error.mean() < 1e-3
        assert ((got > 0.3) != (want > 0.3)).mean() < 1e-3
    else:
        assert error.max() < 2e-2
        np.testing.assert_array_equal(got.argmax(-1), want.argmax(-1))
