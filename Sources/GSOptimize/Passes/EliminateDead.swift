import ONNX

/// `eliminate-dead`: removes nodes none of whose outputs reach a graph output, initializers
/// nothing reads, and value_info entries for values that no longer exist; in Loop and If
/// bodies too (against the body's outputs).
///
/// Liveness follows subgraph reads: a value a Loop body takes from the enclosing graph is
/// live as long as the Loop is, and bodies are pruned first so that what they stop reading can
/// die outside. Graph inputs stay (they are the model's, or the Loop's, interface), and so do
/// initializers that are also inputs (defaults a caller may override).
public struct EliminateDead: GraphPass {
    public let name = "eliminate-dead"

    public init() {}

    public func apply(_ model: ModelProto, _ context: PassContext) throws -> (ModelProto, PassReport) {
        var model = model
        var counts = ["nodes": 0, "initializers": 0, "value_info": 0]
        prune(&model.graph, counts: &counts)
        return (model, PassReport(pass: name, counts: counts))
    }

    private func prune(_ graph: inout GraphProto, counts: inout [String: Int]) {
        for index in graph.node.indices {
            graph.node[index].mapSubgraphs { prune(&$0, counts: &counts) }
        }
        let producer = graph.producerIndex()
        var live = Set<String>()
        var keep = [Bool](repeating: false, count: graph.node.count)
        var pending = graph.output.map(\.name)
        while let value = pending.popLast() {
            guard live.insert(value).inserted, let index = producer[value], !keep[index] else { continue }
            keep[index] = true
            let node = graph.node[index]
            pending.append(contentsOf: node.input.filter { !$0.isEmpty })
            pending.append(contentsOf: node.implicitInputs)
        }
        let before = (nodes: graph.node.count, initializers: graph.initializer.count, infos: graph.valueInfo.count)
        graph.node = graph.node.indices.filter { keep[$0] }.map { graph.node[$0] }
        let inputs = Set(graph.input.map(\.name))
        graph.initializer.removeAll { !live.contains($0.name) && !inputs.contains($0.name) }
        let defined = graph.locallyDefinedNames
        graph.valueInfo.removeAll { !defined.contains($0.name) }
        counts["nodes", default: 0] += before.nodes - graph.node.count
        counts["initializers", default: 0] += before.initializers - graph.initializer.count
        counts["value_info", default: 0] += before.infos - graph.valueInfo.count
    }
}
