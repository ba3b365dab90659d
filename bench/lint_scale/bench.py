#!/usr/bin/env python3
"""lint_scale harness: agreement check, then side-by-side timing (standard library only).

Run by run.sh after generate.py; see run.sh for the knobs. Exit status: 0 when every target
passes and the tools agree, 1 otherwise (2 for a harness error).
"""

from __future__ import annotations

import argparse
import bisect
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict

SCHEMA_CODES = re.compile(r"GS[12]\d\d$")  # files/YAML (GS1xx) and schema (GS2xx) findings

TARGETS = {
    "lint_seconds": 1.0,  # gsctl lint of the whole repository, median
    "speedup_vs_check_jsonschema": 10.0,
    "lint_peak_mb": 100.0,
    "plan_seconds": 1.0,  # gsctl plan of the 10,000-task workflow, median
}


def banner(text: str) -> None:
    line = "!" * 78
    print(f"\n{line}\n!! {text}\n{line}")


class Run:
    """One finished child process: wall seconds, its own peak RSS (wait4), output."""

    argv: list[str]
    seconds: float
    returncode: int
    stdout: bytes
    stderr: bytes
    peak_mb: float
    cpu_s: float

    @property
    def crashed(self) -> bool:
        return self.returncode < 0 or self.returncode >= 128


PEAK_PROBE = "/usr/bin/time"  # GNU time (Debian's `time`), the child's peak RSS


def run_tool(argv, cwd, capture=True, env=None) -> Run:
    """Popen + wait4 for the CPU time; the peak RSS from GNU time (`%M`), which forks the tool
    from its own small process. wait4's ru_maxrss cannot be used: Linux carries the peak of
    the memory a process had before exec into it, and a child of this Python process starts
    with this process's memory (fork, vfork or posix_spawn alike), so every tool would
    report at least the bench's own size."""
    out = subprocess.PIPE if capture else subprocess.DEVNULL
    peak_file = tempfile.NamedTemporaryFile(prefix="gsctl-peak-", delete=False)
    peak_file.close()
    probe = [PEAK_PROBE, "-q", "-f", "%M", "-o", peak_file.name] if os.access(PEAK_PROBE, os.X_OK) else []
    start = time.perf_counter()
    proc = subprocess.Popen(probe + argv, cwd=cwd, stdout=out, stderr=subprocess.PIPE, env=env)
    chunks_out: list[bytes] = []
    chunks_err: list[bytes] = []
    if capture:
        def pump(stream, sink):
            for block in iter(lambda: stream.read(1 << 16), b""):
                sink.append(block)

        threads = [threading.Thread(target=pump, args=(proc.stdout, chunks_out)),
                   threading.Thread(target=pump, args=(proc.stderr, chunks_err))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    else:
        chunks_err.append(proc.stderr.read())
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    r = Run()
    r.argv, r.seconds, r.returncode = argv, seconds, proc.returncode
    r.stdout, r.stderr = b"".join(chunks_out), b"".join(chunks_err)
    try:
        with open(peak_file.name) as handle:
            lines = handle.read().split()
        r.peak_mb = int(lines[-1]) / 1024.0 if probe and lines else float("nan")
    except (OSError, ValueError):
        r.peak_mb = float("nan")
    finally:
        os.unlink(peak_file.name)
    r.cpu_s = usage.ru_utime + usage.ru_stime
    return r


# ---------------------------------------------------------------------------------------
# Mapping findings back to documents.


class DocumentMap:
    def __init__(self, manifest: dict):
        self.docs = manifest["documents"]
        self.by_id = {d["id"]: d for d in self.docs}
        self.by_split = {d["split"]: d for d in self.docs}
        per_file: dict[str, list[dict]] = defaultdict(list)
        for d in self.docs:
            per_file[d["file"]].append(d)
        self.per_file = {f: sorted(ds, key=lambda d: d["first_line"]) for f, ds in per_file.items()}
        self.starts = {f: [d["first_line"] for d in ds] for f, ds in self.per_file.items()}

    def repo(self, file: str, line: int):
        ds = self.per_file.get(file)
        if not ds:
            return None
        i = bisect.bisect_right(self.starts[file], line) - 1
        if i < 0:
            return None
        d = ds[i]
        return d if d["first_line"] <= line <= d["last_line"] else None

    def split(self, file: str):
        return self.by_split.get(file)


def strip_prefix(path: str, prefix: str) -> str:
    return path[len(prefix):] if path.startswith(prefix) else path


def gsctl_findings(run: Run, docmap: DocumentMap, prefix: str, split: bool):
    """doc id -> [finding]; plus findings that map to no document."""
    report = json.loads(run.stdout)
    per_doc: dict[str, list[dict]] = defaultdict(list)
    unmapped = []
    for f in report["diagnostics"]:
        rel = strip_prefix(f["file"], prefix)
        doc = docmap.split(rel) if split else docmap.repo(rel, f["line"])
        if doc is None:
            unmapped.append(f)
        else:
            per_doc[doc["id"]].append(f)
    return report, per_doc, unmapped


def check_jsonschema_findings(run: Run, docmap: DocumentMap, prefix: str):
    report = json.loads(run.stdout)
    per_doc: dict[str, list[dict]] = defaultdict(list)
    unmapped = []
    for e in report.get("errors", []):
        doc = docmap.split(strip_prefix(e["filename"], prefix))
        (per_doc[doc["id"]].append(e) if doc else unmapped.append(e))
    for e in report.get("parse_errors", []):
        unmapped.append(e)
    return report, per_doc, unmapped


def describe_gsctl(findings) -> str:
    return "; ".join(f"{f['code']} {f['severity']} L{f['line']}: {f['message']}" for f in findings) or "(nothing)"


def describe_cj(errors) -> str:
    return "; ".join(f"{e['path']}: {e['message']}" for e in errors) or "(nothing)"


def agreement(args, docmap: DocumentMap, tools: dict, out: str) -> dict:
    """Runs every tool once on the same content and compares which documents are invalid."""
    problems: list[str] = []
    odd: list[str] = []
    manifest_invalid = {d["id"] for d in docmap.docs if d.get("codes")}
    valid_probes = {d["id"] for d in docmap.docs if "error" in d and not d.get("codes")}

    print("\n== Agreement: which documents are invalid ==")
    lint = run_tool([tools["gsctl"], "lint", "repo", "--format", "json", "--no-files"], cwd=out)
    split_files = sorted(d["split"] for d in docmap.docs)
    lint_split = run_tool([tools["gsctl"], "lint", "split", "--format", "json", "--no-files"], cwd=out)
    lint_files = run_tool([tools["gsctl"], "lint", "repo", "--format", "json"], cwd=out)
    cj = run_tool([tools["check-jsonschema"], "--schemafile", "schema.json", "-o", "json"]
                  + [f"split/{f}" for f in split_files], cwd=out)
    for name, r, want in (("gsctl lint --no-files (repo)", lint, 1), ("gsctl lint --no-files (split)", lint_split, 1),
                          ("gsctl lint (repo, file checks on)", lint_files, 1), ("check-jsonschema", cj, 1)):
        if r.crashed:
            problems.append(f"{name} crashed (exit {r.returncode}): {r.stderr.decode(errors='replace')[-2000:]}")
        elif r.returncode != want:
            odd.append(f"{name} exited {r.returncode}, expected {want} (there are invalid documents)")
        if r.stderr.strip() and name.startswith("gsctl"):
            odd.append(f"{name} wrote to stderr: {r.stderr.decode(errors='replace')[:2000]}")
    if problems:
        for p in problems:
            banner(p)
        return {"ok": False, "problems": problems, "odd": odd}

    report, g_docs, g_unmapped = gsctl_findings(lint, docmap, "repo/", split=False)
    report_split, gs_docs, gs_unmapped = gsctl_findings(lint_split, docmap, "split/", split=True)
    report_files, gf_docs, gf_unmapped = gsctl_findings(lint_files, docmap, "repo/", split=False)
    cj_report, c_docs, c_unmapped = check_jsonschema_findings(cj, docmap, "split/")

    if report["files"] != len(docmap.per_file) or report["documents"] != len(docmap.docs):
        odd.append(f"gsctl counted {report['files']} files / {report['documents']} documents, "
                   f"the generator wrote {len(docmap.per_file)} / {len(docmap.docs)}")
    for label, unmapped in (("gsctl (repo)", g_unmapped), ("gsctl (split)", gs_unmapped),
                            ("gsctl with file checks", gf_unmapped), ("check-jsonschema", c_unmapped)):
        for f in unmapped:
            problems.append(f"{label}: finding outside every document: {json.dumps(f)[:400]}")

    def invalid(per_doc, codes=SCHEMA_CODES):
        return {doc for doc, fs in per_doc.items()
                if any(f["severity"] == "error" and codes.match(f["code"]) for f in fs)}

    g_invalid = invalid(g_docs)
    c_invalid = set(c_docs)
    other_codes = Counter(f["code"] for fs in g_docs.values() for f in fs if not SCHEMA_CODES.match(f["code"]))
    warnings = Counter(f["code"] for fs in g_docs.values() for f in fs if f["severity"] != "error")
    if other_codes:
        problems.append(f"gsctl reported non-schema findings on a repository generated reference-clean: "
                        f"{dict(other_codes)} (a generator bug, or a gsctl rule bug)")
        for doc, fs in sorted(g_docs.items()):
            for f in fs:
                if not SCHEMA_CODES.match(f["code"]):
                    print(f"   {doc}: {f['code']} L{f['line']}: {f['message']}")
    extra_file_codes = Counter(f["code"] for fs in gf_docs.values() for f in fs) - Counter(
        f["code"] for fs in g_docs.values() for f in fs)
    if extra_file_codes:
        problems.append(f"file checks (no --no-files) added findings: {dict(extra_file_codes)}")
    if invalid(gs_docs) != g_invalid:
        problems.append("gsctl disagrees with itself: the split tree (one document per file) gives another "
                        f"invalid set: only in repo {sorted(g_invalid - invalid(gs_docs))[:10]}, "
                        f"only in split {sorted(invalid(gs_docs) - g_invalid)[:10]}")

    only_g = sorted(g_invalid - c_invalid)
    only_c = sorted(c_invalid - g_invalid)
    both = g_invalid & c_invalid
    print(f"documents: {len(docmap.docs)}; deliberately invalid: {len(manifest_invalid)}; edge-case probes: "
          f"{sum(1 for d in docmap.docs if d.get('probe'))} ({len(valid_probes)} of them meant valid)")
    print(f"gsctl lint: {len(g_invalid)} invalid documents ({report['summary']['errors']} errors, "
          f"{report['summary']['warnings']} warnings, {report['summary']['notes']} notes)")
    print(f"check-jsonschema: {len(c_invalid)} invalid documents ({len(cj_report.get('errors', []))} errors, "
          f"{len(cj_report.get('parse_errors', []))} parse errors)")
    print(f"both: {len(both)}; only gsctl: {len(only_g)}; only check-jsonschema: {len(only_c)}")
    if warnings:
        print(f"gsctl warnings/notes by code: {dict(warnings)}")

    # Per deliberate error: what each tool said.
    rows = []
    by_error: dict[str, list[dict]] = defaultdict(list)
    for d in docmap.docs:
        if "error" in d:
            by_error[d["error"]].append(d)
    code_misses = []
    for error, ds in by_error.items():
        g = sum(1 for d in ds if d["id"] in g_invalid)
        c = sum(1 for d in ds if d["id"] in c_invalid)
        for d in ds:
            got = {f["code"] for f in g_docs.get(d["id"], [])}
            if d["id"] in g_invalid and not set(d["codes"]) <= got:
                code_misses.append(f"{d['id']} ({error}): expected {d['codes']}, gsctl gave {sorted(got)}")
        want = len(ds) if ds[0].get("codes") else 0
        rows.append((error, ds[0]["kind"], len(ds), want, g, c, ds[0].get("probe", False)))
    print(f"\n{'deliberate edit':58} {'kind':10} {'docs':>4} {'meant':>5} {'gsctl':>5} {'c-js':>5}  (documents flagged)")
    for error, kind, n, want, g, c, probe in rows:
        flag = "" if g == c == want else ("   <-- DISAGREE" if g != c else "   <-- both differ from the generator")
        print(f"{error[:58]:58} {kind:10} {n:4d} {want:5d} {g:5d} {c:5d}{flag}")

    disagreements = []
    for doc in only_g + only_c:
        d = docmap.by_id[doc]
        disagreements.append({
            "document": doc, "kind": d["kind"], "name": d["name"], "split_file": d["split"],
            "deliberate": d.get("error"), "probe": d.get("probe", False),
            "gsctl": describe_gsctl(g_docs.get(doc, [])), "check_jsonschema": describe_cj(c_docs.get(doc, []))})
    missed = sorted(manifest_invalid - g_invalid - c_invalid)
    unexpected = sorted((g_invalid | c_invalid) - manifest_invalid)
    if disagreements:
        banner(f"DISAGREEMENT: gsctl and check-jsonschema differ on {len(disagreements)} document(s) "
               f"(a bug in the schema export or in the validator)")
        for x in disagreements:
            print(f"- {x['document']} ({x['kind']} {x['name']!r}; split file {x['split_file']})")
            print(f"    deliberate error: {x['deliberate'] or 'none (generated valid)'}")
            print(f"    gsctl:            {x['gsctl']}")
            print(f"    check-jsonschema: {x['check_jsonschema']}")
    if missed:
        banner(f"BOTH TOOLS MISSED {len(missed)} deliberately invalid document(s)")
        for doc in missed:
            print(f"- {doc}: {docmap.by_id[doc]['error']}")
    if unexpected:
        banner(f"{len(unexpected)} document(s) the generator meant to be valid were flagged")
        for doc in unexpected:
            print(f"- {doc}: gsctl: {describe_gsctl(g_docs.get(doc, []))}; "
                  f"check-jsonschema: {describe_cj(c_docs.get(doc, []))}")
    if code_misses:
        print("\nnote: gsctl flagged these with other codes than the generator expected:")
        for m in code_misses:
            print(f"  {m}")
    for p in problems:
        banner(p)
    for o in odd:
        banner(f"odd: {o}")
    agree = not disagreements and not problems
    print(f"\nagreement: {'OK' if agree else 'FAILED'}"
          + ("" if agree else " (see above)"))
    return {
        "ok": agree, "documents": len(docmap.docs), "deliberately_invalid": len(manifest_invalid),
        "gsctl_invalid": len(g_invalid), "check_jsonschema_invalid": len(c_invalid), "both": len(both),
        "only_gsctl": only_g, "only_check_jsonschema": only_c, "disagreements": disagreements,
        "missed_by_both": missed, "unexpected": unexpected, "gsctl_warnings": dict(warnings),
        "per_error": [{"error": e, "kind": k, "documents": n, "meant_invalid": w, "gsctl": g, "check_jsonschema": c,
                       "probe": p} for e, k, n, w, g, c, p in rows],
        "code_mismatches": code_misses, "problems": problems, "odd": odd,
    }


def check_plan(args, tools, out, manifest) -> dict:
    """One plan run: it must succeed and plan every task of the big workflow."""
    r = run_tool([tools["gsctl"], "plan", "plan10k", "--format", "json"], cwd=out)
    problems = []
    info = {}
    if r.returncode != 0:
        problems.append(f"gsctl plan exited {r.returncode}: {r.stderr.decode(errors='replace')[-3000:]}")
    else:
        plan = json.loads(r.stdout)
        workflows = plan.get("workflows", [])
        tasks = sum(len(level) for w in workflows for level in w["levels"])
        levels = sum(len(w["levels"]) for w in workflows)
        info = {"summary": plan.get("summary"), "tasks": tasks, "levels": levels, "bytes": len(r.stdout)}
        want = manifest["plan10k"]
        if tasks != want["tasks"] or levels != want["levels"]:
            problems.append(f"plan has {tasks} tasks in {levels} levels, generated {want['tasks']} in {want['levels']}")
        if r.stderr.strip():
            problems.append(f"gsctl plan wrote to stderr: {r.stderr.decode(errors='replace')[:1000]}")
    for p in problems:
        banner(p)
    print(f"plan10k: {info.get('tasks')} tasks in {info.get('levels')} levels, summary {info.get('summary')}, "
          f"{info.get('bytes', 0) / 1e6:.1f} MB of JSON")
    return {"ok": not problems, "problems": problems, **info}


def check_yamllint(tools, out, config) -> dict:
    r = run_tool([tools["yamllint"], "-c", config, "-f", "parsable", "repo"], cwd=out)
    lines = [ln for ln in r.stdout.decode(errors="replace").splitlines() if ln.strip()]
    rules = Counter(m.group(1) for ln in lines if (m := re.search(r"\(([-a-z]+)\)$", ln)))
    print(f"yamllint: exit {r.returncode}, {len(lines)} problems" + (f" by rule {dict(rules)}" if rules else ""))
    for ln in lines[:10]:
        print(f"   {ln}")
    return {"exit": r.returncode, "problems": len(lines), "by_rule": dict(rules)}


# ---------------------------------------------------------------------------------------
# Timing.


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def busy_seconds() -> float:
    """CPU seconds all processes of the machine spent so far (/proc/stat, all cores)."""
    try:
        with open("/proc/stat", encoding="utf-8") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
    except OSError:
        return 0.0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def timing(args, tools, out, manifest, yamllint_config, machine_busy) -> list[dict]:
    split_files = [f"split/{d['split']}" for d in sorted(manifest["documents"], key=lambda d: d["split"])]
    files, docs = manifest["files"], len(manifest["documents"])
    plan = manifest["plan10k"]
    cases = [
        {"key": "gsctl_lint", "tool": "gsctl lint", "what": "whole repository (refs + files)",
         "size": f"{files} / {docs}", "argv": [tools["gsctl"], "lint", "repo"], "repeat": args.repeat},
        {"key": "gsctl_lint_split", "tool": "gsctl lint --no-files", "what": "split tree (1 doc/file)",
         "size": f"{docs} / {docs}", "argv": [tools["gsctl"], "lint", "--no-files", "split"], "repeat": args.repeat},
        {"key": "check_jsonschema", "tool": "check-jsonschema", "what": "split tree vs gsctl schema",
         "size": f"{docs} / {docs}",
         "argv": [tools["check-jsonschema"], "--schemafile", "schema.json"] + split_files, "repeat": args.slow_repeat},
        {"key": "yamllint", "tool": "yamllint", "what": "whole repository (YAML only)",
         "size": f"{files} / {docs}", "argv": [tools["yamllint"], "-c", yamllint_config, "repo"],
         "repeat": args.slow_repeat},
        {"key": "gsctl_plan", "tool": "gsctl plan -f json", "what": f"{plan['tasks']}-task workflow",
         "size": "5 / 27", "argv": [tools["gsctl"], "plan", "plan10k", "--format", "json"], "repeat": args.repeat},
        {"key": "gsctl_lint_plan10k", "tool": "gsctl lint", "what": f"{plan['tasks']}-task workflow",
         "size": "5 / 27", "argv": [tools["gsctl"], "lint", "plan10k"], "repeat": args.repeat},
    ]
    rounds = max(c["repeat"] for c in cases)
    print(f"\n== Timing: {rounds} interleaved rounds (gsctl x{args.repeat}, Python tools x{args.slow_repeat}) ==")
    for c in cases:
        c["seconds"], c["peaks"], c["exits"], c["cpu"] = [], [], [], []
    busy_start, wall_start = busy_seconds(), time.perf_counter()
    for rnd in range(rounds):
        parts = []
        for c in cases:
            if rnd >= c["repeat"]:
                continue
            r = run_tool(c["argv"], cwd=out, capture=False)
            if r.crashed:
                banner(f"{c['tool']} crashed (exit {r.returncode}) in round {rnd + 1}: "
                       f"{r.stderr.decode(errors='replace')[-1500:]}")
            c["seconds"].append(r.seconds)
            c["peaks"].append(r.peak_mb)
            c["cpu"].append(r.cpu_s)
            c["exits"].append(r.returncode)
            parts.append(f"{c['key']} {r.seconds:.2f}s")
        print(f"round {rnd + 1}: " + ", ".join(parts), flush=True)
    ours = sum(sum(c["cpu"]) for c in cases)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    wall = time.perf_counter() - wall_start
    machine_busy["others_share"] = max(0.0, (busy_seconds() - busy_start - ours) / (wall * cores))
    base = statistics.median(cases[0]["seconds"])
    results = []
    for c in cases:
        med = statistics.median(c["seconds"])
        results.append({
            "key": c["key"], "tool": c["tool"], "what": c["what"], "files_docs": c["size"],
            "argv": [os.path.basename(c["argv"][0])] + c["argv"][1:6] + (["..."] if len(c["argv"]) > 6 else []),
            "runs": len(c["seconds"]), "seconds": [round(s, 4) for s in c["seconds"]],
            "min_s": min(c["seconds"]), "median_s": med, "peak_mb": max(c["peaks"]),
            "cpu_s": [round(s, 4) for s in c["cpu"]], "median_cpu_s": statistics.median(c["cpu"]),
            "exit_codes": sorted(set(c["exits"])), "ratio_vs_gsctl_lint": med / base})
    return results


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--gsctl", required=True)
    ap.add_argument("--venv", required=True)
    ap.add_argument("--out", required=True, help="generator output (bench/out/lint_scale)")
    ap.add_argument("--json", required=True, help="results file (bench/out/lint_scale.json)")
    ap.add_argument("--yamllint-config", required=True)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--slow-repeat", type=int, default=5, help="repeats for check-jsonschema and yamllint")
    ap.add_argument("--skip-timing", action="store_true")
    args = ap.parse_args()

    out = os.path.abspath(args.out)
    tools = {
        "gsctl": os.path.abspath(args.gsctl),
        "check-jsonschema": os.path.join(os.path.abspath(args.venv), "bin", "check-jsonschema"),
        "yamllint": os.path.join(os.path.abspath(args.venv), "bin", "yamllint"),
    }
    yamllint_config = os.path.abspath(args.yamllint_config)
    with open(os.path.join(out, "manifest.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    docmap = DocumentMap(manifest)

    cores = os.cpu_count()
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
    versions = {}
    for name, argv in (("gsctl", [tools["gsctl"], "version"]), ("check-jsonschema", [tools["check-jsonschema"], "--version"]),
                       ("yamllint", [tools["yamllint"], "--version"])):
        r = subprocess.run(argv, capture_output=True, text=True)
        versions[name] = (r.stdout or r.stderr).strip().splitlines()[0] if (r.stdout or r.stderr).strip() else "?"
    print(f"CPU: {cpu_model()}; cores: {cores} ({usable} usable by this process); {platform.platform()}")
    print("tools: " + "; ".join(f"{k}: {v}" for k, v in versions.items()) + f"; Python {platform.python_version()}")

    agree = agreement(args, docmap, tools, out)
    plan_check = check_plan(args, tools, out, manifest)
    yl = check_yamllint(tools, out, yamllint_config)

    machine_busy = {"others_share": 0.0}
    results = [] if args.skip_timing else timing(args, tools, out, manifest, yamllint_config, machine_busy)
    checks = []
    if results:
        by = {r["key"]: r for r in results}
        print(f"\n{'tool':22} {'what':34} {'files/docs':>12} {'min s':>8} {'median s':>9} {'peak MB':>8} "
              f"{'vs gsctl':>9} {'cpu s':>8}")
        for r in results:
            print(f"{r['tool']:22} {r['what']:34} {r['files_docs']:>12} {r['min_s']:8.3f} {r['median_s']:9.3f} "
                  f"{r['peak_mb']:8.1f} {r['ratio_vs_gsctl_lint']:8.2f}x {r['median_cpu_s']:8.3f}")
        print("(min/median: wall seconds; peak MB: max RSS of the process; vs gsctl: median / gsctl lint median;"
              " cpu s: median user+sys seconds)")
        busy = machine_busy["others_share"]
        print(f"other processes used {busy:.0%} of this machine's {usable} cores while timing "
              f"(load average {os.getloadavg()[0]:.2f})")
        if busy > 0.15:
            banner(f"the machine was busy ({busy:.0%} of its CPU went to other processes): wall times are "
                   "inflated; compare cpu s, or rerun on a quiet machine")
        lint, cj, plan = by["gsctl_lint"], by["check_jsonschema"], by["gsctl_plan"]
        speedup = cj["median_s"] / lint["median_s"]
        checks = [
            ("gsctl lint, whole repository, median < 1 s", lint["median_s"] < TARGETS["lint_seconds"],
             f"{lint['median_s']:.3f} s (min {lint['min_s']:.3f})"),
            ("gsctl lint >= 10x faster than check-jsonschema", speedup >= TARGETS["speedup_vs_check_jsonschema"],
             f"{speedup:.1f}x (split-tree gsctl: {cj['median_s'] / by['gsctl_lint_split']['median_s']:.1f}x)"),
            ("gsctl lint peak memory < 100 MB", lint["peak_mb"] < TARGETS["lint_peak_mb"], f"{lint['peak_mb']:.1f} MB"),
            ("gsctl plan, 10,000-task workflow, median < 1 s", plan["median_s"] < TARGETS["plan_seconds"],
             f"{plan['median_s']:.3f} s (min {plan['min_s']:.3f})"),
        ]
    checks.append(("gsctl and check-jsonschema agree on invalid documents", agree["ok"],
                   f"{agree.get('both', 0)} both, {len(agree.get('only_gsctl', []))} only gsctl, "
                   f"{len(agree.get('only_check_jsonschema', []))} only check-jsonschema"))
    checks.append(("gsctl plan of the 10,000-task workflow is complete", plan_check["ok"],
                   f"{plan_check.get('tasks')} tasks"))
    print()
    for name, ok, detail in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {name}: {detail}")

    payload = {
        "benchmark": "lint_scale", "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {"cpu": cpu_model(), "cores": cores, "usable_cores": usable, "platform": platform.platform()},
        "other_processes_cpu_share_while_timing": machine_busy["others_share"],
        "versions": versions, "repeat": args.repeat, "slow_repeat": args.slow_repeat,
        "yamllint_config": open(yamllint_config, encoding="utf-8").read(),
        "targets": TARGETS, "results": results,
        "checks": [{"name": n, "pass": ok, "detail": d} for n, ok, d in checks],
        "agreement": agree, "plan": plan_check, "yamllint_problems": yl,
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    with open(args.json, "w", encoding="utf-8") as f:
        json.dump(payload, f, indent=1)
        f.write("\n")
    print(f"\nresults: {args.json}")
    return 0 if all(ok for _, ok, _ in checks) else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
