import GSBundle
import GSCore
import GSData
import GSExec
import ONNX

/// The inference health gate: each model's golden input, shipped in the bundle, runs through
/// the model on this device and must reproduce the outputs the compiler measured at build
/// time and, when the Model spec gives one, finish within its latency budget. A process that
/// is up but computes wrong numbers (a corrupted weight, a runtime or CPU that miscomputes)
/// fails here.
///
/// The model runs where the service will run it: through the runtime of the task that loads
/// it (a task in a runtime environment, asked as for a `precision: auto` measurement, see
/// docs/tasks.md), judged by the Model's metric within its tolerance, since another
/// runtime's integer kernels may differ from the compiler's in the last bits but must not
/// change what the service reports. A `precision: auto` model reuses the measurement that
/// chose its variant. A model no task runs in an environment, or whose task does not answer
/// the measurement, runs in gsctl's executor, which must reproduce the built outputs to
/// `relativeTolerance`.
public enum GoldenGate {
    public struct ModelCheck: Hashable, Sendable {
        public var model: String
        public var variant: String
        /// What ran it: the task's runtime (e.g. "onnxruntime 1.20.1") or "gsctl executor".
        public var runtime: String
        public var milliseconds: Double
        /// Largest |device - built| over outputs, relative to each output's largest |built|.
        public var relativeError: Double
        /// The device's outputs scored against the built ones by the Model's metric (task
        /// runtimes only).
        public var score: Double?
        public var latencyBudgetMs: Double?
        public var problem: String?

        public var passed: Bool { problem == nil }

        public var json: JSONValue {
            [
                "model": .string(model), "variant": .string(variant), "runtime": .string(runtime),
                "ms": .double((milliseconds * 100).rounded() / 100),
                "relativeError": .double(relativeError), "score": score.map { .double($0) } ?? .null,
                "latencyBudgetMs": latencyBudgetMs.map { .double($0) } ?? .null,
                "passed": .bool(passed), "problem": .optional(problem),
            ]
        }
    }

    public static let relativeTolerance = 1e-3

    /// The variant of each model that the release runs: the one measured best on this host
    /// (`choices`), else the manifest's precision for it when shipped, else its first variant.
    public static func activeVariants(_ manifest: Manifest, choices: [String: String] = [:]) -> [(
        model: String, variant: String, entry: JSONValue
    )] {
        guard let models = manifest.models.objectValue else { return [] }
        return models.keys.sorted().compactMap { name in
            let model = models[name]!
            guard let variants = model["variants"]?.objectValue, !variants.isEmpty else { return nil }
            let wanted = choices[name] ?? model["active"]?.stringValue ?? model["precision"]?.stringValue ?? ""
            let chosen = variants[wanted] != nil ? wanted : variants.keys.sorted()[0]
            return (name, chosen, variants[chosen]!)
        }
    }

    /// Runs every model's golden input of the release `name`. `measured` are this
    /// activation's `precision: auto` tables (their choices are the variants checked).
    public static func check(
        release name: String, manifest: Manifest, layout: HostLayout, measured: [VariantBench.Table] = []
    ) -> [ModelCheck] {
        let directory = layout.release(name)
        let workflow = try? SupervisedWorkflow.read(release: directory)
        return activeVariants(manifest, choices: VariantBench.choices(measured)).map { model, variant, entry in
            let budget = manifest.models[model]?["latencyBudgetMs"]?.doubleValue
            if let row = measured.first(where: { $0.model == model })?.rows.first(where: { $0.variant == variant }) {
                return check(row, model: model, budget: budget)
            }
            if let workflow, let task = workflow.tasks.first(where: { $0.model == model && $0.environment != nil }) {
                var row = VariantBench.measureVariant(
                    model: model, variant: variant, entry: entry, task: task, workflow: workflow, release: directory,
                    layout: layout, runs: .gate)
                if row.runtime != VariantBench.executorRuntime {
                    let tolerance = entry["report"]?["tolerance"]?.doubleValue ?? 0.01
                    if row.problem == nil, let score = row.deviceScore, score < 1 - tolerance - 1e-9 {
                        row.problem =
                            "\(model)/\(variant) in \(row.runtime): its outputs on the golden input score \(score) "
                            + "against the built ones by \(row.metric ?? "output-error") (tolerance \(tolerance)): "
                            + "the model or this device computes wrong results"
                    }
                    return check(row, model: model, budget: budget)
                }
            }
            return executorCheck(
                model: model, variant: variant, entry: entry, release: directory, budget: budget)
        }
    }

    /// A check from a measurement by the task's runtime.
    static func check(_ row: VariantBench.Row, model: String, budget: Double?) -> ModelCheck {
        var result = ModelCheck(
            model: model, variant: row.variant, runtime: row.runtime, milliseconds: row.p50Ms ?? 0,
            relativeError: row.relativeError ?? 0, score: row.deviceScore, latencyBudgetMs: budget,
            problem: row.problem)
        if result.problem == nil, let p50 = row.p50Ms {
            result.problem = overBudget(model, row.variant, milliseconds: p50, budget: budget, runtime: row.runtime)
        }
        return result
    }

    /// Runs the golden input in gsctl's executor: it must reproduce the built outputs closely.
    static func executorCheck(
        model: String, variant: String, entry: JSONValue, release: String, budget: Double?
    ) -> ModelCheck {
        var result = ModelCheck(
            model: model, variant: variant, runtime: VariantBench.executorRuntime, milliseconds: 0, relativeError: 0,
            score: nil, latencyBudgetMs: budget, problem: nil)
        guard let modelPath = entry["model"]?.stringValue, let inputPath = entry["goldenInput"]?.stringValue,
            let outputPath = entry["goldenOutput"]?.stringValue
        else {
            result.problem = "the manifest names no model or golden files for \(model)/\(variant)"
            return result
        }
        do {
            let proto = try ModelFile.load(FileSystem.join(release, modelPath))
            let executor = try ONNXImport.executor(for: proto)
            let inputs = decodeNames(try Npz.read(path: FileSystem.join(release, inputPath)))
            let expected = decodeNames(try Npz.read(path: FileSystem.join(release, outputPath)))
            if inputs.isEmpty {
                result.problem = "\(model)/\(variant) ships an empty golden input"
                return result
            }
            // One warm-up run (first-touch of weights), then the timed run.
            _ = try executor.run(inputs)
            let start = ChildProcess.now()
            let outputs = try executor.run(inputs, fetch: expected.keys.sorted())
            result.milliseconds = (ChildProcess.now() - start) * 1000
            let comparison = compare(expected: expected, got: outputs)
            result.relativeError = comparison.relativeError
            if let problem = comparison.problem {
                result.problem = "\(problem) of \(model)/\(variant)"
                return result
            }
            if comparison.relativeError > relativeTolerance {
                result.problem =
                    "output `\(comparison.worstOutput)` of \(model)/\(variant) differs from the built output by "
                    + "\(comparison.relativeError) of its largest value (allowed \(relativeTolerance)): "
                    + "the model or this device computes wrong results"
                return result
            }
            result.problem = overBudget(model, variant, milliseconds: result.milliseconds, budget: budget, runtime: nil)
        } catch {
            result.problem = "\(model)/\(variant) does not run: \(error)"
        }
        return result
    }

    /// The problem when a run took longer than the Model's latency budget, else nil.
    static func overBudget(
        _ model: String, _ variant: String, milliseconds: Double, budget: Double?, runtime: String?
    ) -> String? {
        guard let budget, milliseconds > budget else { return nil }
        return "\(model)/\(variant) took \(Int(milliseconds.rounded())) ms\(runtime.map { " in \($0)" } ?? ""), "
            + "over its latency budget of \(Int(budget)) ms"
    }

    /// Compares a run's outputs with the built ones: the largest difference relative to each
    /// output's largest magnitude (NaN counts as infinite), the output where it is, and a
    /// missing output or a shape mismatch as a problem.
    static func compare(expected: [String: Tensor], got: [String: Tensor]) -> (
        relativeError: Double, worstOutput: String, problem: String?
    ) {
        var worstRelative = 0.0
        var worstOutput = ""
        for (name, reference) in expected.sorted(by: { $0.key < $1.key }) {
            guard let ours = got[name] else { return (.infinity, name, "output `\(name)` was not produced") }
            guard ours.shape == reference.shape else {
                return (.infinity, name, "output `\(name)` has shape \(ours.shape), built \(reference.shape)")
            }
            let a = ours.floatValues
            let b = reference.floatValues
            let scale = Double(b.map { abs($0) }.max() ?? 0)
            var worst = 0.0
            for i in 0..<min(a.count, b.count) {
                let difference = Double(abs(a[i] - b[i]))
                if difference.isNaN { worst = .infinity } else { worst = max(worst, difference) }
            }
            // Outputs that are all (near) zero are compared absolutely.
            let relative = worst / max(scale, 1e-2)
            if relative > worstRelative || worstOutput.isEmpty { (worstRelative, worstOutput) = (relative, name) }
        }
        return (worstRelative, worstOutput, nil)
    }

    /// .npz member names back to tensor names (`%2F` -> `/`, `%25` -> `%`).
    static func decodeNames(_ tensors: [String: Tensor]) -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for (name, tensor) in tensors {
            var decoded = ""
            var rest = Substring(name)
            while let percent = rest.firstIndex(of: "%") {
                decoded += rest[..<percent]
                let code = rest[percent...].prefix(3)
                if code == "%2F" { decoded += "/" } else if code == "%25" { decoded += "%" } else { decoded += code }
                rest = rest[percent...].dropFirst(code.count)
            }
            decoded += rest
            out[decoded] = tensor
        }
        return out
    }
}
