"""User-facing errors: each carries what went wrong and how to fix it.

Every error a user can cause is an ``EdgeWeaveError`` subclass. The CLI turns one into a
message plus exit code and the API into a problem-details response, both from the tables
at the bottom of this module, so the mapping lives in exactly one place.
"""

from __future__ import annotations


class EdgeWeaveError(Exception):
    """Base class: ``message`` says what is wrong (and where), ``hint`` how to fix it."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  hint: {self.hint}" if self.hint else self.message


class InvalidModelError(EdgeWeaveError):
    """The file is not a loadable, valid ONNX model (wrong format, truncated, corrupt)."""


class UnsupportedModelError(EdgeWeaveError):
    """The model is valid ONNX but uses something we cannot handle (e.g. too old an opset)."""


class ParameterError(EdgeWeaveError):
    """A command-line or API parameter has a wrong value or format."""


class CalibrationDataError(EdgeWeaveError):
    """Calibration or evaluation data is missing, empty, or does not fit the model."""


class BackendUnavailableError(EdgeWeaveError):
    """A runtime backend was requested that is not installed or cannot run here."""


class OutputError(EdgeWeaveError):
    """An output location cannot be created or written."""


class OptimizationError(EdgeWeaveError):
    """A pass or the search failed in a way the user must know about."""


def first_line(exc: BaseException, limit: int = 300) -> str:
    """The first line of an exception's text (its type name when it has none)."""
    text = str(exc).strip()
    return text.splitlines()[0][:limit] if text else type(exc).__name__


class DagError(EdgeWeaveError):
    """A DAG cannot be built, or a task's code cannot be found or imported."""


class NotFoundError(EdgeWeaveError):
    """An id (DAG, run, task, model) names nothing that exists."""


class StoreError(EdgeWeaveError):
    """The state store cannot be opened, migrated or written."""


class InvalidTransitionError(StoreError):
    """A task-instance state change that the state machine forbids (or that raced)."""


class AuthError(EdgeWeaveError):
    """A credential check failed for a caller who is logged in (e.g. a wrong current password)."""


EXIT_CODES: dict[type[EdgeWeaveError], int] = {
    InvalidModelError: 3,
    UnsupportedModelError: 4,
    ParameterError: 2,
    CalibrationDataError: 5,
    BackendUnavailableError: 6,
    OutputError: 7,
    OptimizationError: 8,
    DagError: 9,
    NotFoundError: 10,
    StoreError: 11,
    InvalidTransitionError: 12,
    AuthError: 13,
}

HTTP_STATUS: dict[type[EdgeWeaveError], int] = {
    InvalidModelError: 422,
    UnsupportedModelError: 422,
    ParameterError: 400,
    CalibrationDataError: 422,
    BackendUnavailableError: 409,
    OutputError: 500,
    OptimizationError: 500,
    DagError: 422,
    NotFoundError: 404,
    StoreError: 503,
    InvalidTransitionError: 409,
    AuthError: 403,
}


def exit_code(error: EdgeWeaveError) -> int:
    """CLI exit code for ``error`` (1 for an EdgeWeaveError without a specific code)."""
    for cls in type(error).__mro__:
        if cls in EXIT_CODES:
            return EXIT_CODES[cls]
    return 1


def http_status(error: EdgeWeaveError) -> int:
    """HTTP status for ``error`` (400 for an EdgeWeaveError without a specific status)."""
    for cls in type(error).__mro__:
        if cls in HTTP_STATUS:
            return HTTP_STATUS[cls]
    return 400
