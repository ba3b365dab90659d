#!/usr/bin/env bash
# dynamic_vs_ort: gsctl's dynamic and weight-only INT8 (`--quantization dynamic|weight-only`)
# against onnxruntime's own quantize_dynamic on the PP-OCRv4 recognizer (48x640), all run in
# onnxruntime on this machine: size, char accuracy on freshly rendered labelled lines, and
# latency as a ratio to fp32 measured in the same interleaved rounds.
#
#   bash bench/dynamic_vs_ort/run.sh        # `make bench` calls this
#
# Environment:
#   GSCTL=path/to/gsctl     binary to measure (default: `swift build -c release` of this checkout)
#   DVO_LINES=200           rendered text lines scored (upright ones; a quarter are upside down)
#   DVO_ROUNDS=5            interleaved timing rounds over every variant
#   DVO_SAMPLES=20          lines timed per round
#   GS_MODELS=folder        where ppocrv4_rec.onnx is (default /work/shared/models, then Specs/models)
#
# Writes bench/out/dynamic_vs_ort/ (lines, models) and bench/out/dynamic_vs_ort.json.
set -euo pipefail

if [[ -n "${GSCTL:-}" && "$GSCTL" != /* ]]; then GSCTL="$PWD/$GSCTL"; fi
cd "$(dirname "$0")/../.."
out=bench/out/dynamic_vs_ort
mkdir -p "$out"
source bench/common/gsctl.sh
bench_gsctl dynamic_vs_ort
source bench/common/venv-models.sh
exec "$MODELS_PY" bench/dynamic_vs_ort/bench.py --gsctl "$GSCTL" --out "$out" --json bench/out/dynamic_vs_ort.json \
    --lines "${DVO_LINES:-200}" --rounds "${DVO_ROUNDS:-5}" --samples "${DVO_SAMPLES:-20}"
