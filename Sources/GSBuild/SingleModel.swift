import GSCore
import GSData
import GSExec
import GSOptimize
import GSSpec
import ONNX

/// `gsctl model optimize`: one model through exactly the compiler `gsctl build` uses,
/// without a spec repository (people try a tool on one model before they write specs).
public enum SingleModel {
    public struct Options: Sendable {
        public var model: String
        public var precision: TargetPrecision
        public var shapes: [String: [Int]] = [:]
        public var calibration: String?
        public var evaluation: String?
        public var preprocessing: Preprocessing?
        public var metric: AccuracyMetric = .outputError
        public var tolerance: Double = 0.01
        public var method: GSOptimize.CalibrationMethod = .minMax
        public var samples = 200
        /// A file holding a Device spec (`FILE` or `FILE:name`) choosing the QDQ form.
        public var device: String?
        public var onMiss: AccuracyMissPolicy = .fail
        /// The score detection metrics count boxes from (a Model's `evaluation.scoreThreshold`).
        public var scoreThreshold: Float?
        /// How far a score may move across the threshold before box-f1 counts it (a Model's
        /// `evaluation.scoreMargin`).
        public var scoreMargin: Float?
        /// `--confidence` (`evaluation.confidence`).
        public var confidence: Double?
        /// The fp16 variant takes and returns float16 (`--fp16-io`).
        public var fp16Interface = false
        /// Static (calibrated QDQ), dynamic or weight-only int8.
        public var quantization: QuantizationMode = .static
        /// Score on labels instead of `metric`'s agreement (where the data has labels).
        public var labelled: LabelledMetric?
        /// The labels file (default: `labels.tsv` beside the evaluation images).
        public var labels: String?
        /// Where the report goes when the variant misses its tolerance (`--report`): what was
        /// measured and the most damaged tensors, for the person deciding what to change.
        public var missReport: String?

        public init(model: String, precision: TargetPrecision) {
            self.model = model
            self.precision = precision
        }
    }

    public static func optimize(_ options: Options) throws(GSError) -> CompiledVariant {
        let proto: ModelProto
        do throws(ONNXError) {
            proto = try ModelFile.load(options.model)
        } catch {
            throw error.gsError
        }
        var request = CompileRequest(
            precision: options.precision, inputShapes: options.shapes, format: try format(options.device),
            method: options.method, metric: options.metric, tolerance: options.tolerance, onMiss: options.onMiss)
        if let threshold = options.scoreThreshold { request.scoreThreshold = threshold }
        if let margin = options.scoreMargin { request.scoreMargin = margin }
        request.confidence = options.confidence
        request.fp16Interface = options.fp16Interface
        request.quantization = options.quantization
        let inputs = try datasetInputs(proto, shapes: options.shapes)
        var evaluated: (dataset: Dataset, keys: [String])?
        if let path = options.calibration {
            let dataset = try Dataset(DataSource(path: path), inputs: inputs, preprocessing: options.preprocessing)
            request.calibration = try dataset.calibrationSamples(limit: options.samples)
            if options.evaluation.map({ FileSystem.same($0, path) }) ?? true {
                request.evaluation = try dataset.evaluationSamples(limit: options.samples)
                evaluated = (dataset, dataset.evaluationKeys(limit: options.samples))
            }
        }
        // `--eval` naming the calibration data keeps the disjoint split: never score a
        // variant on the samples it was calibrated on.
        if let path = options.evaluation, !(options.calibration.map { FileSystem.same(path, $0) } ?? false) {
            let dataset = try Dataset(DataSource(path: path), inputs: inputs, preprocessing: options.preprocessing)
            request.evaluation = try dataset.samples(Array(0..<min(dataset.count, options.samples)))
            evaluated = (dataset, Array(dataset.keys.prefix(options.samples)))
        }
        if let labelled = options.labelled {
            request.metric = labelled.fallback
            guard let (dataset, keys) = evaluated,
                let found = try LabelledMetric.find(file: options.labels, source: dataset.source),
                let labels = try labelled.labels(found, keys: keys, inputScale: dataset.inputScale)
            else {
                throw GSError(
                    "`--metric \(labelled.rawValue)` needs labelled evaluation data",
                    hint:
                        "give images with a labels.tsv beside them (columns file, \(labelled.column)) with --eval or --calib, or the file with --labels"
                )
            }
            request.labels = labels
        }
        if request.evaluation.isEmpty {
            let specInputs = inputs.map { input in
                ModelInputShape(name: input.name, shape: input.shape, uint8: input.elementType == .uint8)
            }
            request.evaluation = SyntheticInputs.make(specInputs, count: 4)
            request.syntheticEvaluation = !request.evaluation.isEmpty
        }
        do {
            return try Compiler.compile(proto, request)
        } catch let error as CompileError {
            guard let report = error.report, let path = options.missReport else { throw GSError(error.message) }
            try FileSystem.writeAtomically(report.json.pretty, to: path)
            throw GSError(error.message + " (report: \(path))")
        } catch {
            throw GSError("\(error)")
        }
    }

    /// The model's inputs with their static shapes (given, or fixed in the model).
    static func datasetInputs(_ model: ModelProto, shapes: [String: [Int]]) throws(GSError) -> [DatasetInput] {
        let initializers = Set(model.graph.initializer.map(\.name))
        var inputs: [DatasetInput] = []
        for input in model.graph.input where !initializers.contains(input.name) {
            let declared = input.tensorType?.shape?.staticDims ?? []
            let shape = shapes[input.name] ?? declared.map { $0 ?? -1 }
            guard shape.allSatisfy({ $0 > 0 }) else {
                throw GSError(
                    "input `\(input.name)` has a symbolic shape",
                    hint:
                        "give it with `--shape \(input.name)=\(shape.map { $0 > 0 ? String($0) : "N" }.joined(separator: "x"))`"
                )
            }
            let uint8 = input.tensorType?.elementType == .uint8
            inputs.append(DatasetInput(name: input.name, shape: shape, elementType: uint8 ? .uint8 : .float32))
        }
        return inputs
    }

    static func format(_ device: String?) throws(GSError) -> QDQFormat {
        guard let device else { return .cpu(reduceRange: false) }
        let parts = device.split(separator: ":", maxSplits: 1).map(String.init)
        let loaded = SpecLoader.load(paths: [parts[0]])
        if let error = loaded.diagnostics.first(where: { $0.severity == .error }) {
            throw GSError("\(error.location): \(error.message)", hint: error.hint)
        }
        let devices = loaded.specs.devices
        guard let chosen = parts.count > 1 ? devices.first(where: { $0.name == parts[1] }) : devices.first else {
            throw GSError("no Device\(parts.count > 1 ? " named `\(parts[1])`" : "") in `\(parts[0])`")
        }
        return StepRequest.qdqFormat(chosen)
    }
}

/// An input's name, static shape and whether it is uint8, for generated samples.
struct ModelInputShape {
    var name: String
    var shape: [Int]
    var uint8: Bool
}
