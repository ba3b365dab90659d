"""The search: recipes x backends -> build, measure, score -> fastest within tolerance.

Quantizing blindly is not optimizing: every variant is measured on this machine against
the FP32 baseline (ONNX Runtime, original model), and only a variant that is both faster
and within the accuracy tolerance can be chosen. Failures are reported, never fatal.
"""

from __future__ import annotations

import contextlib
import io
import json
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import onnx

from edgeweave.errors import EdgeWeaveError, OptimizationError, first_line
from edgeweave.optimize.evaluate import Evaluator
from edgeweave.optimize.passes import PassContext, run_passes
from edgeweave.optimize.recipe import Recipe, fallback_recipe
from edgeweave.optimize.report import VariantResult
from edgeweave.runtime.isolated import Job, measure_isolated
from edgeweave.runtime.measure import TimingPlan

CONFIRM_TOP = 3
"""Candidates re-timed against the baseline before the choice is made."""
CONFIRM_ROUNDS = 2
Progress = Callable[[str, int, int], None]
"""progress(description, done, total)"""


@dataclass
class SearchSpace:
    """Everything the search needs, prepared and validated by ``api.optimize``."""

    model_path: Path
    model: onnx.ModelProto
    shapes: dict[str, tuple[int, ...]]
    recipes: list[Recipe]
    backends: list[str]
    evaluator: Evaluator
    timing_inputs: dict[str, np.ndarray]
    calibration: dict[str, np.ndarray] | None
    tolerance: float
    threads: int = 0
    time_budget_s: float | None = None
    plan: TimingPlan = field(default_factory=TimingPlan)
    fallback: bool = True
    baseline_backend: str = "onnxruntime"


@dataclass
class Built:
    recipe: Recipe
    path: Path | None
    records: list[dict]
    nodes: int
    size_bytes: int
    error: str | None = None


def build_variant(space: SearchSpace, recipe: Recipe, models_dir: Path, work: Path) -> Built:
    """Apply the recipe's passes and save the variant model; a failure is recorded."""
    if not recipe.passes:
        return Built(recipe, space.model_path, [], len(space.model.graph.node),
                     space.model_path.stat().st_size)
    ctx = PassContext(shapes=space.shapes, calibration=space.calibration,
                      options=recipe.options, work_dir=work)
    try:
        # ORT's calibrators print progress bars; keep the CLI's own output clean.
        with contextlib.redirect_stdout(io.StringIO()):
            model, records = run_passes(space.model, list(recipe.passes), ctx)
        path = models_dir / f"{recipe.name}.onnx"
        onnx.save(model, str(path))
    except EdgeWeaveError as exc:
        return Built(recipe, None, [], 0, 0, error=exc.message)
    except Exception as exc:  # a pass hitting a model it cannot handle: report, go on
        return Built(recipe, None, [], 0, 0, error=f"{type(exc).__name__}: {first_line(exc)}")
    return Built(recipe, path, [r.summary() for r in records], len(model.graph.node),
                 path.stat().st_size)


class Search:
    """Runs one search; ``results`` grows as variants are measured."""

    def __init__(self, space: SearchSpace, out_dir: Path, progress: Progress | None = None):
        self.space = space
        self.out_dir = out_dir
        self.models_dir = out_dir / "models"
        self.models_dir.mkdir(parents=True, exist_ok=True)
        self.progress = progress or (lambda *_: None)
        self.results: list[VariantResult] = []
        self.notes: list[str] = []
        self.started = time.perf_counter()
        self.baseline_accuracy: float | None = None
        self.baseline_p50: float | None = None
        self.flops: int | None = None
        self.built: dict[str, Built] = {}

    # -- measuring ---------------------------------------------------------------------
    def out_of_time(self) -> bool:
        budget = self.space.time_budget_s
        return budget is not None and time.perf_counter() - self.started > budget

    def measure(self, built: Built, backend: str, tmp: Path, eval_npz: Path | None
                ) -> VariantResult:
        recipe = built.recipe
        row = VariantResult(name=f"{recipe.name}@{backend}", variant=recipe.name,
                            passes=list(recipe.passes),
                            pass_records=built.records, backend=backend,
                            precision=recipe.precision,
                            compute_precision=recipe.compute_precision, path=str(built.path or ""),
                            size_bytes=built.size_bytes, nodes=built.nodes)
        if built.error:
            row.status, row.error = "failed", f"build failed: {built.error}"
            return row
        if self.out_of_time() and self.results:  # the baseline is always measured
            row.status, row.error = "skipped", "time budget used up"
            return row
        outputs_npz = tmp / f"out-{recipe.name}-{backend}.npz"
        job = self.job(row, tmp).model_copy(update={
            "outputs_npz": str(outputs_npz), "batch_ok": self.batch_ok(),
            **self.space.evaluator.job_fields(eval_npz)})
        try:
            m = measure_isolated(job)
        except OptimizationError as exc:
            row.status, row.error = "failed", exc.message
            return row
        row.load_s, row.latency_ms, row.fps = m.load_s, m.latency_ms, m.fps
        row.fps_batch, row.batch, row.peak_rss_mb = m.fps_batch, m.batch, m.peak_rss_mb
        if self.flops:
            row.gflops = self.flops / (m.latency_ms.p50 / 1000.0) / 1e9
        self.score(row, m.metric, outputs_npz if outputs_npz.exists() else None)
        return row

    def job(self, row: VariantResult, tmp: Path) -> Job:
        """A timing-only job for ``row``'s model on its backend."""
        return Job(model=row.path, backend=row.backend, threads=self.space.threads,
                   compute_precision=row.compute_precision,
                   shapes={k: list(v) for k, v in self.space.shapes.items()},
                   inputs_npz=str(tmp / "timing_inputs.npz"), plan=self.space.plan)

    def confirm(self, tmp: Path, top: int = CONFIRM_TOP, rounds: int = CONFIRM_ROUNDS) -> None:
        """Re-time the baseline and the fastest candidates in interleaved rounds.

        Timings on a shared machine drift by 2x between minutes; one sequential pass can
        crown a variant that merely ran in a quiet moment. Each contender keeps the run
        with the lowest p50 (noise only ever adds time), and all p50s are recorded.
        """
        ok = [r for r in self.results[1:] if r.status == "ok" and r.latency_ms
              and r.within_tolerance is not False]
        contenders = [self.results[0], *sorted(ok, key=lambda r: r.latency_ms.p50)[:top]]
        for row in contenders:
            row.p50_runs = [row.latency_ms.p50]  # type: ignore[union-attr]
        for _ in range(rounds):
            for row in contenders:
                if self.out_of_time():
                    return
                try:
                    m = measure_isolated(self.job(row, tmp))
                except OptimizationError:
                    continue
                row.p50_runs.append(m.latency_ms.p50)
                if m.latency_ms.p50 < row.latency_ms.p50:  # type: ignore[union-attr]
                    row.latency_ms, row.fps = m.latency_ms, m.fps
        self.rescale()

    def rescale(self) -> None:
        """Speedups and GFLOP/s from the (possibly re-timed) latencies."""
        base = self.results[0].latency_ms
        for row in self.results:
            if row.status == "ok" and row.latency_ms and base:
                row.speedup = base.p50 / row.latency_ms.p50
                if self.flops:
                    row.gflops = self.flops / (row.latency_ms.p50 / 1000.0) / 1e9

    def batch_ok(self) -> bool:
        """Batch FPS only where every input's leading dim is dynamic in the model."""
        from edgeweave.models.shapes import declared_dims, graph_inputs

        return all(not isinstance(declared_dims(v)[0], int) for v in graph_inputs(self.space.model)
                   if declared_dims(v))

    def score(self, row: VariantResult, metric: float | None, outputs_npz: Path | None) -> None:
        ev = self.space.evaluator
        if ev.mode == "metric":
            row.accuracy = metric
        elif outputs_npz is not None:
            with np.load(outputs_npz) as data:
                outputs = [data[f"arr_{i}"] for i in range(len(data.files))]
            if ev.reference is None and ev.mode == "agreement":
                ev.reference = outputs
            row.accuracy, agree = ev.score_outputs(outputs)
            row.agreement = agree.model_dump() if agree else None
            if ev.mode == "top1" and ev.reference is None:
                ev.reference = outputs

    # -- the loop ----------------------------------------------------------------------
    def run(self) -> list[VariantResult]:
        space = self.space
        total = sum(len(self.backends_for(r)) for r in space.recipes)
        done = 0
        with tempfile.TemporaryDirectory(prefix="edgeweave-search-") as tmp_name:
            tmp = Path(tmp_name)
            np.savez(tmp / "timing_inputs.npz", **space.timing_inputs)
            eval_npz = None
            if space.evaluator.samples is not None:
                eval_npz = tmp / "eval.npz"
                np.savez(eval_npz, **space.evaluator.samples)
            for recipe in space.recipes:
                self.progress(f"building {recipe.name}", done, total)
                built = self.build(recipe, tmp)
                for backend in self.backends_for(recipe):
                    self.progress(f"measuring {recipe.name} on {backend}", done, total)
                    row = self.measure(built, backend, tmp, eval_npz)
                    self.add(row)
                    done += 1
            self.progress("accuracy-aware fallback", done, total)
            self.maybe_fallback(tmp, eval_npz)
            self.progress("re-timing the fastest variants against the baseline", done, total)
            self.confirm(tmp)
        self.progress("done", total, total)
        return self.results

    def build(self, recipe: Recipe, tmp: Path) -> Built:
        """Build once per distinct (passes, options): recipes that differ only in runtime
        settings (e.g. bf16 compute) share the model file."""
        key = json.dumps([recipe.passes, recipe.options], sort_keys=True, default=str)
        if key not in self.built:
            self.built[key] = build_variant(self.space, recipe, self.models_dir, tmp)
        shared = self.built[key]
        return Built(recipe, shared.path, shared.records, shared.nodes, shared.size_bytes,
                     shared.error)

    def backends_for(self, recipe: Recipe) -> list[str]:
        if recipe is self.space.recipes[0]:
            order = [self.space.baseline_backend] + [b for b in self.space.backends
                                                     if b != self.space.baseline_backend]
        else:
            order = list(self.space.backends)
        return [b for b in order if recipe.backends is None or b in recipe.backends]

    def add(self, row: VariantResult) -> None:
        if not self.results:  # the first row is the baseline: everything is relative to it
            if row.status != "ok":
                raise OptimizationError(
                    f"the original model does not run on {row.backend}: {row.error}",
                    "check that the model runs with onnxruntime and the --shape matches")
            self.baseline_accuracy = row.accuracy
            self.baseline_p50 = row.latency_ms.p50 if row.latency_ms else None
        if row.status == "ok" and row.latency_ms and self.baseline_p50:
            row.speedup = self.baseline_p50 / row.latency_ms.p50
            if row.accuracy is not None and self.baseline_accuracy is not None:
                row.accuracy_delta = row.accuracy - self.baseline_accuracy
                row.within_tolerance = row.accuracy_delta >= -self.space.tolerance
        self.results.append(row)

    def maybe_fallback(self, tmp: Path, eval_npz: Path | None) -> None:
        """If every static INT8 variant breaks tolerance, keep sensitive nodes in float."""
        space = self.space
        qdq = [r for r in self.results if r.precision in ("int8", "int8+bf16") and r.status == "ok"
               and r.accuracy_delta is not None]
        if not space.fallback or not qdq or space.calibration is None:
            return
        if any(r.within_tolerance for r in qdq):
            return
        if self.out_of_time():
            self.notes.append("accuracy-aware fallback skipped: time budget used up")
            return
        fastest = min(qdq, key=lambda r: r.latency_ms.p50 if r.latency_ms else 1e9)
        base = next(r for r in space.recipes if r.name == fastest.variant)
        from edgeweave.optimize.fallback import find_fallback

        graph_model, _ = run_passes(space.model, [p for p in base.passes
                                                  if p != "quantize_static"],
                                    PassContext(shapes=space.shapes, work_dir=tmp))
        quiet = contextlib.redirect_stdout(io.StringIO())  # ORT calibrators print progress
        try:
            with quiet:
                found = find_fallback(
                    graph_model, space.calibration, base.options.get("quantize_static", {}),
                    evaluate=lambda m: space.evaluator.score_model(m, fastest.backend,
                                                                   space.shapes, space.threads),
                    baseline=self.baseline_accuracy or 0.0, tolerance=space.tolerance,
                    shapes=space.shapes, work_dir=tmp, time_budget_s=self.remaining_budget())
        except EdgeWeaveError as exc:
            self.notes.append(f"accuracy-aware fallback failed: {exc.message}")
            return
        self.notes.append(
            f"accuracy-aware fallback from {base.name} on {fastest.backend}: kept "
            f"{len(found.excluded)} node(s) in float; tolerance "
            f"{'met' if found.met else 'not met'} after {len(found.steps)} step(s)")
        if found.int8_nodes == 0:  # all float again: nothing INT8 left to measure
            self.notes.append("fallback left no node in INT8; no fallback variant measured")
            return
        recipe = fallback_recipe(base, found.excluded)
        built = self.build(recipe, tmp)
        built.records = [*built.records, {"name": "accuracy_fallback", **found.summary()}]
        for backend in self.backends_for(recipe):
            self.add(self.measure(built, backend, tmp, eval_npz))

    def remaining_budget(self) -> float | None:
        if self.space.time_budget_s is None:
            return None
        return max(0.0, self.space.time_budget_s - (time.perf_counter() - self.started))


def choose_best(results: list[VariantResult], tolerance: float) -> tuple[str, str]:
    """Fastest variant that is within tolerance and faster than the baseline."""
    baseline = results[0]
    fits = [r for r in results[1:] if r.status == "ok" and r.latency_ms and r.within_tolerance
            and r.speedup and r.speedup > 1.0]
    if not fits:
        return baseline.name, (f"no variant was both faster than the baseline and within "
                               f"{tolerance} accuracy; keeping the original on {baseline.backend}")
    best = min(fits, key=lambda r: r.latency_ms.p50)  # type: ignore[union-attr]
    return best.name, (f"{best.speedup:.2f}x faster than the baseline (p50 "
                          f"{best.latency_ms.p50:.2f} ms vs {baseline.latency_ms.p50:.2f} ms) "  # type: ignore[union-attr]
                          f"with accuracy delta {best.accuracy_delta:+.4f}")
