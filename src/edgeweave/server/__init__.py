"""The REST API (``/api/v1``): FastAPI app over the store, the DAG bag and the registry."""

from edgeweave.server.app import create_app
from edgeweave.server.auth import AdminCredentials, AuthConfig, AuthStore, Principal, Role

__all__ = ["AdminCredentials", "AuthConfig", "AuthStore", "Principal", "Role", "create_app"]
