/// Formats of string values, each with a fast hand-written check (lint runs over thousands
/// of documents) and the equivalent JSON Schema pattern for editors.
public enum StringFormat: String, Sendable, CaseIterable {
    /// Object and task names: DNS-1123 labels, as Kubernetes names are.
    case name
    /// Label keys and values (`class`, `gs.ai/site`).
    case label
    /// A lowercase 64-digit SHA-256.
    case sha256
    /// A non-empty path without NUL bytes.
    case path
    /// A version such as `1.17.1` (quoted, so YAML never makes it a number).
    case version
    /// A host name or IP address.
    case address
    /// A count or a percentage of hosts: `2` or `25%`.
    case percent
    /// A pinned Python requirement `name==version`.
    case pinnedPackage
    /// An HTTP path starting with `/`.
    case urlPath

    public var pattern: String {
        switch self {
        case .name: "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"
        case .label: "^[A-Za-z0-9]([-A-Za-z0-9_./]{0,251}[A-Za-z0-9])?$"
        case .sha256: "^[0-9a-f]{64}$"
        case .path: "^[^\\u0000]+$"
        case .version: "^[0-9A-Za-z][-0-9A-Za-z.+_]*$"
        case .address: "^[-0-9A-Za-z.:\\[\\]]+$"
        case .percent: "^([0-9]|[1-9][0-9]|100)%$"
        case .pinnedPackage: "^[A-Za-z0-9][-A-Za-z0-9._]*(\\[[-A-Za-z0-9,._]+\\])?==[0-9A-Za-z][-0-9A-Za-z.+!_]*$"
        case .urlPath: "^/[^\\s]*$"
        }
    }

    /// What to tell a user whose value does not match.
    public var explanation: String {
        switch self {
        case .name: "lowercase letters, digits and `-`, starting and ending with a letter or digit, at most 63"
        case .label: "letters, digits, `-`, `_`, `.` and `/`, at most 253"
        case .sha256: "64 lowercase hex digits (`sha256sum FILE` prints it)"
        case .path: "a non-empty path"
        case .version: "a version such as `1.17.1`"
        case .address: "a host name or an IP address"
        case .percent: "a percentage such as `25%`"
        case .pinnedPackage: "a pinned requirement such as `numpy==1.26.4`"
        case .urlPath: "a path starting with `/`"
        }
    }

    public func accepts(_ text: String) -> Bool {
        let bytes = text.utf8
        switch self {
        case .name:
            guard (1...63).contains(bytes.count), let first = bytes.first, let last = bytes.last,
                Self.lowerAlnum(first), Self.lowerAlnum(last)
            else { return false }
            return bytes.allSatisfy { Self.lowerAlnum($0) || $0 == 45 }
        case .label:
            guard (1...253).contains(bytes.count), let first = bytes.first, let last = bytes.last,
                Self.alnum(first), Self.alnum(last)
            else { return false }
            return bytes.allSatisfy { Self.alnum($0) || $0 == 45 || $0 == 95 || $0 == 46 || $0 == 47 }
        case .sha256:
            return bytes.count == 64 && bytes.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }
        case .path:
            return !bytes.isEmpty && !bytes.contains(0)
        case .version:
            guard let first = bytes.first, Self.alnum(first) else { return false }
            return bytes.allSatisfy { Self.alnum($0) || $0 == 45 || $0 == 46 || $0 == 43 || $0 == 95 }
        case .address:
            return !bytes.isEmpty
                && bytes.allSatisfy { Self.alnum($0) || $0 == 45 || $0 == 46 || $0 == 58 || $0 == 91 || $0 == 93 }
        case .percent:
            // 0-100 without leading zeros, as the JSON Schema pattern says.
            let digits = text.utf8.dropLast()
            guard bytes.last == 37, (1...3).contains(digits.count), digits.allSatisfy({ $0 >= 48 && $0 <= 57 }),
                digits.count == 1 || digits.first != 48, let value = Int(text.dropLast())
            else { return false }
            return value <= 100
        case .pinnedPackage:
            let parts = text.split(separator: "=", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3, parts[1].isEmpty, let version = parts[2].utf8.first, Self.alnum(version),
                parts[2].utf8.allSatisfy(Self.versionByte)
            else { return false }
            // name, then optional `[extra,extra]` at the end of it.
            var name = parts[0].utf8[...]
            if name.last == 93 {
                guard let open = name.firstIndex(of: 91) else { return false }
                let extras = name[name.index(after: open)..<name.index(before: name.endIndex)]
                guard !extras.isEmpty, extras.allSatisfy({ Self.nameByte($0) || $0 == 44 }) else { return false }
                name = name[..<open]
            }
            guard let first = name.first, Self.alnum(first) else { return false }
            return name.allSatisfy(Self.nameByte)
        case .urlPath:
            return bytes.first == 47 && !text.unicodeScalars.contains { $0.properties.isWhitespace || $0.value < 32 }
        }
    }

    /// Letters, digits and `-._` of a requirement name or extra.
    private static func nameByte(_ byte: UInt8) -> Bool {
        alnum(byte) || byte == 45 || byte == 46 || byte == 95
    }

    /// Letters, digits and `-.+!_` of a version.
    private static func versionByte(_ byte: UInt8) -> Bool {
        alnum(byte) || byte == 45 || byte == 46 || byte == 43 || byte == 33 || byte == 95
    }

    private static func lowerAlnum(_ byte: UInt8) -> Bool {
        (byte >= 97 && byte <= 122) || (byte >= 48 && byte <= 57)
    }

    private static func alnum(_ byte: UInt8) -> Bool {
        (byte >= 97 && byte <= 122) || (byte >= 65 && byte <= 90) || (byte >= 48 && byte <= 57)
    }
}
