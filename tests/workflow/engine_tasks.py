"""Task functions for engine tests, importable by name in threads and subprocesses.

Tests put this folder on sys.path (pytest does, for test files here; subprocesses get it
through PYTHONPATH) and reference these as ``engine_tasks:NAME``.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path

from edgeweave.workflow.runner import get_context

log = logging.getLogger("engine_tasks")


def noop() -> None:
    return None


def value(x: object) -> object:
    return x


def add(a: float, b: float) -> float:
    return a + b


def boom(message: str = "boom") -> None:
    raise ValueError(message)


def record(path: str, seconds: float = 0.0, tag: str = "") -> str:
    """Append 'start task try' and (after sleeping) 'done task try' lines to ``path``."""
    ctx = get_context()
    line = f"{ctx.task_id} {ctx.try_number}"
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(f"start {line} {time.time():.6f}\n")
    time.sleep(seconds)
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(f"done {line} {time.time():.6f}\n")
    return tag or ctx.task_id


def flaky(path: str, failures: int) -> int:
    """Fail the first ``failures`` tries (counted in a file), then return the try number."""
    p = Path(path)
    count = int(p.read_text()) if p.exists() else 0
    p.write_text(str(count + 1))
    if count < failures:
        raise RuntimeError(f"flaky failure {count + 1}")
    return get_context().try_number


def write_after(path: str, seconds: float) -> str:
    """Sleep, then write ``path``: a killed task never writes it."""
    time.sleep(seconds)
    Path(path).write_text("written")
    return "late"


def sleep(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


def chatty(name: str, lines: int = 20, delay: float = 0.001) -> str:
    """Print to stdout/stderr and log, slowly, so parallel tasks interleave."""
    log.setLevel(logging.INFO)
    for i in range(lines):
        print(f"{name} out {i}")
        print(f"{name} err {i}", file=sys.stderr)
        log.info("%s log %d", name, i)
        time.sleep(delay)
    return name


def big_array(n: int) -> object:
    import numpy as np

    return np.arange(n, dtype=np.float64)


def array_stats(arr: object) -> dict:
    import numpy as np

    a = np.asarray(arr)
    return {"n": int(a.size), "sum": float(a.sum()), "dtype": str(a.dtype)}


def pid() -> int:
    return os.getpid()
