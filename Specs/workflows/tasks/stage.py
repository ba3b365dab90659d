"""The task contract, standing in for the analytics until they land (issue 11).

Every task of the example workflows runs this for now: it reads what the agent's
supervisor hands a task (GS_TASK, GS_PARAMS, GS_MODEL, GS_PORT, GS_INPUTS, GS_DATA),
checks its model file, serves /healthz and /status on its port, and polls the tasks it
reads from. It computes no detections, tracks or counts: `standIn` says so in /status.
Python standard library only, so it runs on any host with python3.
"""

import hashlib
import http.server
import json
import os
import threading
import time
import urllib.request

STARTED = time.time()
TASK = os.environ.get("GS_TASK", "task")
PARAMS = json.loads(os.environ.get("GS_PARAMS", "null") or "null")
INPUTS = dict(
    item.split("=", 1) for item in os.environ.get("GS_INPUTS", "").split(",") if "=" in item
)
UPSTREAM = {name: False for name in INPUTS}


def model_info():
    path = os.environ.get("GS_MODEL")
    if not path:
        return None
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return {"path": path, "bytes": os.path.getsize(path), "sha256": digest.hexdigest()}


MODEL = model_info()


def poll_inputs():
    while True:
        for name, address in INPUTS.items():
            try:
                with urllib.request.urlopen(f"http://{address}/healthz", timeout=1) as reply:
                    UPSTREAM[name] = reply.status == 200
            except OSError:
                UPSTREAM[name] = False
        time.sleep(2)


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/healthz":
            self.reply(200, {"ok": True})
        elif self.path == "/status":
            self.reply(200, {
                "task": TASK, "workflow": os.environ.get("GS_WORKFLOW"), "params": PARAMS,
                "model": MODEL, "inputs": UPSTREAM, "uptimeSeconds": round(time.time() - STARTED, 1),
                "standIn": True, "note": "wiring only: the analytics arrive with issue 11",
            })
        else:
            self.reply(404, {"error": "not found"})

    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def main():
    threading.Thread(target=poll_inputs, daemon=True).start()
    port = int(os.environ.get("GS_PORT") or 0)
    if not port:
        while True:
            time.sleep(3600)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print(f"{TASK}: serving /healthz and /status on 127.0.0.1:{port}", flush=True)
    server.serve_forever()
