"""`det` task (ocr-service): PP-OCR text detection (ocr.py); passes the image on with its boxes.

params: threshold (0.3), boxThreshold (0.5), unclipRatio (1.6), threads.
"""

import sys

sys.dont_write_bytecode = True

import os  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

import gs_task  # noqa: E402
from ocr import TextDetector  # noqa: E402


def main():
    gs_task.measure_if_asked()
    p = gs_task.params()
    started = time.monotonic()
    detector = TextDetector(os.environ["GS_MODEL"], gs_task.cpu_threads(p.get("threads")))
    load = time.monotonic() - started
    service, publisher, messages, _ = gs_task.connect_stage()
    service.status = lambda: {"model": os.environ["GS_MODEL"], "loadSeconds": round(load, 3)}
    for header, payload in messages:
        began = time.monotonic()
        image = np.frombuffer(payload, dtype=np.uint8).reshape(header["h"], header["w"], 3)
        boxes = detector.detect(image, float(p.get("threshold", 0.3)), float(p.get("boxThreshold", 0.5)),
                                float(p.get("unclipRatio", 1.6)))
        milliseconds = (time.monotonic() - began) * 1000
        service.rate.add(milliseconds)
        publisher.publish(gs_task.stage_header(header, "det", milliseconds, service, file=header.get("file"),
                                               boxes=boxes), payload)


if __name__ == "__main__":
    main()
