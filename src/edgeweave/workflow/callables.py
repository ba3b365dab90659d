"""Code references: turn a task function into a string and back, in any process.

A TaskSpec names its code as ``module:qualname`` (a module importable by name) or
``/abs/path/file.py:qualname`` (a DAG file loaded by path), so a worker thread, a
subprocess or a Ray node can re-import it without receiving a live Python object.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import sys
import traceback
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

from edgeweave.errors import DagError, EdgeWeaveError, first_line

PATH_ATTR = "__edgeweave_path__"
"""Set on modules imported by path, so their functions get a path reference."""
TASK_FN_ATTR = "__edgeweave_fn__"
"""Set on @task wrappers: the plain function a worker should call."""

_FILE_CACHE: dict[str, tuple[int, types.ModuleType]] = {}


class DagValidationError(DagError):
    """Every problem found in one DAG file, reported together: ``N errors in FILE:``."""

    def __init__(self, file: str, problems: list[str], hint: str = "") -> None:
        self.file = file
        self.problems = list(problems)
        noun = "error" if len(problems) == 1 else "errors"
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"{len(problems)} {noun} in {file}:\n{lines}", hint)


def is_path_ref(target: str) -> bool:
    """True when the part before ':' names a file rather than a module."""
    return target.endswith(".py") or "/" in target or os.sep in target


def _module_name_for(path: Path) -> str:
    digest = hashlib.sha1(str(path).encode()).hexdigest()[:10]
    stem = "".join(c if c.isalnum() else "_" for c in path.stem)
    return f"edgeweave_dagfile_{stem}_{digest}"


def error_location(exc: BaseException, file: str | Path) -> str:
    """``file:line`` of the deepest traceback frame inside ``file`` (or just ``file``)."""
    if isinstance(exc, SyntaxError) and exc.lineno:
        col = f":{exc.offset}" if exc.offset else ""
        return f"{exc.filename or file}:{exc.lineno}{col}"
    target = os.path.realpath(file)
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if os.path.realpath(frame.filename) == target:
            line = frame.lineno
    return f"{file}:{line}" if line else str(file)


def import_file(path: str | Path) -> types.ModuleType:
    """Import a Python file by path under a unique module name (cached until it changes).

    The file's folder goes on ``sys.path`` (as Airflow does for its DAG folder) so the
    file can import helper modules next to it, here and in any worker that re-imports it.
    Raises DagError naming ``file:line`` when the file is missing or fails to import.
    """
    path = Path(path).expanduser().resolve()
    if not path.is_file():
        raise DagError(f"file {path} not found",
                       "the file must exist at the same path on every machine that runs its tasks")
    mtime = path.stat().st_mtime_ns
    cached = _FILE_CACHE.get(str(path))
    if cached and cached[0] == mtime:
        return cached[1]
    name = _module_name_for(path)
    module = types.ModuleType(name)
    module.__file__ = str(path)
    setattr(module, PATH_ATTR, str(path))
    folder = str(path.parent)
    if folder not in sys.path:
        sys.path.append(folder)
    sys.modules[name] = module
    try:
        code = compile(path.read_bytes(), str(path), "exec")
        exec(code, module.__dict__)
    except BaseException as exc:
        sys.modules.pop(name, None)
        if not isinstance(exc, Exception) or isinstance(exc, EdgeWeaveError):
            raise
        raise DagError(f"{error_location(exc, path)}: {type(exc).__name__}: {first_line(exc)}",
                       "fix the file; a missing module must be installed on every worker") from exc
    _FILE_CACHE[str(path)] = (mtime, module)
    return module


def _import_target(target: str, ref: str) -> types.ModuleType:
    if is_path_ref(target):
        return import_file(target)
    try:
        return importlib.import_module(target)
    except ModuleNotFoundError as exc:
        if exc.name and target.startswith(exc.name):
            raise DagError(f"cannot import module {target!r} for task code {ref!r}: no such module",
                           "install the package or add its folder to PYTHONPATH on every worker; "
                           "or reference the file by path: /path/to/file.py:function") from exc
        raise DagError(f"importing module {target!r} for {ref!r} failed: {first_line(exc)}",
                       "install the missing package on every worker") from exc
    except Exception as exc:
        where = error_location(exc, getattr(exc, "filename", None) or target)
        raise DagError(f"importing module {target!r} for {ref!r} failed at {where}: "
                       f"{type(exc).__name__}: {first_line(exc)}") from exc


def resolve_callable(ref: str) -> Callable[..., Any]:
    """The function a ``module:qualname`` or ``/path/file.py:qualname`` reference names.

    @task wrappers are unwrapped to the plain function, so a worker calls the user's code.
    """
    target, sep, qualname = ref.rpartition(":")
    if not sep or not target or not qualname:
        raise DagError(f"invalid task code reference {ref!r}",
                       "expected 'package.module:function' or '/path/to/file.py:function'")
    module = _import_target(target, ref)
    obj: Any = module
    for part in qualname.split("."):
        if not hasattr(obj, part):
            where = getattr(module, "__file__", None) or target
            names = sorted(n for n, v in vars(module).items() if callable(v) and not n.startswith("_"))
            place = where if is_path_ref(target) else f"module {target!r} ({where})"
            raise DagError(f"{place} has no function {qualname!r} (reference {ref!r})",
                           f"define it at module level there; callables found: "
                           f"{', '.join(names) or 'none'}")
        obj = getattr(obj, part)
    obj = getattr(obj, TASK_FN_ATTR, obj)
    if not callable(obj):
        raise DagError(f"{ref!r} names a {type(obj).__name__}, not a function")
    return obj


def callable_ref_for(fn: Callable[..., Any]) -> str:
    """The reference another process can re-import ``fn`` by; DagError if there is none.

    Nested functions and lambdas are rejected: no other process can import them.
    """
    name = getattr(fn, "__name__", repr(fn))
    qualname = getattr(fn, "__qualname__", name)
    if name == "<lambda>" or "<locals>" in qualname:
        kind = "a lambda" if name == "<lambda>" else "a nested function"
        raise DagError(f"task function {qualname!r} is {kind}; a worker cannot import it",
                       "define the task function at module level (top of a module or DAG file)")
    module = sys.modules.get(getattr(fn, "__module__", "") or "")
    if module is None:
        raise DagError(f"task function {qualname!r}: its module {fn.__module__!r} is not imported")
    path = getattr(module, PATH_ATTR, None)
    if path is None and module.__name__ == "__main__" and getattr(module, "__file__", None):
        path = os.path.abspath(module.__file__)  # type: ignore[type-var]
    obj: Any = module
    for part in qualname.split("."):
        obj = getattr(obj, part, None)
    if getattr(obj, TASK_FN_ATTR, obj) is not fn:
        raise DagError(f"task function {qualname!r} is not reachable as "
                       f"{module.__name__}.{qualname}; a worker could not import it",
                       "define it at module level under its own name")
    return f"{path}:{qualname}" if path else f"{module.__name__}:{qualname}"


def _defined_names(body: list[Any]) -> set[str]:
    """Names a module body binds (recursing into if/try/with blocks); '*' for star imports."""
    import ast

    names: set[str] = set()
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, (ast.If, ast.Try, ast.With)):
            for block in ("body", "orelse", "finalbody"):
                names |= _defined_names(getattr(node, block, []))
            for handler in getattr(node, "handlers", []):
                names |= _defined_names(handler.body)
    return names


def ref_problem(ref: str) -> str | None:
    """Why ``ref`` cannot name a function, checked without running the user's code.

    Parses the target file (``ast``) instead of importing it, so validating a DAG never
    executes task modules; returns None when the reference looks fine.
    """
    import importlib.util

    target, sep, qualname = ref.rpartition(":")
    if not sep or not target or not qualname or not all(p.isidentifier() for p in qualname.split(".")):
        return (f"invalid code reference {ref!r}; expected 'package.module:function' or "
                f"'./file.py:function'")
    if is_path_ref(target):
        file = Path(target)
        if not file.is_file():
            return f"file {file} not found (code reference {ref!r})"
    else:
        try:
            spec = importlib.util.find_spec(target)
        except (ImportError, ValueError) as exc:
            return f"cannot find module {target!r}: {first_line(exc)}"
        if spec is None:
            return f"module {target!r} not found; install it or add its folder to PYTHONPATH"
        if not spec.origin or not spec.origin.endswith(".py"):
            return None
        file = Path(spec.origin)
    try:
        import ast

        names = _defined_names(ast.parse(file.read_text(encoding="utf-8"), str(file)).body)
    except SyntaxError as exc:
        return f"{file}:{exc.lineno}: syntax error: {exc.msg}"
    except (OSError, UnicodeDecodeError) as exc:
        return f"cannot read {file}: {first_line(exc)}"
    head = qualname.split(".")[0]
    if head not in names and "*" not in names:
        defined = ", ".join(sorted(n for n in names if not n.startswith("_"))) or "none"
        return f"{file} has no function {head!r} (defined there: {defined})"
    return None
