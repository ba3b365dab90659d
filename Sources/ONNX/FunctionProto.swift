/// A model-local function (IR 8): a named subgraph that nodes of `domain` call like an op.
public struct FunctionProto: ProtoMessage {
    /// Name for error paths.
    public static let protoName = "FunctionProto"

    /// Field 1: the op name nodes use to call the function.
    public var name: String = ""
    /// Field 4: formal input names.
    public var input: [String] = []
    /// Field 5: formal output names.
    public var output: [String] = []
    /// Field 6: names of attributes the function takes (without defaults).
    public var attribute: [String] = []
    /// Field 7: the body.
    public var node: [NodeProto] = []
    /// Field 8: free text.
    public var docString: String = ""
    /// Field 9: opsets the body uses.
    public var opsetImport: [OperatorSetIdProto] = []
    /// Field 10: the domain nodes name to call the function.
    public var domain: String = ""
    /// Field 11: attributes the function takes, with defaults.
    public var attributeProto: [AttributeProto] = []
    /// Field 12: types of values in the body.
    public var valueInfo: [ValueInfoProto] = []
    /// Field 13: the overload name (IR 10).
    public var overload: String = ""
    /// Field 14: key/value metadata.
    public var metadataProps: [StringStringEntryProto] = []
    /// Presence and unknown fields.
    public var wire = WireDetails()

    /// An empty function.
    public init() {}

    /// Reads the fields ONNX defines for functions.
    public mutating func decodeField(_ key: FieldKey, from reader: inout ProtoReader) throws(ONNXError) -> Bool {
        switch key.number {
        case 1: name = try reader.string(key)
        case 4: input.append(try reader.string(key))
        case 5: output.append(try reader.string(key))
        case 6: attribute.append(try reader.string(key))
        case 7: node.append(try reader.message(key, "node", index: node.count))
        case 8: docString = try reader.string(key)
        case 9: opsetImport.append(try reader.message(key, "opset_import", index: opsetImport.count))
        case 10: domain = try reader.string(key)
        case 11: attributeProto.append(try reader.message(key, "attribute_proto", index: attributeProto.count))
        case 12: valueInfo.append(try reader.message(key, "value_info", index: valueInfo.count))
        case 13: overload = try reader.string(key)
        case 14: metadataProps.append(try reader.message(key, "metadata_props", index: metadataProps.count))
        default: return false
        }
        return true
    }

    /// Writes the fields in field-number order.
    public func encode(to writer: inout ProtoWriter) {
        writer.string(1, name, present: wire.has(1))
        writer.strings(4, input)
        writer.strings(5, output)
        writer.strings(6, attribute)
        writer.messages(7, node)
        writer.string(8, docString, present: wire.has(8))
        writer.messages(9, opsetImport)
        writer.string(10, domain, present: wire.has(10))
        writer.messages(11, attributeProto)
        writer.messages(12, valueInfo)
        writer.string(13, overload, present: wire.has(13))
        writer.messages(14, metadataProps)
    }
}
