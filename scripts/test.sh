#!/usr/bin/env bash
# The whole test suite, from a fresh machine: venv + dev extras + fonts, then pytest.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/setup_env.sh" dev
cd "$root"
exec "$root/.venv/bin/python" -m pytest "$@"
