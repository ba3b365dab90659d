"""A tiny time-to-live cache of encoded response bodies, for the Grid endpoint.

A Grid is polled by every open Grid view (every 3 s while runs are active) and its cost
grows with runs x tasks, so N viewers of one DAG would each pay for the same two queries.
Bodies are kept for ``ttl_s`` (default 1 s: a Grid is at most one second older than the
store), per process; ``ttl_s=0`` turns caching off. Responses say ``X-EdgeWeave-Cache:
hit|miss`` so a client (and bench/api_load.py) can tell which it got.
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from collections.abc import Hashable

DEFAULT_TTL_S = 1.0


def ttl_from_env() -> float:
    """``EDGEWEAVE_GRID_CACHE_S`` (seconds; 0 = off), else the default."""
    raw = os.environ.get("EDGEWEAVE_GRID_CACHE_S", "")
    try:
        return max(float(raw), 0.0) if raw else DEFAULT_TTL_S
    except ValueError:
        return DEFAULT_TTL_S


class MicroCache:
    def __init__(self, ttl_s: float = DEFAULT_TTL_S, max_entries: int = 256) -> None:
        self.ttl_s, self.max_entries = ttl_s, max_entries
        self._items: OrderedDict[Hashable, tuple[float, bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> bytes | None:
        if self.ttl_s <= 0:
            return None
        with self._lock:
            item = self._items.get(key)
            if item is None or item[0] < time.monotonic():
                return None
            return item[1]

    def put(self, key: Hashable, body: bytes) -> None:
        if self.ttl_s <= 0:
            return
        with self._lock:
            self._items[key] = (time.monotonic() + self.ttl_s, body)
            self._items.move_to_end(key)
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)
