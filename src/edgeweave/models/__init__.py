"""Model files: loading with clear errors, inspection, and the bundled model zoo.

Names are imported on first use: the model registry (and so the API server) lives in this
package too and must not pay for onnx and numpy just to list registered models.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ModelArtifact", "TensorSpec", "inspect_model", "load_model"]
_LAZY = {"ModelArtifact": "edgeweave.models.artifact", "TensorSpec": "edgeweave.models.artifact",
         "inspect_model": "edgeweave.models.artifact", "load_model": "edgeweave.models.loader"}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'edgeweave.models' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(_LAZY[name]), name)
