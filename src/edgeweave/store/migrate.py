"""Bring a database to the current schema with the migrations shipped in the package.

No alembic.ini on the user's side: the script location is this package's ``migrations``
folder and the connection is the caller's engine, so ``edgeweave`` works from a wheel.
"""

from __future__ import annotations

import threading
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from edgeweave.store.db import masked
from edgeweave.store.errors import StoreError

MIGRATIONS = Path(__file__).with_name("migrations")
_LOCK = threading.Lock()


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def migrate(engine: Engine, revision: str = "head") -> None:
    """Upgrade the database behind ``engine`` to ``revision`` (idempotent; safe to repeat)."""
    cfg = alembic_config()
    try:
        with _LOCK, engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise StoreError(f"migrating the database at {masked(str(engine.url))} failed: {reason}",
                         "check that the database user may create tables; a database made by "
                         "a newer EdgeWeave cannot be opened by an older one") from exc
