"""Entry point of a process-mode task: ``python -m edgeweave.workflow.executors.child PAYLOAD``.

The parent writes a JSON payload (the invocation, its sys.path, where to put the result
and the logging output) and redirects this process's stdout/stderr to per-try files, so
output is captured even from C code and survives a kill. The result (or the error) is
written to a JSON file atomically; a missing file means the process died.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time


def _watch_parent(parent: int) -> None:
    """Exit when the scheduler that started us dies, so a killed scheduler leaves no task
    running unobserved (a restarted scheduler would run it a second time)."""

    def loop() -> None:
        while True:
            time.sleep(0.25)
            if os.getppid() != parent:
                os._exit(70)

    threading.Thread(target=loop, name="edgeweave-parent-watch", daemon=True).start()


def main(argv: list[str]) -> int:
    with open(argv[1], encoding="utf-8") as fh:
        payload = json.load(fh)
    _watch_parent(int(payload["parent_pid"]))
    for entry in reversed(payload.get("sys_path", [])):
        if entry not in sys.path:
            sys.path.insert(0, entry)
    from edgeweave.workflow.executors.base import TaskInvocation
    from edgeweave.workflow.executors.capture import LOG_FORMAT
    from edgeweave.workflow.runner import describe_failure, run_invocation

    handler = logging.FileHandler(payload["log"], encoding="utf-8")
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    logging.getLogger().addHandler(handler)
    try:
        out = {"ok": True, "result": run_invocation(TaskInvocation.from_dict(payload["invocation"]))}
    except BaseException as exc:  # report everything, SystemExit included
        error, text, retryable = describe_failure(exc)
        sys.stderr.write(text)
        out = {"ok": False, "error": error, "retryable": retryable}
    sys.stdout.flush()
    sys.stderr.flush()
    handler.flush()
    tmp = payload["result"] + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(out, fh)
    os.replace(tmp, payload["result"])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
