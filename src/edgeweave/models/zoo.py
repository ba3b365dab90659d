"""The bundled model zoo: real pretrained PP-OCR models shipped by rapidocr-onnxruntime.

Optimizing toy graphs proves little; these are real detection, recognition and direction
classification networks with real accuracy metrics (``edgeweave.models.ocr_eval``), so an
FP16 or INT8 variant can be judged by what it does to reading text. The files come from the
installed ``rapidocr_onnxruntime`` package (``pip install 'edgeweave[ocr]'``); nothing is
downloaded, and paths are resolved only when asked for, so importing this module is cheap.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edgeweave.errors import BackendUnavailableError, ParameterError

ZOO_PREFIX = "zoo:"
_PACKAGE = "rapidocr_onnxruntime"
_INSTALL_HINT = "pip install 'edgeweave[ocr]' (it installs rapidocr-onnxruntime and its models)"
_CALIBRATION_STREAM = 0xCA11B
"""Mixed into calibration seeds so calibration data never equals evaluation data."""


@dataclass(frozen=True)
class ZooEntry:
    """A bundled model: where its file is, how to feed it, and how to score it.

    ``shapes`` are the static input shapes the model is measured and evaluated at (the
    PP-OCR files have dynamic dims); ``metric`` is a ``module:function`` spec called as
    ``metric(session, shapes) -> float`` (higher is better).
    """

    name: str
    task: str
    description: str
    filename: str
    shapes: Mapping[str, tuple[int, ...]]
    metric: str

    @property
    def path(self) -> Path:
        """The model file inside the installed rapidocr-onnxruntime package."""
        spec = importlib.util.find_spec(_PACKAGE)
        if spec is None or not spec.submodule_search_locations:
            raise BackendUnavailableError(
                f"zoo model {self.name!r} needs the {_PACKAGE} package, which is not installed",
                _INSTALL_HINT,
            )
        path = Path(next(iter(spec.submodule_search_locations))) / "models" / self.filename
        if not path.is_file():
            raise BackendUnavailableError(
                f"zoo model {self.name!r}: {path} is missing from the installed {_PACKAGE}",
                "reinstall it: pip install --force-reinstall 'rapidocr-onnxruntime>=1.3.24,<2'",
            )
        return path


_EVAL = "edgeweave.models.ocr_eval"
ZOO: dict[str, ZooEntry] = {
    entry.name: entry
    for entry in (
        ZooEntry(
            name="ppocr-det",
            task="det",
            description="PP-OCRv4 text detection (DB): image -> text probability map",
            filename="ch_PP-OCRv4_det_infer.onnx",
            shapes={"x": (1, 3, 640, 640)},
            metric=f"{_EVAL}:det_char_accuracy",
        ),
        ZooEntry(
            name="ppocr-rec",
            task="rec",
            description="PP-OCRv4 text recognition (SVTR-LCNet, CTC): line crop -> characters",
            filename="ch_PP-OCRv4_rec_infer.onnx",
            shapes={"x": (1, 3, 48, 320)},
            metric=f"{_EVAL}:rec_char_accuracy",
        ),
        ZooEntry(
            name="ppocr-cls",
            task="cls",
            description="PP-OCR mobile v2.0 text direction classifier: 0 or 180 degrees",
            filename="ch_ppocr_mobile_v2.0_cls_infer.onnx",
            shapes={"x": (1, 3, 48, 192)},
            metric=f"{_EVAL}:cls_accuracy",
        ),
    )
}


def list_zoo() -> list[ZooEntry]:
    """All bundled models, by name."""
    return [ZOO[name] for name in sorted(ZOO)]


def get_entry(name: str) -> ZooEntry:
    """The zoo entry called ``name`` (with or without ``zoo:``); unknown names list the valid."""
    key = name[len(ZOO_PREFIX):] if name.startswith(ZOO_PREFIX) else name
    if key not in ZOO:
        raise ParameterError(
            f"unknown zoo model {key!r}; bundled models: {', '.join(sorted(ZOO))}",
            f"use one of them, e.g. {ZOO_PREFIX}ppocr-det, or pass a path to an .onnx file",
        )
    return ZOO[key]


def resolve_model(spec: str | Path) -> tuple[Path, ZooEntry | None]:
    """``zoo:NAME`` -> (bundled file, its entry); anything else -> (that path, None).

    Plain paths are not checked here: ``load_model`` reports a missing or bad file.
    """
    if isinstance(spec, str) and spec.startswith(ZOO_PREFIX):
        entry = get_entry(spec)
        return entry.path, entry
    return Path(spec), None


def calibration_samples(entry: ZooEntry | str, n: int, seed: int = 0) -> dict[str, np.ndarray]:
    """``n`` preprocessed samples per input for INT8 calibration of a zoo model.

    Axis 0 is the sample; each sample has the entry's default shape (batch included). The
    images are rendered from a seed stream disjoint from the one the metrics evaluate on,
    so calibration never sees the evaluation data.
    """
    from edgeweave.models import ocr_data

    if isinstance(entry, str):
        entry = get_entry(entry)
    if n < 1:
        raise ParameterError(f"calibration needs at least 1 sample; got n={n}")
    (name, shape), = entry.shapes.items()
    batch, _, height, width = shape
    stream = (_CALIBRATION_STREAM, seed)
    count = n * batch
    if entry.task == "det":
        images = [p.image for p in ocr_data.pages(count, stream, height, width)]
        tensors = [ocr_data.det_preprocess(img) for img in images]
    elif entry.task == "rec":
        lines = ocr_data.text_lines(count, stream, max_aspect=width / height)
        tensors = [ocr_data.line_preprocess(line.image, height, width) for line in lines]
    else:
        images, _ = ocr_data.oriented_lines(count, stream)
        tensors = [ocr_data.line_preprocess(img, height, width) for img in images]
    return {name: np.stack(tensors).reshape(n, *shape).astype(np.float32)}
