"""A measuring task whose variants the test steers: the control file (argv[1]) names the
variant that measures slow (`slow=fp16`) and the one the service cannot run (`broken=fp16`),
so that `gsctl device bench` can be made to switch, and to switch to a variant that fails."""

import os
import sys
import time

sys.dont_write_bytecode = True
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "..", "..", "Specs", "workflows", "tasks"))

import gs_task  # noqa: E402

with open(sys.argv[1]) as handle:
    control = dict(line.strip().split("=", 1) for line in handle if "=" in line)
variant = os.path.basename(os.path.dirname(os.environ["GS_MODEL"]))
if os.environ.get("GS_MEASURE") and variant == control.get("slow"):
    import onnxruntime

    run = onnxruntime.InferenceSession.run

    def slow_run(self, *arguments, **options):
        time.sleep(0.05)
        return run(self, *arguments, **options)

    onnxruntime.InferenceSession.run = slow_run
gs_task.measure_if_asked()
if variant == control.get("broken"):
    sys.exit(f"cannot run the {variant} variant")
with open(os.path.join(os.environ["GS_DATA"], "model"), "w") as handle:
    handle.write(os.environ["GS_MODEL"])
time.sleep(600)
