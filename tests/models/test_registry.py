from pathlib import Path

import pytest

from edgeweave.errors import NotFoundError, ParameterError
from edgeweave.models.registry import ModelRegistry
from edgeweave.optimize.report import OptimizationReport


def _report(tmp_path, best="fp32@openvino"):
    model = tmp_path / "variant.onnx"
    model.write_bytes(b"onnx-bytes")
    row = {"name": best, "variant": best.split("@")[0], "passes": [], "backend": best.split("@")[1],
           "precision": "bf16", "compute_precision": "bf16", "path": str(model), "size_bytes": 10,
           "nodes": 1, "accuracy": 0.9, "speedup": 2.0,
           "latency_ms": {"p50": 1.0, "p95": 1.0, "p99": 1.0, "mean": 1.0, "runs": 5}}
    data = {
        "model": {"path": "m.onnx", "sha256": "ab" * 32, "opset": 13, "nodes": 1, "params": 1,
                  "size_bytes": 10, "flops": None, "shapes": {"x": [1, 3, 8, 8]}},
        "device": {"hostname": "h", "os": "l", "arch": "x86_64", "cpu_model": "c",
                   "physical_cores": 1, "logical_cores": 1, "isa": [], "memory_gb": 1.0,
                   "gpus": [], "runtimes": {}, "ort_providers": []},
        "machine_peak_gflops": None,
        "settings": {"tolerance": 0.01, "backends": ["openvino"], "accuracy_metric": "m",
                     "calibration": None, "evaluation": "e", "time_budget_s": None, "threads": 0},
        "baseline": best, "variants": [row], "best": best, "reason": "r", "elapsed_s": 1.0}
    return OptimizationReport.model_validate(data).model_dump_json()


def test_register_assigns_versions_and_keeps_runtime_settings(tmp_path):
    reg = ModelRegistry(tmp_path / "reg")
    first = reg.register("ocr-det", _report(tmp_path), tmp_path)
    second = reg.register("ocr-det", _report(tmp_path), tmp_path)
    assert (first.version, second.version) == (1, 2)
    latest = reg.get("ocr-det")
    assert latest.version == 2 and latest.backend == "openvino"
    assert latest.compute_precision == "bf16" and latest.shapes == {"x": [1, 3, 8, 8]}
    assert Path(latest.path).read_bytes() == b"onnx-bytes"
    assert reg.get("ocr-det", 1).version == 1
    assert reg.names() == ["ocr-det"]


def test_unknown_names_and_versions_say_what_exists(tmp_path):
    reg = ModelRegistry(tmp_path / "reg")
    with pytest.raises(NotFoundError, match="no model named 'x'"):
        reg.get("x")
    reg.register("m", _report(tmp_path), tmp_path)
    with pytest.raises(NotFoundError, match=r"no version 7; versions: \[1\]"):
        reg.get("m", 7)
    with pytest.raises(ParameterError, match="bad model name"):
        reg.register("../evil", _report(tmp_path), tmp_path)
