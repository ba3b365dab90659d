"""The detect task on real frames (Specs/data/vtest-frames) against the model run directly."""

import glob
import os
import tempfile
import unittest

import support
from harness import Pipeline

from gs_task import subscribe
from tracker import iou

MODEL = os.path.join(support.REPO, "Specs", "models", "ssdlite_person.onnx")
FRAMES = os.path.join(support.REPO, "Specs", "data", "vtest-frames")


def direct(session, path, threshold):
    """The model run directly: the TF Object Detection API contract, written out again here."""
    import cv2
    import numpy as np

    image = cv2.imread(path)
    height, width = image.shape[:2]
    tensor = np.ascontiguousarray(cv2.resize(image, (300, 300))[:, :, ::-1])[None]
    outputs = dict(zip([o.name for o in session.get_outputs()], session.run(None, {"image_tensor:0": tensor})))
    boxes, scores = outputs["detection_boxes:0"][0], outputs["detection_scores:0"][0]
    classes, count = outputs["detection_classes:0"][0], int(outputs["num_detections:0"][0])
    return [[b[1] * width, b[0] * height, b[3] * width, b[2] * height, s]
            for b, s, c in zip(boxes[:count], scores[:count], classes[:count]) if s >= threshold and c == 1]


class DetectTaskTests(unittest.TestCase):
    def test_boxes_from_the_task_match_the_model_run_directly(self):
        import cv2
        import onnxruntime

        files = sorted(glob.glob(os.path.join(FRAMES, "*.jpg")))[:20]
        session = onnxruntime.InferenceSession(MODEL, providers=["CPUExecutionProvider"])
        with tempfile.TemporaryDirectory() as workdir:
            pipeline = Pipeline(workdir)
            try:
                pipeline.start("frames", "frames.py", {"source": FRAMES, "maxFrames": len(files)}, outputs=["detect"])
                # One core granted (resources.cpu: 1.0): onnxruntime runs one thread, not one per core.
                pipeline.start("detect", "detect.py", {"scoreThreshold": 0.3}, needs=["frames"], model=MODEL, outputs=["test"],
                               env={"GS_CPUS": "1"})
                pipeline.wait("detect", "/healthz", lambda status, body: status == 200)
                self.assertEqual(pipeline.get("detect", "/status")[1].get("threads"), 1)
                stream = subscribe(f"127.0.0.1:{pipeline.ports['detect']}")
                results = [next(stream)[0] for _ in files]
            finally:
                pipeline.close()
        self.assertEqual([r["frame"] for r in results], list(range(len(files))))
        total = 0
        for path, result in zip(files, results):
            expected = direct(session, path, 0.3)
            got = result["boxes"]
            self.assertEqual(len(got), len(expected), path)
            for a, b in zip(sorted(got, key=lambda v: -v[4]), sorted(expected, key=lambda v: -v[4])):
                self.assertGreater(iou(a, b), 0.99, path)
                self.assertAlmostEqual(a[4], float(b[4]), delta=1e-3)
            self.assertEqual((result["h"], result["w"]), cv2.imread(path).shape[:2])
            self.assertIn("detect", result["stages"])
            total += len(got)
        self.assertGreater(total, 60, "vtest frames hold several people each")

    def test_the_service_reports_people_entering_and_leaving(self):
        # frames -> detect -> track -> analyze -> serve on vtest's frames: the tracker's entries
        # and exits reach the endpoint, and never fewer tracks are open than people counted.
        with tempfile.TemporaryDirectory() as workdir:
            p = Pipeline(workdir)
            try:
                p.start("frames", "frames.py", {"source": FRAMES, "maxFrames": 67}, outputs=["detect"])
                p.start("detect", "detect.py", {"scoreThreshold": 0.3}, needs=["frames"], model=MODEL,
                        outputs=["track"])
                p.start("track", "track.py", {"newTrackScore": 0.45}, needs=["detect"], outputs=["analyze"])
                p.start("analyze", "analyze.py", {}, needs=["track"], outputs=["serve"])
                p.start("serve", "serve.py", {}, needs=["analyze"])
                p.wait("serve", "/status", lambda s, body: body.get("frame") == 66, seconds=120)
                _, rows = p.get("serve", "/frames?limit=100")
            finally:
                p.close()
        self.assertEqual(len(rows), 67)
        for row in rows:
            tracked = row["counts"]["tracked"]
            self.assertGreaterEqual(tracked["entered"] - tracked["exited"], row["counts"]["people"], row)
        last = rows[-1]["counts"]["tracked"]
        self.assertGreater(last["entered"], max(row["counts"]["people"] for row in rows) - 1)
        self.assertGreater(last["exited"], 0, "people leave vtest's plaza in 67 frames")


if __name__ == "__main__":
    unittest.main()
