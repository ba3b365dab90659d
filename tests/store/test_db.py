"""Opening the store: default location, SQLite tuning, PostgreSQL, migrations, bad URLs."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from edgeweave.store.db import default_url, make_engine, masked, open_store
from edgeweave.store.errors import StoreError
from edgeweave.store.migrate import migrate
from edgeweave.store.tables import Base

TABLES = {"dag", "dag_run", "task_instance", "task_log", "task_result", "pool"}


def test_default_url_is_sqlite_in_edgeweave_home(tmp_path, monkeypatch):
    monkeypatch.delenv("EDGEWEAVE_DB_URL", raising=False)
    monkeypatch.setenv("EDGEWEAVE_HOME", str(tmp_path / "home"))
    assert default_url() == f"sqlite:///{tmp_path / 'home' / 'edgeweave.db'}"
    engine = open_store()
    assert (tmp_path / "home" / "edgeweave.db").is_file()
    assert set(inspect(engine).get_table_names()) >= TABLES
    engine.dispose()


def test_env_url_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("EDGEWEAVE_DB_URL", f"sqlite:///{tmp_path / 'other.db'}")
    assert default_url().endswith("other.db")


def test_sqlite_pragmas(sqlite_engine):
    with sqlite_engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() >= 10_000


def test_migrate_fresh_and_again(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    migrate(engine)
    migrate(engine)  # already at head: a no-op, not an error
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM edgeweave_alembic_version")).scalar() == "0002"
    engine.dispose()


def test_migration_matches_models(engine):
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    diff = [d for d in diff if not (d[0] == "remove_table" and d[1].name == "edgeweave_alembic_version")]
    assert diff == []


def test_pg_tables_exist(pg_engine):
    assert set(inspect(pg_engine).get_table_names()) >= TABLES


@pytest.mark.parametrize("url, expect", [
    ("postgresql+psycopg://bob:s3cret@127.0.0.1:1/nodb", "cannot connect"),
    ("nosuchdialect://x/y", "cannot use database URL"),
    ("not a url at all", "invalid database URL"),
])
def test_bad_url_is_a_clear_error(url, expect):
    with pytest.raises(StoreError) as info:
        make_engine(url)
    text_ = str(info.value)
    assert expect in text_
    assert "s3cret" not in text_
    assert info.value.hint


def test_masked_hides_password():
    assert masked("postgresql+psycopg://bob:s3cret@host/db") == "postgresql+psycopg://bob:***@host/db"
