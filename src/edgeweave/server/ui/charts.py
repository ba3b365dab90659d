"""Latency-vs-accuracy chart of an optimization report, drawn by matplotlib as SVG.

matplotlib (object API, no pyplot state, so it is safe in server threads) ships in a Python
package and needs no browser-side charting code; the SVG is cached per report file.
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path
from typing import Any

BACKEND_COLOURS = {"onnxruntime": "#1f77b4", "openvino": "#9c27b0", "onnxruntime-cuda": "#2ca02c",
                   "onnxruntime-tensorrt": "#ff7f0e"}


PRECISION_MARKERS = {"fp32": "o", "fp16": "s", "bf16": "D", "int8": "^", "int8+bf16": "P",
                     "int8-dynamic": "X", "mixed": "v"}


def points(report: dict[str, Any]) -> list[dict[str, Any]]:
    """One point per measured variant, numbered like the report table's rows (1-based)."""
    out = []
    for number, v in enumerate(report.get("variants", []), start=1):
        latency = (v.get("latency_ms") or {}).get("p50")
        if v.get("status", "ok") != "ok" or latency is None:
            continue
        out.append({"number": number, "name": v["name"], "variant": v.get("variant", v["name"]),
                    "backend": v.get("backend", "?"), "precision": v.get("precision", "?"),
                    "latency": float(latency), "accuracy": v.get("accuracy"),
                    "best": v["name"] == report.get("best"), "baseline": v["name"] == report.get("baseline")})
    return out


def _label_offsets(pts: list[dict[str, Any]], have_acc: bool) -> dict[int, tuple[int, int]]:
    """Row numbers next to each point; points at the same accuracy (common: FP32 variants
    agree exactly) take turns above and below, so neighbouring labels do not overlap."""
    offsets: dict[int, tuple[int, int]] = {}
    groups: dict[Any, list[dict[str, Any]]] = {}
    for p in pts:
        level = round(p["accuracy"], 6) if have_acc and p["accuracy"] is not None else 0
        groups.setdefault(level, []).append(p)
    for group in groups.values():
        for i, p in enumerate(sorted(group, key=lambda q: q["latency"])):
            offsets[p["number"]] = (-3, 7) if i % 2 == 0 else (-3, -13)
    return offsets


def latency_accuracy_svg(report: dict[str, Any], title: str) -> bytes:
    """Scatter of p50 latency (x) against accuracy (y): colour = backend, shape = precision,
    numbers = rows of the report table; the best is starred and the baseline ringed."""
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    pts = points(report)
    fig = Figure(figsize=(7.5, 4.2), dpi=100)
    ax = fig.add_subplot()
    if not pts:
        ax.text(0.5, 0.5, "no measured variants", ha="center", va="center", transform=ax.transAxes)
    have_acc = any(p["accuracy"] is not None for p in pts)
    y = {p["number"]: (p["accuracy"] if have_acc and p["accuracy"] is not None else 0.0) for p in pts}
    offsets = _label_offsets(pts, have_acc)
    for p in pts:
        ax.scatter([p["latency"]], [y[p["number"]]], s=46, zorder=3,
                   marker=PRECISION_MARKERS.get(p["precision"], "o"),
                   color=BACKEND_COLOURS.get(p["backend"], "#555"))
        ax.annotate(str(p["number"]), (p["latency"], y[p["number"]]), textcoords="offset points",
                    xytext=offsets[p["number"]], fontsize=8)
        if p["best"]:
            ax.scatter([p["latency"]], [y[p["number"]]], s=300, marker="*", color="#f5b301",
                       edgecolors="black", linewidths=0.8, zorder=2)
        if p["baseline"]:
            ax.scatter([p["latency"]], [y[p["number"]]], s=170, facecolors="none", edgecolors="black",
                       linewidths=1.2, zorder=4)
    handles = [Line2D([], [], ls="", marker="o", color=BACKEND_COLOURS.get(b, "#555"), label=b)
               for b in sorted({p["backend"] for p in pts})]
    handles += [Line2D([], [], ls="", marker=PRECISION_MARKERS.get(k, "o"), color="#667085", label=k)
                for k in sorted({p["precision"] for p in pts})]
    if any(p["best"] for p in pts):
        handles.append(Line2D([], [], ls="", marker="*", markersize=12, color="#f5b301",
                              markeredgecolor="black", label="best"))
    if any(p["baseline"] for p in pts):
        handles.append(Line2D([], [], ls="", marker="o", markersize=10, markerfacecolor="none",
                              markeredgecolor="black", label="baseline"))
    ax.set_xlabel("p50 latency, ms (batch 1) - lower is better")
    ax.set_ylabel("accuracy" if have_acc else "(no accuracy measured)")
    ax.set_title(title, fontsize=10)
    if pts and max(p["latency"] for p in pts) / max(min(p["latency"] for p in pts), 1e-9) > 8:
        ax.set_xscale("log")
    ax.margins(x=0.08, y=0.18)
    ax.grid(True, alpha=0.3)
    if handles:
        ax.legend(handles=handles, fontsize=7.5, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="svg")
    return buf.getvalue()


@lru_cache(maxsize=64)
def cached_svg(report_path: Path, mtime_ns: int, title: str) -> bytes:
    import json

    return latency_accuracy_svg(json.loads(report_path.read_text()), title)
