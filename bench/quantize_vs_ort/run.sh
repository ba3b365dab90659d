#!/usr/bin/env bash
# quantize_vs_ort: gsctl's fp16, int8 and int8-mixed models against onnxruntime's
# quantize_static settings and the FP32 original, each run in onnxruntime and OpenVINO on
# this machine, with a Device spec probed from this CPU.
#
#   bash bench/quantize_vs_ort/run.sh        # `make bench` calls this
#
# Environment:
#   GSCTL=path/to/gsctl     binary to measure (default: `swift build -c release` of this checkout)
#   QVO_MODELS=ssdlite_person,ppocr_cls,ppocrv4_det,ppocrv4_rec   models (all four shared models; the
#                           recognizer adds about 6 minutes)
#   QVO_EVAL=500            evaluation samples per model (accuracy)
#   QVO_CALIB=64            calibration samples (gsctl and quantize_static get the same ones)
#   QVO_TIME_SAMPLES=20     samples per timed pass
#   QVO_ROUNDS=5            interleaved timing rounds over every (variant, runtime)
#   QVO_RUNTIMES=ort,ov-f32,ov        ov = OpenVINO's default precision (bf16 on AMX CPUs)
#   QVO_VARIANTS=...        subset of gsctl-fp16,gsctl-int8,gsctl-int8-pct,gsctl-int8-mixed,
#                           ort-default,ort-per-channel,ort-per-channel-u8s8,ort-percentile
#   QVO_MIXED_TOLERANCE=0.01          int8-mixed's accepted drop (gsctl --tolerance)
#   QVO_MIXED_HELDOUT=200   held-out samples int8-mixed's search scores on (gsctl --eval)
#   QVO_MIXED_CONFIDENCE=0.95         int8-mixed's tolerance must hold at the interval's low end
#                           at this level (gsctl --confidence; 0: on the score alone)
#   QVO_REUSE=1             reuse models compiled by an earlier run (and their compile times)
#   QVO_SKIP_PROFILE=1      skip onnxruntime's per-op profile
#   GS_MODELS=folder        where the .onnx files are (default /work/shared/models, then Specs/models)
#
# Writes bench/out/quantize_vs_ort/ (frames, rendered lines, pools, compiled models, the
# Device spec) and bench/out/quantize_vs_ort.json. Exit 0 when every target passes.
set -euo pipefail

if [[ -n "${GSCTL:-}" && "$GSCTL" != /* ]]; then GSCTL="$PWD/$GSCTL"; fi
cd "$(dirname "$0")/../.."
here=bench/quantize_vs_ort
out=bench/out/quantize_vs_ort
mkdir -p "$out"

source bench/common/gsctl.sh
bench_gsctl quantize_vs_ort

source bench/common/venv-models.sh

exec "$MODELS_PY" "$here/bench.py" --gsctl "$GSCTL" --out "$out" --json bench/out/quantize_vs_ort.json \
    --models "${QVO_MODELS:-ssdlite_person,ppocr_cls,ppocrv4_det,ppocrv4_rec}" --eval "${QVO_EVAL:-500}" --calib "${QVO_CALIB:-64}" \
    --time-samples "${QVO_TIME_SAMPLES:-20}" --rounds "${QVO_ROUNDS:-5}" \
    --runtimes "${QVO_RUNTIMES:-ort,ov-f32,ov}" \
    ${QVO_VARIANTS:+--variants "$QVO_VARIANTS"} --mixed-tolerance "${QVO_MIXED_TOLERANCE:-0.01}" \
    --mixed-heldout "${QVO_MIXED_HELDOUT:-200}" --mixed-confidence "${QVO_MIXED_CONFIDENCE:-0.95}" \
    ${QVO_REUSE:+--reuse} ${QVO_SKIP_PROFILE:+--skip-profile}
