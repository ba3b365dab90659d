"""The ocr-service tasks end to end on rendered text lines: files dropped in the inbox come
out of `serve` as text that matches the labels (PP-OCR's Chinese-English model does not
reliably emit spaces between words, so they are ignored), upside-down lines included."""

import csv
import os
import shutil
import tempfile
import unittest

import support
from harness import Pipeline

MODELS = os.path.join(support.REPO, "Specs", "models")
LINES = os.path.join(support.REPO, "Specs", "data", "text-lines")


class OCRServiceTests(unittest.TestCase):
    def test_dropped_images_are_read_once_and_their_text_served(self):
        with open(os.path.join(LINES, "labels.tsv")) as handle:
            rows = list(csv.DictReader(handle, delimiter="\t"))
        picked = [row for row in rows if row["rotated"] == "1"][:3] + [row for row in rows if row["rotated"] == "0"][:5]
        with tempfile.TemporaryDirectory() as workdir:
            p = Pipeline(workdir)
            try:
                p.start("inbox", "inbox.py", {"folder": "inbox"}, outputs=["det"])
                p.start("det", "ocr_det.py", {}, needs=["inbox"], model=f"{MODELS}/ppocrv4_det.onnx", outputs=["cls"])
                p.start("cls", "ocr_cls.py", {}, needs=["det"], model=f"{MODELS}/ppocr_cls.onnx", outputs=["rec"])
                p.start("rec", "ocr_rec.py", {}, needs=["cls"], model=f"{MODELS}/ppocrv4_rec.onnx", outputs=["serve"])
                p.start("serve", "serve.py", {"healthyWhenIdle": True}, needs=["rec"])
                inbox = os.path.join(workdir, "inbox", "inbox")
                p.wait("inbox", "/healthz", lambda s, body: s == 200)
                # An empty inbox is no failure: serve is healthy (a deploy's gate passes) before
                # any image arrives, as the workflow spec asks with healthyWhenIdle.
                idle = p.wait("serve", "/healthz", lambda s, body: s == 200)
                for row in picked:
                    shutil.copy(os.path.join(LINES, row["file"]), os.path.join(inbox, row["file"]))
                p.wait("serve", "/status", lambda s, body: body.get("frame") == len(picked) - 1, seconds=120)
                _, served = p.get("serve", "/frames")
                # A restart of the inbox does not read the same files again.
                p.stop("inbox")
                p.start("inbox", "inbox.py", {"folder": "inbox"}, outputs=["det"])
                p.wait("inbox", "/healthz", lambda s, body: s == 200)
                _, status = p.get("inbox", "/status")
            finally:
                p.close()
        self.assertEqual(idle["reason"], "connected; no work has arrived yet")
        self.assertEqual((status["read"], status["remembered"]), (0, len(picked)))
        texts = {row["texts"]["file"]: row["texts"]["text"] for row in served}
        for row in picked:
            self.assertEqual(texts[row["file"]].replace(" ", ""), row["text"].replace(" ", ""), row["file"])


if __name__ == "__main__":
    unittest.main()
