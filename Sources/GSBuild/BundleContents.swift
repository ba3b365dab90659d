import GSBundle
import GSCore
import GSPlan
import GSSpec

/// The files and manifest sections of one bundle: each model variant with its golden
/// input and outputs, and the task programs the workflow ships.
struct BundleContents {
    var files: [BundleInput] = []
    var models: JSONValue = .object([:])
    var precisions: [String: String] = [:]
    var buildKeys: [String: String] = [:]
    /// Why candidates of a `precision: auto` model were left out, one line each.
    var notes: [String] = []

    static func make(_ bundle: BundlePlan, workflow: Workflow, steps: [String: StepOutcome]) throws(GSError)
        -> BundleContents
    {
        var contents = BundleContents()
        var models: [String: JSONValue] = [:]
        for model in bundle.models {
            var variants: [String: JSONValue] = [:]
            var leftOut: [String: JSONValue] = [:]
            for id in model.steps {
                guard let outcome = steps[id] else { throw GSError("bundle \(bundle.id): step \(id) was not built") }
                let precision = outcome.step.precision.rawValue
                if model.precision == .auto, let why = Self.duplicateOfFloat(outcome) {
                    leftOut[precision] = .string(why)
                    contents.notes.append(
                        "bundle \(bundle.id): \(model.model) \(precision) is not a precision: auto candidate: \(why)")
                    continue
                }
                let base = "models/\(model.model)/\(precision)"
                contents.files += variantFiles(base: base, entry: outcome.entry)
                contents.buildKeys["\(model.model)-\(precision)"] = outcome.key
                variants[precision] = [
                    "model": .string("\(base)/model.onnx"),
                    "goldenInput": .string("\(base)/golden-input.npz"),
                    "goldenOutput": .string("\(base)/golden-output.npz"),
                    "buildKey": .string(outcome.key),
                    "report": Self.reproducible(outcome.report),
                ]
            }
            contents.precisions[model.model] = model.precision.rawValue
            var entry: [String: JSONValue] = [
                "precision": .string(model.precision.rawValue), "variants": .object(variants),
            ]
            if !leftOut.isEmpty { entry["leftOut"] = .object(leftOut) }
            models[model.model] = .object(entry)
        }
        contents.models = .object(models)
        // Task programs: paths kept relative to the spec folder they were named from.
        var seen: Set<String> = []
        for task in workflow.tasks {
            for file in task.files {
                for (path, source) in try expand(file.value, base: workflow.meta.directory)
                where seen.insert(path).inserted {
                    contents.files.append(
                        BundleInput(
                            path: path, file: source,
                            mode: source.hasSuffix(".sh") || source.hasSuffix(".py") ? .executable : .regular))
                }
            }
        }
        return contents
    }

    /// One variant's files: the model (with its weights file when it was too large for one),
    /// the golden input and the outputs the compiler measured for it.
    static func variantFiles(base: String, entry: BuildCache.Entry) -> [BundleInput] {
        var files = [BundleInput(path: "\(base)/model.onnx", file: entry.model)]
        if FileSystem.kind(of: entry.modelData) == .file {
            files.append(BundleInput(path: "\(base)/model.onnx.data", file: entry.modelData))
        }
        return files + [
            BundleInput(path: "\(base)/golden-input.npz", file: entry.goldenInput),
            BundleInput(path: "\(base)/golden-output.npz", file: entry.goldenOutput),
        ]
    }

    /// A file, or every file under a folder (dot files skipped), as (path in bundle, source).
    static func expand(_ path: String, base: String) throws(GSError) -> [(String, String)] {
        let relative = Self.relative(path, to: base)
        switch FileSystem.kind(of: path) {
        case .file: return [(relative, path)]
        case .directory:
            var result: [(String, String)] = []
            for entry in try FileSystem.list(path) where !entry.name.hasPrefix(".") {
                result += try expand(FileSystem.join(path, entry.name), base: base)
            }
            return result
        default:
            throw GSError("task file `\(path)` does not exist", hint: "paths in `files:` are relative to the spec file")
        }
    }

    /// `path` relative to `base` when under it, else its last component.
    static func relative(_ path: String, to base: String) -> String {
        let prefix = base == "." ? "" : base + "/"
        if !prefix.isEmpty, path.hasPrefix(prefix) { return String(path.dropFirst(prefix.count)) }
        if prefix.isEmpty, !path.hasPrefix("/"), !path.hasPrefix("..") { return path }
        return "files/" + FileSystem.basename(path)
    }

    /// The precision part of a bundle id, for the manifest.
    static func precisionLabel(_ bundle: BundlePlan) -> String {
        let precisions = Set(bundle.models.map(\.precision.rawValue))
        return precisions.count == 1 ? precisions.first ?? "fp32" : "mixed"
    }

    /// A variant's report as the manifest carries it: without the compile's wall time, which
    /// differs from one compilation to the next, so that two builds of the same inputs (on
    /// another runner, without this cache) sign byte-identical manifests. The build report
    /// keeps it.
    /// Why an INT8 candidate of an `auto` model would only repeat fp32: its compile kept
    /// every multiply-add in float (the accuracy fallback could not leave any in INT8 within
    /// the Model's tolerance), so it computes as fp32 does, at fp32's speed. Shipping it
    /// would add its size to the bundle and let the device pick it over fp32 on timing
    /// noise alone. Nil for a variant worth measuring.
    static func duplicateOfFloat(_ outcome: StepOutcome) -> String? {
        guard outcome.step.precision.needs.contains(.int8), outcome.report["int8Share"]?.doubleValue == 0 else {
            return nil
        }
        return "no multiply-add stayed in INT8 within the Model's tolerance, so it would run as fp32 does"
    }

    static func reproducible(_ report: JSONValue) -> JSONValue {
        guard case .object(var members) = report else { return report }
        members["seconds"] = nil
        return .object(members)
    }
}
