"""Jinja environment for the pages: autoescaped templates from the package, shared context."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from edgeweave.server.auth import Principal, Role

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")
STATE_CLASSES = ("none", "scheduled", "queued", "running", "success", "failed", "upstream_failed",
                 "skipped", "up_for_retry", "cancelled", "removed")


def _span(when: datetime | None, template: str, future: bool) -> str:
    """'3 h ago' / 'in 3 h': the distance from now in the largest whole unit."""
    if when is None:
        return "-"
    if when.tzinfo is None:  # SQLite hands back naive UTC
        when = when.replace(tzinfo=timezone.utc)
    secs = (when - datetime.now(timezone.utc)).total_seconds() * (1 if future else -1)
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if secs >= size:
            return template.format(f"{secs / size:.0f} {unit}")
    return template.format(f"{max(secs, 0):.0f} s")


def _ago(when: datetime | None) -> str:
    return _span(when, "{} ago", future=False)


def _until(when: datetime | None) -> str:
    return _span(when, "in {}", future=True)


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 120:
        return f"{seconds:.1f} s"
    return f"{seconds / 60:.1f} min"


def _stamp(when: datetime | None) -> str:
    return when.strftime("%Y-%m-%d %H:%M:%S") if when else "-"


TEMPLATES.env.filters.update(ago=_ago, until=_until, duration=_duration, stamp=_stamp)


def page(request: Request, template: str, who: Principal, title: str, status: int = 200,
         **values: Any) -> HTMLResponse:
    """Render ``template`` with the user, their rights and the CSRF token for scripts."""
    from edgeweave.server.ui.session import csrf_for

    context = {"who": who, "can_write": who.can(Role.OPERATOR), "title": title,
               "csrf": csrf_for(request), **values}
    return TEMPLATES.TemplateResponse(request, template, context, status_code=status)
