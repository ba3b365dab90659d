/// Gemm: Y = alpha · A' · B' + beta · C with optional transposes and C broadcast to [M, N].
struct GemmKernel: Kernel {
    let alpha: Float
    let beta: Float
    let transA: Bool
    let transB: Bool

    init(_ node: ExecNode) throws {
        let attributes = Attributes(node)
        alpha = try attributes.float("alpha", default: 1)
        beta = try attributes.float("beta", default: 1)
        transA = try attributes.int("transA", default: 0) != 0
        transB = try attributes.int("transB", default: 0) != 0
    }

    func run(_ inputs: [Tensor?], _ context: RunContext) throws -> [Tensor] {
        let a = try required(inputs, 0)
        let b = try required(inputs, 1)
        guard a.rank == 2, b.rank == 2 else { throw ExecError("Gemm needs 2-D A and B, got \(a.shape) and \(b.shape)") }
        let (m, k) = transA ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
        let (kb, n) = transB ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
        guard k == kb else { throw ExecError("Gemm inner sizes differ: A \(a.shape), B \(b.shape)") }
        let left =
            transA
            ? Matrix.transpose(try FloatIO.values(a, "A"), rows: a.shape[0], columns: a.shape[1])
            : try FloatIO.values(a, "A")
        let right =
            transB
            ? Matrix.transpose(try FloatIO.values(b, "B"), rows: b.shape[0], columns: b.shape[1])
            : try FloatIO.values(b, "B")
        var out = Matrix.multiply(left, right, m: m, n: n, k: k)
        if alpha != 1 { for i in out.indices { out[i] *= alpha } }
        if inputs.count > 2, let c = inputs[2], beta != 0 {
            let bias = try Broadcast.arithmetic(
                AddOp.self, Tensor(shape: [m, n], floats: [Float](repeating: 0, count: m * n)),
                Tensor(shape: c.shape, floats: try FloatIO.values(c, "C")))
            let values = bias.floatValues
            for i in out.indices { out[i] += beta * values[i] }
        }
        return [Tensor.fromFloats(out, shape: [m, n], like: a.storage)]
    }
}

/// MatMul with NumPy semantics: batch axes broadcast, 1-D operands promoted and the
/// promoted axis removed again.
struct MatMulKernel: Kernel {
    func run(_ inputs: [Tensor?], _ context: RunContext) throws -> [Tensor] {
        let a = try required(inputs, 0)
        let b = try required(inputs, 1)
        guard a.rank >= 1, b.rank >= 1 else { throw ExecError("MatMul needs tensors of rank 1 or more") }
        let aShape = a.rank == 1 ? [1] + a.shape : a.shape
        let bShape = b.rank == 1 ? b.shape + [1] : b.shape
        let (m, k) = (aShape[aShape.count - 2], aShape[aShape.count - 1])
        let (kb, n) = (bShape[bShape.count - 2], bShape[bShape.count - 1])
        guard k == kb else { throw ExecError("MatMul inner sizes differ: \(a.shape) and \(b.shape)") }
        let batch = try Shapes.broadcast(Array(aShape.dropLast(2)), Array(bShape.dropLast(2)))
        let slices = Shapes.batchSlices(batch, Array(aShape.dropLast(2)), Array(bShape.dropLast(2)))
        let left = try FloatIO.values(a, "A")
        let right = try FloatIO.values(b, "B")
        var out = [Float](repeating: 0, count: slices.count * m * n)
        left.withUnsafeBufferPointer { pa in
            right.withUnsafeBufferPointer { pb in
                out.withUnsafeMutableBufferPointer { pc in
                    for (index, slice) in slices.enumerated() {
                        Matrix.multiply(
                            pa.baseAddress! + slice.a * m * k, pb.baseAddress! + slice.b * k * n,
                            pc.baseAddress! + index * m * n, m: m, n: n, k: k)
                    }
                }
            }
        }
        var shape = batch + [m, n]
        if b.rank == 1 { shape.removeLast() }
        if a.rank == 1 { shape.remove(at: shape.count - (b.rank == 1 ? 1 : 2)) }
        return [Tensor.fromFloats(out, shape: shape, like: a.storage)]
    }
}

/// Dense matrix helpers over the blocked GEMM, with a vector fast path (one row of A
/// would waste five sixths of the 6-row micro-kernel).
enum Matrix {
    static func multiply(_ a: [Float], _ b: [Float], m: Int, n: Int, k: Int) -> [Float] {
        var out = [Float](repeating: 0, count: m * n)
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                out.withUnsafeMutableBufferPointer { pc in
                    multiply(pa.baseAddress!, pb.baseAddress!, pc.baseAddress!, m: m, n: n, k: k)
                }
            }
        }
        return out
    }

    static func multiply(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, m: Int, n: Int, k: Int
    ) {
        if m == 1 {
            c.update(repeating: 0, count: n)
            for p in 0..<k {
                let scale = a[p]
                let row = b + p * n
                for j in 0..<n { c[j] += scale * row[j] }
            }
            return
        }
        Gemm.multiply(m: m, n: n, k: k, a: a, lda: k, b: b, ldb: n, c: c, ldc: n)
    }

    static func transpose(_ values: [Float], rows: Int, columns: Int) -> [Float] {
        var out = [Float](repeating: 0, count: values.count)
        for r in 0..<rows {
            for c in 0..<columns { out[c * rows + r] = values[r * columns + c] }
        }
        return out
    }
}
