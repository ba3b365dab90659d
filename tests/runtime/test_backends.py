from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

from edgeweave.errors import BackendUnavailableError, ParameterError
from edgeweave.runtime.backends import (
    BackendOptions,
    available_backends,
    get_backend,
    require_backend,
)
from edgeweave.runtime.device import detect_device


@pytest.mark.parametrize("name", ["onnxruntime", "openvino"])
def test_backends_match_reference_outputs(tiny_model_path, name):
    device = detect_device()
    x = np.random.default_rng(0).random((1, 3, 16, 16), dtype=np.float32)
    ref = ort.InferenceSession(tiny_model_path, providers=["CPUExecutionProvider"]).run(
        None, {"x": x})[0]
    session = get_backend(name).load(Path(tiny_model_path), device,
                                     BackendOptions(threads=1, shapes={"x": (1, 3, 16, 16)}))
    assert session.input_names == ["x"]
    out = session.run({"x": x})
    np.testing.assert_allclose(out[0], ref, rtol=1e-4, atol=1e-5)


def test_openvino_outputs_are_not_overwritten_by_the_next_run(tiny_model_path):
    session = get_backend("openvino").load(Path(tiny_model_path), detect_device(),
                                           BackendOptions(shapes={"x": (1, 3, 16, 16)}))
    rng = np.random.default_rng(1)
    first = session.run({"x": rng.random((1, 3, 16, 16), dtype=np.float32)})[0]
    kept = first.copy()
    session.run({"x": rng.random((1, 3, 16, 16), dtype=np.float32)})
    np.testing.assert_array_equal(first, kept)


def test_unknown_backend_lists_the_known_ones():
    with pytest.raises(ParameterError, match="known backends: .*onnxruntime.*openvino"):
        get_backend("tensorflow")


def test_missing_gpu_backend_says_how_to_install():
    device = detect_device()
    if "CUDAExecutionProvider" in device.ort_providers:
        pytest.skip("this machine has onnxruntime-gpu")
    assert "onnxruntime-cuda" not in available_backends(device)
    with pytest.raises(BackendUnavailableError, match="not available") as info:
        require_backend("onnxruntime-cuda", device)
    assert "onnxruntime-gpu" in info.value.hint


def test_device_profile_describes_this_machine():
    d = detect_device()
    assert d.logical_cores >= 1 and d.memory_gb > 0
    assert d.runtimes["onnxruntime"] == ort.__version__
    assert "onnxruntime" in available_backends(d)
    if d.arch == "x86_64":
        assert "AVX2" in d.isa or not d.isa
