/// Quantization operators: QuantizeLinear, DequantizeLinear and DynamicQuantizeLinear, with
/// onnxruntime's arithmetic (MLAS): `clamp(x / scale, qmin - zp, qmax - zp)` rounded half
/// to even, then `+ zp`; `(Int32(q) - zp) * scale` back. Scale and zero point apply to the
/// whole tensor or, one pair per slice, along `axis`.
enum QuantizeOps {
    /// Factories by op type, merged into `OpRegistry`.
    static let factories: [String: KernelFactory] = [
        "QuantizeLinear": { node, _ in try QuantizeLinearKernel(node) },
        "DequantizeLinear": { node, _ in try DequantizeLinearKernel(node) },
        "DynamicQuantizeLinear": { _, _ in DynamicQuantizeLinearKernel() },
    ]
}

/// How quantization parameters map onto a tensor: `[outer, channels, inner]` with one
/// scale and zero point per channel (one channel for per-tensor parameters).
struct QuantizationLayout {
    /// Elements before the axis, channels along it, elements after it.
    let outer: Int
    let channels: Int
    let inner: Int

    /// Per-tensor when the scale holds one value, else per-axis along `axis`.

    init(shape: [Int], scale: Tensor, axis: Int) throws {
        if scale.count == 1 && scale.rank <= 1 {
            outer = 1
            channels = 1
            inner = Tensor.count(of: shape)
            return
        }
        guard scale.rank == 1 else {
            throw ExecError(
                "scale must be a scalar or a 1-D tensor (blocked quantization is not supported), got \(scale.shape)")
        }
        guard !shape.isEmpty else { throw ExecError("a scalar cannot take per-axis scales \(scale.shape)") }
        let axis = try Shapes.axis(axis, rank: shape.count)
        guard shape[axis] == scale.count else {
            throw ExecError("scale has \(scale.count) values but axis \(axis) of \(shape) has \(shape[axis])")
        }
        outer = shape[..<axis].reduce(1, *)
        channels = shape[axis]
        inner = shape[(axis + 1)...].reduce(1, *)
    }
}

/// Reads the `axis` and refuses attributes of forms this executor does not implement.
func quantizationAxis(_ node: ExecNode) throws -> Int {
    let attributes = Attributes(node)
    if let blockSize = try attributes.int("block_size"), blockSize != 0 {
        throw attributes.error("blocked quantization (block_size \(blockSize)) is not supported")
    }
    return try attributes.int("axis", default: 1)
}

/// Zero points as Int32, one per channel (zeros when absent), checked against the layout.
func zeroPoints(_ tensor: Tensor?, count: Int) throws -> [Int32] {
    guard let tensor else { return Array(repeating: 0, count: count) }
    guard tensor.count == count else {
        throw ExecError("zero point has \(tensor.count) values, scale has \(count)")
    }
    switch tensor.storage {
    case .uint8(let v): return v.map { Int32($0) }
    case .int8(let v): return v.map { Int32($0) }
    case .int32(let v): return v
    default: throw ExecError("zero points of type \(tensor.dataType) are not supported")
    }
}

/// Quantizes `values` (one scale and zero point per channel) into one byte per element
/// (uint8, or int8 as its bit pattern) in `storage`'s type, rounding half to even or, to
/// match onnxruntime 1.20 on float16 inputs, toward zero. Concrete loops over unsafe
/// buffers: QDQ graphs run this on every activation.
func quantize(
    _ values: [Float], scales: [Float], zeroPoints: [Int32], layout: QuantizationLayout, into storage: Tensor.Storage,
    range: ClosedRange<Int32>, truncate: Bool = false
) -> Tensor.Storage {
    values.withUnsafeBufferPointer { source in
        storage.makeLike(count: values.count) { target in
            guard let s = source.baseAddress, let t = target.baseAddress else { return }
            for o in 0..<layout.outer {
                for c in 0..<layout.channels {
                    let scale = scales[c]
                    let zero = zeroPoints[c]
                    let low = Float(range.lowerBound - zero)
                    let high = Float(range.upperBound - zero)
                    let base = (o * layout.channels + c) * layout.inner
                    let x = s + base
                    let y = t + base
                    // Clamp first, as MLAS does; NaN fails `>` and becomes the lowest value.
                    if truncate {
                        for i in 0..<layout.inner {
                            let scaled = x[i] / scale
                            let clamped = min(scaled > low ? scaled : low, high)
                            let q = Int32(clamped.rounded(.towardZero)) &+ zero
                            y.storeBytes(of: UInt8(truncatingIfNeeded: q), toByteOffset: i, as: UInt8.self)
                        }
                    } else {
                        for i in 0..<layout.inner {
                            let scaled = x[i] / scale
                            let clamped = min(scaled > low ? scaled : low, high)
                            let q = Int32(clamped.rounded(.toNearestOrEven)) &+ zero
                            y.storeBytes(of: UInt8(truncatingIfNeeded: q), toByteOffset: i, as: UInt8.self)
                        }
                    }
                }
            }
        }
    }
}

/// QuantizeLinear: float or float16 in; uint8 out unless the zero point (or, opset 21,
/// `output_dtype`) says int8. onnxruntime 1.20's float16 kernel truncates toward zero
/// instead of rounding half to even (measured by the oracle case `Quantize-float16`); the
/// reference follows it so calibration and accuracy checks see what the runtime computes.
struct QuantizeLinearKernel: Kernel {
    /// The per-axis axis (default 1, the channels of NCHW).
    let axis: Int
    /// Opset 21 `output_dtype` (2 uint8, 3 int8), used when there is no zero point.
    let outputType: Int?

    init(_ node: ExecNode) throws {
        axis = try quantizationAxis(node)
        outputType = try Attributes(node).int("output_dtype")
        if let outputType, outputType != 0, outputType != 2, outputType != 3 {
            throw Attributes(node).error("output_dtype \(outputType) is not supported (uint8 and int8 are)")
        }
    }

    func run(_ inputs: [Tensor?], _ context: RunContext) throws -> [Tensor] {
        let x = try required(inputs, 0)
        let scale = try required(inputs, 1)
        let zero = optionalInput(inputs, 2)
        guard x.isFloatingPoint, scale.isFloatingPoint else {
            throw ExecError("QuantizeLinear expects float input and scale, got \(x.dataType) and \(scale.dataType)")
        }
        let layout = try QuantizationLayout(shape: x.shape, scale: scale, axis: axis)
        let zeros = try zeroPoints(zero, count: layout.channels)
        let signed: Bool
        switch zero?.storage {
        case .int8: signed = true
        case .uint8: signed = false
        case nil: signed = outputType == 3
        default:
            throw ExecError(
                "QuantizeLinear supports uint8 and int8 zero points, got \(zero?.dataType.description ?? "?")")
        }
        let truncate = if case .float16 = x.storage { true } else { false }
        let values: [Float] = if case .float(let v) = x.storage { v } else { x.floatValues }
        let storage = quantize(
            values, scales: scale.floatValues, zeroPoints: zeros, layout: layout,
            into: signed ? .int8([]) : .uint8([]), range: signed ? -128...127 : 0...255, truncate: truncate)
        return [Tensor(shape: x.shape, storage: storage)]
    }
}

/// DequantizeLinear: int8, uint8 or int32 in; `(x - zero point) * scale` out, in the scale's
/// float type.
struct DequantizeLinearKernel: Kernel {
    /// The per-axis axis (default 1).
    let axis: Int

    init(_ node: ExecNode) throws { axis = try quantizationAxis(node) }

    func run(_ inputs: [Tensor?], _ context: RunContext) throws -> [Tensor] {
        let x = try required(inputs, 0)
        let scale = try required(inputs, 1)
        let zero = optionalInput(inputs, 2)
        guard scale.isFloatingPoint else { throw ExecError("scale must be float, got \(scale.dataType)") }
        if let zero, !zero.storage.sameType(as: x.storage) {
            throw ExecError("zero point type \(zero.dataType) differs from input type \(x.dataType)")
        }
        switch x.storage {
        case .uint8, .int8, .int32: break
        default: throw ExecError("DequantizeLinear does not support \(x.dataType) input")
        }
        let layout = try QuantizationLayout(shape: x.shape, scale: scale, axis: axis)
        let zeros = try zeroPoints(zero, count: layout.channels)
        let scales = scale.floatValues
        var out = [Float](repeating: 0, count: x.count)
        try x.storage.withRawBytes { source in
            try out.withUnsafeMutableBufferPointer { target in
                guard let s = source.baseAddress, let t = target.baseAddress else { return }
                for o in 0..<layout.outer {
                    for c in 0..<layout.channels {
                        let base = (o * layout.channels + c) * layout.inner
                        try Self.dequantize(
                            s, x.storage, from: base, count: layout.inner, zero: zeros[c], scale: scales[c],
                            into: t + base)
                    }
                }
            }
        }
        if case .float = scale.storage { return [Tensor(shape: x.shape, storage: .float(out))] }
        return [Tensor.fromFloats(out, shape: x.shape, like: scale.storage)]
    }

    /// `Float(Int32(q) - zero) * scale` for `count` elements from `first`: one concrete loop
    /// per input type.
    static func dequantize(
        _ source: UnsafeRawPointer, _ storage: Tensor.Storage, from first: Int, count: Int, zero: Int32, scale: Float,
        into y: UnsafeMutablePointer<Float>
    ) throws {
        switch storage {
        case .uint8:
            let x = source.assumingMemoryBound(to: UInt8.self) + first
            for i in 0..<count { y[i] = Float(Int32(x[i]) &- zero) * scale }
        case .int8:
            let x = source.assumingMemoryBound(to: Int8.self) + first
            for i in 0..<count { y[i] = Float(Int32(x[i]) &- zero) * scale }
        case .int32:
            let x = source.assumingMemoryBound(to: Int32.self) + first
            for i in 0..<count { y[i] = Float(x[i] &- zero) * scale }
        default:
            throw ExecError("DequantizeLinear does not support \(storage.typeName) input")
        }
    }
}

/// DynamicQuantizeLinear: uint8 with scale and zero point from the data's range (widened
/// to include 0), as onnxruntime computes them.
struct DynamicQuantizeLinearKernel: Kernel {
    func run(_ inputs: [Tensor?], _ context: RunContext) throws -> [Tensor] {
        let x = try required(inputs, 0)
        guard case .float(let values) = x.storage else {
            throw ExecError("DynamicQuantizeLinear expects float input, got \(x.dataType)")
        }
        var low: Float = 0
        var high: Float = 0
        for value in values {
            low = min(low, value)
            high = max(high, value)
        }
        let scale: Float = high == low ? 1 : (high - low) / 255
        let initial = 0 - low / scale
        let zero = Int32(max(0, min(255, initial)).rounded(.toNearestOrEven))
        let layout = try QuantizationLayout(shape: x.shape, scale: Tensor(shape: [], floats: [scale]), axis: 0)
        let storage = quantize(
            values, scales: [scale], zeroPoints: [zero], layout: layout, into: .uint8([]), range: 0...255)
        return [
            Tensor(shape: x.shape, storage: storage),
            Tensor(shape: [], floats: [scale]),
            Tensor(shape: [], storage: .uint8([UInt8(zero)])),
        ]
    }
}
