/// Scale and zero point of one quantized tensor (or one channel of it).
public struct QuantizationParameters: Sendable, Hashable {
    public var scale: Float
    public var zeroPoint: Int32

    public init(scale: Float, zeroPoint: Int32) {
        self.scale = scale
        self.zeroPoint = zeroPoint
    }
}

/// The integer types and ranges quantized values use.
public enum QuantizedType: Sendable, Hashable {
    /// uint8 0...255 (asymmetric activations on CPU runtimes); 0...127 with reduce_range.
    case uint8(reduceRange: Bool)
    /// int8 -128...127, or the symmetric -127...127 (weights; TensorRT activations);
    /// -64...63 with reduce_range.
    case int8(symmetric: Bool, reduceRange: Bool)

    public var range: (low: Int32, high: Int32) {
        switch self {
        case .uint8(let reduce): return (0, reduce ? 127 : 255)
        case .int8(let symmetric, let reduce):
            if reduce { return (-64, 63) }
            return symmetric ? (-127, 127) : (-128, 127)
        }
    }

    public var isSymmetric: Bool {
        if case .int8(let symmetric, _) = self { return symmetric }
        return false
    }

    /// ONNX element type number (2 uint8, 3 int8).
    public var dataType: Int32 {
        if case .uint8 = self { return 2 }
        return 3
    }
}

/// Scale and zero point from a float range, the way ONNX Runtime's quantization tools do
/// it: the range is widened to include 0 (so 0 is exact, which padding needs), symmetric
/// types use ±absmax with the type's midpoint as zero point, the scale is computed in
/// double, and a degenerate range gives scale 1 and zero point 0.
public enum RangeQuantizer {
    public static func parameters(low: Float, high: Float, type: QuantizedType) -> QuantizationParameters {
        var lo = Double(min(low, 0))
        var hi = Double(max(high, 0))
        let (qmin, qmax) = (Double(type.range.low), Double(type.range.high))
        if type.isSymmetric {
            let absmax = max(abs(lo), abs(hi))
            lo = -absmax
            hi = absmax
        }
        var scale = (hi - lo) / (qmax - qmin)
        guard scale.isFinite, Float(scale) >= Float.leastNormalMagnitude else {
            return QuantizationParameters(scale: 1, zeroPoint: 0)
        }
        let zeroPoint: Double
        if type.isSymmetric {
            zeroPoint = 0
        } else {
            zeroPoint = (qmin - lo / scale).rounded(.toNearestOrEven)
        }
        // Keep the zero point inside the type (it always is unless the range is odd).
        let clamped = min(max(zeroPoint, qmin), qmax)
        if clamped != zeroPoint { scale = max((hi - 0) / (qmax - clamped), (0 - lo) / (clamped - qmin)) }
        return QuantizationParameters(scale: Float(scale), zeroPoint: Int32(clamped))
    }

    /// round_half_even(x / scale) + zero point, saturated to the type's range.
    @inline(__always)
    public static func quantize(_ value: Float, _ parameters: QuantizationParameters, _ type: QuantizedType) -> Int32 {
        let (low, high) = type.range
        let scaled = (value / parameters.scale).rounded(.toNearestOrEven)
        guard scaled.isFinite else { return scaled.isNaN ? parameters.zeroPoint : (scaled > 0 ? high : low) }
        let q = Int64(max(min(scaled, 1e9), -1e9)) + Int64(parameters.zeroPoint)
        return Int32(min(max(q, Int64(low)), Int64(high)))
    }

    @inline(__always)
    public static func dequantize(_ value: Int32, _ parameters: QuantizationParameters) -> Float {
        Float(value - parameters.zeroPoint) * parameters.scale
    }
}
