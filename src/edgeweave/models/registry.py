"""Model registry: named, versioned optimized models with the report that chose them.

Layout under ``$EDGEWEAVE_HOME/registry``::

    NAME/VERSION/model.onnx      the chosen variant (or the original when nothing won)
    NAME/VERSION/entry.json      backend, runtime precision, shapes, metrics, source sha
    NAME/VERSION/report.json     the full OptimizationReport

Versions are integers counting up from 1; writing goes to a temp folder that is renamed
into place, so a crash never leaves a half-registered version.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from pydantic import BaseModel

from edgeweave.config import get_settings
from edgeweave.errors import NotFoundError, ParameterError


class RegisteredModel(BaseModel):
    name: str
    version: int
    path: str
    backend: str
    compute_precision: str
    precision: str
    shapes: dict[str, list[int]]
    source_sha256: str
    accuracy: float | None = None
    latency_p50_ms: float | None = None
    speedup: float | None = None


class ModelRegistry:
    def __init__(self, root: Path | None = None) -> None:
        self.root = root or get_settings().home / "registry"

    def versions(self, name: str) -> list[int]:
        folder = self.root / name
        if not folder.is_dir():
            return []
        return sorted(int(p.name) for p in folder.iterdir() if p.name.isdigit())

    def names(self) -> list[str]:
        return sorted(p.name for p in self.root.iterdir() if p.is_dir()) if self.root.is_dir() else []

    def register(self, name: str, report_json: str, out_dir: Path) -> RegisteredModel:
        """Register the best variant of an optimization report written to ``out_dir``."""
        from edgeweave.optimize.report import OptimizationReport

        _check_name(name)
        report = OptimizationReport.model_validate_json(report_json)
        best = report.variant(report.best)
        self.root.joinpath(name).mkdir(parents=True, exist_ok=True)
        version = (self.versions(name) or [0])[-1] + 1
        staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=self.root / name))
        try:
            shutil.copyfile(best.path, staging / "model.onnx")
            (staging / "report.json").write_text(report_json)
            entry = RegisteredModel(
                name=name, version=version, path=str(self.root / name / str(version) / "model.onnx"),
                backend=best.backend,
                compute_precision=best.compute_precision,
                precision=best.precision, shapes=report.model.shapes,
                source_sha256=report.model.sha256, accuracy=best.accuracy,
                latency_p50_ms=best.latency_ms.p50 if best.latency_ms else None,
                speedup=best.speedup)
            (staging / "entry.json").write_text(entry.model_dump_json(indent=1))
            os.rename(staging, self.root / name / str(version))
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return entry

    def report_path(self, entry: RegisteredModel) -> Path:
        """Where a registered version's report.json lives (it may be missing for old entries)."""
        return self.root / entry.name / str(entry.version) / "report.json"

    def get(self, name: str, version: int | str = "latest") -> RegisteredModel:
        """A registered model; unknown names or versions list what exists."""
        versions = self.versions(name)
        if not versions:
            raise NotFoundError(f"no model named {name!r} in the registry {self.root}",
                                 f"registered models: {', '.join(self.names()) or 'none'}; "
                                 "register one with the optimize_model operator")
        chosen = versions[-1] if version == "latest" else int(version)
        if chosen not in versions:
            raise NotFoundError(f"model {name!r} has no version {version}; versions: {versions}")
        return RegisteredModel.model_validate_json(
            (self.root / name / str(chosen) / "entry.json").read_text())


def _check_name(name: str) -> None:
    if not name or "/" in name or "\\" in name or name.startswith(".") or ".." in name:
        raise ParameterError(f"bad model name {name!r}", "use letters, digits, '-', '_' and '.'")
