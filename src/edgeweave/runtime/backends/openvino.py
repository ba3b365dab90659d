"""OpenVINO backend (optional extra): compiles the ONNX model for the CPU plugin."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

from edgeweave.runtime.backends.base import BackendOptions, Inputs, register_backend
from edgeweave.runtime.device import DeviceProfile


def input_name(port) -> str:  # type: ignore[no-untyped-def]
    """The ONNX graph's input name for an OpenVINO input port.

    A port can carry several tensor names (e.g. an input and the Cast fused after it);
    the ONNX frontend names the Parameter node itself after the graph input.
    """
    name = port.get_node().get_friendly_name()
    return name if name in port.get_names() else port.get_any_name()


class OpenVinoSession:
    def __init__(self, compiled) -> None:  # type: ignore[no-untyped-def]
        self._request = compiled.create_infer_request()
        self.input_names = [input_name(p) for p in compiled.inputs]
        self.output_names = [p.get_any_name() for p in compiled.outputs]

    def run(self, inputs: Inputs) -> list[np.ndarray]:
        results = self._request.infer(inputs)
        # infer() returns views into the request's buffers: copy so a later run cannot
        # overwrite outputs the caller still holds.
        return [np.array(results[i], copy=True) for i in range(len(self.output_names))]


@register_backend("openvino")
class OpenVinoBackend:
    """OpenVINO CPU plugin; runs INT8 QDQ models with real INT8 kernels (VNNI/AMX)."""

    name = "openvino"
    install_hint = "pip install 'edgeweave[openvino]'"
    device_name = "CPU"

    def available(self, device: DeviceProfile) -> bool:
        return importlib.util.find_spec("openvino") is not None

    def load(self, model: Path, device: DeviceProfile, options: BackendOptions) -> OpenVinoSession:
        import openvino as ov

        core = ov.Core()
        ov_model = core.read_model(str(model))
        if options.shapes:
            ports = {input_name(p): p for p in ov_model.inputs}
            ov_model.reshape({ports[k]: list(v) for k, v in options.shapes.items() if k in ports})
        # OpenVINO silently computes in bf16 on CPUs with AVX512-BF16/AMX unless told
        # otherwise; an "fp32" variant must really be fp32, so ask for f32 explicitly.
        precision = {"exact": "f32", "bf16": "bf16", "f16": "f16"}[options.compute_precision]
        config: dict[str, object] = {"PERFORMANCE_HINT": "LATENCY",
                                     "INFERENCE_PRECISION_HINT": precision}
        if options.threads:
            config["INFERENCE_NUM_THREADS"] = options.threads
        return OpenVinoSession(core.compile_model(ov_model, self.device_name, config))

