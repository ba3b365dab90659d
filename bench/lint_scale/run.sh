#!/usr/bin/env bash
# lint_scale: gsctl lint and plan at repository scale, timed side by side with
# check-jsonschema (against `gsctl schema`) and yamllint, after checking that gsctl and
# check-jsonschema agree on which documents are invalid.
#
#   bash bench/lint_scale/run.sh            # `make bench` calls this
#
# Environment:
#   GSCTL=path/to/gsctl       binary to measure (default: `swift build -c release` into .build)
#   LINT_SCALE_REPEAT=5       timed runs of each gsctl command (min and median are reported)
#   LINT_SCALE_SLOW_REPEAT=5  timed runs of check-jsonschema and yamllint (~30 s each a run)
#   LINT_SCALE_SKIP_TIMING=1  only generate and run the agreement check
#   LINT_SCALE_REGENERATE=1   regenerate the spec trees even when the generator is unchanged
#
# Writes bench/out/lint_scale/ (generated specs, schema.json, yamllint.yaml) and
# bench/out/lint_scale.json (results). Exit 0 when every target passes and the tools agree.
set -euo pipefail

# A relative GSCTL is relative to where we were called from.
if [[ -n "${GSCTL:-}" && "$GSCTL" != /* ]]; then GSCTL="$PWD/$GSCTL"; fi
cd "$(dirname "$0")/../.."
here=bench/lint_scale
out=bench/out/lint_scale
venv=bench/.venv

python=${PYTHON:-python3}
command -v "$python" >/dev/null || { echo "lint_scale: python3 is needed" >&2; exit 2; }

# gsctl: the given binary, or a release build of this checkout.
source bench/common/gsctl.sh
bench_gsctl lint_scale

# The comparison tools, pinned, in bench/.venv (reinstalled when the pins change).
stamp="$venv/.lint_scale-requirements.sha256"
want=$(sha256sum "$here/requirements.txt" | cut -d' ' -f1)
if [[ ! -x "$venv/bin/check-jsonschema" || ! -x "$venv/bin/yamllint" || "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
    echo "lint_scale: installing check-jsonschema and yamllint into $venv ..."
    [[ -x "$venv/bin/python" ]] || "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt"
    echo "$want" >"$stamp"
fi

# The spec trees (reused when the generator and its inputs are unchanged).
mkdir -p "$out"
"$python" "$here/generate.py" --out "$out" --key Specs/keys/release.pub ${LINT_SCALE_REGENERATE:+--force}

# The schema check-jsonschema validates against: exactly what this gsctl exports.
"$GSCTL" schema >"$out/schema.json"

# yamllint: its default rules minus the two that only judge style of our generated files
# (line-length: flow lists of packages run past 80 columns; document-start: specs, like
# Kubernetes manifests, do not open with `---`). Syntax, duplicate keys, indentation,
# truthy values, brackets/braces spacing and the rest stay on.
cat >"$out/yamllint.yaml" <<'EOF'
extends: default
rules:
  line-length: disable
  document-start: disable
EOF

exec "$venv/bin/python" "$here/bench.py" \
    --gsctl "$GSCTL" --venv "$venv" --out "$out" --json bench/out/lint_scale.json \
    --yamllint-config "$out/yamllint.yaml" \
    --repeat "${LINT_SCALE_REPEAT:-5}" --slow-repeat "${LINT_SCALE_SLOW_REPEAT:-5}" \
    ${LINT_SCALE_SKIP_TIMING:+--skip-timing}
