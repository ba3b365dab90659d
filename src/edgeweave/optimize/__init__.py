"""Model optimization: passes, recipes, the measured search and its report.

``edgeweave.optimize`` is both this package and the public function: calling the module,
``edgeweave.optimize(model, out_dir, ...)``, runs ``edgeweave.optimize.api.optimize``.
(A package attribute named like a submodule is overwritten on import, so a callable
module is the one way both spellings keep working.)
"""

from __future__ import annotations

import sys
import types
from typing import Any

__all__ = ["OptimizationReport", "VariantResult", "optimize"]


def optimize(*args: Any, **kwargs: Any) -> Any:
    """See ``edgeweave.optimize.api.optimize``."""
    from edgeweave.optimize.api import optimize as run

    return run(*args, **kwargs)


def __getattr__(name: str) -> Any:
    if name in ("OptimizationReport", "VariantResult"):
        from edgeweave.optimize import report

        return getattr(report, name)
    raise AttributeError(name)


class _CallableModule(types.ModuleType):
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return optimize(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
