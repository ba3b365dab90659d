"""`cls` task (ocr-service): which text boxes are upside down (ocr.py); passes the image on.

params: threshold (0.9: the 180-degree score needed to turn a line), threads.
"""

import sys

sys.dont_write_bytecode = True

import os  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

import gs_task  # noqa: E402
from ocr import DirectionClassifier, crop  # noqa: E402


def main():
    gs_task.measure_if_asked()
    p = gs_task.params()
    classifier = DirectionClassifier(os.environ["GS_MODEL"], gs_task.cpu_threads(p.get("threads")))
    service, publisher, messages, _ = gs_task.connect_stage()
    for header, payload in messages:
        began = time.monotonic()
        image = np.frombuffer(payload, dtype=np.uint8).reshape(header["h"], header["w"], 3)
        boxes = header.get("boxes", [])
        flips = classifier.upside_down([crop(image, box["points"]) for box in boxes], float(p.get("threshold", 0.9)))
        for box, (flipped, score) in zip(boxes, flips):
            box["upsideDown"] = flipped
        milliseconds = (time.monotonic() - began) * 1000
        service.rate.add(milliseconds)
        publisher.publish(gs_task.stage_header(header, "cls", milliseconds, service, file=header.get("file"),
                                               boxes=boxes), payload)


if __name__ == "__main__":
    main()
