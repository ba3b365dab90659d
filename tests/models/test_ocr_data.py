"""Rendered OCR data: deterministic, the right shapes, and readable ground truth."""

import numpy as np
import pytest

from edgeweave.errors import CalibrationDataError
from edgeweave.models import ocr_data

pytest.importorskip("cv2")


def test_same_seed_renders_the_same_lines_and_other_seeds_differ():
    a = ocr_data.text_lines(5, seed=3)
    b = ocr_data.text_lines(5, seed=3)
    c = ocr_data.text_lines(5, seed=4)
    assert [x.text for x in a] == [x.text for x in b]
    assert all(np.array_equal(x.image, y.image) for x, y in zip(a, b, strict=True))
    assert [x.text for x in a] != [x.text for x in c]


def test_lines_are_bgr_uint8_with_plain_alphanumeric_text():
    for line in ocr_data.text_lines(20, seed=1):
        assert line.image.dtype == np.uint8 and line.image.ndim == 3
        assert line.image.shape[2] == 3 and line.image.shape[0] >= 16
        assert line.text and line.text == line.text.strip()
        assert all(ch.isascii() and (ch.isalnum() or ch == " ") for ch in line.text)


def test_max_aspect_keeps_lines_within_a_fixed_model_input():
    for line in ocr_data.text_lines(30, seed=2, max_aspect=320 / 48):
        h, w = line.image.shape[:2]
        assert w / h <= 320 / 48 + 1e-6


def test_pages_have_known_boxes_inside_the_page_top_to_bottom():
    pages = ocr_data.pages(3, seed=5, height=320, width=480)
    for page in pages:
        assert page.image.shape == (320, 480, 3) and page.image.dtype == np.uint8
        assert len(page.texts) == len(page.boxes) >= 3
        x0, y0, x1, y1 = page.boxes.T
        assert (x0 >= 0).all() and (y0 >= 0).all() and (x1 <= 480).all() and (y1 <= 320).all()
        assert (x1 > x0).all() and (y1 > y0).all()
        assert (y0[1:] >= y1[:-1]).all()  # lines do not overlap
    again = ocr_data.pages(3, seed=5, height=320, width=480)
    assert all(np.array_equal(p.image, q.image) for p, q in zip(pages, again, strict=True))


def test_oriented_lines_are_balanced_and_the_rotated_ones_are_upside_down():
    images, labels = ocr_data.oriented_lines(40, seed=9)
    assert len(images) == 40 and labels.dtype == np.int64
    assert labels.sum() == 20 and set(labels.tolist()) == {0, 1}
    rng = np.random.default_rng(9)  # replay the stream: same lines, none of them rotated
    rng.permutation(40)
    upright = [ocr_data.render_line(rng, max_aspect=5.0).image for _ in range(40)]
    for image, label, plain in zip(images, labels, upright, strict=True):
        assert np.array_equal(image, plain[::-1, ::-1] if label else plain)


def test_det_preprocess_matches_ppocr_normalisation():
    image = np.zeros((32, 64, 3), np.uint8)
    image[:, :, 0] = 255
    x = ocr_data.det_preprocess(image)
    assert x.shape == (3, 32, 64) and x.dtype == np.float32
    assert np.allclose(x[0], 1.0) and np.allclose(x[1:], -1.0)


def test_line_preprocess_keeps_aspect_and_pads_right_with_zeros():
    image = np.full((24, 48, 3), 255, np.uint8)  # aspect 2 -> 96 of 320 columns at height 48
    x = ocr_data.line_preprocess(image, 48, 320)
    assert x.shape == (3, 48, 320)
    assert np.allclose(x[:, :, :96], 1.0) and np.allclose(x[:, :, 96:], 0.0)
    wide = ocr_data.line_preprocess(np.zeros((10, 1000, 3), np.uint8), 48, 192)
    assert np.allclose(wide, -1.0)  # too wide: squeezed to the full width, no padding


def test_missing_fonts_raise_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setattr(ocr_data, "FONT_DIRS", (tmp_path,))
    with pytest.raises(CalibrationDataError) as info:
        ocr_data.text_lines(1, seed=0)
    assert "fonts-dejavu-core" in info.value.hint
