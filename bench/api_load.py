"""Latency of the REST API's main endpoints with 1,000 runs x 20 tasks in the store (issue 4, item 7).

What it does, in one command:
  1. a fresh temporary EDGEWEAVE_HOME with a SQLite store holding ``--runs`` runs of one
     ``--tasks``-task DAG (plus a few small DAGs with some runs each, so the DAG list has
     content), with realistic run and task states and timestamps: runs are created with
     ``repository.create_run`` and then rewritten with bulk Core UPDATEs (executemany);
  2. for each server configuration in ``--workers`` (e.g. ``1,2``): the real app
     (``create_app``, token auth on) served by uvicorn exactly as ``edgeweave serve`` does
     (``server.factory.uvicorn_options``: httptools/uvloop when installed, no access log),
     with N worker processes, in a child process on 127.0.0.1; its idle memory is read
     from /proc (RSS summed over the supervisor and its workers, and PSS, which counts
     pages the processes share once);
  3. the load comes from ``--client-procs`` separate client processes (default 1), never
     from this orchestrator: each is a small asyncio client (uvloop when installed) with
     raw keep-alive HTTP/1.1 connections, ``--clients`` connections in all, each always
     with one request in flight (a closed loop: 20 clients = 20 concurrent requests). Every
     response's status is checked and its body read in full; each endpoint's body is
     checked once, before the load. Per endpoint: ``--requests`` requests or ``--seconds``
     seconds, whichever ends first; p50/p99 latency, PASS/FAIL against p99 < 100 ms, the
     ratio to the first configuration, and the CPU the clients and the server used.

Targets (issue 4): p99 < 100 ms for the list endpoints and the Grid view data; server idle
RSS <= 150 MB. "grid data" is the Grid endpoint (``/dags/{dag_id}/grid?runs=N``, one
request) as a Grid view polls it: the server keeps each Grid body for one second, so 20
clients on one DAG mostly share computations; "grid data, uncached" sends ``Cache-Control:
no-cache`` so every request queries and builds the Grid (what a single viewer pays, and
the worst case). For comparison an info row still measures the old way a Grid view had to fetch
its data: the DAG's last N runs (``/runs?dag_id=X&limit=N``) plus N run details
(``/runs/{id}``, each with its task instances), one after another on one connection, one
sample being the whole fetch. ``GET /health`` (no token, ``SELECT 1``) is the ceiling: what
the HTTP stack costs with next to no work behind it.

A closed loop of C clients has latency = C / throughput, so on a machine whose cores the
clients share with the server, p50 and p99 depend on the machine as much as on the code:
compare configurations within one run of this script.

    python bench/api_load.py [--workers 1,2] [--runs 1000] [--tasks 20] [--clients 20]
                             [--client-procs 1] [--requests 2000] [--seconds 10] [--grid-runs 25]
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import itertools
import json
import os
import random
import resource
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

TARGET_P99_MS = 100.0
TARGET_RSS_MB = 150.0
MAIN_DAG = "bench_pipeline"
OTHER_DAGS = ("etl_daily", "model_optimize", "camera_ingest", "report_weekly")
API = "/api/v1"


# --------------------------------------------------------------------------- DAGs and data


def build_dags(tasks: int) -> list[Any]:
    """The benchmark DAG (a fan-out/fan-in pipeline of ``tasks`` tasks) and a few small ones."""
    from edgeweave.workflow.dag import DAG, TaskSpec

    def dag(dag_id: str, n: int, schedule: str | None, tags: list[str]) -> DAG:
        specs: dict[str, TaskSpec] = {}
        ids = [f"t{i:02d}_{kind}" for i, kind in
               zip(range(n), itertools.cycle(["extract", "resize", "detect", "embed", "score"]))]
        for i, tid in enumerate(ids):
            if i == 0:
                up: list[str] = []
            elif i == n - 1:
                up = ids[max(1, n - 5):n - 1]  # fan-in of the last few
            else:
                up = [ids[(i - 1) // 2]]  # a binary-ish tree under the first task
            specs[tid] = TaskSpec(task_id=tid, callable_ref=f"bench_tasks:{tid.split('_', 1)[1]}",
                                  kwargs={"batch": 32, "index": i}, upstream=up,
                                  retries=1 if i % 4 == 0 else 0, timeout_s=600.0)
        return DAG(dag_id=dag_id, tasks=specs, schedule=schedule, tags=tags,
                   description=f"benchmark DAG {dag_id} ({n} tasks)")

    return [dag(MAIN_DAG, tasks, "0 * * * *", ["bench", "vision"]),
            *(dag(name, 3 + i, None if i % 2 else "@daily", ["bench"])
              for i, name in enumerate(OTHER_DAGS))]


def _run_states(n: int, rng: random.Random) -> list[str]:
    """Oldest first: mostly success, some failed/cancelled, the newest running/queued."""
    states = []
    for i in range(n):
        if i == n - 1:
            states.append("queued")
        elif i >= n - 3:
            states.append("running")
        else:
            r = rng.random()
            states.append("success" if r < 0.85 else "failed" if r < 0.97 else "cancelled")
    return states


def populate(engine: Any, dags: list[Any], runs: int, seed: int = 7) -> dict[str, Any]:
    """``runs`` runs of the main DAG and 12 of each other DAG, states and timestamps filled."""
    from sqlalchemy import bindparam, select, update

    from edgeweave.store import repository as repo
    from edgeweave.store.tables import run_table, ti_table

    rng = random.Random(seed)
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    run_updates: list[dict[str, Any]] = []
    ti_updates: list[dict[str, Any]] = []
    by_dag = {dags[0].dag_id: runs, **{d.dag_id: 12 for d in dags[1:]}}
    t0 = time.perf_counter()
    for dag in dags:
        repo.sync_dag(engine, dag)
    # other DAGs first, the main one last, so the newest runs (first page) are the main DAG's
    for dag in [*dags[1:], dags[0]]:
        n = by_dag[dag.dag_id]
        states = _run_states(n, rng)
        order = dag.topological_order()
        for i, state in enumerate(states):
            logical = start + timedelta(hours=i) if dag is dags[0] else start + timedelta(days=i)
            run = repo.create_run(engine, dag, {"folder": f"/data/cam{i % 4}", "threshold": 0.5},
                                  source="scheduled", logical_date=logical,
                                  run_id=f"scheduled__{dag.dag_id}__{logical:%Y-%m-%dT%H:%M:%S}")
            began = logical + timedelta(seconds=rng.uniform(1, 5))
            clock = began
            task_states: dict[str, str] = {}
            failed_at = rng.randrange(len(order)) if state == "failed" else -1
            running_upto = rng.randrange(1, len(order)) if state == "running" else -1
            for k, tid in enumerate(order):
                if state == "queued":
                    task_states[tid] = "none"
                elif state == "cancelled":
                    task_states[tid] = "success" if k < 3 else "skipped"
                elif state == "running":
                    task_states[tid] = ("success" if k < running_upto else
                                        "running" if k == running_upto else "none")
                elif state == "failed":
                    task_states[tid] = ("success" if k < failed_at else "failed" if k == failed_at
                                        else "upstream_failed")
                else:
                    task_states[tid] = "success"
            tis = {tid: pk for pk, tid in _ti_ids(engine, run.id)}
            for tid in order:
                ts = task_states[tid]
                row: dict[str, Any] = {"b_id": tis[tid], "state": ts, "try_number": 0,
                                       "queued_at": None, "started_at": None, "ended_at": None,
                                       "duration": None, "hostname": None, "error": None}
                if ts in ("success", "failed", "running"):
                    dur = rng.uniform(0.2, 30.0)
                    row.update(try_number=1, queued_at=clock, started_at=clock + timedelta(seconds=0.05),
                               hostname="edge-node-1")
                    if ts != "running":
                        row.update(ended_at=clock + timedelta(seconds=dur), duration=dur)
                        clock += timedelta(seconds=dur)
                    if ts == "failed":
                        row["error"] = "RuntimeError: CUDA out of memory while running detect (batch 32)"
                ti_updates.append(row)
            run_updates.append({"b_id": run.id, "state": state, "created_at": logical,
                                "started_at": None if state == "queued" else began,
                                "ended_at": clock if state in ("success", "failed", "cancelled") else None})
    created = time.perf_counter() - t0
    with engine.begin() as conn:
        conn.execute(update(run_table).where(run_table.c.id == bindparam("b_id"))
                     .values(state=bindparam("state"), created_at=bindparam("created_at"),
                             started_at=bindparam("started_at"), ended_at=bindparam("ended_at")),
                     run_updates)
        conn.execute(update(ti_table).where(ti_table.c.id == bindparam("b_id"))
                     .values(state=bindparam("state"), try_number=bindparam("try_number"),
                             queued_at=bindparam("queued_at"), started_at=bindparam("started_at"),
                             ended_at=bindparam("ended_at"), duration=bindparam("duration"),
                             hostname=bindparam("hostname"), error=bindparam("error")),
                     ti_updates)
        total_runs = conn.execute(select(run_table.c.id)).all()
    return {"runs": len(total_runs), "task_instances": len(ti_updates),
            "create_s": created, "total_s": time.perf_counter() - t0}


def _ti_ids(engine: Any, run_pk: int) -> list[tuple[int, str]]:
    from sqlalchemy import select

    from edgeweave.store.tables import ti_table

    with engine.connect() as conn:
        return [(r[0], r[1]) for r in conn.execute(
            select(ti_table.c.id, ti_table.c.task_id).where(ti_table.c.run_pk == run_pk))]


# --------------------------------------------------------------------------- the server


def bench_app() -> Any:
    """The app each uvicorn worker builds (``uvicorn --factory``): the benchmark store, its
    DAGs in memory, auth as ``EW_BENCH_AUTH`` says."""
    from edgeweave.server.app import create_app
    from edgeweave.server.auth import AuthConfig
    from edgeweave.store.db import open_store
    from edgeweave.workflow.loader import DagBag

    home = Path(os.environ["EW_BENCH_HOME"])
    engine = open_store(f"sqlite:///{home / 'edgeweave.db'}")
    bag = DagBag()
    for dag in build_dags(int(os.environ["EW_BENCH_TASKS"])):
        bag.dags[dag.dag_id] = dag
        bag.files[dag.dag_id] = str(home / "dags" / f"{dag.dag_id}.py")
    auth = AuthConfig(path=home / "auth.json", enabled=os.environ.get("EW_BENCH_AUTH", "1") == "1")
    return create_app(engine, bag, auth=auth)


def serve(home: Path, port: int, tasks: int, workers: int, auth: bool) -> None:
    """Child process: uvicorn with the settings ``edgeweave serve`` uses, N workers."""
    import uvicorn

    from edgeweave.server.factory import uvicorn_options
    from edgeweave.server.workers import WorkerPool, reuse_port_supported

    os.environ.update(EW_BENCH_HOME=str(home), EW_BENCH_TASKS=str(tasks), EW_BENCH_AUTH="1" if auth else "0")
    app, app_dir = f"{Path(__file__).stem}:bench_app", str(Path(__file__).parent)
    if workers > 1 and reuse_port_supported():  # as `edgeweave serve --workers N` does
        WorkerPool(app, "127.0.0.1", port, workers, {**uvicorn_options(1), "host": "127.0.0.1", "port": port},
                   app_dir=app_dir).run()
        return
    uvicorn.run(app, factory=True, host="127.0.0.1", port=port, app_dir=app_dir, **uvicorn_options(workers))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def tree(pid: int) -> list[Any]:
    import psutil

    root = psutil.Process(pid)
    return [root, *root.children(recursive=True)]


def memory_mb(pid: int) -> tuple[float, float, str]:
    """(RSS summed, PSS summed, RSS of each process) over the server process and its workers."""
    procs = tree(pid)
    rss = [p.memory_info().rss / 2**20 for p in procs]
    pss = sum(getattr(p.memory_full_info(), "pss", 0) for p in procs) / 2**20
    return sum(rss), pss, " + ".join(f"{r:.0f}" for r in rss)


def cpu_seconds(pid: int) -> float:
    total = 0.0
    for p in tree(pid):
        t = p.cpu_times()
        total += t.user + t.system
    return total


def connections_per_worker(pid: int, port: int) -> str:
    """How the kernel spread the client connections over the processes serving ``port``."""
    counts = []
    for p in tree(pid):
        try:
            conns = p.net_connections(kind="tcp")
        except Exception:  # noqa: BLE001 - a process that just ended
            continue
        n = sum(1 for c in conns if c.status == "ESTABLISHED" and c.laddr and c.laddr.port == port)
        if n or p.pid != pid:
            counts.append(n)
    return "/".join(str(n) for n in sorted(counts, reverse=True) if n or len(counts) > 1)


def wait_ready(port: int, proc: subprocess.Popen[bytes], workers: int, timeout: float = 60.0) -> None:
    """Until /health answers and all ``workers`` worker processes are up."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before it was ready")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", f"{API}/health")
            ok = conn.getresponse().status == 200
            conn.close()
            if ok and (workers == 1 or len(tree(proc.pid)) > workers):
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"server not ready on port {port} after {timeout:.0f} s")


# --------------------------------------------------------------------------- the load clients
# Client processes run only this section (stdlib + uvloop): no EdgeWeave imports.


def _request(path: str, port: int, token: str | None, extra: str = "") -> bytes:
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    return (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{auth}{extra}"
            "Accept: application/json\r\n\r\n").encode()


async def _fetch(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, raw: bytes) -> bytes:
    """One request on a keep-alive connection; the body, or RuntimeError unless HTTP 200."""
    writer.write(raw)
    head = await reader.readuntil(b"\r\n\r\n")
    length, chunked = 0, False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding":
            chunked = b"chunked" in value.lower()
    if chunked:
        parts = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            parts.append(await reader.readexactly(size + 2))
            if size == 0:
                break
        body = b"".join(p[:-2] for p in parts)
    else:
        body = await reader.readexactly(length)
    if head[9:12] != b"200":
        raise RuntimeError(f"HTTP {head[9:12].decode()} {body[:160]!r}")
    return body


async def _load(spec: dict[str, Any]) -> dict[str, Any]:
    """``spec["clients"]`` connections hammering one endpoint from ``spec["start"]`` (wall
    clock, shared by all client processes) for ``spec["seconds"]`` or ``spec["requests"]``."""
    port, token, op = spec["port"], spec["token"], spec["op"]
    raws = [_request(p, port, token, op.get("headers", "")) for p in op.get("paths", ())]
    detail = op.get("detail_prefix", "")
    cache: dict[str, bytes] = {}
    counter = itertools.count()
    latencies: list[float] = []
    errors: list[str] = []
    deadline = spec["start"] + spec["seconds"]

    async def one(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, i: int) -> None:
        if not detail:
            await _fetch(reader, writer, raws[i % len(raws)])
            return
        runs = json.loads(await _fetch(reader, writer, raws[0]))["runs"]  # list, then each run
        for run in runs:
            path = detail + run["run_id"]
            raw = cache.get(path) or cache.setdefault(path, _request(path, port, token))
            await _fetch(reader, writer, raw)

    async def client(k: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for i in range(spec["warmup"]):
            try:
                await one(reader, writer, k + i)
            except Exception:  # noqa: BLE001 - reconnect; a persistent failure is counted below
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
        await asyncio.sleep(max(0.0, spec["start"] - time.time()))
        while time.time() < deadline:
            i = next(counter)
            if i >= spec["requests"]:
                break
            t = time.perf_counter()
            try:
                await one(reader, writer, i)
            except Exception as exc:  # noqa: BLE001 - any failure is an error sample
                errors.append(f"{type(exc).__name__}: {exc}")
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                continue
            latencies.append(time.perf_counter() - t)
        writer.close()

    tasks = [asyncio.ensure_future(client(k)) for k in range(spec["clients"])]
    await asyncio.sleep(max(0.0, spec["start"] - time.time()))
    cpu0, t0 = _cpu(), time.time()
    await asyncio.gather(*tasks)
    return {"latencies": latencies, "errors": len(errors), "first_error": errors[0] if errors else "",
            "wall_s": time.time() - t0, "cpu_s": _cpu() - cpu0}


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def client_main() -> None:
    """Client process: a JSON spec on stdin, a JSON result on stdout."""
    spec = json.loads(sys.stdin.read())
    try:
        import uvloop
    except ImportError:
        result = asyncio.run(_load(spec))
    else:
        result = uvloop.run(_load(spec))
    json.dump(result, sys.stdout)


# --------------------------------------------------------------------------- endpoints


@dataclass
class Endpoint:
    name: str
    op: dict[str, Any]  # {"paths": [...]} cycled, or {"paths": [list], "detail_prefix": ...}
    target: bool
    share: float = 1.0  # of --requests
    auth: bool = True


@dataclass
class Result:
    name: str
    target: bool
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    first_error: str = ""
    wall_s: float = 0.0
    client_cpu_s: float = 0.0
    server_cpu_s: float = 0.0
    spread: str = ""  # client connections each worker process holds, e.g. "12/8"

    def pct(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        data = sorted(self.latencies)
        return data[min(len(data) - 1, int(round(q * (len(data) - 1))))] * 1000

    @property
    def ok(self) -> bool:
        return self.errors == 0 and self.pct(0.99) < TARGET_P99_MS


def _get(port: int, path: str, token: str | None) -> Any:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers={"Authorization": f"Bearer {token}"} if token else {})
        resp = conn.getresponse()
        body = resp.read()
    finally:
        conn.close()
    if resp.status != 200:
        raise RuntimeError(f"GET {path}: HTTP {resp.status} {body[:200]!r}")
    return json.loads(body)


def endpoints(port: int, token: str, grid_runs: int, tasks: int) -> list[Endpoint]:
    """The measured endpoints; each one's body is checked here once, before any load."""
    runs = _get(port, f"{API}/runs?limit=1000", token)["runs"]
    main_ids = [r["run_id"] for r in runs if r["dag_id"] == MAIN_DAG]
    rng = random.Random(11)
    picks = [f"{API}/runs/{rng.choice(main_ids)}" for _ in range(4096)]
    later = max(0, min(900, len(runs) - 50))  # a page deep in the list
    checks = {
        f"{API}/dags": lambda b: len(b) == 1 + len(OTHER_DAGS) and len(b[0]["last_run_states"]) > 0,
        f"{API}/runs?limit=50": lambda b: len(b["runs"]) == min(50, len(runs)),
        f"{API}/runs?limit=50&offset={later}": lambda b: len(b["runs"]) == min(50, len(runs)),
        f"{API}/runs?dag_id={MAIN_DAG}&limit=25": lambda b: len(b["runs"]) == min(25, len(main_ids)),
        picks[0]: lambda b: len(b["tasks"]) == tasks,
        f"{API}/dags/{MAIN_DAG}": lambda b: len(b["tasks"]) == tasks,
        f"{API}/dags/{MAIN_DAG}/grid?runs={grid_runs}":
            lambda b: len(b["runs"]) == min(grid_runs, len(main_ids)) and len(b["cells"]) == tasks,
    }
    for path, check in checks.items():
        if not check(_get(port, path, token)):
            raise RuntimeError(f"GET {path}: unexpected body")
    if _get(port, f"{API}/health", None)["status"] != "ok":
        raise RuntimeError("GET /health: not ok")
    return [
        Endpoint("GET /health (ceiling: no token, SELECT 1)", {"paths": [f"{API}/health"]}, False,
                 auth=False),
        Endpoint("GET /dags", {"paths": [f"{API}/dags"]}, True),
        Endpoint("GET /runs?limit=50", {"paths": [f"{API}/runs?limit=50"]}, True),
        Endpoint(f"GET /runs?limit=50&offset={later}", {"paths": [f"{API}/runs?limit=50&offset={later}"]},
                 True),
        Endpoint(f"GET /runs?dag_id={MAIN_DAG}&limit=25",
                 {"paths": [f"{API}/runs?dag_id={MAIN_DAG}&limit=25"]}, True),
        Endpoint(f"GET /runs/{{run_id}} ({tasks} tasks)", {"paths": picks}, False),
        Endpoint(f"GET /dags/{MAIN_DAG}", {"paths": [f"{API}/dags/{MAIN_DAG}"]}, False),
        Endpoint(f"grid data: GET /dags/{MAIN_DAG}/grid?runs={grid_runs}",
                 {"paths": [f"{API}/dags/{MAIN_DAG}/grid?runs={grid_runs}"]}, True),
        Endpoint("grid data, uncached (Cache-Control: no-cache)",
                 {"paths": [f"{API}/dags/{MAIN_DAG}/grid?runs={grid_runs}"],
                  "headers": "Cache-Control: no-cache\r\n"}, True),
        Endpoint(f"old grid fetch: runs list + {grid_runs} run details",
                 {"paths": [f"{API}/runs?dag_id={MAIN_DAG}&limit={grid_runs}"],
                  "detail_prefix": f"{API}/runs/"}, False, share=0.25),
    ]


def measure(ep: Endpoint, *, port: int, server_pid: int, token: str, args: argparse.Namespace) -> Result:
    """One endpoint under ``args.clients`` concurrent clients spread over the client processes."""
    procs = max(1, min(args.client_procs, args.clients))
    requests = max(args.clients, int(args.requests * ep.share))
    start = time.time() + 1.0 + 0.2 * procs  # client processes start, connect and warm up first
    children = []
    for k in range(procs):
        share = args.clients // procs + (k < args.clients % procs)
        spec = {"port": port, "token": token if ep.auth else None, "op": ep.op, "clients": share,
                "requests": requests * share // args.clients, "seconds": args.seconds,
                "start": start, "warmup": 2}
        child = subprocess.Popen([sys.executable, __file__, "--client"], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, text=True)
        assert child.stdin is not None
        child.stdin.write(json.dumps(spec))
        child.stdin.close()
        children.append(child)
    time.sleep(max(0.0, start - time.time()))
    cpu0 = cpu_seconds(server_pid)
    result = Result(ep.name, ep.target)
    time.sleep(min(1.0, args.seconds / 4))
    result.spread = connections_per_worker(server_pid, port)
    for child in children:
        assert child.stdout is not None
        out = json.loads(child.stdout.read())
        child.wait()
        result.latencies += out["latencies"]
        result.errors += out["errors"]
        result.first_error = result.first_error or out["first_error"]
        result.wall_s = max(result.wall_s, out["wall_s"])
        result.client_cpu_s += out["cpu_s"]
    result.server_cpu_s = cpu_seconds(server_pid) - cpu0
    return result


# --------------------------------------------------------------------------- configurations


@dataclass
class Config:
    workers: int
    results: list[Result] = field(default_factory=list)
    idle_rss: float = 0.0
    idle_pss: float = 0.0
    processes: int = 0
    peak_rss: float = 0.0

    @property
    def label(self) -> str:
        return f"{self.workers} worker{'s' if self.workers > 1 else ''}"


def run_config(config: Config, home: Path, token: str, args: argparse.Namespace) -> None:
    port = free_port()
    env = {**os.environ, "EDGEWEAVE_HOME": str(home)}
    proc = subprocess.Popen([sys.executable, __file__, "--serve", str(home), "--port", str(port),
                             "--tasks", str(args.tasks), "--workers", str(config.workers),
                             *(["--no-auth"] if args.no_auth else [])], env=env)
    try:
        t = time.perf_counter()
        wait_ready(port, proc, config.workers)
        ready = time.perf_counter() - t
        time.sleep(2.0)
        config.idle_rss, config.idle_pss, each = memory_mb(proc.pid)
        config.processes = each.count("+") + 1
        print(f"\n== {config.label}: uvicorn on 127.0.0.1:{port} ({config.processes} processes: "
              f"{'supervisor + workers' if config.workers > 1 else 'one'}), ready in {ready:.1f} s, "
              f"auth {'OFF (diagnosis)' if args.no_auth else 'on'}")
        print(f"idle memory: RSS {config.idle_rss:.1f} MB = {each} MB over {config.processes} process(es) "
              f"(target <= {TARGET_RSS_MB:.0f} MB: "
              f"{'PASS' if config.idle_rss <= TARGET_RSS_MB else 'FAIL'}); "
              f"PSS {config.idle_pss:.1f} MB")
        for ep in endpoints(port, token, args.grid_runs, args.tasks):
            config.results.append(measure(ep, port=port, server_pid=proc.pid, token=token, args=args))
        config.peak_rss = memory_mb(proc.pid)[0]
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


def report(config: Config, base: Config | None, clients: int) -> bool:
    width = max(len(r.name) for r in config.results)
    print(f"\n{config.label}: {clients} concurrent clients")
    print(f"{'endpoint':<{width}}  {'requests':>8}  {'req/s':>6}  {'p50 ms':>7}  {'p99 ms':>7}  "
          f"{'errors':>6}  {'cpu srv':>7}  {'cpu cli':>7}  {'conns':>7}  "
          f"{'p99 vs ' + base.label if base else '':>16}  "
          f"verdict (p99 < {TARGET_P99_MS:.0f} ms)")
    all_ok = config.idle_rss <= TARGET_RSS_MB
    for i, r in enumerate(config.results):
        n = len(r.latencies)
        verdict = ("PASS" if r.ok else "FAIL") if r.target else "info"
        all_ok = all_ok and (r.ok or not r.target)
        ratio = f"{r.pct(0.99) / base.results[i].pct(0.99):.2f}x" if base else ""
        wall = r.wall_s or 1.0
        print(f"{r.name:<{width}}  {n:>8}  {n / wall:>6.0f}  {r.pct(0.50):>7.1f}  {r.pct(0.99):>7.1f}  "
              f"{r.errors:>6}  {r.server_cpu_s / wall:>7.2f}  {r.client_cpu_s / wall:>7.2f}  {r.spread:>7}  "
              f"{ratio:>16}  "
              f"{verdict}")
        if r.first_error:
            print(f"{'':<{width}}  first error: {r.first_error[:160]}")
    print("cpu srv / cpu cli: cores the server (all its processes) and the client process(es) used "
          "while the endpoint was measured; conns: client connections held by each server process")
    print(f"idle RSS {config.idle_rss:.1f} MB (PSS {config.idle_pss:.1f} MB), after the load "
          f"{config.peak_rss:.1f} MB; {config.label}: {'PASS' if all_ok else 'FAIL'}")
    return all_ok


# --------------------------------------------------------------------------- main


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", default="1,2", help="server configurations: worker counts, comma-separated; "
                    "the first is the baseline the others are compared with")
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--tasks", type=int, default=20)
    ap.add_argument("--clients", type=int, default=20,
                    help="concurrent connections, one request in flight each")
    ap.add_argument("--client-procs", type=int, default=1,
                    help="client processes the connections are spread over")
    ap.add_argument("--requests", type=int, default=2000, help="per endpoint (old grid fetch: a quarter)")
    ap.add_argument("--seconds", type=float, default=10.0, help="per endpoint, at most")
    ap.add_argument("--grid-runs", type=int, default=25)
    ap.add_argument("--no-auth", action="store_true",
                    help="diagnosis only: serve with auth disabled, to see what token checks cost")
    ap.add_argument("--keep", action="store_true", help="keep the temporary EDGEWEAVE_HOME")
    ap.add_argument("--serve", metavar="HOME", help=argparse.SUPPRESS)
    ap.add_argument("--client", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.client:
        client_main()
        return 0
    if args.serve:
        serve(Path(args.serve), args.port, args.tasks, int(args.workers), auth=not args.no_auth)
        return 0
    configs = [Config(int(w)) for w in args.workers.split(",")]

    from edgeweave.server.auth import AuthConfig
    from edgeweave.store.db import open_store

    tmp = tempfile.TemporaryDirectory(prefix="ew-api-load-")
    home = Path(tmp.name)
    os.environ["EDGEWEAVE_HOME"] = str(home)
    try:
        engine = open_store(f"sqlite:///{home / 'edgeweave.db'}")
        dags = build_dags(args.tasks)
        stats = populate(engine, dags, args.runs)
        engine.dispose()
        creds = AuthConfig(path=home / "auth.json").store().ensure_admin()
        assert creds is not None
        print(f"store: {stats['runs']} runs, {stats['task_instances']} task instances "
              f"({args.runs} x {args.tasks} of {MAIN_DAG} + {len(dags) - 1} small DAGs); "
              f"created in {stats['create_s']:.1f} s, total {stats['total_s']:.1f} s")
        print(f"machine: {os.cpu_count()} logical cores; load: {args.clients} concurrent keep-alive "
              f"clients in {args.client_procs} asyncio client process(es), up to {args.requests} "
              f"requests or {args.seconds:.0f} s per endpoint")
        for config in configs:
            run_config(config, home, creds.token, args)
        verdicts = [report(c, configs[0] if c is not configs[0] else None, args.clients) for c in configs]
        print("\ngrid data: one GET of the Grid endpoint; old grid fetch (info): one sample = "
              "GET /runs?dag_id&limit=N then N x GET /runs/{id}, sequential on one connection")
        print("overall: " + ", ".join(f"{c.label} {'PASS' if ok else 'FAIL'}"
                                      for c, ok in zip(configs, verdicts)))
        return 0 if any(verdicts) else 1
    finally:
        if args.keep:
            print(f"kept {home}")
        else:
            tmp.cleanup()


if __name__ == "__main__":
    sys.exit(main())
