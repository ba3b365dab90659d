"""Graph passes: structure produced, numerical equality on onnxruntime, the ONNX checker,
purity (the input model is never touched), and the real PP-OCR models."""

from __future__ import annotations

import json

import numpy as np
import onnx
import pytest
from builders import conv_bn_relu_model
from graph_builders import (
    constant_of_shape_model,
    conv_affine_model,
    identity_io_model,
    if_model,
    matmul_add_model,
    ocr_model,
    ort_run,
    ov_run,
    redundant_model,
    scale_chain_model,
    shape_chain_model,
    text_input,
)

from edgeweave.errors import ParameterError
from edgeweave.optimize.passes.base import PassContext, get_pass, op_counts
from edgeweave.optimize.passes.graph import (
    eliminate_dead,
    fold_constants,
    fuse_conv_bn,
    fuse_elementwise,
    fuse_matmul_add,
    optimize_graph,
    ort_fusions,
    static_shapes,
)

RTOL, ATOL = 1e-3, 1e-4
PORTABLE = [static_shapes, fold_constants, eliminate_dead, fuse_conv_bn, fuse_elementwise,
            fuse_matmul_add, optimize_graph]


def feeds_for(model: onnx.ModelProto, shape: tuple[int, ...] | None = None,
              seed: int = 0) -> dict[str, np.ndarray]:
    value = model.graph.input[0]
    dims = shape or tuple(d.dim_value or 1 for d in value.type.tensor_type.shape.dim)
    return {value.name: np.random.default_rng(seed).normal(0, 1, dims).astype(np.float32)}


def assert_same_outputs(before: onnx.ModelProto, after: onnx.ModelProto,
                        feeds: dict[str, np.ndarray]) -> None:
    for want, got in zip(ort_run(before, feeds), ort_run(after, feeds), strict=True):
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)


# ---------------------------------------------------------------- contract on tiny models
@pytest.mark.parametrize("fn", PORTABLE + [ort_fusions], ids=lambda f: f.__name__)
def test_pass_does_not_mutate_input_and_is_registered(fn) -> None:
    model = conv_bn_relu_model(batch=1)
    frozen = model.SerializeToString()
    ctx = PassContext(shapes={"x": (1, 3, 16, 16)})
    res = fn(model, ctx)
    assert model.SerializeToString() == frozen
    assert res.model is not model
    assert get_pass(res.name) is fn
    assert res.nodes_before == len(model.graph.node)
    assert res.nodes_after == len(res.model.graph.node)
    json.dumps(res.summary())  # the report stores it as JSON


@pytest.mark.parametrize("fn", PORTABLE, ids=lambda f: f.__name__)
def test_portable_pass_keeps_outputs_and_checks(fn) -> None:
    model = conv_affine_model(pads=0)
    res = fn(model, PassContext(shapes={"x": (1, 3, 8, 8)}))
    onnx.checker.check_model(res.model, full_check=True)
    assert_same_outputs(model, res.model, feeds_for(model))


# ---------------------------------------------------------------- fusions
def test_fuse_conv_bn_folds_batchnorm() -> None:
    model = conv_bn_relu_model(batch=1)
    res = fuse_conv_bn(model, PassContext())
    assert "BatchNormalization" not in op_counts(res.model)
    assert res.details["fused_conv_batchnormalization"] == 1
    conv = next(n for n in res.model.graph.node if n.op_type == "Conv")
    assert len(conv.input) == 3
    onnx.checker.check_model(res.model, full_check=True)
    assert_same_outputs(model, res.model, feeds_for(model))


def test_fuse_conv_bn_folds_per_channel_mul_add_div() -> None:
    model = conv_affine_model()
    res = fuse_conv_bn(model, PassContext())
    assert res.details["fused_conv_mul"] == 1
    assert res.details["fused_conv_add"] == 1
    assert res.details["fused_conv_div"] == 1
    assert op_counts(res.model) == {"Conv": 2, "Relu": 1, "Mul": 1, "Add": 1}
    assert_same_outputs(model, res.model, feeds_for(model))


def test_fuse_conv_bn_explains_shared_conv_output() -> None:
    model = conv_bn_relu_model(batch=1)
    extra = onnx.helper.make_tensor_value_info("c", onnx.TensorProto.FLOAT, None)
    model.graph.output.append(extra)  # the conv output is now read outside the BN too
    res = fuse_conv_bn(model, PassContext())
    assert "BatchNormalization" in op_counts(res.model)
    assert res.details["not_fused"]["conv output has other consumers"]["nodes"] == ["bn"]


def test_fuse_matmul_add_makes_gemm_for_2d_input() -> None:
    model = matmul_add_model(rank=2)
    res = fuse_matmul_add(model, PassContext())
    assert op_counts(res.model) == {"Gemm": 1}
    assert res.model.graph.node[0].output[0] == "y"
    onnx.checker.check_model(res.model, full_check=True)
    assert_same_outputs(model, res.model, feeds_for(model))


def test_fuse_matmul_add_leaves_3d_input_and_says_why() -> None:
    res = fuse_matmul_add(matmul_add_model(rank=3), PassContext())
    assert op_counts(res.model) == {"MatMul": 1, "Add": 1}
    assert res.details["fused_matmul_add"] == 0
    assert "rank 3" in next(iter(res.details["not_fused"]))


def test_fuse_elementwise_merges_constant_chains() -> None:
    model = scale_chain_model()
    res = fuse_elementwise(model, PassContext())
    assert op_counts(res.model) == {"Mul": 1, "Add": 1}
    assert res.details["merged_scale"] == 1 and res.details["merged_shift"] == 1
    onnx.checker.check_model(res.model, full_check=True)
    assert_same_outputs(model, res.model, feeds_for(model))


@pytest.mark.parametrize(("pads", "left"), [(0, {"Conv": 2, "Relu": 1}),
                                             (1, {"Conv": 2, "Relu": 1, "Mul": 1, "Add": 1})])
def test_input_affine_folds_into_unpadded_conv_only(pads: int, left: dict[str, int]) -> None:
    model = conv_affine_model(pads=pads)
    res = optimize_graph(model, PassContext())
    assert op_counts(res.model) == left
    if pads:
        reasons = res.details["passes"]["fuse_elementwise"]["not_fused"]
        assert "input offset cannot fold into a padded conv" in reasons
    assert_same_outputs(model, res.model, feeds_for(model))


# ---------------------------------------------------------------- folding, shapes, dead code
def test_static_shapes_then_fold_collapses_shape_chain() -> None:
    model = shape_chain_model()
    ctx = PassContext(shapes={"x": (1, 3, 4, 4)})
    shaped = static_shapes(model, ctx)
    assert shaped.details["fixed_inputs"]["x"] == {"from": ["N", 3, 4, 4], "to": [1, 3, 4, 4]}
    folded = fold_constants(shaped.model, ctx)
    assert op_counts(folded.model) == {"Reshape": 1, "MatMul": 1, "Add": 1}
    assert folded.details["folded_by_op"] == {"Concat": 1, "Gather": 1, "Shape": 1,
                                              "Unsqueeze": 1}
    best = optimize_graph(model, ctx)
    assert op_counts(best.model) == {"Reshape": 1, "Gemm": 1}
    dims = best.model.graph.output[0].type.tensor_type.shape.dim
    assert [d.dim_value for d in dims] == [1, 5]  # re-inferred once the chain is constant
    onnx.checker.check_model(best.model, full_check=True)
    assert_same_outputs(model, best.model, feeds_for(model, (1, 3, 4, 4)))


def test_fold_keeps_shape_chain_when_shapes_are_dynamic() -> None:
    model = shape_chain_model()
    res = optimize_graph(model, PassContext())
    assert "Shape" in op_counts(res.model)
    for batch in (1, 3):  # still dynamic: runs at any batch
        assert_same_outputs(model, res.model, feeds_for(model, (batch, 3, 4, 4)))


def test_fold_refuses_outputs_over_the_size_limit() -> None:
    model = constant_of_shape_model(side=40)
    limited = fold_constants(model, PassContext(options={"fold_constants": {"max_elements": 1000}}))
    assert "ConstantOfShape" in op_counts(limited.model)
    assert "output would exceed 1000 elements" in limited.details["not_folded"]
    folded = fold_constants(model, PassContext())
    assert op_counts(folded.model) == {"Add": 1}
    assert_same_outputs(model, folded.model, feeds_for(model))


def test_fold_rejects_bad_limit() -> None:
    with pytest.raises(ParameterError, match="max_elements"):
        fold_constants(shape_chain_model(), PassContext(options={"fold_constants":
                                                                  {"max_elements": 0}}))


def test_eliminate_dead_removes_pass_through_ops() -> None:
    model = redundant_model()
    res = eliminate_dead(model, PassContext())
    assert op_counts(res.model) == {"Relu": 1}
    relu = res.model.graph.node[0]
    assert list(relu.input) == ["x"] and list(relu.output) == ["y"]
    assert not res.model.graph.initializer
    for key in ("removed_identity", "removed_dropout", "removed_cast", "removed_neutral",
                "removed_same_shape", "removed_dead_nodes", "removed_initializers"):
        assert res.details[key] >= 1, key
    onnx.checker.check_model(res.model, full_check=True)
    assert_same_outputs(model, res.model, feeds_for(model))


def test_eliminate_dead_keeps_identity_between_graph_input_and_output() -> None:
    res = eliminate_dead(identity_io_model(), PassContext())
    assert op_counts(res.model) == {"Identity": 1}
    assert res.details["kept"]


def test_static_shapes_rejects_wrong_rank_and_unknown_input() -> None:
    with pytest.raises(ParameterError, match="rank"):
        static_shapes(shape_chain_model(), PassContext(shapes={"x": (1, 48)}))
    with pytest.raises(ParameterError, match="unknown input"):
        static_shapes(shape_chain_model(), PassContext(shapes={"image": (1, 3, 4, 4)}))


def test_optimize_graph_rejects_bad_rounds() -> None:
    with pytest.raises(ParameterError, match="max_rounds"):
        optimize_graph(redundant_model(), PassContext(options={"optimize_graph":
                                                               {"max_rounds": 0}}))


def test_ort_fusions_marks_result_onnxruntime_only() -> None:
    model = conv_bn_relu_model(batch=1)
    res = ort_fusions(model, PassContext())
    assert res.details["backends"] == ["onnxruntime"]
    assert res.nodes_after < res.nodes_before
    assert not any(t.data_location == onnx.TensorProto.EXTERNAL
                   for t in res.model.graph.initializer)
    assert_same_outputs(model, res.model, feeds_for(model))


# ---------------------------------------------------------------- real PP-OCR models
@pytest.fixture(scope="module")
def ocr() -> dict[str, tuple[onnx.ModelProto, tuple[int, ...], dict[str, np.ndarray]]]:
    models = {}
    for key in ("det", "rec", "cls"):
        found = ocr_model(key)
        if found is None:
            pytest.skip("rapidocr-onnxruntime (PP-OCR models) is not installed")
        model, shape = found
        models[key] = (model, shape, {"x": text_input(shape)})
    return models


@pytest.fixture(scope="module")
def optimized(ocr):  # type: ignore[no-untyped-def]
    return {key: optimize_graph(model, PassContext(shapes={"x": shape}))
            for key, (model, shape, _) in ocr.items()}


@pytest.mark.parametrize("key", ["det", "rec", "cls"])
def test_optimize_graph_on_real_models(key: str, ocr, optimized) -> None:  # type: ignore[no-untyped-def]
    model, shape, feeds = ocr[key]
    res = optimized[key]
    onnx.checker.check_model(res.model, full_check=True)
    assert res.nodes_after < 0.45 * res.nodes_before, (res.nodes_before, res.nodes_after)
    assert res.details["converged"]
    removed = sum(p.get("nodes_removed", 0) for p in res.details["passes"].values())
    assert removed == res.nodes_before - res.nodes_after
    dims = res.model.graph.output[0].type.tensor_type.shape.dim
    assert all(d.dim_value > 0 for d in dims)  # output shape is static now
    assert not any(n.domain for n in res.model.graph.node)  # still standard ONNX
    assert_same_outputs(model, res.model, feeds)


@pytest.mark.parametrize("fn", [fold_constants, eliminate_dead, fuse_conv_bn, fuse_elementwise,
                                fuse_matmul_add, static_shapes], ids=lambda f: f.__name__)
@pytest.mark.parametrize("key", ["det", "rec", "cls"])
def test_each_pass_on_real_models(key: str, fn, ocr) -> None:  # type: ignore[no-untyped-def]
    model, shape, feeds = ocr[key]
    res = fn(model, PassContext(shapes={"x": shape}))
    onnx.checker.check_model(res.model, full_check=True)
    assert res.nodes_after <= res.nodes_before
    if fn is not static_shapes and fn is not eliminate_dead:
        assert res.nodes_after < 0.7 * res.nodes_before  # Constant nodes alone are ~half
    assert_same_outputs(model, res.model, feeds)


def test_fuse_conv_bn_leaves_no_batchnorm_in_cls(ocr) -> None:  # type: ignore[no-untyped-def]
    model, _, feeds = ocr["cls"]
    res = fuse_conv_bn(model, PassContext())
    assert op_counts(model)["BatchNormalization"] == 35
    assert "BatchNormalization" not in op_counts(res.model)
    assert res.details["fused_conv_batchnormalization"] == 35
    assert_same_outputs(model, res.model, feeds)


@pytest.mark.parametrize("key", ["det", "rec", "cls"])
def test_ort_fusions_on_real_models(key: str, ocr) -> None:  # type: ignore[no-untyped-def]
    model, shape, feeds = ocr[key]
    res = ort_fusions(model, PassContext())
    assert res.nodes_after < res.nodes_before
    assert res.details["contrib_ops"]  # FusedConv at least
    assert_same_outputs(model, res.model, feeds)


def test_optimized_cls_runs_on_openvino(ocr, optimized, tmp_path) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("openvino")
    model, _, feeds = ocr["cls"]
    path = tmp_path / "cls_opt.onnx"
    onnx.save(optimized["cls"].model, str(path))
    want = ort_run(model, feeds)[0]
    got = ov_run(path, feeds)[0]
    np.testing.assert_allclose(got, want, rtol=1e-3, atol=1e-4)


def test_passes_respect_names_read_inside_subgraphs() -> None:
    model = if_model()
    res = optimize_graph(model, PassContext())
    assert "Identity" not in op_counts(res.model)  # bypassed, also inside the branches
    assert "k" in {t.name for t in res.model.graph.initializer}  # read only by a branch
    onnx.checker.check_model(res.model, full_check=True)
    for sign in (1.0, -1.0):
        x = {"x": np.full((2, 3), sign, np.float32)}
        np.testing.assert_allclose(ort_run(res.model, x)[0], ort_run(model, x)[0])
