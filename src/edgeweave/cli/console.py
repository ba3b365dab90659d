"""One Console factory: outside a terminal (CI logs, pipes) rich would assume 80 columns
and squash tables, so the fallback width is wider."""

from __future__ import annotations

import shutil

from rich.console import Console


def make_console(stderr: bool = False) -> Console:
    return Console(width=shutil.get_terminal_size((150, 40)).columns, stderr=stderr)
