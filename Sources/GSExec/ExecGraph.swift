/// The graph the executor runs, independent of how it was stored: built from an ONNX
/// `GraphProto` (see `ONNXImport.swift`) or directly in tests.
public struct ExecGraph: Sendable {
    public var name: String
    public var nodes: [ExecNode]
    public var inputs: [ValueInfo]
    public var outputs: [ValueInfo]
    /// Constant tensors by name (weights, shapes).
    public var initializers: [String: Tensor]

    public init(
        name: String = "graph", nodes: [ExecNode], inputs: [ValueInfo], outputs: [ValueInfo],
        initializers: [String: Tensor] = [:]
    ) {
        self.name = name
        self.nodes = nodes
        self.inputs = inputs
        self.outputs = outputs
        self.initializers = initializers
    }
}

/// A graph input or output: its name and, when known, element type and shape (`nil`
/// dimensions are symbolic).
public struct ValueInfo: Sendable, Hashable {
    public var name: String
    public var elementType: Int32?
    public var shape: [Int?]?

    public init(name: String, elementType: Int32? = nil, shape: [Int?]? = nil) {
        self.name = name
        self.elementType = elementType
        self.shape = shape
    }
}

/// One operator application. Absent optional inputs are empty strings, as in ONNX.
public struct ExecNode: Sendable {
    public var name: String
    public var opType: String
    public var domain: String
    public var inputs: [String]
    public var outputs: [String]
    public var attributes: [String: Attribute]

    public init(
        name: String, opType: String, domain: String = "", inputs: [String], outputs: [String],
        attributes: [String: Attribute] = [:]
    ) {
        self.name = name
        self.opType = opType
        self.domain = domain
        self.inputs = inputs
        self.outputs = outputs
        self.attributes = attributes
    }

    /// How findings name the node: `Conv 'conv_1'` (or its first output when unnamed).
    public var label: String { "\(opType) '\(name.isEmpty ? (outputs.first ?? "?") : name)'" }
}

/// Attribute values a kernel reads while it is prepared.
public indirect enum Attribute: Sendable {
    case float(Float)
    case int(Int)
    case string(String)
    case floats([Float])
    case ints([Int])
    case strings([String])
    case tensor(Tensor)
    case graph(ExecGraph)
    case graphs([ExecGraph])
}
