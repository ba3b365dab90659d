"""Bundled example workflows (loaded with the DAG folder by default)."""
