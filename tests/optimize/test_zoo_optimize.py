"""The optimizer on a real pretrained model (PP-OCR direction classifier) with its real metric."""

import pytest

import edgeweave
from edgeweave.runtime.measure import TimingPlan

QUICK = TimingPlan(warmup=2, min_runs=10, min_seconds=0.1, batch=4)


@pytest.fixture(scope="module")
def cls_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("zoo") / "out"
    return edgeweave.optimize("zoo:ppocr-cls", out, plan=QUICK, methods=("minmax",))


def test_real_accuracy_is_measured_for_every_variant(cls_report):
    assert "cls_accuracy" in cls_report.settings.accuracy_metric
    base = cls_report.variants[0]
    assert base.name == "fp32@onnxruntime" and base.accuracy > 0.95
    for v in cls_report.variants:
        if v.status == "ok":
            assert 0.0 <= v.accuracy <= 1.0
            assert v.accuracy_delta == pytest.approx(v.accuracy - base.accuracy)


def test_opset_11_model_gets_per_channel_int8_that_runs(cls_report):
    int8 = [v for v in cls_report.variants if v.variant == "int8-qdq-minmax"]
    assert int8 and all(v.status == "ok" for v in int8), [v.error for v in int8]
    records = {r["name"]: r for r in int8[0].pass_records}
    assert records["quantize_static"]["nodes_after"] > records["optimize_graph"]["nodes_after"]
    assert int8[0].size_bytes < cls_report.variants[0].size_bytes / 1.5


def test_graph_optimization_removes_most_nodes_and_keeps_accuracy(cls_report):
    opt = cls_report.variant("fp32-opt@onnxruntime")
    assert opt.nodes < cls_report.variants[0].nodes / 2
    assert opt.accuracy == pytest.approx(cls_report.variants[0].accuracy, abs=1e-9)


def test_chosen_variant_respects_tolerance_and_beats_the_baseline(cls_report):
    best = cls_report.variant(cls_report.best)
    if best.name == cls_report.baseline:
        pytest.skip("nothing beat the baseline on this noisy run")
    assert best.accuracy_delta >= -cls_report.settings.tolerance
    assert best.latency_ms.p50 < cls_report.variants[0].latency_ms.p50
