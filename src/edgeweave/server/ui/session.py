"""UI login/logout with server-side sessions, the page guard and the security headers.

The session cookie is HttpOnly and SameSite=Lax, Secure over HTTPS (or when configured);
the login form is protected by a double-submit token (a random cookie echoed in the form),
so a third-party site cannot log a victim into its own account. Failed logins are throttled
per client address.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import defaultdict, deque
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from edgeweave.server.auth import Principal, Role, csrf_token
from edgeweave.server.deps import SESSION_COOKIE, Context, session_principal
from edgeweave.server.ui.render import TEMPLATES

router = APIRouter(include_in_schema=False)
LOGIN_COOKIE = "ew_login"
MAX_FAILURES, FAILURE_WINDOW_S = 5, 300.0
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
       "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")


class LoginRequired(Exception):
    """Raised by a page when nobody is logged in: answered with a redirect to /login."""


class Throttle:
    """At most MAX_FAILURES failed logins per client address per FAILURE_WINDOW_S."""

    def __init__(self) -> None:
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def blocked(self, client: str) -> bool:
        with self._lock:
            recent = self._failures[client]
            while recent and recent[0] < time.monotonic() - FAILURE_WINDOW_S:
                recent.popleft()
            return len(recent) >= MAX_FAILURES

    def fail(self, client: str) -> None:
        with self._lock:
            self._failures[client].append(time.monotonic())


THROTTLE = Throttle()


def _ctx(request: Request) -> Context:
    ctx: Context = request.app.state.edgeweave
    return ctx


def ui_user(request: Request) -> Principal:
    """The logged-in user of a page (anonymous admin when auth is off), else LoginRequired."""
    ctx = _ctx(request)
    if not ctx.auth.enabled:
        return Principal("anonymous", Role.ADMIN)
    who = session_principal(request, ctx)
    if who is None:
        raise LoginRequired()
    return who


def csrf_for(request: Request) -> str:
    session_id = request.cookies.get(SESSION_COOKIE)
    return csrf_token(session_id) if session_id else ""


def _secure(request: Request) -> bool:
    forced = _ctx(request).auth.secure_cookies
    return request.url.scheme == "https" if forced is None else forced


def _safe_next(target: str | None) -> str:
    """Only same-site paths: '/x' yes; '//evil', 'http://evil', '/\\evil' no."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    return target


def _login_form(request: Request, error: str = "", status: int = 200, user: str = "") -> Response:
    token = secrets.token_urlsafe(24)
    response = TEMPLATES.TemplateResponse(
        request, "login.html", {"title": "Log in", "error": error, "login_token": token, "user": user,
                                "next": _safe_next(request.query_params.get("next")), "who": None},
        status_code=status)
    response.set_cookie(LOGIN_COOKIE, token, max_age=900, httponly=True, samesite="strict",
                        secure=_secure(request), path="/login")
    return response


@router.get("/login")
def login_page(request: Request) -> Response:
    return _login_form(request)


@router.post("/login")
def login(request: Request, user: str = Form("", max_length=100), password: str = Form("", max_length=200),
          login_token: str = Form("", max_length=100), next: str = Form("/", max_length=2000)) -> Response:
    client = request.client.host if request.client else "?"
    expected = request.cookies.get(LOGIN_COOKIE, "")
    if not expected or not hmac.compare_digest(expected, login_token):
        return _login_form(request, "The login form expired or came from another site; try again.", 403)
    if THROTTLE.blocked(client):
        return _login_form(request, f"Too many failed logins; wait {FAILURE_WINDOW_S / 60:.0f} minutes.",
                           429, user)
    ctx = _ctx(request)
    who = ctx.store.check_password(user, password) if user and password else None
    if who is None:
        THROTTLE.fail(client)
        return _login_form(request, "Wrong user name or password.", 401, user)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(SESSION_COOKIE, ctx.store.create_session(who.user), httponly=True,
                        samesite="lax", secure=_secure(request), path="/")
    response.delete_cookie(LOGIN_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(request: Request, csrf: str = Form("", max_length=100)) -> Response:
    session_id = request.cookies.get(SESSION_COOKIE, "")
    if session_id and hmac.compare_digest(csrf, csrf_token(session_id)):
        _ctx(request).store.end_session(session_id)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


async def _login_required(request: Request, exc: Exception) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target)}", status_code=303)


class SecurityHeaders:
    """CSP (no inline script), no framing, no MIME sniffing, same-origin referrers."""

    HEADERS = [(b"content-security-policy", CSP.encode()), (b"x-frame-options", b"DENY"),
               (b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"same-origin")]

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/docs"):
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *self.HEADERS]
            await send(message)

        await self.app(scope, receive, with_headers)


def install(app: FastAPI) -> None:
    app.add_exception_handler(LoginRequired, _login_required)
    app.add_middleware(SecurityHeaders)
