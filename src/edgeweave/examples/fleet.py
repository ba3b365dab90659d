"""A synthetic camera-fleet DAG of about 200 tasks, to check that the Graph and Grid views
stay readable and fast at that size (used by the browser tests and scripts/screenshots.py).
Its tasks do nothing (``os.path:basename``); only the structure matters."""

from __future__ import annotations


def fleet_dag_yaml(dag_id: str = "camera_fleet", size: int = 200) -> str:
    """YAML of a ``size``-task DAG: 40 cameras x decode/detect/track/count, per-site
    analytics, a fleet summary, archive tasks to fill up; every task is a no-op."""
    tasks: dict[str, list[str]] = {}
    for cam in range(40):
        prev: list[str] = []
        for stage in ("decode", "detect", "track", "count"):
            tasks[f"cam{cam:02d}_{stage}"] = prev
            prev = [f"cam{cam:02d}_{stage}"]
    for site in range(8):
        counts = [f"cam{cam:02d}_count" for cam in range(site * 5, site * 5 + 5)]
        tasks[f"site{site}_occupancy"] = counts
        tasks[f"site{site}_density"] = counts
        tasks[f"site{site}_loitering"] = [f"cam{cam:02d}_track" for cam in range(site * 5, site * 5 + 5)]
        tasks[f"site{site}_alerts"] = [f"site{site}_density", f"site{site}_loitering"]
    tasks["fleet_summary"] = [f"site{s}_occupancy" for s in range(8)]
    tasks["fleet_alerts"] = [f"site{s}_alerts" for s in range(8)]
    tasks["publish_dashboard"] = ["fleet_summary", "fleet_alerts"]
    for k in range(size - len(tasks)):
        tasks[f"archive_{k:02d}"] = ["publish_dashboard"]
    lines = [f"dag_id: {dag_id}", f"description: {size} tasks over 40 cameras", "tasks:"]
    for name, needs in tasks.items():
        lines.append(f"  - id: {name}\n    python: os.path:basename\n    params: {{p: x}}")
        if needs:
            lines.append(f"    needs: [{', '.join(needs)}]")
    return "\n".join(lines) + "\n"
