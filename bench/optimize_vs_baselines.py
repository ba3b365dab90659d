"""EdgeWeave's chosen variant vs the tools users already have, in one process.

For each real model (bundled PP-OCR zoo models):
  (a) ONNX Runtime, default session on the original model          <- the baseline
  (b) ONNX Runtime's own quantize_static with default settings      (failure is reported)
  (c) OpenVINO, default compile_model of the original model
  (d) EdgeWeave: `edgeweave.optimize(...)`'s chosen variant on its chosen backend
Timing interleaves the contenders in rounds so machine noise hits all of them alike, and
prints p50 latency ratios vs (a) and accuracy deltas vs (a) from the model's real metric.

    python bench/optimize_vs_baselines.py [--models ppocr-det,ppocr-cls] [--rounds 5]
                                          [--out bench-out] [--reuse]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np


class OrtAdapter:
    def __init__(self, session: Any) -> None:
        self.s = session
        self.input_names = [i.name for i in session.get_inputs()]

    def run(self, inputs: dict[str, np.ndarray]) -> list[np.ndarray]:
        return self.s.run(None, inputs)


class OvAdapter:
    def __init__(self, compiled: Any) -> None:
        self.req = compiled.create_infer_request()
        self.n_out = len(compiled.outputs)
        self.input_names = [p.get_any_name() for p in compiled.inputs]

    def run(self, inputs: dict[str, np.ndarray]) -> list[np.ndarray]:
        res = self.req.infer(inputs)
        return [np.array(res[i]) for i in range(self.n_out)]


def ort_default(path: Path) -> OrtAdapter:
    import onnxruntime as ort

    return OrtAdapter(ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]))


def ort_quantize_static_default(path: Path, calib: dict[str, np.ndarray], tmp: Path) -> OrtAdapter:
    """ORT's quantize_static exactly as its docs show it: defaults everywhere."""
    from onnxruntime.quantization import CalibrationDataReader, quantize_static

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            n = len(next(iter(calib.values())))
            self.it = iter([{k: v[i] for k, v in calib.items()} for i in range(n)])

        def get_next(self) -> dict[str, np.ndarray] | None:
            return next(self.it, None)

    out = tmp / "ort_qdq_default.onnx"
    quantize_static(str(path), str(out), Reader())
    return ort_default(out)


def openvino_default(path: Path) -> OvAdapter:
    import openvino as ov

    return OvAdapter(ov.Core().compile_model(str(path), "CPU"))


def edgeweave_best(report: Any) -> tuple[str, Any]:
    from edgeweave.runtime.backends import BackendOptions, get_backend
    from edgeweave.runtime.device import detect_device

    best = report.variant(report.best)
    shapes = {k: tuple(v) for k, v in report.model.shapes.items()}
    session = get_backend(best.backend).load(Path(best.path), detect_device(),
                                             BackendOptions(shapes=shapes,
                                                            compute_precision=best.compute_precision))
    return f"{best.name}", session


def interleaved_p50(contenders: dict[str, Any], inputs: dict[str, np.ndarray], rounds: int,
                    per_round_s: float) -> dict[str, float]:
    times: dict[str, list[float]] = {k: [] for k in contenders}
    for s in contenders.values():  # warm-up
        for _ in range(3):
            s.run(inputs)
    for _ in range(rounds):
        for name, s in contenders.items():
            # Each runtime keeps its own spinning worker threads; on a small machine the
            # previous contender's threads would still be burning cores. Let them settle,
            # then warm this one up again before timing it.
            time.sleep(0.2)
            for _ in range(3):
                s.run(inputs)
            start = time.perf_counter()
            while time.perf_counter() - start < per_round_s:
                t0 = time.perf_counter()
                s.run(inputs)
                times[name].append(time.perf_counter() - t0)
    return {k: statistics.median(v) * 1000 for k, v in times.items()}


def bench_model(name: str, out_root: Path, rounds: int, reuse: bool, budget: float) -> dict:
    import edgeweave
    from edgeweave.models.zoo import calibration_samples, get_entry
    from edgeweave.optimize.report import OptimizationReport
    from edgeweave.runtime.isolated import load_metric

    entry = get_entry(name)
    shapes = {k: tuple(v) for k, v in entry.shapes.items()}
    metric = load_metric(entry.metric)
    out = out_root / name
    if reuse and (out / "report.json").exists():
        report = OptimizationReport.model_validate_json((out / "report.json").read_text())
    else:
        print(f"[{name}] running edgeweave.optimize (budget {budget:.0f}s) ...", flush=True)
        report = edgeweave.optimize(f"zoo:{name}", out, time_budget_s=budget)
    calib = calibration_samples(entry, 32, seed=1)
    inputs = {k: v[0] for k, v in calib.items()}
    contenders: dict[str, Any] = {}
    failures: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as tmp_name:
        builders = {
            "(a) ort-default": lambda: ort_default(entry.path),
            "(b) ort-quantize_static-default": lambda: ort_quantize_static_default(
                entry.path, calib, Path(tmp_name)),
            "(c) openvino-default": lambda: openvino_default(entry.path),
        }
        for label, build in builders.items():
            try:
                session = build()
                session.run(inputs)
                contenders[label] = session
            except Exception as exc:  # a baseline tool failing is a result, not a crash
                failures[label] = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0][:200]}"
        best_name, best_session = edgeweave_best(report)
        contenders[f"(d) edgeweave {best_name}"] = best_session
        p50 = interleaved_p50(contenders, inputs, rounds, per_round_s=1.0)
        accuracy = {label: float(metric(s, shapes)) for label, s in contenders.items()}
    base_ms, base_acc = p50["(a) ort-default"], accuracy["(a) ort-default"]
    rows = [{"contender": k, "p50_ms": p50[k], "speedup_vs_a": base_ms / p50[k],
             "accuracy": accuracy[k], "accuracy_delta_vs_a": accuracy[k] - base_acc}
            for k in contenders]
    rows += [{"contender": k, "failed": v} for k, v in failures.items()]
    return {"model": name, "metric": entry.metric, "shapes": {k: list(v) for k, v in shapes.items()},
            "rows": rows}


def print_result(res: dict) -> None:
    print(f"\n## {res['model']}  (metric {res['metric']}, shapes {res['shapes']})")
    print(f"{'contender':52s} {'p50 ms':>9s} {'vs (a)':>8s} {'accuracy':>9s} {'delta':>8s}")
    for r in res["rows"]:
        if "failed" in r:
            print(f"{r['contender']:52s} FAILED: {r['failed']}")
            continue
        print(f"{r['contender']:52s} {r['p50_ms']:9.2f} {r['speedup_vs_a']:7.2f}x "
              f"{r['accuracy']:9.4f} {r['accuracy_delta_vs_a']:+8.4f}")
    ok = [r for r in res["rows"] if "failed" not in r]
    d = next(r for r in ok if r["contender"].startswith("(d)"))
    best_other = min(r["p50_ms"] for r in ok if not r["contender"].startswith("(d)"))
    print(f"(d) vs best of (a)-(c): {best_other / d['p50_ms']:.2f}x "
          f"({'not slower' if d['p50_ms'] <= best_other * 1.05 else 'SLOWER'}; 5% noise band)")
    print(f"(d) vs (a): {d['speedup_vs_a']:.2f}x at accuracy delta "
          f"{d['accuracy_delta_vs_a']:+.4f}")


def main(argv: list[str]) -> int:
    import onnxruntime as ort

    ort.set_default_logger_severity(3)  # ORT's quantizer warns per unused initializer
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="ppocr-det,ppocr-cls")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out", default="out/bench")
    parser.add_argument("--budget", type=float, default=900.0, help="optimize() time budget")
    parser.add_argument("--reuse", action="store_true", help="reuse an earlier optimize output")
    args = parser.parse_args(argv)
    results = []
    for name in [m.strip() for m in args.models.split(",") if m.strip()]:
        res = bench_model(name, Path(args.out), args.rounds, args.reuse, args.budget)
        print_result(res)
        results.append(res)
    Path(args.out).mkdir(parents=True, exist_ok=True)
    (Path(args.out) / "bench.json").write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
