/// A computation graph: nodes in topological order, the weights (initializers) and the typed
/// inputs and outputs. Also the body of Loop, If and Scan nodes. Quantization annotations (14)
/// and sparse initializers (15) are kept as unknown fields, byte for byte.
public struct GraphProto: ProtoMessage {
    /// Name for error paths.
    public static let protoName = "GraphProto"

    /// Field 1: the nodes, in topological order.
    public var node: [NodeProto] = []
    /// Field 2: the graph's name.
    public var name: String = ""
    /// Field 5: constant tensors (weights); may share names with inputs (overridable defaults).
    public var initializer: [TensorProto] = []
    /// Field 10: free text.
    public var docString: String = ""
    /// Field 11: the graph's inputs.
    public var input: [ValueInfoProto] = []
    /// Field 12: the graph's outputs.
    public var output: [ValueInfoProto] = []
    /// Field 13: types of intermediate values (from shape inference), optional.
    public var valueInfo: [ValueInfoProto] = []
    /// Field 16: key/value metadata.
    public var metadataProps: [StringStringEntryProto] = []
    /// Presence and unknown fields.
    public var wire = WireDetails()

    /// An empty graph.
    public init() {}

    /// A graph from its parts.
    public init(
        name: String, nodes: [NodeProto], inputs: [ValueInfoProto], outputs: [ValueInfoProto],
        initializers: [TensorProto] = [], valueInfo: [ValueInfoProto] = []
    ) {
        self.name = name
        self.node = nodes
        self.input = inputs
        self.output = outputs
        self.initializer = initializers
        self.valueInfo = valueInfo
    }

    /// Reads the fields ONNX defines for graphs.
    public mutating func decodeField(_ key: FieldKey, from reader: inout ProtoReader) throws(ONNXError) -> Bool {
        switch key.number {
        case 1: node.append(try reader.message(key, "node", index: node.count))
        case 2: name = try reader.string(key)
        case 5: initializer.append(try reader.message(key, "initializer", index: initializer.count))
        case 10: docString = try reader.string(key)
        case 11: input.append(try reader.message(key, "input", index: input.count))
        case 12: output.append(try reader.message(key, "output", index: output.count))
        case 13: valueInfo.append(try reader.message(key, "value_info", index: valueInfo.count))
        case 16: metadataProps.append(try reader.message(key, "metadata_props", index: metadataProps.count))
        default: return false
        }
        return true
    }

    /// Writes the fields in field-number order.
    public func encode(to writer: inout ProtoWriter) {
        writer.messages(1, node)
        writer.string(2, name, present: wire.has(2))
        writer.messages(5, initializer)
        writer.string(10, docString, present: wire.has(10))
        writer.messages(11, input)
        writer.messages(12, output)
        writer.messages(13, valueInfo)
        writer.messages(16, metadataProps)
    }
}
