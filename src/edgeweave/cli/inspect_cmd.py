"""``edgeweave inspect MODEL``: I/O, opset, ops, params, size and FLOPs of a model."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from edgeweave.cli.console import make_console

if TYPE_CHECKING:  # onnx loads when a model is inspected, not with every `edgeweave` command
    from edgeweave.models.artifact import ModelArtifact

console = make_console()


def inspect(
    model: str = typer.Argument(..., help="ONNX file or zoo:NAME (see `edgeweave zoo list`)"),
    shape: list[str] = typer.Option(None, "--shape", help="NAME=1x3x224x224 for FLOPs"),
    as_json: bool = typer.Option(False, "--json", help="print JSON instead of tables"),
) -> None:
    """Describe a model: inputs/outputs, opset, node count by op type, params, size, FLOPs."""
    from edgeweave.models.artifact import inspect_model
    from edgeweave.models.shapes import parse_shapes
    from edgeweave.models.zoo import resolve_model

    path, entry = resolve_model(model)
    shapes = {**(entry.shapes if entry else {}), **parse_shapes(shape)}
    try:
        art = inspect_model(path, shapes)
    except Exception as exc:
        from edgeweave.errors import ParameterError

        if not isinstance(exc, ParameterError) or "dynamic dims" not in exc.message:
            raise
        art = inspect_model(path, flops=False)  # still describe it; FLOPs need a --shape
        art.flops = None
    if as_json:
        console.print_json(json.dumps(_as_dict(art)))
        return
    _print(art)


def _as_dict(art: ModelArtifact) -> dict:
    return {
        "path": str(art.path), "sha256": art.sha256, "size_bytes": art.size_bytes,
        "opset": art.opset, "ir_version": art.ir_version, "producer": art.producer,
        "inputs": [vars(t) for t in art.inputs], "outputs": [vars(t) for t in art.outputs],
        "nodes": art.nodes, "op_counts": art.op_counts, "params": art.params,
        "flops": art.flops, "flops_shapes": {k: list(v) for k, v in art.flops_shapes.items()},
    }


def _print(art: ModelArtifact) -> None:
    console.print(f"[bold]{art.path}[/]  opset {art.opset}, IR {art.ir_version}, "
                  f"producer {art.producer or '?'}")
    io = Table("", "name", "shape", "dtype", title="inputs / outputs")
    for kind, specs in (("input", art.inputs), ("output", art.outputs)):
        for t in specs:
            io.add_row(kind, t.name, " x ".join(str(d) for d in t.dims), t.dtype)
    console.print(io)
    ops = Table("op type", "count", title=f"{art.nodes} nodes")
    for op, n in art.op_counts.items():
        ops.add_row(op, str(n))
    console.print(ops)
    console.print(f"parameters: {art.params:,}   size: {art.size_bytes / 1e6:.2f} MB")
    if art.flops is not None:
        at = ", ".join(f"{k}={'x'.join(map(str, v))}" for k, v in art.flops_shapes.items())
        console.print(f"FLOPs: {art.flops / 1e9:.3f} G per inference at {at}")
    else:
        console.print("FLOPs: give --shape NAME=... for every dynamic input to compute them")
