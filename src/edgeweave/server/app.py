"""``create_app``: the REST API under ``/api/v1`` over one store, DAG bag and registry."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

from sqlalchemy.engine import Engine

from edgeweave.models.registry import ModelRegistry
from edgeweave.server import problems
from edgeweave.server.auth import AuthConfig
from edgeweave.server.deps import Context
from edgeweave.server.microcache import MicroCache, ttl_from_env
from edgeweave.workflow.loader import DagBag

try:
    from fastapi import FastAPI
except ImportError as exc:  # pragma: no cover - only without the server dependencies
    raise ImportError("the EdgeWeave API needs FastAPI: pip install 'fastapi>=0.110' 'uvicorn>=0.29'") \
        from exc

API = "/api/v1"
log = logging.getLogger(__name__)


def _watch_dags(bag: DagBag, every_s: float) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """While the app serves, reload the DAG bag when its files change (every ``every_s``
    seconds, a few stats; 0 = never), so a new or edited DAG file shows up without a restart."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async def loop() -> None:
            while True:
                await asyncio.sleep(every_s)
                try:
                    await asyncio.to_thread(bag.refresh)
                except Exception:  # a reload bug must not stop the server
                    log.exception("reloading the DAG folders failed")

        task = asyncio.create_task(loop()) if every_s > 0 else None
        try:
            yield
        finally:
            if task is not None:
                task.cancel()

    return lifespan


def _offline_docs(app: FastAPI) -> None:
    """Swagger UI at ``/docs`` from the assets the ``fastapi-offline`` package ships, so the
    API reference works on an edge box without internet (FastAPI's default loads a CDN)."""
    from fastapi.openapi.docs import get_swagger_ui_html
    from fastapi.responses import HTMLResponse
    from fastapi.staticfiles import StaticFiles

    try:
        import fastapi_offline
    except ImportError:  # pragma: no cover - a dependency; fall back to FastAPI's CDN page
        app.docs_url = "/docs"
        app.setup()
        return
    assets = Path(fastapi_offline.__file__).parent / "static"
    app.mount("/docs-static", StaticFiles(directory=assets), name="docs-static")

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title="EdgeWeave API",
                                   swagger_js_url="/docs-static/swagger-ui-bundle.js",
                                   swagger_css_url="/docs-static/swagger-ui.css",
                                   swagger_favicon_url="/static/favicon.svg")


def create_app(engine: Engine, bag: DagBag, *, auth: AuthConfig,
               registry: ModelRegistry | None = None, grid_cache_s: float | None = None,
               dag_refresh_s: float = 0.0) -> FastAPI:
    """The API and the web UI; every route but ``/health``, ``/metrics``, the login page and
    the static files needs a bearer token (API) or a session cookie (UI)."""
    from edgeweave.server import routes_dags, routes_info, routes_live, routes_runs, routes_users, ui

    app = FastAPI(title="EdgeWeave", version="1", openapi_url="/openapi.json",
                  docs_url=None, redoc_url=None, lifespan=_watch_dags(bag, dag_refresh_s))
    _offline_docs(app)
    ttl = ttl_from_env() if grid_cache_s is None else grid_cache_s
    app.state.edgeweave = Context(engine=engine, bag=bag, auth=auth, store=auth.store(),
                                  registry=registry or ModelRegistry(), grid_cache=MicroCache(ttl))
    for router in (routes_dags.router, routes_runs.router, routes_live.router, routes_info.router,
                   routes_users.router):
        app.include_router(router, prefix=API)
    app.include_router(routes_info.public, prefix=API)
    problems.install(app)
    ui.install(app)
    return app
