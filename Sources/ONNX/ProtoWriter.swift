/// Writes protobuf wire format into one growing byte array.
///
/// Fields are written in the order the message's `encode` calls the writer (field-number
/// order); before each key, the unknown fields the input had before that point are put back,
/// so a decoded message re-encodes to the same bytes. Embedded messages are written in place
/// behind a one-byte length that is widened afterwards when needed (one move of the tail),
/// so no message is sized or copied twice.
public struct ProtoWriter {
    /// Everything written so far.
    public private(set) var bytes: [UInt8] = []
    /// Unknown fields of the message being written that are not yet put back.
    private var pending: ArraySlice<UnknownField> = []

    /// An empty writer.
    public init() {}

    // MARK: Primitives

    /// Bytes a varint takes (1 to 10).
    public static func varintSize(_ value: UInt64) -> Int {
        var size = 1
        var rest = value >> 7
        while rest != 0 {
            size += 1
            rest >>= 7
        }
        return size
    }

    /// Appends a base-128 varint.
    public mutating func varint(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }

    /// Appends four little-endian bytes.
    public mutating func fixed32(_ value: UInt32) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// Appends eight little-endian bytes.
    public mutating func fixed64(_ value: UInt64) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// Appends raw bytes (already encoded content).
    public mutating func append(_ raw: [UInt8]) { bytes.append(contentsOf: raw) }

    /// Puts back the pending unknown fields that came before field `number`, then writes the key.
    public mutating func key(_ number: Int, _ wireType: WireType) {
        flush(before: number)
        varint(UInt64(number) << 3 | UInt64(wireType.rawValue))
    }

    /// Puts back pending unknown fields whose anchor (last known field before them) is below `number`.
    private mutating func flush(before number: Int) {
        while let first = pending.first, first.anchor < number {
            bytes.append(contentsOf: first.bytes)
            pending.removeFirst()
        }
    }

    /// Puts back every pending unknown field (end of a message).
    private mutating func flushAll() {
        for field in pending { bytes.append(contentsOf: field.bytes) }
        pending = []
    }

    // MARK: Messages

    /// Writes a top-level message (no key, no length).
    public mutating func root<M: ProtoMessage>(_ message: M) {
        pending = message.wire.unknownFields[...]
        message.encode(to: &self)
        flushAll()
    }

    /// Writes an embedded message as field `number`.
    public mutating func message<M: ProtoMessage>(_ number: Int, _ message: M) {
        key(number, .lengthDelimited)
        let saved = pending
        pending = message.wire.unknownFields[...]
        let lengthAt = bytes.count
        bytes.append(0)
        message.encode(to: &self)
        flushAll()
        pending = saved
        let length = bytes.count - lengthAt - 1
        let size = Self.varintSize(UInt64(length))
        if size > 1 {
            bytes.insert(contentsOf: repeatElement(0, count: size - 1), at: lengthAt + 1)
        }
        var rest = UInt64(length)
        for index in lengthAt..<(lengthAt + size) {
            bytes[index] = UInt8(truncatingIfNeeded: rest) | (index + 1 < lengthAt + size ? 0x80 : 0)
            rest >>= 7
        }
    }

    /// Writes an optional embedded message when it is there.
    public mutating func message<M: ProtoMessage>(_ number: Int, _ message: M?) {
        if let message { self.message(number, message) }
    }

    /// Writes each message of a repeated field.
    public mutating func messages<M: ProtoMessage>(_ number: Int, _ messages: [M]) {
        for message in messages { self.message(number, message) }
    }

    // MARK: Singular scalars (written when non-default or present in the input)

    /// An int64 field.
    public mutating func int64(_ number: Int, _ value: Int64, present: Bool) {
        guard value != 0 || present else { return }
        key(number, .varint)
        varint(UInt64(bitPattern: value))
    }

    /// An int32 or enum field (negative values sign-extended to 10 bytes, as protobuf does).
    public mutating func int32(_ number: Int, _ value: Int32, present: Bool) {
        guard value != 0 || present else { return }
        key(number, .varint)
        varint(UInt64(bitPattern: Int64(value)))
    }

    /// A float field (written when its bits are not zero, so -0.0 survives).
    public mutating func float(_ number: Int, _ value: Float, present: Bool) {
        guard value.bitPattern != 0 || present else { return }
        key(number, .fixed32)
        fixed32(value.bitPattern)
    }

    /// A string field.
    public mutating func string(_ number: Int, _ value: String, present: Bool) {
        guard !value.isEmpty || present else { return }
        key(number, .lengthDelimited)
        varint(UInt64(value.utf8.count))
        bytes.append(contentsOf: value.utf8)
    }

    /// A bytes field.
    public mutating func bytes(_ number: Int, _ value: [UInt8], present: Bool) {
        guard !value.isEmpty || present else { return }
        key(number, .lengthDelimited)
        varint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    // MARK: Repeated

    /// A repeated string field.
    public mutating func strings(_ number: Int, _ values: [String]) {
        for value in values { string(number, value, present: true) }
    }

    /// A repeated bytes field.
    public mutating func byteStrings(_ number: Int, _ values: [[UInt8]]) {
        for value in values { bytes(number, value, present: true) }
    }

    /// A repeated varint field, packed (one length, then the varints) or one key per element.
    private mutating func varints<S: Collection>(_ number: Int, _ values: S, packed: Bool, force: Bool)
    where S.Element == UInt64 {
        if packed {
            guard !values.isEmpty || force else { return }
            key(number, .lengthDelimited)
            varint(UInt64(values.reduce(0) { $0 + Self.varintSize($1) }))
            for value in values { varint(value) }
        } else {
            for value in values {
                key(number, .varint)
                varint(value)
            }
        }
    }

    /// A repeated int64 field; `packed` from `WireDetails.packed(_:byDefault:)`.
    public mutating func int64s(_ number: Int, _ values: [Int64], packed: Bool, present: Bool) {
        varints(number, values.lazy.map { UInt64(bitPattern: $0) }, packed: packed, force: present)
    }

    /// A repeated int32 field.
    public mutating func int32s(_ number: Int, _ values: [Int32], packed: Bool, present: Bool) {
        varints(number, values.lazy.map { UInt64(bitPattern: Int64($0)) }, packed: packed, force: present)
    }

    /// A repeated uint64 field.
    public mutating func uint64s(_ number: Int, _ values: [UInt64], packed: Bool, present: Bool) {
        varints(number, values, packed: packed, force: present)
    }

    /// A repeated float field (packed: one bulk copy).
    public mutating func floats(_ number: Int, _ values: [Float], packed: Bool, present: Bool) {
        if packed {
            guard !values.isEmpty || present else { return }
            key(number, .lengthDelimited)
            varint(UInt64(values.count * 4))
            values.withUnsafeBytes { bytes.append(contentsOf: $0) }
        } else {
            for value in values {
                key(number, .fixed32)
                fixed32(value.bitPattern)
            }
        }
    }

    /// A repeated double field (packed: one bulk copy).
    public mutating func doubles(_ number: Int, _ values: [Double], packed: Bool, present: Bool) {
        if packed {
            guard !values.isEmpty || present else { return }
            key(number, .lengthDelimited)
            varint(UInt64(values.count * 8))
            values.withUnsafeBytes { bytes.append(contentsOf: $0) }
        } else {
            for value in values {
                key(number, .fixed64)
                fixed64(value.bitPattern)
            }
        }
    }
}
