"""Opset upgrade pass: move the default-domain opset forward and repair what the converter misses.

Exporters still emit opset 11/12 (PP-OCR, many Paddle and older PyTorch models), but ONNX
Runtime's INT8 tooling needs opset >= 13 for per-channel QDQ: at opset < 13 it writes
``DequantizeLinear`` nodes with an ``axis`` attribute that opset 10 does not have, and the
result fails to load ("Unrecognized attribute: axis for operator DequantizeLinear").

``onnx.version_converter`` does the bulk of the work; this pass fixes what it leaves behind:

* ``Upsample``/``Resize`` from opset < 11 become ``Resize`` whose default coordinate mode
  (half_pixel) differs from the old semantics (asymmetric): linear upsampling silently changes
  its output. We pin the old behaviour with explicit attributes.
* nodes the converter adds have no name, and some exporters leave names empty or duplicated;
  quantization excludes and reports nodes by name, so every node gets a unique one.
* ``ir_version`` is left as it was, possibly older than the new opset requires.
"""

from __future__ import annotations

from typing import Any

import onnx
from onnx import helper

from edgeweave.errors import OptimizationError, ParameterError, UnsupportedModelError
from edgeweave.models.loader import default_opset
from edgeweave.optimize.passes.base import (
    PassContext,
    PassResult,
    copy_model,
    register_pass,
    result,
)

DEFAULT_TARGET = 13
"""Lowest opset at which per-channel QDQ quantization is valid ONNX."""


@register_pass("upgrade_opset")
def upgrade_opset(model: onnx.ModelProto, ctx: PassContext) -> PassResult:
    """Upgrade to ``ctx.opts("upgrade_opset")["target"]`` (default 13); never downgrade."""
    target = _target(ctx.opts("upgrade_opset").get("target", DEFAULT_TARGET))
    source = default_opset(model)
    if source >= target:
        return result("upgrade_opset", model, copy_model(model), changed=False,
                      opset_from=source, opset_to=source,
                      skipped=f"opset {source} is already >= target {target} (never downgraded)")
    upgraded, repairs = upgrade_model(model, target)
    return result("upgrade_opset", model, upgraded, changed=True, opset_from=source,
                  opset_to=target, ir_version=int(upgraded.ir_version), repairs=repairs)


def upgrade_model(model: onnx.ModelProto, target: int) -> tuple[onnx.ModelProto, dict[str, int]]:
    """Convert ``model`` to opset ``target`` and repair it; returns (new model, repair counts)."""
    source = default_opset(model)
    try:
        converted = onnx.version_converter.convert_version(model, target)
    except Exception as exc:  # the C++ converter raises ConvertError/RuntimeError/IndexError
        unknown = sorted({n.op_type for n in model.graph.node if n.domain in ("", "ai.onnx")
                          and not onnx.defs.has(n.op_type)})
        why = (f"op(s) {unknown} are not standard ONNX ops (experimental or removed)" if unknown
               else (str(exc).strip().splitlines() or [type(exc).__name__])[0])
        raise UnsupportedModelError(
            f"cannot upgrade the model from opset {source} to {target}: {why}",
            f"re-export the model at opset >= {target} (e.g. torch.onnx.export("
            f"opset_version={target}), paddle2onnx --opset_version {target}), or skip INT8",
        ) from exc
    _keep_model_metadata(model, converted)
    repairs = {
        "resize_semantics_pinned": _pin_resize_semantics(converted) if source < 11 else 0,
        "nodes_named": name_nodes(converted),
        "ir_version_raised": _raise_ir_version(converted),
    }
    try:
        onnx.checker.check_model(converted)
    except Exception as exc:
        raise OptimizationError(
            f"opset upgrade {source} -> {target} produced an invalid model: "
            f"{str(exc).strip().splitlines()[0]}",
            "report this model to the EdgeWeave maintainers; meanwhile re-export it at a "
            "newer opset or skip INT8",
        ) from exc
    return converted, repairs


def name_nodes(model: onnx.ModelProto) -> int:
    """Give every unnamed or duplicate-named node a unique name in place; returns how many.

    Quantization excludes nodes by name and reports per node, so names must be unique. New
    names are ``<OpType>_<k>``: deterministic, so the same model always gets the same names.
    """
    taken = {n.name for n in model.graph.node if n.name}
    seen: set[str] = set()
    renamed = 0
    counter = 0
    for node in model.graph.node:
        if node.name and node.name not in seen:
            seen.add(node.name)
            continue
        while True:
            candidate = f"{node.op_type}_{counter}"
            counter += 1
            if candidate not in taken and candidate not in seen:
                break
        node.name = candidate
        seen.add(candidate)
        renamed += 1
    return renamed


def _target(value: Any) -> int:
    newest = onnx.defs.onnx_opset_version()
    if isinstance(value, bool) or not isinstance(value, int) or not 7 <= value <= newest:
        raise ParameterError(
            f"upgrade_opset target must be an integer opset in 7..{newest}, got {value!r}",
            f"use e.g. target=13 (the minimum for per-channel INT8); onnx here knows <= {newest}",
        )
    return value


def _pin_resize_semantics(model: onnx.ModelProto) -> int:
    """Keep opset<11 Upsample/Resize numerics: asymmetric coordinates, floor for nearest.

    Resize-11+ defaults to half_pixel coordinates; the converter does not set the mode, so
    without this a converted bilinear upsample shifts its output (up to ~0.3 on unit data).
    Only called for sources below opset 11, where every Resize came from the old semantics.
    """
    pinned = 0
    for node in model.graph.node:
        if node.op_type != "Resize" or node.domain not in ("", "ai.onnx"):
            continue
        present = {a.name for a in node.attribute}
        if "coordinate_transformation_mode" not in present:
            node.attribute.append(helper.make_attribute("coordinate_transformation_mode",
                                                        "asymmetric"))
            pinned += 1
        if _str_attr(node, "mode", "nearest") == "nearest" and "nearest_mode" not in present:
            node.attribute.append(helper.make_attribute("nearest_mode", "floor"))
    return pinned


def _str_attr(node: onnx.NodeProto, name: str, default: str) -> str:
    for attr in node.attribute:
        if attr.name == name:
            value = helper.get_attribute_value(attr)
            return value.decode() if isinstance(value, bytes) else str(value)
    return default


def _raise_ir_version(model: onnx.ModelProto) -> int:
    """Raise ``ir_version`` to the minimum the opset imports need; returns 1 if raised."""
    needed = helper.find_min_ir_version_for(list(model.opset_import), ignore_unknown=True)
    if model.ir_version < needed:
        model.ir_version = needed
        return 1
    return 0


def _keep_model_metadata(before: onnx.ModelProto, after: onnx.ModelProto) -> None:
    """Carry producer, doc and metadata over should the converter drop them."""
    for field in ("producer_name", "producer_version", "domain", "doc_string", "model_version"):
        if not getattr(after, field) and getattr(before, field):
            setattr(after, field, getattr(before, field))
    if not after.metadata_props and before.metadata_props:
        after.metadata_props.extend(before.metadata_props)
