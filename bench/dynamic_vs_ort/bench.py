"""dynamic_vs_ort: gsctl's dynamic / weight-only INT8 against onnxruntime's quantize_dynamic on
PP-OCRv4 rec, every variant run in onnxruntime 1.20.1 here (see run.sh for the knobs).

Variants, all from gsctl's fp32 model at the static shape 1x3x48x640 (the same graph passes
for everyone, so only the quantization differs):
  fp32              gsctl model optimize --precision fp32
  gsctl-dynamic     --precision int8 --quantization dynamic
  gsctl-weight-only --precision int8 --quantization weight-only
  ort-dynamic       onnxruntime.quantization.quantize_dynamic(per_channel=True, QInt8,
                    op_types_to_quantize MatMul and Gemm, as gsctl)
  ort-dynamic-pt    the same, per tensor (quantize_dynamic's default)
Accuracy: character accuracy (1 - edit distance / length, spaces ignored) on upright lines
rendered with another seed than Specs/data/text-lines, decoded with the model's dictionary.
Latency: median ms per line over interleaved rounds, 2 intra-op threads, and its ratio to
fp32 in the same run.
"""
import argparse
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
import benchlib  # noqa: E402
import cv2  # noqa: E402
import numpy as np  # noqa: E402
import onnx  # noqa: E402
import onnxruntime as ort  # noqa: E402

SHAPE = "x=1x3x48x640"
PREPROCESS = "size=640x48;scale=0.00392156862745098;mean=0.5,0.5,0.5;std=0.5,0.5,0.5;bgr;keep-aspect"


def model_path() -> str:
    for folder in [os.environ.get("GS_MODELS", ""), "/work/shared/models", "../shared/models", "Specs/models"]:
        path = os.path.join(folder, "ppocrv4_rec.onnx")
        if folder and os.path.exists(path):
            return path
    raise SystemExit("dynamic_vs_ort: ppocrv4_rec.onnx not found (make models, or GS_MODELS=folder)")


def gsctl_variant(gsctl: str, source: str, out: str, precision: str, mode: str | None) -> dict:
    args = [gsctl, "model", "optimize", source, "--precision", precision, "--shape", SHAPE, "--out", out]
    if mode:
        # gsctl checks itself on the repository's labelled lines (its own tolerance gate).
        args += ["--quantization", mode, "--eval", "Specs/data/text-lines", "--preprocess", PREPROCESS,
                 "--metric", "char-accuracy", "--tolerance", "0.02"]
    started = time.perf_counter()
    run = subprocess.run(args, capture_output=True, text=True)
    if run.returncode != 0:
        raise SystemExit(f"dynamic_vs_ort: {' '.join(args)} failed:\n{run.stdout}{run.stderr}")
    return {"compileSeconds": round(time.perf_counter() - started, 2), "gsctl": run.stdout.strip().splitlines()[0]}


def ort_variant(source: str, out: str, per_channel: bool) -> dict:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    started = time.perf_counter()
    # MatMul and Gemm, as gsctl: by default quantize_dynamic also writes ConvInteger with int8
    # weights, which onnxruntime's CPU provider cannot run.
    quantize_dynamic(source, out, weight_type=QuantType.QInt8, per_channel=per_channel,
                     op_types_to_quantize=["MatMul", "Gemm"])
    return {"compileSeconds": round(time.perf_counter() - started, 2)}


def characters(path: str) -> list[str]:
    meta = {p.key: p.value for p in onnx.load(path, load_external_data=False).metadata_props}
    return ["blank"] + meta["character"].split("\n") + [" "]


def read(probs: np.ndarray, chars: list[str]) -> str:
    best = probs.argmax(-1)
    out, last = [], -1
    for index in best:
        if index != last and index != 0:
            out.append(chars[index] if index < len(chars) else "")
        last = index
    return "".join(out)


def edit_distance(a: str, b: str) -> int:
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


def session(path: str) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--gsctl", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--json", required=True)
    ap.add_argument("--lines", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--samples", type=int, default=20)
    args = ap.parse_args()
    machine = benchlib.print_machine()
    source = model_path()
    models = os.path.join(args.out, "models")
    os.makedirs(models, exist_ok=True)
    paths = {name: os.path.join(models, f"{name}.onnx") for name in
             ["fp32", "gsctl-dynamic", "gsctl-weight-only", "ort-dynamic", "ort-dynamic-pt"]}
    info = {"fp32": gsctl_variant(args.gsctl, source, paths["fp32"], "fp32", None)}
    info["gsctl-dynamic"] = gsctl_variant(args.gsctl, source, paths["gsctl-dynamic"], "int8", "dynamic")
    info["gsctl-weight-only"] = gsctl_variant(args.gsctl, source, paths["gsctl-weight-only"], "int8", "weight-only")
    info["ort-dynamic"] = ort_variant(paths["fp32"], paths["ort-dynamic"], per_channel=True)
    info["ort-dynamic-pt"] = ort_variant(paths["fp32"], paths["ort-dynamic-pt"], per_channel=False)

    rows = [r for r in benchlib.render_text_lines(os.path.join(args.out, "lines"), args.lines) if not r["rotated"]]
    inputs = [benchlib.ppocr_line(cv2.imread(r["path"]), 640) for r in rows]
    chars = characters(source)
    sessions = {name: session(path) for name, path in paths.items()}
    for name, s in sessions.items():
        right = total = 0
        for x, row in zip(inputs, rows):
            text = read(s.run(None, {"x": x})[0][0], chars).replace(" ", "")
            expected = row["text"].replace(" ", "")
            total += len(expected)
            right += len(expected) - min(len(expected), edit_distance(text, expected))
        info[name]["charAccuracy"] = right / total
        info[name]["megabytes"] = round(os.path.getsize(paths[name]) / 1e6, 2)
        graph = onnx.load(paths[name], load_external_data=False).graph
        info[name]["nodes"] = len(graph.node)
        info[name]["ops"] = sorted({n.op_type for n in graph.node if "Integer" in n.op_type or "Quant" in n.op_type})
    # Interleaved rounds, each variant in turn (forward then backward) on the same lines.
    timed = inputs[: args.samples]
    times = {name: [] for name in sessions}
    for name, s in sessions.items():
        for x in timed[:3]:
            s.run(None, {"x": x})
    order = list(sessions)
    for round_index in range(args.rounds):
        for name in order if round_index % 2 == 0 else list(reversed(order)):
            for x in timed:
                started = time.perf_counter()
                sessions[name].run(None, {"x": x})
                times[name].append((time.perf_counter() - started) * 1000)
    base = float(np.median(times["fp32"]))
    print(f"\nPP-OCRv4 rec 1x3x48x640 in onnxruntime {ort.__version__}, 2 threads, {len(timed)} lines x "
          f"{args.rounds} rounds; char accuracy on {len(rows)} rendered upright lines")
    print("| variant | MB | nodes | char accuracy | ms/line (median) | speed vs fp32 | compile s |")
    print("|---|---|---|---|---|---|---|")
    for name in order:
        ms = float(np.median(times[name]))
        info[name]["msMedian"] = round(ms, 2)
        info[name]["speedup"] = round(base / ms, 3)
        v = info[name]
        print(f"| {name} | {v['megabytes']} | {v['nodes']} | {v['charAccuracy'] * 100:.2f}% | {ms:.2f} | "
              f"{base / ms:.2f}x | {v['compileSeconds']} |")
    with open(args.json, "w") as f:
        json.dump({"machine": machine, "variants": info}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
