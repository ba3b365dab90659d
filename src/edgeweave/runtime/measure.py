"""Timing a loaded session: warm-up, latency percentiles, FPS at batch 1 and batch N.

Each variant is measured in a fresh process (see ``isolated.py``) so that load time is
cold and peak memory belongs to that variant alone; this module holds the in-process part.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
from pydantic import BaseModel

from edgeweave.runtime.backends.base import Inputs, Session


class LatencyStats(BaseModel):
    """Milliseconds per inference at batch 1."""

    p50: float
    p95: float
    p99: float
    mean: float
    runs: int


class TimingPlan(BaseModel):
    """How long to measure: at least ``min_runs`` runs and ``min_seconds``, then stop."""

    warmup: int = 5
    min_runs: int = 20
    min_seconds: float = 1.0
    max_runs: int = 2000
    batch: int = 8


def time_runs(run: Callable[[], object], plan: TimingPlan) -> list[float]:
    """Warm up, then time ``run`` until both the run count and the time floor are met."""
    for _ in range(plan.warmup):
        run()
    times: list[float] = []
    start = time.perf_counter()
    while len(times) < plan.max_runs and (
        len(times) < plan.min_runs or time.perf_counter() - start < plan.min_seconds
    ):
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    return times


def latency_stats(times_s: list[float]) -> LatencyStats:
    ms = np.asarray(times_s) * 1000.0
    return LatencyStats(
        p50=float(np.percentile(ms, 50)),
        p95=float(np.percentile(ms, 95)),
        p99=float(np.percentile(ms, 99)),
        mean=float(ms.mean()),
        runs=len(ms),
    )


def measure_latency(session: Session, inputs: Inputs, plan: TimingPlan) -> LatencyStats:
    return latency_stats(time_runs(lambda: session.run(inputs), plan))


def batched(inputs: Inputs, batch: int) -> Inputs:
    """Repeat each input along axis 0 to ``batch`` samples (inputs are at batch 1)."""
    return {k: np.repeat(v, batch, axis=0) for k, v in inputs.items()}


def measure_fps(session: Session, inputs: Inputs, plan: TimingPlan) -> float:
    """Frames per second with ``inputs`` as one call (frames = leading dim)."""
    frames = next(iter(inputs.values())).shape[0]
    quick = plan.model_copy(update={"warmup": 2, "min_runs": 5, "min_seconds": plan.min_seconds / 2})
    times = time_runs(lambda: session.run(inputs), quick)
    return float(frames / np.median(times))
