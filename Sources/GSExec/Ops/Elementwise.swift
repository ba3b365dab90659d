#if canImport(Glibc)
    import Glibc
#endif

/// The value kinds elementwise arithmetic is done in: floats (float, float16 and double
/// compute in Float and convert back, as CPU runtimes do for float16), integers in Int64
/// (converted back to the input type) and booleans.
enum Lanes {
    case float([Float])
    case int([Int64])
    case bool([Bool])

    init(_ tensor: Tensor) {
        switch tensor.storage {
        case .float(let v): self = .float(v)
        case .float16, .double: self = .float(tensor.floatValues)
        case .bool(let v): self = .bool(v)
        default: self = .int(tensor.int64Values)
        }
    }
}

extension Tensor {
    /// A tensor of `like`'s element type holding `values` (computed in Float).
    static func fromFloats(_ values: [Float], shape: [Int], like type: Tensor.Storage) -> Tensor {
        switch type {
        case .float16: Tensor(shape: shape, storage: .float16(values.map { Float16($0) }))
        case .double: Tensor(shape: shape, storage: .double(values.map(Double.init)))
        default: Tensor(shape: shape, storage: .float(values))
        }
    }

    /// A tensor of `like`'s integer type holding `values`.
    static func fromInts(_ values: [Int64], shape: [Int], like type: Tensor.Storage) -> Tensor {
        switch type {
        case .int32: Tensor(shape: shape, storage: .int32(values.map { Int32(truncatingIfNeeded: $0) }))
        case .int8: Tensor(shape: shape, storage: .int8(values.map { Int8(truncatingIfNeeded: $0) }))
        case .uint8: Tensor(shape: shape, storage: .uint8(values.map { UInt8(truncatingIfNeeded: $0) }))
        default: Tensor(shape: shape, storage: .int64(values))
        }
    }

    var isFloatingPoint: Bool {
        switch storage {
        case .float, .float16, .double: true
        default: false
        }
    }
}

/// Arithmetic on two values, in Float and in Int64.
protocol BinaryArithmetic {
    static func float(_ a: Float, _ b: Float) -> Float
    static func int(_ a: Int64, _ b: Int64) -> Int64
    /// The four float operations that have loops of their own (`FloatRuns`).
    static var floatKind: FloatRuns.Kind? { get }
}

extension BinaryArithmetic {
    static var floatKind: FloatRuns.Kind? { nil }
}

/// Float `+ - * /` over one broadcast run, eight lanes at a time, in concrete loops: called
/// through the generic kernels, the per-element operation stays a call and the loops do not
/// vectorize (PP-OCR's recognizer spends most of its time adding and multiplying by
/// scalars).
enum FloatRuns {
    enum Kind { case add, sub, mul, div }

    /// `o[i] = x[i * xStride] op y[i * yStride]` for strides (1, 1), (1, 0) and (0, 1);
    /// false for other strides (the caller's general loop does those).
    static func apply(
        _ kind: Kind, _ x: UnsafePointer<Float>, _ xStride: Int, _ y: UnsafePointer<Float>, _ yStride: Int,
        _ o: UnsafeMutablePointer<Float>, _ n: Int
    ) -> Bool {
        switch (xStride, yStride) {
        case (1, 1):
            switch kind {
            case .add:
                lanes(x, y, o, n) {
                    $0 + $1
                } scalar: {
                    $0 + $1
                }
            case .sub:
                lanes(x, y, o, n) {
                    $0 - $1
                } scalar: {
                    $0 - $1
                }
            case .mul:
                lanes(x, y, o, n) {
                    $0 * $1
                } scalar: {
                    $0 * $1
                }
            case .div:
                lanes(x, y, o, n) {
                    $0 / $1
                } scalar: {
                    $0 / $1
                }
            }
        case (1, 0):
            let b = y[0]
            switch kind {
            case .add:
                lanes(x, o, n) {
                    $0 + b
                } scalar: {
                    $0 + b
                }
            case .sub:
                lanes(x, o, n) {
                    $0 - b
                } scalar: {
                    $0 - b
                }
            case .mul:
                lanes(x, o, n) {
                    $0 * b
                } scalar: {
                    $0 * b
                }
            case .div:
                lanes(x, o, n) {
                    $0 / b
                } scalar: {
                    $0 / b
                }
            }
        case (0, 1):
            let a = x[0]
            switch kind {
            case .add:
                lanes(y, o, n) {
                    a + $0
                } scalar: {
                    a + $0
                }
            case .sub:
                lanes(y, o, n) {
                    a - $0
                } scalar: {
                    a - $0
                }
            case .mul:
                lanes(y, o, n) {
                    a * $0
                } scalar: {
                    a * $0
                }
            case .div:
                lanes(y, o, n) {
                    a / $0
                } scalar: {
                    a / $0
                }
            }
        default:
            return false
        }
        return true
    }

    @inline(__always)
    static func lanes(
        _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ o: UnsafeMutablePointer<Float>, _ n: Int,
        _ vector: (SIMD8<Float>, SIMD8<Float>) -> SIMD8<Float>, scalar: (Float, Float) -> Float
    ) {
        var i = 0
        while i + 8 <= n {
            let a = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
            let b = UnsafeRawPointer(y + i).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(o + i).storeBytes(of: vector(a, b), as: SIMD8<Float>.self)
            i += 8
        }
        while i < n {
            o[i] = scalar(x[i], y[i])
            i += 1
        }
    }

    @inline(__always)
    static func lanes(
        _ x: UnsafePointer<Float>, _ o: UnsafeMutablePointer<Float>, _ n: Int,
        _ vector: (SIMD8<Float>) -> SIMD8<Float>, scalar: (Float) -> Float
    ) {
        var i = 0
        while i + 8 <= n {
            let a = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(o + i).storeBytes(of: vector(a), as: SIMD8<Float>.self)
            i += 8
        }
        while i < n {
            o[i] = scalar(x[i])
            i += 1
        }
    }
}

/// A comparison or logical operation producing booleans.
protocol BinaryPredicate {
    static func float(_ a: Float, _ b: Float) -> Bool
    static func int(_ a: Int64, _ b: Int64) -> Bool
    static func bool(_ a: Bool, _ b: Bool) -> Bool
}

enum Broadcast {
    /// `a op b` with NumPy broadcasting; both must have one element type.
    static func arithmetic<Op: BinaryArithmetic>(_ op: Op.Type, _ a: Tensor, _ b: Tensor) throws -> Tensor {
        let shape = try Shapes.broadcast(a.shape, b.shape)
        let walker = BroadcastWalker(output: shape, inputs: [a.shape, b.shape])
        let count = Tensor.count(of: shape)
        switch (Lanes(a), Lanes(b)) {
        case (.float(let x), .float(let y)):
            let kind = Op.floatKind
            var out = [Float](repeating: 0, count: count)
            x.withUnsafeBufferPointer { px in
                y.withUnsafeBufferPointer { py in
                    out.withUnsafeMutableBufferPointer { po in
                        walker.forEachRun { o, offsets, strides, n in
                            let xs = px.baseAddress! + offsets[0]
                            let ys = py.baseAddress! + offsets[1]
                            let os = po.baseAddress! + o
                            if let kind, FloatRuns.apply(kind, xs, strides[0], ys, strides[1], os, n) { return }
                            switch (strides[0], strides[1]) {
                            case (1, 1): for i in 0..<n { os[i] = Op.float(xs[i], ys[i]) }
                            case (1, 0):
                                let y0 = ys[0]
                                for i in 0..<n { os[i] = Op.float(xs[i], y0) }
                            case (0, 1):
                                let x0 = xs[0]
                                for i in 0..<n { os[i] = Op.float(x0, ys[i]) }
                            default:
                                for i in 0..<n { os[i] = Op.float(xs[i * strides[0]], ys[i * strides[1]]) }
                            }
                        }
                    }
                }
            }
            return Tensor.fromFloats(out, shape: shape, like: a.storage)
        case (.int(let x), .int(let y)):
            var out = [Int64](repeating: 0, count: count)
            walker.forEachRun { o, offsets, strides, n in
                for i in 0..<n { out[o + i] = Op.int(x[offsets[0] + i * strides[0]], y[offsets[1] + i * strides[1]]) }
            }
            return Tensor.fromInts(out, shape: shape, like: a.storage)
        default:
            throw ExecError("operands have different element types (\(a.dataType) and \(b.dataType))")
        }
    }

    /// `a op b` producing booleans.
    static func predicate<Op: BinaryPredicate>(_ op: Op.Type, _ a: Tensor, _ b: Tensor) throws -> Tensor {
        let shape = try Shapes.broadcast(a.shape, b.shape)
        let walker = BroadcastWalker(output: shape, inputs: [a.shape, b.shape])
        var out = [Bool](repeating: false, count: Tensor.count(of: shape))
        switch (Lanes(a), Lanes(b)) {
        case (.float(let x), .float(let y)):
            walker.forEachRun { o, offsets, strides, n in
                for i in 0..<n { out[o + i] = Op.float(x[offsets[0] + i * strides[0]], y[offsets[1] + i * strides[1]]) }
            }
        case (.int(let x), .int(let y)):
            walker.forEachRun { o, offsets, strides, n in
                for i in 0..<n { out[o + i] = Op.int(x[offsets[0] + i * strides[0]], y[offsets[1] + i * strides[1]]) }
            }
        case (.bool(let x), .bool(let y)):
            walker.forEachRun { o, offsets, strides, n in
                for i in 0..<n { out[o + i] = Op.bool(x[offsets[0] + i * strides[0]], y[offsets[1] + i * strides[1]]) }
            }
        default:
            throw ExecError("operands have different element types (\(a.dataType) and \(b.dataType))")
        }
        return Tensor(shape: shape, storage: .bool(out))
    }
}

enum AddOp: BinaryArithmetic {
    static var floatKind: FloatRuns.Kind? { .add }
    static func float(_ a: Float, _ b: Float) -> Float { a + b }
    static func int(_ a: Int64, _ b: Int64) -> Int64 { a &+ b }
}

enum SubOp: BinaryArithmetic {
    static var floatKind: FloatRuns.Kind? { .sub }
    static func float(_ a: Float, _ b: Float) -> Float { a - b }
    static func int(_ a: Int64, _ b: Int64) -> Int64 { a &- b }
}

enum MulOp: BinaryArithmetic {
    static var floatKind: FloatRuns.Kind? { .mul }
    static func float(_ a: Float, _ b: Float) -> Float { a * b }
    static func int(_ a: Int64, _ b: Int64) -> Int64 { a &* b }
}

/// Integer division truncates toward zero (as ONNX Runtime does); division by zero gives 0
/// rather than trapping.
enum DivOp: BinaryArithmetic {
    static var floatKind: FloatRuns.Kind? { .div }
    static func float(_ a: Float, _ b: Float) -> Float { a / b }
    static func int(_ a: Int64, _ b: Int64) -> Int64 { b == 0 ? 0 : a.dividedReportingOverflow(by: b).partialValue }
}

enum PowOp: BinaryArithmetic {
    static func float(_ a: Float, _ b: Float) -> Float {
        // Exact squares keep their sign behaviour and speed (PP-OCR's LayerNorm squares).
        b == 2 ? a * a : powf(a, b)
    }
    static func int(_ a: Int64, _ b: Int64) -> Int64 {
        guard b >= 0 else { return 0 }
        var result: Int64 = 1
        for _ in 0..<min(b, 64) { result = result &* a }
        return result
    }
}

enum MaxOp: BinaryArithmetic {
    static func float(_ a: Float, _ b: Float) -> Float { a.isNaN || b.isNaN ? .nan : Swift.max(a, b) }
    static func int(_ a: Int64, _ b: Int64) -> Int64 { Swift.max(a, b) }
}

enum MinOp: BinaryArithmetic {
    static func float(_ a: Float, _ b: Float) -> Float { a.isNaN || b.isNaN ? .nan : Swift.min(a, b) }
    static func int(_ a: Int64, _ b: Int64) -> Int64 { Swift.min(a, b) }
}

enum ModOp: BinaryArithmetic {
    static func float(_ a: Float, _ b: Float) -> Float { fmodf(a, b) }
    static func int(_ a: Int64, _ b: Int64) -> Int64 {
        guard b != 0 else { return 0 }
        let r = a.remainderReportingOverflow(dividingBy: b).partialValue
        return r != 0 && (r < 0) != (b < 0) ? r + b : r
    }
}

enum EqualOp: BinaryPredicate {
    static func float(_ a: Float, _ b: Float) -> Bool { a == b }
    static func int(_ a: Int64, _ b: Int64) -> Bool { a == b }
    static func bool(_ a: Bool, _ b: Bool) -> Bool { a == b }
}

enum GreaterOp: BinaryPredicate {
    static func float(_ a: Float, _ b: Float) -> Bool { a > b }
    static func int(_ a: Int64, _ b: Int64) -> Bool { a > b }
    static func bool(_ a: Bool, _ b: Bool) -> Bool { a && !b }
}

enum GreaterOrEqualOp: BinaryPredicate {
    static func float(_ a: Float, _ b: Float) -> Bool { a >= b }
    static func int(_ a: Int64, _ b: Int64) -> Bool { a >= b }
    static func bool(_ a: Bool, _ b: Bool) -> Bool { a || !b }
}

enum LessOp: BinaryPredicate {
    static func float(_ a: Float, _ b: Float) -> Bool { a < b }
    static func int(_ a: Int64, _ b: Int64) -> Bool { a < b }
    static func bool(_ a: Bool, _ b: Bool) -> Bool { !a && b }
}

enum LessOrEqualOp: BinaryPredicate {
    static func float(_ a: Float, _ b: Float) -> Bool { a <= b }
    static func int(_ a: Int64, _ b: Int64) -> Bool { a <= b }
    static func bool(_ a: Bool, _ b: Bool) -> Bool { !a || b }
}

enum AndOp: BinaryPredicate {
    static func float(_ a: Float, _ b: Float) -> Bool { a != 0 && b != 0 }
    static func int(_ a: Int64, _ b: Int64) -> Bool { a != 0 && b != 0 }
    static func bool(_ a: Bool, _ b: Bool) -> Bool { a && b }
}

enum OrOp: BinaryPredicate {
    static func float(_ a: Float, _ b: Float) -> Bool { a != 0 || b != 0 }
    static func int(_ a: Int64, _ b: Int64) -> Bool { a != 0 || b != 0 }
    static func bool(_ a: Bool, _ b: Bool) -> Bool { a || b }
}

enum XorOp: BinaryPredicate {
    static func float(_ a: Float, _ b: Float) -> Bool { (a != 0) != (b != 0) }
    static func int(_ a: Int64, _ b: Int64) -> Bool { (a != 0) != (b != 0) }
    static func bool(_ a: Bool, _ b: Bool) -> Bool { a != b }
}
