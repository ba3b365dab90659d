/// Shape arithmetic shared by kernels: broadcasting, strides, axis normalisation.
public enum Shapes {
    /// Row-major strides of a shape.
    public static func strides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var running = 1
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[axis] = running
            running *= shape[axis]
        }
        return strides
    }

    /// NumPy broadcasting of two shapes.
    public static func broadcast(_ a: [Int], _ b: [Int]) throws -> [Int] {
        let rank = max(a.count, b.count)
        var result = [Int](repeating: 1, count: rank)
        for axis in 0..<rank {
            let x = axis - (rank - a.count) >= 0 ? a[axis - (rank - a.count)] : 1
            let y = axis - (rank - b.count) >= 0 ? b[axis - (rank - b.count)] : 1
            if x == y || y == 1 {
                result[axis] = x
            } else if x == 1 {
                result[axis] = y
            } else {
                throw ExecError("shapes \(a) and \(b) do not broadcast")
            }
        }
        return result
    }

    /// Strides to read `shape` as if broadcast to `target` (0 along broadcast axes).
    public static func broadcastStrides(_ shape: [Int], to target: [Int]) -> [Int] {
        let own = strides(shape)
        let offset = target.count - shape.count
        return (0..<target.count).map { axis in
            let source = axis - offset
            guard source >= 0, shape[source] != 1 || target[axis] == 1 else { return 0 }
            return shape[source] == 1 ? 0 : own[source]
        }
    }

    /// MatMul-style batch broadcasting: for each index of `batch` (row-major), which slice of
    /// each operand it reads, given the operands' own batch dimensions `a` and `b`.
    public static func batchSlices(_ batch: [Int], _ a: [Int], _ b: [Int]) -> [(a: Int, b: Int)] {
        let aStrides = broadcastStrides(a, to: batch)
        let bStrides = broadcastStrides(b, to: batch)
        let batchStrides = strides(batch)
        return (0..<Tensor.count(of: batch)).map { index in
            var slices = (a: 0, b: 0)
            var rest = index
            for axis in 0..<batch.count {
                let coordinate = rest / batchStrides[axis]
                rest %= batchStrides[axis]
                slices.a += coordinate * aStrides[axis]
                slices.b += coordinate * bStrides[axis]
            }
            return slices
        }
    }

    /// A possibly negative axis made positive, checked against the rank.
    public static func axis(_ axis: Int, rank: Int) throws -> Int {
        let normalized = axis < 0 ? axis + rank : axis
        guard normalized >= 0, normalized < rank else {
            throw ExecError("axis \(axis) is out of range for rank \(rank)")
        }
        return normalized
    }
}

/// Walks the elements of a broadcast output, calling `body(offsets, count)` for each run
/// of the innermost axis with the starting offset into each input and its inner stride;
/// kernels do their arithmetic in tight loops over those runs.
struct BroadcastWalker {
    let shape: [Int]
    let inputStrides: [[Int]]

    /// Axes of size 1 are dropped and neighbouring axes that every input steps through as
    /// one (a per-channel bias over H x W, a scalar over a whole tensor) are merged, so runs
    /// are as long as the memory layout allows: a [1, C, H, W] + [1, C, 1, 1] walks C runs of
    /// H x W, not C x H runs of W.
    init(output shape: [Int], inputs: [[Int]]) {
        let strides = inputs.map { Shapes.broadcastStrides($0, to: shape) }
        var merged: [Int] = []
        var mergedStrides = [[Int]](repeating: [], count: strides.count)
        for axis in shape.indices where shape[axis] != 1 {
            let joins =
                !merged.isEmpty
                && strides.indices.allSatisfy { i in mergedStrides[i].last! == strides[i][axis] * shape[axis] }
            if joins {
                merged[merged.count - 1] *= shape[axis]
                for i in strides.indices { mergedStrides[i][mergedStrides[i].count - 1] = strides[i][axis] }
            } else {
                merged.append(shape[axis])
                for i in strides.indices { mergedStrides[i].append(strides[i][axis]) }
            }
        }
        if merged.isEmpty, Tensor.count(of: shape) == 1, !shape.isEmpty {
            // Every axis has size 1: one run of one element.
            merged = [1]
            mergedStrides = strides.map { _ in [0] }
        }
        self.shape = merged
        self.inputStrides = mergedStrides
    }

    func forEachRun(_ body: (_ outputOffset: Int, _ inputOffsets: [Int], _ innerStrides: [Int], _ count: Int) -> Void) {
        let rank = shape.count
        guard rank > 0 else {
            body(0, inputStrides.map { _ in 0 }, inputStrides.map { _ in 0 }, 1)
            return
        }
        let inner = shape[rank - 1]
        let outer = Tensor.count(of: Array(shape.dropLast()))
        guard inner > 0, outer > 0 else { return }
        let innerStrides = inputStrides.map { $0[rank - 1] }
        var index = [Int](repeating: 0, count: rank - 1)
        var offsets = [Int](repeating: 0, count: inputStrides.count)
        for run in 0..<outer {
            body(run * inner, offsets, innerStrides, inner)
            // Advance the multi-index over the outer axes, updating input offsets.
            var axis = rank - 2
            while axis >= 0 {
                index[axis] += 1
                for i in 0..<offsets.count { offsets[i] += inputStrides[i][axis] }
                if index[axis] < shape[axis] { break }
                for i in 0..<offsets.count { offsets[i] -= inputStrides[i][axis] * shape[axis] }
                index[axis] = 0
                axis -= 1
            }
        }
    }
}
