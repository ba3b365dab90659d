#!/usr/bin/env python3
"""deploy_vs_ansible harness: the same rollout by `gsctl apply` and by ansible-core, side by side.

Run by run.sh once the namespace hosts are up (see run.sh for the knobs). Standard library
only. Per round, three scenarios, each tool on the same 8 SSH hosts (separate root folders):
first deploy, no-op re-apply, one model changed (fp32 -> fp16). Wall time of the command,
bytes on the hosts' veth interfaces (`ip -s link`), outcome checked on the hosts. Then the
agent's resident memory while it supervises the workflow.

Exit status: 0 when every target is met, 1 otherwise (each miss is named), 2 for a harness error.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tarfile
import time

TARGETS = {
    "noop_speedup": 10.0,  # ansible median / gsctl median, no-op re-apply
    "change_speedup": 3.0,  # same, one model changed
    "bytes_over_changed": 0.05,  # gsctl wire bytes to a host / changed content - 1
    "agent_rss_mb": 20.0,  # VmRSS of `gsctl agent supervise`, its tasks not counted
}

SCENARIOS = [
    ("first", "first deploy"),
    ("noop", "no-op re-apply"),
    ("change", "one model changed"),
]

RECAP = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


def banner(text: str) -> None:
    line = "!" * 78
    print(f"\n{line}\n!! {text}\n{line}", flush=True)


class HarnessError(Exception):
    pass


def sh(argv, cwd=None, env=None, check=True) -> subprocess.CompletedProcess:
    r = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True)
    if check and r.returncode != 0:
        command = " ".join(map(str, argv))
        raise HarnessError(f"`{command}` exited {r.returncode}:\n{r.stderr.strip()}\n{r.stdout.strip()}")
    return r


def timed(argv, cwd, env, log_prefix) -> dict:
    """Runs one tool: wall seconds, its CPU (wait4: itself and the children it reaped), exit
    code; stdout and stderr go to log_prefix.out / .err."""
    with open(log_prefix + ".out", "wb") as out, open(log_prefix + ".err", "wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    with open(log_prefix + ".out", encoding="utf-8", errors="replace") as f:
        stdout = f.read()
    with open(log_prefix + ".err", encoding="utf-8", errors="replace") as f:
        stderr = f.read()
    return {"seconds": seconds, "cpu_s": usage.ru_utime + usage.ru_stime, "rc": proc.returncode,
            "stdout": stdout, "stderr": stderr}


# ---------------------------------------------------------------------------------------
# The machine.


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
    with open("/proc/stat", encoding="utf-8") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def machine_share(seconds: float) -> float:
    """Share of all cores busy over the next `seconds` (before anything of ours runs)."""
    b0, t0 = busy_seconds(), time.perf_counter()
    time.sleep(seconds)
    return (busy_seconds() - b0) / ((time.perf_counter() - t0) * (os.cpu_count() or 1))


# ---------------------------------------------------------------------------------------
# Hosts (made by scripts/netns-hosts.sh; namespaces share this file system).


class Host:
    def __init__(self, hosts_dir: str, name: str, address: str):
        self.name, self.address = name, address
        self.dir = os.path.join(hosts_dir, name)
        with open(os.path.join(self.dir, "veth"), encoding="utf-8") as f:
            self.veth = f.read().strip()
        with open(os.path.join(self.dir, "netns"), encoding="utf-8") as f:
            self.netns = f.read().strip()
        self.gsctl_root = os.path.join(self.dir, "root", "gsctl")
        self.ansible_root = os.path.join(self.dir, "root", "ansible")
        self.ansible_tmp = os.path.join(self.dir, "root", "ansible-tmp")

    def sshd_pid(self) -> int | None:
        try:
            with open(os.path.join(self.dir, "sshd.pid"), encoding="utf-8") as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None


def counters(hosts) -> dict:
    """Per host: bytes and packets through the root end of its veth. tx = sent to the host."""
    stats = json.loads(sh(["ip", "-s", "-j", "link", "show"]).stdout)
    by_name = {s["ifname"]: s for s in stats}
    out = {}
    for h in hosts:
        s = by_name.get(h.veth)
        if s is None:
            raise HarnessError(f"interface {h.veth} of {h.name} is gone")
        s64 = s.get("stats64") or s["stats"]
        out[h.name] = {"tx_bytes": s64["tx"]["bytes"], "tx_packets": s64["tx"]["packets"],
                       "rx_bytes": s64["rx"]["bytes"], "rx_packets": s64["rx"]["packets"]}
    return out


def delta(before: dict, after: dict) -> dict:
    return {h: {k: after[h][k] - before[h][k] for k in before[h]} for h in before}


class Masters:
    """The tools' shared SSH connections (ControlPersist), closed before each timed run so
    that every run starts cold, as separate CI jobs or cron runs would."""

    def __init__(self, hosts, ansible_cp_dir: str):
        self.hosts, self.ansible_cp_dir = hosts, ansible_cp_dir
        self.gsctl_cp_dir = f"/tmp/gsctl-ssh-{os.geteuid()}"  # SSHOptions.defaultControlDirectory

    def close(self) -> None:
        quiet = dict(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for h in self.hosts:  # only our hosts' sockets in gsctl's shared control folder
            subprocess.run(["ssh", "-o", "BatchMode=yes", "-o", f"ControlPath={self.gsctl_cp_dir}/%C",
                            "-O", "exit", f"root@{h.address}"], **quiet)
        if os.path.isdir(self.ansible_cp_dir):
            for name in os.listdir(self.ansible_cp_dir):
                subprocess.run(["ssh", "-o", "BatchMode=yes", "-o",
                                f"ControlPath={os.path.join(self.ansible_cp_dir, name)}", "-O", "exit", "x"], **quiet)
        time.sleep(0.2)


def stop_host_processes(hosts) -> None:
    """Every process in our namespaces but the sshd that serves it: the agents' supervisors,
    the workflow tasks, Ansible's services, leftover sessions. By pid, namespace by namespace."""
    for h in hosts:
        keep = h.sshd_pid()
        pids = sh(["ip", "netns", "pids", h.netns], check=False).stdout.split()
        for pid in (int(p) for p in pids):
            if pid != keep and pid != os.getpid():
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
    time.sleep(0.3)


# ---------------------------------------------------------------------------------------
# The spec repository gsctl applies (a git repository, as in Tests/GsctlTests/ApplyLocalTests).


SPEC = """\
# deploy_vs_ansible: 8 edge hosts over SSH, the PP-OCR direction classifier and a one-task
# workflow. bench.py rewrites `precision` for the one-model-changed scenario.
apiVersion: gs.ai/v1
kind: Device
metadata: {{name: gateway}}
spec:
  arch: x86_64
  cpu: {{features: [avx2, fma]}}
  runtimes:
    - {{name: onnxruntime, version: "1.20.1", format: onnx, precisions: [fp32, fp16, int8], fast: [fp32]}}
{hosts}---
apiVersion: gs.ai/v1
kind: Model
metadata: {{name: direction}}
spec:
  source: models/ppocr_cls.onnx
  sha256: {sha}
  task: ocr-direction
  inputs: [{{name: x, shape: [1, 3, 48, 192]}}]
  preprocess: {{scale: 0.00392156862745098, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], channelOrder: bgr}}
  evaluation: {{data: data/text-lines, samples: 4, metric: top1-agreement, tolerance: 0.05}}
---
apiVersion: gs.ai/v1
kind: Workflow
metadata: {{name: reader}}
spec:
  tasks:
    - name: classify
      uses: classify
      model: direction
      command: [sh, -c, '{service}']
      health:
        exec: [sh, -c, '{health}']
---
apiVersion: gs.ai/v1
kind: Deployment
metadata: {{name: reader-fleet}}
spec:
  workflow: reader
  precision: {precision}
  targets: [{{hosts: [{names}]}}]
  rollout: {{canary: 1, batchSize: 4, failureThreshold: 0, onFailure: rollback-batch}}
"""

# The service and the health command, the same for both tools (rollout.yml has them too).
SERVICE = 'echo "$GS_MODEL" > "$GS_DATA/model"; exec sleep 100000'
HEALTH = 'test -s "$GS_MODEL" && grep -qxF "$GS_MODEL" "$GS_DATA/model"'

HOST = """\
---
apiVersion: gs.ai/v1
kind: Host
metadata: {{name: {name}}}
spec: {{device: gateway, transport: ssh, address: "{address}", user: root, identityFile: {key}, root: {root}}}
"""


class SpecRepo:
    def __init__(self, path: str, gsctl: str, hosts, client_key: str, model: str, data: str, signing_key: str):
        self.path, self.gsctl, self.hosts = path, gsctl, hosts
        self.signing_key = signing_key
        self.cache = os.path.join(os.path.dirname(path), "cache")
        self.precision = None
        os.makedirs(os.path.join(path, "Specs", "models"))
        shutil.copy(model, os.path.join(path, "Specs", "models", "ppocr_cls.onnx"))
        shutil.copytree(data, os.path.join(path, "Specs", "data", "text-lines"))
        with open(model, "rb") as f:
            self.sha = hashlib.sha256(f.read()).hexdigest()
        self.host_docs = "".join(HOST.format(name=h.name, address=h.address, key=client_key, root=h.gsctl_root)
                                 for h in hosts)
        with open(os.path.join(path, ".gitignore"), "w", encoding="utf-8") as f:
            f.write("Bundles/\n")
        os.makedirs(os.path.join(path, ".gsctl"))
        self.git("init", "-q", "-b", "main")
        self.git("config", "user.email", "bench@example.com")
        self.git("config", "user.name", "bench")

    def git(self, *args) -> str:
        return sh(["git", "-C", self.path, *args]).stdout.strip()

    def set_precision(self, precision: str) -> None:
        """Writes the specs at `precision` and commits (a new revision, as a merged change)."""
        if precision == self.precision:
            return
        text = SPEC.format(hosts=self.host_docs, sha=self.sha, service=SERVICE, health=HEALTH, precision=precision,
                           names=", ".join(h.name for h in self.hosts))
        with open(os.path.join(self.path, "Specs", "specs.yaml"), "w", encoding="utf-8") as f:
            f.write(text)
        self.git("add", "-A")
        self.git("commit", "-q", "-m", f"reader at {precision}")
        self.precision = precision

    def gsctl_run(self, *args) -> subprocess.CompletedProcess:
        return sh([self.gsctl, *args], cwd=self.path)

    def build(self) -> dict:
        """`gsctl build` (not timed): the bundle Ansible copies, and a warm build cache so that
        the timed `gsctl apply` measures deploying, not compiling."""
        self.gsctl_run("build", "Specs", "--sign", self.signing_key, "--cache", self.cache)
        with open(os.path.join(self.path, "Bundles", "build-report.json"), encoding="utf-8") as f:
            report = json.load(f)
        if len(report["bundles"]) != 1:
            raise HarnessError(f"expected one bundle, the build made {[b['archive'] for b in report['bundles']]}")
        b = report["bundles"][0]
        archive = os.path.join(self.path, "Bundles", b["archive"])
        return {"archive": archive, "release": b["archive"][: -len(".tar.zst")], "archive_bytes": b["bytes"],
                "files": bundle_files(archive), "precision": self.precision}

    def apply_argv(self) -> list[str]:
        return [self.gsctl, "apply", "Specs", "--sign", self.signing_key, "--cache", self.cache, "-f", "json"]


def bundle_files(archive: str) -> dict:
    """path -> (sha256, size) of the regular files in a .tar.zst bundle."""
    raw = subprocess.run(["zstd", "-dc", archive], capture_output=True, check=True).stdout
    files = {}
    with tarfile.open(fileobj=io.BytesIO(raw)) as tar:
        for m in tar.getmembers():
            if m.isfile():
                content = tar.extractfile(m).read()
                files[m.name] = (hashlib.sha256(content).hexdigest(), len(content))
    return files


def changed_content(new: dict, old: dict | None) -> int:
    """Bytes of the new bundle's files whose content the host does not have yet: all of them
    on a first deploy, only new contents after that (what an ideal delta transfer sends)."""
    have = {sha for sha, _ in (old or {}).values()}
    seen, total = set(), 0
    for sha, size in new.values():
        if sha not in have and sha not in seen:
            seen.add(sha)
            total += size
    return total


# ---------------------------------------------------------------------------------------
# One timed run of each tool, and what it must have done on the hosts.


def run_gsctl(ctx, scenario: str, bundle: dict, log: str) -> dict:
    r = timed(ctx.repo.apply_argv(), ctx.repo.path, None, log)
    run = {"tool": "gsctl", "seconds": r["seconds"], "cpu_s": r["cpu_s"], "rc": r["rc"], "problems": []}
    want = "unchanged" if scenario == "noop" else "converged"
    report = None
    try:
        report = json.loads(r["stdout"])
    except json.JSONDecodeError:
        pass
    hosts = {}
    if report:
        for dep in report.get("deployments", []):
            for h in dep.get("hosts", []) + dep.get("rolledBack", []):
                hosts[h["host"]] = {"status": h["status"], "bytesSent": h.get("bytesSent", 0),
                                    "seconds": h.get("seconds"), "message": h.get("message")}
    run["hosts"] = hosts
    if r["rc"] != 0 or report is None:
        run["problems"].append(f"gsctl apply exited {r['rc']}: {r['stderr'].strip()[-3000:]}"
                               + (f"\n{r['stdout'].strip()[-3000:]}" if r["stdout"].strip() else ""))
    for h in ctx.hosts:
        got = hosts.get(h.name, {})
        if got.get("status") != want:
            run["problems"].append(f"{h.name}: gsctl status {got.get('status')!r}, expected {want!r}"
                                   + (f": {got['message']}" if got.get("message") else ""))
        try:
            link = os.readlink(os.path.join(h.gsctl_root, "current"))
        except OSError:
            link = None
        if link != f"releases/{bundle['release']}":
            run["problems"].append(f"{h.name}: gsctl's current is {link!r}, expected releases/{bundle['release']}")
        # The task the supervisor runs wrote the model path it was given when it started.
        model = os.path.join(h.gsctl_root, "releases", bundle["release"], "models", "direction",
                             bundle["precision"], "model.onnx")
        try:
            with open(os.path.join(h.gsctl_root, "data", "classify", "model"), encoding="utf-8") as f:
                seen = f.read().strip()
            with open(os.path.join(h.gsctl_root, "run", "supervisor.json"), encoding="utf-8") as f:
                task = next(t for t in json.load(f)["tasks"] if t["name"] == "classify")
            os.kill(int(task["pid"]), 0)
        except (OSError, ValueError, KeyError, TypeError, StopIteration) as e:
            run["problems"].append(f"{h.name}: gsctl's task is not running: {e!r}")
            continue
        if seen != model:
            run["problems"].append(f"{h.name}: gsctl's task runs {seen}, expected {model}")
    return run


def run_ansible(ctx, scenario: str, bundle: dict, log: str) -> dict:
    argv = [ctx.ansible_playbook, "-i", ctx.inventory, ctx.playbook,
            "-e", f"bundle={bundle['archive']}", "-e", f"precision={bundle['precision']}"]
    r = timed(argv, ctx.work, ctx.ansible_env, log)
    run = {"tool": "ansible", "seconds": r["seconds"], "cpu_s": r["cpu_s"], "rc": r["rc"], "problems": []}
    recap = {m.group(1): {"ok": int(m.group(2)), "changed": int(m.group(3)), "unreachable": int(m.group(4)),
                          "failed": int(m.group(5))} for m in RECAP.finditer(r["stdout"])}
    run["hosts"] = recap
    if r["rc"] != 0:
        tail = "\n".join(r["stdout"].strip().splitlines()[-30:])
        run["problems"].append(f"ansible-playbook exited {r['rc']}: {r['stderr'].strip()[-2000:]}\n{tail}")
    for h in ctx.hosts:
        got = recap.get(h.name)
        if got is None:
            run["problems"].append(f"{h.name}: not in Ansible's PLAY RECAP")
            continue
        if got["failed"] or got["unreachable"]:
            run["problems"].append(f"{h.name}: Ansible failed={got['failed']} unreachable={got['unreachable']}")
        if scenario == "noop" and got["changed"]:
            run["problems"].append(f"{h.name}: Ansible changed {got['changed']} things on a no-op re-apply")
        if scenario != "noop" and not got["changed"]:
            run["problems"].append(f"{h.name}: Ansible changed nothing")
        release_dir = os.path.join(h.ansible_root, "releases", bundle["release"])
        try:
            link = os.readlink(os.path.join(h.ansible_root, "current"))
        except OSError:
            link = None
        if link != release_dir:
            run["problems"].append(f"{h.name}: Ansible's current is {link!r}, expected {release_dir}")
        model = os.path.join(release_dir, "models", "direction", bundle["precision"], "model.onnx")
        try:
            with open(os.path.join(h.ansible_root, "data", "classify", "model"), encoding="utf-8") as f:
                seen = f.read().strip()
            with open(os.path.join(h.ansible_root, "classify.pid"), encoding="utf-8") as f:
                pid = int(f.read().strip())
            os.kill(pid, 0)
        except (OSError, ValueError) as e:
            run["problems"].append(f"{h.name}: Ansible's service is not running: {e}")
            continue
        if seen != model:
            run["problems"].append(f"{h.name}: Ansible's service runs {seen}, expected {model}")
    return run


class Context:
    pass


def reset_hosts(ctx) -> None:
    """Fresh hosts for a round: no processes, empty roots, the agent installed again."""
    ctx.masters.close()
    stop_host_processes(ctx.hosts)
    for h in ctx.hosts:
        for d in (h.gsctl_root, h.ansible_root, h.ansible_tmp):
            shutil.rmtree(d, ignore_errors=True)
        os.makedirs(h.ansible_tmp)


def install_agents(ctx) -> dict:
    before = counters(ctx.hosts)
    t0 = time.perf_counter()
    ctx.repo.gsctl_run("agent", "install", *[h.name for h in ctx.hosts], "--trust", ctx.signing_pub,
                       "--specs", "Specs")
    seconds = time.perf_counter() - t0
    sent = sum(d["tx_bytes"] for d in delta(before, counters(ctx.hosts)).values())
    return {"seconds": seconds, "wire_tx_bytes": sent}


def scenario_runs(ctx, rnd: int, order: list[str], results: dict, previous: dict | None) -> dict:
    """One round: first deploy, no-op re-apply(s), one model changed; returns the last bundle."""
    plan = [("first", "fp32", 1), ("noop", "fp32", ctx.args.noop_repeat), ("change", "fp16", 1)]
    last = previous
    for key, precision, repeat in plan:
        ctx.repo.set_precision(precision)
        bundle = ctx.repo.build()
        old = None if key == "first" else last
        changed = 0 if key == "noop" else changed_content(bundle["files"], old["files"] if old else None)
        for i in range(repeat):
            for tool in order:
                ctx.masters.close()
                log = os.path.join(ctx.logs, f"r{rnd}-{key}{i + 1 if repeat > 1 else ''}-{tool}")
                before = counters(ctx.hosts)
                busy0 = busy_seconds()
                run = (run_gsctl if tool == "gsctl" else run_ansible)(ctx, key, bundle, log)
                run["machine_busy_s"] = busy_seconds() - busy0
                run["wire"] = delta(before, counters(ctx.hosts))
                run.update({"round": rnd, "scenario": key, "release": bundle["release"],
                            "changed_content_per_host": changed, "archive_bytes": bundle["archive_bytes"]})
                results[key].append(run)
                tx = [d["tx_bytes"] for d in run["wire"].values()]
                status = "ok" if not run["problems"] else f"{len(run['problems'])} PROBLEM(S)"
                print(f"round {rnd} {key:6} {tool:7} {run['seconds']:7.2f} s  "
                      f"{sum(tx) / 1e3:9.1f} kB to the hosts  exit {run['rc']}  {status}", flush=True)
                for p in run["problems"][:12]:
                    print(f"    {p}")
        last = bundle
    return last


def agent_memory(ctx, samples=5, interval=0.5) -> dict:
    """VmRSS (and its anonymous/file parts) of each host's `gsctl agent supervise`, read from
    /proc while it supervises the workflow; the tasks are other processes, not counted."""
    per_host = {}
    problems = []
    for _ in range(samples):
        for h in ctx.hosts:
            try:
                with open(os.path.join(h.gsctl_root, "run", "supervisor.json"), encoding="utf-8") as f:
                    sup = json.load(f)
                pid = int(sup["pid"])
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    cmd = f.read().split(b"\0")
                if b"supervise" not in cmd:
                    raise OSError(f"pid {pid} is not the supervisor: {cmd[:3]}")
                fields = {}
                with open(f"/proc/{pid}/status", encoding="utf-8") as f:
                    for line in f:
                        k, _, v = line.partition(":")
                        if k in ("VmRSS", "RssAnon", "RssFile", "VmHWM"):
                            fields[k] = int(v.split()[0])
                tasks = [t for t in sup.get("tasks", []) if t.get("state") in ("ready", "running")]
                with open(f"/proc/{pid}/maps", encoding="utf-8") as f:
                    dynamic = "libswiftCore.so" in f.read()
            except (OSError, ValueError, KeyError) as e:
                problems.append(f"{h.name}: {e}")
                continue
            rec = per_host.setdefault(h.name, {"pid": pid, "VmRSS_kB": 0, "RssAnon_kB": 0, "RssFile_kB": 0,
                                               "VmHWM_kB": 0, "tasks_running": 0})
            for k in ("VmRSS", "RssAnon", "RssFile", "VmHWM"):
                rec[f"{k}_kB"] = max(rec[f"{k}_kB"], fields.get(k, 0))
            rec["tasks_running"] = max(rec["tasks_running"], len(tasks))
            rec["swift_runtime"] = "dynamic" if dynamic else "static"
        time.sleep(interval)
    rss = [v["VmRSS_kB"] for v in per_host.values()]
    runtimes = sorted({v["swift_runtime"] for v in per_host.values()})
    return {"per_host": per_host, "swift_runtime": ",".join(runtimes) or None,
            "max_VmRSS_MB": max(rss) / 1024 if rss else None,
            "median_VmRSS_MB": statistics.median(rss) / 1024 if rss else None,
            "max_RssAnon_MB": max(v["RssAnon_kB"] for v in per_host.values()) / 1024 if per_host else None,
            "max_RssFile_MB": max(v["RssFile_kB"] for v in per_host.values()) / 1024 if per_host else None,
            "samples": samples, "problems": sorted(set(problems))}


# ---------------------------------------------------------------------------------------


def summarize(results: dict) -> dict:
    out = {}
    for key, _ in SCENARIOS:
        out[key] = {}
        for tool in ("gsctl", "ansible"):
            runs = [r for r in results[key] if r["tool"] == tool]
            if not runs:
                continue
            good = [r for r in runs if not r["problems"]]
            secs = [r["seconds"] for r in good] or [r["seconds"] for r in runs]
            tx = [sum(d["tx_bytes"] for d in r["wire"].values()) for r in runs]
            rx = [sum(d["rx_bytes"] for d in r["wire"].values()) for r in runs]
            per_host_tx = [d["tx_bytes"] for r in runs for d in r["wire"].values()]
            changed = runs[0]["changed_content_per_host"]
            s = {"runs": len(runs), "failed_runs": len(runs) - len(good), "seconds": [round(x, 3) for x in secs],
                 "median_s": statistics.median(secs), "min_s": min(secs),
                 "median_cpu_s": statistics.median(r["cpu_s"] for r in runs),
                 "wire_tx_bytes_all_hosts_median": statistics.median(tx),
                 "wire_rx_bytes_all_hosts_median": statistics.median(rx),
                 "wire_tx_bytes_per_host_max": max(per_host_tx),
                 "wire_tx_bytes_per_host_median": statistics.median(per_host_tx),
                 "changed_content_per_host": changed, "archive_bytes": runs[0]["archive_bytes"],
                 "problems": [p for r in runs for p in r["problems"]]}
            if tool == "gsctl":
                app = [h["bytesSent"] for r in runs for h in r["hosts"].values()]
                s["report_bytes_sent_per_host_max"] = max(app) if app else None
            if changed:
                s["wire_over_changed_max"] = max(per_host_tx) / changed - 1
            out[key][tool] = s
        if "gsctl" in out[key] and "ansible" in out[key]:
            out[key]["speedup"] = out[key]["ansible"]["median_s"] / out[key]["gsctl"]["median_s"]
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--gsctl", required=True)
    ap.add_argument("--ansible-venv", required=True)
    ap.add_argument("--hosts-dir", required=True, help="netns-hosts.sh DIR (hosts already up)")
    ap.add_argument("--host", action="append", required=True, help="NAME=ADDR, in rollout order")
    ap.add_argument("--work", required=True, help="scratch folder (spec repository, cache, control sockets)")
    ap.add_argument("--here", required=True, help="bench/deploy_vs_ansible")
    ap.add_argument("--model", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--logs", required=True)
    ap.add_argument("--json", required=True)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--noop-repeat", type=int, default=2)
    args = ap.parse_args()

    ctx = Context()
    ctx.args = args
    ctx.work = os.path.abspath(args.work)
    ctx.logs = os.path.abspath(args.logs)
    os.makedirs(ctx.logs, exist_ok=True)
    for name in os.listdir(ctx.logs):
        os.remove(os.path.join(ctx.logs, name))
    ctx.hosts = [Host(args.hosts_dir, *spec.split("=", 1)) for spec in args.host]
    gsctl = os.path.abspath(args.gsctl)
    venv = os.path.abspath(args.ansible_venv)
    ctx.ansible_playbook = os.path.join(venv, "bin", "ansible-playbook")
    here = os.path.abspath(args.here)
    ctx.playbook = os.path.join(here, "rollout.yml")
    client_key = os.path.join(os.path.abspath(args.hosts_dir), "id_ed25519")

    cores = os.cpu_count()
    usable = len(os.sched_getaffinity(0))
    quiet = machine_share(2.0)
    versions = {
        "gsctl": sh([gsctl, "version"]).stdout.strip().splitlines()[0],
        "ansible-core": sh([os.path.join(venv, "bin", "ansible"), "--version"]).stdout.splitlines()[0],
        "openssh": sh(["ssh", "-V"], check=False).stderr.strip(),
        "python": platform.python_version(),
    }
    print(f"CPU: {cpu_model()}; cores: {cores} ({usable} usable by this process); {platform.platform()}")
    print("tools: " + "; ".join(f"{k}: {v}" for k, v in versions.items()))
    print(f"before timing, other processes kept {quiet:.0%} of this machine's {cores} cores busy "
          f"(load average {os.getloadavg()[0]:.2f})")
    if quiet > 0.15:
        banner(f"the machine is busy ({quiet:.0%} of its CPU before we start): wall times are inflated, "
               "Ansible's (CPU-bound Python on the controller) more than gsctl's; rerun on a quiet machine")

    # The signing key, the spec repository, trusted host keys, the agents.
    ctx.signing_key = os.path.join(ctx.work, "release.key")
    ctx.signing_pub = os.path.join(ctx.work, "release.pub")
    sh([gsctl, "keygen", "--out", os.path.join(ctx.work, "release")])
    ctx.repo = SpecRepo(os.path.join(ctx.work, "repo"), gsctl, ctx.hosts, client_key, args.model, args.data,
                        ctx.signing_key)
    ctx.repo.set_precision("fp32")
    ctx.repo.gsctl_run("hosts", "trust", *[h.name for h in ctx.hosts], "--specs", "Specs")
    ctx.repo.git("add", "-A")
    ctx.repo.git("commit", "-q", "-m", "trust the hosts")
    known_hosts = os.path.join(ctx.repo.path, ".gsctl", "known_hosts")

    # Ansible: the same hosts, keys, known_hosts; its own root folder per host.
    ctx.inventory = os.path.join(ctx.work, "inventory.ini")
    with open(ctx.inventory, "w", encoding="utf-8") as f:
        f.write("[edge]\n")
        for h in ctx.hosts:
            f.write(f"{h.name} ansible_host={h.address} app_root={h.ansible_root} ansible_remote_tmp={h.ansible_tmp}\n")
        f.write("\n[edge:vars]\nansible_user=root\n")
        f.write(f"ansible_ssh_private_key_file={client_key}\n")
        f.write(f"ansible_ssh_common_args='-o UserKnownHostsFile={known_hosts} -o GlobalKnownHostsFile=/dev/null "
                "-o StrictHostKeyChecking=yes'\n")
    cp_dir = os.path.join(ctx.work, "cp")
    os.makedirs(cp_dir, exist_ok=True)
    ctx.ansible_env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(here, "ansible.cfg"),
                           ANSIBLE_SSH_CONTROL_PATH_DIR=cp_dir, ANSIBLE_HOME=os.path.join(ctx.work, "ansible-home"),
                           ANSIBLE_LOCAL_TEMP=os.path.join(ctx.work, "ansible-local"), ANSIBLE_NOCOLOR="1",
                           ANSIBLE_FORCE_COLOR="0")
    ctx.masters = Masters(ctx.hosts, cp_dir)

    results = {key: [] for key, _ in SCENARIOS}
    setup = []
    print(f"\n== {args.rounds} round(s): first deploy, no-op re-apply x{args.noop_repeat}, one model changed "
          f"(fp32 -> fp16); {len(ctx.hosts)} hosts, canary 1 then batches of 4; every run starts without "
          "open SSH connections ==")
    wall0, busy0 = time.perf_counter(), busy_seconds()
    last = None
    for rnd in range(1, args.rounds + 1):
        reset_hosts(ctx)
        setup.append(install_agents(ctx))
        order = ["gsctl", "ansible"] if rnd % 2 else ["ansible", "gsctl"]
        last = scenario_runs(ctx, rnd, order, results, last)
    busy_share = (busy_seconds() - busy0) / ((time.perf_counter() - wall0) * (cores or 1))

    memory = agent_memory(ctx)
    summary = summarize(results)

    # The table.
    print(f"\n{'scenario':18} {'tool':8} {'runs':>4} {'median s':>9} {'min s':>8} {'cpu s':>7} "
          f"{'to hosts kB':>12} {'per host kB':>12} {'changed kB':>11} {'vs changed':>10} {'from hosts kB':>14}")
    for key, label in SCENARIOS:
        for tool in ("gsctl", "ansible"):
            s = summary[key].get(tool)
            if not s:
                continue
            changed = s["changed_content_per_host"]
            vs = f"{s['wire_over_changed_max']:+.1%}" if changed else "-"
            print(f"{label:18} {tool:8} {s['runs']:4d} {s['median_s']:9.2f} {s['min_s']:8.2f} {s['median_cpu_s']:7.2f} "
                  f"{s['wire_tx_bytes_all_hosts_median'] / 1e3:12.1f} {s['wire_tx_bytes_per_host_max'] / 1e3:12.1f} "
                  f"{changed / 1e3:11.1f} {vs:>10} {s['wire_rx_bytes_all_hosts_median'] / 1e3:14.1f}")
        if "speedup" in summary[key]:
            print(f"{'':18} ansible / gsctl: {summary[key]['speedup']:.1f}x")
    print("(median/min s: wall seconds of `gsctl apply` / `ansible-playbook`; cpu s: the controller's user+sys"
          " seconds (median); to/from hosts kB: bytes through the hosts' veth interfaces, all 8 (median run);"
          " per host kB: the most one host received in any run; changed kB: per host, the bundle's files whose"
          " content that host does not have yet; vs changed: per host kB / changed kB - 1)")
    g = summary["change"].get("gsctl", {})
    if g.get("report_bytes_sent_per_host_max") is not None:
        print(f"gsctl's own report, one model changed: {g['report_bytes_sent_per_host_max'] / 1e3:.1f} kB sent "
              f"per host (payload, without SSH and TCP/IP framing)")
    inst = setup[0]
    print(f"one-time setup per round, not in the table: `gsctl agent install` on {len(ctx.hosts)} hosts "
          f"{inst['seconds']:.1f} s, {inst['wire_tx_bytes'] / 1e6:.1f} MB (the gsctl binary; Ansible relies "
          "on the hosts' python3)")
    print(f"the machine's cores were {busy_share:.0%} busy over the timed rounds (both tools, their hosts' sshd,"
          f" agents and remote Python, and other users; {quiet:.0%} before we started)")
    if memory["max_VmRSS_MB"] is not None:
        print(f"agent memory: `gsctl agent supervise` VmRSS max {memory['max_VmRSS_MB']:.1f} MB, median "
              f"{memory['median_VmRSS_MB']:.1f} MB over {len(memory['per_host'])} hosts ({memory['samples']} samples"
              f" each; RssAnon max {memory['max_RssAnon_MB']:.1f} MB, RssFile max {memory['max_RssFile_MB']:.1f} MB:"
              f" mapped pages of the binary) while supervising the 1-task workflow")
        if memory["swift_runtime"] != "static":
            banner("this gsctl links the Swift runtime dynamically (libswiftCore.so, libFoundation.so are mapped "
                   "into the agent): the agent the issue specifies and `make build` makes is linked with "
                   "--static-swift-stdlib, and its resident memory differs")
    for p in memory["problems"]:
        print(f"    agent memory: {p}")

    # The checks.
    def ok_runs(key, tool):
        s = summary[key].get(tool)
        return bool(s) and not s["failed_runs"]

    checks = []
    for key, label in SCENARIOS:
        for tool in ("gsctl", "ansible"):
            s = summary[key].get(tool, {})
            checks.append((f"{tool}, {label}: every host on the release, service healthy (read on the hosts)",
                           ok_runs(key, tool),
                           "; ".join(s.get("problems", [])[:3]) or f"{s.get('runs', 0)} run(s)"))
    for key, target, name in (("noop", TARGETS["noop_speedup"], "no-op re-apply"),
                              ("change", TARGETS["change_speedup"], "one model changed")):
        sp = summary[key].get("speedup")
        valid = ok_runs(key, "gsctl") and ok_runs(key, "ansible")
        checks.append((f"{name}: gsctl >= {target:g}x faster than Ansible", bool(valid and sp and sp >= target),
                       (f"{sp:.1f}x ({summary[key]['gsctl']['median_s']:.2f} s vs "
                        f"{summary[key]['ansible']['median_s']:.2f} s)" if sp else "not measured")
                       + ("" if valid else " (a run failed)")))
    for key, label in (("change", "one model changed"), ("first", "first deploy")):
        s = summary[key].get("gsctl")
        over = s.get("wire_over_changed_max") if s else None
        checks.append((f"{label}: bytes gsctl sends each host within 5% of the changed content",
                       over is not None and abs(over) <= TARGETS["bytes_over_changed"] and ok_runs(key, "gsctl"),
                       f"{s['wire_tx_bytes_per_host_max'] / 1e3:.1f} kB vs {s['changed_content_per_host'] / 1e3:.1f} kB"
                       f" ({over:+.1%})" if over is not None else "not measured"))
    rss = memory["max_VmRSS_MB"]
    checks.append((f"agent resident memory while supervising < {TARGETS['agent_rss_mb']:g} MB",
                   rss is not None and rss < TARGETS["agent_rss_mb"],
                   f"VmRSS {rss:.1f} MB (RssAnon {memory['max_RssAnon_MB']:.1f} MB)" if rss is not None
                   else "; ".join(memory["problems"][:3]) or "no supervisor found"))
    print()
    for name, ok, detail in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {name}: {detail}")
    missed = [name for name, ok, _ in checks if not ok]
    if missed:
        print(f"\nmissed: {'; '.join(missed)}")

    payload = {
        "benchmark": "deploy_vs_ansible", "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {"cpu": cpu_model(), "cores": cores, "usable_cores": usable, "platform": platform.platform()},
        "busy_share_before": quiet, "busy_share_while_timing": busy_share,
        "versions": versions, "rounds": args.rounds, "noop_repeat": args.noop_repeat,
        "hosts": [{"name": h.name, "address": h.address, "veth": h.veth} for h in ctx.hosts],
        "rollout": {"canary": 1, "batchSize": 4, "ansible_serial": [1, 4], "forks": 8},
        "service": SERVICE, "health": HEALTH, "targets": TARGETS, "summary": summary,
        "runs": [dict({k: v for k, v in r.items()}, scenario=key) for key, _ in SCENARIOS for r in results[key]],
        "agent_install": setup, "agent_memory": memory,
        "checks": [{"name": n, "pass": ok, "detail": d} for n, ok, d in checks],
        "missed": missed,
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    with open(args.json, "w", encoding="utf-8") as f:
        json.dump(payload, f, indent=1)
        f.write("\n")
    print(f"\nresults: {args.json}; logs: {args.logs}")
    ctx.masters.close()
    return 0 if not missed else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except HarnessError as e:
        banner(f"harness error: {e}")
        # The error in the results file too, for whoever reads only that.
        if "--json" in sys.argv:
            path = sys.argv[sys.argv.index("--json") + 1]
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
            with open(path, "w", encoding="utf-8") as f:
                json.dump({"benchmark": "deploy_vs_ansible", "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                           "error": str(e)}, f, indent=1)
                f.write("\n")
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)
