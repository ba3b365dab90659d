"""A real RTSP camera for the tests: GStreamer's RTSP server (Debian's gir1.2-gst-rtsp-server-1.0)
plays a video file at a fixed frame rate as RTP/JPEG at rtsp://127.0.0.1:PORT/camera.

Runs under Debian's own Python (/usr/bin/python3, where python3-gi lives), not the test venv:
    /usr/bin/python3 rtsp_camera.py PORT VIDEO [FPS]
Prints `ready` once it listens. Every client shares one live stream, as with a real camera."""

import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402


def main():
    port, video = sys.argv[1], sys.argv[2]
    fps = int(sys.argv[3]) if len(sys.argv) > 3 else 10
    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(port)
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(f"( filesrc location={video} ! decodebin ! videorate ! video/x-raw,framerate={fps}/1 "
                       "! videoconvert ! jpegenc quality=90 ! rtpjpegpay name=pay0 pt=26 )")
    factory.set_shared(True)
    server.get_mount_points().add_factory("/camera", factory)
    if server.attach(None) == 0:
        raise SystemExit(f"rtsp_camera: cannot listen on 127.0.0.1:{port}")
    print("ready", flush=True)
    GLib.MainLoop().run()


if __name__ == "__main__":
    main()
