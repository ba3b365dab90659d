import ONNX

/// The arithmetic a model does for one inference at fixed input shapes: 2 FLOPs per
/// multiply-add of the ops that dominate inference (Conv, ConvTranspose, Gemm, MatMul).
///
/// The model runs once on zeros and each node's output shape is read as it is computed,
/// so shapes that Reshape, Slice or shape arithmetic decide need no separate inference.
/// Nodes inside Loop/If bodies (detector post-processing) are not counted. A symbolic
/// batch dimension counts as 1.
public struct FLOPCount: Sendable, Hashable {
    /// FLOPs over the counted ops.
    public var total: Double
    /// FLOPs per op type.
    public var byOp: [String: Double]
    /// FLOPs a runtime can do in 8-bit integers: the integer ops (MatMulInteger,
    /// ConvInteger) and Conv, ConvTranspose, Gemm and MatMul reading both their data and
    /// their weights through DequantizeLinear (runtimes fuse DQ -> op -> Q into one integer
    /// kernel). The rest of `total` computes in float: a quantized model whose share is low
    /// converts between int8 and float at every border and may be no faster than fp32.
    public var integer: Double = 0
    /// FLOPs per named node: what keeping that node in float costs (the int8-mixed
    /// search returns the most expensive float nodes to int8 first).
    public var byNode: [String: Double] = [:]
    /// The input shapes the count is for.
    public var inputShapes: [String: [Int]]

    /// Runs `model` on zeros; `shapes` fixes inputs whose dimensions are symbolic. Throws
    /// when an input's shape is unknown or the executor cannot run the model.
    public static func measure(_ model: ModelProto, shapes: [String: [Int]] = [:]) throws -> FLOPCount {
        let initializers = Set(model.graph.initializer.map(\.name))
        var feeds: [String: Tensor] = [:]
        var known: [String: [Int]] = [:]
        for tensor in model.graph.initializer {
            var dims: [Int] = []
            for dim in tensor.dims { dims.append(Int(dim)) }
            known[tensor.name] = dims
        }
        for input in model.graph.input where !initializers.contains(input.name) {
            guard let shape = shapes[input.name] ?? Self.declaredShape(input) else {
                throw ExecError(
                    "input `\(input.name)` has symbolic dimensions: give its shape with --shape \(input.name)=\(Self.shapePattern(input))"
                )
            }
            let count = Tensor.count(of: shape)
            let storage: Tensor.Storage
            switch input.tensorType?.elemType ?? 1 {
            case 2: storage = .uint8([UInt8](repeating: 0, count: count))
            case 3: storage = .int8([Int8](repeating: 0, count: count))
            case 6: storage = .int32([Int32](repeating: 0, count: count))
            case 7: storage = .int64([Int64](repeating: 0, count: count))
            case 9: storage = .bool([Bool](repeating: false, count: count))
            case 10: storage = .float16([Float16](repeating: 0, count: count))
            case 11: storage = .double([Double](repeating: 0, count: count))
            default: storage = .float([Float](repeating: 0, count: count))
            }
            feeds[input.name] = Tensor(shape: shape, storage: storage)
            known[input.name] = shape
        }
        _ = try ONNXImport.executor(for: model).run(
            feeds, fetch: [], observe: { name, tensor in known[name] = tensor.shape })
        var byOp: [String: Double] = [:]
        var byNode: [String: Double] = [:]
        var integer = 0.0
        let dequantized = Set(model.graph.node.filter { $0.opType == "DequantizeLinear" }.flatMap(\.output))
        for node in model.graph.node {
            guard let flops = Self.flops(node, known), flops > 0 else { continue }
            byOp[node.opType, default: 0] += flops
            if !node.name.isEmpty { byNode[node.name, default: 0] += flops }
            if Self.integerOps.contains(node.opType)
                || (node.input.count >= 2 && dequantized.contains(node.input[0]) && dequantized.contains(node.input[1]))
            {
                integer += flops
            }
        }
        return FLOPCount(
            total: byOp.values.reduce(0, +), byOp: byOp, integer: integer, byNode: byNode,
            inputShapes: feeds.mapValues(\.shape))
    }

    /// The input's declared shape with a symbolic batch (first) dimension as 1; nil when
    /// any other dimension is symbolic. Plain loops: closures over optionals here crashed
    /// Swift 6.3.1's ownership verifier in -Ounchecked builds.
    static func declaredShape(_ input: ValueInfoProto) -> [Int]? {
        guard let dims = input.tensorType?.shape?.dim else { return nil }
        var shape: [Int] = []
        for (index, dim) in dims.enumerated() {
            if let fixed = dim.fixed, fixed > 0 {
                shape.append(Int(fixed))
            } else if index == 0 {
                shape.append(1)
            } else {
                return nil
            }
        }
        return shape
    }

    /// `1xNxNx3`: what `--shape` needs, N for each symbolic dimension.
    static func shapePattern(_ input: ValueInfoProto) -> String {
        guard let dims = input.tensorType?.shape?.dim, !dims.isEmpty else { return "1x3x224x224" }
        var parts: [String] = []
        for (index, dim) in dims.enumerated() {
            if let fixed = dim.fixed, fixed > 0 {
                parts.append(String(fixed))
            } else {
                parts.append(index == 0 ? "1" : "N")
            }
        }
        return parts.joined(separator: "x")
    }

    /// Ops that compute in integers whatever reads them.
    static let integerOps: Set<String> = ["ConvInteger", "MatMulInteger"]

    /// The fraction of `total` in `integer` (0 for a model with no counted ops).
    public var integerShare: Double { total > 0 ? integer / total : 0 }

    /// One node's FLOPs from the shapes around it; nil for ops not counted or shapes
    /// not seen.
    static func flops(_ node: NodeProto, _ shapes: [String: [Int]]) -> Double? {
        func shape(_ position: Int) -> [Int]? {
            node.input.indices.contains(position) ? shapes[node.input[position]] : nil
        }
        guard let output = node.output.first.flatMap({ shapes[$0] }) else { return nil }
        let outputs = Double(Tensor.count(of: output))
        switch node.opType {
        case "Conv", "ConvInteger":
            // Each output value: Cin/group x kernel multiply-adds.
            guard let weight = shape(1), weight.count >= 2 else { return nil }
            return 2 * outputs * Double(weight.dropFirst().reduce(1, *))
        case "ConvTranspose":
            // Each input value: Cout/group x kernel multiply-adds.
            guard let input = shape(0), let weight = shape(1), weight.count >= 2 else { return nil }
            return 2 * Double(Tensor.count(of: input)) * Double(weight.dropFirst().reduce(1, *))
        case "Gemm":
            guard let a = shape(0), a.count == 2 else { return nil }
            let transA = (node.attribute("transA")?.i ?? 0) != 0
            return 2 * outputs * Double(transA ? a[0] : a[1])
        case "MatMul", "MatMulInteger":
            guard let a = shape(0), let inner = a.last else { return nil }
            return 2 * outputs * Double(inner)
        default:
            return nil
        }
    }
}
