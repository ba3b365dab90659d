"""Alembic migrations for the store, run programmatically by ``edgeweave.store.migrate``."""
