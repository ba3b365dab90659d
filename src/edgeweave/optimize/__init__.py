"""Model optimization: passes, recipes, the measured search and its report."""

from __future__ import annotations

from typing import Any

__all__ = ["OptimizationReport", "VariantResult", "optimize"]


def __getattr__(name: str) -> Any:
    if name == "optimize":
        from edgeweave.optimize.api import optimize

        return optimize
    if name in ("OptimizationReport", "VariantResult"):
        from edgeweave.optimize import report

        return getattr(report, name)
    raise AttributeError(name)
