"""Per-task capture of stdout, stderr and logging for tasks that run in threads.

sys.stdout/sys.stderr are process-wide, so parallel tasks in threads would mix their
output. While the local executor runs, both are replaced by a proxy that looks up the
current task in a ContextVar: a task's writes go to its own buffer, everything else to the
original stream. A root logging handler does the same for log records. Threads a task
starts itself do not inherit the ContextVar (unless started via contextvars.copy_context),
so their output goes to the console, not the task log.
"""

from __future__ import annotations

import logging
import sys
import threading
from contextvars import ContextVar
from typing import Any, TextIO

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class Capture:
    """A try's captured output: (stream, text) chunks, merged while the stream is unchanged."""

    def __init__(self) -> None:
        self._chunks: list[list[str]] = []
        self._lock = threading.Lock()

    def write(self, stream: str, text: str) -> None:
        if not text:
            return
        with self._lock:
            if self._chunks and self._chunks[-1][0] == stream:
                self._chunks[-1][1] += text
            else:
                self._chunks.append([stream, text])

    def drain(self) -> list[tuple[str, str]]:
        with self._lock:
            chunks, self._chunks = self._chunks, []
        return [(s, t) for s, t in chunks]


CURRENT: ContextVar[Capture | None] = ContextVar("edgeweave_capture", default=None)


class RoutingStream:
    """Stands in for sys.stdout/stderr: the current task's writes go to its Capture."""

    def __init__(self, name: str, fallback: TextIO) -> None:
        self._name = name
        self._fallback = fallback

    def write(self, text: str) -> int:
        cap = CURRENT.get()
        if cap is None:
            return self._fallback.write(text)
        cap.write(self._name, text)
        return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        if CURRENT.get() is None:
            self._fallback.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._fallback, name)


class CaptureHandler(logging.Handler):
    """Sends log records emitted inside a task to that task's Capture (stream ``log``)."""

    def __init__(self) -> None:
        super().__init__(logging.NOTSET)
        self.setFormatter(logging.Formatter(LOG_FORMAT))

    def emit(self, record: logging.LogRecord) -> None:
        cap = CURRENT.get()
        if cap is not None:
            try:
                cap.write("log", self.format(record) + "\n")
            except Exception:  # a broken record must not fail the task
                self.handleError(record)


_lock = threading.Lock()
_users = 0
_handler: CaptureHandler | None = None


def install() -> None:
    """Route stdout/stderr/logging by task (reference-counted; pair with uninstall)."""
    global _users, _handler
    with _lock:
        _users += 1
        if _users > 1:
            return
        if not isinstance(sys.stdout, RoutingStream):
            sys.stdout = RoutingStream("stdout", sys.stdout)  # type: ignore[assignment]
        if not isinstance(sys.stderr, RoutingStream):
            sys.stderr = RoutingStream("stderr", sys.stderr)  # type: ignore[assignment]
        _handler = CaptureHandler()
        logging.getLogger().addHandler(_handler)


def ensure() -> None:
    """Re-route if something (a test runner, a library) replaced sys.stdout/stderr since
    :func:`install`; called as each task starts, so capture survives such swaps."""
    if _users and not (isinstance(sys.stdout, RoutingStream) and isinstance(sys.stderr, RoutingStream)):
        with _lock:
            if not isinstance(sys.stdout, RoutingStream):
                sys.stdout = RoutingStream("stdout", sys.stdout)  # type: ignore[assignment]
            if not isinstance(sys.stderr, RoutingStream):
                sys.stderr = RoutingStream("stderr", sys.stderr)  # type: ignore[assignment]


def uninstall() -> None:
    global _users, _handler
    with _lock:
        if _users == 0:
            return
        _users -= 1
        if _users:
            return
        if isinstance(sys.stdout, RoutingStream):
            sys.stdout = sys.stdout._fallback  # type: ignore[assignment]
        if isinstance(sys.stderr, RoutingStream):
            sys.stderr = sys.stderr._fallback  # type: ignore[assignment]
        if _handler is not None:
            logging.getLogger().removeHandler(_handler)
            _handler = None
