"""upgrade_opset: valid, numerically identical models at the new opset, never a downgrade."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from builders import conv_bn_relu_model
from onnx import TensorProto, helper
from quant_builders import PPOCR_CLS, PPOCR_DET, PPOCR_REC, ppocr_model, run, upsample_model

from edgeweave.errors import ParameterError, UnsupportedModelError
from edgeweave.models.loader import default_opset
from edgeweave.optimize.passes.base import PassContext
from edgeweave.optimize.passes.opset import name_nodes, upgrade_opset


def _ctx(target: object = 13) -> PassContext:
    return PassContext(options={"upgrade_opset": {"target": target}})


def test_upgrades_tiny_model_and_keeps_outputs() -> None:
    model = conv_bn_relu_model(opset=11)
    before = model.SerializeToString()
    res = upgrade_opset(model, PassContext())
    assert model.SerializeToString() == before, "the input model must not be mutated"
    assert default_opset(res.model) == 13
    assert res.details["opset_from"] == 11 and res.details["opset_to"] == 13 and res.changed
    onnx.checker.check_model(res.model, full_check=True)
    x = np.random.default_rng(0).normal(size=(2, 3, 16, 16)).astype(np.float32)
    np.testing.assert_array_equal(run(model, {"x": x})[0], run(res.model, {"x": x})[0])


def test_never_downgrades() -> None:
    model = conv_bn_relu_model(opset=17)
    res = upgrade_opset(model, _ctx(13))
    assert default_opset(res.model) == 17
    assert not res.changed and "never downgraded" in res.details["skipped"]
    assert res.model is not model


@pytest.mark.parametrize("target", [0, "13", 13.0, True, 10_000])
def test_bad_target_is_a_parameter_error(target: object) -> None:
    with pytest.raises(ParameterError, match="target must be an integer opset"):
        upgrade_opset(conv_bn_relu_model(opset=11), _ctx(target))


@pytest.mark.parametrize(("op", "opset", "mode"), [("Upsample", 9, "linear"),
                                                    ("Upsample", 9, "nearest"),
                                                    ("Resize", 10, "linear")])
def test_old_resize_semantics_survive_the_upgrade(op: str, opset: int, mode: str) -> None:
    """The converter alone turns these into half_pixel Resize-13, which shifts linear output."""
    model = upsample_model(op, opset, mode)
    res = upgrade_opset(model, PassContext())
    resize = next(n for n in res.model.graph.node if n.op_type == "Resize")
    attrs = {a.name: helper.get_attribute_value(a) for a in resize.attribute}
    assert attrs["coordinate_transformation_mode"] == b"asymmetric"
    assert res.details["repairs"]["resize_semantics_pinned"] == 1
    x = np.random.default_rng(0).random((1, 2, 4, 4), dtype=np.float32)
    np.testing.assert_allclose(run(res.model, {"x": x})[0], run(model, {"x": x})[0], atol=1e-6)


def test_ir_version_is_raised_for_the_new_opset() -> None:
    model = conv_bn_relu_model(opset=11)
    model.ir_version = 6
    res = upgrade_opset(model, _ctx(15))
    assert res.model.ir_version >= 8 and res.details["repairs"]["ir_version_raised"] == 1
    onnx.checker.check_model(res.model, full_check=True)


def test_unconvertible_op_names_the_op() -> None:
    node = helper.make_node("ImageScaler", ["x"], ["y"], scale=2.0)
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info(
        "x", TensorProto.FLOAT, [1, 1, 2, 2])], [helper.make_tensor_value_info(
            "y", TensorProto.FLOAT, [1, 1, 2, 2])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 7)])
    with pytest.raises(UnsupportedModelError, match="ImageScaler") as err:
        upgrade_opset(model, PassContext())
    assert "re-export" in err.value.hint


def test_name_nodes_makes_names_unique_and_deterministic() -> None:
    model = conv_bn_relu_model()
    model.graph.node[1].name = ""
    model.graph.node[2].name = "conv"  # duplicate of node 0
    first, second = onnx.ModelProto(), onnx.ModelProto()
    first.CopyFrom(model)
    second.CopyFrom(model)
    assert name_nodes(first) == 2 and name_nodes(second) == 2
    names = [n.name for n in first.graph.node]
    assert len(set(names)) == len(names) and names[0] == "conv"
    assert names == [n.name for n in second.graph.node]


@pytest.mark.parametrize(("name", "shape"), [(PPOCR_CLS, (1, 3, 48, 192)),
                                             (PPOCR_DET, (1, 3, 160, 160)),
                                             (PPOCR_REC, (1, 3, 48, 160))])
def test_real_ppocr_models_upgrade_to_identical_outputs(name: str, shape: tuple[int, ...]
                                                        ) -> None:
    path = ppocr_model(name)
    if path is None:
        pytest.skip("rapidocr_onnxruntime (PP-OCR models) is not installed")
    model = onnx.load(str(path))
    assert default_opset(model) in (11, 12)
    res = upgrade_opset(model, PassContext())
    assert default_opset(res.model) == 13
    onnx.checker.check_model(res.model, full_check=True)
    names = [n.name for n in res.model.graph.node]
    assert all(names) and len(set(names)) == len(names)
    x = np.random.default_rng(0).uniform(-1, 1, shape).astype(np.float32)
    for got, want in zip(run(res.model, {"x": x}), run(model, {"x": x}), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
