"""`inbox` task (ocr-service): each image dropped in a folder is read once and streamed.

params:
  folder   the folder to watch (relative: under GS_DATA); created when missing
  pattern  which files (glob, default *.png)
  pollSeconds  how often to look (1)
  settleSeconds  a file is read once it has not changed for this long (1): a copy still in
               progress (cp, scp, a camera's upload) is not read half-written, reported
               unreadable, then read again when complete

Files already read are remembered in GS_DATA/inbox-seen.json (name, size and mtime), so a
restart does not read them again; a file replaced by a new one is read again.
"""

import sys

sys.dont_write_bytecode = True

import glob  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import time  # noqa: E402

import gs_task  # noqa: E402


def main():
    import cv2

    p = gs_task.params()
    data = os.environ.get("GS_DATA") or "."
    folder = os.path.join(data, p.get("folder", "inbox"))
    os.makedirs(folder, exist_ok=True)
    pattern = p.get("pattern", "*.png")
    memory = os.path.join(data, "inbox-seen.json")
    seen = json.load(open(memory)) if os.path.exists(memory) else {}
    publisher = gs_task.Publisher()
    service = gs_task.Service(publisher)
    state = {"folder": folder, "read": 0, "unreadable": []}
    service.status = lambda: dict(state, remembered=len(seen))
    service.serve()
    index = len(seen)
    settle = float(p.get("settleSeconds", 1))
    while True:
        for path in sorted(glob.glob(os.path.join(folder, pattern))):
            info = os.stat(path)
            key = f"{info.st_size}:{info.st_mtime_ns}"
            name = os.path.basename(path)
            if seen.get(name) == key:
                continue
            if time.time() - info.st_mtime < settle:
                continue  # still being written: look again at the next poll
            started = time.monotonic()
            image = cv2.imread(path, cv2.IMREAD_COLOR)
            seen[name] = key
            if image is None:
                state["unreadable"] = (state["unreadable"] + [name])[-20:]
                gs_task.log(f"skipping {name}: not an image OpenCV can read")
                continue
            milliseconds = (time.monotonic() - started) * 1000
            service.rate.add(milliseconds)
            height, width = image.shape[:2]
            publisher.publish({"frame": index, "t": time.time(), "file": name, "w": width, "h": height,
                               "stages": {"inbox": round(milliseconds, 3)}}, image.tobytes())
            index += 1
            state["read"] += 1
            with open(memory + ".tmp", "w") as handle:
                json.dump(seen, handle)
            os.replace(memory + ".tmp", memory)
        time.sleep(float(p.get("pollSeconds", 1)))


if __name__ == "__main__":
    main()
