import ONNX

/// Who reads a value, for rewrites that merge a node into its producer: merging is safe only
/// when the merged node is the value's one reader (nobody else would see the change).
extension GraphProto {
    /// Whether anything reads `name`: a node input, a subgraph, or the graph's outputs.
    func isRead(_ name: String) -> Bool {
        output.contains { $0.name == name }
            || node.contains { $0.input.contains(name) || $0.implicitInputs.contains(name) }
    }

    /// Whether only the first output of `node` is read (the others are absent or unread).
    func readsOnlyFirstOutput(of node: NodeProto) -> Bool {
        node.output.dropFirst().allSatisfy { $0.isEmpty || !isRead($0) }
    }

    /// The position of the node producing `value` when the node at `reader` is the only reader
    /// of `value` (no other node, no subgraph, no graph output) and reads it once.
    func soleProducer(feeding value: String, into reader: Int) -> Int? {
        guard !value.isEmpty, !output.contains(where: { $0.name == value }),
            node[reader].input.filter({ $0 == value }).count == 1
        else { return nil }
        var producer: Int?
        for (index, node) in node.enumerated() {
            if node.output.contains(value) { producer = index }
            if index != reader, node.input.contains(value) || node.implicitInputs.contains(value) { return nil }
        }
        guard let producer, node[producer].output.first == value,
            node[producer].output.dropFirst().allSatisfy({ $0.isEmpty || !isRead($0) })
        else { return nil }
        return producer
    }
}
