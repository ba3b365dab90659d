"""Shared helpers of the model benchmarks (executor_vs_ort, quantize_vs_ort): machine facts,
CPU accounting, statistics and the preprocessing of the real models' inputs.

Runs in bench/.venv-models (numpy, OpenCV); everything here is deterministic.
"""

from __future__ import annotations

import hashlib
import importlib.util
import math
import os
import platform
import random
import statistics
import time

import cv2
import numpy as np

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OPENCV_DATA = "/usr/share/doc/opencv-doc/examples/data"
VTEST = os.path.join(OPENCV_DATA, "vtest.avi")


def banner(text: str) -> None:
    line = "!" * 78
    print(f"\n{line}\n!! {text}\n{line}", flush=True)


# ---------------------------------------------------------------------------------------
# The machine.


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def cpu_flags() -> list[str]:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("flags"):
                    return line.split(":", 1)[1].split()
    except OSError:
        pass
    return []


def usable_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def machine() -> dict:
    flags = cpu_flags()
    interesting = [f for f in ("avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512_vnni", "avx_vnni",
                               "avx512_bf16", "avx512_fp16", "amx_bf16", "amx_int8") if f in flags]
    return {"cpu": cpu_model(), "cores": os.cpu_count(), "usable_cores": usable_cores(),
            "platform": platform.platform(), "isa": interesting}


def print_machine() -> dict:
    m = machine()
    print(f"CPU: {m['cpu']}; cores: {m['cores']} ({m['usable_cores']} usable by this process); {m['platform']}")
    print(f"ISA: {' '.join(m['isa']) or '(none of avx2/vnni/amx)'}", flush=True)
    return m


def busy_seconds() -> float:
    """CPU seconds all processes of the machine spent so far (/proc/stat, all cores)."""
    try:
        with open("/proc/stat", encoding="utf-8") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
    except OSError:
        return 0.0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def process_cpu_seconds(pid: int) -> float:
    """user+system CPU seconds of a running process (all its threads)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as f:
            text = f.read()
    except OSError:
        return 0.0
    fields = text[text.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def self_cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system


class CpuShare:
    """How much of the machine's CPU went to processes other than ours over an interval:
    (all busy CPU - ours) / (wall * cores). `ours` counts this process and the pids given."""

    def __init__(self, pids=()):
        self.pids = list(pids)
        self.start()

    def _ours(self) -> float:
        return self_cpu_seconds() + sum(process_cpu_seconds(p) for p in self.pids)

    def start(self):
        self.busy0, self.ours0, self.wall0 = busy_seconds(), self._ours(), time.perf_counter()

    def stop(self) -> float:
        wall = time.perf_counter() - self.wall0
        others = (busy_seconds() - self.busy0) - (self._ours() - self.ours0)
        return max(0.0, others / (wall * usable_cores())) if wall > 0 else 0.0


def summary(values: list[float]) -> dict:
    return {"n": len(values), "min": min(values), "median": statistics.median(values),
            "mean": statistics.fmean(values), "max": max(values)}


# ---------------------------------------------------------------------------------------
# Inputs of the real models, preprocessed as their own pipelines do.


def ppocr_line(image_bgr: np.ndarray, width: int, height: int = 48) -> np.ndarray:
    """PP-OCR recognizer/classifier input (resize_norm_img): height 48 keeping the aspect
    ratio, width at most `width`, (x/255-0.5)/0.5 in BGR, zero padding on the right.
    Returns (1, 3, height, width) float32."""
    h, w = image_bgr.shape[:2]
    resized_w = min(width, int(math.ceil(height * w / h)))
    resized = cv2.resize(image_bgr, (resized_w, height)).astype(np.float32)
    resized = (resized.transpose(2, 0, 1) / 255.0 - 0.5) / 0.5
    out = np.zeros((3, height, width), dtype=np.float32)
    out[:, :, :resized_w] = resized
    return out[None]


def ppocr_det(image_bgr: np.ndarray, width: int, height: int) -> np.ndarray:
    """PP-OCR DB detector input at a fixed size: the image scaled to fit keeping its aspect
    ratio, pasted top-left on black, then (x/255-0.5)/0.5 in BGR. (1, 3, H, W) float32."""
    h, w = image_bgr.shape[:2]
    scale = min(width / w, height / h)
    nw, nh = max(1, int(round(w * scale))), max(1, int(round(h * scale)))
    canvas = np.zeros((height, width, 3), dtype=np.uint8)
    canvas[:nh, :nw] = cv2.resize(image_bgr, (nw, nh))
    x = (canvas.astype(np.float32).transpose(2, 0, 1) / 255.0 - 0.5) / 0.5
    return x[None]


def ssd_frame(image_bgr: np.ndarray) -> np.ndarray:
    """SSDLite person detector input: RGB, 300x300 bilinear, uint8 NHWC (1, 300, 300, 3)."""
    rgb = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB)
    return cv2.resize(rgb, (300, 300), interpolation=cv2.INTER_LINEAR)[None]


def text_page(lines_bgr: list[np.ndarray], width: int = 640) -> np.ndarray:
    """Text lines stacked on a light page (a realistic detector input)."""
    rows = []
    for line in lines_bgr:
        h, w = line.shape[:2]
        if w > width - 20:
            line = cv2.resize(line, (width - 20, max(1, int(h * (width - 20) / w))))
        row = np.full((line.shape[0] + 12, width, 3), 235, dtype=np.uint8)
        row[6:6 + line.shape[0], 10:10 + line.shape[1]] = line
        rows.append(row)
    return np.concatenate(rows, axis=0)


# ---------------------------------------------------------------------------------------
# Data: vtest.avi frames and rendered text lines.


def extract_vtest(out_dir: str, count: int, quality: int = 90) -> list[str]:
    """The first `count` frames of vtest.avi (768x576) as JPEGs in out_dir (kept between
    runs); returns their paths in frame order."""
    os.makedirs(out_dir, exist_ok=True)
    paths = [os.path.join(out_dir, f"vtest-{i:04d}.jpg") for i in range(count)]
    if all(os.path.exists(p) for p in paths):
        return paths
    cap = cv2.VideoCapture(VTEST)
    if not cap.isOpened():
        raise SystemExit(f"cannot open {VTEST} (Debian package opencv-doc)")
    i = 0
    while i < count:
        ok, frame = cap.read()
        if not ok:
            break
        if not os.path.exists(paths[i]):
            cv2.imwrite(paths[i], frame, [cv2.IMWRITE_JPEG_QUALITY, quality])
        i += 1
    cap.release()
    if i < count:
        raise SystemExit(f"{VTEST} has only {i} frames, {count} were asked for")
    return paths


def _render_module():
    path = os.path.join(REPO, "scripts", "render-text-lines.py")
    spec = importlib.util.spec_from_file_location("render_text_lines", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def render_text_lines(out_dir: str, count: int, seed: int = 20261202) -> list[dict]:
    """`count` text lines drawn exactly as scripts/render-text-lines.py draws them (its words,
    fonts, sizes, ink and a quarter upside down), with another seed; kept between runs.
    Returns [{path, text, rotated}] in order. The lines come from one seeded sequence, so a
    folder rendered for more lines serves any shorter request (the detector's pages of three
    lines and the classifier's single lines share it)."""
    from PIL import Image, ImageDraw, ImageFont

    labels = os.path.join(out_dir, "labels.tsv")
    stamp = f"# count={count} seed={seed}\n"
    if os.path.exists(labels):
        with open(labels, encoding="utf-8") as f:
            lines = f.read().splitlines(keepends=True)
        if lines and lines[0].startswith("# count=") and lines[0].endswith(f" seed={seed}\n"):
            rows = [ln.rstrip("\n").split("\t") for ln in lines[2:] if ln.strip()][:count]
            if len(rows) == count and all(os.path.exists(os.path.join(out_dir, r[0])) for r in rows):
                return [{"path": os.path.join(out_dir, r[0]), "text": r[1], "rotated": r[2] == "1"} for r in rows]
    module = _render_module()
    os.makedirs(out_dir, exist_ok=True)
    rng = random.Random(seed)
    fonts = [f for f in module.FONTS if os.path.exists(f)]
    if not fonts:
        raise SystemExit("no DejaVu fonts (Debian package fonts-dejavu-core)")
    result = []
    for i in range(count):
        text = " ".join(rng.choice(module.WORDS) for _ in range(rng.randint(2, 4)))
        if rng.random() < 0.3:
            text += f" {rng.randint(1, 999)}"
        font = ImageFont.truetype(rng.choice(fonts), rng.randint(26, 34))
        left, top, right, bottom = font.getbbox(text)
        width, height = right - left + 16, 48
        background = rng.randint(200, 255)
        image = Image.new("RGB", (width, height), (background,) * 3)
        draw = ImageDraw.Draw(image)
        ink = rng.randint(0, 60)
        draw.text((8 - left, (height - (bottom - top)) // 2 - top), text, font=font, fill=(ink,) * 3)
        rotated = i % 4 == 3
        if rotated:
            image = image.rotate(180)
        name = f"line-{i:04d}.png"
        image.save(os.path.join(out_dir, name))
        result.append({"path": os.path.join(out_dir, name), "text": text, "rotated": rotated})
    with open(labels, "w", encoding="utf-8") as f:
        f.write(stamp + "file\ttext\trotated\n")
        for r in result:
            f.write(f"{os.path.basename(r['path'])}\t{r['text']}\t{1 if r['rotated'] else 0}\n")
    return result


def gsctl_split_is_evaluation(key: str, fraction: float = 0.5) -> bool:
    """gsctl's DatasetSplit: a sample (key `sample-<i>` for arrays, the file name for images)
    evaluates when the first 8 bytes of SHA-256(key), as a fraction of 2^64 (53 bits), fall
    below `fraction`; otherwise it calibrates."""
    value = int(hashlib.sha256(key.encode()).hexdigest()[:16], 16)
    return (value >> 11) / float(1 << 53) < fraction
