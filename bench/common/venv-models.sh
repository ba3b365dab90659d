# Sourced by bench/*/run.sh (from the repository root): makes bench/.venv-models hold the
# pinned onnxruntime, OpenVINO, onnx, numpy, OpenCV and Pillow, reinstalling when the pins
# change, and sets $MODELS_PY to its python.
models_venv=bench/.venv-models
models_req=bench/common/requirements-models.txt
models_stamp="$models_venv/.requirements.sha256"
models_want=$(sha256sum "$models_req" | cut -d' ' -f1)
if [[ ! -x "$models_venv/bin/python" || "$(cat "$models_stamp" 2>/dev/null)" != "$models_want" ]]; then
    echo "bench: installing onnxruntime, OpenVINO, onnx, numpy, OpenCV into $models_venv ..." >&2
    [[ -x "$models_venv/bin/python" ]] || "${PYTHON:-python3}" -m venv "$models_venv"
    "$models_venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$models_req"
    echo "$models_want" >"$models_stamp"
fi
MODELS_PY="$PWD/$models_venv/bin/python"
