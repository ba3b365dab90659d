"""File triggers: a polling watcher that starts one run per new file matching a glob.

Polling (not inotify) because it works the same on every OS, in containers and on network
mounts, with no extra dependency. Files present when the watcher starts are not new. A
file fires once its size and mtime are unchanged across two polls, so a run never sees a
half-copied file.
"""

from __future__ import annotations

import glob
import logging
import os
import threading
from collections.abc import Mapping, Sequence

from edgeweave.workflow.triggers import EventRoute, TriggerSink, as_routes, deliver

log = logging.getLogger("edgeweave.triggers.files")


def _stamp(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:  # vanished between glob and stat
        return None
    return st.st_size, st.st_mtime_ns


class FileWatcher:
    """glob pattern -> DAG(s); each new file starts a run with params {"path": <abs path>}."""

    def __init__(self, patterns: Mapping[str, str | EventRoute | Sequence[str | EventRoute]],
                 sink: TriggerSink, *, interval: float = 1.0, settle: bool = True) -> None:
        self.patterns = {pattern: as_routes(value) for pattern, value in patterns.items()}
        self.sink, self.interval, self.settle = sink, interval, settle
        self._seen: dict[str, set[str]] = {p: set() for p in self.patterns}
        self._pending: dict[str, dict[str, tuple[int, int]]] = {p: {} for p in self.patterns}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _matches(self, pattern: str) -> set[str]:
        return {os.path.abspath(p) for p in glob.glob(pattern, recursive=True) if os.path.isfile(p)}

    def snapshot(self) -> None:
        """Treat every file that exists now as already seen."""
        for pattern in self.patterns:
            self._seen[pattern] = self._matches(pattern)
            self._pending[pattern].clear()

    def poll(self) -> list[str]:
        """Check every pattern once; fire for settled new files. Returns the run ids."""
        run_ids: list[str] = []
        for pattern, routes in self.patterns.items():
            try:
                run_ids.extend(self._poll_pattern(pattern, routes))
            except Exception:  # a broken glob or sink must not stop the watcher
                log.exception("file watch on %r failed", pattern)
        return run_ids

    def _poll_pattern(self, pattern: str, routes: tuple[EventRoute, ...]) -> list[str]:
        current = self._matches(pattern)
        seen, pending = self._seen[pattern], self._pending[pattern]
        seen &= current  # forget deleted files: a re-created one is new again
        run_ids: list[str] = []
        for path in sorted(current - seen):
            stamp = _stamp(path)
            if stamp is None:
                continue
            if self.settle and pending.get(path) != stamp:
                pending[path] = stamp  # still changing (or first sight): wait a poll
                continue
            if self._fire(pattern, path, routes, run_ids):
                seen.add(path)
                pending.pop(path, None)
        for gone in set(pending) - current:
            del pending[gone]
        return run_ids

    def _fire(self, pattern: str, path: str, routes: tuple[EventRoute, ...],
              run_ids: list[str]) -> bool:
        """Start every route's run; False if one was refused or failed (retried next poll)."""
        done = True
        for route in routes:
            delivery = deliver(self.sink, route.event({"path": path}, f"file:{pattern}",
                                                      path=path, pattern=pattern))
            if delivery.run_id is not None:
                run_ids.append(delivery.run_id)
            elif delivery.outcome in ("refused", "failed") and len(routes) == 1:
                done = False
        return done

    def start(self) -> None:
        if self._thread is not None:
            return
        self.snapshot()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="file-watcher", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.poll()

    def stop(self) -> None:
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join(timeout=max(5.0, 2 * self.interval))
        self._thread = None
