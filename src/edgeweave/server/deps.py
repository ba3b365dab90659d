"""Per-request access to the app's context and the caller's role (FastAPI dependencies).

A caller is either an API client (``Authorization: Bearer <token>``) or a browser with a
UI session cookie. Cookies are sent by the browser on their own, so a cookie-authenticated
request that changes something must also carry the session's CSRF token in
``X-CSRF-Token`` (the UI's scripts read it from a meta tag); bearer requests need none.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from fastapi import Depends, HTTPException, Request
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool

from edgeweave.models.registry import ModelRegistry
from edgeweave.server.auth import AuthConfig, AuthStore, Principal, Role, csrf_token
from edgeweave.server.microcache import MicroCache
from edgeweave.workflow.loader import DagBag

SESSION_COOKIE = "ew_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
T = TypeVar("T")


@dataclass
class Context:
    """Everything a route needs; one per app (no module globals)."""

    engine: Engine
    bag: DagBag
    auth: AuthConfig
    store: AuthStore
    registry: ModelRegistry
    grid_cache: MicroCache = field(default_factory=MicroCache)


async def context(request: Request) -> Context:
    ctx: Context = request.app.state.edgeweave
    return ctx


def session_principal(request: Request, ctx: Context) -> Principal | None:
    """The UI session's user, or None (no cookie, expired, logged out)."""
    session_id = request.cookies.get(SESSION_COOKIE)
    return ctx.store.session_user(session_id) if session_id else None


def check_csrf(request: Request) -> None:
    """403 unless an unsafe cookie-authenticated request carries the session's CSRF token."""
    if request.method in SAFE_METHODS:
        return
    sent = request.headers.get(CSRF_HEADER, "")
    expected = csrf_token(request.cookies.get(SESSION_COOKIE, ""))
    if not sent or not hmac.compare_digest(sent, expected):
        raise HTTPException(403, "missing or wrong CSRF token for this session",
                            headers={"X-EdgeWeave-Reason": "csrf"})


async def principal(request: Request, ctx: Context = Depends(context)) -> Principal:
    """Who calls. ``async`` on purpose, like every dependency here: none blocks (a cached
    file stat, a dict lookup, one SHA-256), and a sync dependency would cost a threadpool
    hop per request, which under load was the largest share of the API's time."""
    if not ctx.auth.enabled:
        return Principal("anonymous", Role.ADMIN)
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token:
        who = ctx.store.authenticate(token.strip())
    else:
        who = session_principal(request, ctx)
        if who is not None:
            check_csrf(request)
    if who is None:
        raise HTTPException(401, "missing or invalid API token (or UI session)",
                            headers={"WWW-Authenticate": 'Bearer realm="edgeweave"'})
    return who


def require(role: Role) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency that lets through callers with at least ``role`` (else 403)."""

    async def check(who: Principal = Depends(principal)) -> Principal:
        if not who.can(role):
            raise HTTPException(403, f"user {who.user!r} ({who.role.value}) may not do this; "
                                     f"it needs the {role.value} role")
        return who

    return check


async def store_read(ctx: Context, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a read of the store for an ``async def`` route.

    SQLite reads run inline on the event loop: the API's reads take well under a
    millisecond, are CPU (they hold the GIL either way) and, in WAL mode, do not wait
    for the writer, so a hop to the threadpool and back cost more than the query. Any
    other database is across a network, so its reads go to the threadpool.
    """
    if ctx.engine.dialect.name == "sqlite":
        return fn(*args, **kwargs)
    return await run_in_threadpool(fn, *args, **kwargs)


reader = Depends(require(Role.VIEWER))
writer = Depends(require(Role.OPERATOR))
