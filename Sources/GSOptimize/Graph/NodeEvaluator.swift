import GSExec
import ONNX

/// Runs one node on known inputs with the executor: how constant folding and shape
/// arithmetic get their values, so the optimizer computes exactly what the runtime would.
enum NodeEvaluator {
    /// The node's outputs by name. `inputs` holds a value for every non-empty input name.
    static func evaluate(_ node: NodeProto, inputs: [String: Tensor], opset: Int) throws -> [String: Tensor] {
        var outputs: [ValueInfoProto] = []
        for name in node.output where !name.isEmpty {
            var info = ValueInfoProto()
            info.name = name
            outputs.append(info)
        }
        let proto = GraphProto(name: "evaluate", nodes: [node], inputs: [], outputs: outputs)
        var graph = try ONNXImport.graph(proto)
        graph.initializers = inputs
        return try Executor(graph: graph, opset: opset).run([:])
    }
}
