/// MatMulInteger: `(A - a_zero_point) x (B - b_zero_point)` in int32, exactly, with MatMul's
/// batch broadcasting. A and B are uint8 or int8; a zero point is a scalar, or one per row
/// of A (`[M]`) / per column of B (`[N]`). Dynamic quantization
/// (DynamicQuantizeLinear -> MatMulInteger -> Cast -> Mul) runs through it when the compiler
/// checks a dynamically quantized variant.
struct MatMulIntegerKernel: Kernel {
    func run(_ inputs: [Tensor?], _ context: RunContext) throws -> [Tensor] {
        let a = try required(inputs, 0)
        let b = try required(inputs, 1)
        guard a.rank >= 2, b.rank >= 2 else {
            throw ExecError("MatMulInteger needs tensors of rank 2 or more, got \(a.shape) and \(b.shape)")
        }
        let (m, k) = (a.shape[a.rank - 2], a.shape[a.rank - 1])
        let (kb, n) = (b.shape[b.rank - 2], b.shape[b.rank - 1])
        guard k == kb else { throw ExecError("MatMulInteger inner sizes differ: \(a.shape) and \(b.shape)") }
        let left = try Self.integers(a, "A")
        let right = try Self.integers(b, "B")
        let rowZeros = try Self.zeroPoints(inputs.count > 2 ? inputs[2] : nil, count: m, "a_zero_point (per row of A)")
        let columnZeros = try Self.zeroPoints(
            inputs.count > 3 ? inputs[3] : nil, count: n, "b_zero_point (per column of B)")
        let batch = try Shapes.broadcast(Array(a.shape.dropLast(2)), Array(b.shape.dropLast(2)))
        let slices = Shapes.batchSlices(batch, Array(a.shape.dropLast(2)), Array(b.shape.dropLast(2)))
        var out = [Int32](repeating: 0, count: slices.count * m * n)
        // B with its zero points taken off once per batch slice, rows contiguous, so the
        // inner loop over columns is a plain multiply-add the compiler vectorises.
        var shifted = [Int32](repeating: 0, count: k * n)
        for (index, slice) in slices.enumerated() {
            let aOffset = slice.a * m * k
            let bOffset = slice.b * k * n
            for row in 0..<k {
                for column in 0..<n {
                    shifted[row * n + column] = right[bOffset + row * n + column] &- columnZeros[column]
                }
            }
            left.withUnsafeBufferPointer { pa in
                shifted.withUnsafeBufferPointer { pb in
                    out.withUnsafeMutableBufferPointer { pc in
                        for row in 0..<m {
                            let target = pc.baseAddress! + index * m * n + row * n
                            for inner in 0..<k {
                                let value = pa[aOffset + row * k + inner] &- rowZeros[row]
                                if value == 0 { continue }
                                let source = pb.baseAddress! + inner * n
                                for column in 0..<n { target[column] &+= value &* source[column] }
                            }
                        }
                    }
                }
            }
        }
        return [Tensor(shape: batch + [m, n], storage: .int32(out))]
    }

    static func integers(_ tensor: Tensor, _ name: String) throws -> [Int32] {
        switch tensor.storage {
        case .uint8(let values): return values.map { Int32($0) }
        case .int8(let values): return values.map { Int32($0) }
        default: throw ExecError("MatMulInteger's \(name) must be uint8 or int8, got \(tensor.dataType)")
        }
    }

    static func zeroPoints(_ tensor: Tensor?, count: Int, _ name: String) throws -> [Int32] {
        guard let tensor else { return [Int32](repeating: 0, count: count) }
        let values = try integers(tensor, name)
        if values.count == 1 { return [Int32](repeating: values[0], count: count) }
        guard values.count == count, tensor.rank == 1 else {
            throw ExecError("\(name) must be a scalar or hold \(count) values, got shape \(tensor.shape)")
        }
        return values
    }
}
