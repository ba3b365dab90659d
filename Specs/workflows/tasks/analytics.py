"""Crowd and traffic analytics over tracks, for the `analyze` and `count` tasks. Pure Python.

A track stands where its box's bottom centre is (the feet; the wheels).

- Zones (polygons): people per zone; `enter` / `exit` events, with `hysteresisPixels` (default
  6): a track enters once it is that far inside the edge and leaves once it is that far
  outside, so feet on the edge do not flap in and out; a `crowding` alert when a
  zone holds `crowdThreshold` or more, cleared (`crowding-cleared`) only when it drops to
  `crowdThreshold - 2` or fewer, so a count wavering at the threshold does not flap.
- Lines (segments `from` -> `to`): a track crosses when its point moves from one side to the
  other *beyond* `hysteresisPixels` (default 8) while between the segment's ends, so
  jitter on the line counts nothing and each real crossing counts exactly once. With
  d = cross(to - from, point - from), `in` is from d < 0 to d > 0: for a line drawn top to
  bottom in the image, right to left. Totals per `intervalSeconds` as well: every interval
  the frames reach, quiet ones and lines nobody crossed at 0 (a gap is a fact, not a hole).
- Loitering: a track inside a zone longer than `loiterSeconds` (per zone, or the whole
  frame when there are no zones) raises `loitering` once per track and zone.
- Running: a track whose speed over the last `speedWindowSeconds` (0.5) exceeds
  `runSpeedMetersPerSecond` (with `pixelsPerMeter`) raises `running`; re-armed once it
  slows below 80% of the threshold.
Time is the frames' own clock `t`, so a replayed video gives the same results.
"""

import collections
import math
import sys

sys.dont_write_bytecode = True


def foot(box):
    return ((box[0] + box[2]) / 2.0, box[3])


def edge_distance(point, polygon):
    """Distance from the point to the polygon's nearest edge."""
    best = float("inf")
    x, y = point
    for i in range(len(polygon)):
        (ax, ay), (bx, by) = polygon[i - 1], polygon[i]
        dx, dy = bx - ax, by - ay
        length = dx * dx + dy * dy
        u = 0.0 if length == 0 else max(0.0, min(1.0, ((x - ax) * dx + (y - ay) * dy) / length))
        best = min(best, math.hypot(x - (ax + u * dx), y - (ay + u * dy)))
    return best


def inside(point, polygon):
    x, y = point
    result = False
    j = len(polygon) - 1
    for i in range(len(polygon)):
        xi, yi = polygon[i]
        xj, yj = polygon[j]
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            result = not result
        j = i
    return result


class Line:
    def __init__(self, spec):
        self.name = spec["name"]
        (self.ax, self.ay), (self.bx, self.by) = spec["from"], spec["to"]
        self.length = math.hypot(self.bx - self.ax, self.by - self.ay) or 1.0
        self.hysteresis = float(spec.get("hysteresisPixels", 8))
        self.sides = {}
        self.counts = {"in": 0, "out": 0}

    def distance(self, point):
        return ((self.bx - self.ax) * (point[1] - self.ay) - (self.by - self.ay) * (point[0] - self.ax)) / self.length

    def along(self, point):
        return ((point[0] - self.ax) * (self.bx - self.ax) + (point[1] - self.ay) * (self.by - self.ay)) / self.length**2

    def observe(self, track_id, point):
        """'in', 'out' or None for this track's new position."""
        d = self.distance(point)
        side = 1 if d > self.hysteresis else -1 if d < -self.hysteresis else 0
        if side == 0:
            return None
        before = self.sides.get(track_id)
        self.sides[track_id] = side
        if before is None or before == side or not (0.0 <= self.along(point) <= 1.0):
            return None
        direction = "in" if side > 0 else "out"
        self.counts[direction] += 1
        return direction

    def forget(self, track_id):
        self.sides.pop(track_id, None)


class Zone:
    def __init__(self, spec, loiter_seconds):
        self.name = spec["name"]
        self.polygon = spec.get("polygon")
        self.threshold = spec.get("crowdThreshold")
        self.hysteresis = float(spec.get("hysteresisPixels", 6))
        self.loiter_seconds = spec.get("loiterSeconds", loiter_seconds)
        self.since = {}
        self.loitered = set()
        self.crowded = False

    def contains(self, point, member=False):
        """Whether a track at `point` is in the zone, given whether it was (hysteresis)."""
        if self.polygon is None:
            return True
        if inside(point, self.polygon) == member:
            return member
        return member if edge_distance(point, self.polygon) <= self.hysteresis else not member


class Analyzer:
    def __init__(self, params):
        params = params or {}
        loiter = params.get("loiterSeconds")
        zones = params.get("zones") or ([{"name": "scene"}] if loiter else [])
        self.zones = [Zone(spec, loiter) for spec in zones]
        self.lines = [Line(spec) for spec in params.get("lines") or []]
        self.run_speed = params.get("runSpeedMetersPerSecond")
        self.pixels_per_meter = float(params.get("pixelsPerMeter", 50))
        self.speed_window = float(params.get("speedWindowSeconds", 0.5))
        self.interval = float(params.get("intervalSeconds", 60))
        self.history = {}
        self.running = set()
        self.intervals = collections.OrderedDict()
        self.seen = set()

    def speed(self, track_id, t, point):
        """Metres per second over the last speed window."""
        samples = self.history.setdefault(track_id, collections.deque())
        samples.append((t, point))
        while len(samples) > 2 and t - samples[1][0] >= self.speed_window:
            samples.popleft()
        t0, p0 = samples[0]
        if t - t0 < self.speed_window * 0.5:
            return None
        return math.hypot(point[0] - p0[0], point[1] - p0[1]) / (t - t0) / self.pixels_per_meter

    def update(self, t, tracks, frame=None):
        """One frame's confirmed tracks ({id, box, visible}) -> counts and this frame's events."""
        events = []
        present = {track["id"]: track for track in tracks}
        visible = [track for track in tracks if track.get("visible", True)]
        bucket = self.open_intervals(t)
        for track in visible:
            track_id, point = track["id"], foot(track["box"])
            for line in self.lines:
                direction = line.observe(track_id, point)
                if direction:
                    events.append({"type": "crossing", "line": line.name, "direction": direction, "track": track_id})
                    self.intervals[bucket][line.name][direction] += 1
            if self.run_speed:
                speed = self.speed(track_id, t, point)
                if speed is not None and speed > self.run_speed and track_id not in self.running:
                    self.running.add(track_id)
                    events.append({"type": "running", "track": track_id, "metersPerSecond": round(speed, 2)})
                elif speed is not None and speed < 0.8 * self.run_speed:
                    self.running.discard(track_id)
        counts = {}
        for zone in self.zones:
            members = {track["id"] for track in visible if zone.contains(foot(track["box"]), track["id"] in zone.since)}
            for track_id in members - set(zone.since):
                zone.since[track_id] = t
                if zone.polygon is not None:
                    events.append({"type": "enter", "zone": zone.name, "track": track_id})
            for track_id in set(zone.since) - members:
                if track_id in present and not present[track_id].get("visible", True):
                    continue  # coasting through an occlusion: still there
                del zone.since[track_id]
                zone.loitered.discard(track_id)
                if zone.polygon is not None:
                    events.append({"type": "exit", "zone": zone.name, "track": track_id})
            if zone.loiter_seconds:
                for track_id, since in zone.since.items():
                    if t - since > zone.loiter_seconds and track_id not in zone.loitered:
                        zone.loitered.add(track_id)
                        events.append({"type": "loitering", "zone": zone.name, "track": track_id,
                                       "seconds": round(t - since, 1)})
            count = len(members)
            counts[zone.name] = count
            if zone.threshold is not None:
                if not zone.crowded and count >= zone.threshold:
                    zone.crowded = True
                    events.append({"type": "crowding", "zone": zone.name, "count": count})
                elif zone.crowded and count <= zone.threshold - 2:
                    zone.crowded = False
                    events.append({"type": "crowding-cleared", "zone": zone.name, "count": count})
        for track_id in self.seen - set(present):
            for line in self.lines:
                line.forget(track_id)
            self.history.pop(track_id, None)
            self.running.discard(track_id)
        self.seen = set(present)
        while len(self.intervals) > 240:
            self.intervals.popitem(last=False)
        for event in events:
            event["t"] = round(t, 3)
            if frame is not None:
                event["frame"] = frame
        return {
            "frame": frame, "t": round(t, 3), "people": len(visible), "zones": counts,
            "lines": {line.name: dict(line.counts) for line in self.lines},
            "crowded": [zone.name for zone in self.zones if zone.crowded],
        }, events

    def open_intervals(self, t):
        """The index of t's interval, after adding it and any quiet ones since the last (at
        most the 240 kept: a live clock that jumped a day does not add a day of zeros)."""
        index = int(t // self.interval)
        last = next(reversed(self.intervals)) if self.intervals else None
        first = index if last is None or index <= last else max(last + 1, index - 239)
        for i in range(first, index + 1):
            if i not in self.intervals:
                self.intervals[i] = {line.name: {"in": 0, "out": 0} for line in self.lines}
        return index

    def interval_totals(self):
        return [{"start": round(index * self.interval, 3), "seconds": self.interval, "lines": lines}
                for index, lines in self.intervals.items() if self.lines]
