/// Protobuf wire types: how the payload after a key is laid out.
///
/// Groups (3 and 4) are deprecated and unused by ONNX; the reader rejects them.
public enum WireType: UInt8, Sendable, Hashable {
    /// int32, int64, uint64, enums, bools: base-128 varint.
    case varint = 0
    /// double, fixed64: eight little-endian bytes.
    case fixed64 = 1
    /// strings, bytes, messages and packed repeated scalars: a varint length, then the bytes.
    case lengthDelimited = 2
    /// float, fixed32: four little-endian bytes.
    case fixed32 = 5
}

/// A field's key as read from the input: number, wire type and where the key starts (so
/// unknown fields can be kept byte for byte and errors can name an offset).
public struct FieldKey: Sendable, Hashable {
    /// The field number from the message declaration.
    public var number: Int
    /// How the payload is laid out.
    public var wireType: WireType
    /// Offset of the key's first byte in the decoded buffer.
    public var offset: Int
}

/// A field the message types do not model, kept as the exact bytes it was read from.
public struct UnknownField: Sendable, Hashable {
    /// The field number, for callers that want to look at what was kept.
    public var number: Int
    /// The key and the payload exactly as they were in the input.
    public var bytes: [UInt8]
    /// The number of the last known field read before this one (0: none). The writer puts
    /// the field back right after that known field, which is where the input had it.
    var anchor: Int

    /// Two unknown fields are the same when their bytes are.
    public static func == (a: UnknownField, b: UnknownField) -> Bool { a.bytes == b.bytes }

    /// Hashes what `==` compares.
    public func hash(into hasher: inout Hasher) { hasher.combine(bytes) }
}

/// What a message remembers about how it was encoded, so that `decode` then `encode` gives
/// back the same bytes: which fields were present (proto2 keeps `name: ""` apart from no
/// name), which repeated scalars were packed, and every field it does not model.
///
/// Equality looks only at the unknown fields (content); presence and packing are hints about
/// the form, not the meaning, so a decoded message equals the same message built in code.
public struct WireDetails: Sendable, Hashable {
    /// Bit n: field n appeared in the input.
    var present: UInt64 = 0
    /// Bit n: field n appeared length-delimited (for a repeated scalar: packed).
    var delimited: UInt64 = 0
    /// Number of the last known field decoded, while decoding (the anchor of the next unknown).
    var lastKnown = 0
    /// Fields the message does not model, in input order, written back where they were.
    public internal(set) var unknownFields: [UnknownField] = []

    /// No hints: the writer uses the canonical form (what a protobuf library would write).
    public init() {}

    /// Whether field `number` appeared in the input.
    public func has(_ number: Int) -> Bool {
        number < 64 && present & (1 << UInt64(number)) != 0
    }

    /// Whether repeated scalar field `number` should be written packed: as the input had it,
    /// else as its declaration says.
    func packed(_ number: Int, byDefault: Bool) -> Bool {
        guard has(number) else { return byDefault }
        return delimited & (1 << UInt64(number)) != 0
    }

    /// Records that a known field was decoded.
    mutating func saw(_ key: FieldKey) {
        lastKnown = key.number
        guard key.number < 64 else { return }
        let bit: UInt64 = 1 << UInt64(key.number)
        present |= bit
        if key.wireType == .lengthDelimited { delimited |= bit }
    }

    /// Marks field `number` absent, so a default value set in code is not written.
    mutating func forget(_ number: Int) {
        guard number < 64 else { return }
        present &= ~(1 << UInt64(number))
        delimited &= ~(1 << UInt64(number))
    }

    /// Forgets the form the input had (presence, packing) but keeps unknown fields: the next
    /// encode is canonical.
    public mutating func resetForm() {
        present = 0
        delimited = 0
    }

    /// Unknown fields only: see the type's comment.
    public static func == (a: WireDetails, b: WireDetails) -> Bool { a.unknownFields == b.unknownFields }

    /// Hashes what `==` compares.
    public func hash(into hasher: inout Hasher) { hasher.combine(unknownFields) }
}

/// A message of the ONNX schema: decoded field by field, encoded in field-number order with
/// its unknown fields put back where they were.
public protocol ProtoMessage: Sendable, Hashable {
    /// The empty message (every field absent).
    init()
    /// Name for error paths (`GraphProto`).
    static var protoName: String { get }
    /// Presence, packing and unknown fields (see `WireDetails`).
    var wire: WireDetails { get set }
    /// Reads one field's payload into the message; returns false for a field it does not
    /// model (the reader then keeps it as an unknown field).
    mutating func decodeField(_ key: FieldKey, from reader: inout ProtoReader) throws(ONNXError) -> Bool
    /// Writes every field in field-number order.
    func encode(to writer: inout ProtoWriter)
}

/// Whole-buffer decoding and encoding for every message type.
extension ProtoMessage {
    /// Decodes a whole buffer as this message.
    public init(serialized bytes: [UInt8]) throws(ONNXError) {
        let result: Result<Self, ONNXError> = bytes.withUnsafeBytes { raw in
            var reader = ProtoReader(raw)
            do throws(ONNXError) {
                return .success(try reader.decodeRoot(Self.self))
            } catch {
                return .failure(error)
            }
        }
        self = try result.get()
    }

    /// Encodes the message (no length prefix), as it would be stored in a file.
    public func serialized() -> [UInt8] {
        var writer = ProtoWriter()
        writer.root(self)
        return writer.bytes
    }
}
