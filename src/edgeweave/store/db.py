"""Open the state store: an SQLAlchemy engine from a URL, migrated to the current schema.

SQLite in ``$EDGEWEAVE_HOME/edgeweave.db`` is the default so nothing must be set up;
``EDGEWEAVE_DB_URL=postgresql+psycopg://user:pass@host/db`` selects PostgreSQL. SQLite is
tuned for one busy writer (the scheduler) plus concurrent readers: WAL journal, a long
busy timeout instead of "database is locked", foreign keys on, and connections usable
from any thread (the scheduler, the API server and executor threads share one engine).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from edgeweave.config import get_settings
from edgeweave.store.errors import StoreError

ENV_URL = "EDGEWEAVE_DB_URL"
SQLITE_BUSY_TIMEOUT_MS = 30_000


def default_url() -> str:
    """``EDGEWEAVE_DB_URL`` if set, else SQLite in EDGEWEAVE_HOME (read on each call)."""
    url = os.environ.get(ENV_URL, "").strip()
    if url:
        return url
    return f"sqlite:///{get_settings().home / 'edgeweave.db'}"


def masked(url: str) -> str:
    """The URL with its password replaced by ``***``, safe for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return url


def _sqlite_on_connect(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA foreign_keys=ON")
    # NORMAL is durable across application crashes in WAL mode (only an OS crash can
    # lose the last commits), and makes a commit ~10x cheaper than FULL.
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def make_engine(url: str | None = None, *, check: bool = True, **kwargs: Any) -> Engine:
    """An engine for ``url`` (default: :func:`default_url`); StoreError if it cannot connect.

    ``check`` opens one connection now so a bad URL fails here, with the URL (password
    masked) and the fix in the message, rather than deep inside the first query.
    """
    url = url or default_url()
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StoreError(f"invalid database URL {url!r}",
                         f"set {ENV_URL} to e.g. sqlite:////abs/path/edgeweave.db or "
                         "postgresql+psycopg://user:password@host:5432/dbname") from exc
    is_sqlite = parsed.get_backend_name() == "sqlite"
    if is_sqlite:
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            try:
                Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot create the folder for SQLite database {database}: {exc}",
                                 f"set EDGEWEAVE_HOME or {ENV_URL} to a writable location") from exc
        connect_args = {"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        connect_args.update(kwargs.pop("connect_args", {}))
        kwargs["connect_args"] = connect_args
    else:
        kwargs.setdefault("pool_pre_ping", True)
    try:
        engine = create_engine(parsed, **kwargs)
    except (NoSuchModuleError, ModuleNotFoundError, ArgumentError) as exc:
        raise StoreError(f"cannot use database URL {masked(url)}: {exc}",
                         "for PostgreSQL use postgresql+psycopg://... and "
                         "pip install 'edgeweave[postgres]'") from exc
    if is_sqlite:
        event.listen(engine, "connect", _sqlite_on_connect)
    if check:
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            engine.dispose()
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            raise StoreError(f"cannot connect to the database at {masked(url)}: {reason}",
                             f"check that the server is running and the URL in {ENV_URL} "
                             "(host, port, user, password, database) is right; unset it to "
                             "use the default SQLite file in EDGEWEAVE_HOME") from exc
    return engine


def open_store(url: str | None = None, **kwargs: Any) -> Engine:
    """An engine for ``url``, with the schema migrated to the current version."""
    from edgeweave.store.migrate import migrate

    engine = make_engine(url, **kwargs)
    migrate(engine)
    return engine
