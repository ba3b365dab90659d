/// Indexing operators: Gather, GatherElements and NonZero (any element type; indices may be
/// negative, counting from the end of the axis).

/// Indices as Int, checked against `dim` and made non-negative.
func checkedIndices(_ tensor: Tensor, dim: Int) throws -> [Int] {
    let raw = try integers(tensor, "indices")
    return try raw.map { index in
        let fixed = index < 0 ? index + dim : index
        guard fixed >= 0, fixed < dim else {
            throw ExecError("index \(index) is out of range for a dimension of \(dim)")
        }
        return fixed
    }
}

/// Gather along `axis`: output shape is data[:axis] + indices + data[axis+1:]; each index
/// copies one contiguous block.
struct GatherKernel: Kernel {
    /// The axis the indices select along.
    let axis: Int

    init(_ node: ExecNode) throws { axis = try Attributes(node).int("axis", default: 0) }

    func run(_ inputs: [Tensor?], _ context: RunContext) throws -> [Tensor] {
        let data = try required(inputs, 0)
        let indexTensor = try required(inputs, 1)
        guard data.rank > 0 else { throw ExecError("Gather needs data of rank 1 or more") }
        let axis = try Shapes.axis(self.axis, rank: data.rank)
        let dim = data.shape[axis]
        let indices = try checkedIndices(indexTensor, dim: dim)
        let shape = Array(data.shape[..<axis]) + indexTensor.shape + Array(data.shape[(axis + 1)...])
        let outer = data.shape[..<axis].reduce(1, *)
        let inner = data.shape[(axis + 1)...].reduce(1, *)
        let size = data.storage.elementSize
        let block = inner * size
        let count = Tensor.count(of: shape)
        let storage = data.storage.withRawBytes { source in
            data.storage.makeLike(count: count) { target in
                guard count > 0, let s = source.baseAddress, let t = target.baseAddress else { return }
                var written = 0
                for o in 0..<outer {
                    let base = s + o * dim * block
                    for index in indices {
                        (t + written).copyMemory(from: base + index * block, byteCount: block)
                        written += block
                    }
                }
            }
        }
        return [Tensor(shape: shape, storage: storage)]
    }
}

/// GatherElements: `out[i][j][k] = data[index][j][k]` (for axis 0), indices of the data's rank.
struct GatherElementsKernel: Kernel {
    /// The axis the indices replace.
    let axis: Int

    init(_ node: ExecNode) throws { axis = try Attributes(node).int("axis", default: 0) }

    func run(_ inputs: [Tensor?], _ context: RunContext) throws -> [Tensor] {
        let data = try required(inputs, 0)
        let indexTensor = try required(inputs, 1)
        guard data.rank > 0, indexTensor.rank == data.rank else {
            throw ExecError("indices \(indexTensor.shape) must have the rank of data \(data.shape)")
        }
        let axis = try Shapes.axis(self.axis, rank: data.rank)
        for d in 0..<data.rank where d != axis && indexTensor.shape[d] > data.shape[d] {
            throw ExecError("indices \(indexTensor.shape) exceed data \(data.shape) on axis \(d)")
        }
        let indices = try checkedIndices(indexTensor, dim: data.shape[axis])
        let shape = indexTensor.shape
        let strides = Shapes.strides(data.shape)
        // Source offset of every output element, walked with a multi-index.
        var offsets = [Int](repeating: 0, count: indices.count)
        var index = [Int](repeating: 0, count: shape.count)
        var base = 0
        for position in 0..<indices.count {
            offsets[position] = base + indices[position] * strides[axis]
            var d = shape.count - 1
            while d >= 0 {
                index[d] += 1
                if d != axis { base += strides[d] }
                if index[d] < shape[d] { break }
                if d != axis { base -= strides[d] * shape[d] }
                index[d] = 0
                d -= 1
            }
        }
        let size = data.storage.elementSize
        let storage = data.storage.withRawBytes { source in
            data.storage.makeLike(count: offsets.count) { target in
                guard let s = source.baseAddress, let t = target.baseAddress else { return }
                for (position, offset) in offsets.enumerated() {
                    (t + position * size).copyMemory(from: s + offset * size, byteCount: size)
                }
            }
        }
        return [Tensor(shape: shape, storage: storage)]
    }
}

/// NonZero: the coordinates of non-zero elements, shape [rank, count], in row-major order
/// (a scalar counts as a one-element vector, as onnxruntime does).
struct NonZeroKernel: Kernel {
    func run(_ inputs: [Tensor?], _ context: RunContext) throws -> [Tensor] {
        let data = try required(inputs, 0)
        let mask: [Bool]
        switch data.storage {
        case .bool(let v): mask = v
        case .float(let v): mask = v.map { $0 != 0 }
        case .float16, .double: mask = data.floatValues.map { $0 != 0 }
        default: mask = data.int64Values.map { $0 != 0 }
        }
        let shape = data.rank == 0 ? [1] : data.shape
        let strides = Shapes.strides(shape)
        let hits = mask.indices.filter { mask[$0] }
        var coordinates = [Int64](repeating: 0, count: shape.count * hits.count)
        for (column, flat) in hits.enumerated() {
            for axis in 0..<shape.count {
                coordinates[axis * hits.count + column] = Int64((flat / strides[axis]) % shape[axis])
            }
        }
        return [Tensor(shape: [shape.count, hits.count], int64s: coordinates)]
    }
}
