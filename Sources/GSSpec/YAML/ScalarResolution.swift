/// How YAML tools type a plain (unquoted) scalar, so gsctl can warn where a string field
/// holds text that other tools would read as a number, boolean or null.
///
/// gsctl itself types scalars by the schema (a `version` is text whatever it looks like),
/// but the same file is read by editors, CI scripts and YAML 1.1 parsers (PyYAML, go-yaml
/// v2), where `version: 1.10` becomes 1.1 and `country: no` becomes false.
public enum ScalarResolution {
    public enum Reading: Equatable, Sendable {
        case null
        case bool(Bool)
        case int(Int)
        case float(Double)
        case string
    }

    /// YAML 1.2 core schema reading of a plain scalar.
    public static func core(_ text: String) -> Reading {
        switch text {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .float(.infinity)
        case "-.inf", "-.Inf", "-.INF": return .float(-.infinity)
        case ".nan", ".NaN", ".NAN": return .float(.nan)
        default: break
        }
        guard let first = text.utf8.first,
            first == UInt8(ascii: "-") || first == UInt8(ascii: "+") || first == UInt8(ascii: ".")
                || (first >= 48 && first <= 57)
        else { return .string }
        if let value = integer(text) { return .int(value) }
        if isDecimalFloat(text), let value = Double(text) { return .float(value) }
        return .string
    }

    /// Whether a YAML 1.1 parser (PyYAML's and go-yaml v2's implicit resolvers) would read
    /// this plain scalar as something other than text: booleans like `yes`/`no`/`on`/`off`,
    /// numbers like `1.10`, octal `010`, `1_000` or sexagesimal `1:30`.
    public static func yaml11NonString(_ text: String) -> Bool {
        if yaml11Bool(text) != nil { return true }
        if core(text) != .string { return true }
        let bytes = Array(text.utf8)
        return yaml11Int(bytes[...]) || yaml11Float(bytes[...])
    }

    /// `[-+]?(0b[01_]+ | 0[0-7_]+ | 0 | [1-9][0-9_]* | 0x[0-9a-fA-F_]+ | [1-9][0-9_]*(:[0-5]?[0-9])+)`
    static func yaml11Int(_ input: ArraySlice<UInt8>) -> Bool {
        var bytes = input
        if let sign = bytes.first, sign == 43 || sign == 45 { bytes = bytes.dropFirst() }
        guard let first = bytes.first else { return false }
        if bytes.starts(with: Array("0b".utf8)) {
            let rest = bytes.dropFirst(2)
            return !rest.isEmpty && rest.allSatisfy { $0 == 48 || $0 == 49 || $0 == 95 }
        }
        if bytes.starts(with: Array("0x".utf8)) {
            let rest = bytes.dropFirst(2)
            return !rest.isEmpty && rest.allSatisfy { isHex($0) || $0 == 95 }
        }
        if first == 48 { return bytes.dropFirst().allSatisfy { ($0 >= 48 && $0 <= 55) || $0 == 95 } }
        guard first >= 49, first <= 57 else { return false }
        var rest = bytes.dropFirst()
        while let byte = rest.first, isDigit(byte) || byte == 95 { rest = rest.dropFirst() }
        if rest.isEmpty { return true }
        return sexagesimalTail(&rest) && rest.isEmpty
    }

    /// `[-+]?[0-9][0-9_]*\.[0-9_]*([eE][-+][0-9]+)? | \.[0-9_]+([eE][-+][0-9]+)?
    ///  | [-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]*`
    static func yaml11Float(_ input: ArraySlice<UInt8>) -> Bool {
        var bytes = input
        if bytes.first == 46 {
            bytes = bytes.dropFirst()
            guard let first = bytes.first, isDigit(first) || first == 95 else { return false }
            while let byte = bytes.first, isDigit(byte) || byte == 95 { bytes = bytes.dropFirst() }
            return exponentTail(&bytes) && bytes.isEmpty
        }
        if let sign = bytes.first, sign == 43 || sign == 45 { bytes = bytes.dropFirst() }
        guard let first = bytes.first, isDigit(first) else { return false }
        while let byte = bytes.first, isDigit(byte) || byte == 95 { bytes = bytes.dropFirst() }
        if bytes.first == 58 {
            guard sexagesimalTail(&bytes), bytes.first == 46 else { return false }
            return bytes.dropFirst().allSatisfy { isDigit($0) || $0 == 95 }
        }
        guard bytes.first == 46 else { return false }
        bytes = bytes.dropFirst()
        while let byte = bytes.first, isDigit(byte) || byte == 95 { bytes = bytes.dropFirst() }
        return exponentTail(&bytes) && bytes.isEmpty
    }

    /// `(:[0-5]?[0-9])+`, consumed from the front.
    private static func sexagesimalTail(_ bytes: inout ArraySlice<UInt8>) -> Bool {
        var groups = 0
        while bytes.first == 58 {
            bytes = bytes.dropFirst()
            let digits = bytes.prefix { isDigit($0) }
            guard digits.count == 1 || (digits.count == 2 && digits.first! <= 53) else { return false }
            bytes = bytes.dropFirst(digits.count)
            groups += 1
        }
        return groups > 0
    }

    /// An optional `[eE][-+][0-9]+`, consumed from the front.
    private static func exponentTail(_ bytes: inout ArraySlice<UInt8>) -> Bool {
        guard let e = bytes.first, e == 101 || e == 69 else { return true }
        bytes = bytes.dropFirst()
        guard let sign = bytes.first, sign == 43 || sign == 45 else { return false }
        bytes = bytes.dropFirst()
        let digits = bytes.prefix { isDigit($0) }
        bytes = bytes.dropFirst(digits.count)
        return !digits.isEmpty
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= 48 && byte <= 57 }

    private static func isHex(_ byte: UInt8) -> Bool {
        isDigit(byte) || (byte >= 97 && byte <= 102) || (byte >= 65 && byte <= 70)
    }

    /// YAML 1.1 booleans that YAML 1.2 reads as text.
    public static func yaml11Bool(_ text: String) -> Bool? {
        switch text {
        case "y", "Y", "yes", "Yes", "YES", "on", "On", "ON": return true
        case "n", "N", "no", "No", "NO", "off", "Off", "OFF": return false
        default: return nil
        }
    }

    /// Decimal, `0o` octal and `0x` hex integers with an optional sign in front (one sign,
    /// digits only after the prefix); values outside Int's range are text, never a trap.
    static func integer(_ text: String) -> Int? {
        var body = Substring(text)
        var negative = false
        if body.hasPrefix("-") || body.hasPrefix("+") {
            negative = body.hasPrefix("-")
            body = body.dropFirst()
        }
        var radix = 10
        if body.hasPrefix("0x") {
            radix = 16
            body = body.dropFirst(2)
        } else if body.hasPrefix("0o") {
            radix = 8
            body = body.dropFirst(2)
        }
        guard !body.isEmpty,
            body.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || (radix == 16 && Self.isHexLetter($0)) }),
            let magnitude = UInt64(body, radix: radix)
        else { return nil }
        if negative {
            if magnitude == UInt64(Int.max) + 1 { return Int.min }
            return magnitude <= UInt64(Int.max) ? -Int(magnitude) : nil
        }
        return magnitude <= UInt64(Int.max) ? Int(magnitude) : nil
    }

    private static func isHexLetter(_ byte: UInt8) -> Bool {
        (byte >= 97 && byte <= 102) || (byte >= 65 && byte <= 70)
    }

    /// `[-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?`
    static func isDecimalFloat(_ text: String) -> Bool {
        var bytes = Array(text.utf8)[...]
        if let sign = bytes.first, sign == 43 || sign == 45 { bytes = bytes.dropFirst() }
        func digits() -> Int {
            var count = 0
            while let byte = bytes.first, byte >= 48, byte <= 57 {
                bytes = bytes.dropFirst()
                count += 1
            }
            return count
        }
        let whole = digits()
        var fraction = 0
        if bytes.first == 46 {
            bytes = bytes.dropFirst()
            fraction = digits()
        }
        guard whole > 0 || fraction > 0 else { return false }
        if let e = bytes.first, e == 101 || e == 69 {
            bytes = bytes.dropFirst()
            if let sign = bytes.first, sign == 43 || sign == 45 { bytes = bytes.dropFirst() }
            guard digits() > 0 else { return false }
        }
        return bytes.isEmpty
    }
}
