/// The closed sets of words the spec language uses. Each is an enum so the schema, the
/// typed model and the docs list exactly the same values.
public protocol SpecWord: RawRepresentable, CaseIterable, Sendable, Hashable, Comparable
where RawValue == String {}

extension SpecWord {
    public static var words: [String] { allCases.map(\.rawValue) }
    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
}

/// What a Deployment asks a device to run. `int8-mixed` keeps the tensors INT8 hurts most
/// in float; `auto` ships the candidates and lets the device measure them.
public enum Precision: String, SpecWord {
    case fp32, fp16, int8
    case int8Mixed = "int8-mixed"
    case auto

    /// What a runtime must be able to execute for this choice.
    public var needs: [ComputePrecision] {
        switch self {
        case .fp32: [.fp32]
        case .fp16: [.fp16]
        case .int8: [.int8]
        case .int8Mixed: [.int8, .fp32]
        case .auto: [.fp32]
        }
    }

    /// Concrete variants `auto` builds, in preference order when nothing was measured.
    public static let autoCandidates: [Precision] = [.int8Mixed, .fp16, .fp32]
}

/// What a runtime executes (Device runtimes list these).
public enum ComputePrecision: String, SpecWord {
    case fp32, fp16, bf16, int8
}

public enum Arch: String, SpecWord {
    case x86_64, arm64, armv7
}

/// CPU features that change which precisions run fast.
public enum CPUFeature: String, SpecWord {
    case sse4_2, avx, avx2, fma, f16c
    case avx512f, avx512_vnni, avx512_bf16, avx512_fp16, avx_vnni, amx
    case neon, dotprod, fp16, bf16, i8mm, sve
}

public enum Accelerator: String, SpecWord {
    case cuda, npu, opencl, none
}

public enum RuntimeName: String, SpecWord {
    case onnxruntime, openvino, tensorrt, tflite
}

/// What a runtime loads. gsctl compiles ONNX; TensorRT builds its engine from that ONNX on
/// the device, so both reach a device; nothing here produces TFLite.
public enum ModelFormat: String, SpecWord {
    case onnx
    case tensorrtEngine = "tensorrt-engine"
    case tflite

    /// Whether gsctl can hand a runtime that loads this format a model it compiled.
    public var deliverable: Bool { self != .tflite }
}

/// What a task does; the Graph view shows it and the linter checks what each kind needs.
public enum TaskKind: String, SpecWord {
    case source, detect, classify, track, analyze, serve, command

    public var needsModel: Bool { self == .detect || self == .classify }
}

/// A service runs until stopped and is restarted; a job runs to completion.
public enum TaskMode: String, SpecWord {
    case service, job
}

/// How a task hands its results to the tasks that need it.
public enum Handoff: String, SpecWord {
    /// A stream a long-running service serves to its readers.
    case stream
    /// Files in the task's output directory (jobs).
    case files
    /// Nothing: a sink such as `serve`, or ordering only.
    case none
}

public enum RestartPolicy: String, SpecWord {
    case always
    case onFailure = "on-failure"
    case never
}

public enum Transport: String, SpecWord {
    case ssh, local
}

public enum CalibrationMethod: String, SpecWord {
    case minmax, percentile, entropy
}

/// What a model is for: decides the default accuracy metric.
public enum ModelTask: String, SpecWord {
    case classification, detection
    case ocrDetection = "ocr-detection"
    case ocrRecognition = "ocr-recognition"
    case ocrDirection = "ocr-direction"
    case other
}

public enum Metric: String, SpecWord {
    /// Top-1 agreement with the float model (no labels needed).
    case top1Agreement = "top1-agreement"
    /// Top-1 accuracy against labels.
    case top1
    /// Box F1 at IoU 0.5 against the float model's detections.
    case boxF1 = "box-f1"
    /// Fraction of samples whose number of detections at or above `scoreThreshold` equals the
    /// float model's: what a counting service (people per frame) shows its users.
    case countAgreement = "count-agreement"
    /// Character accuracy of recognised text against labels.
    case charAccuracy = "char-accuracy"
    /// A text detector's box F1 at IoU 0.5 against labelled boxes (the labels' `box` column).
    case textBoxF1 = "text-box-f1"
    /// Largest relative output difference against the float model.
    case outputError = "output-error"
}

public enum DType: String, SpecWord {
    case float32, float16, uint8, int8, int32, int64
}

public enum Layout: String, SpecWord {
    case NCHW, NHWC, NC, NTC, any
}

public enum ChannelOrder: String, SpecWord {
    case rgb, bgr
}

/// What a rollout does when its failure threshold is reached.
public enum FailureAction: String, SpecWord {
    /// Stop and roll back the batch that failed; earlier batches keep the new release.
    case rollbackBatch = "rollback-batch"
    /// Stop and roll every host of this rollout back.
    case rollbackAll = "rollback-all"
    /// Stop and leave hosts as they are.
    case halt
}

/// What the compiler does when a quantized variant misses the Model's tolerance.
/// How int8 variants are made (see GSOptimize's `QuantizationMode`).
public enum Quantization: String, SpecWord {
    /// Calibrated QDQ on every supported op.
    case `static`
    /// MatMul/Gemm weights int8, activations quantized at run time; no calibration.
    case dynamic
    /// MatMul/Gemm weights stored int8, compute in float; no calibration.
    case weightOnly = "weight-only"
}

public enum AccuracyMissAction: String, SpecWord {
    case fail
    case shipFloat = "ship-float"
}
