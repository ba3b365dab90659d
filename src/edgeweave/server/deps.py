"""Per-request access to the app's context and the caller's role (FastAPI dependencies)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Depends, HTTPException, Request
from sqlalchemy.engine import Engine

from edgeweave.models.registry import ModelRegistry
from edgeweave.server.auth import AuthConfig, AuthStore, Principal, Role
from edgeweave.workflow.loader import DagBag


@dataclass
class Context:
    """Everything a route needs; one per app (no module globals)."""

    engine: Engine
    bag: DagBag
    auth: AuthConfig
    store: AuthStore
    registry: ModelRegistry


def context(request: Request) -> Context:
    ctx: Context = request.app.state.edgeweave
    return ctx


def principal(request: Request, ctx: Context = Depends(context)) -> Principal:
    if not ctx.auth.enabled:
        return Principal("anonymous", Role.ADMIN)
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    who = ctx.store.authenticate(token.strip()) if scheme.lower() == "bearer" and token else None
    if who is None:
        raise HTTPException(401, "missing or invalid API token",
                            headers={"WWW-Authenticate": 'Bearer realm="edgeweave"'})
    return who


def require(role: Role) -> Callable[[Principal], Principal]:
    """A dependency that lets through callers with at least ``role`` (else 403)."""

    def check(who: Principal = Depends(principal)) -> Principal:
        if not who.can(role):
            raise HTTPException(403, f"user {who.user!r} ({who.role.value}) may not do this; "
                                     f"it needs the {role.value} role")
        return who

    return check


reader = Depends(require(Role.VIEWER))
writer = Depends(require(Role.OPERATOR))
