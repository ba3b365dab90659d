"""Real accuracy metrics for the PP-OCR zoo models, callable as ``fn(session, shapes)``.

An FP16 or INT8 variant is only worth keeping if it still reads text, so each metric runs
the session under test on rendered text (``edgeweave.models.ocr_data``) with known ground
truth and returns a score in [0, 1], higher is better:

* ``rec_char_accuracy``: recognition alone, 1 - edit distance / reference length.
* ``det_char_accuracy``: detection judged end to end: detected boxes are cropped and read
  by the FP32 recogniser, so a box that cuts a word or misses a line costs characters.
* ``cls_accuracy``: top-1 of the 0/180 degree text direction classifier.

The data comes from fixed seeds, so the FP32 model and all its variants see the same pixels.
Sessions are fed exactly ``shapes`` (OpenVINO compiles for static shapes); only
``session.run`` and ``session.input_names`` are used, so any backend works. Whitespace is
ignored when comparing text: the PP-OCR models emit spaces between Latin words
inconsistently (tight crops lose them), and spacing is not what precision changes affect.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from edgeweave.errors import BackendUnavailableError, ParameterError
from edgeweave.models import ocr_data

REC_LINES = 64
DET_PAGES = 16
CLS_LINES = 128
MAX_BOXES_PER_LINE = 8
"""Detections read per reference line; bounds the time a broken detector can cost."""
_EVAL_STREAM = 0xE7A1
_REC_SEED, _DET_SEED, _CLS_SEED = ((_EVAL_STREAM, k) for k in (1, 2, 3))

Box = np.ndarray  # [4, 2] float32 corners: top-left, top-right, bottom-right, bottom-left


class _OrtSession:
    """The minimal Session (``input_names``, ``run``) over an onnxruntime session."""

    def __init__(self, session: Any) -> None:
        self._session = session
        self.input_names = [i.name for i in session.get_inputs()]

    def run(self, inputs: dict[str, np.ndarray]) -> list[np.ndarray]:
        return self._session.run(None, inputs)


@lru_cache(maxsize=1)
def reference_rec_session() -> _OrtSession:
    """The zoo's FP32 recogniser on ONNX Runtime CPU, loaded once per process."""
    import onnxruntime as ort

    from edgeweave.models.zoo import get_entry

    options = ort.SessionOptions()
    options.log_severity_level = 3
    path = str(get_entry("ppocr-rec").path)
    return _OrtSession(ort.InferenceSession(path, options, providers=["CPUExecutionProvider"]))


@lru_cache(maxsize=1)
def charset() -> tuple[str, ...]:
    """The recogniser's output classes: CTC blank, the model's characters, then a space.

    The character list is stored in the FP32 model's metadata; variants may lose metadata,
    so it is always read from the zoo file.
    """
    meta = reference_rec_session()._session.get_modelmeta().custom_metadata_map
    if "character" not in meta:
        raise BackendUnavailableError(
            "the installed PP-OCR recogniser has no character list in its metadata",
            "reinstall rapidocr-onnxruntime: pip install 'rapidocr-onnxruntime>=1.3.24,<2'",
        )
    return ("<blank>", *meta["character"].splitlines(), " ")


def ctc_greedy_decode(probs: np.ndarray, chars: Sequence[str]) -> list[tuple[str, float]]:
    """[N, T, C] per-step class scores -> (text, mean confidence) per sample.

    Best class per step, repeats collapsed, blanks (class 0) dropped.
    """
    if probs.ndim != 3 or probs.shape[2] != len(chars):
        raise ParameterError(
            f"expected recogniser output [N, T, {len(chars)}]; got {tuple(probs.shape)}",
            "use rec_char_accuracy only with the PP-OCR recogniser (zoo:ppocr-rec) or variants",
        )
    best, conf = probs.argmax(axis=2), probs.max(axis=2)
    results = []
    for ids, scores in zip(best, conf, strict=True):
        keep = np.ones(len(ids), dtype=bool)
        keep[1:] = ids[1:] != ids[:-1]
        keep &= ids != 0
        text = "".join(chars[i] for i in ids[keep]).strip()
        results.append((text, float(scores[keep].mean()) if keep.any() else 0.0))
    return results


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions all cost 1)."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def char_accuracy(references: Sequence[str], hypotheses: Sequence[str]) -> float:
    """1 - total edit distance / total reference characters, whitespace ignored, in [0, 1]."""
    refs = ["".join(r.split()) for r in references]
    hyps = ["".join(h.split()) for h in hypotheses]
    total = sum(len(r) for r in refs)
    if total == 0:
        return 0.0
    errors = sum(min(edit_distance(r, h), len(r)) for r, h in zip(refs, hyps, strict=True))
    return max(0.0, 1.0 - errors / total)


def _static_input(session: Any, shapes: Mapping[str, Sequence[int]]) -> tuple[str, tuple[int, ...]]:
    """The single image input's name and the [N, 3, H, W] shape it must be fed at."""
    if len(session.input_names) != 1:
        raise ParameterError(
            f"OCR metrics need a model with one image input; got {session.input_names}")
    name = session.input_names[0]
    shape = tuple(int(d) for d in shapes.get(name, ()))
    if len(shape) != 4 or shape[1] != 3:
        raise ParameterError(
            f"OCR metrics need a static [N, 3, H, W] shape for input {name!r}; got {shape}",
            "measure the model with a fixed shape, e.g. --shape x=1x3x48x320")
    return name, shape


def _run_batched(session: Any, name: str, tensors: Sequence[np.ndarray], batch: int) -> np.ndarray:
    """Run [3, H, W] tensors in batches of exactly ``batch`` (the last one padded by
    repeating its final sample) and return the first output stacked over the tensors."""
    outputs = []
    for start in range(0, len(tensors), batch):
        chunk = list(tensors[start:start + batch])
        real = len(chunk)
        chunk += [chunk[-1]] * (batch - real)
        out = np.asarray(session.run({name: np.stack(chunk).astype(np.float32)})[0])
        outputs.append(out[:real])
    return np.concatenate(outputs)


def rec_char_accuracy(session: Any, shapes: Mapping[str, Sequence[int]]) -> float:
    """Character accuracy of a recogniser on ``REC_LINES`` rendered line crops."""
    name, (batch, _, height, width) = _static_input(session, shapes)
    lines = ocr_data.text_lines(REC_LINES, _REC_SEED, max_aspect=width / height)
    tensors = [ocr_data.line_preprocess(line.image, height, width) for line in lines]
    probs = _run_batched(session, name, tensors, batch)
    texts = [text for text, _ in ctc_greedy_decode(probs, charset())]
    return char_accuracy([line.text for line in lines], texts)


def cls_accuracy(session: Any, shapes: Mapping[str, Sequence[int]]) -> float:
    """Top-1 accuracy of the 0/180 degree classifier on ``CLS_LINES`` lines, half upside down."""
    name, (batch, _, height, width) = _static_input(session, shapes)
    images, labels = ocr_data.oriented_lines(CLS_LINES, _CLS_SEED)
    tensors = [ocr_data.line_preprocess(img, height, width) for img in images]
    scores = _run_batched(session, name, tensors, batch).reshape(len(images), -1)
    return float((scores.argmax(axis=1) == labels).mean())


def detect_boxes(prob_map: np.ndarray, dest_hw: tuple[int, int]) -> tuple[np.ndarray, list[float]]:
    """DB post-processing (rapidocr's, with its default settings) of one [1, 1, h, w]
    probability map -> quadrilaterals [n, 4, 2] in ``dest_hw`` pixels, and their scores."""
    if prob_map.ndim != 4 or prob_map.shape[:2] != (1, 1):
        raise ParameterError(
            f"expected a text probability map [1, 1, H, W]; got {tuple(prob_map.shape)}",
            "use det_char_accuracy only with the PP-OCR detector (zoo:ppocr-det) or variants")
    try:
        from rapidocr_onnxruntime.ch_ppocr_det.utils import DBPostProcess
    except ImportError as exc:
        raise BackendUnavailableError("DB post-processing needs rapidocr-onnxruntime",
                                      "pip install 'edgeweave[ocr]'") from exc
    post = DBPostProcess(thresh=0.3, box_thresh=0.5, max_candidates=1000, unclip_ratio=1.6,
                         score_mode="fast", use_dilation=True)
    boxes, scores = post(np.nan_to_num(prob_map.astype(np.float32)), dest_hw)
    boxes = np.asarray(boxes, dtype=np.float32).reshape(-1, 4, 2)
    sides = np.linalg.norm(boxes - np.roll(boxes, -1, axis=1), axis=2)
    keep = (sides[:, 0] > 3) & (sides[:, 1] > 3)
    return boxes[keep], [float(s) for s, k in zip(scores, keep, strict=True) if k]


def crop_box(image: np.ndarray, box: Box) -> np.ndarray:
    """The quadrilateral ``box`` of ``image`` warped to an upright rectangle."""
    cv2 = ocr_data.require_cv2()
    box = box.astype(np.float32)
    width = max(1, int(max(np.linalg.norm(box[0] - box[1]), np.linalg.norm(box[2] - box[3]))))
    height = max(1, int(max(np.linalg.norm(box[0] - box[3]), np.linalg.norm(box[1] - box[2]))))
    target = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(box, target)
    return cv2.warpPerspective(image, matrix, (width, height), borderMode=cv2.BORDER_REPLICATE,
                               flags=cv2.INTER_CUBIC)


def recognise(rec_session: Any, crops: Sequence[np.ndarray],
              shape: Sequence[int] | None = None) -> list[tuple[str, float]]:
    """Read line crops. ``shape`` fixes the [N, 3, 48, W] input of a static-shape session;
    without it crops are batched by width (as rapidocr does) for a dynamic-shape session."""
    if not crops:
        return []
    name = rec_session.input_names[0]
    if shape is not None:
        batch, _, height, width = (int(d) for d in shape)
        tensors = [ocr_data.line_preprocess(c, height, width) for c in crops]
        return ctc_greedy_decode(_run_batched(rec_session, name, tensors, batch), charset())
    ratios = [c.shape[1] / max(1, c.shape[0]) for c in crops]
    order = np.argsort(ratios)
    results: list[tuple[str, float]] = [("", 0.0)] * len(crops)
    for start in range(0, len(order), 8):
        idx = order[start:start + 8]
        width = max(320, 32 * math.ceil(48 * max(ratios[i] for i in idx) / 32))
        batch = np.stack([ocr_data.line_preprocess(crops[i], 48, width) for i in idx])
        probs = np.asarray(rec_session.run({name: batch})[0])
        for i, result in zip(idx, ctc_greedy_decode(probs, charset()), strict=True):
            results[i] = result
    return results


def _assign(boxes: np.ndarray, references: np.ndarray) -> list[list[int]]:
    """For each reference xyxy box, the detections (left to right) whose centre lies in it
    (grown by half its height); each detection goes to the nearest such line."""
    if len(boxes) == 0 or len(references) == 0:
        return [[] for _ in references]
    cx, cy = boxes.mean(axis=1).T
    x0, y0, x1, y1 = references.astype(np.float32).T
    margin = (y1 - y0) / 2
    inside = ((cx[:, None] >= x0 - margin) & (cx[:, None] <= x1 + margin)
              & (cy[:, None] >= y0 - margin) & (cy[:, None] <= y1 + margin))
    distance = np.where(inside, np.abs(cy[:, None] - (y0 + y1) / 2), np.inf)
    owner = np.where(inside.any(axis=1), distance.argmin(axis=1), -1)
    left = boxes[:, :, 0].min(axis=1)
    return [sorted(np.flatnonzero(owner == r).tolist(), key=lambda i: left[i])[:MAX_BOXES_PER_LINE]
            for r in range(len(references))]


def det_char_accuracy(session: Any, shapes: Mapping[str, Sequence[int]]) -> float:
    """End-to-end character accuracy of a detector on ``DET_PAGES`` rendered pages.

    Detected boxes are read by the FP32 recogniser and matched to the reference lines;
    a missed line counts all its characters wrong, and boxes outside every line are ignored.
    """
    name, (batch, _, height, width) = _static_input(session, shapes)
    if min(height, width) < 96 or height % 32 or width % 32:
        raise ParameterError(
            f"det_char_accuracy needs pages of at least 96x96 pixels in multiples of 32 "
            f"(the DB detector downsamples by 32); got {height}x{width}",
            "measure the detector at e.g. --shape x=1x3x640x640")
    pages = ocr_data.pages(DET_PAGES, _DET_SEED, height, width)
    probs = _run_batched(session, name, [ocr_data.det_preprocess(p.image) for p in pages], batch)
    crops: list[np.ndarray] = []
    owners: list[tuple[int, int]] = []
    for page_no, page in enumerate(pages):
        boxes, _ = detect_boxes(probs[page_no:page_no + 1], (height, width))
        for line_no, members in enumerate(_assign(boxes, page.boxes)):
            crops += [crop_box(page.image, boxes[i]) for i in members]
            owners += [(page_no, line_no)] * len(members)
    read: dict[tuple[int, int], list[str]] = {}
    for owner, (text, _) in zip(owners, recognise(reference_rec_session(), crops), strict=True):
        read.setdefault(owner, []).append(text)
    references = [text for page in pages for text in page.texts]
    hypotheses = [" ".join(read.get((page_no, line_no), []))
                  for page_no, page in enumerate(pages) for line_no in range(len(page.texts))]
    return char_accuracy(references, hypotheses)


def ocr_page(det_session: Any, rec_session: Any, image: np.ndarray,
             det_shape: Sequence[int] | None = None,
             rec_shape: Sequence[int] | None = None) -> list[tuple[Box, str, float]]:
    """Detect and read the text of a BGR ``image``: (box in image pixels, text, score) per
    line, top to bottom. ``det_shape`` / ``rec_shape`` are the static input shapes of
    sessions compiled for one shape; without them the image is resized to multiples of 32
    and crops are batched by width."""
    cv2 = ocr_data.require_cv2()
    h, w = image.shape[:2]
    det_h, det_w = ((int(det_shape[2]), int(det_shape[3])) if det_shape is not None
                    else (max(32, round(h / 32) * 32), max(32, round(w / 32) * 32)))
    tensor = ocr_data.det_preprocess(cv2.resize(image, (det_w, det_h)))[None]
    prob = np.asarray(det_session.run({det_session.input_names[0]: tensor})[0])
    boxes, _ = detect_boxes(prob, (h, w))
    boxes = boxes[np.lexsort((boxes[:, 0, 0], boxes[:, 0, 1]))] if len(boxes) else boxes
    texts = recognise(rec_session, [crop_box(image, b) for b in boxes], rec_shape)
    return [(box, text, score) for box, (text, score) in zip(boxes, texts, strict=True)]
