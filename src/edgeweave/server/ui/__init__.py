"""The web UI: server-rendered Jinja pages plus small scripts that call /api/v1.

No Node.js build: templates and static files ship inside the Python package. Pages read
the store directly for their first paint; live parts (run states, logs, the Grid) fetch
the same REST endpoints an API client uses, authenticated by the session cookie + CSRF.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"


def install(app: FastAPI) -> None:
    """Mount the pages, the login routes, the static files and the security headers."""
    from edgeweave.server.ui import pages, session

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(session.router)
    app.include_router(pages.router)
    session.install(app)
