import numpy as np
import pytest

from edgeweave.errors import OptimizationError
from edgeweave.runtime.isolated import Job, measure_isolated
from edgeweave.runtime.measure import TimingPlan, latency_stats, time_runs

QUICK = TimingPlan(warmup=1, min_runs=5, min_seconds=0.05, batch=4)


def test_time_runs_meets_both_floors():
    calls = []
    times = time_runs(lambda: calls.append(1), TimingPlan(warmup=3, min_runs=7, min_seconds=0.0))
    assert len(times) == 7 and len(calls) == 10


def test_latency_percentiles_are_ordered():
    stats = latency_stats([0.001 * i for i in range(1, 101)])
    assert stats.p50 <= stats.p95 <= stats.p99 and stats.runs == 100
    assert stats.p50 == pytest.approx(50.5)


@pytest.mark.parametrize("backend", ["onnxruntime", "openvino"])
def test_isolated_measurement_reports_load_latency_memory_and_outputs(tmp_path, tiny_model_path,
                                                                      backend):
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "in.npz", x=rng.random((1, 3, 16, 16), dtype=np.float32))
    np.savez(tmp_path / "eval.npz", x=rng.random((5, 1, 3, 16, 16), dtype=np.float32))
    job = Job(model=tiny_model_path, backend=backend, shapes={"x": [1, 3, 16, 16]},
              inputs_npz=str(tmp_path / "in.npz"), plan=QUICK, eval_npz=str(tmp_path / "eval.npz"),
              outputs_npz=str(tmp_path / "out.npz"), batch_ok=True)
    m = measure_isolated(job)
    assert m.load_s > 0 and m.latency_ms.runs >= 5 and m.fps > 0
    assert m.fps_batch and m.batch == 4
    assert m.peak_rss_mb > 20
    with np.load(tmp_path / "out.npz") as out:
        assert out["arr_0"].shape == (5, 1, 10)


def test_a_model_that_cannot_run_is_reported_not_crashing(tmp_path):
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"garbage")
    np.savez(tmp_path / "in.npz", x=np.zeros((1, 3, 16, 16), np.float32))
    job = Job(model=str(bad), backend="onnxruntime", shapes={"x": [1, 3, 16, 16]},
              inputs_npz=str(tmp_path / "in.npz"), plan=QUICK)
    with pytest.raises(OptimizationError, match="onnxruntime failed on bad.onnx"):
        measure_isolated(job)
