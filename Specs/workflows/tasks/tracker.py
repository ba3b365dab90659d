"""Multi-object tracking by detection: stable IDs across frames for the `track` task.

Each track predicts where its box goes (constant velocity, smoothed by an alpha-beta
filter: a Kalman filter with fixed gains), detections are matched to predictions greedily by
IoU, unmatched detections start tentative tracks, a track is confirmed after `min_hits`
matched frames and ends after `max_age` frames without a match (it coasts on its prediction
meanwhile, which carries it through short occlusions with the same ID). Only detections
scoring `new_track_score` or more start tracks, while an existing track also matches weaker
ones (ByteTrack's two thresholds): a person whose score wavers around the threshold stays
one track instead of flickering in and out of the counts. Pure Python.
"""

import sys

sys.dont_write_bytecode = True


def iou(a, b):
    x1, y1 = max(a[0], b[0]), max(a[1], b[1])
    x2, y2 = min(a[2], b[2]), min(a[3], b[3])
    inter = max(0.0, x2 - x1) * max(0.0, y2 - y1)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


class Track:
    def __init__(self, track_id, box, score, t, alpha, beta):
        self.id = track_id
        self.cx, self.cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        self.w, self.h = box[2] - box[0], box[3] - box[1]
        self.vx = self.vy = 0.0
        self.score = score
        self.t = t
        self.first_t = t
        self.hits = 1
        self.misses = 0
        self.confirmed = False
        self.alpha, self.beta = alpha, beta

    def predicted(self, t):
        dt = max(0.0, t - self.t)
        cx, cy = self.cx + self.vx * dt, self.cy + self.vy * dt
        return [cx - self.w / 2, cy - self.h / 2, cx + self.w / 2, cy + self.h / 2]

    def update(self, box, score, t):
        dt = t - self.t
        px, py = (self.cx + self.vx * dt, self.cy + self.vy * dt) if dt > 0 else (self.cx, self.cy)
        mx, my = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        rx, ry = mx - px, my - py
        self.cx, self.cy = px + self.alpha * rx, py + self.alpha * ry
        if dt > 0:
            self.vx += self.beta * rx / dt
            self.vy += self.beta * ry / dt
        self.w += self.alpha * ((box[2] - box[0]) - self.w)
        self.h += self.alpha * ((box[3] - box[1]) - self.h)
        self.score = score
        self.t = t
        self.hits += 1
        self.misses = 0

    def box(self):
        return [self.cx - self.w / 2, self.cy - self.h / 2, self.cx + self.w / 2, self.cy + self.h / 2]

    def json(self, visible):
        return {"id": self.id, "box": [round(v, 1) for v in self.box()], "score": round(self.score, 4),
                "vx": round(self.vx, 1), "vy": round(self.vy, 1), "visible": visible,
                "ageSeconds": round(self.t - self.first_t, 3)}


class Tracker:
    def __init__(self, iou_threshold=0.3, max_age=15, min_hits=2, alpha=0.6, beta=0.2, new_track_score=0.0):
        self.iou_threshold = iou_threshold
        self.new_track_score = new_track_score
        self.max_age = max_age
        self.min_hits = min_hits
        self.alpha, self.beta = alpha, beta
        self.tracks = []
        self.next_id = 1

    def update(self, detections, t):
        """detections: [x1, y1, x2, y2, score] of one frame at time t (seconds). Returns
        (tracks, events): the confirmed tracks (visible or coasting through an occlusion) and
        this frame's `enter` / `exit` events."""
        events = []
        pairs = []
        predictions = [track.predicted(t) for track in self.tracks]
        for ti, predicted in enumerate(predictions):
            for di, detection in enumerate(detections):
                overlap = iou(predicted, detection)
                if overlap >= self.iou_threshold:
                    pairs.append((overlap, ti, di))
        pairs.sort(key=lambda pair: -pair[0])
        matched_tracks, matched_detections = set(), set()
        for _, ti, di in pairs:
            if ti in matched_tracks or di in matched_detections:
                continue
            matched_tracks.add(ti)
            matched_detections.add(di)
            self.tracks[ti].update(detections[di][:4], detections[di][4], t)
        survivors = []
        for ti, track in enumerate(self.tracks):
            if ti not in matched_tracks:
                track.misses += 1
                if track.misses > self.max_age or not track.confirmed:
                    if track.confirmed:
                        events.append({"type": "exit", "track": track.id, "t": t})
                    continue
            if not track.confirmed and track.hits >= self.min_hits:
                track.confirmed = True
                events.append({"type": "enter", "track": track.id, "t": t})
            survivors.append(track)
        for di, detection in enumerate(detections):
            if di in matched_detections or detection[4] < self.new_track_score:
                continue
            track = Track(self.next_id, detection[:4], detection[4], t, self.alpha, self.beta)
            self.next_id += 1
            if self.min_hits <= 1:
                track.confirmed = True
                events.append({"type": "enter", "track": track.id, "t": t})
            survivors.append(track)
        self.tracks = survivors
        visible = [track.json(track.misses == 0) for track in self.tracks if track.confirmed]
        return visible, events
