"""ModelArtifact: what a model file is (I/O, opset, nodes, params, size, FLOPs)."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import onnx
from onnx import helper

from edgeweave.models.flops import count_flops
from edgeweave.models.loader import default_opset, load_model
from edgeweave.models.shapes import Shape, declared_dims, graph_inputs


@dataclass(frozen=True)
class TensorSpec:
    """One model input or output: name, dims (int or symbolic name), numpy dtype name."""

    name: str
    dims: list[int | str]
    dtype: str

    @property
    def is_dynamic(self) -> bool:
        return any(not isinstance(d, int) for d in self.dims)


@dataclass
class ModelArtifact:
    """An inspected ONNX model; ``flops`` is for one inference at ``flops_shapes``."""

    path: Path
    sha256: str
    size_bytes: int
    opset: int
    ir_version: int
    producer: str
    inputs: list[TensorSpec]
    outputs: list[TensorSpec]
    op_counts: dict[str, int]
    params: int
    flops: int | None = None
    flops_shapes: dict[str, Shape] = field(default_factory=dict)

    @property
    def nodes(self) -> int:
        return sum(self.op_counts.values())


def tensor_dtype(value: onnx.ValueInfoProto) -> str:
    """Numpy dtype name of a tensor value ('float32', 'int64', ...)."""
    elem = value.type.tensor_type.elem_type
    return np.dtype(helper.tensor_dtype_to_np_dtype(elem)).name if elem else "unknown"


def count_params(model: onnx.ModelProto) -> int:
    """Number of weights: elements in initializers plus Constant node tensors."""
    total = sum(int(np.prod(i.dims)) for i in model.graph.initializer)
    for node in model.graph.node:
        if node.op_type == "Constant":
            for attr in node.attribute:
                if attr.name == "value":
                    total += int(np.prod(attr.t.dims))
    return total


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def inspect_model(
    path: str | Path, shapes: dict[str, Shape] | None = None, *, flops: bool = True
) -> ModelArtifact:
    """Load ``path`` and describe it; FLOPs need concrete ``shapes`` for dynamic inputs."""
    p = Path(path)
    model = load_model(p)
    artifact = ModelArtifact(
        path=p,
        sha256=file_sha256(p),
        size_bytes=model_size_bytes(p),
        opset=default_opset(model),
        ir_version=int(model.ir_version),
        producer=f"{model.producer_name} {model.producer_version}".strip(),
        inputs=[TensorSpec(v.name, declared_dims(v), tensor_dtype(v)) for v in graph_inputs(model)],
        outputs=[TensorSpec(v.name, declared_dims(v), tensor_dtype(v)) for v in model.graph.output],
        op_counts=dict(Counter(n.op_type for n in model.graph.node).most_common()),
        params=count_params(model),
    )
    if flops:
        from edgeweave.models.shapes import resolve_input_shapes

        artifact.flops_shapes = resolve_input_shapes(model, shapes)
        artifact.flops = count_flops(model, artifact.flops_shapes)
    return artifact


def model_size_bytes(path: Path) -> int:
    """Size on disk, counting external-data files that sit beside the model."""
    size = path.stat().st_size
    model = onnx.load(str(path), load_external_data=False)
    locations = {
        entry.value
        for init in model.graph.initializer
        if init.data_location == onnx.TensorProto.EXTERNAL
        for entry in init.external_data
        if entry.key == "location"
    }
    return size + sum((path.parent / loc).stat().st_size for loc in locations
                      if (path.parent / loc).exists())
