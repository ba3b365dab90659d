import GSCore
import GSData
import GSExec
import GSOptimize
import GSPlan
import GSSpec

/// Turns what the specs say about one optimize step (Model, Device, precision) into the
/// compiler's request: static shapes, the QDQ form the device's runtime wants, calibration
/// and evaluation samples loaded with the Model's preprocessing.
public enum StepRequest {
    public static func make(step: BuildStep, model: Model, device: Device) throws(GSError) -> CompileRequest {
        guard let precision = TargetPrecision(rawValue: step.precision.rawValue) else {
            throw GSError("step \(step.id): precision `\(step.precision.rawValue)` is not a compilable variant")
        }
        var request = CompileRequest(
            precision: precision,
            inputShapes: Dictionary(model.inputs.map { ($0.name, $0.shape) }, uniquingKeysWith: { a, _ in a }),
            format: qdqFormat(device), method: method(model.calibration), metric: metric(model),
            tolerance: model.evaluation.tolerance, onMiss: model.onAccuracyMiss == .shipFloat ? .shipFloat : .fail)
        if let threshold = model.evaluation.scoreThreshold { request.scoreThreshold = Float(threshold) }
        if let margin = model.evaluation.scoreMargin { request.scoreMargin = Float(margin) }
        request.confidence = model.evaluation.confidence
        request.quantization = QuantizationMode(rawValue: model.quantization.rawValue) ?? .static
        request.fp16Interface = model.fp16Interface
        let inputs = model.inputs.map {
            DatasetInput(name: $0.name, shape: $0.shape, elementType: $0.dtype == .uint8 ? .uint8 : .float32)
        }
        let preprocessing = Self.preprocessing(model)
        let calibrationPath = model.calibration.map {
            FileSystem.resolve($0.data.value, relativeTo: model.meta.directory)
        }
        let evaluationPath = model.evaluation.data.map {
            FileSystem.resolve($0.value, relativeTo: model.meta.directory)
        }
        if let calibrationPath, precision == .int8 || precision == .int8Mixed {
            let dataset = try Dataset(DataSource(path: calibrationPath), inputs: inputs, preprocessing: preprocessing)
            request.calibration = try dataset.calibrationSamples(limit: model.calibration?.samples ?? 200)
        }
        if let path = evaluationPath ?? calibrationPath, !inputs.isEmpty {
            let dataset = try Dataset(DataSource(path: path), inputs: inputs, preprocessing: preprocessing)
            // The same source as calibration (however the paths are spelled) is split
            // disjointly; a separate one is all evaluation.
            let shared = calibrationPath.map { FileSystem.same(path, $0) } ?? false
            let keys =
                shared
                ? dataset.evaluationKeys(limit: model.evaluation.samples)
                : Array(dataset.keys.prefix(model.evaluation.samples))
            request.evaluation =
                shared
                ? try dataset.evaluationSamples(limit: model.evaluation.samples)
                : try dataset.samples(Array(0..<min(dataset.count, model.evaluation.samples)))
            // The Model's `evaluation.labels` file, else `labels.tsv` beside the images.
            let labelled: LabelledMetric? =
                switch model.evaluation.metric {
                case .charAccuracy: .charAccuracy
                case .top1: .top1
                case .textBoxF1: .textBoxF1
                default: nil
                }
            if let labelled,
                let found = try LabelledMetric.find(
                    file: model.evaluation.labels.map {
                        FileSystem.resolve($0.value, relativeTo: model.meta.directory)
                    },
                    source: dataset.source)
            {
                request.labels = try labelled.labels(
                    found, keys: keys, direction: model.task == .ocrDirection, inputScale: dataset.inputScale)
            }
        }
        if request.evaluation.isEmpty {
            request.evaluation = SyntheticInputs.make(model.inputs, count: 4)
            request.syntheticEvaluation = !request.evaluation.isEmpty
        }
        return request
    }

    /// TensorRT wants symmetric int8 activations; CPU runtimes uint8, with 7-bit weights when
    /// onnxruntime runs them on an x86 CPU without VNNI (reduce_range), where 8-bit products
    /// can saturate its 16-bit intermediate sums.
    public static func qdqFormat(_ device: Device) -> QDQFormat {
        if device.runtimes.contains(where: { $0.name == .tensorrt && $0.precisions.contains(.int8) }) {
            return .tensorRT
        }
        // Only onnxruntime's u8s8 kernels need 7-bit weights; OpenVINO first means no.
        let vnni = device.cpuFeatures.contains(.avx512_vnni) || device.cpuFeatures.contains(.avx_vnni)
        let preferred = device.runtimes.first { $0.format.deliverable }?.name
        return .cpu(reduceRange: device.arch == .x86_64 && !vnni && preferred == .onnxruntime)
    }

    static func method(_ calibration: Calibration?) -> GSOptimize.CalibrationMethod {
        switch calibration?.method {
        case .percentile?: .percentile(calibration?.percentile ?? 99.99)
        case .entropy?: .entropy
        default: .minMax
        }
    }

    /// The spec's metric in the compiler's terms (box F1 means map regions for text detectors).
    static func metric(_ model: Model) -> AccuracyMetric {
        switch model.evaluation.metric {
        case .top1Agreement, .top1: .top1Agreement
        case .boxF1: model.task == .ocrDetection ? .mapBoxF1 : .boxF1
        case .countAgreement: .countAgreement
        case .charAccuracy: .ctcAgreement
        case .textBoxF1: .mapBoxF1
        case .outputError: .outputError
        }
    }

    /// The Model's preprocessing for image data; sizes default to the first input's shape.
    public static func preprocessing(_ model: Model) -> Preprocessing? {
        guard let input = model.inputs.first, input.shape.count == 4 else { return nil }
        let nhwc = input.layout == .NHWC
        let height = model.preprocess?.height ?? (nhwc ? input.shape[1] : input.shape[2])
        let width = model.preprocess?.width ?? (nhwc ? input.shape[2] : input.shape[3])
        let pre = model.preprocess
        let crop = pre.flatMap { pre in
            pre.cropWidth.flatMap { w in pre.cropHeight.map { Preprocessing.Crop(width: w, height: $0) } }
        }
        return Preprocessing(
            width: width, height: height, keepAspect: pre?.keepAspect ?? false, scale: Float(pre?.scale ?? 1),
            mean: pre.map { $0.mean.isEmpty ? [0] : $0.mean.map(Float.init) } ?? [0],
            std: pre.map { $0.std.isEmpty ? [1] : $0.std.map(Float.init) } ?? [1],
            channelOrder: pre?.channelOrder == .bgr ? .bgr : .rgb, layout: nhwc ? .nhwc : .nchw,
            elementType: input.dtype == .uint8 ? .uint8 : .float32, upscale: pre?.upscale ?? true, crop: crop)
    }
}
