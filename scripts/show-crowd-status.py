#!/usr/bin/env python3
"""Prints the crowd service's /status for people (make demo's last step): counts per zone,
line crossings, recent alerts, per-stage ms/frame and FPS. Waits (up to 30 s) until 60
frames went through, so the FPS over the last 50 is the steady rate and not the flush of
frames that queued while the release started. Standard library only."""

import json
import sys
import time
import urllib.error
import urllib.request

url = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8080/status"
deadline = time.monotonic() + 30
status = None
while time.monotonic() < deadline:
    try:
        with urllib.request.urlopen(url, timeout=5) as reply:
            status = json.load(reply)
        if status.get("counts") and status.get("rate", {}).get("frames", 0) >= 60:
            break
    except (OSError, ValueError):
        pass
    time.sleep(1)
if not status or not status.get("counts"):
    sys.exit(f"no counts from {url} after 30 s: {status}")
counts = status["counts"]
print(f"frame {status['frame']} (t = {status['t']} s of the video): {counts['people']} people in view")
for zone, count in counts.get("zones", {}).items():
    crowded = " CROWDED" if zone in counts.get("crowded", []) else ""
    print(f"  zone {zone}: {count}{crowded}")
for line, totals in counts.get("lines", {}).items():
    print(f"  line {line}: {totals['in']} in, {totals['out']} out")
for alert in status.get("alerts", [])[-5:]:
    detail = ", ".join(f"{k}={v}" for k, v in alert.items() if k not in ("type", "t", "frame"))
    print(f"  alert at {alert.get('t')} s: {alert['type']} ({detail})")
stages = status.get("stages", {})
print("  stages: " + ", ".join(f"{name} {v['msPerFrame']} ms/frame" for name, v in stages.items())
      + f"; pipeline {status.get('pipelineFps')} FPS")
print(json.dumps(status))
