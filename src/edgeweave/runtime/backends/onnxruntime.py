"""ONNX Runtime backends: CPU, and CUDA / TensorRT execution providers when installed."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from edgeweave.runtime.backends.base import BackendOptions, Inputs, register_backend
from edgeweave.runtime.device import DeviceProfile


class OrtSession:
    def __init__(self, session) -> None:  # type: ignore[no-untyped-def]
        self._session = session
        self.input_names = [i.name for i in session.get_inputs()]
        self.output_names = [o.name for o in session.get_outputs()]

    def run(self, inputs: Inputs) -> list[np.ndarray]:
        return self._session.run(None, inputs)


class _OrtBackend:
    name = "onnxruntime"
    provider = "CPUExecutionProvider"
    install_hint = "pip install onnxruntime"

    def available(self, device: DeviceProfile) -> bool:
        return self.provider in device.ort_providers

    def load(self, model: Path, device: DeviceProfile, options: BackendOptions) -> OrtSession:
        import onnxruntime as ort

        so = ort.SessionOptions()
        so.log_severity_level = 3
        if options.threads:
            so.intra_op_num_threads = options.threads
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        providers = [self.provider] + (["CPUExecutionProvider"]
                                       if self.provider != "CPUExecutionProvider" else [])
        return OrtSession(ort.InferenceSession(str(model), so, providers=providers))


@register_backend("onnxruntime")
class OrtCpuBackend(_OrtBackend):
    """ONNX Runtime on the CPU execution provider (MLAS kernels)."""


@register_backend("onnxruntime-cuda")
class OrtCudaBackend(_OrtBackend):
    name = "onnxruntime-cuda"
    provider = "CUDAExecutionProvider"
    install_hint = "pip install 'edgeweave[gpu]' (onnxruntime-gpu) on a machine with CUDA"


@register_backend("onnxruntime-tensorrt")
class OrtTensorrtBackend(_OrtBackend):
    name = "onnxruntime-tensorrt"
    provider = "TensorrtExecutionProvider"
    install_hint = "pip install 'edgeweave[gpu]' tensorrt on a machine with CUDA and TensorRT"
