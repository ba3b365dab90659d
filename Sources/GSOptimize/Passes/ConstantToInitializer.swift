import ONNX

/// `constant-to-initializer`: every Constant node becomes an initializer of the graph it is in
/// (Loop and If bodies included), named like the node's output.
///
/// Why: exporters such as Paddle2ONNX store every weight as a Constant node (308 of the 566
/// nodes of ppocr_cls); as initializers they stop counting as nodes and the folding passes
/// see them as constants. A Constant whose output is a graph output stays a node (a graph
/// output that is an initializer is not supported by every runtime), as does one whose value
/// is sparse or a reference to a function attribute.
public struct ConstantToInitializer: GraphPass {
    public let name = "constant-to-initializer"

    public init() {}

    public func apply(_ model: ModelProto, _ context: PassContext) throws -> (ModelProto, PassReport) {
        var model = model
        var converted = 0
        var kept = 0
        convert(&model.graph, converted: &converted, kept: &kept)
        if model.irVersion < 4 {
            // Before IR 4 every initializer had to be listed as a graph input as well.
            let listed = Set(model.graph.input.map(\.name))
            for tensor in model.graph.initializer where !listed.contains(tensor.name) {
                model.graph.input.append(
                    ValueInfoProto(
                        name: tensor.name, elementType: tensor.dataType, shape: tensor.dims.map { .init(.value($0)) }))
            }
        }
        var notes: [String] = []
        if kept > 0 { notes.append("\(kept) Constant nodes kept (graph outputs, sparse or referenced values)") }
        return (model, PassReport(pass: name, counts: ["converted": converted], notes: notes))
    }

    private func convert(_ graph: inout GraphProto, converted: inout Int, kept: inout Int) {
        let outputs = Set(graph.output.map(\.name))
        var nodes: [NodeProto] = []
        nodes.reserveCapacity(graph.node.count)
        for var node in graph.node {
            node.mapSubgraphs { convert(&$0, converted: &converted, kept: &kept) }
            guard node.opType == "Constant", node.domain.isEmpty || node.domain == "ai.onnx",
                node.output.count == 1, !outputs.contains(node.output[0]),
                let tensor = Self.tensor(of: node, named: node.output[0])
            else {
                if node.opType == "Constant" { kept += 1 }
                nodes.append(node)
                continue
            }
            graph.initializer.append(tensor)
            converted += 1
        }
        graph.node = nodes
    }

    /// The tensor a Constant node produces, from whichever value attribute it has.
    static func tensor(of node: NodeProto, named name: String) -> TensorProto? {
        guard node.attribute.count == 1, let attribute = node.attribute.first, attribute.refAttrName.isEmpty else {
            return nil
        }
        switch attribute.name {
        case "value":
            guard var tensor = attribute.t else { return nil }
            tensor.name = name
            return tensor
        case "value_float": return TensorProto(name: name, shape: [], values: [attribute.f])
        case "value_floats": return TensorProto(name: name, shape: [attribute.floats.count], values: attribute.floats)
        case "value_int": return TensorProto(name: name, shape: [], values: [attribute.i])
        case "value_ints": return TensorProto(name: name, shape: [attribute.ints.count], values: attribute.ints)
        case "value_string":
            var tensor = TensorProto(name: name, shape: [], strings: [])
            tensor.stringData = [attribute.s]
            return tensor
        case "value_strings":
            var tensor = TensorProto(name: name, shape: [attribute.strings.count], strings: [])
            tensor.stringData = attribute.strings
            return tensor
        default: return nil
        }
    }
}
