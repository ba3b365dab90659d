/// Why the executor cannot run a graph or a node, naming the node and op so a user can
/// find it in the model ("an op it cannot run is a clear error naming op and node, never a
/// wrong number").
public struct ExecError: Error, Sendable, CustomStringConvertible {
    public var message: String
    /// `Conv 'conv_1'`, or nil for graph-level problems.
    public var node: String?

    public init(_ message: String, node: String? = nil) {
        self.message = message
        self.node = node
    }

    public var description: String { node.map { "\($0): \(message)" } ?? message }
}
