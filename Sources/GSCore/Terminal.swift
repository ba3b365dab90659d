#if canImport(Glibc)
    @preconcurrency import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where command output goes: standard output for results, standard error for messages.
public enum Stream: Sendable {
    case standardOutput
    case standardError

    var descriptor: Int32 { self == .standardOutput ? 1 : 2 }
}

/// Terminal facts and ANSI styling: colour only on a TTY and never with `NO_COLOR`.
public enum Terminal {
    public static func isTTY(_ stream: Stream) -> Bool { isatty(stream.descriptor) == 1 }

    /// Whether to colour output written to `stream` (https://no-color.org).
    public static func wantsColor(_ stream: Stream) -> Bool {
        if let value = getenv("NO_COLOR"), value.pointee != 0 { return false }
        if let term = getenv("TERM"), String(cString: term) == "dumb" { return false }
        return isTTY(stream)
    }

    /// Writes all bytes of `text`, retrying short writes.
    public static func write(_ text: String, to stream: Stream = .standardOutput) {
        var text = text
        text.withUTF8 { buffer in
            var offset = 0
            while offset < buffer.count {
                let count = Glibc.write(stream.descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if count < 0 {
                    if errno == EINTR { continue }
                    return
                }
                offset += count
            }
        }
    }
}

/// ANSI styles; `apply` is the identity when colour is off.
public struct Style: Sendable {
    public let enabled: Bool

    public init(enabled: Bool) { self.enabled = enabled }

    public func red(_ text: String) -> String { wrap(text, "31") }
    public func yellow(_ text: String) -> String { wrap(text, "33") }
    public func green(_ text: String) -> String { wrap(text, "32") }
    public func cyan(_ text: String) -> String { wrap(text, "36") }
    public func bold(_ text: String) -> String { wrap(text, "1") }
    public func dim(_ text: String) -> String { wrap(text, "2") }

    private func wrap(_ text: String, _ code: String) -> String {
        enabled ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }
}
