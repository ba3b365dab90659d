"""OCR metrics: the real FP32 models score high, broken models score low, data is fixed."""

import numpy as np
import pytest

from edgeweave.errors import ParameterError
from edgeweave.models import ocr_data, ocr_eval, zoo

ort = pytest.importorskip("onnxruntime")
pytest.importorskip("rapidocr_onnxruntime")


class OrtAdapter:
    """What a backend hands a metric: ``input_names`` and ``run(dict) -> list``."""

    def __init__(self, path):
        options = ort.SessionOptions()
        options.log_severity_level = 3
        self._session = ort.InferenceSession(str(path), options,
                                             providers=["CPUExecutionProvider"])
        self.input_names = [i.name for i in self._session.get_inputs()]

    def run(self, inputs):
        return self._session.run(None, inputs)


class Broken:
    """A model that lost its weights: right output shapes, useless values."""

    def __init__(self, real, kind):
        self.real, self.kind, self.input_names = real, kind, real.input_names
        self.rng = np.random.default_rng(0)

    def run(self, inputs):
        outs = self.real.run(inputs)
        if self.kind == "zeros":
            return [np.zeros_like(o) for o in outs]
        return [self.rng.random(o.shape).astype(o.dtype) for o in outs]


@pytest.fixture(scope="module")
def sessions():
    return {e.name: OrtAdapter(e.path) for e in zoo.list_zoo()}


@pytest.mark.parametrize(("a", "b", "distance"), [
    ("", "", 0), ("abc", "", 3), ("", "ab", 2), ("kitten", "sitting", 3),
    ("LONDON", "L0ND0N", 2), ("abc", "abc", 0), ("ab", "ba", 2),
])
def test_edit_distance(a, b, distance):
    assert ocr_eval.edit_distance(a, b) == distance


@pytest.mark.parametrize(("refs", "hyps", "expected"), [
    (["model 31814"], ["model31814"], 1.0),  # whitespace is ignored
    (["abcd"], ["abxd"], 0.75),
    (["abcd", "ef"], ["", "ef"], 2 / 6),  # a missed line costs all its characters
    (["ab"], ["abxxxxxxxx"], 0.0),  # never below zero
    ([], [], 0.0),
])
def test_char_accuracy(refs, hyps, expected):
    assert ocr_eval.char_accuracy(refs, hyps) == pytest.approx(expected)


def test_ctc_greedy_decode_collapses_repeats_and_drops_blanks():
    chars = ("<blank>", "a", "b", " ")
    steps = [0, 1, 1, 0, 1, 2, 2, 3, 0]  # blank a a blank a b b space blank -> "aab"
    probs = np.eye(len(chars), dtype=np.float32)[steps][None]
    assert ocr_eval.ctc_greedy_decode(probs, chars) == [("aab", 1.0)]
    with pytest.raises(ParameterError, match="recogniser output"):
        ocr_eval.ctc_greedy_decode(np.zeros((1, 5, 7), np.float32), chars)


def test_charset_comes_from_the_model_metadata():
    chars = ocr_eval.charset()
    assert len(chars) == 6625 and chars[0] == "<blank>" and chars[-1] == " "
    assert set("0123456789ABCxyz") <= set(chars)


def test_fp32_recogniser_reads_rendered_lines_and_a_broken_one_does_not(sessions):
    shapes = zoo.ZOO["ppocr-rec"].shapes
    good = ocr_eval.rec_char_accuracy(sessions["ppocr-rec"], shapes)
    broken = ocr_eval.rec_char_accuracy(Broken(sessions["ppocr-rec"], "random"), shapes)
    assert good >= 0.95
    assert broken <= 0.2


def test_fp32_detector_end_to_end_and_a_blind_detector(sessions):
    shapes = zoo.ZOO["ppocr-det"].shapes
    good = ocr_eval.det_char_accuracy(sessions["ppocr-det"], shapes)
    blind = ocr_eval.det_char_accuracy(Broken(sessions["ppocr-det"], "zeros"), shapes)
    assert good >= 0.9
    assert blind == 0.0


def test_fp32_direction_classifier_and_a_coin_flip(sessions):
    shapes = zoo.ZOO["ppocr-cls"].shapes
    good = ocr_eval.cls_accuracy(sessions["ppocr-cls"], shapes)
    assert good >= 0.95
    assert ocr_eval.cls_accuracy(sessions["ppocr-cls"], shapes) == good  # fixed data
    assert ocr_eval.cls_accuracy(Broken(sessions["ppocr-cls"], "random"), shapes) <= 0.7


def test_metrics_feed_exactly_the_static_shape_given(sessions):
    seen = []

    class Recording:
        input_names = ["x"]

        def run(self, inputs):
            seen.append(inputs["x"].shape)
            return sessions["ppocr-cls"].run(inputs)

    batched = ocr_eval.cls_accuracy(Recording(), {"x": (5, 3, 48, 192)})
    assert set(seen) == {(5, 3, 48, 192)}  # 128 lines: the last batch is padded, not short
    assert batched == ocr_eval.cls_accuracy(sessions["ppocr-cls"], {"x": [1, 3, 48, 192]})


@pytest.mark.parametrize("shapes", [{}, {"x": (1, 48, 320)}, {"x": (1, 1, 48, 320)}])
def test_metrics_refuse_a_missing_or_wrong_shape(sessions, shapes):
    with pytest.raises(ParameterError, match="static"):
        ocr_eval.rec_char_accuracy(sessions["ppocr-rec"], shapes)


def test_det_metric_refuses_pages_too_small_for_text(sessions):
    with pytest.raises(ParameterError, match="at least 96x96"):
        ocr_eval.det_char_accuracy(sessions["ppocr-det"], {"x": (1, 3, 64, 64)})


def test_ocr_page_reads_a_rendered_page(sessions):
    page = ocr_data.pages(1, seed=11, height=480, width=640)[0]
    found = ocr_eval.ocr_page(sessions["ppocr-det"], sessions["ppocr-rec"], page.image)
    assert len(found) >= len(page.texts)
    read = "".join(text for _, text, _ in found)
    assert ocr_eval.char_accuracy(["".join(page.texts)], [read]) >= 0.9
    box, _, score = found[0]
    assert box.shape == (4, 2) and 0.0 < score <= 1.0
