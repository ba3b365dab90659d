"""`track` task: gives the detect task's boxes stable IDs across frames (see tracker.py).

params:
  iou           the lowest IoU between a track's predicted box and a detection to match (0.3)
  maxAgeFrames  frames a track coasts without a match before it ends (15)
  minHits       matched frames before a track is confirmed and reported (2)
  newTrackScore the lowest detection score that starts a track (0: any the detect task
                keeps); weaker detections only continue tracks (set the detect task's
                scoreThreshold lower than this)

Each frame carries `tracks`, this frame's `events` (enter / exit) and `tracked`, the running
totals of tracks that entered and left the scene.
"""

import sys

sys.dont_write_bytecode = True

import time  # noqa: E402

import gs_task  # noqa: E402
from tracker import Tracker  # noqa: E402


def main():
    p = gs_task.params()
    tracker = Tracker(float(p.get("iou", 0.3)), int(p.get("maxAgeFrames", 15)), int(p.get("minHits", 2)),
                      new_track_score=float(p.get("newTrackScore", 0.0)))
    service, publisher, messages, source = gs_task.connect_stage()
    totals = {"entered": 0, "exited": 0}
    service.status = lambda: {"activeTracks": len(tracker.tracks), "nextId": tracker.next_id, **totals}
    for header, _ in messages:
        began = time.monotonic()
        tracks, events = tracker.update(header.get("boxes", []), float(header.get("t") or 0))
        for event in events:
            totals["entered" if event["type"] == "enter" else "exited"] += 1
        milliseconds = (time.monotonic() - began) * 1000
        service.rate.add(milliseconds)
        publisher.publish(gs_task.stage_header(header, "track", milliseconds, service, tracks=tracks, events=events,
                                               tracked=dict(totals)))


if __name__ == "__main__":
    main()
