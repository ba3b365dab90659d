#!/usr/bin/env bash
# executor_vs_ort: gsctl's Swift executor (GSExec, release build) against onnxruntime 1.20.1
# CPU FP32 on the four real models, same realistic inputs, after checking their outputs agree.
#
#   bash bench/executor_vs_ort/run.sh        # `make bench` calls this
#
# Environment:
#   GSCTL=path/to/gsctl        only printed for its version (the executor is timed by the
#                              package's gsctl-exec-bench product, bench/executor_vs_ort/runner)
#   RUNNER=path/to/runner      a runner already built (skips the swift build)
#   EXEC_SAMPLES=8             inputs per model (shape), each timed every round
#   EXEC_ROUNDS=5              interleaved rounds (ours, ort, ort, ours, ...)
#   EXEC_ONLY=ppocr_cls,...    only these models (names or "model 1x3x160x640" keys)
#   EXEC_SKIP_PROFILE=1        skip the per-op profile pass
#   GS_MODELS=folder           where the .onnx files are (default /work/shared/models, then
#                              Specs/models)
#
# Writes bench/out/executor_vs_ort/ (inputs and our outputs as .npz) and
# bench/out/executor_vs_ort.json. Exit 0 when every model agrees and is within 3x.
set -euo pipefail

if [[ -n "${GSCTL:-}" && "$GSCTL" != /* ]]; then GSCTL="$PWD/$GSCTL"; fi
if [[ -n "${RUNNER:-}" && "$RUNNER" != /* ]]; then RUNNER="$PWD/$RUNNER"; fi
cd "$(dirname "$0")/../.."
here=bench/executor_vs_ort
out=bench/out/executor_vs_ort
mkdir -p "$out"

source bench/common/venv-models.sh

# The runner: the package's gsctl-exec-bench product (same modules and flags as gsctl), release.
if [[ -z "${RUNNER:-}" ]]; then
    echo "executor_vs_ort: building the runner (release) ..." >&2
    swift build -c release --product gsctl-exec-bench 2>&1 | grep -E "error|Compiling|Build complete" >&2 || true
    RUNNER="$(swift build -c release --show-bin-path)/gsctl-exec-bench"
fi
[[ -x "$RUNNER" ]] || { echo "executor_vs_ort: the runner did not build ($RUNNER)" >&2; exit 2; }

exec "$MODELS_PY" "$here/bench.py" --runner "$RUNNER" ${GSCTL:+--gsctl "$GSCTL"} \
    --out "$out" --json bench/out/executor_vs_ort.json \
    --samples "${EXEC_SAMPLES:-8}" --rounds "${EXEC_ROUNDS:-5}" ${EXEC_ONLY:+--only "$EXEC_ONLY"} \
    ${EXEC_SKIP_PROFILE:+--skip-profile}
