"""INT8 passes built on onnxruntime.quantization: dynamic (weights only) and static QDQ.

Both go through the same preparation, because what real exported models look like decides
whether INT8 works at all:

1. opset < 13 is upgraded first (per-channel QDQ is invalid ONNX below 13; see opset.py);
2. every node gets a unique name (exclusions and reports are by node name);
3. ORT's basic graph optimisation runs once (what ``quant_pre_process`` does): it turns
   ``Constant`` nodes into initializers and folds BatchNormalization into Conv. Without it,
   Paddle-exported models (all weights are Constant nodes) get their weights quantized as
   per-tensor *activations* and per-channel quantization silently does nothing.

Static QDQ defaults are U8 asymmetric activations with S8 symmetric per-channel weights: what
ORT recommends for x86 CPUs and what OpenVINO's CPU plugin turns into int8 kernels.
"""

from __future__ import annotations

import inspect
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnxruntime import quantization as oq
from onnxruntime.quantization.quant_utils import add_pre_process_metadata

from edgeweave.errors import CalibrationDataError, OptimizationError, ParameterError
from edgeweave.models.loader import default_opset
from edgeweave.optimize.calibration import validate_samples
from edgeweave.optimize.passes.base import (
    PassContext,
    PassResult,
    copy_model,
    op_counts,
    register_pass,
    result,
)
from edgeweave.optimize.passes.graph_ir import ort_optimize_file
from edgeweave.optimize.passes.opset import DEFAULT_TARGET, name_nodes, upgrade_opset

CALIB_CHUNK = 4
"""Samples whose intermediate tensors ORT holds at once during calibration."""
METHODS = {"minmax": oq.CalibrationMethod.MinMax, "entropy": oq.CalibrationMethod.Entropy,
           "percentile": oq.CalibrationMethod.Percentile}
QTYPES = {"uint8": oq.QuantType.QUInt8, "int8": oq.QuantType.QInt8}
STATIC_OPTIONS = {"method", "per_channel", "exclude_nodes", "op_types", "activation_type",
                  "weight_type", "reduce_range", "percentile", "preprocess", "calibration_cache"}
DYNAMIC_OPTIONS = {"per_channel", "exclude_nodes", "op_types", "weight_type", "reduce_range",
                   "preprocess"}
ENTROPY_NOTE = ("onnxruntime's quantize_static does not forward num_bins to its entropy "
                "calibrator (128 bins, 128 quantized bins: one candidate threshold), so the "
                "ranges equal minmax")
_STATIC_PARAMS = set(inspect.signature(oq.quantize_static).parameters)
"""calibration_cache_path only exists in newer onnxruntime; used when present."""
INTEGER_OPS = {"ConvInteger", "MatMulInteger", "DynamicQuantizeMatMul", "DynamicQuantizeLSTM",
               "QAttention", "QGemm", "QLinearConv", "QLinearMatMul"}


@register_pass("quantize_static")
def quantize_static(model: onnx.ModelProto, ctx: PassContext) -> PassResult:
    """INT8 QDQ model calibrated on ``ctx.calibration`` (per-channel S8 weights, U8 activations)."""
    opts = _options("quantize_static", ctx, STATIC_OPTIONS)
    method = _choice("method", opts.get("method", "minmax"), METHODS)
    act = _choice("activation_type", opts.get("activation_type", "uint8"), QTYPES)
    weight = _choice("weight_type", opts.get("weight_type", "int8"), QTYPES)
    per_channel = _flag("per_channel", opts.get("per_channel", True))
    reduce_range = _flag("reduce_range", opts.get("reduce_range", False))
    exclude = _names("exclude_nodes", opts.get("exclude_nodes", []))
    op_types = _names("op_types", opts.get("op_types", [])) or None
    if ctx.calibration is None:
        raise CalibrationDataError(
            "quantize_static needs calibration samples and none were given",
            "pass --calib with an image folder, a .npy or a .npz file (32-512 samples)",
        )
    cset = validate_samples(model, ctx.calibration, ctx.shapes, "calibration data")
    extra: dict[str, Any] = {"ActivationSymmetric": act == oq.QuantType.QInt8,
                             "WeightSymmetric": True}
    extra["CalibStridedMinMax"] = calibration_stride(cset.num_samples)
    if method == oq.CalibrationMethod.Percentile:
        extra["CalibPercentile"] = _percentile(opts.get("percentile", 99.999))
    note = ENTROPY_NOTE if method == oq.CalibrationMethod.Entropy else None
    with _workspace(ctx) as work:
        prepared, prep = _prepare(model, ctx, work, _flag("preprocess", opts.get("preprocess", True)))
        kwargs: dict[str, Any] = {}
        cache = opts.get("calibration_cache")
        cached = bool(cache) and "calibration_cache_path" in _STATIC_PARAMS
        if cached:
            kwargs["calibration_cache_path"] = str(cache)
        out = work / "quantized.onnx"
        _run_ort("quantize_static", lambda: oq.quantize_static(
            str(prepared), str(out), _SampleReader(cset.samples), quant_format=oq.QuantFormat.QDQ,
            op_types_to_quantize=op_types, per_channel=per_channel,
            reduce_range=reduce_range, activation_type=act,
            weight_type=weight, nodes_to_exclude=exclude, calibrate_method=method,
            extra_options=extra, **kwargs))
        quantized = _finish(out)
        known = {n.name for n in onnx.load(str(prepared), load_external_data=False).graph.node}
    counts = op_counts(quantized)
    return result(
        "quantize_static", model, quantized, changed=True, method=method.name.lower(),
        per_channel=per_channel, activation_type=act.name, weight_type=weight.name,
        reduce_range=reduce_range, op_types=op_types or "default",
        nodes_quantized=len(quantized_nodes(quantized)),
        quantize_linear=counts.get("QuantizeLinear", 0),
        dequantize_linear=counts.get("DequantizeLinear", 0), exclude_nodes=exclude,
        exclude_not_found=[n for n in exclude if n not in known],
        calibration_samples=cset.num_samples, calibration_notes=cset.notes,
        calibration_cache=str(cache) if cached else None, method_note=note, **prep)


@register_pass("quantize_dynamic")
def quantize_dynamic(model: onnx.ModelProto, ctx: PassContext) -> PassResult:
    """INT8 weights, activations quantized at run time (no calibration data needed)."""
    opts = _options("quantize_dynamic", ctx, DYNAMIC_OPTIONS)
    weight = _choice("weight_type", opts.get("weight_type", "int8"), QTYPES)
    per_channel = _flag("per_channel", opts.get("per_channel", False))
    reduce_range = _flag("reduce_range", opts.get("reduce_range", False))
    exclude = _names("exclude_nodes", opts.get("exclude_nodes", []))
    op_types = _names("op_types", opts.get("op_types", [])) or None
    with _workspace(ctx) as work:
        prepared, prep = _prepare(model, ctx, work, _flag("preprocess", opts.get("preprocess", True)))
        out = work / "quantized.onnx"
        _run_ort("quantize_dynamic", lambda: oq.quantize_dynamic(
            str(prepared), str(out), op_types_to_quantize=op_types, per_channel=per_channel,
            reduce_range=reduce_range, weight_type=weight,
            nodes_to_exclude=exclude))
        quantized = _finish(out)
    return result("quantize_dynamic", model, quantized, changed=True, method="dynamic",
                  per_channel=per_channel, weight_type=weight.name,
                  op_types=op_types or "default",
                  nodes_quantized=len(quantized_nodes(quantized)), exclude_nodes=exclude, **prep)


def quantized_nodes(model: onnx.ModelProto) -> list[str]:
    """Names of compute nodes running in INT8: integer/QLinear ops, and QDQ nodes whose
    float inputs (weights included) all come from DequantizeLinear.

    A node kept in float may still read one dequantized input (its neighbour quantizes the
    tensor), so "fed by a DequantizeLinear" alone would over-count.
    """
    graph = model.graph
    dq_out = {o for n in graph.node if n.op_type == "DequantizeLinear" for o in n.output}
    types = {v.name: v.type.tensor_type.elem_type
             for v in [*graph.input, *graph.value_info, *graph.output]}
    types.update({i.name: i.data_type for i in graph.initializer})
    floats = {onnx.TensorProto.FLOAT, onnx.TensorProto.FLOAT16, onnx.TensorProto.BFLOAT16,
              onnx.TensorProto.DOUBLE, onnx.TensorProto.UNDEFINED}

    def int8(node: onnx.NodeProto) -> bool:
        if node.op_type in INTEGER_OPS:
            return True
        if node.op_type in ("QuantizeLinear", "DequantizeLinear"):
            return False
        inputs = [i for i in node.input if i and types.get(i, 0) in floats]
        return bool(inputs) and all(i in dq_out for i in inputs)

    return [n.name for n in graph.node if int8(n)]


def prepare_float(model: onnx.ModelProto, ctx: PassContext) -> onnx.ModelProto:
    """The float model exactly as the quantize passes see it (upgraded, named, optimised).

    Node names here are the ones ``exclude_nodes`` refers to.
    """
    with _workspace(ctx) as work:
        path, _ = _prepare(model, ctx, work, True)
        return onnx.load(str(path))


def _prepare(model: onnx.ModelProto, ctx: PassContext, work: Path, optimise: bool
             ) -> tuple[Path, dict[str, Any]]:
    """Upgrade, name and pre-optimise ``model`` into ``work``; returns the path and a record."""
    record: dict[str, Any] = {"opset_upgrade": None, "preprocessed": False}
    if default_opset(model) < DEFAULT_TARGET:
        target = max(DEFAULT_TARGET, int(ctx.opts("upgrade_opset").get("target", DEFAULT_TARGET)))
        up = upgrade_opset(model, PassContext(options={"upgrade_opset": {"target": target}}))
        record["opset_upgrade"] = {"from": up.details["opset_from"], "to": target,
                                   "repairs": up.details["repairs"]}
        prepared = up.model
    else:
        prepared = copy_model(model)
    name_nodes(prepared)
    src = work / "float.onnx"
    onnx.save(prepared, str(src))
    if not optimise:
        return src, record
    optimised, inferred = work / "float_opt.onnx", work / "float_prepared.onnx"
    try:
        ort_optimize_file(src, optimised, "basic")
        onnx.shape_inference.infer_shapes_path(str(optimised), str(inferred))
    except Exception as exc:  # ORT raises its own Fail/InvalidGraph types
        record["preprocess_error"] = str(exc).strip().splitlines()[0][:300]
        return src, record
    final = onnx.load(str(inferred))
    name_nodes(final)
    add_pre_process_metadata(final)  # tells ORT's quantizer the model is pre-processed
    onnx.save(final, str(inferred))
    record["preprocessed"] = True
    record["prepared_nodes"] = len(final.graph.node)
    return inferred, record


def _finish(path: Path) -> onnx.ModelProto:
    """Load ORT's output, drop the unused opset imports it adds, and check it."""
    model = onnx.load(str(path))
    used = {n.domain for n in model.graph.node} | {""}
    keep = [o for o in model.opset_import if o.domain in used or o.domain == "ai.onnx"]
    del model.opset_import[:]
    model.opset_import.extend(keep)
    try:
        onnx.checker.check_model(model)
    except Exception as exc:
        raise OptimizationError(
            f"INT8 quantization produced an invalid model: {str(exc).strip().splitlines()[0]}",
            "try per_channel=False, or exclude the node named above from quantization",
        ) from exc
    return model


def _run_ort(what: str, call: Any) -> None:
    try:
        call()
    except (CalibrationDataError, ParameterError):
        raise
    except Exception as exc:
        raise OptimizationError(
            f"onnxruntime {what} failed: {type(exc).__name__}: "
            f"{(str(exc).strip().splitlines() or [''])[0][:300]}",
            "try excluding the failing node (exclude_nodes) or restricting op_types",
        ) from exc


class _SampleReader(oq.CalibrationDataReader):
    """Feeds ORT's calibrator one sample at a time from ``dict[input, (N, *shape)]``."""

    def __init__(self, samples: dict[str, np.ndarray]) -> None:
        self._samples = samples
        self._count = int(next(iter(samples.values())).shape[0])
        self._i, self._end = 0, self._count

    def get_next(self) -> dict[str, np.ndarray] | None:
        if self._i >= self._end:
            return None
        self._i += 1
        return {k: v[self._i - 1] for k, v in self._samples.items()}

    def set_range(self, start_index: int, end_index: int) -> None:
        """ORT's strided calibration feeds samples chunk by chunk through this."""
        self._i, self._end = start_index, min(end_index, self._count)

    def __len__(self) -> int:
        return self._count


def calibration_stride(count: int, limit: int = CALIB_CHUNK) -> int:
    """Largest divisor of ``count`` up to ``limit``: ORT's strided calibration needs one.

    ORT's calibrators keep every intermediate tensor of every sample they are given at
    once; on a 640x640 detector 64 samples are over 20 GB. Feeding chunks bounds that.
    """
    return max(d for d in range(1, min(limit, count) + 1) if count % d == 0)


@contextmanager
def _workspace(ctx: PassContext) -> Iterator[Path]:
    if ctx.work_dir is not None:
        Path(ctx.work_dir).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="int8-", dir=ctx.work_dir) as tmp:
        yield Path(tmp)


def _options(name: str, ctx: PassContext, known: set[str]) -> dict[str, Any]:
    opts = ctx.opts(name)
    unknown = sorted(set(opts) - known)
    if unknown:
        raise ParameterError(f"unknown {name} option(s) {unknown}",
                             f"valid options: {', '.join(sorted(known))}")
    return opts


def _choice(key: str, value: Any, table: dict[str, Any]) -> Any:
    text = str(value).lower().removeprefix("q")
    if text not in table:
        raise ParameterError(f"bad {key} {value!r}", f"use one of: {', '.join(table)}")
    return table[text]


def _flag(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ParameterError(f"{key} must be true or false, got {value!r}")
    return value


def _percentile(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 50 < value <= 100:
        raise ParameterError(f"percentile must be a number in (50, 100], got {value!r}",
                             "e.g. percentile=99.99 keeps all but the top 0.01% of values")
    return float(value)


def _names(key: str, value: Any) -> list[str]:
    if isinstance(value, str) or not all(isinstance(v, str) for v in value or []):
        raise ParameterError(f"{key} must be a list of names, got {value!r}",
                             f'e.g. {key}=["conv1", "fc"]')
    return list(value or [])
