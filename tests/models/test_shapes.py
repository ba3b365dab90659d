import pytest
from builders import conv_bn_relu_model

from edgeweave.errors import ParameterError
from edgeweave.models.shapes import parse_shape, parse_shapes, resolve_input_shapes


@pytest.mark.parametrize(
    ("text", "expected"),
    [("x=1x3x224x224", ("x", (1, 3, 224, 224))), ("input.1 = 2,3,8,8", ("input.1", (2, 3, 8, 8))),
     ("ids=1x128", ("ids", (1, 128)))],
)
def test_parse_shape(text, expected):
    assert parse_shape(text) == expected


@pytest.mark.parametrize("text", ["x", "x=", "x=1x-3", "x=axb", "=1x3", "x=0x3"])
def test_bad_shape_strings_are_rejected_with_the_expected_format(text):
    with pytest.raises(ParameterError, match="NAME=|positive"):
        parse_shape(text)


def test_dynamic_batch_defaults_to_one():
    model = conv_bn_relu_model(batch="N", size=16)
    assert resolve_input_shapes(model) == {"x": (1, 3, 16, 16)}


def test_dynamic_spatial_dims_need_a_shape():
    model = conv_bn_relu_model(batch="N", size="H")
    with pytest.raises(ParameterError, match=r"(?s)dynamic dims .* --shape x="):
        resolve_input_shapes(model)
    assert resolve_input_shapes(model, parse_shapes(["x=2x3x32x32"])) == {"x": (2, 3, 32, 32)}


def test_shape_errors_name_the_input_and_the_problem():
    model = conv_bn_relu_model(batch="N", size=16)
    with pytest.raises(ParameterError, match=r"unknown input\(s\) \['y'\].*\['x'\]"):
        resolve_input_shapes(model, {"y": (1,)})
    with pytest.raises(ParameterError, match="rank 3 but the model declares rank 4"):
        resolve_input_shapes(model, {"x": (1, 3, 16)})
    with pytest.raises(ParameterError, match="sets dim 2 to 32 but the model fixes it to 16"):
        resolve_input_shapes(model, {"x": (1, 3, 32, 32)})
