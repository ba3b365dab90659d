"""Reference outputs of the real models for the Swift executor, from onnxruntime.

Usage: model_oracle.py MODEL.onnx KIND OUTDIR

KIND picks a realistic input: `det` (a photo at 640x640, PP-OCR normalisation, BGR),
`rec` (a 48x320 crop), `cls` (a 48x192 crop), `ssd` (a vtest.avi frame at 300x300, uint8
RGB NHWC). Writes OUTDIR/cases.json (input and output names, dtypes, shapes) and one raw
little-endian file per tensor, which the Swift test reads back.
"""
import json
import os
import sys

import cv2
import numpy as np
import onnxruntime as ort

DATA = "/usr/share/doc/opencv-doc/examples/data"


def photo(path, width, height):
    image = cv2.imread(os.path.join(DATA, path))  # BGR, as PP-OCR reads it
    image = cv2.resize(image, (width, height), interpolation=cv2.INTER_LINEAR).astype(np.float32)
    return (((image / 255.0) - 0.5) / 0.5).transpose(2, 0, 1)[None].astype(np.float32)


def frame(index):
    capture = cv2.VideoCapture(os.path.join(DATA, "vtest.avi"))
    capture.set(cv2.CAP_PROP_POS_FRAMES, index)
    ok, image = capture.read()
    if not ok:
        raise SystemExit("cannot read vtest.avi")
    image = cv2.cvtColor(cv2.resize(image, (300, 300), interpolation=cv2.INTER_LINEAR), cv2.COLOR_BGR2RGB)
    return image[None].astype(np.uint8)


def main():
    model, kind, outdir = sys.argv[1:4]
    os.makedirs(outdir, exist_ok=True)
    feeds = {
        "det": lambda: {"x": photo("fruits.jpg", 640, 640)},
        "rec": lambda: {"x": photo("imageTextN.png", 320, 48)},
        "cls": lambda: {"x": photo("imageTextN.png", 192, 48)},
        "ssd": lambda: {"image_tensor:0": frame(100)},
    }[kind]()
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    options.log_severity_level = 3
    session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    outputs = session.run(names, feeds)
    record = {"inputs": [], "outputs": []}
    for i, (name, array) in enumerate(feeds.items()):
        path = f"input{i}.bin"
        np.ascontiguousarray(array).tofile(os.path.join(outdir, path))
        record["inputs"].append({"name": name, "dtype": str(array.dtype), "shape": list(array.shape), "file": path})
    for i, (name, array) in enumerate(zip(names, outputs)):
        array = np.asarray(array)
        path = f"output{i}.bin"
        np.ascontiguousarray(array).tofile(os.path.join(outdir, path))
        record["outputs"].append({"name": name, "dtype": str(array.dtype), "shape": list(array.shape), "file": path})
    with open(os.path.join(outdir, "cases.json"), "w") as f:
        json.dump(record, f)


if __name__ == "__main__":
    main()
