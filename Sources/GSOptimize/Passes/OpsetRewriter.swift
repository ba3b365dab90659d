import ONNX

/// The per-op rewrites of `upgrade-opset`, applied graph by graph (bodies first). New inputs
/// are initializers of the graph the node is in, one per distinct value; inserted nodes go
/// right before the node they serve, so the order stays topological.
struct OpsetRewriter {
    /// The opset the model had.
    let from: Int64
    var names: UniqueNames
    let pass: String
    /// Nodes rewritten, and nodes added (Softmax's Flatten/Shape/Reshape).
    private(set) var rewritten = 0
    private(set) var added = 0

    init(from: Int64, names: UniqueNames, pass: String) {
        self.from = from
        self.names = names
        self.pass = pass
    }

    mutating func rewrite(_ graph: inout GraphProto) throws(PassError) {
        var constants = Constants()
        let types = graph.declaredTypes()
        var nodes: [NodeProto] = []
        nodes.reserveCapacity(graph.node.count)
        for var node in graph.node {
            try node.mapSubgraphs { (body: inout GraphProto) throws(PassError) in try rewrite(&body) }
            guard node.domain.isEmpty || node.domain == "ai.onnx" else {
                nodes.append(node)
                continue
            }
            let before = node
            var inserted: [NodeProto] = []
            switch node.opType {
            // Every model here is below 13, so the opset-13 changes always apply.
            case "Squeeze", "Unsqueeze", "ReduceSum":
                moveInts("axes", of: &node, toInput: 1, constants: &constants)
            case "Split":
                moveInts("split", of: &node, toInput: 1, constants: &constants)
            case "Softmax", "LogSoftmax", "Hardmax":
                inserted = softmax(&node, types: types, constants: &constants)
            case "Clip" where from < 11:
                let type = node.input.first.flatMap { types[$0]?.elementType } ?? .float
                let minimum = node.attribute("min").map { constants.scalar($0.f, type: type, names: &names) }
                let maximum = node.attribute("max").map { constants.scalar($0.f, type: type, names: &names) }
                node.attribute.removeAll { $0.name == "min" || $0.name == "max" }
                node.input = [node.input[0], minimum ?? "", maximum ?? ""]
                while node.input.last == "" { node.input.removeLast() }
            case "Pad" where from < 11:
                let type = node.input.first.flatMap { types[$0]?.elementType } ?? .float
                let pads = constants.ints(node.attribute("pads")?.ints ?? [], names: &names)
                let value = node.attribute("value").map { constants.scalar($0.f, type: type, names: &names) }
                node.attribute.removeAll { $0.name == "pads" || $0.name == "value" }
                node.input = [node.input[0], pads] + (value.map { [$0] } ?? [])
            case "Slice" where from < 10:
                let starts = constants.ints(node.attribute("starts")?.ints ?? [], names: &names)
                let ends = constants.ints(node.attribute("ends")?.ints ?? [], names: &names)
                let axes = node.attribute("axes").map { constants.ints($0.ints, names: &names) }
                node.attribute.removeAll { ["starts", "ends", "axes"].contains($0.name) }
                node.input = [node.input[0], starts, ends] + (axes.map { [$0] } ?? [])
            case "TopK" where from < 10:
                let k = constants.ints([node.attribute("k")?.i ?? 0], names: &names)
                node.attribute.removeAll { $0.name == "k" }
                node.input = [node.input[0], k]
            case "Dropout" where from < 12:
                let ratio = node.attribute("ratio").map { constants.scalar($0.f, type: .float, names: &names) }
                node.attribute.removeAll { $0.name == "ratio" }
                if let ratio { node.input = [node.input[0], ratio] }
            case "BatchNormalization" where from < 9:
                node.attribute.removeAll { $0.name == "spatial" }
            case "Scatter":
                node.opType = "ScatterElements"
            default:
                break
            }
            if node != before { rewritten += 1 }
            added += inserted.count
            nodes.append(contentsOf: inserted)
            nodes.append(node)
        }
        graph.node = nodes
        graph.initializer.append(contentsOf: constants.tensors)
    }

    /// Moves an INTS attribute to input `position` (as an int64 initializer), when present.
    private mutating func moveInts(
        _ attribute: String, of node: inout NodeProto, toInput position: Int, constants: inout Constants
    ) {
        guard let values = node.attribute(attribute)?.ints else { return }
        node.attribute.removeAll { $0.name == attribute }
        let name = constants.ints(values, names: &names)
        while node.input.count < position { node.input.append("") }
        node.input.insert(name, at: position)
    }

    /// Softmax, LogSoftmax, Hardmax: the pre-13 flatten-at-axis meaning in opset-13 terms.
    /// Returns the nodes to insert before `node` (none when writing the axis out suffices).
    private mutating func softmax(
        _ node: inout NodeProto, types: [String: (elementType: DataType, shape: [Int?]?)], constants: inout Constants
    ) -> [NodeProto] {
        let axis = node.attribute("axis")?.i ?? 1
        guard let input = node.input.first, let output = node.output.first else { return [] }
        let shape = types[input]?.shape
        let rank = shape.map { Int64($0.count) }
        node.attribute.removeAll { $0.name == "axis" }
        let last = rank.map { (axis < 0 ? axis + $0 : axis) == $0 - 1 } ?? false
        if axis == -1 || last {
            node.attribute.append(.int("axis", axis))
            return []
        }
        let flat = names.make(input + "_flat2d")
        let result = names.make(output + "_2d")
        var inserted = [
            NodeProto(
                "Flatten", inputs: [input], outputs: [flat], name: names.make(node.name + "_flatten"),
                attributes: [.int("axis", axis)])
        ]
        let target: String
        if let shape, shape.allSatisfy({ $0 != nil }) {
            target = constants.ints(shape.map { Int64($0 ?? 0) }, names: &names)
        } else {
            target = names.make(input + "_shape")
            inserted.append(
                NodeProto("Shape", inputs: [input], outputs: [target], name: names.make(node.name + "_shape")))
        }
        var operation = node
        operation.input = [flat]
        operation.output = [result]
        operation.attribute.append(.int("axis", 1))
        inserted.append(operation)
        node = NodeProto(
            "Reshape", inputs: [result, target], outputs: [output], name: names.make(node.name + "_reshape"))
        return inserted
    }
}

/// The initializers one graph's rewrites add, one per distinct value.
private struct Constants {
    private(set) var tensors: [TensorProto] = []
    private var byValue: [String: String] = [:]

    /// A 1-D int64 initializer holding `values`.
    mutating func ints(_ values: [Int64], names: inout UniqueNames) -> String {
        let key = "i64:" + values.map(String.init).joined(separator: ",")
        if let name = byValue[key] { return name }
        let name = names.make("const_i64_" + values.map { $0 < 0 ? "m\(-$0)" : "\($0)" }.joined(separator: "_"))
        tensors.append(TensorProto(name: name, shape: [values.count], values: values))
        byValue[key] = name
        return name
    }

    /// A scalar initializer of a float type holding `value`.
    mutating func scalar(_ value: Float, type: DataType, names: inout UniqueNames) -> String {
        let key = "\(type):\(value.bitPattern)"
        if let name = byValue[key] { return name }
        let name = names.make("const_\(type)_scalar")
        switch type {
        case .double: tensors.append(TensorProto(name: name, shape: [], values: [Double(value)]))
        case .float16: tensors.append(TensorProto(name: name, shape: [], values: [Float16(value)]))
        default: tensors.append(TensorProto(name: name, shape: [], values: [value]))
        }
        byValue[key] = name
        return name
    }
}
