import GSBundle
import GSCore
import GSData
import GSExec
import ONNX

/// The inference health gate: each model's golden input, shipped in the bundle, runs through
/// the model on this device and must reproduce the outputs the compiler measured at build
/// time (within `relativeTolerance` of each output's largest magnitude) and, when the Model
/// spec gives one, finish within its latency budget. A process that is up but computes
/// wrong numbers (a corrupted weight, a CPU the kernels miscompute on) fails here.
public enum GoldenGate {
    public struct ModelCheck: Hashable, Sendable {
        public var model: String
        public var variant: String
        public var milliseconds: Double
        /// Largest |ours - built| over outputs, relative to each output's largest |built|.
        public var relativeError: Double
        public var latencyBudgetMs: Double?
        public var problem: String?

        public var passed: Bool { problem == nil }

        public var json: JSONValue {
            [
                "model": .string(model), "variant": .string(variant),
                "ms": .double((milliseconds * 100).rounded() / 100),
                "relativeError": .double(relativeError),
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

    /// Runs every model's golden input in `release` (a release directory).
    public static func check(release: String, manifest: Manifest, choices: [String: String] = [:]) -> [ModelCheck] {
        activeVariants(manifest, choices: choices).map { model, variant, entry in
            var result = ModelCheck(
                model: model, variant: variant, milliseconds: 0, relativeError: 0,
                latencyBudgetMs: manifest.models[model]?["latencyBudgetMs"]?.doubleValue, problem: nil)
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
                for (name, reference) in expected.sorted(by: { $0.key < $1.key }) {
                    guard let ours = outputs[name] else {
                        result.problem = "output `\(name)` of \(model)/\(variant) was not produced"
                        return result
                    }
                    guard ours.shape == reference.shape else {
                        result.problem =
                            "output `\(name)` of \(model)/\(variant) has shape \(ours.shape), built \(reference.shape)"
                        return result
                    }
                    let a = ours.floatValues
                    let b = reference.floatValues
                    let scale = Double(b.map { abs($0) }.max() ?? 0)
                    var worst = 0.0
                    for i in 0..<min(a.count, b.count) {
                        let difference = Double(abs(a[i] - b[i]))
                        if difference.isNaN { worst = .infinity } else { worst = max(worst, difference) }
                    }
                    let relative = worst / max(scale, 1e-12)
                    result.relativeError = max(result.relativeError, relative)
                    if worst > relativeTolerance * scale + 1e-5 {
                        result.problem =
                            "output `\(name)` of \(model)/\(variant) differs from the built output by \(worst) "
                            + "(allowed \(relativeTolerance) x \(scale)): the model or this device computes wrong results"
                        return result
                    }
                }
                if let budget = result.latencyBudgetMs, result.milliseconds > budget {
                    result.problem =
                        "\(model)/\(variant) took \(Int(result.milliseconds.rounded())) ms, over its latency budget of \(Int(budget)) ms"
                }
            } catch {
                result.problem = "\(model)/\(variant) does not run: \(error)"
            }
            return result
        }
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
