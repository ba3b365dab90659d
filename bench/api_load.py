"""Latency of the REST API's main endpoints with 1,000 runs x 20 tasks in the store (issue 4, item 7).

What it does, in one command:
  1. a fresh temporary EDGEWEAVE_HOME with a SQLite store holding ``--runs`` runs of one
     ``--tasks``-task DAG (plus a few small DAGs with some runs each, so the DAG list has
     content), with realistic run and task states and timestamps: runs are created with
     ``repository.create_run`` and then rewritten with bulk Core UPDATEs (executemany);
  2. the real app (``create_app`` + uvicorn, one worker, token auth on) in a child process
     on 127.0.0.1 and a free port; its idle resident memory (VmRSS) is read from /proc;
  3. ``--clients`` concurrent clients (threads, one keep-alive http.client connection each)
     hit each endpoint for ``--requests`` requests or ``--seconds`` seconds, whichever ends
     first; p50/p99 latency per endpoint, PASS/FAIL against the target.

Targets (issue 4): p99 < 100 ms for the list endpoints and the Grid view data; server idle
RSS <= 150 MB. "grid data" is the Grid endpoint (``/dags/{dag_id}/grid?runs=N``, one
request); for comparison an info row still measures the old way a Grid view had to fetch
its data: the DAG's last N runs (``/runs?dag_id=X&limit=N``) plus N run details
(``/runs/{id}``, each with its task instances), one after another on one connection, one
sample being the whole fetch.

    python bench/api_load.py [--runs 1000] [--tasks 20] [--clients 20] [--requests 2000]
                             [--seconds 10] [--grid-runs 25]
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import itertools
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
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


def serve(home: Path, port: int, tasks: int, auth: bool = True) -> None:
    """Child process: the real app over the benchmark store, served by uvicorn."""
    import uvicorn

    from edgeweave.server.app import create_app
    from edgeweave.server.auth import AuthConfig
    from edgeweave.store.db import open_store
    from edgeweave.workflow.loader import DagBag

    engine = open_store(f"sqlite:///{home / 'edgeweave.db'}")
    bag = DagBag()
    for dag in build_dags(tasks):
        bag.dags[dag.dag_id] = dag
        bag.files[dag.dag_id] = str(home / "dags" / f"{dag.dag_id}.py")
    app = create_app(engine, bag, auth=AuthConfig(path=home / "auth.json", enabled=auth))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def wait_ready(port: int, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before it was ready")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", f"{API}/health")
            if conn.getresponse().status == 200:
                conn.close()
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"server not ready on port {port} after {timeout:.0f} s")


# --------------------------------------------------------------------------- the load


@dataclass
class Result:
    name: str
    target: bool
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    first_error: str = ""

    def pct(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        data = sorted(self.latencies)
        return data[min(len(data) - 1, int(round(q * (len(data) - 1))))] * 1000


class Client:
    """One keep-alive connection; ``get`` returns the parsed JSON body or raises."""

    def __init__(self, port: int, token: str) -> None:
        self.port = port
        self.headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def get(self, path: str) -> Any:
        try:
            self.conn.request("GET", path, headers=self.headers)
            resp = self.conn.getresponse()
            body = resp.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            raise
        if resp.status != 200:
            raise RuntimeError(f"GET {path}: HTTP {resp.status} {body[:200]!r}")
        return json.loads(body)

    def close(self) -> None:
        self.conn.close()


Op = Callable[[Client, int], None]


def measure(name: str, op: Op, *, port: int, token: str, clients: int, requests: int,
            seconds: float, target: bool, warmup: int = 20) -> Result:
    result = Result(name, target)
    counter = itertools.count()
    lock = threading.Lock()
    barrier = threading.Barrier(clients)
    deadline_box: list[float] = []

    def worker() -> None:
        client = Client(port, token)
        local: list[float] = []
        errors, first = 0, ""
        try:
            for i in range(max(1, warmup // clients)):
                with contextlib.suppress(Exception):  # a persistent failure is counted below
                    op(client, i)
            if barrier.wait() == 0:
                deadline_box.append(time.monotonic() + seconds)
            barrier.wait()
            deadline = deadline_box[0]
            while time.monotonic() < deadline:
                i = next(counter)
                if i >= requests:
                    break
                t = time.perf_counter()
                try:
                    op(client, i)
                except Exception as exc:  # noqa: BLE001 - any failure is an error sample
                    errors += 1
                    first = first or f"{type(exc).__name__}: {exc}"
                    continue
                local.append(time.perf_counter() - t)
        finally:
            client.close()
        with lock:
            result.latencies.extend(local)
            result.errors += errors
            result.first_error = result.first_error or first

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(clients)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return result


def endpoints(client: Client, grid_runs: int) -> list[tuple[str, Op, bool, float]]:
    """(name, op, has target, share of --requests) for each measured endpoint."""
    first = client.get(f"{API}/runs?limit=1000")["runs"]
    main_ids = [r["run_id"] for r in first if r["dag_id"] == MAIN_DAG]
    rng = random.Random(11)
    picks = [rng.choice(main_ids) for _ in range(4096)]
    later = 900

    def simple(path: str) -> Op:
        return lambda c, i: c.get(path) and None

    def one_run(c: Client, i: int) -> None:
        run = c.get(f"{API}/runs/{picks[i % len(picks)]}")
        assert len(run["tasks"]) > 0

    def grid(c: Client, i: int) -> None:
        data = c.get(f"{API}/dags/{MAIN_DAG}/grid?runs={grid_runs}")
        assert len(data["runs"]) == grid_runs and len(data["cells"]) > 0

    def grid_by_runs(c: Client, i: int) -> None:
        runs = c.get(f"{API}/runs?dag_id={MAIN_DAG}&limit={grid_runs}")["runs"]
        for run in runs:
            c.get(f"{API}/runs/{run['run_id']}")

    return [
        ("GET /dags", simple(f"{API}/dags"), True, 1.0),
        ("GET /runs?limit=50", simple(f"{API}/runs?limit=50"), True, 1.0),
        (f"GET /runs?limit=50&offset={later}", simple(f"{API}/runs?limit=50&offset={later}"), True, 1.0),
        (f"GET /runs?dag_id={MAIN_DAG}&limit=25",
         simple(f"{API}/runs?dag_id={MAIN_DAG}&limit=25"), True, 1.0),
        ("GET /runs/{run_id} (20 tasks)", one_run, False, 1.0),
        (f"GET /dags/{MAIN_DAG}", simple(f"{API}/dags/{MAIN_DAG}"), False, 1.0),
        (f"grid data: GET /dags/{MAIN_DAG}/grid?runs={grid_runs}", grid, True, 1.0),
        (f"old grid fetch: runs list + {grid_runs} run details", grid_by_runs, False, 0.25),
    ]


# --------------------------------------------------------------------------- main


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--tasks", type=int, default=20)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--requests", type=int, default=2000, help="per endpoint (grid: a quarter)")
    ap.add_argument("--seconds", type=float, default=10.0, help="per endpoint, at most")
    ap.add_argument("--grid-runs", type=int, default=25)
    ap.add_argument("--no-auth", action="store_true",
                    help="diagnosis only: serve with auth disabled, to see what token checks cost")
    ap.add_argument("--keep", action="store_true", help="keep the temporary EDGEWEAVE_HOME")
    ap.add_argument("--serve", metavar="HOME", help=argparse.SUPPRESS)
    ap.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        serve(Path(args.serve), args.port, args.tasks, auth=not args.no_auth)
        return 0

    from edgeweave.server.auth import AuthConfig
    from edgeweave.store.db import open_store

    tmp = tempfile.TemporaryDirectory(prefix="ew-api-load-")
    home = Path(tmp.name)
    os.environ["EDGEWEAVE_HOME"] = str(home)
    engine = open_store(f"sqlite:///{home / 'edgeweave.db'}")
    dags = build_dags(args.tasks)
    stats = populate(engine, dags, args.runs)
    engine.dispose()
    creds = AuthConfig(path=home / "auth.json").store().ensure_admin()
    assert creds is not None
    print(f"store: {stats['runs']} runs, {stats['task_instances']} task instances "
          f"({args.runs} x {args.tasks} of {MAIN_DAG} + {len(dags) - 1} small DAGs); "
          f"created in {stats['create_s']:.1f} s, states/timestamps written, total {stats['total_s']:.1f} s")

    port = free_port()
    env = {**os.environ, "EDGEWEAVE_HOME": str(home)}
    proc = subprocess.Popen([sys.executable, __file__, "--serve", str(home), "--port", str(port),
                             "--tasks", str(args.tasks), *(["--no-auth"] if args.no_auth else [])], env=env)
    rc = 0
    try:
        t = time.perf_counter()
        wait_ready(port, proc)
        print(f"server: uvicorn (1 worker) on 127.0.0.1:{port}, pid {proc.pid}, "
              f"auth {'OFF (diagnosis)' if args.no_auth else 'on (bearer token)'}, "
              f"ready in {time.perf_counter() - t:.1f} s")
        time.sleep(1.0)
        idle = rss_mb(proc.pid)
        rss_ok = idle <= TARGET_RSS_MB
        print(f"server idle RSS (VmRSS, after startup, before load): {idle:.1f} MB "
              f"(target <= {TARGET_RSS_MB:.0f} MB) {'PASS' if rss_ok else 'FAIL'}")
        print(f"load: {args.clients} concurrent clients (keep-alive), up to {args.requests} "
              f"requests or {args.seconds:.0f} s per endpoint\n")

        probe = Client(port, creds.token)
        ops = endpoints(probe, args.grid_runs)
        probe.close()
        results: list[Result] = []
        for name, op, target, share in ops:
            results.append(measure(name, op, port=port, token=creds.token, clients=args.clients,
                                   requests=max(args.clients, int(args.requests * share)),
                                   seconds=args.seconds, target=target))
        peak = rss_mb(proc.pid)

        width = max(len(r.name) for r in results)
        print(f"{'endpoint':<{width}}  {'requests':>8}  {'req/s':>7}  {'p50 ms':>8}  {'p99 ms':>8}  "
              f"{'errors':>6}  verdict (p99 < {TARGET_P99_MS:.0f} ms)")
        all_ok = rss_ok
        for r in results:
            n = len(r.latencies)
            ok = r.errors == 0 and r.pct(0.99) < TARGET_P99_MS
            verdict = ("PASS" if ok else "FAIL") if r.target else "info (no target)"
            all_ok = all_ok and (ok or not r.target)
            rate = n / sum(r.latencies) * args.clients if n else 0.0
            print(f"{r.name:<{width}}  {n:>8}  {rate:>7.0f}  {r.pct(0.50):>8.1f}  {r.pct(0.99):>8.1f}  "
                  f"{r.errors:>6}  {verdict}")
            if r.first_error:
                print(f"{'':<{width}}  first error: {r.first_error[:160]}")
        print(f"\nserver RSS after the load: {peak:.1f} MB")
        print("grid data: one GET of the Grid endpoint; old grid fetch (info): one sample = "
              "GET /runs?dag_id&limit=N then N x GET /runs/{id}, sequential on one connection")
        print(f"overall: {'PASS' if all_ok else 'FAIL'}")
        rc = 0 if all_ok else 1
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        if args.keep:
            print(f"kept {home}")
        else:
            tmp.cleanup()
    return rc


if __name__ == "__main__":
    sys.exit(main())
