/// One operator application: op type, named inputs and outputs, attributes.
public struct NodeProto: ProtoMessage {
    /// Name for error paths.
    public static let protoName = "NodeProto"

    /// Field 1: input value names ("" marks an omitted optional input).
    public var input: [String] = []
    /// Field 2: output value names ("" marks an omitted optional output).
    public var output: [String] = []
    /// Field 3: the node's name (for messages; not unique in every model).
    public var name: String = ""
    /// Field 4: the operator (`Conv`, `Loop`, ...).
    public var opType: String = ""
    /// Field 5: attributes.
    public var attribute: [AttributeProto] = []
    /// Field 6: free text.
    public var docString: String = ""
    /// Field 7: the op's domain ("" is the default ONNX domain).
    public var domain: String = ""
    /// Field 8: the function overload (IR 10).
    public var overload: String = ""
    /// Field 9: key/value metadata.
    public var metadataProps: [StringStringEntryProto] = []
    /// Presence and unknown fields.
    public var wire = WireDetails()

    /// An empty node.
    public init() {}

    /// A node from its parts, the way a rewrite builds one.
    public init(
        _ opType: String, inputs: [String], outputs: [String], name: String = "",
        attributes: [AttributeProto] = [], domain: String = ""
    ) {
        self.opType = opType
        self.input = inputs
        self.output = outputs
        self.name = name
        self.attribute = attributes
        self.domain = domain
    }

    /// Reads the fields ONNX defines for nodes.
    public mutating func decodeField(_ key: FieldKey, from reader: inout ProtoReader) throws(ONNXError) -> Bool {
        switch key.number {
        case 1: input.append(try reader.string(key))
        case 2: output.append(try reader.string(key))
        case 3: name = try reader.string(key)
        case 4: opType = try reader.string(key)
        case 5: attribute.append(try reader.message(key, "attribute", index: attribute.count))
        case 6: docString = try reader.string(key)
        case 7: domain = try reader.string(key)
        case 8: overload = try reader.string(key)
        case 9: metadataProps.append(try reader.message(key, "metadata_props", index: metadataProps.count))
        default: return false
        }
        return true
    }

    /// Writes the fields in field-number order.
    public func encode(to writer: inout ProtoWriter) {
        writer.strings(1, input)
        writer.strings(2, output)
        writer.string(3, name, present: wire.has(3))
        writer.string(4, opType, present: wire.has(4))
        writer.messages(5, attribute)
        writer.string(6, docString, present: wire.has(6))
        writer.string(7, domain, present: wire.has(7))
        writer.string(8, overload, present: wire.has(8))
        writer.messages(9, metadataProps)
    }
}
