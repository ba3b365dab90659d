import ONNX

/// Removing a node whose first output equals its first input (Identity, an inference Dropout,
/// a Reshape to the same shape): readers are pointed at the input. When the output is a graph
/// output it keeps its name: the input's producer is renamed to it instead, which is possible
/// only when that producer is a node of the same graph and the input is no graph output.
extension GraphProto {
    /// Removes the node at `index` as above; false (graph unchanged) when it must stay.
    mutating func bypass(nodeAt index: Int) -> Bool {
        let node = node[index]
        guard let source = node.input.first, !source.isEmpty, let target = node.output.first, !target.isEmpty else {
            return false
        }
        let outputs = Set(output.map(\.name))
        if !outputs.contains(target) {
            self.node.remove(at: index)
            replaceUses(of: target, with: source)
            valueInfo.removeAll { $0.name == target }
            return true
        }
        let producedHere = self.node.contains { $0.output.contains(source) }
        guard producedHere, !outputs.contains(source) else { return false }
        self.node.remove(at: index)
        valueInfo.removeAll { $0.name == source }
        renameValue(source, to: target)
        return true
    }
}
