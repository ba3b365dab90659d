/// An operator prepared for one node: attributes parsed and checked once, so running it on
/// hundreds of calibration samples costs only the arithmetic.
public protocol Kernel: Sendable {
    /// Computes the node's outputs. `inputs[i]` is nil for an absent optional input.
    func run(_ inputs: [Tensor?], _ context: RunContext) throws -> [Tensor]
}

/// What a kernel may need besides its inputs.
public struct RunContext: Sendable {
    /// The opset the model imports for the default domain (some ops change meaning by version).
    public var opset: Int

    public init(opset: Int) { self.opset = opset }
}

/// Reads a node's attributes with the types and defaults ONNX defines, throwing a located
/// error when one is malformed.
public struct Attributes: Sendable {
    public let node: ExecNode

    public init(_ node: ExecNode) { self.node = node }

    public func int(_ name: String, default value: Int) throws -> Int {
        guard let attribute = node.attributes[name] else { return value }
        guard case .int(let v) = attribute else { throw wrong(name, "an integer") }
        return v
    }

    public func int(_ name: String) throws -> Int? {
        guard node.attributes[name] != nil else { return nil }
        return try int(name, default: 0)
    }

    public func float(_ name: String, default value: Float) throws -> Float {
        guard let attribute = node.attributes[name] else { return value }
        switch attribute {
        case .float(let v): return v
        case .int(let v): return Float(v)
        default: throw wrong(name, "a float")
        }
    }

    public func ints(_ name: String) throws -> [Int]? {
        guard let attribute = node.attributes[name] else { return nil }
        guard case .ints(let v) = attribute else { throw wrong(name, "a list of integers") }
        return v
    }

    public func floats(_ name: String) throws -> [Float]? {
        guard let attribute = node.attributes[name] else { return nil }
        guard case .floats(let v) = attribute else { throw wrong(name, "a list of floats") }
        return v
    }

    public func string(_ name: String, default value: String) throws -> String {
        guard let attribute = node.attributes[name] else { return value }
        guard case .string(let v) = attribute else { throw wrong(name, "a string") }
        return v
    }

    public func tensor(_ name: String) throws -> Tensor? {
        guard let attribute = node.attributes[name] else { return nil }
        guard case .tensor(let v) = attribute else { throw wrong(name, "a tensor") }
        return v
    }

    public func graph(_ name: String) throws -> ExecGraph {
        guard let attribute = node.attributes[name] else {
            throw ExecError("missing subgraph `\(name)`", node: node.label)
        }
        guard case .graph(let v) = attribute else { throw wrong(name, "a graph") }
        return v
    }

    func wrong(_ name: String, _ expected: String) -> ExecError {
        ExecError("attribute `\(name)` must be \(expected)", node: node.label)
    }

    /// An error about this node.
    public func error(_ message: String) -> ExecError { ExecError(message, node: node.label) }
}
