/// Tensor-manipulation operators: shape arithmetic, layout (Transpose, Concat, Split, Slice,
/// Pad, Tile, Expand), indexing (Gather, GatherElements, NonZero), generators (Constant,
/// ConstantOfShape, Range), selection (TopK, NonMaxSuppression, ArgMax/ArgMin), reductions,
/// Softmax and Resize. The kernels live in this file and in `Layout.swift`,
/// `GatherScatter.swift`, `Detection.swift`, `Reduce.swift` and `Resize.swift`.
enum TensorOps {
    /// Factories by op type, merged into `OpRegistry`.
    static let factories: [String: KernelFactory] = [
        "Reshape": { node, _ in try ReshapeKernel(node) },
        "Flatten": { node, _ in try FlattenKernel(node) },
        "Squeeze": { node, _ in try SqueezeKernel(node) },
        "Unsqueeze": { node, _ in try UnsqueezeKernel(node) },
        "Transpose": { node, _ in try TransposeKernel(node) },
        "Concat": { node, _ in try ConcatKernel(node) },
        "Split": { node, _ in try SplitKernel(node) },
        "Slice": { node, _ in try SliceKernel(node) },
        "Expand": { _, _ in ExpandKernel() },
        "Tile": { _, _ in TileKernel() },
        "Pad": { node, context in try PadKernel(node, opset: context.opset) },
        "Shape": { node, _ in try ShapeKernel(node) },
        "Size": { _, _ in SizeKernel() },
        "ConstantOfShape": { node, _ in try ConstantOfShapeKernel(node) },
        "Constant": { node, _ in try ConstantKernel(node) },
        "Range": { _, _ in RangeKernel() },
        "Gather": { node, _ in try GatherKernel(node) },
        "GatherElements": { node, _ in try GatherElementsKernel(node) },
        "NonZero": { _, _ in NonZeroKernel() },
        "TopK": { node, context in try TopKKernel(node, opset: context.opset) },
        "NonMaxSuppression": { node, _ in try NonMaxSuppressionKernel(node) },
        "ArgMax": { node, _ in try ArgExtremumKernel(node, largest: true) },
        "ArgMin": { node, _ in try ArgExtremumKernel(node, largest: false) },
        "ReduceSum": { node, context in try ReduceKernel(node, .sum, opset: context.opset) },
        "ReduceMean": { node, context in try ReduceKernel(node, .mean, opset: context.opset) },
        "ReduceMax": { node, context in try ReduceKernel(node, .max, opset: context.opset) },
        "ReduceMin": { node, context in try ReduceKernel(node, .min, opset: context.opset) },
        "ReduceProd": { node, context in try ReduceKernel(node, .prod, opset: context.opset) },
        "ReduceL2": { node, context in try ReduceKernel(node, .l2, opset: context.opset) },
        "Softmax": { node, context in try SoftmaxKernel(node, opset: context.opset, log: false) },
        "LogSoftmax": { node, context in try SoftmaxKernel(node, opset: context.opset, log: true) },
        "Resize": { node, context in try ResizeKernel(node, opset: context.opset) },
    ]
}

/// Input `index` when the node has it (optional inputs are nil or missing).
func optionalInput(_ inputs: [Tensor?], _ index: Int) -> Tensor? {
    index < inputs.count ? inputs[index] : nil
}

/// Integer list held by a shape-like tensor (int64 or int32; `starts`, `axes`, `pads`...).
func integers(_ tensor: Tensor, _ what: String) throws -> [Int] {
    switch tensor.storage {
    case .int64(let values): return values.map { Int($0) }
    case .int32(let values): return values.map { Int($0) }
    default: throw ExecError("`\(what)` must be an int64 or int32 tensor, got \(tensor.dataType)")
    }
}

/// Element count of a shape, refusing negative dimensions and overflow (shapes computed from
/// data must not crash the process).
func checkedCount(_ shape: [Int]) throws -> Int {
    var count = 1
    for dim in shape {
        guard dim >= 0 else { throw ExecError("shape \(shape) has a negative dimension") }
        let (product, overflow) = count.multipliedReportingOverflow(by: dim)
        guard !overflow else { throw ExecError("shape \(shape) has too many elements") }
        count = product
    }
    return count
}

/// Normalises a list of possibly negative axes against `rank`, refusing duplicates.
func normalizedAxes(_ axes: [Int], rank: Int) throws -> [Int] {
    let result = try axes.map { axis in
        let fixed = axis < 0 ? axis + rank : axis
        guard fixed >= 0, fixed < rank else { throw ExecError("axis \(axis) is out of range for rank \(rank)") }
        return fixed
    }
    guard Set(result).count == result.count else { throw ExecError("axes \(axes) repeat an axis") }
    return result
}

/// Reshape: 0 copies the input dimension (unless `allowzero`), -1 is inferred; no data moves.
struct ReshapeKernel: Kernel {
    /// Opset 14: a 0 in the shape is a real zero-sized dimension, not a copy.
    let allowZero: Bool
    /// Opset 1-4 carried the shape as an attribute.
    let attributeShape: [Int]?

    init(_ node: ExecNode) throws {
        let attributes = Attributes(node)
        allowZero = try attributes.int("allowzero", default: 0) != 0
        attributeShape = try attributes.ints("shape")
    }

    func run(_ inputs: [Tensor?], _ context: RunContext) throws -> [Tensor] {
        let data = try required(inputs, 0)
        let requested: [Int]
        if let shape = optionalInput(inputs, 1) {
            requested = try integers(shape, "shape")
        } else if let attributeShape {
            requested = attributeShape
        } else {
            throw ExecError("Reshape needs a shape input")
        }
        return [
            Tensor(shape: try Self.resolve(requested, input: data.shape, allowZero: allowZero), storage: data.storage)
        ]
    }

    /// The output shape ONNX defines for `requested` applied to `input`.
    static func resolve(_ requested: [Int], input: [Int], allowZero: Bool) throws -> [Int] {
        var shape = requested
        var inferred: Int?
        for (index, dim) in requested.enumerated() {
            if dim == -1 {
                guard inferred == nil else { throw ExecError("shape \(requested) has more than one -1") }
                inferred = index
            } else if dim == 0 && !allowZero {
                guard index < input.count else {
                    throw ExecError("shape \(requested) copies dimension \(index) of a rank-\(input.count) input")
                }
                shape[index] = input[index]
            } else if dim < 0 {
                throw ExecError("shape \(requested) has an invalid dimension \(dim)")
            }
        }
        let total = try checkedCount(input)
        if let inferred {
            let known = try checkedCount(shape.enumerated().filter { $0.offset != inferred }.map(\.element))
            guard known > 0, total % known == 0 else {
                throw ExecError("cannot reshape \(input) to \(requested)")
            }
            shape[inferred] = total / known
        } else {
            guard try checkedCount(shape) == total else { throw ExecError("cannot reshape \(input) to \(requested)") }
        }
        return shape
    }
}

/// Flatten to 2-D around `axis` (negative axes allowed since opset 11).
struct FlattenKernel: Kernel {
    /// Dimensions before it form the first output dimension.
    let axis: Int

    init(_ node: ExecNode) throws { axis = try Attributes(node).int("axis", default: 1) }

    func run(_ inputs: [Tensor?], _ context: RunContext) throws -> [Tensor] {
        let data = try required(inputs, 0)
        let split = axis < 0 ? axis + data.rank : axis
        guard split >= 0, split <= data.rank else {
            throw ExecError("axis \(axis) is out of range for rank \(data.rank)")
        }
        let shape = [data.shape[..<split].reduce(1, *), data.shape[split...].reduce(1, *)]
        return [Tensor(shape: shape, storage: data.storage)]
    }
}

/// Squeeze: axes as an attribute before opset 13, as an optional input since; without axes
/// every dimension of size 1 goes.
struct SqueezeKernel: Kernel {
    /// Opset 1-12 axes (later opsets pass them as input 2).
    let attributeAxes: [Int]?

    init(_ node: ExecNode) throws { attributeAxes = try Attributes(node).ints("axes") }

    func run(_ inputs: [Tensor?], _ context: RunContext) throws -> [Tensor] {
        let data = try required(inputs, 0)
        let axes = try optionalInput(inputs, 1).map { try integers($0, "axes") } ?? attributeAxes ?? []
        let shape: [Int]
        if axes.isEmpty {
            shape = data.shape.filter { $0 != 1 }
        } else {
            let removed = Set(try normalizedAxes(axes, rank: data.rank))
            for axis in removed where data.shape[axis] != 1 {
                throw ExecError("cannot squeeze axis \(axis) of shape \(data.shape): its size is not 1")
            }
            shape = data.shape.enumerated().filter { !removed.contains($0.offset) }.map(\.element)
        }
        return [Tensor(shape: shape, storage: data.storage)]
    }
}

/// Unsqueeze: axes (relative to the output rank) as an attribute before opset 13, as an
/// input since.
struct UnsqueezeKernel: Kernel {
    /// Opset 1-12 axes (later opsets pass them as input 2).
    let attributeAxes: [Int]?

    init(_ node: ExecNode) throws { attributeAxes = try Attributes(node).ints("axes") }

    func run(_ inputs: [Tensor?], _ context: RunContext) throws -> [Tensor] {
        let data = try required(inputs, 0)
        guard let axes = try optionalInput(inputs, 1).map({ try integers($0, "axes") }) ?? attributeAxes else {
            throw ExecError("Unsqueeze needs axes")
        }
        let rank = data.rank + axes.count
        let inserted = Set(try normalizedAxes(axes, rank: rank))
        var source = data.shape.makeIterator()
        let shape = (0..<rank).map { inserted.contains($0) ? 1 : (source.next() ?? 1) }
        return [Tensor(shape: shape, storage: data.storage)]
    }
}

/// Transpose by `perm` (default: reversed axes) with one strided copy.
struct TransposeKernel: Kernel {
    /// Output axis i is input axis perm[i]; nil reverses the axes.
    let perm: [Int]?

    init(_ node: ExecNode) throws { perm = try Attributes(node).ints("perm") }

    func run(_ inputs: [Tensor?], _ context: RunContext) throws -> [Tensor] {
        let data = try required(inputs, 0)
        let order = perm ?? Array((0..<data.rank).reversed())
        guard order.count == data.rank, Set(order) == Set(0..<data.rank) else {
            throw ExecError("perm \(order) is not a permutation of the \(data.rank) axes")
        }
        if order == Array(0..<data.rank) { return [data] }
        let strides = Shapes.strides(data.shape)
        return [Layout.view(data, shape: order.map { data.shape[$0] }, offset: 0, strides: order.map { strides[$0] })]
    }
}

/// Concat along `axis`; inputs with no elements are skipped, as onnxruntime does.
struct ConcatKernel: Kernel {
    /// The axis the inputs are joined along (required by ONNX).
    let axis: Int

    init(_ node: ExecNode) throws {
        let attributes = Attributes(node)
        guard let axis = try attributes.int("axis") else { throw attributes.error("Concat needs the `axis` attribute") }
        self.axis = axis
    }

    func run(_ inputs: [Tensor?], _ context: RunContext) throws -> [Tensor] {
        let parts = inputs.compactMap { $0 }
        guard let first = parts.first else { throw ExecError("Concat needs at least one input") }
        guard first.rank > 0 else { throw ExecError("Concat cannot join scalars") }
        let axis = try Shapes.axis(self.axis, rank: first.rank)
        var shape = first.shape
        shape[axis] = 0
        for part in parts {
            guard part.storage.sameType(as: first.storage) else {
                throw ExecError("inputs have different element types (\(first.dataType) and \(part.dataType))")
            }
            guard part.rank == first.rank else {
                throw ExecError("inputs have different ranks (\(first.shape) and \(part.shape))")
            }
            for d in 0..<part.rank where d != axis && part.shape[d] != first.shape[d] {
                throw ExecError("input shapes \(first.shape) and \(part.shape) differ outside axis \(axis)")
            }
            shape[axis] += part.shape[axis]
        }
        let count = Tensor.count(of: shape)
        let size = first.storage.elementSize
        let outStrides = Shapes.strides(shape)
        let storage = first.storage.makeLike(count: count) { target in
            guard let t = target.baseAddress else { return }
            var offset = 0
            for part in parts where part.count > 0 {
                part.storage.withRawBytes { source in
                    guard let s = source.baseAddress else { return }
                    Layout.copy(
                        shape: part.shape, elementSize: size, from: s, offset: 0, strides: Shapes.strides(part.shape),
                        to: t, offset: offset * outStrides[axis], strides: outStrides)
                }
                offset += part.shape[axis]
            }
        }
        return [Tensor(shape: shape, storage: storage)]
    }
}

/// Split along `axis`: sizes from the `split` input (opset 13+) or attribute (before), from
/// `num_outputs` (opset 18, the last part may be smaller), or equal parts, one per output.
struct SplitKernel: Kernel {
    /// The axis being split.
    let axis: Int
    /// Opset 1-12 part sizes (later opsets pass them as input 2).
    let attributeSplit: [Int]?
    /// Opset 18: the number of parts when no sizes are given.
    let numOutputs: Int?
    /// The node's outputs: the number of equal parts when nothing else says.
    let outputCount: Int

    init(_ node: ExecNode) throws {
        let attributes = Attributes(node)
        axis = try attributes.int("axis", default: 0)
        attributeSplit = try attributes.ints("split")
        numOutputs = try attributes.int("num_outputs")
        outputCount = node.outputs.count
        if let numOutputs, numOutputs != outputCount || numOutputs < 1 {
            throw attributes.error("num_outputs is \(numOutputs) but the node has \(outputCount) outputs")
        }
    }

    func run(_ inputs: [Tensor?], _ context: RunContext) throws -> [Tensor] {
        let data = try required(inputs, 0)
        guard data.rank > 0 else { throw ExecError("Split cannot split a scalar") }
        let axis = try Shapes.axis(self.axis, rank: data.rank)
        let dim = data.shape[axis]
        var sizes: [Int]
        if let split = optionalInput(inputs, 1), split.count > 0 {
            sizes = try integers(split, "split")
        } else if let attributeSplit {
            sizes = attributeSplit
        } else if let numOutputs {
            let chunk = (dim + numOutputs - 1) / numOutputs
            sizes = Array(repeating: chunk, count: numOutputs - 1)
            sizes.append(dim - chunk * (numOutputs - 1))
        } else {
            guard outputCount > 0, dim % outputCount == 0 else {
                throw ExecError("dimension \(dim) does not split evenly into \(outputCount) outputs")
            }
            sizes = Array(repeating: dim / outputCount, count: outputCount)
        }
        guard sizes.count == outputCount, sizes.allSatisfy({ $0 >= 0 }), sizes.reduce(0, +) == dim else {
            throw ExecError("split sizes \(sizes) do not divide dimension \(dim) into \(outputCount) outputs")
        }
        let strides = Shapes.strides(data.shape)
        var start = 0
        return sizes.map { size in
            var shape = data.shape
            shape[axis] = size
            defer { start += size }
            return Layout.view(data, shape: shape, offset: start * strides[axis], strides: strides)
        }
    }
}

/// Slice with starts/ends/axes/steps inputs (opset 10+) or attributes (before): negative
/// values count from the end, out-of-range values are clamped, negative steps walk backwards.
struct SliceKernel: Kernel {
    /// Opset 1-9 bounds and axes (later opsets pass them as inputs).
    let attributeStarts: [Int]?
    /// Opset 1-9 ends.
    let attributeEnds: [Int]?
    /// Opset 1-9 axes.
    let attributeAxes: [Int]?

    init(_ node: ExecNode) throws {
        let attributes = Attributes(node)
        attributeStarts = try attributes.ints("starts")
        attributeEnds = try attributes.ints("ends")
        attributeAxes = try attributes.ints("axes")
    }

    func run(_ inputs: [Tensor?], _ context: RunContext) throws -> [Tensor] {
        let data = try required(inputs, 0)
        let starts: [Int]
        let ends: [Int]
        var axes: [Int]?
        var steps: [Int]?
        if let startTensor = optionalInput(inputs, 1) {
            starts = try integers(startTensor, "starts")
            ends = try integers(required(inputs, 2), "ends")
            axes = try optionalInput(inputs, 3).map { try integers($0, "axes") }
            steps = try optionalInput(inputs, 4).map { try integers($0, "steps") }
        } else if let attributeStarts, let attributeEnds {
            starts = attributeStarts
            ends = attributeEnds
            axes = attributeAxes
        } else {
            throw ExecError("Slice needs starts and ends")
        }
        let axisList = axes ?? Array(0..<starts.count)
        let stepList = steps ?? Array(repeating: 1, count: starts.count)
        guard ends.count == starts.count, axisList.count == starts.count, stepList.count == starts.count else {
            throw ExecError("starts, ends, axes and steps have different lengths")
        }
        let strides = Shapes.strides(data.shape)
        var shape = data.shape
        var viewStrides = strides
        var offset = 0
        for (i, axis) in try normalizedAxes(axisList, rank: data.rank).enumerated() {
            let dim = data.shape[axis]
            let step = stepList[i]
            guard step != 0 else { throw ExecError("Slice step cannot be 0") }
            var start = starts[i] < 0 ? starts[i] &+ dim : starts[i]
            var end = ends[i] < 0 ? ends[i] &+ dim : ends[i]
            let count: Int
            if step > 0 {
                start = min(max(start, 0), dim)
                end = min(max(end, 0), dim)
                count = end > start ? (end - start - 1) / step + 1 : 0
            } else {
                start = min(max(start, 0), dim - 1)
                end = min(max(end, -1), dim - 1)
                count = start > end ? Int(UInt(start - end - 1) / step.magnitude) + 1 : 0
            }
            shape[axis] = dim == 0 ? 0 : count
            viewStrides[axis] = strides[axis] &* step
            if shape[axis] > 0 { offset += start * strides[axis] }
        }
        return [Layout.view(data, shape: shape, offset: offset, strides: viewStrides)]
    }
}

/// Expand: broadcast the input to a shape (both sides may broadcast).
struct ExpandKernel: Kernel {
    func run(_ inputs: [Tensor?], _ context: RunContext) throws -> [Tensor] {
        let data = try required(inputs, 0)
        let requested = try integers(required(inputs, 1), "shape")
        let shape = try Shapes.broadcast(data.shape, requested)
        _ = try checkedCount(shape)
        return [Layout.view(data, shape: shape, offset: 0, strides: Shapes.broadcastStrides(data.shape, to: shape))]
    }
}

/// Tile: each axis repeated `repeats[axis]` times, as one strided copy over a doubled view
/// (repeat index, original index) per axis.
struct TileKernel: Kernel {
    func run(_ inputs: [Tensor?], _ context: RunContext) throws -> [Tensor] {
        let data = try required(inputs, 0)
        let repeats = try integers(required(inputs, 1), "repeats")
        guard repeats.count == data.rank, repeats.allSatisfy({ $0 >= 0 }) else {
            throw ExecError("repeats \(repeats) must hold one non-negative count per axis of \(data.shape)")
        }
        let shape = zip(data.shape, repeats).map { $0 &* $1 }
        let count = try checkedCount(shape)
        let inStrides = Shapes.strides(data.shape)
        let outStrides = Shapes.strides(shape)
        var viewShape: [Int] = []
        var sourceStrides: [Int] = []
        var targetStrides: [Int] = []
        for axis in 0..<data.rank {
            viewShape += [repeats[axis], data.shape[axis]]
            sourceStrides += [0, inStrides[axis]]
            targetStrides += [data.shape[axis] * outStrides[axis], outStrides[axis]]
        }
        let size = data.storage.elementSize
        let storage = data.storage.withRawBytes { source in
            data.storage.makeLike(count: count) { target in
                guard count > 0, let s = source.baseAddress, let t = target.baseAddress else { return }
                Layout.copy(
                    shape: viewShape, elementSize: size, from: s, offset: 0, strides: sourceStrides,
                    to: t, offset: 0, strides: targetStrides)
            }
        }
        return [Tensor(shape: shape, storage: storage)]
    }
}

/// Pad in constant, reflect, edge or wrap mode. Pads come from attributes before opset 11
/// (`paddings` in opset 1) and from inputs since (with `axes` in opset 18); negative pads crop.
struct PadKernel: Kernel {
    /// What fills the new border.
    enum Mode: String { case constant, reflect, edge, wrap }
    /// This node's mode (attribute `mode`, default constant).
    let mode: Mode
    /// Opset 1-10 pads (`paddings` in opset 1).
    let attributePads: [Int]?
    /// Opset 1-10 constant value.
    let attributeValue: Float

    init(_ node: ExecNode, opset: Int) throws {
        let attributes = Attributes(node)
        let name = try attributes.string("mode", default: "constant")
        guard let mode = Mode(rawValue: name) else { throw attributes.error("unknown Pad mode `\(name)`") }
        self.mode = mode
        attributePads = try attributes.ints("pads") ?? attributes.ints("paddings")
        attributeValue = try attributes.float("value", default: 0)
    }

    func run(_ inputs: [Tensor?], _ context: RunContext) throws -> [Tensor] {
        let data = try required(inputs, 0)
        let rank = data.rank
        var pads: [Int]
        var value: Tensor?
        if let padTensor = optionalInput(inputs, 1) {
            let given = try integers(padTensor, "pads")
            value = optionalInput(inputs, 2)
            if let axesTensor = optionalInput(inputs, 3) {
                let axes = try normalizedAxes(integers(axesTensor, "axes"), rank: rank)
                guard given.count == 2 * axes.count else { throw ExecError("pads \(given) do not match axes \(axes)") }
                pads = Array(repeating: 0, count: 2 * rank)
                for (i, axis) in axes.enumerated() {
                    pads[axis] = given[i]
                    pads[rank + axis] = given[axes.count + i]
                }
            } else {
                pads = given
            }
        } else if let attributePads {
            pads = attributePads
            value = Tensor(shape: [], floats: [attributeValue])
        } else {
            throw ExecError("Pad needs pads")
        }
        guard pads.count == 2 * rank else { throw ExecError("pads \(pads) must have 2 x \(rank) values") }
        let shape = (0..<rank).map { data.shape[$0] &+ pads[$0] &+ pads[rank + $0] }
        guard shape.allSatisfy({ $0 >= 0 }) else { throw ExecError("pads \(pads) crop \(data.shape) below zero") }
        let count = try checkedCount(shape)
        if mode == .constant {
            var output = try Layout.filled(shape: shape, like: data.storage, value: value)
            // Copy the part of the input that survives cropping into its place.
            var region = data.shape
            var sourceOffset = 0
            var targetOffset = 0
            let inStrides = Shapes.strides(data.shape)
            let outStrides = Shapes.strides(shape)
            for axis in 0..<rank {
                let cropBegin = max(0, -pads[axis])
                let cropEnd = max(0, -pads[rank + axis])
                region[axis] = max(0, data.shape[axis] - cropBegin - cropEnd)
                sourceOffset += cropBegin * inStrides[axis]
                targetOffset += max(0, pads[axis]) * outStrides[axis]
            }
            guard Tensor.count(of: region) > 0 else { return [output] }
            let size = data.storage.elementSize
            output.storage = data.storage.withRawBytes { source in
                output.storage.withRawBytes { filled in
                    data.storage.makeLike(count: count) { target in
                        guard let s = source.baseAddress, let f = filled.baseAddress, let t = target.baseAddress else {
                            return
                        }
                        t.copyMemory(from: f, byteCount: count * size)
                        Layout.copy(
                            shape: region, elementSize: size, from: s, offset: sourceOffset, strides: inStrides,
                            to: t, offset: targetOffset, strides: outStrides)
                    }
                }
            }
            return [output]
        }
        // Reflect, edge, wrap: every output coordinate maps to one input coordinate per axis.
        let inStrides = Shapes.strides(data.shape)
        var maps: [[Int]] = []
        for axis in 0..<rank {
            let dim = data.shape[axis]
            let before = pads[axis]
            if shape[axis] > 0 && dim == 0 { throw ExecError("cannot pad an empty axis in \(mode.rawValue) mode") }
            if mode == .reflect && (before > dim - 1 || pads[rank + axis] > dim - 1)
                && (before > 0 || pads[rank + axis] > 0)
            {
                throw ExecError("reflect pads \(pads) must be smaller than the dimensions of \(data.shape)")
            }
            maps.append(
                (0..<shape[axis]).map { o in
                    var i = o - before
                    switch mode {
                    case .edge: i = min(max(i, 0), dim - 1)
                    case .wrap: i = ((i % dim) + dim) % dim
                    default:
                        if dim == 1 {
                            i = 0
                        } else {
                            let period = 2 * (dim - 1)
                            i = ((i % period) + period) % period
                            if i >= dim { i = period - i }
                        }
                    }
                    return i * inStrides[axis]
                })
        }
        let size = data.storage.elementSize
        let storage = data.storage.withRawBytes { source in
            data.storage.makeLike(count: count) { target in
                guard count > 0, let s = source.baseAddress, let t = target.baseAddress else { return }
                Layout.gather(maps: maps, elementSize: size, from: s, to: t)
            }
        }
        return [Tensor(shape: shape, storage: storage)]
    }
}

/// Shape, optionally a `start`/`end` window of it (opset 15), as int64.
struct ShapeKernel: Kernel {
    /// First dimension reported (opset 15; negative counts from the end, clamped).
    let start: Int
    /// One past the last dimension reported (default: the rank).
    let end: Int?

    init(_ node: ExecNode) throws {
        let attributes = Attributes(node)
        start = try attributes.int("start", default: 0)
        end = try attributes.int("end")
    }

    func run(_ inputs: [Tensor?], _ context: RunContext) throws -> [Tensor] {
        let data = try required(inputs, 0)
        let rank = data.rank
        func clamp(_ value: Int) -> Int { min(max(value < 0 ? value + rank : value, 0), rank) }
        let first = clamp(start)
        let last = clamp(end ?? rank)
        let dims = first < last ? data.shape[first..<last].map { Int64($0) } : []
        return [Tensor(shape: [dims.count], int64s: dims)]
    }
}

/// Size: the element count as an int64 scalar.
struct SizeKernel: Kernel {
    func run(_ inputs: [Tensor?], _ context: RunContext) throws -> [Tensor] {
        [Tensor(shape: [], int64s: [Int64(try required(inputs, 0).count)])]
    }
}

/// ConstantOfShape: a tensor of the given shape filled with `value` (default float 0).
struct ConstantOfShapeKernel: Kernel {
    /// The one-element tensor whose value and type fill the output.
    let value: Tensor

    init(_ node: ExecNode) throws {
        let attributes = Attributes(node)
        let given = try attributes.tensor("value") ?? Tensor(shape: [1], floats: [0])
        guard given.count == 1 else { throw attributes.error("`value` must hold exactly one element") }
        value = given
    }

    func run(_ inputs: [Tensor?], _ context: RunContext) throws -> [Tensor] {
        let shape = try integers(required(inputs, 0), "shape")
        _ = try checkedCount(shape)
        return [try Layout.filled(shape: shape, like: value.storage, value: value)]
    }
}

/// Constant: the tensor its attribute holds, built once at preparation.
struct ConstantKernel: Kernel {
    /// The tensor every run returns.
    let value: Tensor

    init(_ node: ExecNode) throws {
        let attributes = Attributes(node)
        if let tensor = try attributes.tensor("value") {
            value = tensor
        } else if node.attributes["value_float"] != nil {
            value = Tensor(shape: [], floats: [try attributes.float("value_float", default: 0)])
        } else if let v = try attributes.int("value_int") {
            value = Tensor(shape: [], int64s: [Int64(v)])
        } else if let v = try attributes.floats("value_floats") {
            value = Tensor(shape: [v.count], floats: v)
        } else if let v = try attributes.ints("value_ints") {
            value = Tensor(shape: [v.count], int64s: v.map { Int64($0) })
        } else {
            let kinds = node.attributes.keys.sorted().joined(separator: ", ")
            throw attributes.error("Constant has no supported value attribute (has: \(kinds.isEmpty ? "none" : kinds))")
        }
    }

    func run(_ inputs: [Tensor?], _ context: RunContext) throws -> [Tensor] { [value] }
}

/// Range(start, limit, delta) the way onnxruntime computes it: the count is
/// `ceil((limit - start) / delta)` and each element adds `delta` to the previous one (so
/// float rounding accumulates exactly as it does there).
struct RangeKernel: Kernel {
    func run(_ inputs: [Tensor?], _ context: RunContext) throws -> [Tensor] {
        let start = try required(inputs, 0)
        let limit = try required(inputs, 1)
        let delta = optionalInput(inputs, 2)
        for (tensor, name) in [(start, "start"), (limit, "limit"), (delta, "delta")] {
            guard let tensor else { continue }
            guard tensor.count == 1, tensor.rank <= 1 else { throw ExecError("`\(name)` must be a scalar") }
            guard tensor.storage.sameType(as: start.storage) else {
                throw ExecError("`\(name)` has type \(tensor.dataType), `start` has \(start.dataType)")
            }
        }
        switch start.storage {
        case .float(let s):
            let l = limit.floatValues[0]
            let d = delta?.floatValues[0] ?? 1
            let n = try Self.count(Double(l - s[0]), Double(d))
            var values = [Float](repeating: 0, count: n)
            var value = s[0]
            for i in 0..<n {
                values[i] = value
                value += d
            }
            return [Tensor(shape: [n], storage: .float(values))]
        case .double(let s):
            func double(_ tensor: Tensor?) -> Double? {
                guard let tensor, case .double(let v) = tensor.storage else { return nil }
                return v.first
            }
            let l = double(limit) ?? 0
            let d = double(delta) ?? 1
            let n = try Self.count(l - s[0], d)
            var values = [Double](repeating: 0, count: n)
            var value = s[0]
            for i in 0..<n {
                values[i] = value
                value += d
            }
            return [Tensor(shape: [n], storage: .double(values))]
        case .int32, .int64:
            let s = start.int64Values[0]
            let l = limit.int64Values[0]
            let d = delta?.int64Values[0] ?? 1
            let n = try Self.count(Double(l &- s), Double(d))
            var values = [Int64](repeating: 0, count: n)
            var value = s
            for i in 0..<n {
                values[i] = value
                value &+= d
            }
            return [Tensor.fromInts(values, shape: [n], like: start.storage)]
        default:
            throw ExecError("Range does not support \(start.dataType)")
        }
    }

    /// `max(ceil(span / step), 0)`, refusing a zero step and absurd lengths.
    static func count(_ span: Double, _ step: Double) throws -> Int {
        guard step != 0 else { throw ExecError("Range delta cannot be zero") }
        let n = (span / step).rounded(.up)
        guard !n.isNaN, n < 1e9 else { throw ExecError("Range has too many elements") }
        return n > 0 ? Int(n) : 0
    }
}
