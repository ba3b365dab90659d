import GSCore

/// A strict JSON reader for the documents a bundle carries (`manifest.json`, `manifest.sig`).
///
/// Strict because those bytes come from outside: input must be valid UTF-8, duplicate keys are
/// refused (two readers must never disagree on a value), nesting is bounded, integers stay
/// integers (`5` is `.int`, `5.0` is `.double`) so re-encoding gives the same canonical bytes.
public enum JSONParser {
    /// Deeper documents are refused: recursion must not be driven by input.
    public static let maxDepth = 64

    /// Parses `bytes` as one JSON value; `what` names the document in errors.
    public static func parse(_ bytes: [UInt8], what: String) throws(GSError) -> JSONValue {
        guard String(validating: bytes, as: UTF8.self) != nil else {
            throw GSError("\(what) is not valid UTF-8")
        }
        var reader = Reader(bytes: bytes, what: what)
        reader.skipWhitespace()
        let value = try reader.value(depth: 0)
        reader.skipWhitespace()
        guard reader.offset == bytes.count else { throw reader.failure("unexpected text after the JSON value") }
        return value
    }

    /// Parses and also requires canonical form (what `JSONValue.canonical` writes): one
    /// spelling per value, so a digest or signature over the bytes covers exactly one meaning.
    public static func parseCanonical(_ bytes: [UInt8], what: String) throws(GSError) -> JSONValue {
        let value = try parse(bytes, what: what)
        guard value.canonical.utf8.elementsEqual(bytes) else {
            throw GSError(
                "\(what) is not canonical JSON",
                hint: "it must be written as gsctl writes it: sorted keys, no whitespace, fixed number form")
        }
        return value
    }
}

private struct Reader {
    let bytes: [UInt8]
    let what: String
    var offset = 0

    init(bytes: [UInt8], what: String) {
        self.bytes = bytes
        self.what = what
    }

    func failure(_ reason: String) -> GSError {
        GSError("\(what) is not valid JSON at byte \(offset): \(reason)")
    }

    mutating func skipWhitespace() {
        while offset < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[offset]) { offset += 1 }
    }

    func peek() -> UInt8? { offset < bytes.count ? bytes[offset] : nil }

    mutating func expect(_ byte: UInt8) throws(GSError) {
        guard peek() == byte else { throw failure("expected `\(Character(Unicode.Scalar(byte)))`") }
        offset += 1
    }

    mutating func value(depth: Int) throws(GSError) -> JSONValue {
        guard depth < JSONParser.maxDepth else { throw failure("nested deeper than \(JSONParser.maxDepth) levels") }
        guard let byte = peek() else { throw failure("unexpected end") }
        switch byte {
        case UInt8(ascii: "{"): return try object(depth: depth)
        case UInt8(ascii: "["): return try array(depth: depth)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): return try literal("true", .bool(true))
        case UInt8(ascii: "f"): return try literal("false", .bool(false))
        case UInt8(ascii: "n"): return try literal("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: throw failure("unexpected character")
        }
    }

    mutating func literal(_ word: String, _ value: JSONValue) throws(GSError) -> JSONValue {
        let spelled = Array(word.utf8)
        guard offset + spelled.count <= bytes.count, Array(bytes[offset..<offset + spelled.count]) == spelled else {
            throw failure("expected `\(word)`")
        }
        offset += spelled.count
        return value
    }

    mutating func object(depth: Int) throws(GSError) -> JSONValue {
        try expect(UInt8(ascii: "{"))
        var members: [String: JSONValue] = [:]
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            offset += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard peek() == UInt8(ascii: "\"") else { throw failure("expected a key in quotes") }
            let keyOffset = offset
            let key = try string()
            guard members[key] == nil else {
                offset = keyOffset
                throw failure("duplicate key `\(key)`")
            }
            skipWhitespace()
            try expect(UInt8(ascii: ":"))
            skipWhitespace()
            members[key] = try value(depth: depth + 1)
            skipWhitespace()
            if peek() == UInt8(ascii: ",") {
                offset += 1
                continue
            }
            try expect(UInt8(ascii: "}"))
            return .object(members)
        }
    }

    mutating func array(depth: Int) throws(GSError) -> JSONValue {
        try expect(UInt8(ascii: "["))
        var items: [JSONValue] = []
        skipWhitespace()
        if peek() == UInt8(ascii: "]") {
            offset += 1
            return .array(items)
        }
        while true {
            skipWhitespace()
            items.append(try value(depth: depth + 1))
            skipWhitespace()
            if peek() == UInt8(ascii: ",") {
                offset += 1
                continue
            }
            try expect(UInt8(ascii: "]"))
            return .array(items)
        }
    }

    mutating func string() throws(GSError) -> String {
        try expect(UInt8(ascii: "\""))
        var out: [UInt8] = []
        while true {
            guard let byte = peek() else { throw failure("unterminated string") }
            offset += 1
            switch byte {
            case UInt8(ascii: "\""):
                return String(decoding: out, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard let escaped = peek() else { throw failure("unterminated escape") }
                offset += 1
                switch escaped {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escaped)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"): out.append(contentsOf: try unicodeEscape())
                default: throw failure("unknown escape")
                }
            case 0..<0x20:
                throw failure("control character in a string")
            default:
                out.append(byte)
            }
        }
    }

    /// `\uXXXX`, with surrogate pairs joined; lone surrogates are refused.
    mutating func unicodeEscape() throws(GSError) -> [UInt8] {
        var scalarValue = try hex4()
        if (0xD800..<0xDC00).contains(scalarValue) {
            guard peek() == UInt8(ascii: "\\"), offset + 1 < bytes.count, bytes[offset + 1] == UInt8(ascii: "u")
            else { throw failure("lone surrogate in \\u escape") }
            offset += 2
            let low = try hex4()
            guard (0xDC00..<0xE000).contains(low) else { throw failure("lone surrogate in \\u escape") }
            scalarValue = 0x10000 + ((scalarValue - 0xD800) << 10) + (low - 0xDC00)
        }
        guard let scalar = Unicode.Scalar(scalarValue) else { throw failure("lone surrogate in \\u escape") }
        return Array(String(Character(scalar)).utf8)
    }

    mutating func hex4() throws(GSError) -> UInt32 {
        guard offset + 4 <= bytes.count,
            let value = UInt32(String(decoding: bytes[offset..<offset + 4], as: UTF8.self), radix: 16)
        else { throw failure("bad \\u escape") }
        offset += 4
        return value
    }

    mutating func number() throws(GSError) -> JSONValue {
        let start = offset
        var isInteger = true
        if peek() == UInt8(ascii: "-") { offset += 1 }
        guard let first = peek(), isDigit(first) else { throw failure("bad number") }
        if first == UInt8(ascii: "0") {
            offset += 1
        } else {
            skipDigits()
        }
        if peek() == UInt8(ascii: ".") {
            isInteger = false
            offset += 1
            guard let digit = peek(), isDigit(digit) else { throw failure("bad number: digits must follow `.`") }
            skipDigits()
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            isInteger = false
            offset += 1
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { offset += 1 }
            guard let digit = peek(), isDigit(digit) else {
                throw failure("bad number: digits must follow the exponent")
            }
            skipDigits()
        }
        let text = String(decoding: bytes[start..<offset], as: UTF8.self)
        if isInteger {
            guard let value = Int(text) else { throw failure("integer `\(text)` is out of range") }
            return .int(value)
        }
        guard let value = Double(text), value.isFinite else { throw failure("number `\(text)` is out of range") }
        return .double(value)
    }

    mutating func skipDigits() {
        while let byte = peek(), isDigit(byte) { offset += 1 }
    }

    func isDigit(_ byte: UInt8) -> Bool { byte >= 48 && byte <= 57 }
}
