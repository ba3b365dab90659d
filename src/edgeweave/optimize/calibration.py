"""Calibration and evaluation samples: load user data, check it fits the model, split it.

INT8 calibration silently produces a bad model when fed the wrong data (wrong layout,
unnormalised pixels, a missing batch axis), so everything here is validated against the
model's inputs and concrete shapes, and every problem names the input, what was expected,
what came, and how to fix it. Samples are ``dict[input name, array]`` with axis 0 = sample.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import onnx
from pydantic import BaseModel, ConfigDict, PositiveInt, ValidationError, field_validator

from edgeweave.errors import CalibrationDataError, ParameterError
from edgeweave.models.shapes import declared_dims, graph_inputs

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".webp")
LABELS_KEY = "labels"
Dims = tuple[int | None, ...]


@dataclass
class CalibrationSet:
    """Samples per input (axis 0 = sample), optional labels per sample, and where they came from.

    ``notes`` records silent fixes (dtype casts, dropped leftovers) for the report.
    """

    samples: dict[str, np.ndarray]
    labels: np.ndarray | None = None
    source: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def num_samples(self) -> int:
        return int(next(iter(self.samples.values())).shape[0]) if self.samples else 0

    def take(self, index: np.ndarray) -> CalibrationSet:
        """The subset at ``index`` (same order), labels included."""
        labels = None if self.labels is None else self.labels[index]
        return CalibrationSet({k: v[index] for k, v in self.samples.items()}, labels,
                              self.source, list(self.notes))


class PreprocessSpec(BaseModel):
    """How images become model input: ``x = (pixel * scale - mean) / std`` after resizing.

    ``size`` is (height, width); by default it comes from the model's input shape.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    size: tuple[PositiveInt, PositiveInt] | None = None
    layout: Literal["NCHW", "NHWC"] = "NCHW"
    order: Literal["RGB", "BGR"] = "RGB"
    scale: float = 1.0 / 255.0
    mean: tuple[float, ...] = (0.0,)
    std: tuple[float, ...] = (1.0,)
    resize: Literal["stretch", "letterbox"] = "stretch"
    pad_value: int = 114

    @field_validator("std")
    @classmethod
    def _std_nonzero(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if not value or any(v == 0 for v in value):
            raise ValueError("std values must be non-zero")
        return value


def parse_preprocess(text: str) -> PreprocessSpec:
    """Parse ``"mean=0.5,0.5,0.5;std=0.5,0.5,0.5;layout=NCHW;order=RGB;size=48x192"``."""
    fields = set(PreprocessSpec.model_fields)
    values: dict[str, object] = {}
    for item in (p.strip() for p in text.split(";")):
        if not item:
            continue
        key, sep, raw = (s.strip() for s in item.partition("="))
        if not sep or key not in fields:
            raise ParameterError(
                f"bad preprocessing item {item!r}: expected KEY=VALUE with KEY one of "
                f"{', '.join(sorted(fields))}",
                "example: mean=0.5,0.5,0.5;std=0.5,0.5,0.5;layout=NCHW;order=RGB;scale=0.00392157",
            )
        if key in ("mean", "std"):
            values[key] = tuple(v for v in raw.split(",") if v.strip())
        elif key == "size":
            values[key] = tuple(raw.lower().replace(",", "x").split("x"))
        else:
            values[key] = raw.upper() if key in ("layout", "order") else raw
    try:
        return PreprocessSpec.model_validate(values)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
                             for e in exc.errors())
        raise ParameterError(f"bad preprocessing spec {text!r}: {problems}",
                             "layout NCHW|NHWC, order RGB|BGR, resize stretch|letterbox, "
                             "size HxW, mean/std comma-separated numbers") from exc


def expected_dims(model: onnx.ModelProto, shapes: dict[str, tuple[int, ...]] | None = None
                  ) -> dict[str, Dims]:
    """Per input, the shape one sample must have: given shape, else declared (None = any)."""
    shapes = shapes or {}
    out: dict[str, Dims] = {}
    for value in graph_inputs(model):
        if value.name in shapes:
            out[value.name] = tuple(int(d) for d in shapes[value.name])
        else:
            out[value.name] = tuple(d if isinstance(d, int) else None
                                    for d in declared_dims(value))
    return out


def validate_samples(model: onnx.ModelProto, samples: dict[str, np.ndarray],
                     shapes: dict[str, tuple[int, ...]] | None = None,
                     source: str = "calibration data") -> CalibrationSet:
    """Check ``samples`` fit the model's inputs; cast dtypes and add a missing batch axis.

    Axis 0 always indexes samples; a sample may omit a batch axis of size 1, so (32,3,8,8)
    and (32,1,3,8,8) both give 32 samples for an input of shape (1,3,8,8).
    """
    dims = expected_dims(model, shapes)
    dtypes = {v.name: v.type.tensor_type.elem_type for v in graph_inputs(model)}
    missing, extra = sorted(set(dims) - set(samples)), sorted(set(samples) - set(dims))
    if missing or extra:
        raise CalibrationDataError(
            f"{source}: inputs do not match the model: expected keys {sorted(dims)}, "
            f"got {sorted(samples)}" + (f"; missing {missing}" if missing else "")
            + (f"; unexpected {extra}" if extra else ""),
            "give exactly one array per model input, keyed by input name "
            "(see `edgeweave inspect MODEL`)",
        )
    fitted: dict[str, np.ndarray] = {}
    notes: list[str] = []
    for name, want in dims.items():
        fitted[name], note = _fit_input(name, samples[name], want, dtypes[name], source)
        if note:
            notes.append(note)
    counts = {name: arr.shape[0] for name, arr in fitted.items()}
    if len(set(counts.values())) > 1:
        raise CalibrationDataError(
            f"{source}: inputs have different numbers of samples: {counts}",
            "axis 0 indexes samples; give every input the same number of samples",
        )
    return CalibrationSet(fitted, None, source, notes)


def _fit_input(name: str, arr: object, want: Dims, elem_type: int, source: str
               ) -> tuple[np.ndarray, str | None]:
    data = np.asarray(arr)
    given, shown = data.shape, ", ".join("?" if d is None else str(d) for d in want)
    if data.dtype.kind not in "biuf":
        raise CalibrationDataError(f"{source}: input {name!r} holds {data.dtype} values, not "
                                   "numbers", "save plain numeric arrays (np.save / np.savez)")
    if data.ndim == len(want) and want and want[0] in (1, None):
        data = data[:, None]  # samples given without their batch axis of size 1
    if data.ndim != len(want) + 1 or any(w is not None and w != g
                                         for w, g in zip(want, data.shape[1:], strict=True)):
        raise CalibrationDataError(
            f"{source}: input {name!r} expects samples of shape ({shown}) stacked on axis 0, "
            f"i.e. an array of shape (N, {shown}), but got shape {given}",
            "axis 0 must index samples; check the layout (NCHW vs NHWC), the image size "
            "and --shape",
        )
    if data.shape[0] == 0:
        raise CalibrationDataError(f"{source}: input {name!r} has zero samples",
                                   "give at least one sample (32-512 are typical)")
    target = np.dtype(onnx.helper.tensor_dtype_to_np_dtype(elem_type))
    note = None
    if data.dtype != target:
        data, note = _cast(name, data, target, source)
    if data.dtype.kind == "f" and not np.isfinite(data).all():
        bad = int((~np.isfinite(data)).sum())
        raise CalibrationDataError(f"{source}: input {name!r} contains {bad} NaN/inf values",
                                   "clean or regenerate the data; NaN ruins INT8 ranges")
    return np.ascontiguousarray(data), note


def _cast(name: str, data: np.ndarray, target: np.dtype, source: str
          ) -> tuple[np.ndarray, str | None]:
    """Lossless-enough casts pass (noted when the kind changes); float into int is refused."""
    if target.kind in "iub" and data.dtype.kind == "f":
        raise CalibrationDataError(
            f"{source}: input {name!r} expects {target} but got {data.dtype}",
            f"save the array as {target} (e.g. arr.astype(np.{target}))",
        )
    note = None
    if data.dtype.kind != target.kind:
        note = f"input {name!r}: cast {data.dtype} to {target}"
    return data.astype(target), note


def load_samples(path: str | Path, model: onnx.ModelProto,
                 shapes: dict[str, tuple[int, ...]] | None = None,
                 spec: PreprocessSpec | None = None,
                 limit: int | None = None) -> CalibrationSet:
    """Load samples from ``.npy`` (single-input), ``.npz`` (one key per input) or an image folder.

    ``limit`` keeps at most that many samples (the first ones, in file order).
    """
    p = Path(path)
    if not p.exists():
        raise CalibrationDataError(f"calibration data not found: {p}",
                                   "pass an image folder, a .npy file or a .npz file")
    if p.is_dir():
        cset = load_image_folder(p, model, shapes, spec or PreprocessSpec(), limit)
    elif p.suffix.lower() == ".npy":
        cset = _load_npy(p, model, shapes)
    elif p.suffix.lower() == ".npz":
        cset = _load_npz(p, model, shapes)
    else:
        raise CalibrationDataError(
            f"{p}: unsupported calibration data ({p.suffix or 'no extension'})",
            "pass an image folder, a .npy file (single-input models) or a .npz file "
            "(one array per input name, optional 'labels')",
        )
    if limit is not None and cset.num_samples > limit:
        cset = cset.take(np.arange(limit))
    return cset


def _load_npy(path: Path, model: onnx.ModelProto, shapes: dict[str, tuple[int, ...]] | None
              ) -> CalibrationSet:
    names = [v.name for v in graph_inputs(model)]
    if len(names) != 1:
        raise CalibrationDataError(
            f"{path}: a .npy file holds one array but the model has {len(names)} inputs {names}",
            f"save a .npz with one array per input: np.savez(path, {'=..., '.join(names)}=...)",
        )
    return validate_samples(model, {names[0]: _read_numpy(path)["arr"]}, shapes, str(path))


def _load_npz(path: Path, model: onnx.ModelProto, shapes: dict[str, tuple[int, ...]] | None
              ) -> CalibrationSet:
    arrays = _read_numpy(path)
    is_input = LABELS_KEY in {v.name for v in graph_inputs(model)}
    labels = None if is_input else arrays.pop(LABELS_KEY, None)
    cset = validate_samples(model, arrays, shapes, str(path))
    if labels is not None:
        if labels.ndim < 1 or labels.shape[0] != cset.num_samples:
            raise CalibrationDataError(
                f"{path}: 'labels' has shape {labels.shape} but there are "
                f"{cset.num_samples} samples",
                "give one label per sample along axis 0",
            )
        cset.labels = labels
    return cset


def _read_numpy(path: Path) -> dict[str, np.ndarray]:
    """Arrays of a .npy (key 'arr') or .npz file; never unpickles (it could run code)."""
    try:
        loaded = np.load(path, allow_pickle=False)
        if isinstance(loaded, np.ndarray):
            return {"arr": loaded}
        with loaded as archive:
            return {k: archive[k] for k in archive.files}
    except ValueError as exc:
        raise CalibrationDataError(f"{path}: cannot load the arrays ({exc})",
                                   "save plain numeric arrays (no Python objects) with "
                                   "np.save / np.savez") from exc
    except (OSError, EOFError, KeyError) as exc:
        raise CalibrationDataError(f"{path}: not a readable numpy file ({exc})",
                                   "re-create it with np.save / np.savez") from exc


def load_image_folder(folder: str | Path, model: onnx.ModelProto,
                      shapes: dict[str, tuple[int, ...]] | None = None,
                      spec: PreprocessSpec | None = None,
                      limit: int | None = None) -> CalibrationSet:
    """Images under ``folder`` (recursively, sorted) preprocessed into one input's samples."""
    folder, spec = Path(folder), spec or PreprocessSpec()
    dims = expected_dims(model, shapes)
    if len(dims) != 1:
        raise CalibrationDataError(
            f"{folder}: an image folder feeds one input but the model has inputs {sorted(dims)}",
            "save a .npz with one array per input name instead",
        )
    name, want = next(iter(dims.items()))
    batch, channels, height, width = _image_geometry(name, want, spec)
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_EXTENSIONS
                   and p.is_file())
    if not files:
        raise CalibrationDataError(
            f"{folder} contains no images",
            f"put calibration images with extensions {', '.join(IMAGE_EXTENSIONS)} in it",
        )
    files = files[: limit * batch] if limit is not None else files
    images = np.stack([_read_image(f, channels, height, width, spec) for f in files])
    if spec.layout == "NCHW":
        images = images.transpose(0, 3, 1, 2)
    usable = images.shape[0] // batch * batch
    notes = [] if usable == images.shape[0] else [
        f"dropped {images.shape[0] - usable} images that do not fill a batch of {batch}"]
    if usable == 0:
        raise CalibrationDataError(f"{folder}: {images.shape[0]} images, fewer than batch {batch}",
                                   f"add images or use --shape with batch 1 for {name!r}")
    stacked = images[:usable].reshape(usable // batch, batch, *images.shape[1:])
    cset = validate_samples(model, {name: stacked}, shapes, str(folder))
    cset.notes[:0] = notes
    return cset


def _image_geometry(name: str, want: Dims, spec: PreprocessSpec) -> tuple[int, int, int, int]:
    if len(want) != 4:
        raise CalibrationDataError(
            f"input {name!r} has rank {len(want)}, but images need a rank-4 input",
            "give calibration data as .npy/.npz arrays for non-image inputs",
        )
    batch, a, b, c = want
    channels, height, width = (a, b, c) if spec.layout == "NCHW" else (c, a, b)
    if spec.size is not None:
        height, width = spec.size
    if height is None or width is None:
        raise CalibrationDataError(
            f"input {name!r} has dynamic height/width, so the image size is unknown",
            f"pass --shape {name}=1x3xHxW or size=HxW in the preprocessing spec",
        )
    if channels not in (1, 3):
        raise CalibrationDataError(
            f"input {name!r} has {channels} channels in layout {spec.layout}; images give 1 or 3",
            "check the layout (NCHW vs NHWC) in the preprocessing spec",
        )
    return batch or 1, channels, height, width


def _read_image(path: Path, channels: int, height: int, width: int, spec: PreprocessSpec
                ) -> np.ndarray:
    """One image as float32 HxWxC, resized and normalised per ``spec``."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as raw:
            img = _resize(raw.convert("L" if channels == 1 else "RGB"), width, height, spec)
    except (OSError, UnidentifiedImageError, SyntaxError, ValueError,
            Image.DecompressionBombError) as exc:
        raise CalibrationDataError(f"cannot read image {path}: {exc}",
                                   "remove or replace the file; it may be truncated") from exc
    pixels = np.asarray(img, dtype=np.float32).reshape(height, width, channels)
    if spec.order == "BGR" and channels == 3:
        pixels = pixels[..., ::-1]
    mean, std = _per_channel(spec.mean, channels, "mean"), _per_channel(spec.std, channels, "std")
    return (pixels * np.float32(spec.scale) - mean) / std


def _resize(img, width: int, height: int, spec: PreprocessSpec):  # type: ignore[no-untyped-def]
    from PIL import Image

    if spec.resize == "stretch":
        return img.resize((width, height), Image.Resampling.BILINEAR)
    ratio = min(width / img.width, height / img.height)
    inner = (max(1, round(img.width * ratio)), max(1, round(img.height * ratio)))
    fill = spec.pad_value if img.mode == "L" else (spec.pad_value,) * 3
    canvas = Image.new(img.mode, (width, height), fill)
    canvas.paste(img.resize(inner, Image.Resampling.BILINEAR),
                 ((width - inner[0]) // 2, (height - inner[1]) // 2))
    return canvas


def _per_channel(values: tuple[float, ...], channels: int, what: str) -> np.ndarray:
    if len(values) not in (1, channels):
        raise ParameterError(f"preprocessing {what} has {len(values)} values, the input has "
                             f"{channels} channels", f"give 1 or {channels} {what} values")
    return np.asarray(values, dtype=np.float32).reshape(1, 1, -1)


def split_samples(data: CalibrationSet | dict[str, np.ndarray], eval_fraction: float = 0.2,
                  seed: int = 0) -> tuple[Any, Any]:
    """Deterministically hold out ``eval_fraction`` of the samples for evaluation.

    Used when no separate evaluation data is given, so INT8 is never scored on the very
    samples it was calibrated on. Returns (calibration part, evaluation part), each of the
    same type as ``data`` (a CalibrationSet or a plain samples dict).
    """
    cset = data if isinstance(data, CalibrationSet) else CalibrationSet(dict(data), None, "samples")
    n = cset.num_samples
    if not 0.0 < eval_fraction < 1.0:
        raise ParameterError(f"eval_fraction must be between 0 and 1, got {eval_fraction}")
    if n < 2:
        raise CalibrationDataError(
            f"{cset.source}: {n} sample(s) cannot be split into calibration and evaluation",
            "give at least 2 samples (more is better), or separate evaluation data (--eval)",
        )
    n_eval = min(n - 1, max(1, round(n * eval_fraction)))
    order = np.random.default_rng(seed).permutation(n)
    calib, held = cset.take(np.sort(order[n_eval:])), cset.take(np.sort(order[:n_eval]))
    return (calib, held) if isinstance(data, CalibrationSet) else (calib.samples, held.samples)
