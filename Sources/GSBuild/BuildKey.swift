import GSCore
import GSData
import GSOptimize
import GSPlan
import GSSpec
import ONNX

/// The build cache key of one optimize step: the digest of everything that changes its
/// output (model bytes, precision, passes and options, calibration and evaluation data,
/// device form, gsctl version). A fresh CI runner with the same key reuses the variant
/// instead of quantizing again; hosts record it.
public enum BuildKey {
    public static func compute(step: BuildStep, model: Model, request: CompileRequest, dataDigests: [String])
        -> String
    {
        let shapes = request.inputShapes.sorted { $0.key < $1.key }.map {
            "\($0.key)=\($0.value.map(String.init).joined(separator: "x"))"
        }
        var description: JSONValue = [
            "gsctl": .string(GSVersion.current),
            "compiler": .int(Compiler.revision),
            "model": .string(model.sha256?.value ?? ""),
            "precision": .string(step.precision.rawValue),
            "shapes": .strings(shapes),
            "format": .string(request.format.name),
            "method": .string("\(request.method)"),
            "quantization": .string(request.quantization.rawValue),
            "metric": .string(request.metric.rawValue),
            "tolerance": .double(request.tolerance),
            "scoreThreshold": .double(Double(request.scoreThreshold)),
            "scoreMargin": .double(Double(request.scoreMargin)),
            "fp16Interface": .bool(request.fp16Interface),
            "onMiss": .string(request.onMiss.rawValue),
            "passes": .strings(request.passes),
            "preprocess": .string(StepRequest.preprocessing(model).map { "\($0)" } ?? "none"),
            "calibrationSamples": .int(model.calibration?.samples ?? 0),
            "evaluationSamples": .int(model.evaluation.samples),
            "data": .strings(dataDigests),
        ]
        // Only when set, so that Models without it keep the keys their caches hold.
        if let confidence = request.confidence, case .object(var members) = description {
            members["confidence"] = .double(confidence)
            description = .object(members)
        }
        return SHA256.hex(of: description.canonical)
    }

    /// `location sha256` of each file the model's external tensors live in: the Model's pinned
    /// sha256 covers only the `.onnx` file, and new weights in `model.data` must rebuild.
    /// Reads the graph without its external data (cheap even for a large model).
    public static func externalDataDigests(model path: String) throws(GSError) -> [String] {
        let proto: ModelProto
        do throws(ONNXError) {
            proto = try ModelFile.load(path, loadExternalData: false)
        } catch {
            throw error.gsError
        }
        var digests: [String] = []
        for location in ExternalData.locations(of: proto) {
            let file = FileSystem.join(FileSystem.directory(of: path), location)
            guard FileSystem.kind(of: file) == .file else {
                throw GSError("`\(path)` keeps tensors in `\(location)`, which is not beside it")
            }
            digests.append("external \(location) \(try SHA256.hex(ofFile: file))")
        }
        return digests
    }

    /// Digest of a data source's content: a folder's image files and its `labels.tsv` by
    /// name and content, or the file itself.
    public static func dataDigest(_ path: String) throws(GSError) -> String {
        switch FileSystem.kind(of: path) {
        case .directory:
            var lines: [String] = []
            for entry in try FileSystem.list(path) where entry.kind == .file {
                let lower = entry.name.lowercased()
                guard
                    lower.hasSuffix(".jpg") || lower.hasSuffix(".jpeg") || lower.hasSuffix(".png")
                        || entry.name == DatasetLabels.fileName
                else { continue }
                lines.append("\(entry.name) \(try SHA256.hex(ofFile: FileSystem.join(path, entry.name)))")
            }
            return SHA256.hex(of: lines.joined(separator: "\n"))
        case .missing:
            throw GSError("data `\(path)` does not exist")
        default:
            return try SHA256.hex(ofFile: path)
        }
    }
}
