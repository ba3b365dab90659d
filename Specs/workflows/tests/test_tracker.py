"""The tracker on synthetic sequences: stable IDs, occlusions, crossings, entries and exits."""

import random
import unittest

import support  # noqa: F401
from support import box_at

from tracker import Tracker, iou


def id_switches(truth_to_track):
    """Counts ID switches the MOT way: each time a ground-truth object's matched track ID
    differs from the last one it had."""
    switches = 0
    for ids in truth_to_track.values():
        last = None
        for track_id in ids:
            if last is not None and track_id != last:
                switches += 1
            last = track_id
    return switches


def play(tracker, objects, frames, hidden=lambda obj, i: False, noise=0.0, seed=7, dt=0.1):
    """objects: {name: (x0, y0, vx, vy)} in pixels and pixels/frame. Returns the track ID each
    visible object was matched to per frame and all events."""
    rng = random.Random(seed)
    matched = {name: [] for name in objects}
    events = []
    for i in range(frames):
        detections, names = [], []
        for name, (x0, y0, vx, vy) in objects.items():
            if hidden(name, i):
                continue
            x = x0 + vx * i + rng.uniform(-noise, noise)
            y = y0 + vy * i + rng.uniform(-noise, noise)
            detections.append(box_at(x, y) + [0.9])
            names.append(name)
        tracks, new = tracker.update(detections, i * dt)
        events += new
        for name, detection in zip(names, detections):
            best = max((t for t in tracks if t["visible"]), key=lambda t: iou(t["box"], detection), default=None)
            if best is not None and iou(best["box"], detection) > 0.5:
                matched[name].append(best["id"])
    return matched, events


class TrackerTests(unittest.TestCase):
    def test_iou(self):
        self.assertAlmostEqual(iou([0, 0, 10, 10], [5, 0, 15, 10]), 50 / 150)
        self.assertEqual(iou([0, 0, 10, 10], [20, 20, 30, 30]), 0.0)

    def test_stable_ids_for_walkers_with_jitter(self):
        objects = {"a": (50, 200, 4, 0), "b": (600, 300, -5, 0), "c": (300, 450, 1, -2)}
        matched, events = play(Tracker(), objects, 80, noise=2.0)
        self.assertEqual(id_switches(matched), 0)
        self.assertEqual(len({ids[0] for ids in matched.values()}), 3)
        self.assertEqual(sorted(e["type"] for e in events), ["enter"] * 3)

    def test_a_short_occlusion_keeps_the_id(self):
        objects = {"a": (50, 200, 6, 0)}
        hidden = lambda name, i: 30 <= i < 38  # noqa: E731  8 frames behind a pillar, still moving
        matched, events = play(Tracker(max_age=15), objects, 70, hidden=hidden)
        self.assertEqual(id_switches(matched), 0)
        self.assertEqual([e["type"] for e in events], ["enter"])

    def test_an_occlusion_longer_than_max_age_is_a_new_track(self):
        objects = {"a": (50, 200, 6, 0)}
        hidden = lambda name, i: 30 <= i < 50  # noqa: E731
        matched, events = play(Tracker(max_age=10), objects, 70, hidden=hidden)
        self.assertEqual(id_switches(matched), 1)
        self.assertEqual([e["type"] for e in events], ["enter", "exit", "enter"])

    def test_two_people_passing_each_other_with_occlusion_count_switches(self):
        # Opposite directions on the same row; the one behind is hidden while they overlap.
        objects = {"left": (100, 300, 5, 0), "right": (500, 300, -5, 0)}
        hidden = lambda name, i: name == "right" and 35 <= i < 45  # noqa: E731
        matched, _ = play(Tracker(), objects, 80, hidden=hidden)
        self.assertEqual(id_switches(matched), 0)

    def test_crowd_with_noise_and_occlusions_has_few_switches(self):
        rng = random.Random(3)
        objects = {f"p{k}": (rng.uniform(50, 700), rng.uniform(150, 550), rng.uniform(-4, 4), rng.uniform(-1, 1))
                   for k in range(10)}
        hidden = lambda name, i: (int(name[1:]) * 5 + i) % 17 < 2  # noqa: E731  each hidden 2 frames in 17
        matched, _ = play(Tracker(), objects, 100, hidden=hidden, noise=2.0)
        observations = sum(len(ids) for ids in matched.values())
        switches = id_switches(matched)
        self.assertGreater(observations, 800)
        self.assertLessEqual(switches, 3, f"{switches} ID switches over {observations} observations")

    def test_a_single_false_detection_is_never_reported(self):
        tracker = Tracker(min_hits=2)
        tracks, events = tracker.update([box_at(100, 100) + [0.5]], 0.0)
        self.assertEqual((tracks, events), ([], []))
        tracks, events = tracker.update([], 0.1)
        self.assertEqual((tracks, events, tracker.tracks), ([], [], []))

    def test_weak_detections_keep_a_track_but_never_start_one(self):
        tracker = Tracker(new_track_score=0.45)
        # A person whose score wavers under the threshold stays one confirmed track.
        scores = [0.6, 0.5, 0.44, 0.41, 0.47, 0.38, 0.52]
        visible = []
        for i, score in enumerate(scores):
            tracks, _ = tracker.update([box_at(100 + 3 * i, 200) + [score]], i * 0.1)
            visible.append([t["id"] for t in tracks if t["visible"]])
        self.assertEqual(visible, [[], [1], [1], [1], [1], [1], [1]])
        # A weak detection alone starts nothing.
        tracker = Tracker(new_track_score=0.45)
        for i in range(5):
            tracks, _ = tracker.update([box_at(400, 300) + [0.4]], i * 0.1)
        self.assertEqual((tracks, tracker.tracks), ([], []))

    def test_exit_after_max_age(self):
        tracker = Tracker(max_age=3)
        for i in range(3):
            tracker.update([box_at(100 + i, 100) + [0.9]], i * 0.1)
        exits = []
        for i in range(3, 8):
            tracks, events = tracker.update([], i * 0.1)
            exits += [(e["type"], i) for e in events]
            if i < 6:
                self.assertEqual([t["visible"] for t in tracks], [False])  # coasting
        self.assertEqual(exits, [("exit", 6)])


if __name__ == "__main__":
    unittest.main()
