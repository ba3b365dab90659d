"""OptimizationReport: one row per variant x backend, measured; JSON and Markdown output."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from edgeweave.runtime.device import DeviceProfile
from edgeweave.runtime.measure import LatencyStats


class ModelSummary(BaseModel):
    path: str
    sha256: str
    opset: int
    nodes: int
    params: int
    size_bytes: int
    flops: int | None
    shapes: dict[str, list[int]]


class VariantResult(BaseModel):
    """One candidate model on one backend, with everything measured about it."""

    name: str
    """recipe@backend, unique in a report"""
    variant: str
    """the recipe (same model file on every backend)"""
    passes: list[str]
    pass_records: list[dict[str, Any]] = Field(default_factory=list)
    backend: str
    precision: str
    compute_precision: str = "exact"
    """runtime-side precision to load it with (BackendOptions.compute_precision)"""
    path: str
    size_bytes: int
    nodes: int
    status: str = "ok"
    """ok | failed | skipped"""
    error: str | None = None
    load_s: float | None = None
    latency_ms: LatencyStats | None = None
    fps: float | None = None
    fps_batch: float | None = None
    batch: int | None = None
    peak_rss_mb: float | None = None
    """peak resident memory of the measuring process: runtime + model load + batch-1 runs"""
    gflops: float | None = None
    peak_ratio: float | None = None
    """achieved GFLOP/s over the machine's FP32 GEMM peak (INT8 can exceed 1.0)"""
    accuracy: float | None = None
    accuracy_delta: float | None = None
    agreement: dict[str, float | None] | None = None
    speedup: float | None = None
    p50_runs: list[float] = Field(default_factory=list)
    """p50 of every timing run when re-timed against the baseline (lowest is kept)"""
    within_tolerance: bool | None = None


class SearchSettings(BaseModel):
    tolerance: float
    backends: list[str]
    unavailable_backends: dict[str, str] = Field(default_factory=dict)
    accuracy_metric: str
    calibration: str | None
    evaluation: str
    time_budget_s: float | None
    threads: int


class OptimizationReport(BaseModel):
    """What the optimizer built, measured and chose; ``best`` names the chosen variant."""

    model: ModelSummary
    device: DeviceProfile
    machine_peak_gflops: float | None
    settings: SearchSettings
    baseline: str
    variants: list[VariantResult]
    best: str
    reason: str
    notes: list[str] = Field(default_factory=list)
    elapsed_s: float

    def variant(self, name: str) -> VariantResult:
        for v in self.variants:
            if v.name == name:
                return v
        raise KeyError(name)

    def write(self, out_dir: Path) -> None:
        """Write report.json and report.md into ``out_dir``."""
        (out_dir / "report.json").write_text(self.model_dump_json(indent=2))
        (out_dir / "report.md").write_text(to_markdown(self))


def _step_text(record: dict[str, Any]) -> str:
    if "nodes_before" in record:
        return f"{record['name']} {record['nodes_before']}->{record['nodes_after']}"
    if record.get("name") == "accuracy_fallback":
        return (f"accuracy_fallback kept {len(record.get('excluded', []))} node(s) in float "
                f"(tolerance {'met' if record.get('met') else 'not met'})")
    return str(record.get("name"))


def _shapes_text(shapes: dict[str, list[int]]) -> str:
    return ", ".join(k + "=" + "x".join(map(str, v)) for k, v in shapes.items())


def _f(value: float | None, fmt: str) -> str:
    return "-" if value is None else format(value, fmt)


def to_markdown(report: OptimizationReport) -> str:
    """A table shaped like MISSION.md's: accuracy, latency, FPS, load, memory, size."""
    m, d, s = report.model, report.device, report.settings
    lines = [
        f"# Optimization report: {Path(m.path).name}",
        "",
        f"- model: `{m.path}` (opset {m.opset}, {m.nodes} nodes, {m.params:,} params, "
        f"{m.size_bytes / 1e6:.2f} MB, {_f(m.flops and m.flops / 1e9, '.2f')} GFLOPs at "
        f"{_shapes_text(m.shapes)})",
        f"- device: {d.cpu_model}, {d.logical_cores} cores, {', '.join(d.isa) or 'no SIMD flags'}"
        f", {d.memory_gb} GB; FP32 GEMM peak {_f(report.machine_peak_gflops, '.0f')} GFLOP/s",
        f"- accuracy: {s.accuracy_metric} on {s.evaluation}; tolerance {s.tolerance}",
        f"- **best: `{report.best}`** — {report.reason}",
        "",
        "| variant | backend | precision | accuracy | delta | p50 ms | p95 ms | p99 ms | FPS "
        "| FPS@batch | speedup | load s | peak MB | size MB | nodes | GFLOP/s | % peak |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for v in report.variants:
        name = f"**{v.variant}**" if v.name == report.best else v.variant
        if v.status != "ok":
            lines.append(f"| {name} | {v.backend} | {v.precision} | {v.status}: "
                         f"{(v.error or '').replace('|', '/')[:120]} |" + " |" * 13)
            continue
        lat = v.latency_ms
        batch = f"{_f(v.fps_batch, '.1f')}@{v.batch}" if v.fps_batch else "-"
        lines.append(
            f"| {name} | {v.backend} | {v.precision} | {_f(v.accuracy, '.4f')} | "
            f"{_f(v.accuracy_delta, '+.4f')} | {_f(lat and lat.p50, '.2f')} | "
            f"{_f(lat and lat.p95, '.2f')} | {_f(lat and lat.p99, '.2f')} | {_f(v.fps, '.1f')} | "
            f"{batch} | {_f(v.speedup, '.2f')}x | {_f(v.load_s, '.2f')} | "
            f"{_f(v.peak_rss_mb, '.0f')} | {v.size_bytes / 1e6:.2f} | {v.nodes} | "
            f"{_f(v.gflops, '.1f')} | {_f(v.peak_ratio and v.peak_ratio * 100, '.1f')} |")
    retimed = [v for v in report.variants if len(v.p50_runs) > 1]
    if retimed:
        lines += ["", "Re-timed in interleaved rounds (p50 of each run, ms; the lowest is kept):"]
        lines += [f"- `{v.name}`: {', '.join(f'{t:.2f}' for t in v.p50_runs)}" for v in retimed]
    if report.notes:
        lines += ["", "Notes:", *[f"- {n}" for n in report.notes]]
    lines += ["", "Passes per variant:", ""]
    seen: set[str] = set()
    for v in report.variants:
        if v.variant in seen:
            continue
        seen.add(v.variant)
        steps = "; ".join(_step_text(r) for r in v.pass_records) or "none (original)"
        lines.append(f"- `{v.variant}`: {steps}")
    return "\n".join(lines) + "\n"
