#if !_endian(little)
    #error("the ONNX codec copies little-endian wire data straight into memory: a little-endian host is assumed")
#endif

/// Reads protobuf wire format from a buffer without copying it: keys, varints, fixed-width
/// values, and length-delimited payloads as slices of the input.
///
/// Every read checks the bytes left in the current message before it touches them, so a
/// truncated or corrupt file throws `ONNXError` with the offset, never traps. The buffer must
/// outlive the reader (use it inside `withUnsafeBytes`).
public struct ProtoReader {
    /// Deepest message nesting accepted; ONNX nests about three messages per subgraph level.
    public static let maxDepth = 256
    /// Deepest subgraph nesting accepted (Loop inside If inside Loop...).
    public static let maxGraphDepth = 64

    /// The whole input: offsets in errors are relative to its start.
    let buffer: UnsafeRawBufferPointer
    /// Next byte to read.
    public private(set) var position: Int
    /// End of the message being read (exclusive).
    public private(set) var end: Int
    /// Messages entered so far.
    var depth = 0
    /// Graphs entered so far.
    var graphDepth = 0

    /// A reader over all of `buffer`.
    public init(_ buffer: UnsafeRawBufferPointer) {
        self.buffer = buffer
        position = 0
        end = buffer.count
    }

    /// Whether the current message has no bytes left.
    public var isAtEnd: Bool { position >= end }

    // MARK: Primitives

    /// Reads a base-128 varint (at most 10 bytes; bits past 64 are dropped, as protobuf does).
    public mutating func varint() throws(ONNXError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        var index = position
        while true {
            guard index < end else {
                throw ONNXError(.truncated, "input ends inside a varint", offset: position)
            }
            let byte = buffer[index]
            index += 1
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 {
                position = index
                return result
            }
            shift += 7
            if shift >= 70 {
                throw ONNXError(.varintTooLong, "varint longer than 10 bytes", offset: position)
            }
        }
    }

    /// Reads four little-endian bytes.
    public mutating func fixed32() throws(ONNXError) -> UInt32 {
        guard end - position >= 4 else {
            throw ONNXError(.truncated, "input ends inside a 4-byte value", offset: position)
        }
        let value = buffer.loadUnaligned(fromByteOffset: position, as: UInt32.self)
        position += 4
        return UInt32(littleEndian: value)
    }

    /// Reads eight little-endian bytes.
    public mutating func fixed64() throws(ONNXError) -> UInt64 {
        guard end - position >= 8 else {
            throw ONNXError(.truncated, "input ends inside an 8-byte value", offset: position)
        }
        let value = buffer.loadUnaligned(fromByteOffset: position, as: UInt64.self)
        position += 8
        return UInt64(littleEndian: value)
    }

    /// Reads a length prefix and steps over the payload; returns the payload's byte range.
    public mutating func lengthDelimited() throws(ONNXError) -> Range<Int> {
        let lengthOffset = position
        let length = try varint()
        let available = end - position
        guard length <= UInt64(available) else {
            throw ONNXError(
                .lengthPastEnd, "length \(length) runs past the end of the message (\(available) bytes left)",
                offset: lengthOffset)
        }
        let start = position
        position += Int(length)
        return start..<position
    }

    /// Reads a field key; checks the field number and wire type.
    public mutating func key() throws(ONNXError) -> FieldKey {
        let offset = position
        let raw = try varint()
        let number = raw >> 3
        guard number >= 1, number <= 0x1FFF_FFFF else {
            throw ONNXError(.invalidFieldNumber, "invalid field number \(number)", offset: offset)
        }
        let wireValue = UInt8(truncatingIfNeeded: raw & 7)
        guard let wireType = WireType(rawValue: wireValue) else {
            let what = wireValue == 3 || wireValue == 4 ? " (groups are not used by ONNX)" : ""
            throw ONNXError(
                .invalidWireType, "invalid wire type \(wireValue) for field \(number)\(what)", offset: offset)
        }
        return FieldKey(number: Int(number), wireType: wireType, offset: offset)
    }

    /// Steps over a field's payload.
    public mutating func skip(_ key: FieldKey) throws(ONNXError) {
        switch key.wireType {
        case .varint: _ = try varint()
        case .fixed64: _ = try fixed64()
        case .fixed32: _ = try fixed32()
        case .lengthDelimited: _ = try lengthDelimited()
        }
    }

    /// The bytes of `range` as an array (one bulk copy).
    public func bytes(in range: Range<Int>) -> [UInt8] {
        [UInt8](UnsafeRawBufferPointer(rebasing: buffer[range]))
    }

    // MARK: Messages

    /// Decodes the whole buffer as a top-level message.
    public mutating func decodeRoot<M: ProtoMessage>(_ type: M.Type) throws(ONNXError) -> M {
        var message = M()
        do throws(ONNXError) {
            try decodeFields(into: &message)
        } catch {
            var error = error
            error.path.insert(M.protoName, at: 0)
            throw error
        }
        return message
    }

    /// Reads fields up to the end of the current message into `message`.
    mutating func decodeFields<M: ProtoMessage>(into message: inout M) throws(ONNXError) {
        while position < end {
            let key = try key()
            if try message.decodeField(key, from: &self) {
                message.wire.saw(key)
            } else {
                try keepUnknown(key, in: &message.wire)
            }
        }
        message.wire.lastKnown = 0
    }

    /// Steps over a field no message type models and keeps its exact bytes.
    mutating func keepUnknown(_ key: FieldKey, in wire: inout WireDetails) throws(ONNXError) {
        try skip(key)
        wire.unknownFields.append(
            UnknownField(number: key.number, bytes: bytes(in: key.offset..<position), anchor: wire.lastKnown))
    }

    /// Decodes an embedded message; `name` and `index` build the error path.
    public mutating func message<M: ProtoMessage>(_ key: FieldKey, _ name: StaticString, index: Int? = nil)
        throws(ONNXError) -> M
    {
        var message = M()
        do throws(ONNXError) {
            try expect(key, .lengthDelimited, "a message")
            let range = try lengthDelimited()
            guard depth < Self.maxDepth else {
                throw ONNXError(.tooDeep, "messages nested deeper than \(Self.maxDepth) levels", offset: key.offset)
            }
            let isGraph = M.self == GraphProto.self
            if isGraph, graphDepth >= Self.maxGraphDepth {
                throw ONNXError(
                    .tooDeep, "subgraphs nested deeper than \(Self.maxGraphDepth) levels", offset: key.offset)
            }
            let savedEnd = end
            let savedPosition = position
            position = range.lowerBound
            end = range.upperBound
            depth += 1
            if isGraph { graphDepth += 1 }
            defer {
                depth -= 1
                if isGraph { graphDepth -= 1 }
                position = savedPosition
                end = savedEnd
            }
            try decodeFields(into: &message)
        } catch {
            var error = error
            error.path.insert(".\(name)" + (index.map { "[\($0)]" } ?? ""), at: 0)
            throw error
        }
        return message
    }

    // MARK: Typed fields

    /// Throws unless the key has the wire type the field's declaration needs.
    public func expect(_ key: FieldKey, _ wireType: WireType, _ what: String) throws(ONNXError) {
        guard key.wireType == wireType else {
            throw ONNXError(
                .wrongWireType, "field \(key.number) has wire type \(key.wireType.rawValue), expected \(what)",
                offset: key.offset)
        }
    }

    /// An int64 field (negative values are 10-byte varints).
    public mutating func int64(_ key: FieldKey) throws(ONNXError) -> Int64 {
        try expect(key, .varint, "a varint")
        return Int64(bitPattern: try varint())
    }

    /// An int32 or enum field (negative values are sign-extended 10-byte varints).
    public mutating func int32(_ key: FieldKey) throws(ONNXError) -> Int32 {
        try expect(key, .varint, "a varint")
        return Int32(truncatingIfNeeded: try varint())
    }

    /// A float field.
    public mutating func float(_ key: FieldKey) throws(ONNXError) -> Float {
        try expect(key, .fixed32, "a 4-byte float")
        return Float(bitPattern: try fixed32())
    }

    /// A string field (invalid UTF-8 is repaired with U+FFFD, as Swift strings must be valid).
    public mutating func string(_ key: FieldKey) throws(ONNXError) -> String {
        try expect(key, .lengthDelimited, "a string")
        let range = try lengthDelimited()
        return String(decoding: UnsafeRawBufferPointer(rebasing: buffer[range]), as: UTF8.self)
    }

    /// A bytes field, copied out in one go.
    public mutating func bytes(_ key: FieldKey) throws(ONNXError) -> [UInt8] {
        try expect(key, .lengthDelimited, "bytes")
        return bytes(in: try lengthDelimited())
    }

    /// Reads a packed run's length and limits the reader to its payload; returns the end to
    /// restore once the run is read. (Plain loops at the call sites rather than a closure:
    /// typed-throwing closures crash the 6.3 optimizer.)
    private mutating func enterPacked() throws(ONNXError) -> Int {
        let range = try lengthDelimited()
        let savedEnd = end
        position = range.lowerBound
        end = range.upperBound
        return savedEnd
    }

    /// A repeated int64 field, packed or not.
    public mutating func appendInt64s(_ key: FieldKey, to values: inout [Int64]) throws(ONNXError) {
        switch key.wireType {
        case .varint: values.append(Int64(bitPattern: try varint()))
        case .lengthDelimited:
            let savedEnd = try enterPacked()
            while position < end { values.append(Int64(bitPattern: try varint())) }
            end = savedEnd
        default: try expect(key, .varint, "a varint or a packed run")
        }
    }

    /// A repeated int32 field, packed or not.
    public mutating func appendInt32s(_ key: FieldKey, to values: inout [Int32]) throws(ONNXError) {
        switch key.wireType {
        case .varint: values.append(Int32(truncatingIfNeeded: try varint()))
        case .lengthDelimited:
            let savedEnd = try enterPacked()
            while position < end { values.append(Int32(truncatingIfNeeded: try varint())) }
            end = savedEnd
        default: try expect(key, .varint, "a varint or a packed run")
        }
    }

    /// A repeated uint64 field, packed or not.
    public mutating func appendUInt64s(_ key: FieldKey, to values: inout [UInt64]) throws(ONNXError) {
        switch key.wireType {
        case .varint: values.append(try varint())
        case .lengthDelimited:
            let savedEnd = try enterPacked()
            while position < end { values.append(try varint()) }
            end = savedEnd
        default: try expect(key, .varint, "a varint or a packed run")
        }
    }

    /// A repeated float field, packed (one bulk copy) or not.
    public mutating func appendFloats(_ key: FieldKey, to values: inout [Float]) throws(ONNXError) {
        switch key.wireType {
        case .fixed32: values.append(Float(bitPattern: try fixed32()))
        case .lengthDelimited: try appendFixedWidth(key, to: &values)
        default: try expect(key, .fixed32, "a 4-byte float or a packed run")
        }
    }

    /// A repeated double field, packed (one bulk copy) or not.
    public mutating func appendDoubles(_ key: FieldKey, to values: inout [Double]) throws(ONNXError) {
        switch key.wireType {
        case .fixed64: values.append(Double(bitPattern: try fixed64()))
        case .lengthDelimited: try appendFixedWidth(key, to: &values)
        default: try expect(key, .fixed64, "an 8-byte double or a packed run")
        }
    }

    /// A packed run of fixed-width values, copied straight from the input.
    private mutating func appendFixedWidth<T: BitwiseCopyable>(_ key: FieldKey, to values: inout [T])
        throws(ONNXError)
    {
        let range = try lengthDelimited()
        let size = MemoryLayout<T>.size
        guard range.count % size == 0 else {
            throw ONNXError(
                .truncated, "packed field \(key.number) has \(range.count) bytes, not a multiple of \(size)",
                offset: key.offset)
        }
        let source = UnsafeRawBufferPointer(rebasing: buffer[range])
        let count = range.count / size
        let run = [T](unsafeUninitializedCapacity: count) { destination, initialized in
            UnsafeMutableRawBufferPointer(destination).copyMemory(from: source)
            initialized = count
        }
        if values.isEmpty { values = run } else { values.append(contentsOf: run) }
    }
}
