"""optimize_model registers the best variant; infer serves it (as a DAG task would)."""

import numpy as np
import onnxruntime as ort
import pytest

from edgeweave.errors import NotFoundError, ParameterError
from edgeweave.workflow.operators import OPERATORS
from edgeweave.workflow.operators.ai import infer, optimize_model


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("EDGEWEAVE_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def test_operators_are_registered_by_name():
    assert OPERATORS["optimize_model"] is optimize_model and OPERATORS["infer"] is infer


def test_optimize_then_infer_matches_the_original_model(home, tiny_model_path):
    entry = optimize_model(tiny_model_path, name="tiny", backends=["onnxruntime"],
                           time_budget=60)
    assert entry["name"] == "tiny" and entry["version"] == 1
    assert (home / "registry" / "tiny" / "1" / "model.onnx").exists()
    samples = np.random.default_rng(0).random((5, 1, 3, 16, 16), dtype=np.float32)
    result = infer(entry, samples, backend="onnxruntime")
    assert result["samples"] == 5 and result["fps"] > 0
    reference = ort.InferenceSession(tiny_model_path).run(None, {"x": samples[0]})[0]
    got = result["outputs"][0][0]
    cosine = float((got * reference).sum() / np.linalg.norm(got) / np.linalg.norm(reference))
    assert cosine > 0.99  # the chosen variant may be INT8: close, not identical
    again = optimize_model(tiny_model_path, name="tiny", backends=["onnxruntime"], time_budget=30)
    assert again["version"] == 2
    assert infer("tiny:1", samples[:2])["model"] == "tiny:1"


def test_infer_refuses_bad_inputs_clearly(home, tiny_model_path):
    with pytest.raises(NotFoundError, match="no model named 'missing'"):
        infer("missing", np.zeros((1, 3, 16, 16), np.float32))
    optimize_model(tiny_model_path, name="tiny", backends=["onnxruntime"], time_budget=20)
    with pytest.raises(ParameterError, match="missing input"):
        infer("tiny", {"y": np.zeros((1, 3, 16, 16), np.float32)})
    with pytest.raises(ParameterError, match="does not exist"):
        infer("tiny", "/no/such/file.npz")
