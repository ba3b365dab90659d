"""`serve` task: the workflow's HTTP endpoint over the results of the task it reads.

  /status   current counts, recent alerts, per-stage FPS and ms/frame, the pipeline's FPS
  /counts   the latest frame's counts and the per-interval totals
  /alerts   recent alerts (?since=T: those at or after the frames' time T)
  /frames   per-frame results, oldest first (?from=N: frames N and later; ?limit=)
  /healthz  200 once results arrive from the pipeline (the deploy's health gate: a release
            whose detector cannot produce results never becomes healthy); with
            healthyWhenIdle, 200 as soon as the task it reads is connected

params: history (frames kept, 20000), alerts (alerts kept, 200), healthyWhenIdle (false: for
event-driven sources such as an inbox, where no work may arrive for hours after a deploy and
waiting for a result would fail every health gate; each stage still loads its model at start,
so a broken one fails the gate by crashing).
"""

import sys

sys.dont_write_bytecode = True

import collections  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

import gs_task  # noqa: E402

ALERTS = {"crowding", "crowding-cleared", "loitering", "running"}


def main():
    p = gs_task.params()
    history = collections.deque(maxlen=int(p.get("history", 20000)))
    alerts = collections.deque(maxlen=int(p.get("alerts", 200)))
    latest = {}
    stages = {}
    lock = threading.Lock()
    service, _, messages, source = gs_task.connect_stage()
    connected = service.health
    idle_ok = bool(p.get("healthyWhenIdle", False))

    def health():
        up, reason = connected()
        if not latest:
            if up and idle_ok:
                return True, "connected; no work has arrived yet"
            return False, "no results from the pipeline yet" if up else reason
        return True, f"frame {latest.get('frame')} served"

    def stage_table():
        return {name: {"msPerFrame": round(sum(v) / len(v), 2), "fps": latest.get("fps", {}).get(name)}
                for name, v in stages.items()}

    def status():
        with lock:
            return {"frame": latest.get("frame"), "t": latest.get("t"), "counts": latest.get("counts"),
                    "texts": latest.get("texts"), "alerts": list(alerts)[-20:], "stages": stage_table(),
                    "pipelineFps": round(service.rate.fps(), 2)}

    def counts(query):
        with lock:
            return 200, {"frame": latest.get("frame"), "t": latest.get("t"), "counts": latest.get("counts")}

    def recent_alerts(query):
        since = float(query.get("since", "-1e18"))
        with lock:
            return 200, [alert for alert in alerts if alert.get("t", 0) >= since]

    def frames(query):
        start = int(query.get("from", 0))
        limit = int(query.get("limit", 1000))
        with lock:
            rows = [row for row in history if row["frame"] is not None and row["frame"] >= start]
        return 200, rows[:limit]

    service.health = health
    service.status = status
    service.route("/counts", counts)
    service.route("/alerts", recent_alerts)
    service.route("/frames", frames)
    last = None
    for header, _ in messages:
        now = time.monotonic()
        service.rate.add((now - last) * 1000 if last else 0.0)
        last = now
        row = {"frame": header.get("frame"), "t": header.get("t")}
        for key in ("counts", "texts"):
            if key in header:
                row[key] = header[key]
        with lock:
            latest.clear()
            latest.update(header)
            history.append(row)
            for name, ms in header.get("stages", {}).items():
                stages.setdefault(name, collections.deque(maxlen=50)).append(ms)
            for event in header.get("events", []):
                if event.get("type") in ALERTS:
                    alerts.append(event)


if __name__ == "__main__":
    main()
