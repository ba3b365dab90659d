#!/usr/bin/env bash
# pipeline: the talk's detection + tracking table for the crowd-density service on this
# machine, fp32 vs fp16 vs int8-mixed in onnxruntime and OpenVINO, plus the per-device table
# `precision: auto` chose from and the end-to-end FPS of the deployed task processes.
#
#   bash bench/pipeline/run.sh        # `make bench` calls this
#
# Environment:
#   GSCTL=path/to/gsctl      binary (default: `swift build -c release` of this checkout)
#   PIPE_FRAMES=795          frames of vtest.avi per (variant, runtime) and for the pipeline run
#   PIPE_ROUNDS=2            interleaved timing rounds over every (variant, runtime)
#
# What it does: copies Specs/ into a scratch git repository with one more Deployment,
# `crowd-density-auto` (precision: auto) on a local host under bench/out/pipeline/host (the
# workflow's ports moved by +400 so a running `make demo` is not disturbed), applies it with
# gsctl (the agent measures every variant with the task's onnxruntime and keeps the fastest
# within tolerance), prints `gsctl status --models`, then times the task modules on the
# variants the host received, and runs the real task processes end to end.
# Writes bench/out/pipeline/ and bench/out/pipeline.json. Exit 0 when every target passes.
set -euo pipefail

if [[ -n "${GSCTL:-}" && "$GSCTL" != /* ]]; then GSCTL="$PWD/$GSCTL"; fi
cd "$(dirname "$0")/../.."
here=bench/pipeline
out=$PWD/bench/out/pipeline
mkdir -p "$out"

source bench/common/gsctl.sh
bench_gsctl pipeline --static-swift-stdlib

source bench/common/venv-models.sh

repo=$out/repo
host=$out/host
[[ -x "$host/bin/gsctl" ]] && "$GSCTL" agent stop --root "$host" >/dev/null 2>&1 || true
rm -rf "$repo" "$host"
mkdir -p "$repo"
cp -r Specs "$repo/Specs"
rm -rf "$repo/Specs/workflows/tests"
# The scratch repository's own ports and host; everything else is the example repository.
sed -i -e 's/port: 71\([0-9][0-9]\)/port: 75\1/' -e 's/port: 8080/port: 8480/' "$repo/Specs/workflows/crowd-density.yaml"
cat > "$repo/Specs/deployments/crowd-density-auto.yaml" <<YAML
# bench/pipeline: the crowd service at precision: auto on a scratch local host.
apiVersion: gs.ai/v1
kind: Host
metadata: {name: bench-1, labels: {site: bench}}
spec: {device: x86-gateway, transport: local, root: $host}
---
apiVersion: gs.ai/v1
kind: Deployment
metadata: {name: crowd-density-auto}
spec:
  workflow: crowd-density
  precision: auto
  targets: [{hosts: [bench-1]}]
YAML
git -C "$repo" init -q -b main
git -C "$repo" -c user.email=bench@example.com -c user.name=bench add -A
git -C "$repo" -c user.email=bench@example.com -c user.name=bench commit -q -m "bench"
(cd "$repo" && "$GSCTL" keygen --out "$out/key" >/dev/null 2>&1 || true)
(cd "$repo" && "$GSCTL" agent install bench-1 --trust "$out/key.pub")

exec "$MODELS_PY" "$here/bench.py" --gsctl "$GSCTL" --repo "$repo" --host-root "$host" --key "$out/key.key" \
    --cache "$out/cache" --out "$out" --json bench/out/pipeline.json \
    --frames "${PIPE_FRAMES:-795}" --rounds "${PIPE_ROUNDS:-2}"
