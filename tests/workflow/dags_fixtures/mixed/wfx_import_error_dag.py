"""A DAG file whose import fails."""

import edgeweave_no_such_module  # noqa: F401
