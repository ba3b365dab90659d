"""Errors as RFC 9457 problem details: one handler for every EdgeWeaveError, via
``errors.http_status``, plus FastAPI's validation errors, 404/405 and oversized bodies."""

from __future__ import annotations

import contextlib
import re
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from edgeweave.errors import EdgeWeaveError, ParameterError, http_status

PROBLEM_JSON = "application/problem+json"
MAX_BODY = 1 << 20
_SAFE_ID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.:+\-]{0,249}$")


def problem(status: int, detail: str, hint: str = "", *, kind: str | None = None,
            headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    """A problem-details response (``type`` is a stable slug, ``title`` the status phrase)."""
    title = HTTPStatus(status).phrase
    body = {"type": f"about:blank#{kind or title.lower().replace(' ', '-')}", "title": title,
            "status": status, "detail": detail, "hint": hint, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def check_id(value: str, what: str) -> str:
    """Reject ids that could name a path ('..', '/', '\\', control characters): 400."""
    if not _SAFE_ID.match(value) or ".." in value:
        raise ParameterError(f"bad {what} {value!r}",
                             "ids use letters, digits and '_', '-', '.', ':', '+' (no '..')")
    return value


class BodyTooLarge(Exception):
    """A request body exceeded MAX_BODY while it was being read."""


def wants_html(request: Request) -> bool:
    """A browser page request (not the API): errors then come as an HTML page."""
    return (not request.url.path.startswith("/api/")
            and "text/html" in request.headers.get("accept", ""))


def html_problem(request: Request, status: int, detail: str, hint: str = "") -> Response:
    from edgeweave.server.ui.render import TEMPLATES

    return TEMPLATES.TemplateResponse(request, "error.html", {
        "title": HTTPStatus(status).phrase, "status": status, "heading": HTTPStatus(status).phrase,
        "detail": detail, "hint": hint, "who": None, "csrf": ""}, status_code=status)


async def _edgeweave(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, EdgeWeaveError)
    if wants_html(request):
        return html_problem(request, http_status(exc), exc.message, exc.hint)
    kind = type(exc).__name__.removesuffix("Error").lower() or "error"
    return problem(http_status(exc), exc.message, exc.hint, kind=kind)


async def _validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [{"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", ""))}
              for e in exc.errors()]
    detail = "; ".join(f"{'.'.join(e['loc'])}: {e['msg']}" for e in errors)
    if wants_html(request):
        return html_problem(request, 422, detail or "invalid request", "check the address")
    return problem(422, detail or "invalid request", "check the request against /openapi.json",
                   kind="validation", errors=errors)


_HINTS = {401: "send 'Authorization: Bearer <token>' with a token an admin created",
          403: "ask an admin for a token with a stronger role",
          404: "see /openapi.json for the routes", 405: "see /openapi.json for the methods"}


async def _http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    hint = _HINTS.get(exc.status_code, "")
    if (exc.headers or {}).get("X-EdgeWeave-Reason") == "csrf":
        hint = "reload the page (scripts send the token from its csrf-token meta tag)"
    if wants_html(request):
        return html_problem(request, exc.status_code, str(exc.detail), hint)
    return problem(exc.status_code, str(exc.detail), hint, headers=exc.headers)


def _too_large_response() -> JSONResponse:
    return problem(413, f"request body larger than {MAX_BODY} bytes", "send a smaller body")


def install(app: FastAPI) -> None:
    app.add_exception_handler(EdgeWeaveError, _edgeweave)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_middleware(BodyLimit)


class BodyLimit:
    """413 for a declared Content-Length over MAX_BODY; a streamed body is counted as read."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length", b"0")
        if not length.isdigit():
            await problem(400, "bad Content-Length header")(scope, receive, send)
            return
        if int(length) > self.limit:
            await _too_large_response()(scope, receive, send)
            return
        seen, too_big = 0, False

        async def counted() -> Message:
            nonlocal seen, too_big
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                too_big = True
                raise BodyTooLarge()
            return message

        async def unless_too_big(message: Message) -> None:  # FastAPI turns BodyTooLarge into 400
            if not too_big:
                await send(message)

        with contextlib.suppress(BodyTooLarge):
            await self.app(scope, counted, unless_too_big)
        if too_big:
            await _too_large_response()(scope, receive, send)
