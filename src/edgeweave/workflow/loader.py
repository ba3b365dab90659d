"""DagBag: every DAG in the DAG folders; a broken file is recorded, never fatal.

One bad file (syntax error, import error, validation errors, a dag_id another file
already uses) must not hide the other DAGs, so each failure lands in ``import_errors``
with its file and line, and loading goes on.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from edgeweave.errors import EdgeWeaveError, ParameterError
from edgeweave.workflow.authoring import DagFunction
from edgeweave.workflow.callables import import_file
from edgeweave.workflow.dag import DAG
from edgeweave.workflow.yaml_dag import load_yaml_dag

__all__ = ["DagBag", "default_dag_folders"]

DAG_SUFFIXES = (".py", ".yaml", ".yml")


def default_dag_folders(settings: Any = None) -> list[Path]:
    """Folders named by ``EDGEWEAVE_DAGS`` (os.pathsep-separated), else ``./dags``.

    ``settings`` may carry a ``dags_folder`` used when the variable is unset.
    """
    env = os.environ.get("EDGEWEAVE_DAGS")
    if env:
        return [Path(p).expanduser() for p in env.split(os.pathsep) if p.strip()]
    configured = getattr(settings, "dags_folder", None)
    return [Path(configured)] if configured else [Path("dags")]


def _dag_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir()
                  if p.is_file() and p.suffix in DAG_SUFFIXES and not p.name.startswith(("_", ".")))


def folder_fingerprint(folders: Iterable[str | Path]) -> tuple[tuple[Any, ...], ...]:
    """What the DAG files look like on disk (path, mtime, size): cheap to take every few
    seconds (stats only), and it changes whenever a DAG file is added, edited or removed."""
    entries: list[tuple[Any, ...]] = []
    for folder in folders:
        folder = Path(folder).expanduser()
        if not folder.is_dir():
            entries.append((str(folder), None))
            continue
        for path in _dag_files(folder):
            try:
                stat = path.stat()
            except FileNotFoundError:  # removed while we looked
                continue
            entries.append((str(path), stat.st_mtime_ns, stat.st_size))
    return tuple(entries)


def _python_dags(path: Path) -> tuple[list[DAG], list[str]]:
    """DAGs of one Python file: DAG objects at module level, then @dag functions."""
    module = import_file(path)
    dags: list[DAG] = []
    problems: list[str] = []
    seen: set[int] = set()
    for value in list(vars(module).values()):
        origin = value.source.file if isinstance(value, DAG) and value.source else str(path)
        if isinstance(value, DAG) and id(value) not in seen and Path(origin).resolve() == path.resolve():
            seen.add(id(value))
            dags.append(value)
    ids = {d.dag_id for d in dags}
    for value in list(vars(module).values()):
        if (isinstance(value, DagFunction) and value.fn.__module__ == module.__name__
                and value.dag_id not in ids):
            ids.add(value.dag_id)
            try:
                dags.append(value.build())
            except EdgeWeaveError as exc:
                problems.append(exc.message)
    return dags, problems


@dataclass
class DagBag:
    """The DAGs found in some folders, plus what failed to load and why."""

    dags: dict[str, DAG] = field(default_factory=dict)
    import_errors: dict[str, str] = field(default_factory=dict)
    """file path -> message (with line numbers); the CLI and API list these."""
    files: dict[str, str] = field(default_factory=dict)
    """dag_id -> file it came from"""
    missing_folders: list[Path] = field(default_factory=list)
    folders: list[Path] = field(default_factory=list)
    """where it was loaded from (empty for a bag built by hand: ``refresh`` does nothing)"""
    known_operators: set[str] | None = None
    fingerprint: tuple[tuple[Any, ...], ...] = ()
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @classmethod
    def load(cls, folders: Iterable[str | Path], known_operators: set[str] | None = None) -> DagBag:
        """Load every ``*.py``/``*.yaml``/``*.yml`` file (skipping ``_*`` and ``.*``) of each folder."""
        folders = [Path(f) for f in folders]
        bag = cls(folders=folders, known_operators=known_operators,
                  fingerprint=folder_fingerprint(folders))
        for folder in folders:
            folder = Path(folder).expanduser()
            if not folder.is_dir():
                bag.missing_folders.append(folder)
                continue
            for path in _dag_files(folder):
                bag.load_file(path, known_operators)
        return bag

    def refresh(self) -> bool:
        """Reload when a DAG file was added, edited or removed since the last load; True if so.

        The new DAGs, errors and files replace the old ones by attribute assignment, so a
        reader holding ``bag.dags`` keeps a consistent (old) view and never sees a half-loaded
        folder. Safe to call from several threads (one reloads, the others wait)."""
        if not self.folders:
            return False
        with self._lock:
            fingerprint = folder_fingerprint(self.folders)
            if fingerprint == self.fingerprint:
                return False
            fresh = DagBag.load(self.folders, self.known_operators)
            self.dags, self.import_errors, self.files = fresh.dags, fresh.import_errors, fresh.files
            self.missing_folders, self.fingerprint = fresh.missing_folders, fresh.fingerprint
            return True

    def load_file(self, path: Path, known_operators: set[str] | None = None) -> None:
        """Add the DAGs of one file; record its problems instead of raising."""
        key = str(path)
        problems: list[str] = []
        dags: list[DAG] = []
        try:
            if path.suffix == ".py":
                if "dag" not in path.read_text(encoding="utf-8", errors="replace").lower():
                    return  # a helper module next to the DAGs, as Airflow's safe mode skips
                dags, problems = _python_dags(path)
            else:
                dags = [load_yaml_dag(path, known_operators)]
        except EdgeWeaveError as exc:
            problems.append(exc.message)
        except Exception as exc:  # a loader bug must not hide the other files
            problems.append(f"{path}: {type(exc).__name__}: {exc}")
        for dag in dags:
            if dag.dag_id in self.dags:
                problems.append(f"{path}: dag_id {dag.dag_id!r} is already defined in "
                                f"{self.files[dag.dag_id]}; rename one of them")
                continue
            self.dags[dag.dag_id] = dag
            self.files[dag.dag_id] = key
        if problems:
            self.import_errors[key] = "\n".join(problems)

    def get(self, dag_id: str) -> DAG:
        """The DAG called ``dag_id``; ParameterError lists the known ids and broken files."""
        if dag_id in self.dags:
            return self.dags[dag_id]
        known = ", ".join(sorted(self.dags)) or "none"
        message = f"unknown DAG {dag_id!r}; known DAGs: {known}"
        if self.import_errors:
            message += (f"; {len(self.import_errors)} file(s) failed to load and may define it: "
                        f"{', '.join(sorted(self.import_errors))}")
        raise ParameterError(message, "run `edgeweave dags list` to see DAGs and import errors")
