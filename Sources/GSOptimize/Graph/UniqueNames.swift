import ONNX

/// Fresh value and node names for what a rewrite adds. ONNX wants value names unique across a
/// graph and its subgraphs, so the generator knows every name the whole model uses.
struct UniqueNames {
    private var used: Set<String>

    /// Every value and node name of `graph`, its subgraphs included.
    init(_ graph: GraphProto) {
        used = []
        collect(graph)
    }

    private mutating func collect(_ graph: GraphProto) {
        used.formUnion(graph.input.map(\.name))
        used.formUnion(graph.output.map(\.name))
        used.formUnion(graph.initializer.map(\.name))
        used.formUnion(graph.valueInfo.map(\.name))
        for node in graph.node {
            used.formUnion(node.input)
            used.formUnion(node.output)
            used.insert(node.name)
            for subgraph in node.subgraphs { collect(subgraph) }
        }
    }

    /// `base` itself when nobody uses it, else `base_1`, `base_2`, ...; reserved from then on.
    mutating func make(_ base: String) -> String {
        var candidate = base
        var suffix = 1
        while used.contains(candidate) {
            candidate = "\(base)_\(suffix)"
            suffix += 1
        }
        used.insert(candidate)
        return candidate
    }
}
