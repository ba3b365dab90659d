"""`rec` task (ocr-service): the text of each box (ocr.py), in reading order; no pixels travel on.

params: minConfidence (0.5: lines recognized with less are dropped), threads.
"""

import sys

sys.dont_write_bytecode = True

import os  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

import gs_task  # noqa: E402
from ocr import TextRecognizer, crop  # noqa: E402


def main():
    gs_task.measure_if_asked()
    p = gs_task.params()
    recognizer = TextRecognizer(os.environ["GS_MODEL"], gs_task.cpu_threads(p.get("threads")))
    minimum = float(p.get("minConfidence", 0.5))
    service, publisher, messages, _ = gs_task.connect_stage()
    for header, payload in messages:
        began = time.monotonic()
        image = np.frombuffer(payload, dtype=np.uint8).reshape(header["h"], header["w"], 3)
        boxes = header.get("boxes", [])
        if sum(1 for box in boxes if box.get("upsideDown")) * 2 > len(boxes):
            # An upside-down image reads from its bottom right: the detector's order reversed.
            boxes = boxes[::-1]
        lines = []
        for box in boxes:
            pixels = crop(image, box["points"])
            if box.get("upsideDown"):
                pixels = np.ascontiguousarray(np.rot90(pixels, 2))
            text, confidence = recognizer.recognize(pixels)
            if text and confidence >= minimum:
                lines.append({"text": text, "confidence": confidence, "box": box["points"]})
        milliseconds = (time.monotonic() - began) * 1000
        service.rate.add(milliseconds)
        texts = {"file": header.get("file"), "lines": lines, "text": " ".join(line["text"] for line in lines)}
        publisher.publish(gs_task.stage_header(header, "rec", milliseconds, service, texts=texts))


if __name__ == "__main__":
    main()
