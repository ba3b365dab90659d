/// A key/value pair: model and graph metadata (`metadata_props`) and a tensor's external data
/// location, offset and length.
public struct StringStringEntryProto: ProtoMessage {
    /// Name for error paths.
    public static let protoName = "StringStringEntryProto"

    /// Field 1.
    public var key: String = ""
    /// Field 2.
    public var value: String = ""
    /// Presence and unknown fields.
    public var wire = WireDetails()

    /// An empty entry.
    public init() {}

    /// An entry with both parts.
    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }

    /// Reads fields 1 and 2.
    public mutating func decodeField(_ key: FieldKey, from reader: inout ProtoReader) throws(ONNXError) -> Bool {
        switch key.number {
        case 1: self.key = try reader.string(key)
        case 2: value = try reader.string(key)
        default: return false
        }
        return true
    }

    /// Writes fields 1 and 2.
    public func encode(to writer: inout ProtoWriter) {
        writer.string(1, key, present: wire.has(1))
        writer.string(2, value, present: wire.has(2))
    }
}

/// Key lookup in metadata_props and external_data lists.
extension [StringStringEntryProto] {
    /// The value of the first entry with `key`, if any (metadata and external data lookups).
    public subscript(key: String) -> String? {
        first { $0.key == key }?.value
    }
}
