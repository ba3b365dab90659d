import GSExec

/// The precisions the compiler produces.
public enum TargetPrecision: String, Sendable, Hashable, CaseIterable {
    case fp32, fp16, int8
    case int8Mixed = "int8-mixed"
}

/// What to do when a quantized variant misses its tolerance.
public enum AccuracyMissPolicy: String, Sendable, Hashable {
    /// Fail the compilation, naming the most damaged tensors.
    case fail
    /// Ship the optimized float32 variant instead and say why.
    case shipFloat = "ship-float"
}

/// One compilation: a model, a precision, and the data and budgets to check it with.
/// Everything here that changes the output is part of the build cache key.
public struct CompileRequest: Sendable {
    public var precision: TargetPrecision
    /// Static shapes for the model's inputs (symbolic dimensions fixed).
    public var inputShapes: [String: [Int]]
    public var format: QDQFormat
    public var method: CalibrationMethod
    public var metric: AccuracyMetric
    /// Largest accepted drop of the metric (0.01 = one point).
    public var tolerance: Double
    /// The detection score detection metrics count from.
    public var scoreThreshold: Float = Detections.scoreThreshold
    /// How far a score may move across the threshold before box-f1 counts it as a lost or
    /// new detection.
    public var scoreMargin: Float = Detections.margin
    public var onMiss: AccuracyMissPolicy
    /// Samples INT8 ranges are measured on.
    public var calibration: [[String: Tensor]]
    /// Samples accuracy is checked on, disjoint from calibration.
    public var evaluation: [[String: Tensor]]
    /// The FP32 passes every variant starts from.
    public var passes: [String]
    /// Upper bound on the int8-mixed search.
    public var fallbackSeconds: Double
    /// Whether `evaluation` holds generated inputs rather than the Model's data (reported).
    public var syntheticEvaluation = false
    /// Ground truth for `evaluation` (from the data's `labels.tsv`): when set, the tolerance
    /// bounds the drop of accuracy on these labels from the original model's, instead of
    /// `metric`'s agreement with it.
    public var labels: EvaluationLabels?
    /// How int8 and int8-mixed quantize: calibrated QDQ everywhere, or dynamic / weight-only
    /// INT8 of the MatMul and Gemm weights (MatMul-heavy models).
    public var quantization: QuantizationMode = .static
    /// The fp16 variant takes and returns float16 where the original has float32 (its
    /// callers then feed and read float16: half the bytes at the border, no Casts there).
    /// Off, the interface keeps the original's types and Casts sit at the border.
    public var fp16Interface = false
    /// `evaluation.confidence` (0.5 to 0.999): a quantized variant meets its tolerance only
    /// when the low end of its score's interval at this level does, so that the tolerance
    /// holds beyond the evaluation samples; nil checks the score alone.
    public var confidence: Double?

    public init(
        precision: TargetPrecision, inputShapes: [String: [Int]] = [:], format: QDQFormat = .cpu(reduceRange: false),
        method: CalibrationMethod = .minMax, metric: AccuracyMetric = .outputError, tolerance: Double = 0.01,
        onMiss: AccuracyMissPolicy = .fail, calibration: [[String: Tensor]] = [], evaluation: [[String: Tensor]] = [],
        passes: [String] = PassPipeline.standard, fallbackSeconds: Double = 600
    ) {
        self.precision = precision
        self.inputShapes = inputShapes
        self.format = format
        self.method = method
        self.metric = metric
        self.tolerance = tolerance
        self.onMiss = onMiss
        self.calibration = calibration
        self.evaluation = evaluation
        self.passes = passes
        self.fallbackSeconds = fallbackSeconds
    }
}
