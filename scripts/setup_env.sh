#!/usr/bin/env bash
# Create (or reuse) .venv and install EdgeWeave with the given extras. Sourced by the
# demo and test scripts so both work on a fresh machine with nothing but Python 3.10+.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
extras="${1:-openvino,ocr}"
python="${PYTHON:-python3}"
if [ ! -x "$root/.venv/bin/python" ]; then
  "$python" -m venv "$root/.venv"
  "$root/.venv/bin/python" -m pip install -q --upgrade pip
fi
"$root/.venv/bin/python" -m pip install -q -e "$root[$extras]"
# Real fonts render the OCR evaluation text; Debian's DejaVu fonts are the ones we use.
if [ ! -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] && command -v apt-get >/dev/null \
   && [ "$(id -u)" = 0 ]; then
  (apt-get update -qq && apt-get install -y -qq fonts-dejavu-core) >/dev/null 2>&1 || \
    echo "warning: could not install fonts-dejavu-core; OCR accuracy tests will fail" >&2
fi
# The browser tests (tests/e2e) drive Debian's Chromium through Playwright.
if [[ ",$extras," == *",dev,"* ]] && [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null \
   && [ "$(id -u)" = 0 ]; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null 2>&1 || \
    echo "warning: could not install chromium; the browser tests (tests/e2e) will be skipped" >&2
fi
