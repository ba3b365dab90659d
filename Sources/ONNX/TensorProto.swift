/// A tensor as ONNX stores it: dims, element type and the data in exactly one of `rawData`
/// (little-endian, what exporters write for weights), a typed field (`floatData`,
/// `int32Data`, ...) or an external file (`externalData`, `dataLocation` = external).
///
/// Typed access and building from arrays live in `TensorData.swift`; loading and writing
/// external data in `ExternalData.swift`.
public struct TensorProto: ProtoMessage {
    /// Name for error paths.
    public static let protoName = "TensorProto"

    /// Field 1: the shape (unpacked unless the input packed it; ONNX declares it unpacked).
    public var dims: [Int64] = []
    /// Field 2: the element type as stored (values newer than `DataType` survive).
    public var dataTypeRaw: Int32 = 0
    /// Field 3: which chunk of a larger tensor this is (rarely used).
    public var segment: Segment?
    /// Field 4: float values; also complex64 pairs (packed).
    public var floatData: [Float] = []
    /// Field 5: int32, int16, int8, uint16, uint8, bool, float16 and bfloat16 bit patterns (packed).
    public var int32Data: [Int32] = []
    /// Field 6: string values, as bytes.
    public var stringData: [[UInt8]] = []
    /// Field 7: int64 values (packed).
    public var int64Data: [Int64] = []
    /// Field 8: the tensor's name (initializers are looked up by it).
    public var name: String = ""
    /// Field 9: the data, little-endian, fixed width per element (nil: not stored this way).
    public var rawData: [UInt8]?
    /// Field 10: double values; also complex128 pairs (packed).
    public var doubleData: [Double] = []
    /// Field 11: uint32 and uint64 values (packed).
    public var uint64Data: [UInt64] = []
    /// Field 12: free text.
    public var docString: String = ""
    /// Field 13: where the data lives when it is external (`location`, `offset`, `length`, `checksum`).
    public var externalData: [StringStringEntryProto] = []
    /// Field 14: 0 default (data in this message), 1 external.
    public var dataLocation: Int32 = 0
    /// Field 16: key/value metadata.
    public var metadataProps: [StringStringEntryProto] = []
    /// Presence, packing and unknown fields.
    public var wire = WireDetails()

    /// An empty tensor.
    public init() {}

    /// `data_location` EXTERNAL.
    public static let externalLocation: Int32 = 1

    /// Whether the data is in an external file (see `ExternalData.swift`).
    public var isExternal: Bool { dataLocation == Self.externalLocation }

    /// Reads the fields ONNX defines for tensors; repeated scalars accept packed and unpacked runs.
    public mutating func decodeField(_ key: FieldKey, from reader: inout ProtoReader) throws(ONNXError) -> Bool {
        switch key.number {
        case 1: try reader.appendInt64s(key, to: &dims)
        case 2: dataTypeRaw = try reader.int32(key)
        case 3: segment = try reader.message(key, "segment")
        case 4: try reader.appendFloats(key, to: &floatData)
        case 5: try reader.appendInt32s(key, to: &int32Data)
        case 6: stringData.append(try reader.bytes(key))
        case 7: try reader.appendInt64s(key, to: &int64Data)
        case 8: name = try reader.string(key)
        case 9: rawData = try reader.bytes(key)
        case 10: try reader.appendDoubles(key, to: &doubleData)
        case 11: try reader.appendUInt64s(key, to: &uint64Data)
        case 12: docString = try reader.string(key)
        case 13: externalData.append(try reader.message(key, "external_data", index: externalData.count))
        case 14: dataLocation = try reader.int32(key)
        case 16: metadataProps.append(try reader.message(key, "metadata_props", index: metadataProps.count))
        default: return false
        }
        return true
    }

    /// Writes the fields in field-number order; 4, 5, 7, 10 and 11 are packed unless the
    /// input had them unpacked, `dims` is unpacked unless the input packed it.
    public func encode(to writer: inout ProtoWriter) {
        writer.int64s(1, dims, packed: wire.packed(1, byDefault: false), present: wire.has(1))
        writer.int32(2, dataTypeRaw, present: wire.has(2))
        writer.message(3, segment)
        writer.floats(4, floatData, packed: wire.packed(4, byDefault: true), present: wire.has(4))
        writer.int32s(5, int32Data, packed: wire.packed(5, byDefault: true), present: wire.has(5))
        writer.byteStrings(6, stringData)
        writer.int64s(7, int64Data, packed: wire.packed(7, byDefault: true), present: wire.has(7))
        writer.string(8, name, present: wire.has(8))
        if let rawData { writer.bytes(9, rawData, present: true) }
        writer.doubles(10, doubleData, packed: wire.packed(10, byDefault: true), present: wire.has(10))
        writer.uint64s(11, uint64Data, packed: wire.packed(11, byDefault: true), present: wire.has(11))
        writer.string(12, docString, present: wire.has(12))
        writer.messages(13, externalData)
        writer.int32(14, dataLocation, present: wire.has(14))
        writer.messages(16, metadataProps)
    }

    /// `TensorProto.Segment`: the element range this message holds of a larger tensor.
    public struct Segment: ProtoMessage {
        /// Name for error paths.
        public static let protoName = "TensorProto.Segment"

        /// Field 1: first element.
        public var begin: Int64 = 0
        /// Field 2: one past the last element.
        public var end: Int64 = 0
        /// Presence and unknown fields.
        public var wire = WireDetails()

        /// An empty segment.
        public init() {}

        /// Reads fields 1 and 2.
        public mutating func decodeField(_ key: FieldKey, from reader: inout ProtoReader) throws(ONNXError) -> Bool {
            switch key.number {
            case 1: begin = try reader.int64(key)
            case 2: end = try reader.int64(key)
            default: return false
            }
            return true
        }

        /// Writes fields 1 and 2.
        public func encode(to writer: inout ProtoWriter) {
            writer.int64(1, begin, present: wire.has(1))
            writer.int64(2, end, present: wire.has(2))
        }
    }
}
