"""Runs example tasks as processes under the task contract, the way the agent's supervisor
does (GS_* variables, one port each), for tests and bench/pipeline."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

from support import TASKS


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Pipeline:
    def __init__(self, workdir):
        self.workdir = workdir
        self.processes = {}
        self.ports = {}

    def start(self, name, program, params=None, needs=(), model=None, outputs=(), env=None):
        port = self.ports.get(name) or free_port()
        self.ports[name] = port
        variables = dict(os.environ, GS_TASK=name, GS_WORKFLOW="test", GS_PORT=str(port),
                   GS_PARAMS=json.dumps(params or {}), GS_DATA=os.path.join(self.workdir, name),
                   GS_INPUTS=",".join(f"{n}=127.0.0.1:{self.ports[n]}" for n in needs),
                   GS_OUTPUTS=",".join(outputs),
                   PYTHONDONTWRITEBYTECODE="1")
        if model:
            variables["GS_MODEL"] = model
        variables.update(env or {})
        with open(os.path.join(self.workdir, f"{name}.log"), "ab") as log:
            self.processes[name] = subprocess.Popen([sys.executable, os.path.join(TASKS, program)], env=variables,
                                                    stdout=log, stderr=subprocess.STDOUT, cwd=self.workdir)
        return port

    def stop(self, name):
        process = self.processes.pop(name)
        process.terminate()
        process.wait(10)

    def get(self, name, path, timeout=2):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.ports[name]}{path}", timeout=timeout) as reply:
                return reply.status, json.load(reply)
        except urllib.error.HTTPError as error:
            return error.code, json.load(error)
        except OSError:
            return None, None

    def wait(self, name, path, until, seconds=60):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for task, process in self.processes.items():
                if process.poll() is not None:
                    raise AssertionError(f"task {task} exited with {process.returncode}: {self.log(task)}")
            status, body = self.get(name, path)
            if status is not None and until(status, body):
                return body
            time.sleep(0.2)
        raise AssertionError(f"{name}{path} did not get there in {seconds} s: {self.get(name, path)}")

    def log(self, name):
        with open(os.path.join(self.workdir, f"{name}.log"), "rb") as handle:
            return handle.read().decode(errors="replace")[-2000:]

    def close(self):
        for name in list(self.processes):
            self.stop(name)
