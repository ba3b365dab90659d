import GSBundle
import GSCore

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// The agent protocol's framing, version 1. The controller writes one request per line:
/// a canonical JSON object with an `op`; a request that carries data says `"payload": N`
/// and is followed by exactly N raw bytes (file contents travel as bytes, never base64).
/// The agent answers each request with one JSON line: `{"ok": true, ...}` or
/// `{"ok": false, "error": "...", "hint": "...", "step": "..."}`.
public enum AgentWire {
    public static let version = 1
    /// Longest request or reply line (a state with its history fits many times over).
    public static let lineLimit = 16 << 20
    /// Largest payload one `put` may carry (larger blobs go in several puts).
    public static let payloadLimit = 64 << 20

    public static func request(_ op: String, _ fields: [String: JSONValue] = [:], payload: Int? = nil) -> [UInt8] {
        var members = fields
        members["op"] = .string(op)
        if let payload { members["payload"] = .int(payload) }
        return Array((JSONValue.object(members).canonical + "\n").utf8)
    }

    public static func success(_ fields: [String: JSONValue] = [:]) -> [UInt8] {
        var members = fields
        members["ok"] = true
        return Array((JSONValue.object(members).canonical + "\n").utf8)
    }

    public static func failure(_ error: GSError, step: String?) -> [UInt8] {
        var members: [String: JSONValue] = ["ok": false, "error": .string(error.message)]
        if let hint = error.hint { members["hint"] = .string(hint) }
        if let step { members["step"] = .string(step) }
        return Array((JSONValue.object(members).canonical + "\n").utf8)
    }
}

/// The agent's end of the pipe: blocking reads of standard input, buffered.
final class StandardStreams {
    private var buffer: [UInt8] = []
    private var start = 0

    private func fill() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { return false }
            if start > 0 {
                buffer.removeFirst(start)
                start = 0
            }
            buffer += chunk[0..<count]
            return true
        }
    }

    /// The next request line, nil at end of input.
    func readLine() throws(GSError) -> [UInt8]? {
        var searched = start
        while true {
            if let newline = buffer[searched...].firstIndex(of: 10) {
                let line = Array(buffer[start..<newline])
                start = newline + 1
                return line
            }
            searched = buffer.count
            guard buffer.count - start <= AgentWire.lineLimit else {
                throw GSError("a request line is longer than \(AgentWire.lineLimit) bytes")
            }
            guard fill() else {
                if buffer.count > start { throw GSError("the request stream ended mid-line") }
                return nil
            }
            searched = start
        }
    }

    /// Streams exactly `count` payload bytes to `sink` in chunks.
    func readPayload(_ count: Int, into sink: (ArraySlice<UInt8>) throws(GSError) -> Void) throws(GSError) {
        var left = count
        while left > 0 {
            if buffer.count == start {
                buffer.removeAll(keepingCapacity: true)
                start = 0
                guard fill() else {
                    throw GSError("the connection closed with \(left) of \(count) payload bytes unsent")
                }
            }
            let take = min(left, buffer.count - start)
            try sink(buffer[start..<(start + take)])
            start += take
            left -= take
        }
    }

    func write(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.write(1, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                return
            }
            offset += written
        }
    }
}
