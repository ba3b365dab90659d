"""End-to-end: edgeweave.optimize on a tiny model, quick timing plan."""

import json
import os
import re

import numpy as np
import pytest
from builders import conv_bn_relu_model, save

import edgeweave
from edgeweave.errors import (
    BackendUnavailableError,
    CalibrationDataError,
    InvalidModelError,
    OutputError,
    ParameterError,
)
from edgeweave.runtime.measure import TimingPlan

QUICK = TimingPlan(warmup=1, min_runs=5, min_seconds=0.02, batch=2)
REQUIRED = {"name", "passes", "backend", "precision", "path", "size_bytes", "nodes", "load_s",
            "latency_ms", "fps", "peak_rss_mb", "gflops", "peak_ratio", "accuracy",
            "accuracy_delta"}


@pytest.fixture(scope="module")
def calibrated_report(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("search")
    model = save(conv_bn_relu_model(size=16), tmp / "m.onnx")
    rng = np.random.default_rng(0)
    np.savez(tmp / "calib.npz", x=rng.random((24, 3, 16, 16), dtype=np.float32))
    report = edgeweave.optimize(model, tmp / "out", calib=str(tmp / "calib.npz"),
                                backends=["onnxruntime", "openvino"], plan=QUICK,
                                methods=("minmax",))
    return tmp / "out", report


def test_report_has_every_variant_on_every_backend(calibrated_report):
    out, report = calibrated_report
    names = {v.name for v in report.variants}
    assert report.baseline == "fp32@onnxruntime" == report.variants[0].name
    for variant in ("fp32", "fp32-opt", "int8-qdq-minmax", "int8-dynamic", "fp16"):
        assert {f"{variant}@onnxruntime", f"{variant}@openvino"} <= names
    data = json.loads((out / "report.json").read_text())
    assert {"device", "baseline", "variants", "best"} <= set(data)
    for row in data["variants"]:
        if row["status"] == "ok":
            assert set(row) >= REQUIRED
            assert row["latency_ms"]["p50"] > 0 and row["fps"] > 0 and row["load_s"] > 0
            assert os.path.exists(row["path"]), row["path"]
    assert data["best"] in names


def test_best_is_the_fastest_variant_within_tolerance_and_faster_than_baseline(calibrated_report):
    _, report = calibrated_report
    best = report.variant(report.best)
    if report.best == report.baseline:
        assert all(not (v.within_tolerance and (v.speedup or 0) > 1) for v in report.variants[1:])
        return
    assert best.within_tolerance and best.speedup > 1
    rivals = [v for v in report.variants if v.status == "ok" and v.within_tolerance
              and (v.speedup or 0) > 1]
    assert best.latency_ms.p50 == min(v.latency_ms.p50 for v in rivals)


def test_accuracy_is_agreement_on_held_out_calibration_samples(calibrated_report):
    _, report = calibrated_report
    assert "held-out" in report.settings.evaluation
    base = report.variants[0]
    assert base.accuracy == 1.0 and base.accuracy_delta == 0.0
    fp32_opt = report.variant("fp32-opt@onnxruntime")
    assert fp32_opt.accuracy == pytest.approx(1.0)
    assert fp32_opt.nodes < base.nodes  # BatchNormalization folded into the Conv


def test_markdown_table_has_a_row_per_measured_variant(calibrated_report):
    out, report = calibrated_report
    md = (out / "report.md").read_text()
    assert "| variant | backend | precision | accuracy |" in md
    assert len(re.findall(r"^\| \**fp32-opt\** \| (onnxruntime|openvino) \|", md, re.M)) == 2
    assert "**best:" in md


def test_no_calibration_means_no_static_int8_and_a_note(tmp_path, tiny_model_path):
    report = edgeweave.optimize(tiny_model_path, tmp_path / "o", backends=["onnxruntime"],
                                plan=QUICK)
    assert not any(v.variant.startswith("int8-qdq") for v in report.variants)
    assert any("no calibration data" in n for n in report.notes)
    assert "random inputs" in report.settings.evaluation


def test_labels_in_eval_npz_give_top1_accuracy(tmp_path, tiny_model_path):
    rng = np.random.default_rng(3)
    np.savez(tmp_path / "ev.npz", x=rng.random((10, 1, 3, 16, 16), dtype=np.float32),
             labels=rng.integers(0, 10, 10))
    report = edgeweave.optimize(tiny_model_path, tmp_path / "o", eval=str(tmp_path / "ev.npz"),
                                backends=["onnxruntime"], plan=QUICK)
    assert report.settings.accuracy_metric == "top-1 accuracy"
    assert all(0 <= v.accuracy <= 1 for v in report.variants if v.status == "ok")


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"tolerance": 2.0}, ParameterError, "tolerance"),
        ({"time_budget_s": -1}, ParameterError, "time-budget"),
        ({"backends": ["onnxruntime-tensorrt"]}, BackendUnavailableError, "not available"),
        ({"backends": ["tflite"]}, ParameterError, "known backends"),
        ({"methods": ("kl",)}, ParameterError, "calibration method"),
        ({"shapes": {"x": (1, 3, 8)}}, ParameterError, "rank"),
    ],
)
def test_bad_parameters_fail_before_any_output(tmp_path, tiny_model_path, kwargs, error, match):
    if kwargs.get("backends") == ["onnxruntime-tensorrt"]:
        from edgeweave.runtime.device import detect_device

        if "TensorrtExecutionProvider" in detect_device().ort_providers:
            pytest.skip("TensorRT is installed here")
    with pytest.raises(error, match=match):
        edgeweave.optimize(tiny_model_path, tmp_path / "o", plan=QUICK, **kwargs)
    assert not (tmp_path / "o" / "report.json").exists()


def test_wrong_calibration_shape_leaves_no_partial_output(tmp_path, tiny_model_path):
    np.save(tmp_path / "c.npy", np.zeros((4, 3, 8, 8), np.float32))
    with pytest.raises(CalibrationDataError, match="x"):
        edgeweave.optimize(tiny_model_path, tmp_path / "o", calib=str(tmp_path / "c.npy"),
                           plan=QUICK)
    assert list((tmp_path / "o").iterdir()) == []


def test_unwritable_output_and_broken_model(tmp_path, tiny_model_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OutputError, match="cannot create output directory"):
        edgeweave.optimize(tiny_model_path, blocker / "sub", plan=QUICK)
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"\x00\x01garbage")
    with pytest.raises(InvalidModelError):
        edgeweave.optimize(str(bad), tmp_path / "o2", plan=QUICK)
    assert not (tmp_path / "o2").exists()


def _deep_outlier_model():
    """Two ordinary convs in front of quant_builders.outlier_model's INT8-breaking pair."""
    from onnx import helper, numpy_helper
    from quant_builders import outlier_model

    model = outlier_model()
    rng = np.random.default_rng(5)
    graph = model.graph
    for i in range(2):
        w = rng.normal(0, 0.4, (3, 3, 3, 3)).astype(np.float32)
        graph.initializer.append(numpy_helper.from_array(w, f"w_pre{i}"))
    pre = [helper.make_node("Conv", ["x", "w_pre0"], ["p0"], pads=[1, 1, 1, 1], name="pre0"),
           helper.make_node("Relu", ["p0"], ["p0r"], name="pre0_relu"),
           helper.make_node("Conv", ["p0r", "w_pre1"], ["p1"], pads=[1, 1, 1, 1], name="pre1")]
    graph.node[0].input[0] = "p1"
    nodes = pre + list(graph.node)
    del graph.node[:]
    graph.node.extend(nodes)
    return model


def test_int8_that_breaks_accuracy_triggers_the_fallback_variant(tmp_path):
    model = save(_deep_outlier_model(), tmp_path / "outlier.onnx")
    rng = np.random.default_rng(1)
    np.savez(tmp_path / "calib.npz", x=rng.normal(size=(120, 1, 3, 8, 8)).astype(np.float32))
    report = edgeweave.optimize(model, tmp_path / "o", calib=str(tmp_path / "calib.npz"),
                                backends=["onnxruntime"], plan=QUICK, methods=("minmax",),
                                tolerance=0.1)
    plain = report.variant("int8-qdq-minmax@onnxruntime")
    assert plain.within_tolerance is False
    assert any("accuracy-aware fallback" in n for n in report.notes), report.notes
    fallback = [v for v in report.variants if "fallback" in v.variant]
    assert fallback and fallback[0].within_tolerance, report.notes
    record = next(r for r in fallback[0].pass_records if r["name"] == "accuracy_fallback")
    assert record["met"] and record["excluded"] and record["int8_nodes"] > 0


def test_metric_function_scores_every_variant(tmp_path, tiny_model_path):
    report = edgeweave.optimize(tiny_model_path, tmp_path / "o", eval="metric_fixture:mean_max_score",
                                backends=["onnxruntime"], plan=QUICK)
    assert report.settings.accuracy_metric == "metric metric_fixture:mean_max_score"
    base = report.variants[0]
    assert base.accuracy is not None and base.accuracy_delta == 0.0
    assert report.variant("fp32-opt@onnxruntime").accuracy == pytest.approx(base.accuracy, rel=1e-5)


def test_unknown_metric_function_is_refused_up_front(tmp_path, tiny_model_path):
    with pytest.raises(ParameterError, match="no function 'nope'"):
        edgeweave.optimize(tiny_model_path, tmp_path / "o", eval="metric_fixture:nope", plan=QUICK)
    assert not (tmp_path / "o" / "report.json").exists()


def test_time_budget_skips_what_does_not_fit_and_still_reports(tmp_path, tiny_model_path):
    report = edgeweave.optimize(tiny_model_path, tmp_path / "o", backends=["onnxruntime"],
                                plan=QUICK, time_budget_s=0.001)
    assert report.variants[0].status == "ok"  # the baseline is always measured
    assert any(v.status == "skipped" and "time budget" in v.error for v in report.variants)
    assert (tmp_path / "o" / "report.json").exists()


def test_baseline_and_fastest_candidates_are_retimed_keeping_the_lowest_p50(calibrated_report):
    _, report = calibrated_report
    retimed = [v for v in report.variants if len(v.p50_runs) > 1]
    assert report.variants[0] in retimed and 2 <= len(retimed) <= 4
    for v in retimed:
        assert len(v.p50_runs) == 3
        assert v.latency_ms.p50 == pytest.approx(min(v.p50_runs))
        assert v.speedup == pytest.approx(report.variants[0].latency_ms.p50 / v.latency_ms.p50)
