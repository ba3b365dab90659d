"""Runtime backends, registered by name ('onnxruntime', 'openvino', ...)."""

from edgeweave.runtime.backends import onnxruntime as _onnxruntime  # noqa: F401  (registers)
from edgeweave.runtime.backends import openvino as _openvino  # noqa: F401  (registers)
from edgeweave.runtime.backends.base import (
    Backend,
    BackendOptions,
    Inputs,
    Session,
    available_backends,
    backend_names,
    get_backend,
    require_backend,
)

__all__ = ["Backend", "BackendOptions", "Inputs", "Session", "available_backends",
           "backend_names", "get_backend", "require_backend"]
