"""The state store: runs, task instances, logs and results (SQLite by default, PostgreSQL by URL).

Names are imported on first use: a worker process that only needs ``store.artifacts``
does not pay for SQLAlchemy and Alembic.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["InvalidTransitionError", "NotFoundError", "StoreError", "default_url", "make_engine",
           "masked", "migrate", "open_store"]

_LAZY = {
    "default_url": "edgeweave.store.db", "make_engine": "edgeweave.store.db",
    "masked": "edgeweave.store.db", "open_store": "edgeweave.store.db",
    "migrate": "edgeweave.store.migrate",
    "InvalidTransitionError": "edgeweave.store.errors", "NotFoundError": "edgeweave.store.errors",
    "StoreError": "edgeweave.store.errors",
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'edgeweave.store' has no attribute {name!r}")
    return getattr(importlib.import_module(_LAZY[name]), name)
