import GSCore
import GSExec

/// The element types gsctl reads from and writes to `.npy` files, by numpy's `descr` code.
///
/// Only little-endian, C-order, non-structured arrays are supported: that is what `np.save`
/// writes on every machine gsctl targets, and it lets the data be copied without swapping.
public enum NpyType: String, Sendable, Hashable, CaseIterable {
    case float32 = "<f4"
    case float16 = "<f2"
    case float64 = "<f8"
    case uint8 = "|u1"
    case int8 = "|i1"
    case int32 = "<i4"
    case int64 = "<i8"
    case bool = "|b1"

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .uint8, .int8, .bool: 1
        case .float16: 2
        case .float32, .int32: 4
        case .float64, .int64: 8
        }
    }

    /// numpy's name for the type, for messages (`float32`, `uint8`, ...).
    public var name: String {
        switch self {
        case .float32: "float32"
        case .float16: "float16"
        case .float64: "float64"
        case .uint8: "uint8"
        case .int8: "int8"
        case .int32: "int32"
        case .int64: "int64"
        case .bool: "bool"
        }
    }

    /// The type of a tensor's storage.
    public init(_ storage: Tensor.Storage) {
        switch storage {
        case .float: self = .float32
        case .float16: self = .float16
        case .double: self = .float64
        case .uint8: self = .uint8
        case .int8: self = .int8
        case .int32: self = .int32
        case .int64: self = .int64
        case .bool: self = .bool
        }
    }

    /// Parses a `descr`; one-byte types may carry any byte-order mark (`<u1`, `=u1`, `|u1`).
    static func parse(_ descr: String, name: String) throws(GSError) -> NpyType {
        if let type = NpyType(rawValue: descr) { return type }
        let utf8 = Array(descr.utf8)
        if utf8.count == 3, let order = utf8.first {
            let code = String(decoding: utf8[1...], as: UTF8.self)
            if let single = NpyType.allCases.first(where: { $0.size == 1 && $0.rawValue.hasSuffix(code) }),
                order == UInt8(ascii: "<") || order == UInt8(ascii: "=") || order == UInt8(ascii: ">")
                    || order == UInt8(ascii: "|")
            {
                return single
            }
            if order == UInt8(ascii: ">"), NpyType(rawValue: "<" + code) != nil {
                throw GSError(
                    "`\(name)` holds big-endian data (`\(descr)`); gsctl reads little-endian arrays only",
                    hint: "save it little-endian: `np.save(path, arr.astype(arr.dtype.newbyteorder('<')))`")
            }
        }
        let supported = NpyType.allCases.map { "`\($0.rawValue)` (\($0.name))" }.joined(separator: ", ")
        throw GSError(
            "`\(name)` has element type `\(descr)`, which gsctl does not read",
            hint: "supported: \(supported)")
    }
}

/// The header of an `.npy` file: what the bytes after it are.
///
/// Format (numpy's `format.py`): the magic `\x93NUMPY`, a major and minor version, the header
/// length (2 bytes little-endian in 1.0, 4 bytes in 2.0 and 3.0), then a Python dict literal
/// `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }` padded with spaces and `\n`.
public struct NpyHeader: Sendable, Hashable {
    public var type: NpyType
    public var shape: [Int]
    /// Where the elements start, from the beginning of the file.
    public var dataOffset: Int
    public var version: UInt8

    /// Element count of the shape; `nil` when it overflows.
    public var elementCount: Int? {
        var total = 1
        for dimension in shape {
            let (product, overflow) = total.multipliedReportingOverflow(by: dimension)
            if overflow { return nil }
            total = product
        }
        return total
    }

    /// Bytes the data takes; `nil` when it overflows.
    public var byteCount: Int? {
        guard let count = elementCount else { return nil }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: type.size)
        return overflow ? nil : bytes
    }

    static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)
    /// numpy refuses longer headers unless told otherwise (`max_header_size`); a header this
    /// large is never a real array description.
    static let maxHeaderLength = 1 << 20

    /// Bytes of the fixed prefix for a version: magic, version, length field.
    static func prefixLength(version: UInt8) -> Int { version == 1 ? 10 : 12 }

    /// Parses the header at the start of `bytes` (which may hold only the start of the file).
    /// Returns `nil` when more bytes are needed, with the total the header takes.
    static func parse(_ bytes: UnsafeRawBufferPointer, name: String) throws(GSError) -> (NpyHeader?, needed: Int) {
        if bytes.count < 10 {
            if !bytes.elementsEqual(magic.prefix(bytes.count)) { throw notNpy(name) }
            return (nil, 10)
        }
        guard bytes.prefix(6).elementsEqual(magic) else { throw notNpy(name) }
        let major = bytes[6]
        guard major >= 1, major <= 3 else {
            throw GSError(
                "`\(name)` is .npy format version \(major).\(bytes[7]); gsctl reads versions 1.0, 2.0 and 3.0")
        }
        let prefix = prefixLength(version: major)
        if bytes.count < prefix { return (nil, prefix) }
        var length = Int(bytes[8]) | Int(bytes[9]) << 8
        if major >= 2 { length |= Int(bytes[10]) << 16 | Int(bytes[11]) << 24 }
        guard length <= maxHeaderLength else {
            throw GSError("`\(name)` declares a \(length)-byte .npy header, over the \(maxHeaderLength)-byte limit")
        }
        let total = prefix + length
        if bytes.count < total { return (nil, total) }
        // Versions 1 and 2 are latin-1, version 3 UTF-8; the keys and values we accept are ASCII.
        let text = Array(bytes[prefix..<total])
        var parser = DictLiteralParser(bytes: text, name: name)
        let fields = try parser.parse()
        let expected: Set<String> = ["descr", "fortran_order", "shape"]
        guard Set(fields.keys) == expected else {
            throw GSError(
                "`\(name)` has an .npy header with keys \(fields.keys.sorted().map { "`\($0)`" }.joined(separator: ", "))"
                    + "; expected `descr`, `fortran_order` and `shape`")
        }
        guard case .string(let descr)? = fields["descr"] else {
            throw GSError("`\(name)` holds a structured array (`descr` is not a string); gsctl reads plain arrays only")
        }
        guard case .bool(let fortran)? = fields["fortran_order"] else {
            throw GSError("`\(name)`: `fortran_order` in the .npy header is not True or False")
        }
        guard case .tuple(let shape)? = fields["shape"] else {
            throw GSError("`\(name)`: `shape` in the .npy header is not a tuple of integers")
        }
        if fortran {
            throw GSError(
                "`\(name)` is stored in Fortran order; gsctl reads C-order arrays only",
                hint: "save it with `np.save(path, np.ascontiguousarray(arr))`")
        }
        let type = try NpyType.parse(descr, name: name)
        let header = NpyHeader(type: type, shape: shape, dataOffset: total, version: major)
        guard header.byteCount != nil else {
            throw GSError("`\(name)`: shape \(shapeText(shape)) in the .npy header is too large to address")
        }
        return (header, total)
    }

    /// `parse` over an array (the start of a file read so far).
    static func parse(_ bytes: [UInt8], name: String) throws(GSError) -> (NpyHeader?, needed: Int) {
        try withRawBytes(bytes) { raw throws(GSError) in try parse(raw, name: name) }
    }

    private static func notNpy(_ name: String) -> GSError {
        GSError("`\(name)` is not an .npy file (no `\\x93NUMPY` magic)", hint: "write arrays with `np.save`")
    }

    /// The bytes numpy 1.26's `np.save` writes before the data, byte for byte.
    ///
    /// Same dict text, the same spare room for growing the first axis (21 digits), and the
    /// same padding to a 64-byte boundary ending in `\n`; version 1.0 unless the header needs
    /// more than 65,535 bytes. Identical bytes make golden files diffable against numpy's.
    static func encode(type: NpyType, shape: [Int]) -> [UInt8] {
        let shapeRepr = shapeText(shape)
        var dict = "{'descr': '\(type.rawValue)', 'fortran_order': False, 'shape': \(shapeRepr), }"
        if let first = shape.first {
            dict += String(repeating: " ", count: max(0, 21 - String(first).utf8.count))
        }
        var text = Array(dict.utf8)
        let headerLength = text.count + 1
        var version: UInt8 = 1
        var padding = 64 - ((6 + 2 + 2 + headerLength) % 64)
        if headerLength + padding > 65535 {
            version = 2
            padding = 64 - ((6 + 2 + 4 + headerLength) % 64)
        }
        text += [UInt8](repeating: 0x20, count: padding)
        text.append(0x0A)
        var out = magic + [version, 0]
        let length = text.count
        out += [UInt8(length & 0xFF), UInt8((length >> 8) & 0xFF)]
        if version == 2 { out += [UInt8((length >> 16) & 0xFF), UInt8((length >> 24) & 0xFF)] }
        return out + text
    }
}

/// A shape as Python writes a tuple: `()`, `(3,)`, `(2, 3)`.
func shapeText(_ shape: [Int]) -> String {
    if shape.count == 1 { return "(\(shape[0]),)" }
    return "(" + shape.map(String.init).joined(separator: ", ") + ")"
}

/// The few Python literals an .npy header uses: a dict of string keys to strings, `True`,
/// `False` and tuples of integers (`3L` as Python 2 wrote long integers is accepted).
private struct DictLiteralParser {
    enum Value {
        case string(String)
        case bool(Bool)
        case tuple([Int])
    }

    let bytes: [UInt8]
    let name: String
    var index = 0

    init(bytes: [UInt8], name: String) {
        self.bytes = bytes
        self.name = name
    }

    mutating func parse() throws(GSError) -> [String: Value] {
        var fields: [String: Value] = [:]
        try expect(UInt8(ascii: "{"))
        while true {
            skipSpace()
            if peek() == UInt8(ascii: "}") {
                index += 1
                break
            }
            guard let key = try string() else { throw malformed("a quoted key") }
            try expect(UInt8(ascii: ":"))
            fields[key] = try value()
            skipSpace()
            if peek() == UInt8(ascii: ",") {
                index += 1
                continue
            }
            try expect(UInt8(ascii: "}"))
            break
        }
        skipSpace()
        guard index == bytes.count else { throw malformed("the end of the header") }
        return fields
    }

    private mutating func value() throws(GSError) -> Value {
        skipSpace()
        if let text = try string() { return .string(text) }
        if consume("True") { return .bool(true) }
        if consume("False") { return .bool(false) }
        if peek() == UInt8(ascii: "(") {
            index += 1
            var items: [Int] = []
            while true {
                skipSpace()
                if peek() == UInt8(ascii: ")") {
                    index += 1
                    return .tuple(items)
                }
                items.append(try integer())
                skipSpace()
                if peek() == UInt8(ascii: ",") {
                    index += 1
                } else {
                    try expect(UInt8(ascii: ")"))
                    return .tuple(items)
                }
            }
        }
        if peek() == UInt8(ascii: "[") {
            throw GSError("`\(name)` holds a structured array (`descr` is a list); gsctl reads plain arrays only")
        }
        throw malformed("a string, True, False or a tuple")
    }

    private mutating func integer() throws(GSError) -> Int {
        var value = 0
        var digits = 0
        while let byte = peek(), byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
            let (times, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times.addingReportingOverflow(Int(byte - UInt8(ascii: "0")))
            guard !o1, !o2 else { throw GSError("`\(name)`: a dimension in the .npy header overflows") }
            value = sum
            digits += 1
            index += 1
        }
        guard digits > 0 else { throw malformed("a non-negative integer dimension") }
        if peek() == UInt8(ascii: "L") { index += 1 }
        return value
    }

    private mutating func string() throws(GSError) -> String? {
        skipSpace()
        guard let quote = peek(), quote == UInt8(ascii: "'") || quote == UInt8(ascii: "\"") else { return nil }
        index += 1
        let start = index
        while let byte = peek(), byte != quote {
            if byte == UInt8(ascii: "\\") { throw malformed("a string without escapes") }
            index += 1
        }
        guard peek() == quote else { throw malformed("a closing quote") }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        index += 1
        return text
    }

    private mutating func consume(_ word: String) -> Bool {
        let utf8 = Array(word.utf8)
        guard index + utf8.count <= bytes.count, Array(bytes[index..<index + utf8.count]) == utf8 else {
            return false
        }
        index += utf8.count
        return true
    }

    private mutating func expect(_ byte: UInt8) throws(GSError) {
        skipSpace()
        guard peek() == byte else { throw malformed("`\(Character(Unicode.Scalar(byte)))`") }
        index += 1
    }

    private func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func skipSpace() {
        while let byte = peek(), byte == 0x20 || byte == 0x0A || byte == 0x09 || byte == 0x0D { index += 1 }
    }

    private func malformed(_ expected: String) -> GSError {
        GSError("`\(name)` has a malformed .npy header: expected \(expected) at byte \(index) of the header dict")
    }
}
