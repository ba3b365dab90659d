"""The Backend protocol and its registry: a backend loads a model file into a Session."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from edgeweave.errors import BackendUnavailableError, ParameterError
from edgeweave.runtime.device import DeviceProfile

Inputs = dict[str, np.ndarray]


@dataclass(frozen=True)
class BackendOptions:
    """Settings a backend applies at load time.

    ``threads`` 0 lets the runtime choose; ``shapes`` fixes dynamic input dims so runtimes
    that compile per shape (OpenVINO) specialise for the shape that will be run.
    """

    threads: int = 0
    shapes: dict[str, tuple[int, ...]] = field(default_factory=dict)
    compute_precision: str = "exact"
    """'exact': compute at the model's own precision. 'bf16'/'f16': let a runtime that can
    (OpenVINO on AVX512-BF16/AMX CPUs) run float ops at lower precision."""


class Session(Protocol):
    """A loaded model ready to run."""

    input_names: list[str]
    output_names: list[str]

    def run(self, inputs: Inputs) -> list[np.ndarray]: ...


class Backend(Protocol):
    """A runtime (ONNX Runtime CPU, OpenVINO, ...) that can run ONNX models."""

    name: str
    install_hint: str

    def available(self, device: DeviceProfile) -> bool: ...

    def load(self, model: Path, device: DeviceProfile, options: BackendOptions) -> Session: ...


_REGISTRY: dict[str, Callable[[], Backend]] = {}


def register_backend(name: str) -> Callable[[Callable[[], Backend]], Callable[[], Backend]]:
    """Class decorator: make a backend findable by ``name``."""

    def wrap(factory: Callable[[], Backend]) -> Callable[[], Backend]:
        _REGISTRY[name] = factory
        return factory

    return wrap


def backend_names() -> list[str]:
    return sorted(_REGISTRY)


def get_backend(name: str) -> Backend:
    """The backend called ``name``; an unknown name lists the valid ones."""
    if name not in _REGISTRY:
        raise ParameterError(
            f"unknown backend {name!r}; known backends: {', '.join(backend_names())}",
            "pick names from that list, e.g. --backends onnxruntime,openvino",
        )
    return _REGISTRY[name]()


def require_backend(name: str, device: DeviceProfile) -> Backend:
    """The backend called ``name``, or a BackendUnavailableError that says how to install it."""
    backend = get_backend(name)
    if not backend.available(device):
        raise BackendUnavailableError(
            f"backend {name!r} is not available on this machine", backend.install_hint
        )
    return backend


def available_backends(device: DeviceProfile) -> list[str]:
    return [n for n in backend_names() if get_backend(n).available(device)]
