"""`analyze` task: people per zone, crowding, line crossings, loitering and running (analytics.py).

params: zones, lines, loiterSeconds, runSpeedMetersPerSecond, pixelsPerMeter,
speedWindowSeconds, intervalSeconds (see analytics.py for what each means).
"""

import sys

sys.dont_write_bytecode = True

import time  # noqa: E402

import gs_task  # noqa: E402
from analytics import Analyzer  # noqa: E402


def main():
    analyzer = Analyzer(gs_task.params())
    service, publisher, messages, source = gs_task.connect_stage()
    service.status = lambda: {"intervals": analyzer.interval_totals()[-5:]}
    for header, _ in messages:
        began = time.monotonic()
        counts, events = analyzer.update(float(header.get("t") or 0), header.get("tracks", []), header.get("frame"))
        counts["intervals"] = analyzer.interval_totals()[-3:]
        if header.get("tracked") is not None:
            counts["tracked"] = header["tracked"]  # people who entered / left the scene so far
        milliseconds = (time.monotonic() - began) * 1000
        service.rate.add(milliseconds)
        publisher.publish(gs_task.stage_header(header, "analyze", milliseconds, service, counts=counts,
                                               events=events, tracks=header.get("tracks", [])))


if __name__ == "__main__":
    main()
