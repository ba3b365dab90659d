"""Alembic environment: runs against the connection ``migrate()`` hands in.

There is no alembic.ini and no URL here: the caller passes a live connection through
``config.attributes["connection"]``, so migrations use exactly the engine settings
(SQLite pragmas, PostgreSQL search_path) the application uses.
"""

from __future__ import annotations

from alembic import context

from edgeweave.store.tables import Base

VERSION_TABLE = "edgeweave_alembic_version"

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through edgeweave.store.migrate(engine)")
context.configure(connection=connection, target_metadata=Base.metadata,
                  version_table=VERSION_TABLE, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
