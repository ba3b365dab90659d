#!/usr/bin/env python3
"""executor_vs_ort: gsctl's Swift executor against onnxruntime (CPU, FP32, default session
options, all threads) on the four real models, same realistic inputs, interleaved rounds.

Run by run.sh (see there for the knobs). For each model: the inputs are preprocessed with
numpy/OpenCV the way the model's own pipeline does, both runtimes' outputs must agree
(max|diff| <= 1e-4 * max|ref| + 1e-6, per output) before anything is timed, then R rounds
alternate our runner (a `--serve` process, model loaded once) and onnxruntime over the same
samples (ABBA order). Per-sample milliseconds: min and median over every run. PASS when our
median is within 3x of onnxruntime's. A profile pass then charges time per op type on both
sides (ours: time between node outputs; onnxruntime: its own profiler's kernel times).

Exit status: 0 when every model passes and agrees, 1 otherwise, 2 for a harness error.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict

import cv2
import numpy as np
import onnxruntime as ort

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
import benchlib as bl  # noqa: E402

TARGET_RATIO = 3.0
MODELS = "/work/shared/models"


def model_path(name: str) -> str:
    for base in (os.environ.get("GS_MODELS", ""), MODELS, os.path.join(bl.REPO, "Specs", "models")):
        if base and os.path.exists(os.path.join(base, name)):
            return os.path.join(base, name)
    raise SystemExit(f"executor_vs_ort: cannot find {name} (set GS_MODELS, or run `make models`)")


def text_lines() -> list[tuple[np.ndarray, str]]:
    folder = os.path.join(bl.REPO, "Specs", "data", "text-lines")
    return [(cv2.imread(p, cv2.IMREAD_COLOR), os.path.basename(p)) for p in sorted(glob.glob(f"{folder}/*.png"))]


def cases(samples: int) -> list[dict]:
    """The models, their inputs (samples x realistic preprocessed tensors) and where from."""
    lines = text_lines()
    frames = sorted(glob.glob(os.path.join(bl.REPO, "Specs", "data", "vtest-frames", "*.jpg")))
    pages = [os.path.join(bl.OPENCV_DATA, n) for n in ("imageTextN.png", "imageTextR.png", "licenseplate_motion.jpg",
                                                       "notes.png", "building.jpg", "sudoku.png", "messi5.jpg",
                                                       "fruits.jpg")]
    pages = [p for p in pages if os.path.exists(p)]
    out = []
    step = max(1, len(lines) // samples)
    pick = [lines[i] for i in range(0, len(lines), step)][:samples]
    out.append({"model": "ppocr_cls", "file": "ppocr_cls.onnx", "input": "x", "shape": "1x3x48x192",
                "data": "Specs/data/text-lines (PP-OCR cls preprocessing)",
                "x": np.stack([bl.ppocr_line(img, 192) for img, _ in pick])})
    out.append({"model": "ppocrv4_rec", "file": "ppocrv4_rec.onnx", "input": "x", "shape": "1x3x48x320",
                "data": "Specs/data/text-lines (PP-OCR rec preprocessing)",
                "x": np.stack([bl.ppocr_line(img, 320) for img, _ in pick])})
    stacks = []
    for i in range(samples):
        group = [lines[(i * 3 + k) % len(lines)][0] for k in range(3)]
        stacks.append(bl.ppocr_det(bl.text_page(group), 640, 160))
    out.append({"model": "ppocrv4_det", "file": "ppocrv4_det.onnx", "input": "x", "shape": "1x3x160x640",
                "data": "3 text lines per page from Specs/data/text-lines",
                "x": np.stack(stacks)})
    big = [bl.ppocr_det(cv2.imread(pages[i % len(pages)], cv2.IMREAD_COLOR), 640, 640) for i in range(samples)]
    out.append({"model": "ppocrv4_det", "file": "ppocrv4_det.onnx", "input": "x", "shape": "1x3x640x640",
                "data": "OpenCV sample images (text, plates, scenes)", "x": np.stack(big)})
    step = max(1, len(frames) // samples)
    chosen = frames[::step][:samples]
    out.append({"model": "ssdlite_person", "file": "ssdlite_person.onnx", "input": "image_tensor:0",
                "shape": "1x300x300x3 uint8", "data": "Specs/data/vtest-frames (RGB 300x300)",
                "x": np.stack([bl.ssd_frame(cv2.imread(p, cv2.IMREAD_COLOR)) for p in chosen])})
    for c in out:
        c["key"] = f"{c['model']} {c['shape'].split()[0]}"
        c["path"] = model_path(c["file"])
    return out


class Runner:
    """Our executor in a `runner --serve` process: the model loaded once, one command a pass."""

    def __init__(self, binary: str, model: str, inputs: str, outputs: str):
        self.proc = subprocess.Popen([binary, model, inputs, "--serve", "--warmup", "1", "--out", outputs],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, bufsize=1)
        self.load_ms = None
        self.warmup: list[float] = []
        while True:
            line = self._line()
            if line.startswith("load "):
                self.load_ms = float(line.split()[1])
            elif line.startswith("warmup "):
                self.warmup.append(float(line.split()[2]))
            elif line.startswith("wrote "):
                break

    def _line(self) -> str:
        line = self.proc.stdout.readline()
        if not line:
            err = self.proc.stderr.read()
            raise RuntimeError(f"runner exited ({self.proc.wait()}): {err[-3000:]}")
        return line.strip()

    def command(self, what: str) -> list[str]:
        self.proc.stdin.write(what + "\n")
        self.proc.stdin.flush()
        lines = []
        while (line := self._line()) != "done":
            lines.append(line)
        return lines

    def timed_pass(self) -> list[float]:
        return [float(ln.split()[3]) for ln in self.command("pass") if ln.startswith("run ")]

    def profile(self) -> dict:
        result = {}
        for ln in self.command("profile"):
            _, op, ms, nodes = ln.split()
            result[op] = {"ms": float(ms), "nodes": int(nodes)}
        return result

    def close(self):
        try:
            self.proc.stdin.write("quit\n")
            self.proc.stdin.flush()
        except BrokenPipeError:
            pass
        self.proc.wait(timeout=30)


def read_outputs(path: str, count: int) -> list[dict]:
    data = np.load(path)
    per = [dict() for _ in range(count)]
    for key in data.files:
        name, index = key.rsplit("@", 1)
        name = name.replace("%2F", "/").replace("%25", "%")
        per[int(index)][name] = data[key]
    return per


def agreement(ours: list[dict], ref: list[dict], names: list[str]) -> tuple[bool, list[str]]:
    problems = []
    for i, (o, r) in enumerate(zip(ours, ref)):
        for name, want in zip(names, r):
            got = o.get(name)
            if got is None:
                problems.append(f"sample {i}: output {name} missing")
                continue
            want = np.asarray(want)
            if got.shape != want.shape:
                problems.append(f"sample {i}: {name} shape {got.shape} vs onnxruntime {want.shape}")
                continue
            diff = float(np.max(np.abs(got.astype(np.float64) - want.astype(np.float64)))) if want.size else 0.0
            scale = float(np.max(np.abs(want.astype(np.float64)))) if want.size else 0.0
            if diff > 1e-4 * scale + 1e-6:
                problems.append(f"sample {i}: {name} max|diff| {diff:.3g} > 1e-4 * {scale:.3g} + 1e-6")
    return not problems, problems


def ort_profile(path: str, feeds: list[dict], runs: int) -> dict:
    """onnxruntime's own per-op kernel times (its profiler), ms per pass over the samples."""
    so = ort.SessionOptions()
    so.enable_profiling = True
    with tempfile.TemporaryDirectory() as tmp:
        so.profile_file_prefix = os.path.join(tmp, "ort")
        sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
        for f in feeds:  # warm-up, also profiled: skip by counting only later runs
            sess.run(None, f)
        t0 = time.perf_counter()
        for _ in range(runs):
            for f in feeds:
                sess.run(None, f)
        profile = sess.end_profiling()
        with open(profile, encoding="utf-8") as fh:
            events = json.load(fh)
    # Model-run events mark where the timed runs start: skip the first len(feeds) runs.
    runs_seen = 0
    start_ts = None
    for e in events:
        if e.get("cat") == "Session" and e.get("name") == "model_run":
            runs_seen += 1
            if runs_seen == len(feeds) + 1:
                start_ts = e["ts"]
                break
    per_op: dict[str, float] = defaultdict(float)
    nodes: dict[str, set] = defaultdict(set)
    for e in events:
        if e.get("cat") != "Node" or not e.get("name", "").endswith("_kernel_time"):
            continue
        if start_ts is not None and e["ts"] < start_ts:
            continue
        op = e.get("args", {}).get("op_name", "?")
        per_op[op] += e["dur"] / 1000.0
        nodes[op].add(e["name"])
    passes = runs * len(feeds)
    return {op: {"ms": ms / passes, "nodes": len(nodes[op])}
            for op, ms in sorted(per_op.items(), key=lambda kv: -kv[1])}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runner", required=True)
    ap.add_argument("--gsctl", default="")
    ap.add_argument("--out", required=True, help="work folder (bench/out/executor_vs_ort)")
    ap.add_argument("--json", required=True)
    ap.add_argument("--samples", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--only", default="", help="comma-separated model names")
    ap.add_argument("--skip-profile", action="store_true")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)

    m = bl.print_machine()
    versions = {"onnxruntime": ort.__version__, "numpy": np.__version__, "opencv": cv2.__version__}
    if args.gsctl:
        r = subprocess.run([args.gsctl, "version"], capture_output=True, text=True)
        versions["gsctl"] = (r.stdout or r.stderr).strip().splitlines()[0] if (r.stdout or r.stderr).strip() else "?"
    print("tools: " + "; ".join(f"{k} {v}" for k, v in versions.items()))
    print(f"onnxruntime: CPUExecutionProvider, default SessionOptions (intra-op threads = all {m['usable_cores']} "
          f"cores); ours: release runner, GSExec kernels on every core")
    print(f"samples per model: {args.samples}; interleaved rounds: {args.rounds}; target: ours/ort median <= "
          f"{TARGET_RATIO:g}x\n", flush=True)

    chosen = cases(args.samples)
    if args.only:
        wanted = set(args.only.split(","))
        chosen = [c for c in chosen if c["model"] in wanted or c["key"] in wanted]
    results = []
    ok_all = True
    for c in chosen:
        print(f"== {c['key']}: {len(c['x'])} samples of {c['data']}", flush=True)
        tag = c["key"].replace(" ", "_")
        inputs = os.path.join(args.out, f"{tag}.inputs.npz")
        outputs = os.path.join(args.out, f"{tag}.ours.npz")
        np.savez(inputs, **{c["input"]: c["x"]})
        feeds = [{c["input"]: c["x"][i]} for i in range(len(c["x"]))]

        t0 = time.perf_counter()
        sess = ort.InferenceSession(c["path"], providers=["CPUExecutionProvider"])
        ort_load_ms = (time.perf_counter() - t0) * 1e3
        names = [o.name for o in sess.get_outputs()]
        ref = [sess.run(None, f) for f in feeds]  # also onnxruntime's warm-up
        try:
            runner = Runner(args.runner, c["path"], inputs, outputs)
        except RuntimeError as e:
            bl.banner(f"{c['key']}: our runner failed: {e}")
            results.append({"key": c["key"], "model": c["model"], "error": str(e), "pass": False})
            ok_all = False
            continue
        ours_out = read_outputs(outputs, len(feeds))
        agree, problems = agreement(ours_out, ref, names)
        print(f"agreement: {'OK' if agree else 'FAILED'} ({len(feeds)} samples, {len(names)} outputs each)")
        for p in problems[:10]:
            print(f"   {p}")
        if not agree:
            bl.banner(f"{c['key']}: outputs differ from onnxruntime; not timed")
            runner.close()
            results.append({"key": c["key"], "model": c["model"], "agree": False, "problems": problems[:50],
                            "pass": False})
            ok_all = False
            continue

        ours_ms: list[float] = []
        ort_ms: list[float] = []
        share = bl.CpuShare(pids=[runner.proc.pid])
        for rnd in range(args.rounds):
            order = ("ours", "ort") if rnd % 2 == 0 else ("ort", "ours")
            parts = []
            for who in order:
                if who == "ours":
                    t = runner.timed_pass()
                    ours_ms += t
                else:
                    t = []
                    for f in feeds:
                        s = time.perf_counter()
                        sess.run(None, f)
                        t.append((time.perf_counter() - s) * 1e3)
                    ort_ms += t
                parts.append(f"{who} {statistics.median(t):.2f}")
            print(f"round {rnd + 1}: median ms/sample " + ", ".join(parts), flush=True)
        others = share.stop()
        ours_s, ort_s = bl.summary(ours_ms), bl.summary(ort_ms)
        ratio = ours_s["median"] / ort_s["median"]
        passed = ratio <= TARGET_RATIO
        ok_all &= passed
        entry = {"key": c["key"], "model": c["model"], "file": c["file"], "input_shape": c["shape"],
                 "data": c["data"], "samples": len(feeds), "rounds": args.rounds, "agree": True,
                 "ours_ms": ours_s, "ort_ms": ort_s, "ratio_median": ratio,
                 "ratio_min": ours_s["min"] / ort_s["min"], "pass": passed,
                 "ours_load_ms": runner.load_ms, "ort_load_ms": ort_load_ms,
                 "other_processes_cpu_share": others}
        if not args.skip_profile:
            ours_prof = runner.profile()
            ort_prof = ort_profile(c["path"], feeds, 1)
            entry["profile"] = {"ours": ours_prof, "ort": ort_prof}
        runner.close()
        print(f"ours {ours_s['median']:.2f} ms (min {ours_s['min']:.2f}), onnxruntime {ort_s['median']:.2f} ms "
              f"(min {ort_s['min']:.2f}): {ratio:.2f}x; other processes used {others:.0%} of the CPU\n", flush=True)
        results.append(entry)

    # The table.
    print(f"\n{'model':26} {'samples':>7} {'ours min':>9} {'ours med':>9} {'ort min':>8} {'ort med':>8} "
          f"{'ratio':>6} {'load ours/ort ms':>17} {'others':>6}  target <= {TARGET_RATIO:g}x")
    for r in results:
        if "ours_ms" not in r:
            print(f"{r['key']:26} {'-':>7}  {'(error or disagreement: not timed)'}")
            continue
        print(f"{r['key']:26} {r['samples']:7d} {r['ours_ms']['min']:9.2f} {r['ours_ms']['median']:9.2f} "
              f"{r['ort_ms']['min']:8.2f} {r['ort_ms']['median']:8.2f} {r['ratio_median']:5.2f}x "
              f"{r['ours_load_ms']:8.0f}/{r['ort_load_ms']:<8.0f} {r['other_processes_cpu_share']:6.0%}")
    print("(ms per sample, wall clock of one run; min/median over samples x rounds; ratio = ours median / "
          "onnxruntime median; others = CPU share other processes used while timing)")
    busy = max((r.get("other_processes_cpu_share", 0) for r in results), default=0)
    if busy > 0.15:
        bl.banner(f"the machine was busy (up to {busy:.0%} of its CPU went to other processes): times are inflated")

    # Where our executor spends its time, next to onnxruntime's kernels.
    for r in results:
        prof = r.get("profile")
        if not prof:
            continue
        ours_total = sum(v["ms"] for v in prof["ours"].values())
        ort_total = sum(v["ms"] for v in prof["ort"].values())
        print(f"\nprofile {r['key']}: ours {ours_total:.2f} ms/sample in nodes, onnxruntime {ort_total:.2f} ms/sample "
              f"in kernels (its fused ops: FusedConv = Conv+activation, etc.)")
        print(f"  {'ours: op':22} {'ms':>8} {'share':>6} {'nodes':>5}    {'onnxruntime: op':22} {'ms':>8} {'share':>6} "
              f"{'nodes':>5}")
        a = list(prof["ours"].items())[:12]
        b = list(prof["ort"].items())[:12]
        for i in range(max(len(a), len(b))):
            left = (f"  {a[i][0]:22} {a[i][1]['ms']:8.2f} {a[i][1]['ms'] / ours_total:6.0%} {a[i][1]['nodes']:5d}"
                    if i < len(a) else " " * 45)
            right = (f"    {b[i][0]:22} {b[i][1]['ms']:8.2f} {b[i][1]['ms'] / ort_total:6.0%} {b[i][1]['nodes']:5d}"
                     if i < len(b) and ort_total > 0 else "")
            print(left + right)

    print()
    checks = []
    for r in results:
        if "ours_ms" in r:
            detail = f"{r['ratio_median']:.2f}x ({r['ours_ms']['median']:.2f} vs {r['ort_ms']['median']:.2f} ms median)"
        else:
            detail = "not timed: " + ("outputs differ" if r.get("agree") is False else r.get("error", "error")[:200])
        checks.append({"name": f"{r['key']}: our executor within {TARGET_RATIO:g}x of onnxruntime FP32",
                       "pass": bool(r["pass"]), "detail": detail})
    for ch in checks:
        print(f"{'PASS' if ch['pass'] else 'FAIL'}  {ch['name']}: {ch['detail']}")

    payload = {"benchmark": "executor_vs_ort", "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "machine": m,
               "versions": versions, "samples": args.samples, "rounds": args.rounds, "target_ratio": TARGET_RATIO,
               "tolerance": "max|diff| <= 1e-4 * max|ref| + 1e-6 per output", "results": results, "checks": checks}
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    with open(args.json, "w", encoding="utf-8") as f:
        json.dump(payload, f, indent=1, default=float)
        f.write("\n")
    print(f"\nresults: {args.json}")
    return 0 if ok_all and results else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
