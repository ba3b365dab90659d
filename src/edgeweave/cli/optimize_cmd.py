"""``edgeweave optimize MODEL --out DIR``: search variants, print the measured table."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from edgeweave.cli.console import make_console
from edgeweave.errors import ParameterError

if TYPE_CHECKING:  # the optimizer's modules load when `optimize` runs, not with every command
    from edgeweave.optimize.report import OptimizationReport

console = make_console()


def optimize(
    model: str = typer.Argument(..., help="ONNX file or zoo:NAME (see `edgeweave zoo list`)"),
    out: Path = typer.Option(..., "--out", help="output folder: report.json, report.md, models/"),
    calib: str = typer.Option(None, "--calib", help="calibration data: image folder, .npy or .npz"),
    eval_: str = typer.Option(None, "--eval", help=".npz with inputs + 'labels', or module:function"),
    tolerance: float = typer.Option(0.01, "--tolerance", help="largest accuracy drop accepted"),
    backends: str = typer.Option(None, "--backends", help="e.g. onnxruntime,openvino"),
    shape: list[str] = typer.Option(None, "--shape", help="NAME=1x3x224x224, per dynamic input"),
    time_budget: float = typer.Option(None, "--time-budget", help="seconds for the whole search"),
    threads: int = typer.Option(0, "--threads", help="runtime threads (0: runtime default)"),
    preprocess: str = typer.Option(None, "--preprocess",
                                   help="image preprocessing, e.g. 'mean=0.5,0.5,0.5;std=0.5,0.5,0.5'"),
    methods: str = typer.Option("minmax,percentile", "--calib-methods",
                                help="INT8 calibration methods: minmax, entropy, percentile"),
    no_fallback: bool = typer.Option(False, "--no-fallback", help="skip accuracy-aware fallback"),
) -> None:
    """Build FP32/FP16/INT8 variants, measure them on each backend, choose the fastest
    within the accuracy tolerance, and write DIR/report.json, DIR/report.md, DIR/models/."""
    from edgeweave.models.shapes import parse_shapes
    from edgeweave.optimize.api import optimize as run

    names = [b.strip() for b in backends.split(",") if b.strip()] if backends else None
    if backends is not None and not names:
        raise ParameterError("--backends is empty", "e.g. --backends onnxruntime,openvino")
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/"
                  "{task.total}"), TimeElapsedColumn(), console=console, transient=True) as bar:
        task = bar.add_task("preparing", total=None)

        def progress(text: str, done: int, total: int) -> None:
            bar.update(task, description=text, completed=done, total=total)

        report = run(model, out, calib=calib, eval=eval_, tolerance=tolerance, backends=names,
                     shapes=parse_shapes(shape), time_budget_s=time_budget, threads=threads,
                     preprocess=preprocess,
                     methods=tuple(m.strip() for m in methods.split(",") if m.strip()),
                     fallback=not no_fallback, progress=progress)
    print_report(report)
    console.print(f"wrote {out / 'report.json'}, {out / 'report.md'} and {out / 'models'}/")


def print_report(report: OptimizationReport) -> None:
    """The variant table, best row highlighted."""
    table = Table("variant", "backend", "accuracy", "delta", "p50 ms", "p99 ms", "FPS",
                  "speedup", "load s", "peak MB", "size MB",
                  title=f"{Path(report.model.path).name} on {report.device.cpu_model} "
                        f"({report.device.logical_cores} cores)")
    for v in report.variants:
        style = "bold green" if v.name == report.best else None
        if v.status != "ok":
            table.add_row(v.variant, v.backend, f"[red]{v.status}[/]", (v.error or "")[:70],
                          style=style)
            continue
        lat = v.latency_ms
        table.add_row(
            v.variant, v.backend, _f(v.accuracy, ".4f"), _f(v.accuracy_delta, "+.4f"),
            _f(lat and lat.p50, ".2f"), _f(lat and lat.p99, ".2f"), _f(v.fps, ".1f"),
            _f(v.speedup, ".2f") + "x", _f(v.load_s, ".2f"), _f(v.peak_rss_mb, ".0f"),
            f"{v.size_bytes / 1e6:.2f}", style=style)
    console.print(table)
    console.print(f"[bold]best:[/] {report.best} — {report.reason}")
    for note in report.notes:
        console.print(f"[dim]note: {note}[/]")


def _f(value: float | None, fmt: str) -> str:
    return "-" if value is None else format(value, fmt)
