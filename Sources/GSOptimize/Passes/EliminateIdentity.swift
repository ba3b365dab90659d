import ONNX

/// `eliminate-identity`: Identity nodes, and Dropout nodes that are identities at inference
/// (mask unused, no training_mode, or training_mode a constant false), are removed and their
/// readers read the input instead, in subgraphs too.
///
/// When the node's output is a graph output, the output keeps its name: the value's producer
/// is renamed to it instead (`GraphProto.bypass`). That is possible only when the input is made
/// by a node of the same graph and is not itself a graph output; otherwise (an input or
/// initializer passed straight through, a body input a Loop carries) the node stays.
public struct EliminateIdentity: GraphPass {
    public let name = "eliminate-identity"

    public init() {}

    public func apply(_ model: ModelProto, _ context: PassContext) throws -> (ModelProto, PassReport) {
        var model = model
        var removed = 0
        var kept = 0
        eliminate(in: &model.graph, removed: &removed, kept: &kept)
        let notes = kept > 0 ? ["\(kept) identities kept (they pass a graph input or output through)"] : []
        return (model, PassReport(pass: name, counts: ["removed": removed], notes: notes))
    }

    private func eliminate(in graph: inout GraphProto, removed: inout Int, kept: inout Int) {
        for index in graph.node.indices {
            graph.node[index].mapSubgraphs { eliminate(in: &$0, removed: &removed, kept: &kept) }
        }
        var index = 0
        while index < graph.node.count {
            guard isIdentity(graph.node[index], in: graph) else {
                index += 1
                continue
            }
            if graph.bypass(nodeAt: index) {
                removed += 1
            } else {
                kept += 1
                index += 1
            }
        }
    }

    /// Identity, or a Dropout that is one: its mask (second output) unread and not a graph
    /// output, and no training_mode input other than an initializer holding false.
    private func isIdentity(_ node: NodeProto, in graph: GraphProto) -> Bool {
        guard node.domain.isEmpty || node.domain == "ai.onnx", node.input.count >= 1 else { return false }
        switch node.opType {
        case "Identity":
            return node.output.count == 1
        case "Dropout":
            if node.output.count > 1, !node.output[1].isEmpty {
                let mask = node.output[1]
                if graph.output.contains(where: { $0.name == mask }) || !graph.consumers(of: mask).isEmpty {
                    return false
                }
            }
            guard node.input.count >= 3, !node.input[2].isEmpty else { return true }
            guard let mode = graph.initializer(named: node.input[2]),
                !graph.input.contains(where: { $0.name == mode.name }),
                let values = try? mode.bools()
            else { return false }
            return values == [false]
        default:
            return false
        }
    }
}
