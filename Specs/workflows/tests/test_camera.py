"""A network camera that drops: the `frames` task reads a live URL, says why it is unhealthy
while the camera is gone, keeps retrying, and streams again when the camera is back.

Two cameras: vtest.avi served over HTTP at about video rate, dropped by closing every
connection; and a real RTSP camera (GStreamer's RTSP server from Debian, `rtsp_camera.py`)
streaming vtest.avi as RTP/JPEG, which is frozen (SIGSTOP: the connection stays up and no
packets come, the case a read timeout exists for), thawed, killed and started again."""

import http.server
import os
import signal
import socket
import socketserver
import subprocess
import tempfile
import threading
import time
import unittest

import support
from harness import Pipeline, free_port
from gs_task import subscribe

VIDEO = "/usr/share/doc/opencv-doc/examples/data/vtest.avi"


class Camera:
    """vtest.avi over HTTP, 64 KB every 50 ms; `drop()` cuts every open connection."""

    def __init__(self, port):
        self.port = port
        with open(VIDEO, "rb") as handle:
            self.data = handle.read()
        self.server = None

    def start(self):
        camera = self
        dropped = threading.Event()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "video/x-msvideo")
                self.send_header("Content-Length", str(len(camera.data)))
                self.end_headers()
                for offset in range(0, len(camera.data), 65536):
                    if dropped.is_set():
                        self.connection.shutdown(socket.SHUT_RDWR)
                        return
                    try:
                        self.wfile.write(camera.data[offset:offset + 65536])
                    except OSError:
                        return
                    time.sleep(0.05)

            def log_message(self, *args):
                pass

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.dropped = dropped
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def drop(self):
        self.dropped.set()
        self.server.shutdown()
        self.server.server_close()


@unittest.skipUnless(os.path.exists(VIDEO), "needs opencv-doc's vtest.avi")
class CameraReconnectTests(unittest.TestCase):
    def test_a_dropped_camera_is_unhealthy_then_streams_again(self):
        camera = Camera(free_port())
        camera.start()
        with tempfile.TemporaryDirectory() as workdir:
            p = Pipeline(workdir)
            try:
                url = f"http://127.0.0.1:{camera.port}/vtest.avi"
                p.start("frames", "frames.py", {"source": url, "reconnectSeconds": 0.3})
                p.wait("frames", "/status", lambda s, body: body["index"] >= 20 and body["open"])
                self.assertEqual(p.get("frames", "/healthz")[0], 200)

                camera.drop()
                body = p.wait("frames", "/healthz", lambda s, body: s == 503, seconds=30)
                self.assertTrue("reconnecting" in body["reason"] or "cannot open" in body["reason"], body)
                # While the camera is away every attempt fails and is counted.
                p.wait("frames", "/status", lambda s, body: body["reconnects"] >= 3, seconds=30)
                _, away = p.get("frames", "/status")
                self.assertFalse(away["open"])

                camera.start()
                p.wait("frames", "/status", lambda s, body: body["open"] and body["index"] >= away["index"] + 20,
                       seconds=60)
                self.assertEqual(p.get("frames", "/healthz")[0], 200)
                _, back = p.get("frames", "/status")
            finally:
                p.close()
                camera.drop()
        self.assertTrue(back["live"])
        self.assertGreaterEqual(back["reconnects"], away["reconnects"])
        self.assertIsNone(back["error"])


SYSTEM_PYTHON = "/usr/bin/python3"
MODEL = os.path.join(support.REPO, "Specs", "models", "ssdlite_person.onnx")


def rtsp_server_missing():
    """Why the RTSP camera cannot run here, or None. `make deps` installs what it needs."""
    probe = "import gi; gi.require_version('GstRtspServer', '1.0'); from gi.repository import GstRtspServer"
    try:
        subprocess.run([SYSTEM_PYTHON, "-c", probe], check=True, capture_output=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return "needs Debian's python3-gi and gir1.2-gst-rtsp-server-1.0 (make deps installs them)"
    return None


class RtspCamera:
    """vtest.avi at 10 fps from GStreamer's RTSP server, in its own process."""

    def __init__(self, port):
        self.port = port
        self.url = f"rtsp://127.0.0.1:{port}/camera"
        self.process = None

    def start(self):
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "rtsp_camera.py")
        self.process = subprocess.Popen([SYSTEM_PYTHON, script, str(self.port), VIDEO, "10"],
                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        line = self.process.stdout.readline()
        if line.strip() != b"ready":
            raise AssertionError(f"the RTSP camera did not start: {line!r}, exit {self.process.poll()}")

    def freeze(self):
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self):
        self.process.send_signal(signal.SIGCONT)

    def kill(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.kill()
            self.process.wait(10)
        if self.process:
            self.process.stdout.close()


@unittest.skipUnless(os.path.exists(VIDEO), "needs opencv-doc's vtest.avi")
class RtspCameraTests(unittest.TestCase):
    def setUp(self):
        missing = rtsp_server_missing()
        if missing:
            self.skipTest(missing)
        self.camera = RtspCamera(free_port())
        self.camera.start()
        self.workdir = tempfile.TemporaryDirectory()
        self.pipeline = Pipeline(self.workdir.name)

    def tearDown(self):
        self.pipeline.close()
        self.camera.kill()
        self.workdir.cleanup()

    def test_people_are_detected_in_the_cameras_frames(self):
        p = self.pipeline
        p.start("frames", "frames.py", {"source": self.camera.url}, outputs=["detect"])
        p.start("detect", "detect.py", {"scoreThreshold": 0.3}, needs=["frames"], model=MODEL, outputs=["test"])
        p.wait("detect", "/healthz", lambda status, body: status == 200)
        stream = subscribe(f"127.0.0.1:{p.ports['detect']}")
        results = [next(stream)[0] for _ in range(30)]
        self.assertEqual({(r["h"], r["w"]) for r in results}, {(576, 768)})
        # Live: frames are numbered as read, the clock is the wall clock, and each is newer.
        self.assertEqual([r["frame"] for r in results], sorted({r["frame"] for r in results}))
        self.assertTrue(all(b["t"] > a["t"] for a, b in zip(results, results[1:])))
        # vtest.avi has pedestrians in every frame; JPEG over RTP must not lose them.
        with_people = sum(1 for r in results if r["boxes"])
        self.assertGreaterEqual(with_people, 27, [len(r["boxes"]) for r in results])
        _, status = p.get("frames", "/status")
        self.assertEqual((status["live"], status["open"], status["error"]), (True, True, None))

    def test_a_frozen_camera_times_out_and_streams_again_when_it_thaws_or_restarts(self):
        p = self.pipeline
        p.start("frames", "frames.py", {"source": self.camera.url, "reconnectSeconds": 0.3, "timeoutSeconds": 2})
        p.wait("frames", "/status", lambda s, body: body["index"] >= 20 and body["open"])
        self.assertEqual(p.get("frames", "/healthz")[0], 200)

        # Frozen: the TCP connection is up but nothing comes; the read timeout says so.
        frozen_at = time.monotonic()
        self.camera.freeze()
        body = p.wait("frames", "/healthz", lambda s, body: s == 503, seconds=20)
        self.assertLess(time.monotonic() - frozen_at, 10)
        self.assertIn(f"no frame from {self.camera.url} for 2 s", body["reason"])
        self.camera.thaw()
        _, away = p.get("frames", "/status")
        p.wait("frames", "/status", lambda s, body: body["open"] and body["index"] >= away["index"] + 20, seconds=60)
        self.assertEqual(p.get("frames", "/healthz")[0], 200)

        # Killed: refused connections are retried until a camera is back on the same port.
        self.camera.kill()
        p.wait("frames", "/healthz", lambda s, body: s == 503, seconds=20)
        p.wait("frames", "/status", lambda s, body: body["reconnects"] >= away["reconnects"] + 3, seconds=30)
        _, gone = p.get("frames", "/status")
        self.assertFalse(gone["open"])
        self.camera.start()
        p.wait("frames", "/status", lambda s, body: body["open"] and body["index"] >= gone["index"] + 20, seconds=60)
        _, back = p.get("frames", "/status")
        self.assertIsNone(back["error"])
        self.assertEqual(p.get("frames", "/healthz")[0], 200)


if __name__ == "__main__":
    unittest.main()
