"""Recipe: an ordered list of passes plus the settings and backends it is meant for.

The search turns each recipe into a variant model, then measures it on every backend the
recipe allows. The default recipes cover the precision x graph-optimization space that
matters on edge CPUs; a user can name passes directly through the Python API.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Recipe:
    name: str
    passes: tuple[str, ...]
    precision: str
    options: dict[str, dict[str, Any]] = field(default_factory=dict)
    backends: tuple[str, ...] | None = None
    """None: every requested backend; else only these (e.g. ORT-only contrib ops)."""
    needs_calibration: bool = False
    compute_precision: str = "exact"
    """Runtime-side precision (see BackendOptions), e.g. 'bf16' on OpenVINO."""


BASELINE = Recipe("fp32", (), "fp32")

CALIBRATION_METHODS = ("minmax", "entropy", "percentile")


DYNAMIC_OP_TYPES = ["MatMul", "Gemm", "Attention", "LSTM", "GRU"]
"""Dynamic INT8 pays off for weight-heavy matmuls (transformers, RNNs); on convolutions
ONNX Runtime's ConvInteger is several times slower than FP32, so convs are left out."""


def default_recipes(methods: tuple[str, ...] = ("minmax", "percentile"),
                    has_calibration: bool = True, bf16: bool = False,
                    has_matmul: bool = True) -> list[Recipe]:
    """Candidates in the order worth measuring first when the time budget is short."""
    recipes = [BASELINE]
    if has_calibration:
        recipes += [Recipe(f"int8-qdq-{m}", ("optimize_graph", "quantize_static"), "int8",
                           {"quantize_static": {"method": m, "per_channel": True}},
                           needs_calibration=True) for m in methods[:1]]
    recipes += [Recipe("fp32-opt", ("optimize_graph",), "fp32")]
    if has_calibration:
        recipes += [Recipe(f"int8-qdq-{m}", ("optimize_graph", "quantize_static"), "int8",
                           {"quantize_static": {"method": m, "per_channel": True}},
                           needs_calibration=True) for m in methods[1:]]
    if has_matmul:
        recipes.append(Recipe("int8-dynamic", ("optimize_graph", "quantize_dynamic"),
                              "int8-dynamic",
                              {"quantize_dynamic": {"op_types": DYNAMIC_OP_TYPES}}))
    recipes.append(Recipe("fp16", ("optimize_graph", "to_fp16"), "fp16"))
    if bf16:  # the CPU has native bf16 (AVX512-BF16 / AMX): OpenVINO can use it
        fast = [Recipe("bf16", ("optimize_graph",), "bf16", backends=("openvino",),
                       compute_precision="bf16")]
        if has_calibration:  # INT8 where quantized, bf16 for the ops left in float
            fast.append(Recipe(f"int8-qdq-{methods[0]}-bf16", ("optimize_graph", "quantize_static"),
                               "int8+bf16", {"quantize_static": {"method": methods[0],
                                                                 "per_channel": True}},
                               backends=("openvino",), needs_calibration=True,
                               compute_precision="bf16"))
        recipes[3:3] = fast  # measure them early: on such CPUs they are the likely winners
    return recipes


def fallback_recipe(base: Recipe, exclude: list[str]) -> Recipe:
    """``base`` with ``exclude`` nodes kept in float (accuracy-aware fallback result)."""
    options = {k: dict(v) for k, v in base.options.items()}
    options.setdefault("quantize_static", {})["exclude_nodes"] = list(exclude)
    return Recipe(f"{base.name}-fallback{len(exclude)}", base.passes, "int8-mixed", options,
                  base.backends, needs_calibration=True, compute_precision=base.compute_precision)
