"""EdgeWeave: measured model optimization for edge devices, and AI workflows.

Public API: ``optimize`` (search variants, return an OptimizationReport), ``inspect_model``.
Names are imported on first use so ``import edgeweave`` stays cheap.
"""

from __future__ import annotations

from typing import Any

__all__ = ["OptimizationReport", "inspect_model", "optimize"]
__version__ = "0.1.0"

_LAZY = {
    "OptimizationReport": ("edgeweave.optimize.report", "OptimizationReport"),
    "inspect_model": ("edgeweave.models.artifact", "inspect_model"),
}


def __getattr__(name: str) -> Any:
    if name == "optimize":  # the package itself is callable (see edgeweave/optimize)
        import importlib

        return importlib.import_module("edgeweave.optimize")
    if name not in _LAZY:
        raise AttributeError(f"module 'edgeweave' has no attribute {name!r}")
    import importlib

    module, attr = _LAZY[name]
    return getattr(importlib.import_module(module), attr)
