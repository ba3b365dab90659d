"""The task contract's stream: lossless delivery with back-pressure, reconnect after a restart,
and /healthz saying why a stage is not working."""

import os
import tempfile
import time
import unittest

import support
from harness import Pipeline

FRAMES = os.path.join(support.REPO, "Specs", "data", "vtest-frames")


class StreamTests(unittest.TestCase):
    def setUp(self):
        self.workdir = tempfile.TemporaryDirectory()
        self.pipeline = Pipeline(self.workdir.name)

    def tearDown(self):
        self.pipeline.close()
        self.workdir.cleanup()

    def test_every_frame_reaches_the_last_stage_in_order(self):
        p = self.pipeline
        p.start("frames", "frames.py", {"source": FRAMES, "maxFrames": 67}, outputs=["track"])
        p.start("track", "track.py", {}, needs=["frames"], outputs=["serve"])  # no boxes: passes frames on
        p.start("serve", "serve.py", {}, needs=["track"])
        p.wait("serve", "/status", lambda s, body: body["frame"] == 66)
        _, rows = p.get("serve", "/frames?limit=100")
        self.assertEqual([row["frame"] for row in rows], list(range(67)))
        _, status = p.get("frames", "/status")
        self.assertEqual((status["finished"], status["stream"]["dropped"]), (True, 0))

    def test_a_looping_video_keeps_its_clock_running(self):
        import cv2
        import numpy as np

        video = os.path.join(self.workdir.name, "five.avi")
        writer = cv2.VideoWriter(video, cv2.VideoWriter_fourcc(*"MJPG"), 10, (64, 48))
        for i in range(5):
            writer.write(np.full((48, 64, 3), 40 * i, np.uint8))
        writer.release()
        p = self.pipeline
        p.start("frames", "frames.py", {"source": video, "loop": True, "maxFrames": 12}, outputs=["serve"])
        p.start("serve", "serve.py", {}, needs=["frames"])
        p.wait("serve", "/status", lambda s, body: body["frame"] == 11)
        _, rows = p.get("serve", "/frames?limit=100")
        # 10 fps over three passes of five frames: 0.0 .. 1.1 s, never back to 0.
        self.assertEqual([round(row["t"], 3) for row in rows], [round(0.1 * i, 3) for i in range(12)])

    def test_the_inbox_waits_for_a_file_being_written(self):
        p = self.pipeline
        p.start("inbox", "inbox.py", {"folder": "in", "pollSeconds": 0.1, "settleSeconds": 1.5})
        p.wait("inbox", "/healthz", lambda s, body: s == 200)
        source = os.path.join(support.REPO, "Specs", "data", "text-lines")
        name = sorted(n for n in os.listdir(source) if n.endswith(".png"))[0]
        with open(os.path.join(source, name), "rb") as handle:
            data = handle.read()
        target = os.path.join(self.workdir.name, "inbox", "in", name)
        with open(target, "wb") as handle:  # a slow copy: half now, the rest a second later
            handle.write(data[: len(data) // 2])
            handle.flush()
            time.sleep(1.0)
            handle.write(data[len(data) // 2:])
        body = p.wait("inbox", "/status", lambda s, body: body["read"] == 1)
        self.assertEqual(body["unreadable"], [])  # never read half-written

    def test_a_stage_reconnects_when_its_upstream_restarts(self):
        p = self.pipeline
        p.start("frames", "frames.py", {"source": FRAMES, "fps": 20, "loop": True})
        p.start("track", "track.py", {}, needs=["frames"])
        p.wait("track", "/healthz", lambda s, body: s == 200)
        p.stop("frames")
        body = p.wait("track", "/healthz", lambda s, body: s == 503)
        self.assertIn("stream", body["reason"] + "refused")
        p.start("frames", "frames.py", {"source": FRAMES, "fps": 20, "loop": True})
        p.wait("track", "/healthz", lambda s, body: s == 200)
        before = p.get("track", "/status")[1]["rate"]["frames"]
        p.wait("track", "/status", lambda s, body: body["rate"]["frames"] > before + 5)

    def test_a_missing_source_is_unhealthy_with_the_reason(self):
        p = self.pipeline
        p.start("frames", "frames.py", {"source": "/nonexistent/video.avi", "reconnectSeconds": 0.2})
        body = p.wait("frames", "/healthz", lambda s, body: s == 503)
        self.assertIn("/nonexistent/video.avi does not exist", body["reason"])


if __name__ == "__main__":
    unittest.main()
