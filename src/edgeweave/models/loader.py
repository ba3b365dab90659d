"""Loading ONNX files with errors that say what is wrong and how to fix it."""

from __future__ import annotations

from pathlib import Path

import onnx

from edgeweave.errors import InvalidModelError, UnsupportedModelError

MIN_OPSET = 7
"""Oldest default-domain opset we accept; older models predate ops our passes rely on."""


def load_model(path: str | Path, *, check: bool = True) -> onnx.ModelProto:
    """Load and validate an ONNX model, raising ``InvalidModelError`` for any bad file.

    External data next to the file is loaded too. ``check`` runs ``onnx.checker`` so a
    model that parses but is structurally broken is refused before any pass touches it.
    """
    p = Path(path)
    if not p.exists():
        raise InvalidModelError(
            f"model file not found: {p}", "check the path; pass the .onnx file itself"
        )
    if p.is_dir():
        raise InvalidModelError(f"{p} is a directory, not an ONNX file", "pass the .onnx file")
    if p.stat().st_size == 0:
        raise InvalidModelError(f"{p} is empty (0 bytes)", "re-export or re-download the model")
    try:
        model = onnx.load(str(p))
    except Exception as exc:  # protobuf raises DecodeError, OSError, ValueError, ...
        raise InvalidModelError(
            f"{p} is not a readable ONNX model ({type(exc).__name__}: {exc})",
            "the file may be truncated or not ONNX at all; re-export it "
            "(torch.onnx.export / tf2onnx) or re-download it",
        ) from exc
    if not model.graph.node:
        raise InvalidModelError(
            f"{p} parsed but holds no graph nodes; it is probably not an ONNX model",
            "pass an ONNX model file (.onnx)",
        )
    check_opset(model, str(p))
    if check:
        try:
            onnx.checker.check_model(model, full_check=False)
        except Exception as exc:
            raise InvalidModelError(
                f"{p} fails the ONNX checker: {str(exc).strip().splitlines()[0]}",
                "the model is corrupt or was exported by a broken exporter; re-export it",
            ) from exc
    return model


def default_opset(model: onnx.ModelProto) -> int:
    """Opset version of the default ONNX domain ('' or 'ai.onnx')."""
    for entry in model.opset_import:
        if entry.domain in ("", "ai.onnx"):
            return int(entry.version)
    return 0


def check_opset(model: onnx.ModelProto, where: str = "model") -> None:
    """Refuse opsets this onnx package cannot handle, naming the supported range."""
    opset = default_opset(model)
    newest = onnx.defs.onnx_opset_version()
    if opset < MIN_OPSET:
        raise UnsupportedModelError(
            f"{where} uses opset {opset}; EdgeWeave supports opset {MIN_OPSET}..{newest}",
            "re-export the model with a newer opset (e.g. torch.onnx.export(opset_version=17))",
        )
    if opset > newest:
        raise UnsupportedModelError(
            f"{where} uses opset {opset}, newer than this onnx package knows ({newest})",
            "upgrade onnx and onnxruntime (pip install -U onnx onnxruntime) "
            "or export with an older opset",
        )
