"""Per-task overhead and throughput of EdgeWeave's workflow engine vs Dask and Ray, in one command.

Two shapes of no-op tasks (each passes its upstream value on, as a real pipeline would):
  chain    t0 -> t1 -> ... -> t(N-1)                      (default N = 1,000)
  fan-out  root -> N parallel tasks -> join (N + 2 tasks)   (default N = 10,000)

Contenders, run one after another in this process (Ray in a child process, so its daemons
neither disturb the others' timings nor can hang or crash this script):
  EdgeWeave  Scheduler + LocalExecutor (thread mode), state in a fresh SQLite file under a
             temporary EDGEWEAVE_HOME for every repeat (every transition is committed)
  Dask       dask.delayed on the threaded scheduler (graph optimisation off, so a chain
             is not fused into one task); distributed LocalCluster if `distributed` is installed
  Ray        core tasks, ray.init(num_cpus=2, include_dashboard=False)

EdgeWeave's hand-off (one task's end to the next one's start) comes from the timestamps it
stored; Dask and Ray keep no such record, so their hand-off is approximated as wall / N.
Also measured: the resident memory of an idle scheduler process (store open, bundled
example DAGs loaded, Scheduler + LocalExecutor running, nothing to do).

    python bench/workflow_overhead.py [--chain 1000] [--fanout 10000] [--repeat 3]
                                      [--skip-dask] [--skip-ray] [--parallelism N] [--profile]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Kept to the standard library at module level: EdgeWeave's workers import this file by
# path to find `noop`, and that import should cost what a user's small DAG file costs.

HERE = Path(__file__).resolve()
NOOP_REF = f"{HERE}:noop"
TARGET_HANDOFF_MS = 2.0
TARGET_FANOUT_TPS = 2000.0
TARGET_RSS_MB = 150.0
RAY_TIMEOUT_S = 240


def noop(*args: Any, **kwargs: Any) -> None:
    """The task body for every contender: takes its upstream value(s), does nothing."""
    return None


# -- results ---------------------------------------------------------------------------------
@dataclass
class Sample:
    """One timed run of one shape on one contender."""

    tasks: int
    wall_s: float
    """Trigger / graph build + execution, until the last task's outcome is known."""
    exec_s: float | None = None
    """Wall time without the trigger (EdgeWeave run creation) or graph build (Dask)."""
    handoffs_ms: list[float] = field(default_factory=list)
    """Measured hand-offs (EdgeWeave chain only)."""
    in_task_ms: list[float] = field(default_factory=list)
    """Stored start to stored end of each task (EdgeWeave chain only): the worker's share."""


@dataclass
class Row:
    system: str
    shape: str
    samples: list[Sample]
    note: str = ""

    @property
    def tasks(self) -> int:
        return self.samples[0].tasks

    def tps(self) -> list[float]:
        return [s.tasks / s.wall_s for s in self.samples]

    def tps_median(self) -> float:
        return statistics.median(self.tps())

    def tps_exec_median(self) -> float | None:
        vals = [s.tasks / s.exec_s for s in self.samples if s.exec_s]
        return statistics.median(vals) if vals else None

    def wall_median(self) -> float:
        return statistics.median(s.wall_s for s in self.samples)

    def handoff(self) -> tuple[float, float, bool]:
        """(median ms, p95 ms, measured?) — the median over repeats of each statistic."""
        measured = [s.handoffs_ms for s in self.samples if s.handoffs_ms]
        if measured:
            return (statistics.median(statistics.median(h) for h in measured),
                    statistics.median(percentile(h, 95) for h in measured), True)
        approx = statistics.median(s.wall_s / s.tasks * 1000 for s in self.samples)
        return approx, approx, False


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def repeat(n: int, label: str, fn: Callable[[], Sample]) -> list[Sample]:
    samples = []
    for i in range(n):
        sample = fn()
        samples.append(sample)
        print(f"  {label} [{i + 1}/{n}] {sample.tasks} tasks in {sample.wall_s:.3f} s "
              f"({sample.tasks / sample.wall_s:,.0f} tasks/s)", flush=True)
    return samples


# -- EdgeWeave -----------------------------------------------------------------------------------
def chain_dag(n: int) -> Any:
    from edgeweave.workflow.dag import DAG, TaskSpec

    ids = [f"c{i:05d}" for i in range(n)]
    tasks = {ids[0]: TaskSpec(ids[0], callable_ref=NOOP_REF)}
    for prev, tid in zip(ids, ids[1:]):
        tasks[tid] = TaskSpec(tid, callable_ref=NOOP_REF, kwargs={"prev": {"$task": prev}},
                              upstream=[prev])
    return DAG("bench_chain", tasks)


def fanout_dag(n: int) -> Any:
    from edgeweave.workflow.dag import DAG, TaskSpec

    mids = [f"f{i:05d}" for i in range(n)]
    tasks = {"root": TaskSpec("root", callable_ref=NOOP_REF)}
    for tid in mids:
        tasks[tid] = TaskSpec(tid, callable_ref=NOOP_REF, kwargs={"root": {"$task": "root"}},
                              upstream=["root"])
    tasks["join"] = TaskSpec("join", callable_ref=NOOP_REF,
                             kwargs={"parts": [{"$task": t} for t in mids]}, upstream=mids)
    return DAG("bench_fanout", tasks)


@contextlib.contextmanager
def fresh_home() -> Iterator[Path]:
    """A temporary EDGEWEAVE_HOME (so a fresh SQLite file), restored afterwards."""
    old = os.environ.get("EDGEWEAVE_HOME")
    old_url = os.environ.pop("EDGEWEAVE_DB_URL", None)
    with tempfile.TemporaryDirectory(prefix="edgeweave-bench-") as home:
        os.environ["EDGEWEAVE_HOME"] = home
        try:
            yield Path(home)
        finally:
            if old is None:
                os.environ.pop("EDGEWEAVE_HOME", None)
            else:
                os.environ["EDGEWEAVE_HOME"] = old
            if old_url is not None:
                os.environ["EDGEWEAVE_DB_URL"] = old_url


def edgeweave_run(dag: Any, parallelism: int | None, handoffs: bool) -> Sample:
    """Trigger one run of ``dag`` on a fresh store and scheduler; time it; read timestamps."""
    from edgeweave.store import repository as repo
    from edgeweave.store.db import open_store
    from edgeweave.workflow.executors.local import LocalExecutor
    from edgeweave.workflow.scheduler import Scheduler

    with fresh_home():
        engine = open_store()
        scheduler = Scheduler(engine, {dag.dag_id: dag}, LocalExecutor(parallelism=parallelism))
        try:
            scheduler.start()  # executor up, DAG recorded: not part of a run's cost
            t0 = time.perf_counter()
            run_id = scheduler.trigger(dag.dag_id, {})
            t1 = time.perf_counter()
            scheduler.run_until_idle(timeout=600)
            t2 = time.perf_counter()
            rows = repo.task_instances(engine, run_id)
            state = repo.get_run(engine, run_id).state
        finally:
            scheduler.close()
            engine.dispose()
    bad = [r.task_id for r in rows if r.state != "success"]
    if state != "success" or bad:
        raise RuntimeError(f"EdgeWeave run {run_id} ended {state}; {len(bad)} task(s) not successful, "
                           f"e.g. {bad[:3]}")
    sample = Sample(len(rows), t2 - t0, t2 - t1)
    if handoffs:
        by_id = {r.task_id: r for r in rows}
        order = [tid for tid in dag.tasks]
        sample.handoffs_ms = [(by_id[b].started_at - by_id[a].ended_at).total_seconds() * 1000
                              for a, b in zip(order, order[1:])]
        sample.in_task_ms = [(r.ended_at - r.started_at).total_seconds() * 1000 for r in rows]
    return sample


def bench_edgeweave(args: argparse.Namespace) -> list[Row]:
    from edgeweave.workflow.executors.local import LocalExecutor

    par = LocalExecutor(parallelism=args.parallelism).parallelism
    print(f"EdgeWeave (LocalExecutor thread mode, parallelism {par}, SQLite, fresh store per run)",
          flush=True)
    chain, fan = chain_dag(args.chain), fanout_dag(args.fanout)
    edgeweave_run(chain_dag(20), args.parallelism, False)  # warm-up: imports, first DB file
    rows = [Row("EdgeWeave", "chain", repeat(args.repeat, "chain",
                                              lambda: edgeweave_run(chain, args.parallelism, True)),
                "hand-off measured from stored timestamps"),
            Row("EdgeWeave", "fan-out", repeat(args.repeat, "fan-out",
                                               lambda: edgeweave_run(fan, args.parallelism, False)),
                "excl. trigger = without run creation (10k task rows)")]
    if args.profile:
        profile_edgeweave(chain, fan, args.parallelism)
    return rows


def profile_edgeweave(chain: Any, fan: Any, parallelism: int | None) -> None:
    """cProfile one run of each shape: where the scheduler thread's time goes."""
    import cProfile
    import pstats

    for name, dag in (("chain", chain), ("fan-out", fan)):
        prof = cProfile.Profile()
        prof.enable()
        edgeweave_run(dag, parallelism, False)
        prof.disable()
        print(f"\n-- profile of one EdgeWeave {name} run (scheduler thread only) --")
        stats = pstats.Stats(prof, stream=sys.stdout)
        stats.sort_stats("cumulative").print_stats("edgeweave/", 14)
        stats.sort_stats("tottime").print_stats(8)


# -- Dask ----------------------------------------------------------------------------------------
def dask_run(shape: str, n: int, compute: Callable[[Any], Any]) -> Sample:
    from dask import delayed

    t0 = time.perf_counter()
    if shape == "chain":
        node = delayed(noop, pure=False)()
        for _ in range(n - 1):
            node = delayed(noop, pure=False)(node)
        tasks = n
    else:
        root = delayed(noop, pure=False)()
        mids = [delayed(noop, pure=False)(root) for _ in range(n)]
        node = delayed(noop, pure=False)(*mids)
        tasks = n + 2
    t1 = time.perf_counter()
    compute(node)
    t2 = time.perf_counter()
    return Sample(tasks, t2 - t0, t2 - t1)


def bench_dask(args: argparse.Namespace) -> list[Row]:
    try:
        import dask
    except ImportError:
        print("Dask: not installed (pip install 'edgeweave[bench]'); skipped", flush=True)
        return []
    print(f"Dask {dask.__version__} (dask.delayed, threaded scheduler, optimize_graph=False)", flush=True)

    def threaded(node: Any) -> Any:
        return node.compute(scheduler="threads", optimize_graph=False)

    dask_run("chain", 10, threaded)
    rows = [Row("Dask threads", "chain", repeat(args.repeat, "chain",
                                                 lambda: dask_run("chain", args.chain, threaded))),
            Row("Dask threads", "fan-out", repeat(args.repeat, "fan-out",
                                                  lambda: dask_run("fan-out", args.fanout, threaded)))]
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        print("Dask distributed: not installed; LocalCluster skipped", flush=True)
        return rows
    print("Dask distributed LocalCluster (1 worker, 2 threads, in-process)", flush=True)
    try:
        with LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                          dashboard_address=None) as cluster, Client(cluster) as client:

            def distributed(node: Any) -> Any:
                return client.compute(node, optimize_graph=False).result()

            dask_run("chain", 10, distributed)
            rows += [Row("Dask distributed", "chain", repeat(
                         args.repeat, "chain", lambda: dask_run("chain", args.chain, distributed))),
                     Row("Dask distributed", "fan-out", repeat(
                         args.repeat, "fan-out", lambda: dask_run("fan-out", args.fanout, distributed)))]
    except Exception as exc:  # optional contender: report and go on
        print(f"Dask distributed failed: {type(exc).__name__}: {exc}", flush=True)
    return rows


# -- Ray (in a child process) ------------------------------------------------------------------------
def ray_child(chain: int, fanout: int, repeats: int) -> None:
    """Entry of the child process: run the Ray measurements, print one JSON line."""
    import ray

    t = time.perf_counter()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    init_s = time.perf_counter() - t
    remote_noop = ray.remote(noop)
    ray.get([remote_noop.remote() for _ in range(8)])  # warm-up: start the workers

    def run(shape: str) -> dict[str, float]:
        t0 = time.perf_counter()
        if shape == "chain":
            ref = remote_noop.remote()
            for _ in range(chain - 1):
                ref = remote_noop.remote(ref)
            tasks = chain
        else:
            root = remote_noop.remote()
            mids = [remote_noop.remote(root) for _ in range(fanout)]
            ref = remote_noop.remote(*mids)
            tasks = fanout + 2
        ray.get(ref)
        return {"tasks": tasks, "wall_s": time.perf_counter() - t0}

    out: dict[str, Any] = {"version": ray.__version__, "init_s": init_s, "chain": [], "fan-out": []}
    for shape in ("chain", "fan-out"):
        for _ in range(repeats):
            out[shape].append(run(shape))
    ray.shutdown()
    print("RAY_RESULT " + json.dumps(out), flush=True)


def bench_ray(args: argparse.Namespace) -> list[Row]:
    cmd = [sys.executable, str(HERE), "--ray-child", "--chain", str(args.chain),
           "--fanout", str(args.fanout), "--repeat", str(args.repeat)]
    print("Ray core tasks (child process, ray.init(num_cpus=2, include_dashboard=False))", flush=True)
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=RAY_TIMEOUT_S,
                              env={**os.environ, "RAY_DISABLE_USAGE_STATS": "1"})
    except subprocess.TimeoutExpired:
        print(f"Ray: UNAVAILABLE — did not finish within {RAY_TIMEOUT_S} s; skipped", flush=True)
        return []
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("RAY_RESULT ")), None)
    if line is None:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        print(f"Ray: UNAVAILABLE — child exited {proc.returncode}: {' | '.join(tail) or 'no output'}; "
              "skipped (pip install 'edgeweave[bench]' if it is missing)", flush=True)
        return []
    data = json.loads(line.removeprefix("RAY_RESULT "))
    print(f"  ray {data['version']}, ray.init took {data['init_s']:.1f} s (not counted)")
    rows = []
    for shape in ("chain", "fan-out"):
        samples = [Sample(int(s["tasks"]), float(s["wall_s"])) for s in data[shape]]
        for i, s in enumerate(samples):
            print(f"  {shape} [{i + 1}/{len(samples)}] {s.tasks} tasks in {s.wall_s:.3f} s "
                  f"({s.tasks / s.wall_s:,.0f} tasks/s)")
        rows.append(Row("Ray", shape, samples))
    return rows


# -- idle scheduler RSS ----------------------------------------------------------------------------
IDLE_SCHEDULER = textwrap.dedent("""
    import sys, threading
    from edgeweave.store.db import open_store
    from edgeweave.workflow.executors.local import LocalExecutor
    from edgeweave.workflow.scheduler import Scheduler
    from edgeweave.workflow.service import load_dags
    engine = open_store()
    bag = load_dags()
    scheduler = Scheduler(engine, bag.dags, LocalExecutor())
    scheduler.start()
    print("READY", len(bag.dags), len(bag.import_errors), flush=True)
    scheduler.run_forever(threading.Event())
""")


def status_kb(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {key} in /proc/{pid}/status")


def idle_rss_once(settle_s: float = 2.0) -> tuple[float, float, float, str]:
    """(VmRSS MB after ``settle_s``, VmHWM MB, seconds to ready, DAG count text)."""
    with tempfile.TemporaryDirectory(prefix="edgeweave-bench-rss-") as home:
        env = {k: v for k, v in os.environ.items() if k not in ("EDGEWEAVE_DAGS", "EDGEWEAVE_DB_URL")}
        env["EDGEWEAVE_HOME"] = home
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-c", IDLE_SCHEDULER], cwd=home, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            assert proc.stdout is not None
            ready = proc.stdout.readline().split()
            ready_s = time.perf_counter() - t0
            if not ready or ready[0] != "READY":
                err = proc.stderr.read() if proc.stderr else ""
                raise RuntimeError(f"idle scheduler did not start: {err.strip()[-300:]}")
            time.sleep(settle_s)
            rss = status_kb(proc.pid, "VmRSS") / 1024
            hwm = status_kb(proc.pid, "VmHWM") / 1024
        finally:
            proc.kill()
            proc.wait()
    return rss, hwm, ready_s, f"{ready[1]} DAGs loaded, {ready[2]} import errors"


def bench_idle_rss(repeats: int) -> dict[str, Any] | None:
    print("Scheduler idle RSS (fresh `python -c` process: store + bundled DAGs + Scheduler + "
          "LocalExecutor, idle in run_forever)", flush=True)
    try:
        runs = [idle_rss_once() for _ in range(repeats)]
    except Exception as exc:
        print(f"  failed: {type(exc).__name__}: {exc}", flush=True)
        return None
    for i, (rss, hwm, ready_s, dags) in enumerate(runs):
        print(f"  [{i + 1}/{repeats}] VmRSS {rss:.1f} MB, VmHWM {hwm:.1f} MB, ready in {ready_s:.2f} s "
              f"({dags})", flush=True)
    return {"rss": statistics.median(r[0] for r in runs), "hwm": statistics.median(r[1] for r in runs),
            "ready_s": statistics.median(r[2] for r in runs), "dags": runs[0][3]}


# -- report ---------------------------------------------------------------------------------------
def print_report(rows: list[Row], rss: dict[str, Any] | None, repeats: int) -> None:
    header = (f"{'system':<17} {'shape':<8} {'tasks':>6} {'wall s':>7} {'tasks/s':>8} "
              f"{'(min-max)':>13} {'excl.trig':>9} {'handoff ms':>10} {'p95 ms':>7}")
    print(f"\n== Results (median of {repeats} repeats) ==")
    print(header)
    print("-" * len(header))
    for row in rows:
        tps = row.tps()
        excl = row.tps_exec_median()
        med, p95, measured = row.handoff()
        hand = f"{med:.3f}" if measured else f"~{med:.3f}"
        p95s = f"{p95:.3f}" if measured else "-"
        print(f"{row.system:<17} {row.shape:<8} {row.tasks:>6} {row.wall_median():>7.3f} "
              f"{row.tps_median():>8,.0f} {f'({min(tps):,.0f}-{max(tps):,.0f})':>13} "
              f"{(f'{excl:,.0f}' if excl else '-'):>9} {hand:>10} {p95s:>7}")
    print("handoff: EdgeWeave = next task's stored start minus previous task's stored end (chain);\n"
          "         ~ = wall / tasks, an approximation (Dask and Ray record no per-task times).\n"
          "excl.trig: EdgeWeave without run creation (trigger: the run and task rows written);\n"
          "           Dask without building the delayed graph; Ray submits as it runs (-).")

    ew = {r.shape: r for r in rows if r.system == "EdgeWeave"}
    if "chain" in ew:
        chain = ew["chain"]
        per_task = chain.wall_median() / chain.tasks * 1000
        in_task = statistics.median(statistics.median(s.in_task_ms) for s in chain.samples)
        print(f"EdgeWeave chain: {per_task:.3f} ms per task (wall / tasks) ~ hand-off "
              f"{chain.handoff()[0]:.3f} ms + in-task {in_task:.3f} ms (medians)\n"
              "  hand-off: the scheduler takes the worker's event, commits, submits the next task,\n"
              "  a thread picks it up; in-task: stored start to end of a no-op (resolve the callable,\n"
              "  load the upstream value, call, store the result ref)")
    others = [r for r in rows if r.system != "EdgeWeave"]
    if ew and others:
        print("\n== EdgeWeave vs others (tasks/s ratio, > 1 means EdgeWeave is faster) ==")
        for other in others:
            mine = ew.get(other.shape)
            if mine:
                ratio = mine.tps_median() / other.tps_median()
                print(f"  {other.shape:<8} EdgeWeave / {other.system:<17} = {ratio:6.2f}x  "
                      f"({mine.tps_median():,.0f} vs {other.tps_median():,.0f} tasks/s)")

    print("\n== Targets (issue 3, item 12) ==")
    if "chain" in ew:
        med = ew["chain"].handoff()[0]
        print(f"  chain hand-off median <= {TARGET_HANDOFF_MS:g} ms: {med:.3f} ms  "
              f"{'PASS' if med <= TARGET_HANDOFF_MS else 'FAIL'}")
    if "fan-out" in ew:
        tps = ew["fan-out"].tps_median()
        excl = ew["fan-out"].tps_exec_median() or tps
        print(f"  fan-out >= {TARGET_FANOUT_TPS:,.0f} tasks/s (incl. trigger): {tps:,.0f} tasks/s  "
              f"{'PASS' if tps >= TARGET_FANOUT_TPS else 'FAIL'}  (excl. trigger: {excl:,.0f})")
    if rss:
        print(f"  idle RSS <= {TARGET_RSS_MB:g} MB: {rss['rss']:.1f} MB  "
              f"{'PASS' if rss['rss'] <= TARGET_RSS_MB else 'FAIL'}  (peak {rss['hwm']:.1f} MB, "
              f"ready in {rss['ready_s']:.2f} s; {rss['dags']})")
        print("    this is the scheduler process alone: the web server does not exist yet, so the\n"
              "    issue's 'server idle RSS' must be re-measured once it does.")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--chain", type=int, default=1000, help="tasks in the chain (default 1000)")
    p.add_argument("--fanout", type=int, default=10_000,
                   help="parallel tasks between root and join (default 10000)")
    p.add_argument("--repeat", type=int, default=3, help="runs per measurement; medians reported")
    p.add_argument("--parallelism", type=int, default=None,
                   help="LocalExecutor parallelism (default: the executor's own default)")
    p.add_argument("--skip-dask", action="store_true")
    p.add_argument("--skip-ray", action="store_true")
    p.add_argument("--skip-rss", action="store_true", help="skip the idle scheduler RSS measurement")
    p.add_argument("--profile", action="store_true",
                   help="also cProfile one EdgeWeave run of each shape and print the hot spots")
    p.add_argument("--ray-child", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.chain < 2 or args.fanout < 1 or args.repeat < 1:
        p.error(f"need --chain >= 2, --fanout >= 1, --repeat >= 1; got --chain {args.chain} "
                f"--fanout {args.fanout} --repeat {args.repeat}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.ray_child:
        ray_child(args.chain, args.fanout, args.repeat)
        return 0
    started = time.perf_counter()
    print(f"workflow overhead: chain {args.chain}, fan-out 1 -> {args.fanout} -> 1, {args.repeat} "
          f"repeats; Python {sys.version.split()[0]}, {os.cpu_count()} CPUs\n", flush=True)
    rows = bench_edgeweave(args)
    if not args.skip_dask:
        rows += bench_dask(args)
    if not args.skip_ray:
        rows += bench_ray(args)
    rss = None if args.skip_rss else bench_idle_rss(args.repeat)
    print_report(rows, rss, args.repeat)
    print(f"\ntotal bench time {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
