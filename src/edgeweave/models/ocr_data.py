"""Deterministic synthetic OCR data: text lines and pages rendered with real fonts.

Real pretrained OCR models need real-looking text to show real accuracy, but nothing may
be downloaded at run time and test data must be reproducible. So we render text with
Pillow and the DejaVu TrueType fonts (Debian/Ubuntu package ``fonts-dejavu-core``),
varying font, size, colours, background, noise and blur from a seeded
``numpy.random.Generator``: the same seed gives the same pixels on the same machine, and
different seeds give disjoint calibration and evaluation sets.

Images are ``uint8`` arrays in **BGR** channel order, ``[H, W, 3]``, because the PP-OCR
models were trained on OpenCV-loaded (BGR) images. The ``*_preprocess`` functions turn them
into the float tensors the PP-OCR models expect, exactly as rapidocr does.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from edgeweave.errors import BackendUnavailableError, CalibrationDataError

FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),  # Debian, Ubuntu
    Path("/usr/share/fonts/dejavu"),  # Fedora, Arch
    Path("/usr/share/fonts/TTF"),
    Path("/usr/local/share/fonts"),
    Path("/Library/Fonts"),
)
# The six faces of fonts-dejavu-core, so CI and dev machines render the same glyphs.
FONT_FILES = (
    "DejaVuSans.ttf",
    "DejaVuSans-Bold.ttf",
    "DejaVuSerif.ttf",
    "DejaVuSerif-Bold.ttf",
    "DejaVuSansMono.ttf",
    "DejaVuSansMono-Bold.ttf",
)

WORDS = (
    "the", "of", "and", "to", "in", "is", "for", "on", "that", "by", "with", "from", "at",
    "as", "this", "are", "be", "or", "an", "it", "was", "will", "can", "all", "new", "more",
    "one", "has", "which", "their", "time", "about", "may", "other", "there", "when",
    "year", "people", "data", "model", "edge", "cloud", "device", "camera", "vehicle",
    "traffic", "street", "speed", "line", "zone", "count", "north", "south", "east", "west",
    "gate", "road", "bridge", "station", "platform", "exit", "entry", "parking", "level",
    "open", "closed", "total", "price", "order", "number", "invoice", "account", "report",
    "status", "system", "service", "network", "server", "memory", "engine", "sensor",
    "signal", "video", "frame", "image", "text", "label", "result", "Monday", "Friday",
    "March", "April", "Seoul", "Busan", "London", "Paris", "Berlin", "Tokyo", "Quick",
    "Brown", "Fox", "Jumps", "Over", "Lazy", "Dog", "Green", "Blue", "Yellow", "Orange",
    "Market", "Coffee", "Bakery", "Hotel", "Museum",
)

Seed = int | Sequence[int]
"""An int, or a tuple of ints naming an independent stream (e.g. ``(stream_id, seed)``)."""


@dataclass(frozen=True)
class TextLine:
    """One rendered line of text: a tight crop (BGR uint8) and its ground-truth string."""

    image: np.ndarray
    text: str


@dataclass(frozen=True)
class Page:
    """A page with several text lines at known boxes (``[n, 4]`` int xyxy, page pixels)."""

    image: np.ndarray
    texts: tuple[str, ...]
    boxes: np.ndarray


def font_paths() -> list[Path]:
    """The DejaVu font files found on this machine, or a CalibrationDataError saying how
    to install them (the evaluation data cannot be rendered without real fonts)."""
    for folder in FONT_DIRS:
        found = [folder / name for name in FONT_FILES if (folder / name).is_file()]
        if found:
            return found
    raise CalibrationDataError(
        "no DejaVu fonts found to render OCR data (looked in "
        + ", ".join(str(d) for d in FONT_DIRS) + ")",
        "install them: apt-get install fonts-dejavu-core (Debian/Ubuntu), "
        "dnf install dejavu-sans-fonts dejavu-serif-fonts dejavu-sans-mono-fonts (Fedora)",
    )


@lru_cache(maxsize=256)
def _font(path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size)


def random_text(rng: np.random.Generator, max_words: int = 4) -> str:
    """A short phrase: dictionary words mixed with numbers and alphanumeric codes."""
    parts: list[str] = []
    for _ in range(int(rng.integers(1, max_words + 1))):
        kind = rng.random()
        if kind < 0.7:
            word = str(WORDS[int(rng.integers(len(WORDS)))])
            parts.append(word.upper() if rng.random() < 0.1 else word)
        elif kind < 0.85:
            parts.append(str(int(rng.integers(0, 10 ** int(rng.integers(1, 6))))))
        else:
            letters = "ABCDEFGHJKLMNPRSTUVWXYZ"
            code = "".join(letters[int(i)] for i in rng.integers(len(letters), size=2))
            parts.append(code + str(int(rng.integers(10, 9999))))
    return " ".join(parts)


def _colours(rng: np.random.Generator) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(background, ink): light varied paper and dark varied ink, always readable."""
    background = tuple(int(v) for v in rng.integers(165, 256, size=3))
    ink = tuple(int(v) for v in rng.integers(0, 100, size=3))
    return background, ink


def _finish(rng: np.random.Generator, image: Image.Image) -> np.ndarray:
    """Blur slightly, add sensor noise, and return BGR uint8."""
    radius = float(rng.uniform(0.0, 1.1))
    if radius > 0.3:
        image = image.filter(ImageFilter.GaussianBlur(radius))
    pixels = np.asarray(image, dtype=np.float32)
    pixels += rng.normal(0.0, float(rng.uniform(0.0, 9.0)), size=pixels.shape)
    return np.clip(pixels, 0, 255).astype(np.uint8)[:, :, ::-1].copy()


def _fits(font: ImageFont.FreeTypeFont, text: str, width: int) -> str:
    """Drop trailing words until the text is at most ``width`` pixels wide."""
    words = text.split()
    while len(words) > 1 and font.getlength(" ".join(words)) > width:
        words.pop()
    return " ".join(words)


def render_line(rng: np.random.Generator, max_aspect: float | None = None) -> TextLine:
    """One text line, cropped with a small margin; ``max_aspect`` caps width / height so
    the line fits a fixed model input (e.g. 320 / 48) without being squeezed."""
    fonts = font_paths()
    font = _font(str(fonts[int(rng.integers(len(fonts)))]), int(rng.integers(14, 40)))
    ascent, descent = font.getmetrics()
    pad_y = int(rng.integers(2, max(3, ascent // 4)))
    pad_x = int(rng.integers(2, 10))
    height = ascent + descent + 2 * pad_y
    text = random_text(rng)
    if max_aspect is not None:
        text = _fits(font, text, int(max_aspect * height) - 2 * pad_x)
    width = int(math.ceil(font.getlength(text))) + 2 * pad_x
    background, ink = _colours(rng)
    image = Image.new("RGB", (width, height), background)
    ImageDraw.Draw(image).text((pad_x, pad_y), text, font=font, fill=ink)
    return TextLine(_finish(rng, image), text)


def text_lines(n: int, seed: Seed, max_aspect: float | None = None) -> list[TextLine]:
    """``n`` text lines from ``seed`` (same seed, same lines)."""
    rng = np.random.default_rng(seed)
    return [render_line(rng, max_aspect) for _ in range(n)]


def oriented_lines(n: int, seed: Seed) -> tuple[list[np.ndarray], np.ndarray]:
    """``n`` short lines and labels: 0 upright, 1 rotated by 180 degrees (half of each).

    Lines are kept short (aspect <= 5) so they fit the direction classifier's 48x192 input
    the way rapidocr feeds it, instead of being squeezed into it.
    """
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.arange(n) % 2)
    images = []
    for label in labels:
        image = render_line(rng, max_aspect=5.0).image
        images.append(image[::-1, ::-1].copy() if label else image)
    return images, labels.astype(np.int64)


def render_page(rng: np.random.Generator, height: int, width: int) -> Page:
    """A ``height`` x ``width`` page with lines of text stacked top to bottom."""
    fonts = font_paths()
    background, ink = _colours(rng)
    image = Image.new("RGB", (width, height), background)
    draw = ImageDraw.Draw(image)
    texts: list[str] = []
    boxes: list[tuple[int, int, int, int]] = []
    y = int(rng.integers(8, 24))
    while True:
        size = int(rng.integers(max(12, height // 32), max(16, height // 16)))
        font = _font(str(fonts[int(rng.integers(len(fonts)))]), size)
        ascent, descent = font.getmetrics()
        if y + ascent + descent + 8 > height:
            break
        x = int(rng.integers(8, max(9, width // 5)))
        text = _fits(font, random_text(rng, max_words=5), width - x - 8)
        left, top, right, bottom = draw.textbbox((x, y), text, font=font)
        if right > width - 4:  # a single word wider than the page: skip the slot
            y += ascent + descent
            continue
        draw.text((x, y), text, font=font, fill=ink)
        texts.append(text)
        boxes.append((left, top, right, bottom))
        y += ascent + descent + int(rng.integers(size // 2, size * 2))
    box_array = np.array(boxes, dtype=np.int32).reshape(-1, 4)
    return Page(_finish(rng, image), tuple(texts), box_array)


def pages(n: int, seed: Seed, height: int, width: int) -> list[Page]:
    """``n`` pages of ``height`` x ``width`` pixels from ``seed``."""
    rng = np.random.default_rng(seed)
    return [render_page(rng, height, width) for _ in range(n)]


def require_cv2():  # type: ignore[no-untyped-def]
    """OpenCV, which rapidocr-onnxruntime brings; a clear error when it is missing."""
    try:
        import cv2
    except ImportError as exc:
        raise BackendUnavailableError(
            "OCR preprocessing needs OpenCV (cv2), which is not installed",
            "pip install 'edgeweave[ocr]'") from exc
    return cv2


def det_preprocess(image: np.ndarray) -> np.ndarray:
    """[H, W, 3] BGR uint8 -> [3, H, W] float32, (x / 255 - 0.5) / 0.5 as rapidocr does."""
    scaled = image.astype(np.float32) / 255.0
    return ((scaled - 0.5) / 0.5).transpose(2, 0, 1).copy()


def line_preprocess(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """PP-OCR rec/cls preprocessing: resize to ``height`` keeping the aspect ratio (at most
    ``width`` wide), normalise to [-1, 1], pad on the right with zeros to ``width``."""
    cv2 = require_cv2()
    h, w = image.shape[:2]
    resized_w = min(width, int(math.ceil(height * w / float(h))))
    resized = cv2.resize(image, (max(1, resized_w), height)).astype(np.float32)
    out = np.zeros((3, height, width), dtype=np.float32)
    out[:, :, :resized_w] = (resized.transpose(2, 0, 1) / 255.0 - 0.5) / 0.5
    return out
