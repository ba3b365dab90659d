import ONNX

/// The element type of every value of a graph. Real models rarely record it for
/// intermediate values (none of ours has value_info), yet the pass must know which values
/// are float32 to convert exactly those and keep each node's type parameters in agreement.
/// Declared types (inputs, outputs, value_info, initializers) win; the rest follow the ONNX
/// op schemas' output type rules.
enum FP16ElementTypes {
    /// Types of the values of `graph` that are declared or can be inferred; `outer` gives
    /// the types of the enclosing scopes' values, which a subgraph may read.
    static func infer(_ graph: GraphProto, outer: [String: DataType] = [:]) -> [String: DataType] {
        var types = outer
        var declared: [String: DataType] = [:]
        for info in graph.input + graph.output + graph.valueInfo {
            if let type = info.tensorType?.elementType, type != .undefined { declared[info.name] = type }
        }
        for info in graph.input {
            if let type = declared[info.name] { types[info.name] = type }
        }
        for tensor in graph.initializer where types[tensor.name] == nil { types[tensor.name] = tensor.dataType }
        // Files should list nodes in topological order, but not all do: repeat until nothing
        // new is learnt (once for sorted graphs, plus the pass that sees no change).
        var pending = Array(graph.node.indices)
        while !pending.isEmpty {
            var next: [Int] = []
            for index in pending {
                let node = graph.node[index]
                let inferred = outputTypes(of: node, types: types)
                var complete = true
                for (position, output) in node.output.enumerated() where !output.isEmpty {
                    if let type = declared[output] ?? inferred[position] {
                        types[output] = type
                    } else {
                        complete = false
                    }
                }
                if !complete, node.input.contains(where: { !$0.isEmpty && types[$0] == nil }) { next.append(index) }
            }
            if next.count == pending.count { break }
            pending = next
        }
        return types
    }

    /// The types of `node`'s outputs given the types known so far (nil where unknown).
    static func outputTypes(of node: NodeProto, types: [String: DataType]) -> [DataType?] {
        let count = node.output.count
        func input(_ position: Int) -> DataType? {
            position < node.input.count && !node.input[position].isEmpty ? types[node.input[position]] : nil
        }
        func all(_ type: DataType?) -> [DataType?] { Array(repeating: type, count: count) }
        guard node.domain.isEmpty || node.domain == "ai.onnx" else { return all(nil) }
        switch node.opType {
        case "Cast":
            return all(node.attribute("to").flatMap { DataType(rawValue: Int32(truncatingIfNeeded: $0.i)) })
        case "CastLike": return all(input(1))
        case "Constant": return all(constantType(node))
        case "ConstantOfShape": return all(node.attribute("value")?.t?.dataType ?? .float)
        case "Shape", "Size", "NonZero", "NonMaxSuppression", "ArgMax", "ArgMin": return all(.int64)
        case "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "Not", "And", "Or", "Xor", "IsNaN", "IsInf":
            return all(.bool)
        case "TopK", "MaxPool", "Unique":
            return [input(0)] + Array(repeating: DataType.int64, count: max(0, count - 1))
        case "Where": return all(input(1))
        case "OneHot": return all(input(2))
        case "DequantizeLinear": return all(input(1))
        case "QuantizeLinear": return all(input(2) ?? .uint8)
        case "DynamicQuantizeLinear": return [.uint8, .float, .uint8]
        case "EyeLike", "RandomNormalLike", "RandomUniformLike", "Bernoulli":
            return all(
                node.attribute("dtype").flatMap { DataType(rawValue: Int32(truncatingIfNeeded: $0.i)) } ?? input(0))
        case "RandomNormal", "RandomUniform":
            return all(
                node.attribute("dtype").flatMap { DataType(rawValue: Int32(truncatingIfNeeded: $0.i)) } ?? .float)
        case "Loop": return loopOutputTypes(node, types: types)
        case "If": return branchOutputTypes(node.attribute("then_branch")?.g, count: count, types: types)
        case "Scan": return branchOutputTypes(node.attribute("body")?.g, count: count, types: types)
        default:
            return all(node.input.lazy.filter { !$0.isEmpty }.first.flatMap { types[$0] })
        }
    }

    /// A Constant's type from whichever value attribute it has.
    static func constantType(_ node: NodeProto) -> DataType? {
        for attribute in node.attribute {
            switch attribute.name {
            case "value": return attribute.t?.dataType
            case "value_float", "value_floats": return .float
            case "value_int", "value_ints": return .int64
            case "value_string", "value_strings": return .string
            default: continue
            }
        }
        return nil
    }

    /// Loop outputs are the body's outputs after its condition: carried values, then scans.
    static func loopOutputTypes(_ node: NodeProto, types: [String: DataType]) -> [DataType?] {
        guard let body = node.attribute("body")?.g else { return Array(repeating: nil, count: node.output.count) }
        var scope = types
        let carriedTypes: [DataType?] = [.int64, .bool] + node.input.dropFirst(2).map { types[$0] }
        for (position, input) in body.input.enumerated() where input.tensorType?.elementType ?? .undefined == .undefined
        {
            if position < carriedTypes.count, let type = carriedTypes[position] { scope[input.name] = type }
        }
        let inner = infer(body, outer: scope)
        let outputs = body.output.dropFirst().map { inner[$0.name] }
        return (0..<node.output.count).map { $0 < outputs.count ? outputs[$0] : nil }
    }

    /// If and Scan outputs: the body's (the then-branch's) outputs, in order.
    static func branchOutputTypes(_ body: GraphProto?, count: Int, types: [String: DataType]) -> [DataType?] {
        guard let body else { return Array(repeating: nil, count: count) }
        let inner = infer(body, outer: types)
        return (0..<count).map { $0 < body.output.count ? inner[body.output[$0].name] : nil }
    }
}
