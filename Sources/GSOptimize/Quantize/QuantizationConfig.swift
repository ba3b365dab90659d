/// The QDQ form a target runtime wants (ONNX_NOTES.md, "static QDQ quantization").
public enum QDQFormat: Sendable, Hashable {
    /// onnxruntime and OpenVINO on CPUs: int8 symmetric per-channel weights, uint8
    /// asymmetric activations; 7-bit (reduce_range) when the CPU lacks VNNI.
    case cpu(reduceRange: Bool)
    /// TensorRT: int8 symmetric for weights and activations, zero point 0, Q/DQ on both
    /// inputs of residual Adds.
    case tensorRT

    /// Activations always use the full 8 bits; reduce_range is about weights (as in
    /// onnxruntime's quantizer), whose products would otherwise saturate 16-bit sums on
    /// CPUs without VNNI.
    var activationType: QuantizedType {
        switch self {
        case .cpu: .uint8(reduceRange: false)
        case .tensorRT: .int8(symmetric: true, reduceRange: false)
        }
    }

    var weightType: QuantizedType {
        switch self {
        case .cpu(let reduce): .int8(symmetric: true, reduceRange: reduce)
        case .tensorRT: .int8(symmetric: true, reduceRange: false)
        }
    }

    public var name: String {
        switch self {
        case .cpu(let reduce): reduce ? "cpu-reduce-range" : "cpu"
        case .tensorRT: "tensorrt"
        }
    }
}

/// Everything that decides how a model is quantized; part of the build cache key.
public struct QuantizationConfig: Sendable, Hashable {
    public var format: QDQFormat
    public var method: CalibrationMethod
    /// Per-channel weight scales (needs opset 13); per-tensor otherwise.
    public var perChannel: Bool
    /// Nodes kept in float (the accuracy-aware fallback's choice).
    public var excludedNodes: Set<String>
    /// Fold the mean shift that int8 weights cause into each Conv's bias (see
    /// `BiasCorrection`).
    public var biasCorrection: Bool

    public init(
        format: QDQFormat = .cpu(reduceRange: false), method: CalibrationMethod = .minMax, perChannel: Bool = true,
        excludedNodes: Set<String> = [], biasCorrection: Bool = true
    ) {
        self.format = format
        self.method = method
        self.perChannel = perChannel
        self.excludedNodes = excludedNodes
        self.biasCorrection = biasCorrection
    }
}

/// Which operators get quantized, and how their outputs are parameterised.
enum QuantizableOps {
    /// Ops with weights: their weight initializer is quantized per channel on this axis.
    static func weightAxis(_ opType: String, transB: Bool) -> Int? {
        switch opType {
        case "Conv": 0
        case "ConvTranspose": 1
        case "Gemm": transB ? 0 : 1
        case "MatMul": 1
        default: nil
        }
    }

    /// Ops computing in integers with their own output scale. Sigmoid-like activations
    /// are left in float: they mostly turn logits into scores for post-processing, where
    /// int8 steps would move detections across thresholds (and onnxruntime 1.20 crashed on
    /// a quantized Sigmoid -> Slice into NMS).
    static let computing: Set<String> = [
        "Conv", "ConvTranspose", "Gemm", "MatMul", "Add", "Mul", "Concat", "GlobalAveragePool",
    ]

    /// Ops whose output reuses the input's parameters (data movement and max/average).
    static let passThrough: Set<String> = [
        "Reshape", "Transpose", "Squeeze", "Unsqueeze", "Slice", "MaxPool", "AveragePool", "Resize", "Split",
        "Gather", "Flatten",
    ]

    /// Activations absorbed into the producer's output range (asymmetric activations).
    static let absorbed: Set<String> = ["Relu", "Clip"]
}
