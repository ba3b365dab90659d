"""`detect` task: runs the person detector (GS_MODEL: the variant this device runs) on each frame.

params:
  scoreThreshold  the lowest score kept (default 0.45)
  threads         onnxruntime intra-op threads (default: the cores resources.cpu grants,
                  GS_CPUS; without it onnxruntime's default, every core)
  spin            let onnxruntime's threads busy-wait between frames (default false: the
                  other stages' processes need those cores)

Publishes each frame's boxes ([x1, y1, x2, y2, score] in frame pixels); no pixels travel on.
"""

import sys

sys.dont_write_bytecode = True

import os  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

import gs_task  # noqa: E402
from detector import Detector  # noqa: E402


def main():
    gs_task.measure_if_asked()
    p = gs_task.params()
    model = os.environ.get("GS_MODEL")
    if not model:
        raise SystemExit("detect: GS_MODEL is not set (the task needs `model:` in the workflow)")
    started = time.monotonic()
    threads = gs_task.cpu_threads(p.get("threads"))
    detector = Detector(model, threads=threads, spin=bool(p.get("spin", False)))
    load_seconds = time.monotonic() - started
    threshold = float(p.get("scoreThreshold", 0.45))
    service, publisher, messages, source = gs_task.connect_stage()
    service.status = lambda: {"model": model, "loadSeconds": round(load_seconds, 3), "scoreThreshold": threshold,
                              "threads": threads or "onnxruntime default"}
    gs_task.log(f"loaded {os.path.basename(model)} in {load_seconds:.2f} s")
    for header, payload in messages:
        began = time.monotonic()
        image = np.frombuffer(payload, dtype=np.uint8).reshape(header["h"], header["w"], 3)
        boxes = detector.detect(image, threshold)
        milliseconds = (time.monotonic() - began) * 1000
        service.rate.add(milliseconds)
        publisher.publish(gs_task.stage_header(header, "detect", milliseconds, service, boxes=boxes))


if __name__ == "__main__":
    main()
