"""Settings read from ``EDGEWEAVE_*`` environment variables, with embedded defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


def _default_home() -> Path:
    return Path(os.environ.get("EDGEWEAVE_HOME", Path.home() / ".edgeweave")).expanduser()


@dataclass(frozen=True)
class Settings:
    """Where EdgeWeave keeps its state; everything has a default so nothing must be set."""

    home: Path = field(default_factory=_default_home)

    @property
    def cache_dir(self) -> Path:
        """Machine-level measurements (e.g. the GEMM peak) cached between runs."""
        return self.home / "cache"


def get_settings() -> Settings:
    """Settings from the current environment (read each call, so tests can change env)."""
    return Settings()
