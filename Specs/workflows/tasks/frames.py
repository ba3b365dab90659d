"""`frames` task: reads a video file, a folder of images or an RTSP camera and streams its frames.

params:
  source            a video file, a folder of images, or an rtsp:// / http:// URL
  pattern           for a folder: which files (glob, default *.jpg)
  fps               frames per second to emit (0: as fast as the next stage takes them)
  loop              start over at the end of a file or folder
  maxFrames         stop after this many frames (0: no limit)
  reconnectSeconds  wait before reopening a source that failed (a camera that dropped)
  timeoutSeconds    for a URL: how long opening it or waiting for its next frame may take
                    before the camera counts as gone (default 5; OpenCV's own is 30 s, so a
                    frozen camera would look healthy for half a minute)
  live              drop frames a slow consumer cannot take (default: true for URLs)

Each message's payload is the frame's BGR pixels (h x w x 3, uint8); `t` is the position in
the video for files (reproducible analytics; a looping file keeps counting, so each pass has
its own times) and the wall clock for live sources.
"""

import sys

sys.dont_write_bytecode = True

import glob  # noqa: E402
import os  # noqa: E402
import time  # noqa: E402

import gs_task  # noqa: E402


class FolderSource:
    def __init__(self, folder, pattern):
        self.files = sorted(glob.glob(os.path.join(folder, pattern)))
        self.index = 0

    def read(self):
        import cv2

        while self.index < len(self.files):
            path = self.files[self.index]
            self.index += 1
            image = cv2.imread(path, cv2.IMREAD_COLOR)
            if image is not None:
                return image, None
            gs_task.log(f"skipping {path}: not an image OpenCV can read")
        return None, None

    def rewind(self):
        self.index = 0

    def close(self):
        pass


class VideoSource:
    def __init__(self, url, timeout_seconds=None):
        import cv2

        self.url = url
        if timeout_seconds and is_url(url):
            # FFmpeg's RTSP/HTTP reader otherwise blocks 30 s on a camera that froze (the
            # connection stays up, no packets come): bound both the open and every read.
            milliseconds = int(timeout_seconds * 1000)
            self.capture = cv2.VideoCapture(url, cv2.CAP_FFMPEG, [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, milliseconds,
                                                                  cv2.CAP_PROP_READ_TIMEOUT_MSEC, milliseconds])
        else:
            self.capture = cv2.VideoCapture(url)
        if not self.capture.isOpened():
            raise OSError(f"cannot open {url}")

    def read(self):
        import cv2

        ok, image = self.capture.read()
        if not ok:
            return None, None
        return image, self.capture.get(cv2.CAP_PROP_POS_MSEC) / 1000.0

    def rewind(self):
        import cv2

        self.capture.set(cv2.CAP_PROP_POS_FRAMES, 0)

    def close(self):
        self.capture.release()


class Timeline:
    """Frame times of a file source across loops. The file's own position starts again at 0
    on every pass; times that went back would put a pass's crossings into the first pass's
    interval totals, make dwell times negative and hide alerts from `/alerts?since=`. Each
    pass instead starts one frame step after the last frame of the one before."""

    def __init__(self):
        self.offset = 0.0
        self.last = None
        self.step = 0.04  # until two frames show the file's own frame interval
        self.restarted = False

    def at(self, position):
        if self.restarted and self.last is not None:
            self.offset = self.last + self.step - position
            self.restarted = False
        t = self.offset + position
        if self.last is not None and t > self.last:
            self.step = t - self.last
        self.last = t
        return t

    def rewound(self):
        self.restarted = True


def is_url(source):
    return "://" in source


def open_source(source, pattern, timeout_seconds=None):
    if os.path.isdir(source):
        return FolderSource(source, pattern)
    if not is_url(source) and not os.path.exists(source):
        raise OSError(f"source {source} does not exist")
    return VideoSource(source, timeout_seconds)


def main():
    p = gs_task.params()
    source = p.get("source")
    if not source:
        raise SystemExit("frames: params.source is required (a video file, a folder or a URL)")
    fps = float(p.get("fps", 0) or 0)
    loop = bool(p.get("loop", False))
    max_frames = int(p.get("maxFrames", 0) or 0)
    reconnect = float(p.get("reconnectSeconds", 2))
    timeout = float(p.get("timeoutSeconds", 5))
    live = bool(p.get("live", is_url(source)))
    publisher = gs_task.Publisher(lossy=live, depth=2)
    service = gs_task.Service(publisher)
    state = {"open": False, "error": "starting", "finished": False, "reconnects": 0, "index": 0}
    service.health = lambda: (state["open"] or state["finished"], state["error"] or "reading " + source)
    service.status = lambda: {"source": source, "live": live, **state}
    service.serve()

    index = 0
    while True:
        try:
            reader = open_source(source, p.get("pattern", "*.jpg"), timeout)
        except OSError as error:
            state.update(open=False, error=str(error))
            gs_task.log(f"{error}; retrying in {reconnect} s")
            time.sleep(reconnect)
            state["reconnects"] += 1
            continue
        state.update(open=True, error=None)
        timeline = Timeline()
        next_at = time.monotonic()
        while True:
            started = time.monotonic()
            image, position = reader.read()
            if image is None:
                if loop and not live and index > 0:
                    reader.rewind()
                    timeline.rewound()
                    continue
                break
            height, width = image.shape[:2]
            read_ms = (time.monotonic() - started) * 1000
            service.rate.add(read_ms)
            if position is not None and not live:
                t = timeline.at(position)
            else:
                t = index / fps if fps and not live else time.time()
            header = {"frame": index, "t": round(t, 4), "w": width, "h": height,
                      "stages": {"frames": round(read_ms, 3)}, "fps": {"frames": round(service.rate.fps(), 2)}}
            publisher.publish(header, image.tobytes())
            index += 1
            state["index"] = index
            if max_frames and index >= max_frames:
                break
            if fps:
                # Paced by the clock; after a wait for a slow consumer, resume the pace rather
                # than bursting to catch up.
                next_at = max(next_at + 1.0 / fps, time.monotonic() - 1.0 / fps)
                time.sleep(max(0.0, next_at - time.monotonic()))
        reader.close()
        if (max_frames and index >= max_frames) or not (live or loop):
            state.update(open=False, finished=True, error=None)
            gs_task.log(f"finished after {index} frames")
            while True:
                time.sleep(3600)
        ended = (f"no frame from {source} for {timeout:g} s or it closed the stream" if is_url(source)
                 else "source ended")
        state.update(open=False, error=f"{ended}; reconnecting")
        state["reconnects"] += 1
        time.sleep(reconnect)


if __name__ == "__main__":
    main()
