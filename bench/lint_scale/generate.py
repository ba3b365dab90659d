#!/usr/bin/env python3
"""Deterministic generator for the lint_scale benchmark (plain Python, no third-party packages).

Writes under --out (default bench/out/lint_scale):

  repo/        1,000 YAML files holding 5,000 documents (Device, Host, Model, Workflow,
               Deployment) that reference each other cleanly, plus a known set of
               deliberately invalid documents (schema-level errors only), model blobs with
               their real sha256, calibration folders and a trusted key
  split/       the same 5,000 documents, one per file (check-jsonschema reads one document
               per file); model blobs, data and keys are linked from repo/
  plan10k/     one Workflow with 10,000 tasks (a wide, deep DAG), its Models, Devices,
               Hosts and a Deployment, for `gsctl plan`
  manifest.json  every document: kind, name, repo file and line range, split file, and the
               deliberate error it carries (if any) with the codes gsctl is expected to give
  STAMP        fingerprint of this generator and its parameters; an unchanged tree is reused

Randomness comes only from random.Random(SEED), so every run writes the same bytes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import random
import re
import shutil
import sys

SEED = 20240611
FILES = 1000
DOCUMENTS = 5000
PLAN_TASKS = 10_000

# Documents per kind and files per kind (sum to DOCUMENTS and FILES).
DEVICE_DOCS, DEVICE_FILES = 100, 20
SITES, HOSTS_PER_SITE = 140, 20  # 2,800 hosts in 280 files (two per site)
MODEL_DOCS, MODEL_FILES = 600, 150
WORKFLOW_DOCS, WORKFLOW_FILES = 600, 370
# A host runs one deployment's release (GS307): 900 deployments own disjoint hosts.
DEPLOY_DOCS, DEPLOY_FILES = 900, 180


# ---------------------------------------------------------------------------------------
# A small YAML emitter: block mappings, flow lists of scalars, Flow() for flow mappings.


class Flow:
    """A mapping written in flow style: {a: 1, b: 2}."""

    def __init__(self, items: dict):
        self.items = items


class Raw:
    """Text written verbatim (for deliberately odd values)."""

    def __init__(self, text: str):
        self.text = text


PLAIN = re.compile(r"[A-Za-z/][A-Za-z0-9_./@+-]*")
RESERVED = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"}


def scalar(value) -> str:
    if isinstance(value, Raw):
        return value.text
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        if PLAIN.fullmatch(value) and value.lower() not in RESERVED:
            return value
        return json.dumps(value)  # JSON string escapes are valid YAML double-quoted escapes
    raise TypeError(f"cannot emit {value!r}")


def inline(value) -> str:
    if isinstance(value, Flow):
        return "{" + ", ".join(f"{scalar(k)}: {inline(v)}" for k, v in value.items.items()) + "}"
    if isinstance(value, dict):
        if not value:
            return "{}"
        return inline(Flow(value))
    if isinstance(value, list):
        return "[" + ", ".join(inline(v) for v in value) + "]"
    return scalar(value)


def is_block(value) -> bool:
    if isinstance(value, dict):
        return bool(value)
    if isinstance(value, list):
        return any(isinstance(v, (dict, Flow)) for v in value)
    return False


def emit_map(mapping: dict, indent: str, out: list[str]) -> None:
    for key, value in mapping.items():
        if is_block(value):
            out.append(f"{indent}{scalar(key)}:")
            if isinstance(value, dict):
                emit_map(value, indent + "  ", out)
            else:
                emit_seq(value, indent + "  ", out)
        else:
            out.append(f"{indent}{scalar(key)}: {inline(value)}")


def emit_seq(items: list, indent: str, out: list[str]) -> None:
    for item in items:
        if isinstance(item, dict) and item:
            lines: list[str] = []
            emit_map(item, indent + "  ", lines)
            lines[0] = indent + "- " + lines[0][len(indent) + 2:]
            out.extend(lines)
        else:
            out.append(f"{indent}- {inline(item)}")


def render(doc: dict) -> list[str]:
    out: list[str] = []
    emit_map(doc, "", out)
    return out


# ---------------------------------------------------------------------------------------
# The valid spec graph.

DEVICE_FAMILIES = [
    # (prefix, class, count, arch, cpu features, accelerators, runtimes)
    ("x86-gw", "cpu-edge", 35, "x86_64", ["sse4_2", "avx", "avx2", "fma", "f16c"], ["none"], [
        {"name": "openvino", "version": "2024.6.0", "format": "onnx", "providers": ["cpu"],
         "precisions": ["fp32", "fp16", "int8"], "fast": ["int8"]},
        {"name": "onnxruntime", "version": "1.20.1", "format": "onnx", "providers": ["cpu"],
         "precisions": ["fp32", "fp16", "int8"]},
    ]),
    ("jetson", "gpu-edge", 25, "arm64", ["neon", "fp16"], ["cuda"], [
        {"name": "tensorrt", "version": "8.6.2", "format": "tensorrt-engine", "providers": ["cuda"],
         "precisions": ["fp32", "fp16", "int8"], "fast": ["fp16"]},
        {"name": "onnxruntime", "version": "1.16.3", "format": "onnx", "providers": ["cuda", "cpu"],
         "precisions": ["fp32", "fp16"], "fast": ["fp16"]},
    ]),
    ("rpi", "arm-edge", 25, "arm64", ["neon", "dotprod"], ["none"], [
        {"name": "onnxruntime", "version": "1.20.1", "format": "onnx", "providers": ["cpu"],
         "precisions": ["fp32", "int8"], "fast": ["int8"]},
        {"name": "tflite", "version": "2.14.0", "format": "tflite", "precisions": ["fp32", "int8"],
         "fast": ["int8"]},
    ]),
    ("npu-box", "npu-edge", 15, "arm64", ["neon", "dotprod", "i8mm"], ["npu"], [
        {"name": "onnxruntime", "version": "1.19.2", "format": "onnx", "providers": ["cpu"],
         "precisions": ["fp32", "int8"], "fast": ["int8"]},
    ]),
]
# Hosts per site by class, and the precision a target of that class asks for (these never
# draw a GS5xx finding: see CompatibilityRule).
SITE_CLASSES = [("cpu-edge", 8), ("gpu-edge", 6), ("arm-edge", 4), ("npu-edge", 2)]
CLASS_PRECISION = {"cpu-edge": "int8-mixed", "gpu-edge": "fp16", "arm-edge": "int8-mixed", "npu-edge": "int8-mixed"}

MODEL_TASKS = [
    ("detection", "detect", "box-f1", [1, 3, 640, 640], "NCHW"),
    ("classification", "classify", "top1-agreement", [1, 3, 224, 224], "NCHW"),
    ("ocr-detection", "detect", "box-f1", [1, 3, 960, 960], "NCHW"),
    ("ocr-recognition", "classify", "output-error", [1, 3, 48, 320], "NCHW"),
    ("ocr-direction", "classify", "top1-agreement", [1, 3, 48, 192], "NCHW"),
    ("detection", "detect", "box-f1", [1, 300, 300, 3], "NHWC"),
]
PACKAGES = [
    "numpy==1.26.4", "onnxruntime==1.20.1", "opencv-python-headless==4.10.0.84", "pyclipper==1.3.0.post6",
    "shapely==2.0.6", "scipy==1.13.1", "pillow==10.4.0", "uvicorn[standard]==0.30.6", "fastapi==0.115.0",
]


def meta(name: str, labels: dict | None = None, annotations: dict | None = None) -> dict:
    result: dict = {"name": name}
    if labels:
        result["labels"] = Flow(labels)
    if annotations:
        result["annotations"] = Flow(annotations)
    return result


def document(kind: str, name: str, spec: dict, labels=None, annotations=None) -> dict:
    return {"apiVersion": "gs.ai/v1", "kind": kind, "metadata": meta(name, labels, annotations), "spec": spec}


def blob_bytes(name: str, size: int) -> bytes:
    """Deterministic pseudo-random bytes standing in for an ONNX file."""
    out = bytearray()
    block = hashlib.sha256(name.encode()).digest()
    while len(out) < size:
        out += block
        block = hashlib.sha256(block).digest()
    return bytes(out[:size])


class Generator:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.devices: list[dict] = []  # {doc, name, class}
        self.hosts: list[dict] = []  # {doc, name, site, class, device}
        self.models: list[dict] = []  # {doc, name, uses, calibrated}
        self.workflows: list[dict] = []  # {doc, name, models}
        self.deployments: list[dict] = []
        self.blobs: dict[str, bytes] = {}  # path relative to repo/ -> bytes

    # Devices -------------------------------------------------------------------------
    def make_devices(self) -> None:
        rng = self.rng
        for prefix, klass, count, arch, features, accelerators, runtimes in DEVICE_FAMILIES:
            for i in range(count):
                name = f"{prefix}-{i + 1:02d}"
                feats = features if i % 3 else features[: max(1, len(features) - 1)]
                rts = []
                for rt in runtimes:
                    rt = dict(rt)
                    rt["precisions"] = list(rt["precisions"])
                    if "fast" in rt:
                        rt["fast"] = list(rt["fast"])
                    rts.append(rt)
                spec = {
                    "arch": arch,
                    "cpu": Flow({"features": feats, "cores": [2, 4, 6, 8][rng.randrange(4)]}),
                    "memoryMB": [2048, 4096, 8192, 16384][rng.randrange(4)],
                    "accelerators": list(accelerators),
                    "runtimes": rts,
                }
                vendor = {"cpu-edge": "intel", "gpu-edge": "nvidia", "arm-edge": "raspberrypi", "npu-edge": "rockchip"}[klass]
                doc = document("Device", name, spec, labels={"class": klass, "vendor": vendor})
                self.devices.append({"doc": doc, "name": name, "class": klass})
        assert len(self.devices) == DEVICE_DOCS

    # Hosts ---------------------------------------------------------------------------
    def make_hosts(self) -> None:
        rng = self.rng
        by_class: dict[str, list[str]] = {}
        for d in self.devices:
            by_class.setdefault(d["class"], []).append(d["name"])
        counters = {k: 0 for k in by_class}
        for site in range(SITES):
            number = 0
            for klass, count in SITE_CLASSES:
                for _ in range(count):
                    number += 1
                    names = by_class[klass]
                    device = names[counters[klass] % len(names)]
                    counters[klass] += 1
                    name = f"s{site:03d}-{klass.split('-')[0]}-{number:02d}"
                    labels = {"site": f"site-{site:03d}", "class": klass, "rack": f"r{number % 4 + 1}"}
                    if number == 1:
                        labels["role"] = "canary"
                    spec: dict = {"device": device}
                    if site % 25 == 24 and number <= 2:
                        spec["transport"] = "local"
                        spec["root"] = f"/var/lib/gsctl-demo/{name}"
                    else:
                        spec["address"] = f"10.{site // 50}.{site % 50 * 5 + number // 20}.{number * 7 % 250 + 1}"
                        spec["user"] = "gsctl"
                        if rng.random() < 0.15:
                            spec["port"] = 2222
                        if rng.random() < 0.1:
                            spec["identityFile"] = "../keys/deploy_ed25519"
                    doc = document("Host", name, spec, labels=labels)
                    self.hosts.append({"doc": doc, "name": name, "site": site, "class": klass, "device": device})
        assert len(self.hosts) == SITES * HOSTS_PER_SITE

    # Models --------------------------------------------------------------------------
    def make_models(self) -> None:
        rng = self.rng
        for i in range(MODEL_DOCS):
            task, uses, metric, shape, layout = MODEL_TASKS[i % len(MODEL_TASKS)]
            name = f"m{i:03d}-{task}"
            blob = f"models/blobs/{name}.onnx"
            data = blob_bytes(name, 1024 * (1 + i % 8) + 17 * i)
            self.blobs[blob] = data
            calibrated = i % 10 < 7
            spec: dict = {
                "source": f"blobs/{name}.onnx",
                "sha256": hashlib.sha256(data).hexdigest(),
                "task": task,
                "inputs": [Flow({"name": "images" if layout == "NCHW" else "image_tensor:0", "shape": list(shape),
                                 "dtype": "uint8" if layout == "NHWC" else "float32", "layout": layout})],
                "preprocess": {
                    "resize": Flow({"width": shape[3] if layout == "NCHW" else shape[2],
                                    "height": shape[2] if layout == "NCHW" else shape[1], "keepAspect": i % 2 == 0}),
                    "scale": 0.00392156862745098,
                    "mean": [0.485, 0.456, 0.406] if i % 3 else [0.5, 0.5, 0.5],
                    "std": [0.229, 0.224, 0.225] if i % 3 else [0.5, 0.5, 0.5],
                    "channelOrder": "rgb" if i % 4 else "bgr",
                },
            }
            if calibrated:
                spec["calibration"] = {"data": "data/calib", "samples": 64 * (1 + i % 4),
                                       "method": ["minmax", "percentile", "entropy"][i % 3]}
                if i % 3 == 1:
                    spec["calibration"]["percentile"] = 99.99
            spec["evaluation"] = Flow({"metric": metric, "tolerance": [0.01, 0.02, 0.005][i % 3]})
            spec["latencyBudgetMs"] = [10, 25, 50, 60, 120, 400][rng.randrange(6)]
            if i % 5 == 0:
                spec["onAccuracyMiss"] = "ship-float"
            doc = document("Model", name, spec, labels={"domain": "ocr" if task.startswith("ocr") else "vision"},
                           annotations={"origin": f"bench generator, seed {SEED}, model {i}"})
            self.models.append({"doc": doc, "name": name, "uses": uses, "calibrated": calibrated})

    # Workflows -----------------------------------------------------------------------
    def make_workflows(self) -> None:
        rng = self.rng
        # Every model is used: the first pass hands them out in order.
        queue = list(range(MODEL_DOCS))
        for w in range(WORKFLOW_DOCS):
            name = f"wf{w:03d}-{['crowd', 'vehicle', 'ocr', 'retail', 'safety', 'parking'][w % 6]}"
            count = rng.randint(5, 20)
            env_names = ["vision"] if w % 3 else ["vision", "tools"]
            environments = []
            for e in env_names:
                pkgs = PACKAGES[:3] + rng.sample(PACKAGES[3:], rng.randint(0, 3))
                environments.append({"name": e, "python": "3.11" if e == "vision" else "3.12", "packages": pkgs})
            tasks = []
            used_models = []
            for t in range(count):
                if t == 0:
                    uses = "source"
                elif t == count - 1:
                    uses = "serve"
                else:
                    uses = rng.choice(["detect", "classify", "track", "analyze", "analyze", "command"])
                tname = f"{uses}-{t:02d}"
                task: dict = {"name": tname, "uses": uses}
                if uses in ("detect", "classify"):
                    if queue:
                        model = queue.pop(0)
                    else:
                        model = rng.randrange(MODEL_DOCS)
                    task["model"] = self.models[model]["name"]
                    used_models.append(self.models[model]["name"])
                if t > 0:
                    earlier = [x["name"] for x in tasks]
                    needs = [earlier[-1]]
                    if t > 2 and rng.random() < 0.3:
                        extra = rng.choice(earlier[:-1])
                        if extra not in needs:
                            needs.append(extra)
                    task["needs"] = needs
                job = uses == "command" and rng.random() < 0.5
                if job:
                    task["mode"] = "job"
                    task["output"] = "files"
                    task["timeoutSeconds"] = 600
                task["command"] = ["python3", f"tasks/{uses}.py"]
                task["environment"] = env_names[t % len(env_names)]
                if uses == "serve":
                    task["output"] = "none"
                if not job:
                    port = 8080 if uses == "serve" else 7000 + t
                    task["port"] = port
                if uses == "source":
                    task["params"] = Flow({"source": f"rtsp://cam-{w:03d}.local/stream", "fps": 10, "loop": True})
                elif uses == "analyze":
                    task["params"] = {"zones": [Flow({"name": "entrance", "polygon": [[0, 300], [380, 300], [380, 576], [0, 576]],
                                                      "crowdThreshold": 6})], "loiterSeconds": 20}
                elif uses in ("detect", "classify"):
                    task["params"] = Flow({"scoreThreshold": 0.45})
                    task["resources"] = Flow({"cpu": 1.0, "memoryMB": 512})
                elif uses == "track":
                    task["params"] = Flow({"iou": 0.3, "maxAgeFrames": 15})
                if uses == "serve":
                    task["health"] = {"http": Flow({"path": "/healthz", "port": 8080}), "initialDelaySeconds": 2,
                                      "periodSeconds": 5}
                    task["restart"] = Flow({"policy": "always", "backoffSeconds": 1, "maxBackoffSeconds": 30})
                tasks.append(task)
            spec = {"description": f"generated service {w}: {count} tasks", "environments": environments, "tasks": tasks}
            doc = document("Workflow", name, spec, labels={"poc": name.split("-", 1)[1]})
            self.workflows.append({"doc": doc, "name": name, "models": sorted(set(used_models))})
        assert not queue, "every model must be used by a workflow"

    # Deployments ---------------------------------------------------------------------
    def make_deployments(self) -> None:
        rng = self.rng
        calibrated = {m["name"]: m["calibrated"] for m in self.models}
        # A host runs one deployment's release (GS307), so deployments own disjoint hosts:
        # a selector takes a whole site x class group that nobody uses yet, a host list
        # takes one or two of a group's free hosts.
        free: dict[tuple[int, str], list[str]] = {}
        for h in self.hosts:
            free.setdefault((h["site"], h["class"]), []).append(h["name"])
        untouched = set(free)
        for d in range(DEPLOY_DOCS):
            workflow = self.workflows[d % WORKFLOW_DOCS] if d < WORKFLOW_DOCS else rng.choice(self.workflows)
            all_calibrated = all(calibrated[m] for m in workflow["models"])
            name = f"dp{d:04d}-{workflow['name']}"
            sites = rng.sample(range(SITES), rng.randint(1, 2))  # distinct sites: targets never overlap
            targets = []
            total = 0
            for s in sites:
                classes = [c for c, _ in SITE_CLASSES if free[(s, c)]]
                if not classes:
                    if targets:
                        continue
                    # The first target must land somewhere: the next site with a free host.
                    s = next(t for t in range(SITES) if any(free[(t, c)] for c, _ in SITE_CLASSES))
                    classes = [c for c, _ in SITE_CLASSES if free[(s, c)]]
                klass = rng.choice(classes)
                precision = CLASS_PRECISION[klass]
                if precision == "int8-mixed" and not all_calibrated:
                    precision = "fp32"
                group = (s, klass)
                if group in untouched and rng.random() < 0.25:
                    target: dict = {"selector": {"matchLabels": Flow({"site": f"site-{s:03d}", "class": klass})}}
                    total += len(free[group])
                    free[group] = []
                else:
                    chosen = free[group][: rng.randint(1, 2)]
                    free[group] = free[group][len(chosen):]
                    target = {"hosts": chosen}
                    total += len(chosen)
                untouched.discard(group)
                if rng.random() < 0.7:
                    target["precision"] = precision
                elif workflow["models"] and precision != "fp32":
                    target["precision"] = precision
                    target["models"] = Flow({workflow["models"][0]: "fp32"})
                else:
                    target["precision"] = "auto"
                targets.append(target)
            assert targets, "more deployments than hosts"
            rollout: dict = {}
            if total >= 2:
                rollout["canary"] = 1
            if rng.random() < 0.5:
                rollout["batchSize"] = rng.randint(1, 5)
            else:
                rollout["maxUnavailable"] = rng.choice(["25%", "50%", 2])
            rollout["failureThreshold"] = rng.choice([0, "10%", "20%"])
            if rng.random() < 0.3:
                rollout["pauseSeconds"] = 30
            rollout["onFailure"] = rng.choice(["rollback-batch", "rollback-all", "halt"])
            spec = {"workflow": workflow["name"], "precision": "auto", "targets": targets, "rollout": rollout}
            if rng.random() < 0.6:
                spec["trust"] = ["../keys/release.pub"]
            doc = document("Deployment", name, spec)
            self.deployments.append({"doc": doc, "name": name})


# ---------------------------------------------------------------------------------------
# Deliberate errors. Each mutation breaks exactly the schema and nothing the reference,
# graph, compatibility or rollout rules look at (so only GS1xx/GS2xx findings appear).
# `codes`: what gsctl is expected to report for the document. Mutations marked probe=True
# are edge cases where the JSON Schema and gsctl's hand-written format checks might differ.


def _spec(doc):
    return doc["spec"]


def _replace_key(mapping: dict, old: str, new: str, value=None) -> dict:
    result = {}
    for k, v in mapping.items():
        if k == old:
            result[new] = v if value is None else value
        else:
            result[k] = v
    return result


def _first_task(doc, pred):
    for task in _spec(doc)["tasks"]:
        if pred(task):
            return task
    return None


def m_device_unknown_key(doc):
    doc["spec"] = _replace_key(_spec(doc), "memoryMB", "memoryMb")


def m_device_bad_arch(doc):
    _spec(doc)["arch"] = "amd64"


def m_device_bad_feature(doc):
    cpu = _spec(doc)["cpu"].items
    cpu["features"] = cpu["features"][:1] + ["avx512"]


def m_device_quoted_int(doc):
    _spec(doc)["memoryMB"] = str(_spec(doc)["memoryMB"])  # emitted quoted: "8192"


def m_device_scalar_list(doc):
    _spec(doc)["accelerators"] = _spec(doc)["accelerators"][0]


def m_device_runtime_no_version(doc):
    del _spec(doc)["runtimes"][0]["version"]


def m_device_zero_cores(doc):
    _spec(doc)["cpu"].items["cores"] = 0


def m_host_bad_port(doc):
    _spec(doc)["port"] = 70000


def m_host_bad_transport(doc):
    # An unknown transport reads as the default ssh, so the ssh fields stay.
    s = _spec(doc)
    doc["spec"] = {"device": s["device"], "transport": "winrm", **{k: v for k, v in s.items() if k != "device"}}


def m_host_typo_address(doc):
    doc["spec"] = _replace_key(_spec(doc), "address", "adress")


def m_host_metadata_key(doc):
    doc["metadata"]["owner"] = "ops"


def m_host_user_list(doc):
    _spec(doc)["user"] = [_spec(doc)["user"]]


def m_host_bad_label_key(doc):
    doc["metadata"]["labels"].items["rack#"] = "r9"


def m_model_no_sha(doc):
    del _spec(doc)["sha256"]


def m_model_upper_sha(doc):
    _spec(doc)["sha256"] = _spec(doc)["sha256"].upper()


def m_model_bad_task(doc):
    _spec(doc)["task"] = "segmentation"


def m_model_negative_dim(doc):
    shape = _spec(doc)["inputs"][0].items["shape"]
    shape[0] = -1


def m_model_tolerance(doc):
    _spec(doc)["evaluation"].items["tolerance"] = 1.5


def m_model_resize_no_height(doc):
    del _spec(doc)["preprocess"]["resize"].items["height"]


def m_model_latency_word(doc):
    _spec(doc)["latencyBudgetMs"] = "fast"


def m_model_unknown_key(doc):
    _spec(doc)["quantize"] = "int8"


def m_wf_bad_uses(doc):
    # A model-less task kind, so no GS401 follows.
    _first_task(doc, lambda t: t["uses"] in ("track", "analyze", "command", "serve"))["uses"] = "aggregate"


def m_wf_no_command(doc):
    del _first_task(doc, lambda t: t["uses"] == "analyze" or t["uses"] == "serve")["command"]


def m_wf_quoted_port(doc):
    task = _first_task(doc, lambda t: "port" in t and t["uses"] != "serve")
    task["port"] = str(task["port"])


def m_wf_needs_scalar(doc):
    task = _first_task(doc, lambda t: len(t.get("needs", [])) == 1)
    task["needs"] = task["needs"][0]


def m_wf_unpinned(doc):
    _spec(doc)["environments"][0]["packages"][0] = "numpy>=1.26"


def m_wf_task_unknown_key(doc):
    _first_task(doc, lambda t: t["uses"] == "track" or t["uses"] == "serve")["replicas"] = 2


def m_wf_health_path(doc):
    task = _first_task(doc, lambda t: t["uses"] == "serve")
    task["health"]["http"].items["path"] = "healthz"


def m_wf_zero_cpu(doc):
    task = _first_task(doc, lambda t: "resources" in t)
    task["resources"].items["cpu"] = 0


def m_wf_bad_mode(doc):
    _first_task(doc, lambda t: t["uses"] == "serve")["mode"] = "daemon"


def m_dp_bad_precision(doc):
    _spec(doc)["precision"] = "int4"


def m_dp_zero_batch(doc):
    r = _spec(doc)["rollout"]
    r.pop("maxUnavailable", None)
    r["batchSize"] = 0


def m_dp_both_batch(doc):
    r = _spec(doc)["rollout"]
    r["batchSize"] = 2
    r["maxUnavailable"] = "25%"


def m_dp_target_empty(doc):
    t = _spec(doc)["targets"][0]
    t.pop("hosts", None)
    t.pop("selector", None)


def m_dp_percent_150(doc):
    r = _spec(doc)["rollout"]
    r.pop("batchSize", None)
    r["maxUnavailable"] = "150%"


def m_dp_bad_on_failure(doc):
    _spec(doc)["rollout"]["onFailure"] = "rollback"


def m_dp_unknown_key(doc):
    _spec(doc)["strategy"] = "blue-green"


def m_dp_no_targets(doc):
    _spec(doc)["targets"] = []


def m_dp_trust_scalar(doc):
    _spec(doc)["trust"] = "../keys/release.pub"


def m_dp_no_workflow(doc):
    del _spec(doc)["workflow"]


def m_env_api_version(doc):
    doc["apiVersion"] = "gs.ai/v2"


def m_env_kind_typo(doc):
    doc["kind"] = "Deploymnet"


def m_env_bad_name(doc):
    doc["metadata"]["name"] = doc["metadata"]["name"].replace("dp", "DP_", 1)


def m_env_top_key(doc):
    doc["status"] = Flow({"phase": "ready"})


# Probes: edge cases of the hand-written format checks against the exported patterns.
def p_empty_description(doc):
    _spec(doc)["description"] = ""


def p_percent_leading_zero(doc):
    r = _spec(doc)["rollout"]
    r.pop("batchSize", None)
    r["maxUnavailable"] = "05%"


def p_package_bracket(doc):
    _spec(doc)["environments"][0]["packages"][0] = "num]py==1.26.4"


def p_empty_annotation(doc):
    doc["metadata"]["annotations"].items["origin"] = ""


def p_empty_env_value(doc):
    task = _first_task(doc, lambda t: t["uses"] == "track")
    task["env"] = Flow({"LOG_LEVEL": "info", "EXTRA_ARGS": ""})


def p_empty_command(doc):
    _first_task(doc, lambda t: t["uses"] == "analyze")["command"] = ""


def p_path_no_break_space(doc):
    task = _first_task(doc, lambda t: t["uses"] == "serve")
    task["health"]["http"].items["path"] = "/health\u00a0z"


def p_name_trailing_newline(doc):
    doc["metadata"]["name"] = doc["metadata"]["name"] + "\n"


# (name, kind, mutate, expected gsctl codes, count, probe); no codes: the edit keeps the
# document valid (an edge case both tools must accept).
MUTATIONS = [
    ("unknown key in spec (memoryMb)", "Device", m_device_unknown_key, ["GS202"], 3, False),
    ("bad enum arch: amd64", "Device", m_device_bad_arch, ["GS204"], 3, False),
    ("bad enum in list (cpu feature avx512)", "Device", m_device_bad_feature, ["GS204"], 3, False),
    ("integer given as quoted text (memoryMB)", "Device", m_device_quoted_int, ["GS203"], 3, False),
    ("list given as a scalar (accelerators)", "Device", m_device_scalar_list, ["GS203"], 3, False),
    ("runtime missing required version", "Device", m_device_runtime_no_version, ["GS206"], 3, False),
    ("cpu.cores: 0 below minimum", "Device", m_device_zero_cores, ["GS205"], 2, False),
    ("port 70000 above maximum", "Host", m_host_bad_port, ["GS205"], 3, False),
    ("bad enum transport: winrm", "Host", m_host_bad_transport, ["GS204"], 3, False),
    ("typo adress (unknown key + ssh needs address)", "Host", m_host_typo_address, ["GS202", "GS206"], 3, False),
    ("unknown key in metadata", "Host", m_host_metadata_key, ["GS202"], 3, False),
    ("text given as a list (user)", "Host", m_host_user_list, ["GS203"], 3, False),
    ("label key with bad characters", "Host", m_host_bad_label_key, ["GS205"], 3, False),
    ("missing required sha256", "Model", m_model_no_sha, ["GS206"], 3, False),
    ("uppercase sha256 (pattern)", "Model", m_model_upper_sha, ["GS205"], 3, False),
    ("bad enum task: segmentation", "Model", m_model_bad_task, ["GS204"], 2, False),
    ("negative shape dimension", "Model", m_model_negative_dim, ["GS205"], 3, False),
    ("tolerance 1.5 above maximum", "Model", m_model_tolerance, ["GS205"], 3, False),
    ("resize missing required height", "Model", m_model_resize_no_height, ["GS206"], 2, False),
    ("number given as text (latencyBudgetMs: fast)", "Model", m_model_latency_word, ["GS203"], 2, False),
    ("unknown key in spec (quantize)", "Model", m_model_unknown_key, ["GS202"], 2, False),
    ("bad enum task uses: aggregate", "Workflow", m_wf_bad_uses, ["GS204"], 3, False),
    ("task missing required command", "Workflow", m_wf_no_command, ["GS206"], 3, False),
    ("port given as quoted text", "Workflow", m_wf_quoted_port, ["GS203"], 3, False),
    ("needs given as a scalar", "Workflow", m_wf_needs_scalar, ["GS203"], 3, False),
    ("unpinned package numpy>=1.26", "Workflow", m_wf_unpinned, ["GS205"], 2, False),
    ("unknown key in task (replicas)", "Workflow", m_wf_task_unknown_key, ["GS202"], 2, False),
    ("health path without leading slash", "Workflow", m_wf_health_path, ["GS205"], 2, False),
    ("resources.cpu: 0 below minimum", "Workflow", m_wf_zero_cpu, ["GS205"], 2, False),
    ("bad enum mode: daemon", "Workflow", m_wf_bad_mode, ["GS204"], 2, False),
    ("bad enum precision: int4", "Deployment", m_dp_bad_precision, ["GS204"], 2, False),
    ("rollout.batchSize: 0 below minimum", "Deployment", m_dp_zero_batch, ["GS205"], 2, False),
    ("batchSize and maxUnavailable both given", "Deployment", m_dp_both_batch, ["GS205"], 2, False),
    ("target with neither hosts nor selector", "Deployment", m_dp_target_empty, ["GS206"], 2, False),
    ("maxUnavailable 150% (pattern)", "Deployment", m_dp_percent_150, ["GS205"], 2, False),
    ("bad enum onFailure: rollback", "Deployment", m_dp_bad_on_failure, ["GS204"], 2, False),
    ("unknown key in spec (strategy)", "Deployment", m_dp_unknown_key, ["GS202"], 2, False),
    ("targets: [] below minItems", "Deployment", m_dp_no_targets, ["GS205"], 2, False),
    ("trust given as a scalar", "Deployment", m_dp_trust_scalar, ["GS203"], 2, False),
    ("missing required workflow", "Deployment", m_dp_no_workflow, ["GS206"], 2, False),
    ("apiVersion gs.ai/v2", "Deployment", m_env_api_version, ["GS200"], 2, False),
    ("kind typo Deploymnet", "Deployment", m_env_kind_typo, ["GS201"], 2, False),
    ("metadata.name not a DNS label", "Deployment", m_env_bad_name, ["GS205"], 2, False),
    ("unknown top-level key (status)", "Deployment", m_env_top_key, ["GS202"], 2, False),
    # probes (expected codes are what a strict reading of the schema implies)
    ("probe: empty description \"\"", "Workflow", p_empty_description, ["GS205"], 1, True),
    ("probe: empty annotation value \"\" (allowed)", "Model", p_empty_annotation, [], 1, True),
    ("probe: empty env value \"\" (allowed)", "Workflow", p_empty_env_value, [], 1, True),
    ("probe: empty command \"\"", "Workflow", p_empty_command, ["GS205"], 1, True),
    ("probe: maxUnavailable \"05%\" (leading zero)", "Deployment", p_percent_leading_zero, ["GS205"], 1, True),
    ("probe: package \"num]py==1.26.4\" (bracket in name)", "Workflow", p_package_bracket, ["GS205"], 1, True),
    ("probe: metadata.name with trailing newline", "Deployment", p_name_trailing_newline, ["GS205"], 1, True),
    ("probe: health path with a no-break space (U+00A0)", "Workflow", p_path_no_break_space, ["GS205"], 1, True),
]


def apply_mutations(gen: Generator, rng: random.Random) -> dict[int, tuple]:
    """Picks documents per kind (spread out, deterministic) and mutates them in place.
    Returns id(doc) -> (mutation name, codes, probe, kind before the mutation)."""
    pools = {
        "Device": [d["doc"] for d in gen.devices],
        "Host": [h["doc"] for h in gen.hosts],
        "Model": [m["doc"] for m in gen.models],
        "Workflow": [w["doc"] for w in gen.workflows],
        "Deployment": [d["doc"] for d in gen.deployments],
    }
    # Deployment mutations that change what it reaches or what it deploys go on
    # deployments whose workflow is deployed by another one too (no GS306 note either).
    chosen: dict[int, tuple] = {}
    order = {kind: rng.sample(range(len(pool)), len(pool)) for kind, pool in pools.items()}
    cursor = {kind: 0 for kind in pools}
    for name, kind, mutate, codes, count, probe in MUTATIONS:
        done = 0
        while done < count:
            index = order[kind][cursor[kind]]
            cursor[kind] += 1
            doc = pools[kind][index]
            if kind == "Deployment" and index < WORKFLOW_DOCS:
                continue  # the first WORKFLOW_DOCS deployments each deploy a workflow nobody else may
            if id(doc) in chosen:
                continue
            before = render(doc)
            try:
                mutate(doc)
            except (AttributeError, KeyError, TypeError, IndexError):
                continue  # this document lacks the field the mutation needs: try the next
            if render(doc) == before:
                continue  # nothing to change here (an ssh-only field on a local host, say)
            chosen[id(doc)] = (name, codes, probe, kind)
            done += 1
    return chosen


# ---------------------------------------------------------------------------------------
# Files.


def header(text: str) -> list[str]:
    return [f"# {line}" if line else "#" for line in text.splitlines()]


def write(path: str, data: str | bytes) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    mode = "wb" if isinstance(data, bytes) else "w"
    with open(path, mode, **({} if isinstance(data, bytes) else {"encoding": "utf-8", "newline": "\n"})) as f:
        f.write(data)


def chunk(items: list, sizes: list[int]) -> list[list]:
    out, start = [], 0
    for size in sizes:
        out.append(items[start:start + size])
        start += size
    assert start == len(items)
    return out


def even_sizes(total: int, parts: int, rng: random.Random, spread: int) -> list[int]:
    """`parts` sizes summing to `total`, each within `spread` of the mean (at least 1)."""
    base = [total // parts + (1 if i < total % parts else 0) for i in range(parts)]
    for _ in range(parts * 2):
        a, b = rng.randrange(parts), rng.randrange(parts)
        move = rng.randint(0, spread)
        if a != b and base[a] - move >= 1 and base[b] + move <= total // parts + spread:
            base[a] -= move
            base[b] += move
    return base


def build_repo(out: str, key_pem: str) -> list[dict]:
    rng = random.Random(SEED)
    gen = Generator(rng)
    gen.make_devices()
    gen.make_hosts()
    gen.make_models()
    gen.make_workflows()
    gen.make_deployments()
    mutated = apply_mutations(gen, random.Random(SEED + 1))

    repo = os.path.join(out, "repo")
    split = os.path.join(out, "split")
    files: list[tuple[str, str, list[dict]]] = []  # (relative path, comment, docs)
    for i, group in enumerate(chunk([d["doc"] for d in gen.devices], [DEVICE_DOCS // DEVICE_FILES] * DEVICE_FILES)):
        files.append((f"devices/devices-{i:03d}.yaml", f"Device classes, part {i}.", group))
    for site in range(SITES):
        hosts = [h["doc"] for h in gen.hosts if h["site"] == site]
        half = len(hosts) // 2
        files.append((f"hosts/site-{site:03d}-a.yaml", f"Hosts at site-{site:03d} (first half).\nAddresses are a test network's.", hosts[:half]))
        files.append((f"hosts/site-{site:03d}-b.yaml", f"Hosts at site-{site:03d} (second half).", hosts[half:]))
    for i, group in enumerate(chunk([m["doc"] for m in gen.models], even_sizes(MODEL_DOCS, MODEL_FILES, rng, 2))):
        files.append((f"models/models-{i:03d}.yaml", f"Models, part {i}: sources and digests under blobs/.", group))
    for i, group in enumerate(chunk([w["doc"] for w in gen.workflows], even_sizes(WORKFLOW_DOCS, WORKFLOW_FILES, rng, 1))):
        files.append((f"workflows/workflows-{i:03d}.yaml", f"Workflows, part {i}.", group))
    for i, group in enumerate(chunk([d["doc"] for d in gen.deployments], even_sizes(DEPLOY_DOCS, DEPLOY_FILES, rng, 3))):
        files.append((f"deployments/deployments-{i:03d}.yaml", f"Deployments, part {i}.", group))
    assert len(files) == FILES, len(files)

    manifest = []
    for rel, comment, docs in files:
        lines = header(f"Generated by bench/lint_scale/generate.py (seed {SEED}). {comment}")
        for n, doc in enumerate(docs):
            if n > 0:
                lines.append("---")
            first = len(lines) + 1
            body = render(doc)
            lines.extend(body)
            last = len(lines)
            stem = rel[:-len(".yaml")]
            split_rel = f"{stem}--{n:02d}.yaml"
            write(os.path.join(split, split_rel), "\n".join(body) + "\n")
            entry = {"id": f"{rel}#{n}", "kind": doc["kind"], "name": doc["metadata"]["name"], "file": rel,
                     "first_line": first, "last_line": last, "split": split_rel, "lines": len(body)}
            if id(doc) in mutated:
                name, codes, probe, kind = mutated[id(doc)]
                entry.update({"kind": kind, "error": name, "codes": codes, "probe": probe})
            manifest.append(entry)
        write(os.path.join(repo, rel), "\n".join(lines) + "\n")
    assert len(manifest) == DOCUMENTS, len(manifest)

    for rel, data in gen.blobs.items():
        write(os.path.join(repo, rel), data)
    os.makedirs(os.path.join(repo, "models/data/calib"), exist_ok=True)
    write(os.path.join(repo, "models/data/calib/README"), "calibration images would live here\n")
    write(os.path.join(repo, "keys/release.pub"), key_pem)
    # The split tree sits at the same depth, so relative paths resolve through links.
    for link, target in (("models/blobs", "../../repo/models/blobs"), ("models/data", "../../repo/models/data"),
                         ("keys", "../repo/keys")):
        os.symlink(target, os.path.join(split, link))
    return manifest


# ---------------------------------------------------------------------------------------
# The 10,000-task workflow.


def build_plan10k(out: str, key_pem: str) -> dict:
    rng = random.Random(SEED + 2)
    root = os.path.join(out, "plan10k")
    docs: dict[str, list[dict]] = {}
    docs["devices.yaml"] = []
    for prefix, klass, _, arch, features, accelerators, runtimes in DEVICE_FAMILIES[:2]:
        spec = {"arch": arch, "cpu": Flow({"features": features, "cores": 8}), "memoryMB": 16384,
                "accelerators": accelerators, "runtimes": [dict(r) for r in runtimes]}
        docs["devices.yaml"].append(document("Device", f"{prefix}-big", spec, labels={"class": klass}))
    docs["hosts.yaml"] = []
    for i in range(20):
        klass, prefix = (("cpu-edge", "x86-gw") if i % 2 == 0 else ("gpu-edge", "jetson"))
        docs["hosts.yaml"].append(document("Host", f"big-{i:02d}", {"device": f"{prefix}-big", "address": f"10.99.0.{i + 10}",
                                                                     "user": "gsctl"},
                                           labels={"site": "plant", "class": klass}))
    models = []
    docs["models.yaml"] = []
    blobs = {}
    for i, (task, uses, metric, shape, layout) in enumerate(MODEL_TASKS[:3]):
        name = f"big-{task}"
        data = blob_bytes(name, 4096)
        blobs[f"blobs/{name}.onnx"] = data
        spec = {"source": f"blobs/{name}.onnx", "sha256": hashlib.sha256(data).hexdigest(), "task": task,
                "inputs": [Flow({"name": "images", "shape": shape, "layout": layout})],
                "calibration": {"data": "data/calib", "samples": 128}, "evaluation": Flow({"metric": metric})}
        docs["models.yaml"].append(document("Model", name, spec))
        models.append((name, uses))

    # Levels of varying width (a diamond: narrow, wide, narrow), 10,000 tasks in all, the
    # last level a few serve tasks.
    depth, sinks = 120, 5
    raw = [20 + 120 * math.sin(math.pi * (lv + 0.5) / (depth - 1)) for lv in range(depth - 1)]
    scale = (PLAN_TASKS - sinks) / sum(raw)
    widths = [max(1, round(r * scale)) for r in raw]
    widths[len(widths) // 2] += PLAN_TASKS - sinks - sum(widths)
    widths.append(sinks)
    tasks = []
    names_by_level: list[list[str]] = []
    port = 20000
    for lv, width in enumerate(widths):
        names = []
        for j in range(width):
            name = f"t{lv:03d}-{j:03d}"
            if lv == 0:
                uses = "source"
            elif lv == len(widths) - 1:
                uses = "serve"
            else:
                uses = ["analyze", "track", "command", "analyze", "detect", "classify"][(lv * 7 + j) % 6]
            task: dict = {"name": name, "uses": uses}
            if uses in ("detect", "classify"):
                fitting = [m for m, u in models if u == uses]
                task["model"] = fitting[j % len(fitting)]
            if lv > 0:
                prev = names_by_level[lv - 1]
                needs = rng.sample(prev, min(len(prev), rng.randint(1, 3)))
                if lv > 2 and rng.random() < 0.25:  # a skip connection to a deeper level
                    back = names_by_level[rng.randrange(0, lv - 1)]
                    extra = rng.choice(back)
                    if extra not in needs:
                        needs.append(extra)
                task["needs"] = needs
            task["command"] = ["python3", f"tasks/{uses}.py"]
            task["environment"] = "vision"
            if uses in ("source", "serve") or j % 10 == 0:
                task["port"] = port
                port += 1
            if uses == "serve":
                task["output"] = "none"
            tasks.append(task)
            names.append(name)
        names_by_level.append(names)
    assert len(tasks) == PLAN_TASKS
    wf_spec = {"description": f"a {PLAN_TASKS}-task DAG over {len(widths)} levels",
               "environments": [{"name": "vision", "python": "3.11", "packages": PACKAGES[:3]}], "tasks": tasks}
    docs["workflow.yaml"] = [document("Workflow", "big-dag", wf_spec)]
    docs["deployment.yaml"] = [document("Deployment", "big-dag-plant", {
        "workflow": "big-dag", "precision": "auto",
        "targets": [{"selector": {"matchLabels": Flow({"site": "plant", "class": "cpu-edge"})}, "precision": "int8-mixed"},
                    {"selector": {"matchLabels": Flow({"site": "plant", "class": "gpu-edge"})}, "precision": "fp16"}],
        "rollout": {"canary": 1, "batchSize": 4, "failureThreshold": "10%"},
        "trust": ["keys/release.pub"]})]
    for rel, ds in docs.items():
        lines = header(f"Generated by bench/lint_scale/generate.py (seed {SEED}): the {PLAN_TASKS}-task plan benchmark.")
        for n, doc in enumerate(ds):
            if n:
                lines.append("---")
            lines.extend(render(doc))
        write(os.path.join(root, rel), "\n".join(lines) + "\n")
    for rel, data in blobs.items():
        write(os.path.join(root, rel), data)
    write(os.path.join(root, "data/calib/README"), "calibration images would live here\n")
    write(os.path.join(root, "keys/release.pub"), key_pem)
    edges = sum(len(t.get("needs", [])) for t in tasks)
    return {"tasks": len(tasks), "levels": len(widths), "max_width": max(widths), "edges": edges}


def fingerprint(key_pem: str) -> str:
    with open(__file__, "rb") as f:
        source = f.read()
    h = hashlib.sha256(source)
    h.update(key_pem.encode())
    h.update(sys.version.split()[0].encode())  # repr() of floats is stable, but be safe
    return h.hexdigest()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="bench/out/lint_scale")
    parser.add_argument("--key", default="Specs/keys/release.pub", help="an Ed25519 public key (PEM) to trust")
    parser.add_argument("--force", action="store_true", help="regenerate even when the stamp matches")
    args = parser.parse_args()
    with open(args.key, encoding="utf-8") as f:
        key_pem = f.read()
    stamp_path = os.path.join(args.out, "STAMP")
    stamp = fingerprint(key_pem)
    if not args.force and os.path.exists(stamp_path):
        with open(stamp_path, encoding="utf-8") as f:
            if f.read().strip() == stamp and os.path.exists(os.path.join(args.out, "manifest.json")):
                print(f"generate: reusing {args.out} (unchanged, stamp {stamp[:12]})")
                return 0
    for sub in ("repo", "split", "plan10k"):
        shutil.rmtree(os.path.join(args.out, sub), ignore_errors=True)
    for name in ("manifest.json", "STAMP"):
        if os.path.exists(os.path.join(args.out, name)):
            os.remove(os.path.join(args.out, name))
    os.makedirs(args.out, exist_ok=True)
    documents = build_repo(args.out, key_pem)
    plan = build_plan10k(args.out, key_pem)
    invalid = [d for d in documents if d.get("codes")]
    manifest = {"seed": SEED, "files": FILES, "documents": documents, "plan10k": plan,
                "invalid": len(invalid), "probes": sum(1 for d in documents if d.get("probe"))}
    write(os.path.join(args.out, "manifest.json"), json.dumps(manifest, indent=1) + "\n")
    write(stamp_path, stamp + "\n")
    kinds: dict[str, int] = {}
    for d in documents:
        kinds[d["kind"]] = kinds.get(d["kind"], 0) + 1
    print(f"generate: {FILES} files, {len(documents)} documents "
          f"({', '.join(f'{v} {k}' for k, v in kinds.items())}), {len(invalid)} deliberately invalid "
          f"({manifest['probes']} edge-case probes, valid or not); plan10k: {plan['tasks']} tasks, {plan['levels']} levels, "
          f"max width {plan['max_width']}, {plan['edges']} edges")
    return 0


if __name__ == "__main__":
    sys.exit(main())
