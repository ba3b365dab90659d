import onnx
import pytest
from builders import conv_bn_relu_model, save

from edgeweave.errors import InvalidModelError, UnsupportedModelError
from edgeweave.models import inspect_model, load_model


def test_inspect_reports_io_ops_params_and_flops(tmp_path):
    path = save(conv_bn_relu_model(size=16), tmp_path / "m.onnx")
    art = inspect_model(path, {"x": (1, 3, 16, 16)})
    assert [(t.name, t.dims, t.dtype) for t in art.inputs] == [("x", ["N", 3, 16, 16], "float32")]
    assert art.inputs[0].is_dynamic
    assert art.outputs[0].dims == ["N", 10]
    assert art.opset == 13
    assert art.op_counts["Conv"] == 1 and art.nodes == 6
    assert art.params == 8 * 3 * 3 * 3 + 8 + 4 * 8 + 8 * 10 + 10
    conv = 2 * (8 * 16 * 16) * (3 * 3 * 3)
    gemm = 2 * 10 * 8
    elementwise = 8 * 16 * 16 * 2 + 8  # BN, Relu, GlobalAveragePool output
    assert art.flops == conv + gemm + elementwise
    assert art.size_bytes == (tmp_path / "m.onnx").stat().st_size
    assert len(art.sha256) == 64


def test_flops_scale_with_the_input_shape(tmp_path):
    path = save(conv_bn_relu_model(size="H"), tmp_path / "m.onnx")
    small = inspect_model(path, {"x": (1, 3, 16, 16)}).flops
    big = inspect_model(path, {"x": (1, 3, 32, 32)}).flops
    assert small and big and 3.9 < big / small < 4.1


@pytest.mark.parametrize(
    ("content", "match"),
    [(b"", "empty"), (b"this is not a protobuf at all \xff\xfe", "not a readable ONNX model"),
     (b"\x08\x07", "no graph nodes")],
)
def test_bad_files_are_refused_with_the_reason(tmp_path, content, match):
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(content)
    with pytest.raises(InvalidModelError, match=match):
        load_model(bad)


def test_truncated_model_is_refused(tmp_path):
    data = conv_bn_relu_model().SerializeToString()
    bad = tmp_path / "truncated.onnx"
    bad.write_bytes(data[: len(data) // 2])
    with pytest.raises(InvalidModelError, match="truncated|not a readable|checker|no graph"):
        load_model(bad)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(InvalidModelError, match="not found"):
        load_model(tmp_path / "nope.onnx")
    with pytest.raises(InvalidModelError, match="directory"):
        load_model(tmp_path)


def test_unsupported_opsets(tmp_path):
    model = conv_bn_relu_model()
    model.opset_import[0].version = 5
    with pytest.raises(UnsupportedModelError, match="opset 5"):
        load_model(save(model, tmp_path / "old.onnx"))
    model.opset_import[0].version = onnx.defs.onnx_opset_version() + 5
    with pytest.raises(UnsupportedModelError, match="newer than this onnx"):
        load_model(save(model, tmp_path / "new.onnx"))


def test_structurally_broken_model_fails_the_checker(tmp_path):
    model = conv_bn_relu_model()
    model.graph.node[1].input[0] = "does_not_exist"
    with pytest.raises(InvalidModelError, match="ONNX checker"):
        load_model(save(model, tmp_path / "broken.onnx"))
