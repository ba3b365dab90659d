"""Store fixtures shared by tests/store and tests/workflow (imported by their conftests).

PostgreSQL tests use the local server (127.0.0.1:5432, db ``test``) in a fresh schema per
test, dropped afterwards; they skip, saying why, when the server cannot be reached.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from edgeweave.store.db import open_store

PG_URL = os.environ.get("EDGEWEAVE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture
def sqlite_engine(tmp_path) -> Iterator[Engine]:
    engine = open_store(f"sqlite:///{tmp_path / 'edgeweave.db'}")
    yield engine
    engine.dispose()


@pytest.fixture
def pg_engine() -> Iterator[Engine]:
    schema = f"ew_test_{secrets.token_hex(4)}"
    try:
        admin = create_engine(PG_URL)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # no server, no driver, no rights: skip with the reason
        pytest.skip(f"PostgreSQL at {PG_URL} is unreachable: {str(exc).splitlines()[0]}")
    engine = open_store(PG_URL, connect_args={"options": f"-csearch_path={schema}"})
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "pg"])
def engine(request) -> Engine:
    """The same test against SQLite and PostgreSQL."""
    return request.getfixturevalue(f"{request.param}_engine")
