"""The machine's FP32 matrix-multiply peak, measured once and cached.

Achieved GFLOP/s of a variant means little alone; its ratio to what this CPU can do on a
large GEMM says how much headroom is left. The GEMM runs on ONNX Runtime's MLAS kernels,
the same code path the FP32 variants use, single process, all cores.
"""

from __future__ import annotations

import json
import time

import numpy as np
from onnx import TensorProto, helper

from edgeweave.config import get_settings
from edgeweave.runtime.device import DeviceProfile

GEMM_SIZE = 1024


def _gemm_model(n: int) -> bytes:
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["a", "b"], ["c"])], "gemm",
        [helper.make_tensor_value_info("a", TensorProto.FLOAT, [n, n]),
         helper.make_tensor_value_info("b", TensorProto.FLOAT, [n, n])],
        [helper.make_tensor_value_info("c", TensorProto.FLOAT, [n, n])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    return model.SerializeToString()


def measure_gemm_peak(n: int = GEMM_SIZE, seconds: float = 1.5) -> float:
    """GFLOP/s of an n x n x n FP32 MatMul on ONNX Runtime (best of repeated runs)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    session = ort.InferenceSession(_gemm_model(n), options, providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    feeds = {"a": rng.random((n, n), dtype=np.float32), "b": rng.random((n, n), dtype=np.float32)}
    session.run(None, feeds)
    best, start = float("inf"), time.perf_counter()
    while time.perf_counter() - start < seconds:
        t0 = time.perf_counter()
        session.run(None, feeds)
        best = min(best, time.perf_counter() - t0)
    return 2.0 * n**3 / best / 1e9


def machine_peak_gflops(device: DeviceProfile, refresh: bool = False) -> float:
    """Cached GEMM peak for this CPU model and core count (measured on first use)."""
    cache = get_settings().cache_dir / "gemm_peak.json"
    key = f"{device.cpu_model}|{device.logical_cores}|ort-{onnx_runtime_version()}"
    data: dict[str, float] = {}
    if cache.exists():
        try:
            data = json.loads(cache.read_text())
        except (OSError, ValueError):
            data = {}
    if key in data and not refresh:
        return float(data[key])
    value = measure_gemm_peak()
    data[key] = value
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_text(json.dumps(data, indent=1))
    except OSError:
        pass  # an unwritable cache only costs a re-measure next time
    return value


def onnx_runtime_version() -> str:
    import onnxruntime as ort

    return str(ort.__version__)

