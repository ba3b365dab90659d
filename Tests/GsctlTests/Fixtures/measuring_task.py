"""A task that implements the task contract's measurement (GS_MEASURE) with the example
services' gs_task.py and onnxruntime, and otherwise records the model it was given."""

import os
import sys
import time

sys.dont_write_bytecode = True
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "..", "..", "Specs", "workflows", "tasks"))

import gs_task  # noqa: E402

gs_task.measure_if_asked()
with open(os.path.join(os.environ["GS_DATA"], "model"), "w") as handle:
    handle.write(os.environ["GS_MODEL"])
time.sleep(600)
