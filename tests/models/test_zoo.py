"""The bundled zoo: names resolve to the real PP-OCR files, calibration data fits them."""

from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from edgeweave.errors import BackendUnavailableError, ParameterError
from edgeweave.models import zoo

pytest.importorskip("rapidocr_onnxruntime")


def test_zoo_lists_the_three_ppocr_models():
    assert [e.name for e in zoo.list_zoo()] == ["ppocr-cls", "ppocr-det", "ppocr-rec"]


@pytest.mark.parametrize("entry", zoo.list_zoo(), ids=lambda e: e.name)
def test_entry_resolves_to_a_real_model_whose_input_matches_the_default_shape(entry):
    model = onnx.load(str(entry.path), load_external_data=False)
    (name, shape), = entry.shapes.items()
    graph_input = model.graph.input[0]
    assert graph_input.name == name
    dims = graph_input.type.tensor_type.shape.dim
    assert len(dims) == len(shape)
    assert all(d.dim_value <= 0 or d.dim_value == s for d, s in zip(dims, shape, strict=True))
    assert entry.metric.startswith("edgeweave.models.ocr_eval:")


def test_resolve_model_handles_zoo_names_and_plain_paths():
    path, entry = zoo.resolve_model("zoo:ppocr-rec")
    assert entry is zoo.ZOO["ppocr-rec"] and path == entry.path and path.is_file()
    assert zoo.resolve_model("models/mine.onnx") == (Path("models/mine.onnx"), None)
    assert zoo.resolve_model(Path("zoo:odd.onnx")) == (Path("zoo:odd.onnx"), None)


def test_unknown_zoo_name_lists_the_valid_names():
    with pytest.raises(ParameterError, match="ppocr-det, ppocr-rec"):
        zoo.resolve_model("zoo:yolo")


def test_missing_rapidocr_package_says_how_to_install(monkeypatch):
    monkeypatch.setattr(zoo.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(BackendUnavailableError) as info:
        _ = zoo.ZOO["ppocr-det"].path
    assert "edgeweave[ocr]" in info.value.hint


@pytest.mark.parametrize("name", ["ppocr-det", "ppocr-rec", "ppocr-cls"])
def test_calibration_samples_are_model_ready_and_reproducible(name):
    entry = zoo.get_entry(name)
    samples = zoo.calibration_samples(entry, n=3, seed=7)
    (key, shape), = entry.shapes.items()
    x = samples[key]
    assert x.shape == (3, *shape) and x.dtype == np.float32
    assert x.min() >= -1.0 and x.max() <= 1.0 and x.std() > 0.05
    np.testing.assert_array_equal(x, zoo.calibration_samples(name, n=3, seed=7)[key])
    assert not np.array_equal(x, zoo.calibration_samples(name, n=3, seed=8)[key])
    session = ort.InferenceSession(str(entry.path), providers=["CPUExecutionProvider"])
    assert np.isfinite(session.run(None, {key: x[0]})[0]).all()


def test_calibration_never_reuses_the_evaluation_lines():
    from edgeweave.models import ocr_data, ocr_eval

    (_, _, height, width), = zoo.ZOO["ppocr-rec"].shapes.values()
    evaluation = ocr_data.text_lines(8, ocr_eval._REC_SEED, max_aspect=width / height)
    for seed in (0, 1, 0xE7A1):
        calibration = zoo.calibration_samples("ppocr-rec", n=8, seed=seed)["x"][:, 0]
        tensors = [ocr_data.line_preprocess(line.image, height, width) for line in evaluation]
        assert not any(np.array_equal(c, t) for c in calibration for t in tensors)


def test_calibration_needs_at_least_one_sample():
    with pytest.raises(ParameterError, match="at least 1"):
        zoo.calibration_samples("ppocr-cls", n=0)
