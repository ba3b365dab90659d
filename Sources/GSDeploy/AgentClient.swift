import GSAgent
import GSBundle
import GSCore

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// The controller's end of one agent conversation over a transport: requests out, replies
/// in, each bounded by a deadline so a dead link fails in seconds rather than hanging the
/// rollout. Every error names the host and the step.
public final class AgentClient: @unchecked Sendable {
    public let transport: any Transport
    let child: ChildProcess
    /// Seconds a small request may take.
    public var timeout: Double
    /// Bytes of payload sent so far (what the host had to download).
    public private(set) var bytesSent = 0

    public init(transport: any Transport, timeout: Double = 30, environment: [String: String] = [:]) throws(GSError) {
        self.transport = transport
        self.timeout = timeout
        let arguments = ["serve", "--root", transport.root]
        do throws(GSError) {
            child = try ChildProcess(transport.agentCommand(arguments), environment: environment)
        } catch {
            throw GSError("\(transport.hostName): cannot start the agent: \(error.message)")
        }
    }

    /// The agent's answer to `hello` (protocol, version, hostname, root, trusted keys) when
    /// the conversation was opened with `connect`.
    public private(set) var hello: JSONValue = .null

    /// Starts the agent and greets it with this controller's protocol version, which is how
    /// every conversation begins; the answer is kept in `hello`.
    public static func connect(
        transport: any Transport, timeout: Double = 30, environment: [String: String] = [:]
    ) throws(GSError) -> AgentClient {
        let client = try AgentClient(transport: transport, timeout: timeout, environment: environment)
        do throws(GSError) {
            client.hello = try client.call("hello", ["protocol": .int(AgentWire.version)])
        } catch {
            client.close()
            throw error
        }
        return client
    }

    /// A request; returns the reply's members. Throws with the agent's own message when it
    /// answered `ok: false`, or says that the host stopped answering.
    @discardableResult
    public func call(
        _ op: String, _ fields: [String: JSONValue] = [:], payload: [UInt8]? = nil, timeout: Double? = nil
    ) throws(GSError) -> JSONValue {
        let deadline = ChildProcess.now() + (timeout ?? self.timeout)
        do throws(GSError) {
            try child.write(AgentWire.request(op, fields, payload: payload?.count), deadline: deadline)
            if let payload {
                try child.write(payload, deadline: deadline)
                bytesSent += payload.count
            }
            guard let line = try child.readLine(deadline: deadline, limit: AgentWire.lineLimit) else {
                throw transportFailure(doing: op) ?? GSError("the agent closed the connection\(agentError())")
            }
            let reply = try JSONParser.parse(Array(line.utf8), what: "the agent's reply")
            guard reply["ok"]?.boolValue == true else {
                let message = reply["error"]?.stringValue ?? "the agent refused `\(op)`"
                throw GSError(message, hint: reply["hint"]?.stringValue)
            }
            return reply
        } catch {
            let cause = error.message.hasPrefix("the connection closed") ? transportFailure(doing: op) : nil
            throw GSError("\(transport.hostName): \(op): \((cause ?? error).message)", hint: (cause ?? error).hint)
        }
    }

    /// Why the transport dropped the conversation (ssh could not connect, or lost the link),
    /// said as the transport says it; "closed" stays in the message, so callers still count
    /// the host as unreachable rather than refused.
    private func transportFailure(doing op: String) -> GSError? {
        guard let failure = transport.failure(agentError: child.errorText(), doing: "`\(op)`") else { return nil }
        return GSError("the connection closed: \(failure.message)", hint: failure.hint)
    }

    private func agentError() -> String {
        let text = child.errorText().trimmingSpaces
        return text.isEmpty ? "" : ": " + String(text.suffix(600))
    }

    /// Sends a blob from `path`, resuming at `have` bytes, in puts of at most `chunk` bytes;
    /// each put's deadline allows 1 MB/s plus the base timeout.
    public func sendBlob(_ digest: String, path: String, size: Int, have: Int, chunk: Int = 8 << 20) throws(GSError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw GSError("cannot open `\(path)`: \(FileSystem.errnoText())") }
        defer { Glibc.close(fd) }
        var offset = have
        var buffer = [UInt8](repeating: 0, count: min(chunk, max(size, 1)))
        while offset < size {
            let count = min(chunk, size - offset)
            var filled = 0
            while filled < count {
                let read = buffer.withUnsafeMutableBytes { raw in
                    pread(fd, raw.baseAddress! + filled, count - filled, off_t(offset + filled))
                }
                if read < 0, errno == EINTR { continue }
                guard read > 0 else { throw GSError("cannot read `\(path)` (\(size) bytes expected)") }
                filled += read
            }
            try call(
                "put", ["sha256": .string(digest), "offset": .int(offset), "total": .int(size)],
                payload: Array(buffer[0..<count]), timeout: timeout + Double(count) / 1_000_000)
            offset += count
        }
        if size == 0 {
            try call("put", ["sha256": .string(digest), "offset": 0, "total": 0], payload: [])
        }
    }

    /// Says goodbye (the agent gives back its lease) and reaps the process.
    public func close() {
        _ = try? call("bye", timeout: 5)
        child.wait(deadline: ChildProcess.now() + 5)
    }

    /// Drops the connection at once (a stalled link).
    public func abort() { child.terminate() }
}
