"""``edgeweave.optimize(...)``: validate inputs, run the search, write the report atomically.

Output goes to a hidden staging folder inside ``out_dir`` first and is moved into place only
when the report is complete, so a failed run never leaves output that looks finished.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from edgeweave.errors import BackendUnavailableError, OutputError, ParameterError
from edgeweave.models.artifact import inspect_model
from edgeweave.models.loader import load_model
from edgeweave.models.shapes import Shape, graph_inputs, resolve_input_shapes
from edgeweave.optimize.evaluate import Evaluator
from edgeweave.optimize.recipe import CALIBRATION_METHODS, DYNAMIC_OP_TYPES, default_recipes
from edgeweave.optimize.report import ModelSummary, OptimizationReport, SearchSettings
from edgeweave.optimize.search import Progress, Search, SearchSpace, choose_best
from edgeweave.runtime.backends import available_backends, get_backend
from edgeweave.runtime.device import detect_device
from edgeweave.runtime.isolated import load_metric
from edgeweave.runtime.measure import TimingPlan
from edgeweave.runtime.peak import machine_peak_gflops

CALIBRATION_SAMPLES = 64
"""Samples drawn for calibration when a zoo model supplies its own data."""
MAX_FOLDER_SAMPLES = 512
"""Images read from a calibration/eval folder (all are decoded into memory)."""


def optimize(
    model: str | Path,
    out_dir: str | Path,
    *,
    calib: str | Path | None = None,
    eval: str | None = None,  # noqa: A002  (mirrors the --eval flag)
    tolerance: float = 0.01,
    backends: list[str] | None = None,
    shapes: dict[str, Shape] | None = None,
    time_budget_s: float | None = None,
    threads: int = 0,
    preprocess: str | None = None,
    methods: tuple[str, ...] = ("minmax", "percentile"),
    fallback: bool = True,
    plan: TimingPlan | None = None,
    progress: Progress | None = None,
) -> OptimizationReport:
    """Build, measure and rank optimized variants of ``model``; see the README for flags."""
    started = time.perf_counter()
    _check_settings(tolerance, time_budget_s, methods, threads)
    model_path, entry = _resolve(model)
    shapes = {**(entry.shapes if entry else {}), **(shapes or {})}
    onnx_model = load_model(model_path)
    shapes = resolve_input_shapes(onnx_model, shapes)
    device = detect_device()
    chosen, missing = _backends(backends, device)
    out = _prepare_out_dir(Path(out_dir))
    staging = Path(tempfile.mkdtemp(prefix=".edgeweave-partial-", dir=out))
    try:
        calibration, evaluator, timing, notes = _data(onnx_model, model_path, shapes, calib,
                                                      eval, preprocess, entry)
        space = SearchSpace(
            model_path=model_path, model=onnx_model, shapes=shapes,
            recipes=default_recipes(methods, calibration is not None,
                                    bf16=device.has("AVX512-BF16") or device.has("AMX-BF16"),
                                    has_matmul=any(n.op_type in DYNAMIC_OP_TYPES
                                                   for n in onnx_model.graph.node)),
            backends=chosen,
            evaluator=evaluator, timing_inputs=timing, calibration=calibration,
            tolerance=tolerance, threads=threads, time_budget_s=time_budget_s,
            plan=plan or TimingPlan(), fallback=fallback)
        if calibration is None:
            notes.append("no calibration data (--calib): static INT8 variants were not built")
        artifact = inspect_model(model_path, shapes)
        search = Search(space, staging, progress)
        search.flops = artifact.flops
        peak = machine_peak_gflops(device)
        rows = search.run()
        for row in rows:
            if row.gflops is not None:
                row.peak_ratio = row.gflops / peak
        best, reason = choose_best(rows, tolerance)
        report = OptimizationReport(
            model=ModelSummary(path=str(model_path), sha256=artifact.sha256, opset=artifact.opset,
                               nodes=artifact.nodes, params=artifact.params,
                               size_bytes=artifact.size_bytes, flops=artifact.flops,
                               shapes={k: list(v) for k, v in shapes.items()}),
            device=device, machine_peak_gflops=peak,
            settings=SearchSettings(tolerance=tolerance, backends=chosen,
                                    unavailable_backends=missing,
                                    accuracy_metric=evaluator.metric_name,
                                    calibration=str(calib) if calib else (
                                        f"zoo:{entry.name} rendered samples" if entry and
                                        calibration is not None else None),
                                    evaluation=evaluator.description,
                                    time_budget_s=time_budget_s, threads=threads),
            baseline=rows[0].name, variants=rows, best=best, reason=reason,
            notes=notes + search.notes + [f"backend {k} unavailable: {v}"
                                          for k, v in missing.items()],
            elapsed_s=time.perf_counter() - started)
        _publish(report, staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return report


def _check_settings(tolerance: float, budget: float | None, methods: tuple[str, ...],
                    threads: int) -> None:
    if not 0 <= tolerance < 1:
        raise ParameterError(f"--tolerance {tolerance} is out of range",
                             "give the largest accuracy drop you accept, e.g. 0.01 for 1%")
    if budget is not None and budget <= 0:
        raise ParameterError(f"--time-budget {budget} must be a positive number of seconds")
    bad = [m for m in methods if m not in CALIBRATION_METHODS]
    if bad:
        raise ParameterError(f"unknown calibration method(s) {bad}; "
                             f"choose from {', '.join(CALIBRATION_METHODS)}")
    if threads < 0:
        raise ParameterError(f"--threads {threads} must be 0 (runtime decides) or positive")


def _resolve(model: str | Path):  # type: ignore[no-untyped-def]
    from edgeweave.models.zoo import resolve_model

    return resolve_model(str(model))


def _backends(requested: list[str] | None, device) -> tuple[list[str], dict[str, str]]:  # type: ignore[no-untyped-def]
    """Requested backends (all must be available) or every available CPU-class one."""
    if requested:
        for name in requested:
            backend = get_backend(name)
            if not backend.available(device):
                raise BackendUnavailableError(
                    f"backend {name!r} was requested but is not available here",
                    f"{backend.install_hint}, or leave it out of --backends")
        return list(dict.fromkeys(requested)), {}
    available = available_backends(device)
    defaults = [b for b in ("onnxruntime", "openvino", "onnxruntime-cuda", "onnxruntime-tensorrt")
                if b in available]
    missing = {b: get_backend(b).install_hint for b in ("openvino",) if b not in available}
    return defaults, missing


def _prepare_out_dir(out: Path) -> Path:
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create output directory {out}: {exc.strerror}",
                          "choose a writable --out location") from exc
    if not out.is_dir() or not os.access(out, os.W_OK | os.X_OK):
        raise OutputError(f"output directory {out} is not writable",
                          "choose a writable --out location or fix its permissions")
    return out


def _publish(report: OptimizationReport, staging: Path, out: Path) -> None:
    """Move variant models into ``out``, point paths at them, then write the report last."""
    target_models = out / "models"
    if target_models.exists():
        shutil.rmtree(target_models)
    (staging / "models").rename(target_models)
    for row in report.variants:
        if row.path.startswith(str(staging)):
            row.path = str(target_models / Path(row.path).name)
    report.write(staging)
    for name in ("report.md", "report.json"):  # json last: its presence means "complete"
        os.replace(staging / name, out / name)
    shutil.rmtree(staging, ignore_errors=True)


def _data(model, model_path: Path, shapes, calib, eval_spec, preprocess, entry):  # type: ignore[no-untyped-def]
    """Calibration samples, the evaluator, timing inputs, and notes about the choices."""
    from edgeweave.optimize.calibration import load_samples, parse_preprocess, split_samples

    notes: list[str] = []
    spec = parse_preprocess(preprocess) if preprocess else None
    calibration = None
    if calib is not None:
        loaded = load_samples(calib, model, shapes, spec, limit=MAX_FOLDER_SAMPLES)
        calibration = loaded.samples
        notes += loaded.notes
    elif entry is not None:
        from edgeweave.models.zoo import calibration_samples

        calibration = calibration_samples(entry, CALIBRATION_SAMPLES, seed=1)

    if eval_spec and ":" in str(eval_spec) and not Path(eval_spec).exists():
        load_metric(str(eval_spec))  # fail now, with a clear message, not in every variant
        evaluator = Evaluator("metric", f"metric {eval_spec}", metric=str(eval_spec))
    elif eval_spec:
        data = load_samples(eval_spec, model, shapes, spec, limit=MAX_FOLDER_SAMPLES)
        notes += data.notes
        if data.labels is not None:
            evaluator = Evaluator("top1", f"{eval_spec} ({len(data.labels)} labelled samples)",
                                  samples=data.samples, labels=data.labels)
        else:
            evaluator = Evaluator("agreement", f"{eval_spec} (no labels)", samples=data.samples)
    elif entry is not None and entry.metric:
        evaluator = Evaluator("metric", f"rendered OCR data for zoo:{entry.name}",
                              metric=entry.metric)
    elif calibration is not None:
        calibration, held_out = split_samples(calibration)
        evaluator = Evaluator("agreement", f"{len(next(iter(held_out.values())))} held-out "
                              "calibration samples", samples=held_out)
    else:
        held_out = random_inputs(model, shapes, count=8, seed=2)
        evaluator = Evaluator("agreement", "8 random inputs (no --calib or --eval given)",
                              samples=held_out)
        notes.append("accuracy is agreement on random inputs: pass --eval for a real metric")
    timing = ({k: v[0] for k, v in calibration.items()} if calibration is not None
              else {k: v[0] for k, v in random_inputs(model, shapes, 1, seed=3).items()})
    return calibration, evaluator, timing, notes


def random_inputs(model, shapes, count: int, seed: int) -> dict[str, np.ndarray]:  # type: ignore[no-untyped-def]
    """Uniform [0, 1) floats / small ints at ``shapes`` (axis 0 = sample)."""
    from onnx import helper

    rng = np.random.default_rng(seed)
    out: dict[str, np.ndarray] = {}
    for value in graph_inputs(model):
        dtype = np.dtype(helper.tensor_dtype_to_np_dtype(value.type.tensor_type.elem_type))
        shape = (count, *shapes[value.name])
        out[value.name] = (rng.random(shape).astype(dtype) if dtype.kind == "f"
                           else rng.integers(0, 2, shape).astype(dtype))
    return out
