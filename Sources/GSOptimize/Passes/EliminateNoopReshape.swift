import ONNX

/// `eliminate-noop-reshape`: Reshape, Flatten, Squeeze, Unsqueeze and Expand nodes whose input
/// and output have the same declared, fully static shape are removed like identities, and so
/// are Transposes with the identity permutation.
///
/// Why: tf2onnx wraps depthwise convolutions in Reshapes to [-1, C, 1, 1] that change nothing
/// once the batch is fixed (SSDLite has eight, each hiding a BatchNormalization from
/// `fold-batchnorm`). These ops never reorder elements, so equal shapes mean equal tensors.
/// Shapes come from value_info, which `static-shapes` writes; without it only identity
/// Transposes go. Graph outputs keep their names as in `eliminate-identity`.
public struct EliminateNoopReshape: GraphPass {
    public let name = "eliminate-noop-reshape"

    public init() {}

    public func apply(_ model: ModelProto, _ context: PassContext) throws -> (ModelProto, PassReport) {
        var model = model
        var removed = 0
        eliminate(in: &model.graph, removed: &removed)
        return (model, PassReport(pass: name, counts: ["removed": removed]))
    }

    private func eliminate(in graph: inout GraphProto, removed: inout Int) {
        for index in graph.node.indices {
            graph.node[index].mapSubgraphs { eliminate(in: &$0, removed: &removed) }
        }
        let types = graph.declaredTypes()
        var index = 0
        while index < graph.node.count {
            if isNoop(graph.node[index], types: types), graph.bypass(nodeAt: index) {
                removed += 1
            } else {
                index += 1
            }
        }
    }

    private func isNoop(_ node: NodeProto, types: [String: (elementType: DataType, shape: [Int?]?)]) -> Bool {
        guard node.domain.isEmpty || node.domain == "ai.onnx", let input = node.input.first,
            node.output.count == 1, let output = node.output.first
        else { return false }
        switch node.opType {
        case "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Expand":
            guard let from = types[input]?.shape, let to = types[output]?.shape else { return false }
            return from == to && from.allSatisfy { $0 != nil }
        case "Transpose":
            guard let perm = node.attribute("perm")?.ints else { return false }
            return perm == (0..<Int64(perm.count)).map { $0 }
        default:
            return false
        }
    }
}
