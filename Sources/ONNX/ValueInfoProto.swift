/// A named value with its type: graph inputs, outputs and shape-inference results.
public struct ValueInfoProto: ProtoMessage {
    /// Name for error paths.
    public static let protoName = "ValueInfoProto"

    /// Field 1: the value's name.
    public var name: String = ""
    /// Field 2: the value's type (nil: unknown).
    public var type: TypeProto?
    /// Field 3: free text.
    public var docString: String = ""
    /// Field 4: key/value metadata.
    public var metadataProps: [StringStringEntryProto] = []
    /// Presence and unknown fields.
    public var wire = WireDetails()

    /// An empty value info.
    public init() {}

    /// A tensor value: element type and shape (nil shape: rank unknown).
    public init(name: String, elementType: DataType, shape: [TensorShapeProto.Dimension]?) {
        self.name = name
        self.type = TypeProto(tensor: elementType, shape: shape)
    }

    /// The tensor type, when the value is a tensor.
    public var tensorType: TypeProto.Tensor? { type?.tensorType }

    /// Reads fields 1 to 4.
    public mutating func decodeField(_ key: FieldKey, from reader: inout ProtoReader) throws(ONNXError) -> Bool {
        switch key.number {
        case 1: name = try reader.string(key)
        case 2: type = try reader.message(key, "type")
        case 3: docString = try reader.string(key)
        case 4: metadataProps.append(try reader.message(key, "metadata_props", index: metadataProps.count))
        default: return false
        }
        return true
    }

    /// Writes fields 1 to 4.
    public func encode(to writer: inout ProtoWriter) {
        writer.string(1, name, present: wire.has(1))
        writer.message(2, type)
        writer.string(3, docString, present: wire.has(3))
        writer.messages(4, metadataProps)
    }
}
