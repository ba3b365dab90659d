"""Accuracy-aware fallback: finds the layers INT8 breaks, keeps them float, stays bounded."""

from __future__ import annotations

import json
from collections.abc import Callable

import numpy as np
import onnx
import pytest
from builders import conv_bn_relu_model
from quant_builders import cosine, outlier_model, run_samples

from edgeweave.errors import CalibrationDataError, ParameterError
from edgeweave.optimize.fallback import find_fallback, rank_sensitivity
from edgeweave.optimize.passes.base import PassContext
from edgeweave.optimize.passes.quantize import quantize_static, quantized_nodes

RNG = np.random.default_rng(1)
CALIB = {"x": RNG.normal(size=(16, 1, 3, 8, 8)).astype(np.float32)}
EVAL = {"x": RNG.normal(size=(16, 1, 3, 8, 8)).astype(np.float32)}


def _fidelity(model: onnx.ModelProto, samples: dict[str, np.ndarray]
              ) -> Callable[[onnx.ModelProto], float]:
    """Score = mean cosine similarity of outputs with the float model (1.0 = identical)."""
    ref = run_samples(model, samples)
    return lambda candidate: cosine(run_samples(candidate, samples), ref)


def test_plain_int8_breaks_the_outlier_model() -> None:
    """The case the fallback exists for: per-tensor activations crush the small channels."""
    model = outlier_model()
    res = quantize_static(model, PassContext(calibration=CALIB))
    assert _fidelity(model, EVAL)(res.model) < 0.5


def test_sensitivity_ranks_the_outlier_tensor_first() -> None:
    qdq = quantize_static(outlier_model(), PassContext(calibration=CALIB)).model
    ranking = rank_sensitivity(qdq, CALIB)
    top = ranking[0]
    assert top.tensor == "c1" and top.kind == "activation" and top.error > 0.5
    assert set(top.nodes) == {"conv1", "conv2"}  # producer and consumer of the tensor
    assert all(s.error < 0.1 for s in ranking[1:])
    assert {s.kind for s in ranking} == {"activation", "weight"}


def test_fallback_keeps_sensitive_layers_float_and_meets_tolerance() -> None:
    model = outlier_model()
    found = find_fallback(model, CALIB, {}, _fidelity(model, EVAL), baseline=1.0,
                          tolerance=0.01)
    assert found.met and found.stopped == "met" and found.score >= 0.99
    assert set(found.excluded) == {"conv1", "conv2"}
    assert found.steps[0].excluded == 0 and found.steps[0].score < 0.5
    assert found.steps[-1].score == pytest.approx(found.score)
    onnx.checker.check_model(found.model, full_check=True)
    assert "fc" in quantized_nodes(found.model), "the rest of the model stays INT8"
    assert found.int8_nodes == len(quantized_nodes(found.model)) > 0
    assert found.pass_result.details["exclude_nodes"] == found.excluded
    summary = json.loads(json.dumps(found.summary()))
    assert summary["met"] and summary["most_sensitive"][0]["tensor"] == "c1"


def test_user_exclusions_are_kept() -> None:
    model = outlier_model()
    found = find_fallback(model, CALIB, {"exclude_nodes": ["fc"], "per_channel": True},
                          _fidelity(model, EVAL), baseline=1.0, tolerance=0.01)
    assert found.met and found.excluded[0] == "fc" and {"conv1", "conv2"} <= set(found.excluded)


def test_already_within_tolerance_excludes_nothing() -> None:
    model = conv_bn_relu_model(size=8)
    calib = {"x": CALIB["x"][:8]}
    found = find_fallback(model, calib, {}, _fidelity(model, EVAL), baseline=1.0,
                          tolerance=0.05)
    assert found.met and found.excluded == [] and len(found.steps) == 1 and found.ranking == []


@pytest.mark.parametrize(("limits", "stopped"), [({"max_steps": 1}, "max_steps"),
                                                  ({"time_budget_s": 0.0}, "time_budget")])
def test_limits_are_respected(limits: dict[str, float], stopped: str) -> None:
    model = outlier_model()
    found = find_fallback(model, CALIB, {}, _fidelity(model, EVAL), baseline=1.0,
                          tolerance=0.01, **limits)  # type: ignore[arg-type]
    assert not found.met and found.stopped == stopped and len(found.steps) == 1
    assert found.excluded == [] and found.score < 0.5


def test_unreachable_tolerance_returns_best_try() -> None:
    model = outlier_model()
    found = find_fallback(model, CALIB, {}, lambda m: -float(len(quantized_nodes(m))),
                          baseline=1.0, tolerance=0.0, max_steps=20)
    assert not found.met and found.stopped == "exhausted"
    assert found.score == max(s.score for s in found.steps)
    assert [s.excluded for s in found.steps] == sorted(s.excluded for s in found.steps)


@pytest.mark.parametrize(("kwargs", "error"), [
    ({"tolerance": -0.1}, ParameterError), ({"max_steps": 0}, ParameterError),
    ({"time_budget_s": -1.0}, ParameterError),
    ({"calibration": {}}, CalibrationDataError),
])
def test_bad_arguments(kwargs: dict[str, object], error: type[Exception]) -> None:
    args: dict[str, object] = {"calibration": CALIB, "tolerance": 0.01, **kwargs}
    with pytest.raises(error):
        find_fallback(outlier_model(), args.pop("calibration"), {},  # type: ignore[arg-type]
                      lambda m: 1.0, baseline=1.0, **args)  # type: ignore[arg-type]
