"""The task contract on the task's side (docs/tasks.md): what every example task shares.

The agent's supervisor starts each task with:
  GS_TASK      the task's name            GS_WORKFLOW  the workflow's name
  GS_PARAMS    the task's params (JSON)   GS_MODEL     the model file of the variant it runs
  GS_PORT      the port it serves on      GS_INPUTS    name=host:port of the tasks it reads
  GS_DATA      its persistent folder      GS_RELEASE   the release directory
  GS_OUTPUTS   the tasks that read this one (comma-separated names)
  GS_CPUS      the cores its `resources.cpu` grants (unset: no limit); cpu_threads() sizes
               a thread pool to it. GS_MEMORY_MB: its memory limit (the supervisor restarts
               a task whose processes hold more)
  GS_MEASURE   set only when the agent measures a model variant (measure_if_asked)

Long-running tasks talk over HTTP on 127.0.0.1:GS_PORT:
  /healthz  200 when the task does its job, 503 with the reason otherwise (the supervisor's
            probes and the agent's health gate read it)
  /status   JSON: counters, per-stage timings and FPS, the task's own state
  /stream   the task's results as a stream of messages (below); a downstream task subscribes
            to each of its GS_INPUTS and reconnects when the stream breaks

A message is one JSON header line, then `header["bytes"]` raw bytes of payload (a frame's
pixels; 0 for results). Headers carry `frame` (the source's frame index), `t` (the source's
timestamp in seconds: the video's clock for files, so analytics are reproducible) and
`stages` (each stage's milliseconds for this frame, so the last task knows them all).

Delivery is lossless with back-pressure unless the producer is live (a camera): a producer
publishes once every task in GS_OUTPUTS is subscribed and waits while one is behind or
reconnecting, so a video file's frames all reach the end in order. A live producer instead
drops the oldest message of a subscriber that is behind (`dropped` counts them). A task
with no GS_OUTPUTS publishes to whoever subscribes. Standard library only.
"""

import collections
import http.server
import json
import os
import socket
import sys
import threading
import time
import urllib.parse

sys.dont_write_bytecode = True  # nothing may appear in a release that its manifest does not list


def _npz_name(member, decode):
    return member.replace("%2F", "/").replace("%25", "%") if decode else member.replace("%", "%25").replace("/", "%2F")


def measure_if_asked():
    """The device measurement (docs/tasks.md): with GS_MEASURE set, the agent asks this task's
    runtime to load GS_MODEL, run the golden input of GS_MEASURE/request.json and report load
    time, per-run milliseconds and peak memory, with the outputs for the accuracy check.
    Returns only when no measurement is asked for."""
    directory = os.environ.get("GS_MEASURE")
    if not directory:
        return
    # Tell the agent at once that this program measures (one that does not is given 30 s).
    open(os.path.join(directory, "accepted"), "w").close()
    import numpy as np
    import onnxruntime as ort

    with open(os.path.join(directory, "request.json")) as handle:
        request = json.load(handle)
    started = time.monotonic()
    options = ort.SessionOptions()
    threads = cpu_threads(request.get("threads") or params().get("threads"))
    if threads:
        options.intra_op_num_threads = threads
    session = ort.InferenceSession(os.environ["GS_MODEL"], options, providers=["CPUExecutionProvider"])
    load_seconds = time.monotonic() - started
    with np.load(request["input"]) as golden:
        feeds = {_npz_name(name, True): golden[name] for name in golden.files}
    names = [output.name for output in session.get_outputs()]
    for _ in range(int(request.get("warmup", 2))):
        outputs = session.run(names, feeds)
    times = []
    deadline = time.monotonic() + float(request.get("seconds", 5))
    while len(times) < int(request.get("runs", 30)) and (len(times) < 3 or time.monotonic() < deadline):
        began = time.perf_counter()
        outputs = session.run(names, feeds)
        times.append((time.perf_counter() - began) * 1000)
    np.savez(os.path.join(directory, "outputs.npz"), **{_npz_name(n, False): v for n, v in zip(names, outputs)})
    result = {"runtime": f"onnxruntime {ort.__version__}", "loadSeconds": load_seconds, "ms": times,
              "peakRssMB": peak_rss_mb()}
    with open(os.path.join(directory, "result.json.tmp"), "w") as handle:
        json.dump(result, handle)
    os.replace(os.path.join(directory, "result.json.tmp"), os.path.join(directory, "result.json"))
    raise SystemExit(0)


def peak_rss_mb():
    """This process's peak resident memory in MiB: /proc's VmHWM, which belongs to the memory
    of the program now running. getrusage's ru_maxrss is not that: Linux carries the peak of
    the memory a process had before exec into it, and a child started with posix_spawn or
    vfork had its parent's, so under the agent it reported the agent's own peak."""
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_threads(requested=0, cpus=None):
    """Threads for a compute pool (onnxruntime's intra-op threads): `requested` when the
    task's params give it, else the cores `resources.cpu` grants (`cpus`, by default GS_CPUS,
    rounded up), else 0 (the library's default: every core, which on a small device takes
    the CPU the workflow's other stages need)."""
    if requested:
        return int(requested)
    try:
        cpus = float(os.environ.get("GS_CPUS") or 0 if cpus is None else cpus)
    except ValueError:
        return 0
    return max(1, int(-(-cpus // 1))) if cpus > 0 else 0


def params():
    return json.loads(os.environ.get("GS_PARAMS") or "null") or {}


def inputs():
    pairs = (item.split("=", 1) for item in os.environ.get("GS_INPUTS", "").split(",") if "=" in item)
    return dict(pairs)


def outputs():
    return [name for name in os.environ.get("GS_OUTPUTS", "").split(",") if name]


def log(message):
    print(f"{os.environ.get('GS_TASK', 'task')}: {message}", flush=True)


class Rate:
    """Frames per second and milliseconds per frame over the last `window` events."""

    def __init__(self, window=50):
        self.stamps = collections.deque(maxlen=window)
        self.costs = collections.deque(maxlen=window)
        self.count = 0
        self.lock = threading.Lock()

    def add(self, milliseconds):
        with self.lock:
            self.stamps.append(time.monotonic())
            self.costs.append(milliseconds)
            self.count += 1

    def fps(self):
        with self.lock:
            if len(self.stamps) < 2:
                return 0.0
            span = self.stamps[-1] - self.stamps[0]
            return (len(self.stamps) - 1) / span if span > 0 else 0.0

    def ms(self):
        with self.lock:
            return sum(self.costs) / len(self.costs) if self.costs else 0.0

    def json(self):
        return {"frames": self.count, "fps": round(self.fps(), 2), "msPerFrame": round(self.ms(), 2)}


class Subscriber:
    """One downstream connection's queue."""

    def __init__(self, depth, lossy):
        self.items = collections.deque()
        self.depth = depth
        self.lossy = lossy
        self.dropped = 0
        self.closed = False
        self.ready = threading.Condition()

    def offer(self, item, timeout):
        """False when the subscriber stays full for `timeout` seconds (it is gone or stuck)."""
        with self.ready:
            if self.lossy:
                while len(self.items) >= self.depth:
                    self.items.popleft()
                    self.dropped += 1
            else:
                deadline = time.monotonic() + timeout
                while len(self.items) >= self.depth and not self.closed:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        return False
                    self.ready.wait(left)
            if self.closed:
                return False
            self.items.append(item)
            self.ready.notify_all()
            return True

    def take(self, timeout):
        with self.ready:
            if not self.items:
                self.ready.wait(timeout)
            if not self.items:
                return None
            item = self.items.popleft()
            self.ready.notify_all()
            return item


class Publisher:
    """Fans a task's messages out to every subscriber of its /stream."""

    def __init__(self, lossy=False, depth=4, expected=None):
        self.lossy = lossy
        self.depth = depth
        self.expected = len(outputs()) if expected is None else expected
        self.subscribers = []
        self.lock = threading.Condition()
        self.published = 0

    def attach(self):
        subscriber = Subscriber(self.depth, self.lossy)
        with self.lock:
            self.subscribers.append(subscriber)
            self.lock.notify_all()
        return subscriber

    def detach(self, subscriber):
        with subscriber.ready:
            subscriber.closed = True
            subscriber.ready.notify_all()
        with self.lock:
            if subscriber in self.subscribers:
                self.subscribers.remove(subscriber)

    def wait_for_subscribers(self, timeout=None):
        """A lossless producer waits for every consumer it has, so none misses a message."""
        with self.lock:
            return self.lock.wait_for(lambda: len(self.subscribers) >= self.expected, timeout)

    def publish(self, header, payload=b""):
        header = dict(header, bytes=len(payload))
        item = json.dumps(header, separators=(",", ":")).encode() + b"\n" + payload
        if not self.lossy:
            self.wait_for_subscribers()
        with self.lock:
            targets = list(self.subscribers)
        for subscriber in targets:
            if not subscriber.offer(item, timeout=30):
                self.detach(subscriber)
        self.published += 1

    def dropped(self):
        with self.lock:
            return sum(s.dropped for s in self.subscribers)


def subscribe(address, on_state=None, retry_seconds=1.0):
    """Yields (header, payload) from the /stream of the task at `address` forever, reconnecting
    whenever the stream breaks (the upstream task restarts, a release switches)."""
    host, port = address.rsplit(":", 1)
    while True:
        try:
            with socket.create_connection((host, int(port)), timeout=5) as connection:
                connection.sendall(b"GET /stream HTTP/1.0\r\nHost: " + host.encode() + b"\r\n\r\n")
                connection.settimeout(None)
                reader = connection.makefile("rb", buffering=1 << 20)
                status = reader.readline()
                if b" 200 " not in status:
                    raise OSError(f"/stream answered {status!r}")
                while reader.readline() not in (b"\r\n", b"\n", b""):
                    pass
                if on_state:
                    on_state(True)
                while True:
                    line = reader.readline()
                    if not line:
                        raise OSError("stream closed")
                    header = json.loads(line)
                    size = header.get("bytes", 0)
                    payload = reader.read(size) if size else b""
                    if len(payload) != size:
                        raise OSError("stream closed mid-message")
                    yield header, payload
        except (OSError, ValueError) as error:
            if on_state:
                on_state(False, str(error))
            time.sleep(retry_seconds)


class Service:
    """The task's HTTP side: /healthz, /status, /stream and any routes the task adds."""

    def __init__(self, publisher=None):
        self.publisher = publisher
        self.started = time.time()
        self.routes = {}
        self.health = lambda: (True, "ok")
        self.status = lambda: {}
        self.rate = Rate()

    def route(self, path, handler):
        """`handler(query) -> (status, body)`; dict/list bodies are sent as JSON."""
        self.routes[path] = handler

    def serve(self, port=None):
        port = int(port or os.environ.get("GS_PORT") or 0)
        service = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def do_GET(self):
                url = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(url.query))
                if url.path == "/healthz":
                    ok, reason = service.health()
                    return self.reply(200 if ok else 503, {"ok": ok, "reason": reason})
                if url.path == "/status":
                    body = {
                        "task": os.environ.get("GS_TASK"), "workflow": os.environ.get("GS_WORKFLOW"),
                        "uptimeSeconds": round(time.time() - service.started, 1), "rate": service.rate.json(),
                    }
                    if service.publisher:
                        body["stream"] = {
                            "published": service.publisher.published, "dropped": service.publisher.dropped(),
                            "subscribers": len(service.publisher.subscribers),
                        }
                    body.update(service.status())
                    return self.reply(200, body)
                if url.path == "/stream" and service.publisher:
                    return self.stream()
                if url.path in service.routes:
                    status, body = service.routes[url.path](query)
                    return self.reply(status, body)
                self.reply(404, {"error": f"no route {url.path}"})

            def stream(self):
                self.send_response(200)
                self.send_header("Content-Type", "application/x-gs-stream")
                self.end_headers()
                subscriber = service.publisher.attach()
                try:
                    while True:
                        item = subscriber.take(timeout=1.0)
                        if item is not None:
                            self.wfile.write(item)
                            self.wfile.flush()
                except OSError:
                    pass
                finally:
                    service.publisher.detach(subscriber)

            def reply(self, status, body):
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        log(f"serving /healthz, /status{', /stream' if self.publisher else ''} on 127.0.0.1:{server.server_port}")
        return server.server_port


def connect_stage():
    """A stage with one input: serves its own /healthz, /status and /stream and returns
    (service, publisher, messages, input name), `messages` being the upstream's stream.
    /healthz is 503 while the upstream cannot be read."""
    upstream = inputs()
    if len(upstream) != 1:
        raise SystemExit(f"{os.environ.get('GS_TASK')}: expects exactly one input in GS_INPUTS, got {upstream}")
    source, address = next(iter(upstream.items()))
    publisher = Publisher()
    service = Service(publisher)
    connected = {"up": False, "error": "not connected yet"}

    def on_state(up, error=None):
        connected.update(up=up, error=error)

    service.health = lambda: (connected["up"], "reading " + source if connected["up"] else connected["error"])
    service.serve()
    return service, publisher, subscribe(address, on_state), source


def stage_header(header, name, milliseconds, service, **fields):
    """The header a stage publishes: the frame's identity and clock, and `stages` / `fps`
    with this stage's own milliseconds and FPS added to those of the stages before it."""
    stages = dict(header.get("stages", {}))
    stages[name] = round(milliseconds, 3)
    fps = dict(header.get("fps", {}))
    fps[name] = round(service.rate.fps(), 2)
    out = {"frame": header.get("frame"), "t": header.get("t"), "w": header.get("w"), "h": header.get("h"),
           "stages": stages, "fps": fps}
    out.update(fields)
    return out
