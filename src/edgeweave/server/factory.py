"""The API app as uvicorn builds it in each worker process, and the uvicorn settings we serve with.

Several uvicorn workers need the app as an import string (each worker process builds its
own): ``uvicorn.run(APP_FACTORY, factory=True, workers=N, **uvicorn_options())``. The app
comes from the environment alone: the store from ``EDGEWEAVE_DB_URL`` or
``$EDGEWEAVE_HOME/edgeweave.db``, DAGs from ``EDGEWEAVE_DAGS`` (plus the bundled examples)
and users from ``$EDGEWEAVE_HOME/auth.json``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the uvicorn supervisor imports this module: keep it light
    from fastapi import FastAPI

APP_FACTORY = "edgeweave.server.factory:app_from_env"


def app_from_env() -> FastAPI:
    """The API app over the store, DAG folders and auth file the environment names."""
    from edgeweave.server.app import create_app
    from edgeweave.server.auth import AuthConfig
    from edgeweave.workflow.service import DAG_REFRESH_S, load_dags, open_engine

    return create_app(open_engine(), load_dags(), auth=AuthConfig(), dag_refresh_s=DAG_REFRESH_S)


def uvicorn_options(workers: int = 1) -> dict[str, Any]:
    """Keyword arguments for ``uvicorn.run``: quiet, no access log (a log line per request
    costs more than a cached list request), httptools and uvloop when installed ("auto")."""
    return {"workers": workers, "log_level": "warning", "access_log": False,
            "http": "auto", "loop": "auto"}
