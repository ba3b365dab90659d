"""Loading calibration/eval samples: npy, npz, image folders, preprocessing, splitting."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from builders import conv_bn_relu_model
from PIL import Image
from quant_builders import two_input_model

from edgeweave.errors import CalibrationDataError, ParameterError
from edgeweave.optimize.calibration import (
    CalibrationSet,
    PreprocessSpec,
    load_samples,
    parse_preprocess,
    split_samples,
    validate_samples,
)

SHAPES = {"x": (1, 3, 16, 16)}


def _npy(tmp_path: Path, arr: np.ndarray) -> Path:
    np.save(tmp_path / "data.npy", arr)
    return tmp_path / "data.npy"


@pytest.mark.parametrize("shape", [(5, 3, 16, 16), (5, 1, 3, 16, 16)])
def test_npy_with_or_without_batch_axis(tmp_path: Path, shape: tuple[int, ...]) -> None:
    arr = np.random.default_rng(0).random(shape, dtype=np.float32)
    cset = load_samples(_npy(tmp_path, arr), conv_bn_relu_model(), SHAPES)
    assert cset.samples["x"].shape == (5, 1, 3, 16, 16) and cset.num_samples == 5
    np.testing.assert_array_equal(cset.samples["x"].reshape(shape), arr)
    assert cset.labels is None and cset.source.endswith("data.npy")


def test_dynamic_batch_without_shapes_uses_samples_as_given(tmp_path: Path) -> None:
    arr = np.zeros((4, 3, 16, 16), np.float32)
    assert load_samples(_npy(tmp_path, arr), conv_bn_relu_model()).samples["x"].shape == (
        4, 1, 3, 16, 16)


def test_shape_mismatch_names_expected_and_got(tmp_path: Path) -> None:
    arr = np.zeros((4, 16, 16, 3), np.float32)  # NHWC given to an NCHW model
    with pytest.raises(CalibrationDataError) as err:
        load_samples(_npy(tmp_path, arr), conv_bn_relu_model(), SHAPES)
    assert "'x'" in err.value.message and "(1, 3, 16, 16)" in err.value.message
    assert "(4, 16, 16, 3)" in err.value.message and "NHWC" in err.value.hint


def test_float64_and_int_are_cast_with_a_note(tmp_path: Path) -> None:
    cset = load_samples(_npy(tmp_path, np.ones((2, 3, 16, 16))), conv_bn_relu_model(), SHAPES)
    assert cset.samples["x"].dtype == np.float32 and cset.notes == []
    cset = load_samples(_npy(tmp_path, np.ones((2, 3, 16, 16), np.uint8)),
                        conv_bn_relu_model(), SHAPES)
    assert cset.samples["x"].dtype == np.float32 and "cast uint8 to float32" in cset.notes[0]


@pytest.mark.parametrize(("arr", "match"), [
    (np.zeros((0, 3, 16, 16), np.float32), "zero samples"),
    (np.full((2, 3, 16, 16), np.nan, np.float32), "NaN"),
    (np.zeros((2, 16, 16), np.float32), "expects samples of shape"),
    (np.full((2, 3, 16, 16), "a"), "<U1 values, not numbers"),
])
def test_bad_arrays(tmp_path: Path, arr: np.ndarray, match: str) -> None:
    with pytest.raises(CalibrationDataError, match=match):
        load_samples(_npy(tmp_path, arr), conv_bn_relu_model(), SHAPES)


def test_npy_for_multi_input_model_says_use_npz(tmp_path: Path) -> None:
    with pytest.raises(CalibrationDataError, match="2 inputs") as err:
        load_samples(_npy(tmp_path, np.zeros((2, 4), np.float32)), two_input_model())
    assert ".npz" in err.value.hint


def test_npz_per_input_with_labels(tmp_path: Path) -> None:
    path = tmp_path / "data.npz"
    np.savez(path, a=np.ones((6, 4)), ids=np.ones((6, 1, 3), np.int32), labels=np.arange(6))
    cset = load_samples(path, two_input_model())
    assert cset.samples["a"].shape == (6, 1, 4) and cset.samples["a"].dtype == np.float32
    assert cset.samples["ids"].dtype == np.int64
    np.testing.assert_array_equal(cset.labels, np.arange(6))


@pytest.mark.parametrize(("arrays", "match"), [
    ({"a": np.ones((2, 4))}, "missing \\['ids'\\]"),
    ({"a": np.ones((2, 4)), "ids": np.ones((2, 3), np.int64), "b": np.ones(2)},
     "unexpected \\['b'\\]"),
    ({"a": np.ones((2, 4)), "ids": np.ones((2, 3))}, "expects int64 but got float64"),
    ({"a": np.ones((2, 4)), "ids": np.ones((3, 3), np.int64)}, "different numbers of samples"),
    ({"a": np.ones((2, 4)), "ids": np.ones((2, 3), np.int64), "labels": np.ones(5)},
     "'labels' has shape"),
])
def test_bad_npz(tmp_path: Path, arrays: dict[str, np.ndarray], match: str) -> None:
    np.savez(tmp_path / "d.npz", **arrays)
    with pytest.raises(CalibrationDataError, match=match) as err:
        load_samples(tmp_path / "d.npz", two_input_model())
    if "missing" in match:
        assert "['a', 'ids']" in err.value.message


def test_pickled_objects_are_refused(tmp_path: Path) -> None:
    np.save(tmp_path / "o.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(CalibrationDataError, match="cannot load"):
        load_samples(tmp_path / "o.npy", conv_bn_relu_model(), SHAPES)


def test_missing_path_and_unknown_extension(tmp_path: Path) -> None:
    with pytest.raises(CalibrationDataError, match="not found"):
        load_samples(tmp_path / "nope.npz", conv_bn_relu_model())
    (tmp_path / "data.csv").write_text("1,2")
    with pytest.raises(CalibrationDataError, match="unsupported") as err:
        load_samples(tmp_path / "data.csv", conv_bn_relu_model())
    assert "image folder" in err.value.hint


def _images(folder: Path, count: int = 3) -> None:
    folder.mkdir(exist_ok=True)
    for i, ext in zip(range(count), [".png", ".jpg", ".bmp", ".png"], strict=False):
        Image.new("RGB", (20 + i, 10), (255, 0, 0)).save(folder / f"img{i}{ext}")


def test_image_folder_nchw_rgb(tmp_path: Path) -> None:
    _images(tmp_path / "imgs")
    cset = load_samples(tmp_path / "imgs", conv_bn_relu_model(), SHAPES,
                        parse_preprocess("mean=0.5;std=0.5;scale=0.00392157"))
    x = cset.samples["x"]
    assert x.shape == (3, 1, 3, 16, 16) and x.dtype == np.float32
    np.testing.assert_allclose(x[:, 0, 0], 1.0, atol=0.02)  # red = 255 -> (1 - .5) / .5
    np.testing.assert_allclose(x[:, 0, 1:], -1.0, atol=0.02)


def test_image_folder_nhwc_bgr_letterbox(tmp_path: Path) -> None:
    _images(tmp_path / "imgs", 2)
    model = conv_bn_relu_model()
    model.graph.input[0].type.tensor_type.shape.dim[1].dim_value = 16
    model.graph.input[0].type.tensor_type.shape.dim[3].dim_value = 3
    spec = PreprocessSpec(layout="NHWC", order="BGR", resize="letterbox", pad_value=0)
    x = load_samples(tmp_path / "imgs", model, {"x": (1, 16, 16, 3)}, spec).samples["x"]
    assert x.shape == (2, 1, 16, 16, 3)
    assert x[0, 0, 8, 8, 2] == pytest.approx(1.0) and x[0, 0, 8, 8, 0] == 0.0  # red is last
    assert x[0, 0, 0, 8].max() == 0.0  # letterbox padding above a wide image


def test_empty_folder_and_broken_image(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("no images")
    with pytest.raises(CalibrationDataError, match="contains no images") as err:
        load_samples(tmp_path / "empty", conv_bn_relu_model(), SHAPES)
    assert ".jpg" in err.value.hint and ".webp" in err.value.hint
    _images(tmp_path / "imgs", 1)
    (tmp_path / "imgs" / "broken.jpg").write_bytes(b"not a jpeg")
    with pytest.raises(CalibrationDataError, match="broken.jpg"):
        load_samples(tmp_path / "imgs", conv_bn_relu_model(), SHAPES)


def test_image_folder_needs_a_size_for_dynamic_dims(tmp_path: Path) -> None:
    _images(tmp_path / "imgs", 1)
    model = conv_bn_relu_model(size="S")
    with pytest.raises(CalibrationDataError, match="dynamic height/width"):
        load_samples(tmp_path / "imgs", model)
    x = load_samples(tmp_path / "imgs", model, spec=PreprocessSpec(size=(8, 12))).samples["x"]
    assert x.shape == (1, 1, 3, 8, 12)


def test_limit_keeps_the_first_samples(tmp_path: Path) -> None:
    arr = np.arange(5 * 768, dtype=np.float32).reshape(5, 3, 16, 16)
    cset = load_samples(_npy(tmp_path, arr), conv_bn_relu_model(), SHAPES, limit=2)
    assert cset.num_samples == 2 and cset.samples["x"][1, 0, 0, 0, 0] == 768


def test_parse_preprocess() -> None:
    spec = parse_preprocess("mean=0.5,0.5,0.5; std=0.5,0.5,0.5;layout=nhwc;order=BGR;"
                            "scale=0.00392157;size=48x192;resize=letterbox")
    assert spec.mean == (0.5, 0.5, 0.5) and spec.layout == "NHWC" and spec.order == "BGR"
    assert spec.size == (48, 192) and spec.resize == "letterbox"
    assert parse_preprocess("") == PreprocessSpec()


@pytest.mark.parametrize(("text", "match"), [
    ("means=0.5", "KEY one of"), ("mean", "KEY=VALUE"), ("layout=CHW", "layout"),
    ("std=0,1,1", "non-zero"), ("scale=abc", "scale"), ("size=48", "size"),
])
def test_parse_preprocess_errors(text: str, match: str) -> None:
    with pytest.raises(ParameterError, match=match):
        parse_preprocess(text)


def test_split_is_deterministic_and_disjoint() -> None:
    cset = CalibrationSet({"x": np.arange(10, dtype=np.float32)[:, None]}, np.arange(10))
    calib, held = split_samples(cset, 0.3)
    again, _ = split_samples(cset, 0.3)
    assert held.num_samples == 3 and calib.num_samples == 7
    np.testing.assert_array_equal(calib.samples["x"], again.samples["x"])
    assert set(calib.labels) | set(held.labels) == set(range(10))
    assert not set(calib.labels) & set(held.labels)
    plain, plain_held = split_samples({"x": np.zeros((4, 1, 2))})
    assert isinstance(plain, dict) and plain["x"].shape[0] + plain_held["x"].shape[0] == 4


def test_split_needs_two_samples() -> None:
    with pytest.raises(CalibrationDataError, match="cannot be split"):
        split_samples({"x": np.zeros((1, 2))})


def test_validate_samples_is_what_passes_use() -> None:
    cset = validate_samples(conv_bn_relu_model(), {"x": np.zeros((3, 3, 16, 16))}, SHAPES)
    assert cset.samples["x"].shape == (3, 1, 3, 16, 16)
    assert cset.samples["x"].flags["C_CONTIGUOUS"]
