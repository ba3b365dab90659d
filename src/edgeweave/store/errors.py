"""Store errors, defined with every other user error in ``edgeweave.errors``.

They subclass EdgeWeaveError so the CLI and API map them to exit codes and HTTP statuses
in one place; this module re-exports them for the store's own imports.
"""

from edgeweave.errors import InvalidTransitionError, NotFoundError, StoreError

__all__ = ["InvalidTransitionError", "NotFoundError", "StoreError"]
