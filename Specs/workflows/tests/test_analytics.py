"""Analytics on synthetic tracks: line crossings with hysteresis, zones, loitering, running, crowding."""

import unittest

import support
from support import track

from analytics import Analyzer, inside

DOOR = {"name": "door", "from": [100, 0], "to": [100, 400], "hysteresisPixels": 8}


def run(analyzer, frames, dt=0.1):
    """frames: a list of track lists; returns all events."""
    events = []
    for i, tracks in enumerate(frames):
        _, new = analyzer.update(i * dt, tracks, frame=i)
        events += new
    return events


class LineCrossingTests(unittest.TestCase):
    def test_each_object_crossing_is_counted_exactly_once(self):
        analyzer = Analyzer({"lines": [DOOR]})
        # Three people walk right to left across x=100, at different speeds and heights.
        frames = [[track(1, 200 - 10 * i, 150), track(2, 180 - 5 * i, 250), track(3, 300 - 20 * i, 350)]
                  for i in range(30)]
        events = run(analyzer, frames)
        crossings = [e for e in events if e["type"] == "crossing"]
        self.assertEqual(sorted(e["track"] for e in crossings), [1, 2, 3])
        self.assertTrue(all(e["direction"] == "in" for e in crossings))
        self.assertEqual(analyzer.lines[0].counts, {"in": 3, "out": 0})

    def test_jitter_on_the_line_counts_nothing(self):
        analyzer = Analyzer({"lines": [DOOR]})
        # Standing on the line, wobbling +-6 px: inside the 8 px hysteresis band.
        frames = [[track(1, 100 + (6 if i % 2 else -6), 200)] for i in range(50)]
        events = run(analyzer, frames)
        self.assertEqual([e for e in events if e["type"] == "crossing"], [])

    def test_jitter_after_a_real_crossing_counts_it_once(self):
        analyzer = Analyzer({"lines": [DOOR]})
        xs = [140, 120, 104, 97, 103, 95, 101, 92, 85, 70, 60]  # crosses, wobbles at the line, goes on
        events = run(analyzer, [[track(1, x, 200)] for x in xs])
        crossings = [e for e in events if e["type"] == "crossing"]
        self.assertEqual(len(crossings), 1)
        self.assertEqual(crossings[0]["frame"], xs.index(85))  # the first frame beyond 8 px past the line

    def test_crossing_back_counts_out(self):
        analyzer = Analyzer({"lines": [DOOR]})
        xs = list(range(160, 40, -10)) + list(range(40, 170, 10))
        run(analyzer, [[track(1, x, 200)] for x in xs])
        self.assertEqual(analyzer.lines[0].counts, {"in": 1, "out": 1})

    def test_passing_beyond_the_segments_end_is_not_a_crossing(self):
        analyzer = Analyzer({"lines": [DOOR]})
        run(analyzer, [[track(1, 200 - 10 * i, 460)] for i in range(30)])  # below y=400, the line's end
        self.assertEqual(analyzer.lines[0].counts, {"in": 0, "out": 0})

    def test_per_interval_totals(self):
        analyzer = Analyzer({"lines": [DOOR], "intervalSeconds": 1})
        frames = [[track(1, 200 - 10 * i, 100)] for i in range(20)]  # crosses at ~1.0 s
        frames += [[track(2, 200 - 10 * i, 200)] for i in range(20)]  # crosses at ~3.0 s
        run(analyzer, frames)
        totals = analyzer.interval_totals()
        # Every interval the frames reached, the quiet ones at 0.
        self.assertEqual([(row["start"], row["lines"]["door"]["in"]) for row in totals],
                         [(0.0, 0), (1.0, 1), (2.0, 0), (3.0, 1)])

    def test_a_looping_video_s_passes_fall_into_their_own_intervals(self):
        # The frames task keeps t counting across loops (frames.Timeline), so the second
        # pass's crossing is counted in a later interval, not added to the first pass's.
        from frames import Timeline
        timeline = Timeline()
        analyzer = Analyzer({"lines": [DOOR], "intervalSeconds": 2})
        for loop in range(2):
            if loop:
                timeline.rewound()
            for i in range(20):  # 10 fps, crossing at ~1.0 s of the file
                analyzer.update(timeline.at(i * 0.1), [track(10 + loop, 200 - 10 * i, 100)], frame=i)
        totals = analyzer.interval_totals()
        self.assertEqual([(row["start"], row["lines"]["door"]["in"]) for row in totals], [(0.0, 1), (2.0, 1)])
        self.assertAlmostEqual(timeline.last, 3.9)

    def test_a_clock_that_jumps_adds_at_most_the_kept_intervals(self):
        analyzer = Analyzer({"lines": [DOOR], "intervalSeconds": 60})
        analyzer.update(0.0, [], frame=0)
        analyzer.update(86400.0, [], frame=1)
        totals = analyzer.interval_totals()
        self.assertEqual(len(totals), 240)
        self.assertEqual(totals[-1]["start"], 86400.0)


class ZoneTests(unittest.TestCase):
    SQUARE = {"name": "square", "polygon": [[0, 0], [100, 0], [100, 100], [0, 100]]}

    def test_point_in_polygon(self):
        square = self.SQUARE["polygon"]
        self.assertTrue(inside((50, 50), square))
        self.assertFalse(inside((150, 50), square))
        concave = [[0, 0], [100, 0], [100, 100], [50, 40], [0, 100]]
        self.assertFalse(inside((50, 80), concave))
        self.assertTrue(inside((20, 30), concave))

    def test_entry_and_exit_events_and_counts(self):
        analyzer = Analyzer({"zones": [self.SQUARE]})
        xs = [150, 120, 90, 60, 30, 60, 90, 120, 150]
        counts = []
        events = []
        for i, x in enumerate(xs):
            result, new = analyzer.update(i * 0.1, [track(7, x, 50)], frame=i)
            counts.append(result["zones"]["square"])
            events += new
        self.assertEqual(counts, [0, 0, 1, 1, 1, 1, 1, 0, 0])
        self.assertEqual([(e["type"], e["frame"]) for e in events], [("enter", 2), ("exit", 7)])

    def test_feet_wobbling_on_the_edge_do_not_flap_in_and_out(self):
        analyzer = Analyzer({"zones": [self.SQUARE]})  # hysteresis 6 px
        xs = [130, 110, 97, 103, 96, 104, 98, 90, 97, 104, 99, 112, 130]
        events = run(analyzer, [[track(1, x, 50)] for x in xs])
        # In once it is 6 px inside (x=90), out once 6 px outside (x=112): one entry, one exit.
        self.assertEqual([(e["type"], e["frame"]) for e in events], [("enter", 7), ("exit", 11)])

    def test_a_track_coasting_through_an_occlusion_stays_in_the_zone(self):
        analyzer = Analyzer({"zones": [self.SQUARE]})
        frames = [[track(1, 50, 50)], [track(1, 50, 50, visible=False)], [track(1, 50, 50)]]
        events = run(analyzer, frames)
        self.assertEqual([e["type"] for e in events], ["enter"])

    def test_a_track_that_disappears_exits(self):
        analyzer = Analyzer({"zones": [self.SQUARE]})
        events = run(analyzer, [[track(1, 50, 50)], []])
        self.assertEqual([e["type"] for e in events], ["enter", "exit"])

    def test_crowding_alert_with_hysteresis(self):
        analyzer = Analyzer({"zones": [dict(self.SQUARE, crowdThreshold=4)]})
        sizes = [2, 3, 4, 5, 4, 3, 4, 3, 2, 3, 4]
        frames = [[track(i, 10 + 10 * i, 50) for i in range(n)] for n in sizes]
        events = run(analyzer, frames)
        alerts = [(e["type"], e["frame"]) for e in events if e["type"].startswith("crowding")]
        # Raised at 4, not re-raised while 3-5, cleared at 2 (threshold - 2), raised again at 4.
        self.assertEqual(alerts, [("crowding", 2), ("crowding-cleared", 8), ("crowding", 10)])


class LoiteringTests(unittest.TestCase):
    def test_dwell_over_the_threshold_alerts_once_per_track(self):
        analyzer = Analyzer({"zones": [ZoneTests.SQUARE], "loiterSeconds": 2})
        frames = [[track(1, 50, 50), track(2, 50 + (i % 3), 60)] if i < 40 else [track(1, 50, 50)] for i in range(60)]
        frames[5] = [track(1, 50, 50)]  # track 2 gone once: its dwell starts over
        events = run(analyzer, frames)
        loiter = [(e["track"], e["frame"]) for e in events if e["type"] == "loitering"]
        self.assertEqual(loiter, [(1, 21), (2, 27)])

    def test_without_zones_dwell_is_in_the_whole_scene(self):
        analyzer = Analyzer({"loiterSeconds": 1})
        events = run(analyzer, [[track(3, 500, 500)] for _ in range(15)])
        self.assertEqual([(e["type"], e["zone"], e["frame"]) for e in events], [("loitering", "scene", 11)])


class RunningTests(unittest.TestCase):
    def test_speed_over_the_threshold_alerts_and_rearms_after_slowing(self):
        analyzer = Analyzer({"runSpeedMetersPerSecond": 3, "pixelsPerMeter": 50})
        x, frames = 0.0, []
        speeds = [1.2] * 20 + [5.0] * 20 + [1.0] * 20 + [4.0] * 20  # m/s
        for speed in speeds:
            x += speed * 50 * 0.1
            frames.append([track(1, x, 300)])
        events = run(analyzer, frames)
        running = [e["frame"] for e in events if e["type"] == "running"]
        self.assertEqual(len(running), 2)
        self.assertTrue(20 <= running[0] <= 26, running)
        self.assertTrue(60 <= running[1] <= 66, running)

    def test_walking_never_alerts(self):
        analyzer = Analyzer({"runSpeedMetersPerSecond": 3, "pixelsPerMeter": 50})
        events = run(analyzer, [[track(1, 70 * 0.1 * i, 300)] for i in range(100)])
        self.assertEqual(events, [])


if __name__ == "__main__":
    unittest.main()
