// gsctl-exec-bench (bench/executor_vs_ort's runner): gsctl's Swift executor on given inputs, timed.
//
//   gsctl-exec-bench MODEL INPUTS.npz [--repeat N] [--warmup W] [--out OUTPUTS.npz] [--profile] [--serve]
//
// INPUTS.npz holds one array per model input, named after it, with the samples along a
// leading axis: an input of shape (1, 3, 48, 192) is fed from an array of shape
// (S, 1, 3, 48, 192), sample i being array[i]. The model is loaded and prepared once.
//
// Output (stdout, one line each, milliseconds of `executor.run` alone):
//   load MS                    reading the file and preparing the executor
//   warmup SAMPLE MS           the first pass over every sample (not a measurement)
//   run PASS SAMPLE MS         each of the --repeat timed passes
// --out writes every sample's outputs after the warm-up, as `NAME@SAMPLE` arrays (in NAME,
//   `%` is written `%25` and `/` `%2F`).
// --profile adds one pass that attributes the time between consecutive node outputs to the
//   node's op type (`op TYPE MS_PER_PASS NODES`; Loop bodies count inside their Loop node).
// --serve reads commands from stdin instead of running --repeat passes: `pass` runs one timed
//   pass (prints `run` lines, then `done`), `profile` one profiled pass (then `done`), `quit`.
import GSCore
import GSData
import GSExec
import ONNX

#if canImport(Glibc)
    import Glibc
#endif

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) * 1e3 + Double(ts.tv_nsec) / 1e6
}

func fail(_ message: String) -> Never {
    let bytes = Array("runner: \(message)\n".utf8)
    _ = bytes.withUnsafeBufferPointer { write(2, $0.baseAddress, $0.count) }
    exit(2)
}

func say(_ line: String) {
    print(line)
    fflush(nil)
}

func value(_ text: String?, _ option: String) -> String {
    guard let text else { fail("\(option) needs a value") }
    return text
}

func number(_ text: String?, _ option: String) -> Int {
    guard let text, let n = Int(text), n >= 0 else { fail("\(option) needs a number") }
    return n
}

// MARK: - Arguments

var positionals: [String] = []
var repeatCount = 5
var warmup = 1
var outPath: String?
var profile = false
var serve = false
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let argument = arguments.next() {
    switch argument {
    case "--repeat": repeatCount = number(arguments.next(), argument)
    case "--warmup": warmup = number(arguments.next(), argument)
    case "--out": outPath = value(arguments.next(), argument)
    case "--profile": profile = true
    case "--serve": serve = true
    case "-h", "--help":
        say("usage: runner MODEL INPUTS.npz [--repeat N] [--warmup W] [--out OUTPUTS.npz] [--profile] [--serve]")
        exit(0)
    default:
        if argument.hasPrefix("--") { fail("unknown option \(argument)") }
        positionals.append(argument)
    }
}
guard positionals.count == 2 else { fail("usage: runner MODEL INPUTS.npz [--repeat N] [--out OUTPUTS.npz]") }

// The executor as gsctl's compile commands run it: freed tensors kept for reuse.
AllocatorTuning.keepFreedMemoryForReuse()

// MARK: - Model and inputs

let loadStart = now()
let executor: Executor
do {
    executor = try ONNXImport.executor(for: try ModelFile.load(positionals[0]))
} catch {
    fail("cannot load \(positionals[0]): \(error)")
}
say("load \(now() - loadStart)")

let arrays: [String: Tensor]
do {
    arrays = try Npz.read(path: positionals[1], limit: 1 << 32)
} catch {
    fail("cannot read \(positionals[1]): \(error)")
}
let initializerNames = Set(executor.graph.initializers.keys)
let inputNames = executor.graph.inputs.map(\.name).filter { !initializerNames.contains($0) }
for name in inputNames where arrays[name] == nil {
    fail("\(positionals[1]) has no array `\(name)` (it has \(arrays.keys.sorted()))")
}
let sampleCounts = Set(inputNames.compactMap { arrays[$0]?.shape.first })
guard sampleCounts.count == 1, let sampleCount = sampleCounts.first, sampleCount > 0 else {
    fail("the arrays of \(positionals[1]) must hold the same number of samples (leading axis)")
}
let samples: [[String: Tensor]] = (0..<sampleCount).map { index in
    Dictionary(
        uniqueKeysWithValues: inputNames.map {
            ($0, arrays[$0]!.sample(index, shape: Array(arrays[$0]!.shape.dropFirst())))
        })
}

/// Output names may hold `/`, which .npz member names cannot: `%` -> `%25`, `/` -> `%2F`.
func escaped(_ name: String) -> String {
    name.split(separator: "%", omittingEmptySubsequences: false).joined(separator: "%25")
        .split(separator: "/", omittingEmptySubsequences: false).joined(separator: "%2F")
}

// MARK: - Passes

func run(_ sample: [String: Tensor]) -> [String: Tensor] {
    do {
        return try executor.run(sample)
    } catch {
        fail("run failed: \(error)")
    }
}

func timedPass(_ label: String) {
    for (index, sample) in samples.enumerated() {
        let start = now()
        _ = run(sample)
        say("\(label) \(index) \(now() - start)")
    }
}

/// One pass with the time between consecutive node outputs charged to the node's op type.
func profiledPass() {
    var opOfOutput: [String: (node: Int, op: String)] = [:]
    for (index, node) in executor.graph.nodes.enumerated() {
        for output in node.outputs where !output.isEmpty { opOfOutput[output] = (index, node.opType) }
    }
    var perOp: [String: Double] = [:]
    var nodesPerOp: [String: Set<Int>] = [:]
    for sample in samples {
        var last = now()
        var lastNode = -1
        _ = try? executor.run(sample) { name, _ in
            let t = now()
            guard let (node, op) = opOfOutput[name] else { return }
            if node != lastNode {
                perOp[op, default: 0] += t - last
                nodesPerOp[op, default: []].insert(node)
                lastNode = node
                last = t
            } else {
                last = t
            }
        }
    }
    for (op, ms) in perOp.sorted(by: { $0.value > $1.value }) {
        say("op \(op) \(ms / Double(samples.count)) \(nodesPerOp[op]?.count ?? 0)")
    }
}

for index in 0..<(warmup * samples.count) {
    let sample = samples[index % samples.count]
    let start = now()
    _ = run(sample)
    say("warmup \(index % samples.count) \(now() - start)")
}

if let outPath {
    var outputs: [String: Tensor] = [:]
    for (index, sample) in samples.enumerated() {
        for (name, tensor) in run(sample) { outputs["\(escaped(name))@\(index)"] = tensor }
    }
    do {
        try Npz.write(outputs, to: outPath)
    } catch {
        fail("cannot write \(outPath): \(error)")
    }
    say("wrote \(outPath)")
}

if serve {
    var pass = 0
    while let line = readLine() {
        switch line.split(separator: " ").first.map(String.init) ?? "" {
        case "pass":
            timedPass("run \(pass)")
            pass += 1
        case "profile":
            profiledPass()
        case "quit", "":
            exit(0)
        default:
            say("error unknown command `\(line)`")
        }
        say("done")
    }
} else {
    for pass in 0..<repeatCount { timedPass("run \(pass)") }
    if profile { profiledPass() }
}
