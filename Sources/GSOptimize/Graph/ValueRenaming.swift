import ONNX

/// Renaming values across scopes: a rewrite that removes a node must point its readers at
/// another value, and readers hide in Loop/If bodies that read the value from the outer scope.
/// A subgraph that defines the name itself (input, initializer or node output) shadows it, so
/// the walk stops there.
extension GraphProto {
    /// Names this graph defines itself: inputs, initializers and node outputs (not subgraphs').
    var locallyDefinedNames: Set<String> {
        var names = Set(input.map(\.name))
        names.formUnion(initializer.map(\.name))
        for node in node { names.formUnion(node.output.filter { !$0.isEmpty }) }
        return names
    }

    /// Makes every reader of `old` read `new` instead: node inputs here and in subgraphs that
    /// see `old` from this scope, and the outputs of those subgraphs. This graph's own outputs
    /// change only with `includingGraphOutputs` (they are the model's interface).
    mutating func replaceUses(of old: String, with new: String, includingGraphOutputs: Bool = false) {
        guard old != new else { return }
        for index in node.indices {
            for position in node[index].input.indices where node[index].input[position] == old {
                node[index].input[position] = new
            }
            node[index].mapSubgraphs { graph in
                guard !graph.locallyDefinedNames.contains(old) else { return }
                graph.replaceUses(of: old, with: new, includingGraphOutputs: true)
            }
        }
        if includingGraphOutputs {
            for position in output.indices where output[position].name == old { output[position].name = new }
        }
    }

    /// Renames a value defined in this graph everywhere: its definition (node output, input or
    /// initializer), its readers, its value_info and, when it is one, the graph output.
    mutating func renameValue(_ old: String, to new: String) {
        guard old != new else { return }
        for index in node.indices {
            for position in node[index].output.indices where node[index].output[position] == old {
                node[index].output[position] = new
            }
        }
        for index in input.indices where input[index].name == old { input[index].name = new }
        for index in initializer.indices where initializer[index].name == old { initializer[index].name = new }
        for index in valueInfo.indices where valueInfo[index].name == old { valueInfo[index].name = new }
        replaceUses(of: old, with: new, includingGraphOutputs: true)
    }
}

/// In-place access to the subgraphs a node's attributes hold.
extension NodeProto {
    /// Calls `body` on each subgraph (Loop `body`, If branches), writing back what it changes.
    mutating func mapSubgraphs<Failure: Error>(_ body: (inout GraphProto) throws(Failure) -> Void) throws(Failure) {
        for index in attribute.indices {
            if var graph = attribute[index].g {
                // Taken out while `body` runs so that changing it does not copy it.
                attribute[index].g = nil
                defer { attribute[index].g = graph }
                try body(&graph)
            }
            for position in attribute[index].graphs.indices {
                try body(&attribute[index].graphs[position])
            }
        }
    }

    /// Whether the node holds a subgraph (its rewrite needs the scope rules above).
    var hasSubgraphs: Bool {
        attribute.contains { $0.g != nil || !$0.graphs.isEmpty }
    }
}
