"""A network camera that drops: the `frames` task reads a live URL, says why it is unhealthy
while the camera is gone, keeps retrying, and streams again when the camera is back.

The camera is vtest.avi served over HTTP at about video rate (OpenCV's FFmpeg reads http://
and rtsp:// URLs through the same `VideoSource`); a drop closes the open connection mid-video
and refuses new ones until the camera is restarted on the same port. No RTSP server ships
in Debian's main archive for tests, so RTSP itself is not exercised here."""

import http.server
import os
import socket
import socketserver
import tempfile
import threading
import time
import unittest

from harness import Pipeline, free_port

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


if __name__ == "__main__":
    unittest.main()
