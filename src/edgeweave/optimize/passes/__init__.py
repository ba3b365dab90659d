"""Registered Model -> Model passes (see ``base.py``); built-ins register on first lookup."""

from edgeweave.optimize.passes.base import (
    PassContext,
    PassResult,
    get_pass,
    pass_names,
    register_pass,
    run_passes,
)

__all__ = ["PassContext", "PassResult", "get_pass", "pass_names", "register_pass", "run_passes"]
