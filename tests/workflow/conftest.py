from engine_fixtures import engine, pg_engine, sqlite_engine  # noqa: F401
