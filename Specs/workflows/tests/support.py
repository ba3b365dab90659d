"""Puts the task programs (../tasks) on sys.path for the tests; no bytecode in the release folder."""

import os
import sys

sys.dont_write_bytecode = True
TASKS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tasks")
sys.path.insert(0, TASKS)
REPO = os.path.abspath(os.path.join(TASKS, "..", "..", ".."))
VTEST = "/usr/share/doc/opencv-doc/examples/data/vtest.avi"


def box_at(x, y, w=40, h=100):
    """A person-sized box whose feet (bottom centre) are at (x, y)."""
    return [x - w / 2, y - h, x + w / 2, y]


def track(track_id, x, y, visible=True):
    return {"id": track_id, "box": box_at(x, y), "visible": visible}
