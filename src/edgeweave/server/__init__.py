"""The REST API (``/api/v1``) and the web UI: FastAPI app over the store, the DAG bag and
the registry. Names are imported on first use, so the ``serve`` supervisor stays small."""

from __future__ import annotations

from typing import Any

__all__ = ["AdminCredentials", "AuthConfig", "AuthStore", "Principal", "Role", "create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from edgeweave.server.app import create_app

        return create_app
    if name in __all__:
        from edgeweave.server import auth

        return getattr(auth, name)
    raise AttributeError(f"module 'edgeweave.server' has no attribute {name!r}")
