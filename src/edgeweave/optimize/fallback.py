"""Accuracy-aware INT8: keep the most sensitive parts in float until accuracy is within tolerance.

Ranking is by *tensor*, not node: in a QDQ model a tensor stays quantized as long as its
producer or any consumer is quantized, so keeping one node in float rarely removes the damage.
Each quantized tensor gets a sensitivity (its own INT8 round-trip error, measured per channel
on a few calibration samples, so an outlier channel cannot hide the channels it crushes) and a
group: the nodes to keep in float to remove that tensor's Q/DQ. Groups are then excluded in
growing batches (1, 2, 4, ...) with re-quantization and evaluation each time, and once a batch
meets the tolerance a bisection looks for a smaller one. Everything is bounded by
``max_steps`` and ``time_budget_s``.
"""

from __future__ import annotations

import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
from onnx import helper, numpy_helper

from edgeweave.errors import CalibrationDataError, ParameterError
from edgeweave.optimize.calibration import validate_samples
from edgeweave.optimize.passes.base import PassContext, PassResult
from edgeweave.optimize.passes.quantize import quantize_static, quantized_nodes

QDQ_OPS = ("QuantizeLinear", "DequantizeLinear")
Evaluate = Callable[[onnx.ModelProto], float]


@dataclass
class Sensitivity:
    """One quantized tensor: its INT8 error (0 = exact, 1 = signal lost) and its float group."""

    tensor: str
    error: float
    nodes: list[str]
    kind: str = "activation"


@dataclass
class FallbackStep:
    """One try: how many nodes were kept in float, the score, seconds since the start."""

    excluded: int
    score: float
    seconds: float


@dataclass
class FallbackResult:
    """The chosen model and how the search got there."""

    model: onnx.ModelProto
    pass_result: PassResult
    excluded: list[str]
    score: float
    baseline: float
    tolerance: float
    met: bool
    stopped: str
    steps: list[FallbackStep] = field(default_factory=list)
    ranking: list[Sensitivity] = field(default_factory=list)

    @property
    def int8_nodes(self) -> int:
        """Compute nodes still in INT8; 0 means the tolerance needed a fully float model."""
        return len(quantized_nodes(self.model))

    def summary(self, top: int = 10) -> dict[str, Any]:
        """JSON-ready record for the report (the model itself is left out)."""
        return {"score": self.score, "baseline": self.baseline, "tolerance": self.tolerance,
                "met": self.met, "stopped": self.stopped, "excluded": self.excluded,
                "int8_nodes": self.int8_nodes,
                "steps": [vars(s) for s in self.steps],
                "most_sensitive": [vars(s) for s in self.ranking[:top]]}


def find_fallback(model: onnx.ModelProto, calibration: dict[str, np.ndarray],
                  options: dict[str, Any], evaluate: Evaluate, baseline: float,
                  tolerance: float = 0.01, *, shapes: dict[str, tuple[int, ...]] | None = None,
                  work_dir: Path | None = None, max_steps: int = 10,
                  time_budget_s: float | None = 600.0, rank_samples: int = 8) -> FallbackResult:
    """Static INT8 of ``model`` whose score drops at most ``tolerance`` below ``baseline``.

    ``options`` are the ``quantize_static`` options (their ``exclude_nodes`` are always kept);
    ``evaluate(model) -> float`` is higher-is-better (agreement with FP32, top-1, ...). If the
    tolerance is never met, the best-scoring try is returned with ``met=False``. The first
    try (plain INT8) always runs; the limits bound the tries after it.
    """
    budget = float("inf") if time_budget_s is None else time_budget_s
    if tolerance < 0 or max_steps < 1 or budget < 0:
        raise ParameterError(
            f"bad fallback limits: tolerance={tolerance}, max_steps={max_steps}, "
            f"time_budget_s={time_budget_s}", "use tolerance >= 0, max_steps >= 1, time >= 0")
    if not calibration:
        raise CalibrationDataError("accuracy fallback needs calibration samples; none were given",
                                   "pass --calib with an image folder, .npy or .npz file")
    start = time.monotonic()
    fixed = list(options.get("exclude_nodes", []))
    search = _Search(baseline - tolerance, start)
    with tempfile.TemporaryDirectory(prefix="fallback-", dir=work_dir) as tmp:
        cache = str(Path(tmp) / "calibration.json")

        def attempt(excluded: list[str]) -> bool:
            opts = {**options, "exclude_nodes": excluded, "calibration_cache": cache}
            ctx = PassContext(shapes=dict(shapes or {}), calibration=calibration,
                              options={"quantize_static": opts}, work_dir=Path(tmp))
            res = quantize_static(model, ctx)
            return search.record(res, float(evaluate(res.model)), excluded)

        if attempt(fixed):
            return search.finish(baseline, tolerance, "met", [])
        samples = validate_samples(model, calibration, shapes).samples
        ranking = rank_sensitivity(search.best_any[0].model, samples, rank_samples)
        sets = _cumulative_sets(fixed, ranking)

        def left() -> str | None:
            if len(search.steps) >= max_steps:
                return "max_steps"
            return "time_budget" if time.monotonic() - start >= budget else None

        lo, hi, k, stopped = 0, None, 1, "exhausted"
        while sets and hi is None:
            if (reason := left()) is not None:
                stopped = reason
                break
            k = min(k, len(sets))
            if attempt(sets[k - 1]):
                hi, stopped = k, "met"
            elif k == len(sets):
                break
            else:
                lo, k = k, k * 2
        while hi is not None and hi - lo > 1 and left() is None:
            mid = (lo + hi) // 2
            if attempt(sets[mid - 1]):
                hi = mid
            else:
                lo = mid
        return search.finish(baseline, tolerance, stopped, ranking)


class _Search:
    """Keeps the steps, the smallest exclusion that met the target, and the best score."""

    def __init__(self, target: float, start: float) -> None:
        self.target, self.start = target, start
        self.steps: list[FallbackStep] = []
        self.best_met: tuple[PassResult, float, list[str]] | None = None
        self.best_any: tuple[PassResult, float, list[str]] = None  # type: ignore[assignment]

    def record(self, res: PassResult, score: float, excluded: list[str]) -> bool:
        self.steps.append(FallbackStep(len(excluded), score, time.monotonic() - self.start))
        entry = (res, score, list(excluded))
        if self.best_any is None or score > self.best_any[1]:
            self.best_any = entry
        met = score >= self.target
        if met and (self.best_met is None or len(excluded) < len(self.best_met[2])):
            self.best_met = entry
        return met

    def finish(self, baseline: float, tolerance: float, stopped: str,
               ranking: list[Sensitivity]) -> FallbackResult:
        res, score, excluded = self.best_met or self.best_any
        return FallbackResult(res.model, res, excluded, score, baseline, tolerance,
                              self.best_met is not None, stopped, self.steps, ranking)


def _cumulative_sets(fixed: list[str], ranking: list[Sensitivity]) -> list[list[str]]:
    """Exclusion list after taking the top 1, 2, ... groups (groups adding nothing skipped)."""
    current, sets = list(fixed), []
    for item in ranking:
        new = [n for n in item.nodes if n not in current]
        if new:
            current = current + new
            sets.append(current)
    return sets


def rank_sensitivity(qdq_model: onnx.ModelProto, samples: dict[str, np.ndarray],
                     max_samples: int = 8) -> list[Sensitivity]:
    """Quantized tensors of a QDQ model, most damaged by INT8 first."""
    graph = qdq_model.graph
    inits = {i.name: i for i in graph.initializer}
    producer = {o: n for n in graph.node for o in n.output}
    users: dict[str, list[onnx.NodeProto]] = defaultdict(list)
    for node in graph.node:
        for name in node.input:
            users[name].append(node)

    def float_users(tensor: str) -> list[str]:
        return [u.name for u in users[tensor] if u.op_type not in QDQ_OPS]

    pairs: list[tuple[str, str, list[str], bool]] = []
    ranking: list[Sensitivity] = []
    for node in graph.node:
        if node.op_type == "DequantizeLinear" and node.input[0] in inits:
            error = _weight_error(node, inits)
            if error is not None:
                ranking.append(Sensitivity(node.input[0], error, float_users(node.output[0]),
                                           "weight"))
        if node.op_type != "QuantizeLinear" or node.input[0] in inits:
            continue
        dqs = [u for u in users[node.output[0]] if u.op_type == "DequantizeLinear"]
        if not dqs:
            continue
        src = producer.get(node.input[0])
        group = [src.name] if src is not None and src.op_type not in QDQ_OPS else []
        group += [n for d in dqs for n in float_users(d.output[0]) if n not in group]
        pairs.append((node.input[0], dqs[0].output[0], group, _starts_at_zero(node, inits)))
    errors = _activation_errors(qdq_model, pairs, samples, max_samples)
    ranking += [Sensitivity(t, errors[t], group) for t, _, group, _ in pairs]
    return sorted(ranking, key=lambda s: -s.error)


def _activation_errors(model: onnx.ModelProto, pairs: list[tuple[str, str, list[str], bool]],
                       samples: dict[str, np.ndarray], max_samples: int) -> dict[str, float]:
    """Per tensor, mean over channels of ||x - dq(q(x))|| / ||x||, capped at 1."""
    if not pairs:
        return {}
    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    present = {o.name for o in probe.graph.output}
    types = {v.name: v.type.tensor_type.elem_type
             for v in [*probe.graph.value_info, *probe.graph.input, *probe.graph.output]}
    wanted = list(dict.fromkeys(n for t, d, _, _ in pairs for n in (t, d)))
    for name in wanted:
        if name not in present:
            probe.graph.output.append(helper.make_tensor_value_info(
                name, types.get(name) or onnx.TensorProto.FLOAT, None))
    options = ort.SessionOptions()
    options.log_severity_level = 3
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = ort.InferenceSession(probe.SerializeToString(), options,
                                   providers=["CPUExecutionProvider"])
    sums: dict[str, list[np.ndarray]] = {}
    count = min(max_samples, next(iter(samples.values())).shape[0])
    for i in range(count):
        values = dict(zip(wanted, session.run(wanted, {k: v[i] for k, v in samples.items()}),
                          strict=True))
        for tensor, dq_out, _, floor in pairs:
            ref = np.maximum(values[tensor], 0) if floor else values[tensor]
            num, den = _channel_sums(ref, values[dq_out])
            acc = sums.setdefault(tensor, [np.zeros_like(num), np.zeros_like(den)])
            if acc[0].shape == num.shape:
                acc[0] += num
                acc[1] += den
    return {t: _relative(num, den) for t, (num, den) in sums.items()}


def _starts_at_zero(q: onnx.NodeProto, inits: dict[str, onnx.TensorProto]) -> bool:
    """Whether the Q range starts at 0 (zero point = lowest code): a fused ReLU/Clip.

    ORT drops a ReLU after Conv and lets the Q clamp at 0 instead; the clamp is the ReLU
    doing its job, not INT8 error, so the reference is clamped the same way.
    """
    if len(q.input) < 3 or q.input[2] not in inits:
        return False
    zero = numpy_helper.to_array(inits[q.input[2]])
    return zero.size > 0 and bool((zero == np.iinfo(zero.dtype).min).all())


def _channel_sums(ref: np.ndarray, got: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ref = np.asarray(ref, dtype=np.float64)
    got = np.asarray(got, dtype=np.float64)
    if ref.ndim >= 3:
        ref, got = np.moveaxis(ref, 1, 0), np.moveaxis(got, 1, 0)
    ref = ref.reshape(ref.shape[0] if ref.ndim >= 3 else 1, -1)
    got = got.reshape(ref.shape)
    return ((ref - got) ** 2).sum(axis=1), (ref**2).sum(axis=1)


def _relative(num: np.ndarray, den: np.ndarray) -> float:
    """Mean per-channel relative error, channels much weaker than the median weighted down.

    Per channel, so an outlier channel cannot hide the channels it crushes; weighted by
    min(1, norm / median norm), so near-dead channels (common after ReLU) do not dominate.
    """
    norm = np.sqrt(den)
    eps = 1e-6 * float(norm.max(initial=0.0)) + 1e-12
    rel = np.minimum(np.sqrt(num) / (norm + eps), 1.0)
    weight = np.minimum(norm / (float(np.median(norm)) + eps), 1.0)
    return float((rel * weight).sum() / weight.sum()) if weight.sum() > 0 else 0.0


def _weight_error(dq: onnx.NodeProto, inits: dict[str, onnx.TensorProto]) -> float | None:
    """Expected relative INT8 noise of a weight, per channel: (scale/sqrt(12)) / rms(weight).

    The float weights are gone from a QDQ model, so the noise of uniform rounding stands in
    for the measured error. Int32 biases are skipped (their error is negligible).
    """
    q = numpy_helper.to_array(inits[dq.input[0]])
    if q.dtype not in (np.int8, np.uint8) or q.size == 0 or dq.input[1] not in inits:
        return None
    scale = numpy_helper.to_array(inits[dq.input[1]]).astype(np.float64)
    zero = (numpy_helper.to_array(inits[dq.input[2]]).astype(np.float64)
            if len(dq.input) > 2 and dq.input[2] in inits else np.zeros_like(scale))
    axis = next((a.i for a in dq.attribute if a.name == "axis"), 1)
    if scale.ndim == 1 and scale.size > 1:
        axis = axis % q.ndim
        shape = [1] * q.ndim
        shape[axis] = scale.size
        scale, zero = scale.reshape(shape), zero.reshape(shape)
        w = (q.astype(np.float64) - zero) * scale
        rms = np.sqrt((np.moveaxis(w, axis, 0).reshape(scale.size, -1) ** 2).mean(axis=1))
        noise = scale.reshape(-1) / np.sqrt(12.0)
    else:  # per-tensor: per output channel, axis 0 for Conv weights, last axis for MatMul
        w = (q.astype(np.float64) - zero) * scale
        w = w.reshape(1, -1) if w.ndim < 2 else np.moveaxis(w, 0 if w.ndim > 2 else -1, 0)
        rms = np.sqrt((w.reshape(w.shape[0], -1) ** 2).mean(axis=1))
        noise = np.full_like(rms, float(scale.reshape(-1)[0]) / np.sqrt(12.0))
    live = rms > 0
    return float(np.minimum(noise[live] / rms[live], 1.0).mean()) if live.any() else None
