"""Measure one model x backend in a fresh Python process and return a Measurement.

A fresh process gives a cold load time and a peak RSS that belongs to this variant only.
The parent writes a job (JSON) and the inputs (.npz); the child loads, times, optionally
evaluates, and prints one JSON line. ``python -m edgeweave.runtime.isolated JOB.json``.
"""

from __future__ import annotations

import importlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from pydantic import BaseModel

from edgeweave.errors import BackendUnavailableError, OptimizationError
from edgeweave.runtime.backends import BackendOptions, Session, get_backend
from edgeweave.runtime.device import detect_device
from edgeweave.runtime.measure import (
    LatencyStats,
    TimingPlan,
    batched,
    measure_fps,
    measure_latency,
)


class Measurement(BaseModel):
    """What one variant x backend achieved on this machine."""

    load_s: float
    latency_ms: LatencyStats
    fps: float
    fps_batch: float | None = None
    batch: int | None = None
    peak_rss_mb: float
    metric: float | None = None


class Job(BaseModel):
    model: str
    backend: str
    threads: int = 0
    compute_precision: str = "exact"
    shapes: dict[str, list[int]]
    inputs_npz: str
    plan: TimingPlan = TimingPlan()
    eval_npz: str | None = None
    outputs_npz: str | None = None
    metric: str | None = None
    batch_ok: bool = False


def load_metric(spec: str):  # type: ignore[no-untyped-def]
    """Import ``module:function``; raises OptimizationError naming what is wrong."""
    from edgeweave.errors import ParameterError

    module_name, _, func_name = spec.partition(":")
    if not module_name or not func_name:
        raise ParameterError(f"bad metric {spec!r}: expected module:function")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ParameterError(f"cannot import metric module {module_name!r}: {exc}",
                             "make sure the module is on PYTHONPATH") from exc
    func = getattr(module, func_name, None)
    if not callable(func):
        raise ParameterError(f"metric module {module_name!r} has no function {func_name!r}")
    return func


def run_job(job: Job) -> Measurement:
    """Load, time and (optionally) evaluate; called inside the child process."""
    device = detect_device()
    backend = get_backend(job.backend)
    if not backend.available(device):
        raise BackendUnavailableError(f"backend {job.backend!r} unavailable", backend.install_hint)
    shapes = {k: tuple(v) for k, v in job.shapes.items()}
    with np.load(job.inputs_npz) as data:
        inputs = {k: data[k] for k in data.files}
    t0 = time.perf_counter()
    options = BackendOptions(job.threads, shapes, job.compute_precision)
    session = backend.load(Path(job.model), device, options)
    session.run(inputs)  # first inference finishes lazy initialisation: part of loading
    load_s = time.perf_counter() - t0
    latency = measure_latency(session, inputs, job.plan)
    peak_mb = peak_rss_mb()  # at batch 1, before the batch run: comparable across variants
    fps_batch = measure_batch_fps(job, inputs, session) if job.batch_ok else None
    metric = None
    if job.eval_npz and job.outputs_npz:
        save_outputs(session, job.eval_npz, job.outputs_npz)
    if job.metric:
        metric = float(load_metric(job.metric)(session, shapes))
    return Measurement(load_s=load_s, latency_ms=latency, fps=1000.0 / latency.mean,
                       fps_batch=fps_batch, batch=job.plan.batch if fps_batch else None,
                       peak_rss_mb=peak_mb, metric=metric)


def peak_rss_mb() -> float:
    """This process's peak resident memory in MB.

    /proc's VmHWM belongs to the current address space; getrusage's ru_maxrss on Linux also
    carries the parent's peak across fork+exec, which would charge the optimizer's own
    memory to every variant.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def measure_batch_fps(job: Job, inputs: dict[str, np.ndarray], session: Session) -> float | None:
    """FPS at batch ``job.plan.batch``; None where the variant fixed its batch dim to 1."""
    if job.plan.batch <= 1:
        return None
    big = batched(inputs, job.plan.batch)
    try:
        if not job.backend.startswith("onnxruntime"):  # compiled per shape: load for batch N
            options = BackendOptions(job.threads, {k: tuple(v.shape) for k, v in big.items()},
                                     job.compute_precision)
            session = get_backend(job.backend).load(Path(job.model), detect_device(), options)
        return measure_fps(session, big, job.plan)
    except Exception:  # static batch of 1 (static_shapes pass): no batch figure
        return None


def save_outputs(session, eval_npz: str, outputs_npz: str) -> None:  # type: ignore[no-untyped-def]
    """Run every eval sample (axis 0 of each array) and save outputs stacked per output."""
    with np.load(eval_npz) as data:
        samples = {k: data[k] for k in data.files}
    count = len(next(iter(samples.values())))
    collected: list[list[np.ndarray]] = []
    for i in range(count):
        outs = session.run({k: v[i] for k, v in samples.items()})
        collected.append(outs)
    np.savez(outputs_npz, *[np.stack([o[j] for o in collected]) for j in range(len(collected[0]))])


def measure_isolated(job: Job, timeout_s: float = 600.0) -> Measurement:
    """Run ``job`` in a child process; a crash or timeout becomes an OptimizationError."""
    with tempfile.TemporaryDirectory(prefix="edgeweave-job-") as tmp:
        job_path = Path(tmp) / "job.json"
        job_path.write_text(job.model_dump_json())
        # The child must import what the parent can (a user's metric module, say).
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        try:
            proc = subprocess.run([sys.executable, "-m", "edgeweave.runtime.isolated", str(job_path)],
                                  capture_output=True, text=True, timeout=timeout_s, check=False,
                                  env=env)
        except subprocess.TimeoutExpired as exc:
            raise OptimizationError(
                f"measuring {Path(job.model).name} on {job.backend} took over {timeout_s:.0f}s",
                "raise --time-budget or measure fewer variants") from exc
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise OptimizationError(
            f"{job.backend} failed to run {Path(job.model).name}: {' | '.join(tail)}",
            "the variant is skipped; the report lists the failure")
    payload = json.loads(lines[-1])
    if "error" in payload:
        raise OptimizationError(payload["error"], payload.get("hint", ""))
    return Measurement.model_validate(payload)


def _main(argv: list[str]) -> int:
    from edgeweave.errors import EdgeWeaveError, first_line

    job = Job.model_validate_json(Path(argv[0]).read_text())
    try:
        result = run_job(job)
    except EdgeWeaveError as exc:
        print(json.dumps({"error": exc.message, "hint": exc.hint}))
        return 0
    except Exception as exc:  # the runtime's own error: report it, the parent decides
        print(json.dumps({"error": f"{job.backend} failed on {Path(job.model).name}: "
                          f"{type(exc).__name__}: {first_line(exc)}"}))
        return 0
    print(result.model_dump_json())
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
