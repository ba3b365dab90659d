#if canImport(Glibc)
    import Glibc
#endif

/// Reductions (ReduceSum/Mean/Max/Min/Prod/L2), ArgMax/ArgMin and Softmax/LogSoftmax.
///
/// Every reduction is brought to one shape, `[outer, reduced, inner]` with the reduced
/// elements of one output `inner` apart: directly when the reduced axes are adjacent (the
/// common case: channels, the last axis), after one transposing copy otherwise.

/// Numbers the reductions accumulate in: Float (also for float16), Double and Int64.
protocol ReducibleNumber: Comparable {
    /// 0, the identity of sums.
    static var zeroValue: Self { get }
    /// 1, the identity of products.
    static var oneValue: Self { get }
    /// The identity of max over an empty set.
    static var lowest: Self { get }
    /// The identity of min over an empty set.
    static var highest: Self { get }
    /// Addition (wrapping for integers).
    static func add(_ a: Self, _ b: Self) -> Self
    /// Multiplication (wrapping for integers).
    static func multiply(_ a: Self, _ b: Self) -> Self
    /// Division by an element count (truncating for integers, as onnxruntime does).
    func divided(by count: Int) -> Self
    /// Square root, truncated for integers.
    var squareRoot: Self { get }
}

/// Float accumulates float and float16 reductions, as onnxruntime does.
extension Float: ReducibleNumber {
    static var zeroValue: Float { 0 }
    static var oneValue: Float { 1 }
    static var lowest: Float { -.infinity }
    static var highest: Float { .infinity }
    static func add(_ a: Float, _ b: Float) -> Float { a + b }
    static func multiply(_ a: Float, _ b: Float) -> Float { a * b }
    func divided(by count: Int) -> Float { self / Float(count) }
    var squareRoot: Float { sqrtf(self) }
}

/// Double accumulates double reductions.
extension Double: ReducibleNumber {
    static var zeroValue: Double { 0 }
    static var oneValue: Double { 1 }
    static var lowest: Double { -.infinity }
    static var highest: Double { .infinity }
    static func add(_ a: Double, _ b: Double) -> Double { a + b }
    static func multiply(_ a: Double, _ b: Double) -> Double { a * b }
    func divided(by count: Int) -> Double { self / Double(count) }
    var squareRoot: Double { sqrt(self) }
}

/// Int64 accumulates every integer type (wrapping, then truncated back).
extension Int64: ReducibleNumber {
    static var zeroValue: Int64 { 0 }
    static var oneValue: Int64 { 1 }
    static var lowest: Int64 { .min }
    static var highest: Int64 { .max }
    static func add(_ a: Int64, _ b: Int64) -> Int64 { a &+ b }
    static func multiply(_ a: Int64, _ b: Int64) -> Int64 { a &* b }
    func divided(by count: Int) -> Int64 { count == 0 ? 0 : self / Int64(count) }
    var squareRoot: Int64 { self < 0 ? 0 : Int64(Double(self).squareRoot()) }
}

/// One reduction's arithmetic: how a value joins the accumulator and what the accumulator
/// becomes at the end.
protocol ReduceOperation {
    /// The result over an empty set.
    static func identity<T: ReducibleNumber>(_ type: T.Type) -> T
    /// The accumulator after the first element (so max/min start from real data).
    static func first<T: ReducibleNumber>(_ x: T) -> T
    /// The accumulator after one more element.
    static func combine<T: ReducibleNumber>(_ accumulator: T, _ x: T) -> T
    /// The result from the accumulator and the element count.
    static func finish<T: ReducibleNumber>(_ accumulator: T, count: Int) -> T
}

extension ReduceOperation {
    static func first<T: ReducibleNumber>(_ x: T) -> T { x }
    static func finish<T: ReducibleNumber>(_ accumulator: T, count: Int) -> T { accumulator }
}

/// Sum: 0 for an empty set.
enum SumReduction: ReduceOperation {
    static func identity<T: ReducibleNumber>(_ type: T.Type) -> T { .zeroValue }
    static func combine<T: ReducibleNumber>(_ a: T, _ x: T) -> T { T.add(a, x) }
}

/// Mean: the sum divided by the count (integer division for integers).
enum MeanReduction: ReduceOperation {
    static func identity<T: ReducibleNumber>(_ type: T.Type) -> T { .zeroValue }
    static func combine<T: ReducibleNumber>(_ a: T, _ x: T) -> T { T.add(a, x) }
    static func finish<T: ReducibleNumber>(_ a: T, count: Int) -> T { count == 0 ? a : a.divided(by: count) }
}

/// Maximum: -inf (or the type's minimum) for an empty set, which onnxruntime refuses.
enum MaxReduction: ReduceOperation {
    static func identity<T: ReducibleNumber>(_ type: T.Type) -> T { .lowest }
    static func combine<T: ReducibleNumber>(_ a: T, _ x: T) -> T { x > a ? x : a }
}

/// Minimum: +inf (or the type's maximum) for an empty set, as onnxruntime gives.
enum MinReduction: ReduceOperation {
    static func identity<T: ReducibleNumber>(_ type: T.Type) -> T { .highest }
    static func combine<T: ReducibleNumber>(_ a: T, _ x: T) -> T { x < a ? x : a }
}

/// Product: 1 for an empty set.
enum ProdReduction: ReduceOperation {
    static func identity<T: ReducibleNumber>(_ type: T.Type) -> T { .oneValue }
    static func combine<T: ReducibleNumber>(_ a: T, _ x: T) -> T { T.multiply(a, x) }
}

/// Euclidean norm: the square root of the sum of squares (truncated for integers).
enum L2Reduction: ReduceOperation {
    static func identity<T: ReducibleNumber>(_ type: T.Type) -> T { .zeroValue }
    static func first<T: ReducibleNumber>(_ x: T) -> T { T.multiply(x, x) }
    static func combine<T: ReducibleNumber>(_ a: T, _ x: T) -> T { T.add(a, T.multiply(x, x)) }
    static func finish<T: ReducibleNumber>(_ a: T, count: Int) -> T { a.squareRoot }
}

/// ReduceSum/Mean/Max/Min/Prod/L2. Axes come from the attribute before opset 18 (13 for
/// ReduceSum) and from the optional second input since; no axes means all of them, unless
/// `noop_with_empty_axes` asks for the input unchanged.
struct ReduceKernel: Kernel {
    /// Which reduction the node is.
    enum Operation { case sum, mean, max, min, prod, l2 }
    let operation: Operation
    /// Reduced axes stay as size 1 (default) or disappear.
    let keepDims: Bool
    /// With no axes, return the input instead of reducing everything.
    let noopWithEmptyAxes: Bool
    /// Axes from the attribute (opsets before axes became an input).
    let attributeAxes: [Int]?

    init(_ node: ExecNode, _ operation: Operation, opset: Int) throws {
        let attributes = Attributes(node)
        self.operation = operation
        keepDims = try attributes.int("keepdims", default: 1) != 0
        noopWithEmptyAxes = try attributes.int("noop_with_empty_axes", default: 0) != 0
        attributeAxes = try attributes.ints("axes")
    }

    func run(_ inputs: [Tensor?], _ context: RunContext) throws -> [Tensor] {
        let data = try required(inputs, 0)
        let given = try optionalInput(inputs, 1).map { try integers($0, "axes") } ?? attributeAxes ?? []
        if given.isEmpty && noopWithEmptyAxes { return [data] }
        let axes = given.isEmpty ? Array(0..<data.rank) : try normalizedAxes(given, rank: data.rank)
        let reduced = Set(axes)
        let outShape =
            keepDims
            ? data.shape.enumerated().map { reduced.contains($0.offset) ? 1 : $0.element }
            : data.shape.enumerated().filter { !reduced.contains($0.offset) }.map(\.element)
        let (source, outer, count, inner) = Self.arrange(data, reduced: reduced)
        switch source.storage {
        case .float(let v):
            if inner == 1, count > 0, let rows = FloatRows.reduce(v, rows: outer, length: count, operation) {
                return [Tensor(shape: outShape, storage: .float(rows))]
            }
            return [Tensor(shape: outShape, storage: .float(reduce(v, outer, count, inner)))]
        case .float16:
            let values = reduce(source.floatValues, outer, count, inner)
            return [Tensor(shape: outShape, storage: .float16(values.map { Float16($0) }))]
        case .double(let v):
            return [Tensor(shape: outShape, storage: .double(reduce(v, outer, count, inner)))]
        case .bool:
            throw ExecError("reductions do not support bool")
        default:
            let values = reduce(source.int64Values, outer, count, inner)
            return [Tensor.fromInts(values, shape: outShape, like: source.storage)]
        }
    }

    /// The data as `[outer, count, inner]`, transposing reduced axes inward when they are not
    /// adjacent.
    static func arrange(_ data: Tensor, reduced: Set<Int>) -> (Tensor, Int, Int, Int) {
        let axes = (0..<data.rank).filter { data.shape[$0] != 1 || reduced.contains($0) }
        let flags = axes.map { reduced.contains($0) }
        if let firstReduced = flags.firstIndex(of: true), let lastReduced = flags.lastIndex(of: true),
            flags[firstReduced...lastReduced].allSatisfy({ $0 })
        {
            let outer = axes[..<firstReduced].reduce(1) { $0 * data.shape[$1] }
            let count = axes[firstReduced...lastReduced].reduce(1) { $0 * data.shape[$1] }
            let inner = axes[(lastReduced + 1)...].reduce(1) { $0 * data.shape[$1] }
            return (data, outer, count, inner)
        }
        if !flags.contains(true) { return (data, data.count, 1, 1) }
        let kept = (0..<data.rank).filter { !reduced.contains($0) }
        let order = kept + reduced.sorted()
        let strides = Shapes.strides(data.shape)
        let moved = Layout.view(
            data, shape: order.map { data.shape[$0] }, offset: 0, strides: order.map { strides[$0] })
        let outer = kept.reduce(1) { $0 * data.shape[$1] }
        return (moved, outer, data.count / max(outer, 1), 1)
    }

    /// This node's reduction over `[outer, count, inner]` values.
    func reduce<T: ReducibleNumber>(_ values: [T], _ outer: Int, _ count: Int, _ inner: Int) -> [T] {
        switch operation {
        case .sum: Self.apply(SumReduction.self, values, outer, count, inner)
        case .mean: Self.apply(MeanReduction.self, values, outer, count, inner)
        case .max: Self.apply(MaxReduction.self, values, outer, count, inner)
        case .min: Self.apply(MinReduction.self, values, outer, count, inner)
        case .prod: Self.apply(ProdReduction.self, values, outer, count, inner)
        case .l2: Self.apply(L2Reduction.self, values, outer, count, inner)
        }
    }

    /// One reduction's loop: rows of `inner` contiguous values accumulated into the outputs.
    static func apply<Op: ReduceOperation, T: ReducibleNumber>(
        _ op: Op.Type, _ values: [T], _ outer: Int, _ count: Int, _ inner: Int
    ) -> [T] {
        var out = [T](repeating: Op.identity(T.self), count: outer * inner)
        guard count > 0, !out.isEmpty else { return out.map { Op.finish($0, count: count) } }
        values.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { target in
                guard let s = source.baseAddress, let t = target.baseAddress else { return }
                for o in 0..<outer {
                    let accumulator = t + o * inner
                    let block = s + o * count * inner
                    for i in 0..<inner { accumulator[i] = Op.first(block[i]) }
                    for r in 1..<max(count, 1) {
                        let row = block + r * inner
                        for i in 0..<inner { accumulator[i] = Op.combine(accumulator[i], row[i]) }
                    }
                    for i in 0..<inner { accumulator[i] = Op.finish(accumulator[i], count: count) }
                }
            }
        }
        return out
    }
}

/// ArgMax / ArgMin along `axis` (int64 output); ties go to the first index unless
/// `select_last_index` (opset 12) asks for the last.
struct ArgExtremumKernel: Kernel {
    /// ArgMax (true) or ArgMin.
    let largest: Bool
    /// The axis searched (default 0).
    let axis: Int
    /// The searched axis stays as size 1 (default) or disappears.
    let keepDims: Bool
    /// Ties give the last index instead of the first (opset 12).
    let selectLast: Bool

    init(_ node: ExecNode, largest: Bool) throws {
        let attributes = Attributes(node)
        self.largest = largest
        axis = try attributes.int("axis", default: 0)
        keepDims = try attributes.int("keepdims", default: 1) != 0
        selectLast = try attributes.int("select_last_index", default: 0) != 0
    }

    func run(_ inputs: [Tensor?], _ context: RunContext) throws -> [Tensor] {
        let data = try required(inputs, 0)
        let axis = try Shapes.axis(self.axis, rank: data.rank)
        guard data.rank > 0, data.shape[axis] > 0 else {
            throw ExecError("cannot take the arg extremum of an empty axis")
        }
        var shape = data.shape
        if keepDims { shape[axis] = 1 } else { shape.remove(at: axis) }
        let result: [Int64]
        switch data.storage {
        case .float(let v): result = find(v, data.shape, axis)
        case .double(let v): result = find(v, data.shape, axis)
        case .float16: result = find(data.floatValues, data.shape, axis)
        case .bool: throw ExecError("ArgMax/ArgMin do not support bool")
        default: result = find(data.int64Values, data.shape, axis)
        }
        return [Tensor(shape: shape, int64s: result)]
    }

    /// The index of the extreme value of each line along `axis` (NaNs never win, as in onnxruntime).
    func find<T: Comparable>(_ values: [T], _ shape: [Int], _ axis: Int) -> [Int64] {
        let outer = shape[..<axis].reduce(1, *)
        let dim = shape[axis]
        let inner = shape[(axis + 1)...].reduce(1, *)
        var out = [Int64](repeating: 0, count: outer * inner)
        for o in 0..<outer {
            for i in 0..<inner {
                let base = o * dim * inner + i
                var best = values[base]
                var index = 0
                for d in 1..<dim {
                    let x = values[base + d * inner]
                    let wins =
                        largest
                        ? (selectLast ? x >= best : x > best)
                        : (selectLast ? x <= best : x < best)
                    if wins {
                        best = x
                        index = d
                    }
                }
                out[o * inner + i] = Int64(index)
            }
        }
        return out
    }
}

/// Softmax / LogSoftmax. Before opset 13 the input is flattened to 2-D at `axis` (default 1)
/// and each row normalised as a whole; since, the normalisation runs along `axis` alone
/// (default -1). Arithmetic follows onnxruntime's MLAS kernel: subtract the maximum, sum
/// the exponentials, multiply by the reciprocal (or subtract the log of the sum).
struct SoftmaxKernel: Kernel {
    /// The normalised axis (or, before opset 13, the first flattened one).
    let axis: Int
    /// Opset 1-12 semantics: normalise everything from `axis` on as one row.
    let flattens: Bool
    /// LogSoftmax instead of Softmax.
    let log: Bool

    init(_ node: ExecNode, opset: Int, log: Bool) throws {
        flattens = opset < 13
        axis = try Attributes(node).int("axis", default: opset < 13 ? 1 : -1)
        self.log = log
    }

    func run(_ inputs: [Tensor?], _ context: RunContext) throws -> [Tensor] {
        let data = try required(inputs, 0)
        guard data.isFloatingPoint else { throw ExecError("Softmax expects a float tensor, got \(data.dataType)") }
        if data.count == 0 { return [data] }
        let rank = max(data.rank, 1)
        let axis = try Shapes.axis(self.axis, rank: rank)
        let shape = data.rank == 0 ? [1] : data.shape
        let outer: Int
        let dim: Int
        let inner: Int
        if flattens {
            outer = shape[..<axis].reduce(1, *)
            dim = shape[axis...].reduce(1, *)
            inner = 1
        } else {
            outer = shape[..<axis].reduce(1, *)
            dim = shape[axis]
            inner = shape[(axis + 1)...].reduce(1, *)
        }
        if case .double(let values) = data.storage {
            return [Tensor(shape: data.shape, storage: .double(Self.normalize(values, outer, dim, inner, log)))]
        }
        if case .float(let values) = data.storage, inner == 1 {
            return [
                Tensor(
                    shape: data.shape, storage: .float(FloatRows.softmax(values, rows: outer, length: dim, log: log)))
            ]
        }
        let values = Self.normalize(data.floatValues, outer, dim, inner, log)
        return [Tensor.fromFloats(values, shape: data.shape, like: data.storage)]
    }

    /// Softmax (or LogSoftmax) of every line of `dim` values, `inner` apart.
    static func normalize<T: BinaryFloatingPoint & ElementaryMath>(
        _ values: [T], _ outer: Int, _ dim: Int, _ inner: Int, _ log: Bool
    ) -> [T] {
        var out = [T](repeating: 0, count: values.count)
        values.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { target in
                guard let s = source.baseAddress, let t = target.baseAddress else { return }
                for o in 0..<outer {
                    for i in 0..<inner {
                        let x = s + o * dim * inner + i
                        let y = t + o * dim * inner + i
                        var maximum = x[0]
                        for d in 1..<dim where x[d * inner] > maximum { maximum = x[d * inner] }
                        let negative = -maximum
                        var sum: T = 0
                        if log {
                            for d in 0..<dim { sum += T.exponential(x[d * inner] + negative) }
                            let logSum = T.logarithm(sum)
                            for d in 0..<dim { y[d * inner] = x[d * inner] + negative - logSum }
                        } else {
                            for d in 0..<dim {
                                let e = T.exponential(x[d * inner] + negative)
                                y[d * inner] = e
                                sum += e
                            }
                            let scale = 1 / sum
                            for d in 0..<dim { y[d * inner] *= scale }
                        }
                    }
                }
            }
        }
        return out
    }
}

/// exp and log for the float types Softmax computes in.
protocol ElementaryMath {
    /// e^x.
    static func exponential(_ x: Self) -> Self
    /// The natural logarithm.
    static func logarithm(_ x: Self) -> Self
}

/// Float uses the C library's expf and logf.
extension Float: ElementaryMath {
    static func exponential(_ x: Float) -> Float { expf(x) }
    static func logarithm(_ x: Float) -> Float { logf(x) }
}

/// Double uses exp and log.
extension Double: ElementaryMath {
    static func exponential(_ x: Double) -> Double { exp(x) }
    static func logarithm(_ x: Double) -> Double { log(x) }
}

/// Float fast paths for the common layout, contiguous rows (reductions over the last axes,
/// Softmax over the last axis): eight-lane SIMD accumulators, and for Softmax an
/// eight-lane exponential, as MLAS does (same range reduction and degree of polynomial,
/// so results stay within a few units in the last place of onnxruntime's).
enum FloatRows {
    typealias Vector = SIMD8<Float>

    /// One result per row of `length` values, or nil for an operation without a fast path.
    static func reduce(_ values: [Float], rows: Int, length: Int, _ operation: ReduceKernel.Operation) -> [Float]? {
        guard operation != .prod else { return nil }
        var out = [Float](repeating: 0, count: rows)
        values.withUnsafeBufferPointer { source in
            guard let base = source.baseAddress else { return }
            for row in 0..<rows {
                let x = base + row * length
                switch operation {
                case .sum: out[row] = sum(x, length, squares: false)
                case .mean: out[row] = sum(x, length, squares: false) / Float(length)
                case .l2: out[row] = sqrtf(sum(x, length, squares: true))
                case .max: out[row] = extreme(x, length, largest: true)
                case .min: out[row] = extreme(x, length, largest: false)
                case .prod: break
                }
            }
        }
        return out
    }

    /// Sum of `x` (or of `x²`) over a row with eight accumulators.
    @inline(__always)
    static func sum(_ x: UnsafePointer<Float>, _ n: Int, squares: Bool) -> Float {
        var accumulator = Vector()
        var i = 0
        while i + 8 <= n {
            let v = UnsafeRawPointer(x + i).loadUnaligned(as: Vector.self)
            accumulator += squares ? v * v : v
            i += 8
        }
        var total = accumulator.sum()
        while i < n {
            total += squares ? x[i] * x[i] : x[i]
            i += 1
        }
        return total
    }

    /// Max or min of a row (NaN lanes never win, like the scalar `x > a ? x : a`).
    @inline(__always)
    static func extreme(_ x: UnsafePointer<Float>, _ n: Int, largest: Bool) -> Float {
        var best = x[0]
        var i = 1
        if n >= 9 {
            var lanes = Vector(repeating: x[0])
            while i + 8 <= n {
                let v = UnsafeRawPointer(x + i).loadUnaligned(as: Vector.self)
                lanes =
                    largest ? lanes.replacing(with: v, where: v .> lanes) : lanes.replacing(with: v, where: v .< lanes)
                i += 8
            }
            best = largest ? lanes.max() : lanes.min()
        }
        while i < n {
            if largest ? x[i] > best : x[i] < best { best = x[i] }
            i += 1
        }
        return best
    }

    /// Softmax or LogSoftmax of each contiguous row.
    static func softmax(_ values: [Float], rows: Int, length: Int, log: Bool) -> [Float] {
        var out = [Float](repeating: 0, count: values.count)
        values.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { target in
                guard let s = source.baseAddress, let t = target.baseAddress else { return }
                for row in 0..<rows {
                    let x = s + row * length
                    let y = t + row * length
                    let negative = -extreme(x, length, largest: true)
                    // exp(x - max), stored (Softmax) or only summed (LogSoftmax).
                    let total = exponentials(x, log ? nil : y, length, shift: negative)
                    if log {
                        let logSum = logf(total)
                        for j in 0..<length { y[j] = x[j] + negative - logSum }
                    } else {
                        let scale = 1 / total
                        for j in 0..<length { y[j] *= scale }
                    }
                }
            }
        }
        return out
    }

    /// e^x for eight lanes: x = n·ln2 + r with |r| <= ln2/2, e^r by a degree-6 polynomial
    /// (Cephes' expf coefficients, about 1 ulp), times 2^n built in the exponent bits.
    /// Inputs below -87.3 give 0, as MLAS's kernel does. Written out as a macro-like
    /// `@inline(__always)` body: a call per eight lanes costs as much as the arithmetic.
    @inline(__always)
    static func exp(_ input: Vector) -> Vector {
        // Clamped with compare-and-blend (the stdlib's pointwiseMin/Max are calls here).
        let low = Vector(repeating: -87.33654)
        let high = Vector(repeating: 88.37626)
        let x = input.replacing(with: low, where: input .< low).replacing(with: high, where: input .> high)
        // n = round(x / ln2) by the 1.5·2^23 trick, which also leaves n in the low bits.
        let shifted = x * 1.442_695_04 + 12_582_912
        let n = shifted - 12_582_912
        let r = x - n * 0.693_359_375 + n * 2.121_944_4e-4
        var p = Vector(repeating: 1.987_569_15e-4)
        p = p * r + 1.398_199_950_7e-3
        p = p * r + 8.333_451_907_3e-3
        p = p * r + 4.166_579_589_4e-2
        p = p * r + 1.666_666_545_9e-1
        p = p * r + 5.000_000_120_1e-1
        let e = p * (r * r) + r + 1
        let exponent = (unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4B40_0000 &+ 127) &<< 23
        let result = e * unsafeBitCast(exponent, to: Vector.self)
        return result.replacing(with: 0, where: input .< low)
    }

    /// Σ e^(x[i] + shift) over a row, storing each term in `y` when given.
    static func exponentials(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>?, _ n: Int, shift: Float)
        -> Float
    {
        let offset = Vector(repeating: shift)
        var accumulator = Vector()
        var i = 0
        while i + 8 <= n {
            let e = exp(UnsafeRawPointer(x + i).loadUnaligned(as: Vector.self) + offset)
            if let y { UnsafeMutableRawPointer(y + i).storeBytes(of: e, as: Vector.self) }
            accumulator += e
            i += 8
        }
        var total = accumulator.sum()
        if i < n {
            // The tail, padded to a vector.
            var tail = Vector(repeating: -.infinity)
            for j in i..<n { tail[j - i] = x[j] + shift }
            let e = exp(tail)
            for j in i..<n {
                y?[j] = e[j - i]
                total += e[j - i]
            }
        }
        return total
    }
}
