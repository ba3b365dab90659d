#if canImport(Glibc)
    import Glibc
#endif

/// Elementwise operators: arithmetic, comparisons and logic with broadcasting, unary math
/// and activations, Clip, Where, Cast, and the identity family.
enum ElementwiseOps {
    static let factories: [String: KernelFactory] = [
        "Add": binary(AddOp.self),
        "Sub": binary(SubOp.self),
        "Mul": binary(MulOp.self),
        "Div": binary(DivOp.self),
        "Pow": { _, _ in PowKernel() },
        "Mod": binary(ModOp.self),
        "Max": variadic(MaxOp.self),
        "Min": variadic(MinOp.self),
        "Sum": variadic(AddOp.self),
        "Mean": { _, _ in MeanKernel() },
        "Equal": predicate(EqualOp.self),
        "Greater": predicate(GreaterOp.self),
        "GreaterOrEqual": predicate(GreaterOrEqualOp.self),
        "Less": predicate(LessOp.self),
        "LessOrEqual": predicate(LessOrEqualOp.self),
        "And": predicate(AndOp.self),
        "Or": predicate(OrOp.self),
        "Xor": predicate(XorOp.self),
        "Not": { _, _ in NotKernel() },
        "Relu": unary { max($0, 0) },
        "Sigmoid": unary { 1 / (1 + expf(-$0)) },
        "Tanh": unary { tanhf($0) },
        "Exp": unary { expf($0) },
        "Log": unary { logf($0) },
        "Sqrt": unary { sqrtf($0) },
        "Neg": { _, _ in NegKernel() },
        "Abs": { _, _ in AbsKernel() },
        "Reciprocal": unary { 1 / $0 },
        "Floor": unary { $0.rounded(.down) },
        "Ceil": unary { $0.rounded(.up) },
        "Round": unary { $0.rounded(.toNearestOrEven) },
        "Erf": unary { erff($0) },
        "Sin": unary { sinf($0) },
        "Cos": unary { cosf($0) },
        "Softplus": unary { logf(1 + expf($0)) },
        "Softsign": unary { $0 / (1 + abs($0)) },
        "HardSigmoid": { node, _ in
            let attributes = Attributes(node)
            let alpha = try attributes.float("alpha", default: 0.2)
            let beta = try attributes.float("beta", default: 0.5)
            return UnaryKernel { max(0, min(1, alpha * $0 + beta)) }
        },
        "HardSwish": unary { $0 * max(0, min(1, $0 / 6 + 0.5)) },
        "LeakyRelu": { node, _ in
            let alpha = try Attributes(node).float("alpha", default: 0.01)
            return UnaryKernel { $0 >= 0 ? $0 : alpha * $0 }
        },
        "Elu": { node, _ in
            let alpha = try Attributes(node).float("alpha", default: 1)
            return UnaryKernel { $0 >= 0 ? $0 : alpha * (expf($0) - 1) }
        },
        "Selu": { node, _ in
            let attributes = Attributes(node)
            let alpha = try attributes.float("alpha", default: 1.67326319217681884765625)
            let gamma = try attributes.float("gamma", default: 1.05070102214813232421875)
            return UnaryKernel { gamma * ($0 > 0 ? $0 : alpha * (expf($0) - 1)) }
        },
        "PRelu": { _, _ in PReluKernel() },
        "Clip": { node, context in try ClipKernel(node, opset: context.opset) },
        "Where": { _, _ in WhereKernel() },
        "Cast": { node, _ in try CastKernel(node) },
        "Identity": { _, _ in PassThroughKernel() },
        "Dropout": { _, _ in DropoutKernel() },
    ]

    static func binary<Op: BinaryArithmetic>(_ op: Op.Type) -> KernelFactory {
        { _, _ in BinaryKernel<Op>() }
    }

    static func variadic<Op: BinaryArithmetic>(_ op: Op.Type) -> KernelFactory {
        { _, _ in VariadicKernel<Op>() }
    }

    static func predicate<Op: BinaryPredicate>(_ op: Op.Type) -> KernelFactory {
        { _, _ in PredicateKernel<Op>() }
    }

    static func unary(_ function: @escaping @Sendable (Float) -> Float) -> KernelFactory {
        { _, _ in UnaryKernel(function) }
    }
}

/// Fetches input `index`, or a located error when the node lacks it.
func required(_ inputs: [Tensor?], _ index: Int) throws -> Tensor {
    guard index < inputs.count, let tensor = inputs[index] else {
        throw ExecError("required input \(index + 1) is missing")
    }
    return tensor
}

struct BinaryKernel<Op: BinaryArithmetic>: Kernel {
    func run(_ inputs: [Tensor?], _ context: RunContext) throws -> [Tensor] {
        [try Broadcast.arithmetic(Op.self, required(inputs, 0), required(inputs, 1))]
    }
}

struct VariadicKernel<Op: BinaryArithmetic>: Kernel {
    func run(_ inputs: [Tensor?], _ context: RunContext) throws -> [Tensor] {
        var result = try required(inputs, 0)
        for input in inputs.dropFirst() {
            guard let input else { continue }
            result = try Broadcast.arithmetic(Op.self, result, input)
        }
        return [result]
    }
}

struct MeanKernel: Kernel {
    func run(_ inputs: [Tensor?], _ context: RunContext) throws -> [Tensor] {
        let sum = try VariadicKernel<AddOp>().run(inputs, context)[0]
        let count = Float(inputs.compactMap { $0 }.count)
        return [Tensor.fromFloats(sum.floatValues.map { $0 / count }, shape: sum.shape, like: sum.storage)]
    }
}

struct PredicateKernel<Op: BinaryPredicate>: Kernel {
    func run(_ inputs: [Tensor?], _ context: RunContext) throws -> [Tensor] {
        [try Broadcast.predicate(Op.self, required(inputs, 0), required(inputs, 1))]
    }
}

/// Pow keeps the base's type; the exponent may be of another type (ONNX allows it).
struct PowKernel: Kernel {
    func run(_ inputs: [Tensor?], _ context: RunContext) throws -> [Tensor] {
        let base = try required(inputs, 0)
        var exponent = try required(inputs, 1)
        if base.isFloatingPoint != exponent.isFloatingPoint || base.dataType != exponent.dataType {
            exponent =
                base.isFloatingPoint
                ? Tensor.fromFloats(exponent.floatValues, shape: exponent.shape, like: base.storage)
                : Tensor.fromInts(exponent.int64Values, shape: exponent.shape, like: base.storage)
        }
        return [try Broadcast.arithmetic(PowOp.self, base, exponent)]
    }
}

/// A float function applied to every element (float, float16, double).
struct UnaryKernel: Kernel {
    let function: @Sendable (Float) -> Float

    init(_ function: @escaping @Sendable (Float) -> Float) { self.function = function }

    func run(_ inputs: [Tensor?], _ context: RunContext) throws -> [Tensor] {
        let input = try required(inputs, 0)
        guard input.isFloatingPoint else { throw ExecError("expects a float tensor, got \(input.dataType)") }
        if case .float(let values) = input.storage {
            var out = [Float](repeating: 0, count: values.count)
            values.withUnsafeBufferPointer { source in
                out.withUnsafeMutableBufferPointer { target in
                    for i in 0..<source.count { target[i] = function(source[i]) }
                }
            }
            return [Tensor(shape: input.shape, storage: .float(out))]
        }
        return [Tensor.fromFloats(input.floatValues.map(function), shape: input.shape, like: input.storage)]
    }
}

struct NegKernel: Kernel {
    func run(_ inputs: [Tensor?], _ context: RunContext) throws -> [Tensor] {
        let input = try required(inputs, 0)
        if input.isFloatingPoint {
            return [Tensor.fromFloats(input.floatValues.map { -$0 }, shape: input.shape, like: input.storage)]
        }
        return [Tensor.fromInts(input.int64Values.map { 0 &- $0 }, shape: input.shape, like: input.storage)]
    }
}

struct AbsKernel: Kernel {
    func run(_ inputs: [Tensor?], _ context: RunContext) throws -> [Tensor] {
        let input = try required(inputs, 0)
        if input.isFloatingPoint {
            return [Tensor.fromFloats(input.floatValues.map { abs($0) }, shape: input.shape, like: input.storage)]
        }
        return [
            Tensor.fromInts(input.int64Values.map { $0 < 0 ? 0 &- $0 : $0 }, shape: input.shape, like: input.storage)
        ]
    }
}

struct NotKernel: Kernel {
    func run(_ inputs: [Tensor?], _ context: RunContext) throws -> [Tensor] {
        let input = try required(inputs, 0)
        guard case .bool(let values) = input.storage else { throw ExecError("Not expects booleans") }
        return [Tensor(shape: input.shape, storage: .bool(values.map { !$0 }))]
    }
}

/// y = x where x >= 0, slope · x elsewhere; slope broadcasts to x.
struct PReluKernel: Kernel {
    func run(_ inputs: [Tensor?], _ context: RunContext) throws -> [Tensor] {
        let x = try required(inputs, 0)
        let slope = try required(inputs, 1)
        let product = try Broadcast.arithmetic(MulOp.self, x, slope)
        let xs = try Broadcast.arithmetic(AddOp.self, x, Tensor.fromFloats([0], shape: [], like: x.storage))
        let values = zip(xs.floatValues, product.floatValues).map { $0 >= 0 ? $0 : $1 }
        return [Tensor.fromFloats(values, shape: product.shape, like: x.storage)]
    }
}

/// Clip: bounds from attributes before opset 11, from optional inputs since.
struct ClipKernel: Kernel {
    let attributeMin: Float
    let attributeMax: Float

    /// `values` clamped to [low, high] eight lanes at a time by compare-and-blend (a NaN
    /// stays NaN, as `min(max(x, low), high)` leaves it): MobileNets clip every other tensor.
    static func clamp(_ values: [Float], _ low: Float, _ high: Float) -> [Float] {
        [Float](unsafeUninitializedCapacity: values.count) { out, initialized in
            values.withUnsafeBufferPointer { input in
                guard let x = input.baseAddress, let y = out.baseAddress else { return }
                let count = input.count
                let lows = SIMD8<Float>(repeating: low)
                let highs = SIMD8<Float>(repeating: high)
                var i = 0
                while i + 8 <= count {
                    var v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
                    v = v.replacing(with: lows, where: v .< lows)
                    v = v.replacing(with: highs, where: v .> highs)
                    UnsafeMutableRawPointer(y + i).storeBytes(of: v, as: SIMD8<Float>.self)
                    i += 8
                }
                while i < count {
                    y[i] = min(max(x[i], low), high)
                    i += 1
                }
            }
            initialized = values.count
        }
    }

    init(_ node: ExecNode, opset: Int) throws {
        let attributes = Attributes(node)
        attributeMin = try attributes.float("min", default: -.greatestFiniteMagnitude)
        attributeMax = try attributes.float("max", default: .greatestFiniteMagnitude)
    }

    func run(_ inputs: [Tensor?], _ context: RunContext) throws -> [Tensor] {
        let input = try required(inputs, 0)
        let low = inputs.count > 1 ? inputs[1]?.floatValues.first : nil
        let high = inputs.count > 2 ? inputs[2]?.floatValues.first : nil
        if case .float(let values) = input.storage {
            return [
                Tensor(
                    shape: input.shape, storage: .float(Self.clamp(values, low ?? attributeMin, high ?? attributeMax)))
            ]
        }
        if input.isFloatingPoint {
            let lo = low ?? attributeMin
            let hi = high ?? attributeMax
            return [
                Tensor.fromFloats(
                    input.floatValues.map { min(max($0, lo), hi) }, shape: input.shape, like: input.storage)
            ]
        }
        let lo = (inputs.count > 1 ? inputs[1]?.int64Values.first : nil) ?? .min
        let hi = (inputs.count > 2 ? inputs[2]?.int64Values.first : nil) ?? .max
        return [
            Tensor.fromInts(input.int64Values.map { min(max($0, lo), hi) }, shape: input.shape, like: input.storage)
        ]
    }
}

/// Where(condition, x, y) with broadcasting of all three.
struct WhereKernel: Kernel {
    func run(_ inputs: [Tensor?], _ context: RunContext) throws -> [Tensor] {
        let condition = try required(inputs, 0)
        let x = try required(inputs, 1)
        let y = try required(inputs, 2)
        guard case .bool(let mask) = condition.storage else { throw ExecError("Where needs a boolean condition") }
        let shape = try Shapes.broadcast(Shapes.broadcast(condition.shape, x.shape), y.shape)
        let walker = BroadcastWalker(output: shape, inputs: [condition.shape, x.shape, y.shape])
        if x.isFloatingPoint {
            let xv = x.floatValues
            let yv = y.floatValues
            var out = [Float](repeating: 0, count: Tensor.count(of: shape))
            walker.forEachRun { o, offsets, strides, n in
                for i in 0..<n {
                    out[o + i] =
                        mask[offsets[0] + i * strides[0]]
                        ? xv[offsets[1] + i * strides[1]] : yv[offsets[2] + i * strides[2]]
                }
            }
            return [Tensor.fromFloats(out, shape: shape, like: x.storage)]
        }
        if case .bool(let xv) = x.storage, case .bool(let yv) = y.storage {
            var out = [Bool](repeating: false, count: Tensor.count(of: shape))
            walker.forEachRun { o, offsets, strides, n in
                for i in 0..<n {
                    out[o + i] =
                        mask[offsets[0] + i * strides[0]]
                        ? xv[offsets[1] + i * strides[1]] : yv[offsets[2] + i * strides[2]]
                }
            }
            return [Tensor(shape: shape, storage: .bool(out))]
        }
        let xv = x.int64Values
        let yv = y.int64Values
        var out = [Int64](repeating: 0, count: Tensor.count(of: shape))
        walker.forEachRun { o, offsets, strides, n in
            for i in 0..<n {
                out[o + i] =
                    mask[offsets[0] + i * strides[0]]
                    ? xv[offsets[1] + i * strides[1]] : yv[offsets[2] + i * strides[2]]
            }
        }
        return [Tensor.fromInts(out, shape: shape, like: x.storage)]
    }
}

/// Cast to the `to` element type (float -> int truncates toward zero, as ORT does).
struct CastKernel: Kernel {
    let target: Int

    init(_ node: ExecNode) throws {
        guard let to = try Attributes(node).int("to") else { throw Attributes(node).error("Cast needs `to`") }
        target = to
    }

    func run(_ inputs: [Tensor?], _ context: RunContext) throws -> [Tensor] {
        [try Cast.convert(required(inputs, 0), to: target)]
    }
}

enum Cast {
    static func convert(_ input: Tensor, to target: Int) throws -> Tensor {
        let shape = input.shape
        switch target {
        case 1: return Tensor(shape: shape, storage: .float(input.floatValues))
        case 10: return Tensor(shape: shape, storage: .float16(input.floatValues.map { Float16($0) }))
        case 11:
            if case .double = input.storage { return input }
            return Tensor(
                shape: shape,
                storage: .double(
                    input.isFloatingPoint ? input.floatValues.map(Double.init) : input.int64Values.map(Double.init)))
        case 9:
            if input.isFloatingPoint { return Tensor(shape: shape, storage: .bool(input.floatValues.map { $0 != 0 })) }
            return Tensor(shape: shape, storage: .bool(input.int64Values.map { $0 != 0 }))
        case 7, 6, 3, 2:
            let values = input.isFloatingPoint ? input.floatValues.map { saturating($0) } : input.int64Values
            switch target {
            case 7: return Tensor(shape: shape, storage: .int64(values))
            case 6: return Tensor(shape: shape, storage: .int32(values.map { Int32(truncatingIfNeeded: $0) }))
            case 3: return Tensor(shape: shape, storage: .int8(values.map { Int8(truncatingIfNeeded: $0) }))
            default: return Tensor(shape: shape, storage: .uint8(values.map { UInt8(truncatingIfNeeded: $0) }))
            }
        default:
            throw ExecError("Cast to element type \(target) is not supported")
        }
    }

    /// Float to integer, truncating toward zero; NaN and out-of-range values do not trap.
    static func saturating(_ value: Float) -> Int64 {
        guard value.isFinite else { return value.isNaN ? 0 : (value > 0 ? .max : .min) }
        if value >= 9.2e18 { return .max }
        if value <= -9.2e18 { return .min }
        return Int64(value.rounded(.towardZero))
    }
}

struct PassThroughKernel: Kernel {
    func run(_ inputs: [Tensor?], _ context: RunContext) throws -> [Tensor] { [try required(inputs, 0)] }
}

/// Inference-mode Dropout: the input unchanged and, when asked for, an all-true mask.
struct DropoutKernel: Kernel {
    func run(_ inputs: [Tensor?], _ context: RunContext) throws -> [Tensor] {
        let input = try required(inputs, 0)
        return [input, Tensor(shape: input.shape, storage: .bool([Bool](repeating: true, count: input.count)))]
    }
}
