#!/usr/bin/env bash
# The main job on embedded defaults: optimize a bundled real model (PP-OCR text-direction
# classifier by default; MODEL=zoo:ppocr-det for the detector) and print the report table.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/setup_env.sh" openvino,ocr
model="${MODEL:-zoo:ppocr-cls}"
out="${OUT_DIR:-$root/out/demo-${model#zoo:}}"
exec "$root/.venv/bin/edgeweave" optimize "$model" --out "$out" "$@"
