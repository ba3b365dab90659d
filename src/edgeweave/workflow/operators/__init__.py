"""Built-in operators: named task implementations YAML DAGs use with ``uses: NAME``.

An operator is a plain function registered under a name; the worker looks it up here and
calls it with the task's (resolved) kwargs, in whatever process runs the task.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

OPERATORS: dict[str, Callable[..., Any]] = {}


def register_operator(name: str) -> Callable[[F], F]:
    """Decorator: make ``fn`` available to tasks as operator ``name``."""
    if not name or not name.replace("_", "").replace(".", "").isalnum():
        raise ValueError(f"operator names are identifiers like 'optimize_model', got {name!r}")

    def deco(fn: F) -> F:
        if name in OPERATORS and OPERATORS[name] is not fn:
            raise ValueError(f"operator {name!r} is already registered to {OPERATORS[name]!r}")
        OPERATORS[name] = fn
        return fn

    return deco


@register_operator("python")
def python_operator(callable: str, **kwargs: Any) -> Any:  # noqa: A002 - the YAML key
    """Call the function ``callable`` (``module:function`` or ``file.py:function``) with kwargs."""
    from edgeweave.workflow.runner import resolve_ref

    return resolve_ref(callable)(**kwargs)
