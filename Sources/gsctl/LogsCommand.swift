import GSAgent
import GSCore
import GSDeploy
import GSSpec

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// `gsctl logs HOST[/TASK]`: a task's output (or the supervisor's), read from the host
/// through its agent, like `kubectl logs` or `iotedge logs`; `--follow` keeps printing what
/// the task writes, across the supervisor's log rotation.
enum LogsCommand {
    static let spec = CommandSpec(
        name: "logs",
        summary: "a task's output on a host (HOST/TASK), or every task's and the supervisor's (HOST); -f follows",
        discussion: """
            Reads the logs the host's supervisor keeps (ROOT/logs/<task>.log, rotated to .1 .. .3)
            through the host's agent: the last --tail lines, then with --follow what is appended,
            polled every half second, until interrupted. HOST/supervisor is the supervisor's own
            log (starts, exits, restarts and why). HOST alone shows every log, each line prefixed
            with its name. Exit 1 when the host cannot be reached or has no such log.
            """,
        arguments: [
            ArgumentSpec(name: "HOST[/TASK]", help: "a Host of the specs, and one of its tasks", optional: false),
            ArgumentSpec(name: "PATHS", help: "spec files or folders (default: Specs)", variadic: true),
        ],
        options: [
            .value("tail", short: "n", "N", "lines to show from the end of each log (default 50)"),
            .flag("follow", short: "f", "keep printing what is appended until interrupted"),
            .value("format", "FORMAT", "output format (json: without --follow)", allowed: ["text", "json"]),
        ],
        run: run)

    static func run(_ arguments: ParsedArguments) throws -> ExitCode {
        var rest = arguments
        let target = rest.positionals.removeFirst()
        let host = String(target.prefix(while: { $0 != "/" }))
        let task = target.contains("/") ? String(target.drop(while: { $0 != "/" }).dropFirst()) : nil
        guard task?.isEmpty != true else {
            throw UsageError(message: "`\(target)` names no task", hint: "write HOST/TASK, or HOST for every log")
        }
        var lines = 50
        if let text = arguments.value("tail") {
            guard let value = Int(text), value >= 0 else {
                throw UsageError(message: "--tail wants a whole number of lines, not `\(text)`", hint: nil)
            }
            lines = value
        }
        let follow = arguments.flag("follow")
        let json = arguments.value("format") == "json"
        if json, follow {
            throw UsageError(message: "--format json prints the logs once; it cannot --follow", hint: nil)
        }
        guard
            let client = try DeployContext.connect(host: host, paths: Output.specPaths(rest), doing: "reading logs")
        else { return .failure }
        defer { client.close() }

        let names = try task.map { [$0] } ?? logNames(client)
        if json {
            var documents: [JSONValue] = []
            for name in names {
                let text = String(decoding: try tail(name, lines: lines, client: client).bytes, as: UTF8.self)
                var split = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
                if split.last == "" { split.removeLast() }
                documents.append(["name": .string(name), "lines": .strings(split)])
            }
            Terminal.write(JSONValue.object(["host": .string(host), "logs": .array(documents)]).pretty + "\n")
            return .success
        }
        var printer = Printer(prefixed: task == nil, width: names.map(\.count).max() ?? 0)
        var cursors: [String: LogTail.Cursor] = [:]
        for name in names {
            let last = try tail(name, lines: lines, client: client)
            cursors[name] = last.cursor
            printer.write(last.bytes, from: name)
            printer.flush(name)
        }
        guard follow else { return .success }
        try Self.follow(cursors, lines: lines, everyLog: task == nil, client: client, printer: &printer)
    }

    /// The last `lines` lines of log `name` and the cursor at its end.
    static func tail(_ name: String, lines: Int, client: AgentClient) throws(GSError) -> (
        bytes: [UInt8], cursor: LogTail.Cursor?
    ) {
        let (reply, bytes) = try client.callWithBytes("logs", ["name": .string(name), "lines": .int(lines)])
        return (bytes, LogTail.Cursor(json: reply["cursor"]))
    }

    /// Prints what is appended to each log, every half second, until interrupted (or the
    /// host stops answering: an error). Following every log, it looks for new ones (a new
    /// release's tasks) every 5 s and starts them with their last `lines` lines.
    static func follow(
        _ start: [String: LogTail.Cursor], lines: Int, everyLog: Bool, client: AgentClient, printer: inout Printer
    ) throws(GSError) -> Never {
        var cursors = start
        var names = start.keys.sorted()
        var lastListing = ChildProcess.now()
        while true {
            usleep(500_000)
            if everyLog, ChildProcess.now() - lastListing > 5 {
                lastListing = ChildProcess.now()
                for name in try logNames(client) where !names.contains(name) {
                    names.append(name)
                    printer.width = max(printer.width, name.count)
                    let last = try tail(name, lines: lines, client: client)
                    cursors[name] = last.cursor
                    printer.write(last.bytes, from: name)
                }
            }
            for name in names {
                guard let cursor = cursors[name] else { continue }
                let (reply, bytes) = try client.callWithBytes("logs", ["name": .string(name), "cursor": cursor.json])
                cursors[name] = LogTail.Cursor(json: reply["cursor"]) ?? cursor
                if let skipped = reply["skipped"]?.intValue, skipped > 0 {
                    printer.note("(\(name): some output went by unread: the log rotated faster than it was read)")
                }
                printer.write(bytes, from: name)
            }
        }
    }

    static func logNames(_ client: AgentClient) throws(GSError) -> [String] {
        (try client.call("logs")["names"]?.arrayValue ?? []).compactMap(\.stringValue)
    }

    /// Writes log bytes as they come: raw for one log; for several, whole lines each behind
    /// its log's name (a partial line waits for the rest).
    struct Printer {
        var prefixed: Bool
        var width: Int
        var pending: [String: [UInt8]] = [:]

        mutating func write(_ bytes: [UInt8], from name: String) {
            guard !bytes.isEmpty else { return }
            guard prefixed else {
                Terminal.write(String(decoding: bytes, as: UTF8.self))
                return
            }
            var buffer = pending[name, default: []] + bytes
            var text = ""
            while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                text += label(name) + String(decoding: buffer[..<newline], as: UTF8.self) + "\n"
                buffer.removeSubrange(...newline)
            }
            pending[name] = buffer
            Terminal.write(text)
        }

        /// Prints a partial last line (the end of a tail).
        mutating func flush(_ name: String) {
            guard prefixed, let rest = pending[name], !rest.isEmpty else { return }
            Terminal.write(label(name) + String(decoding: rest, as: UTF8.self) + "\n")
            pending[name] = []
        }

        func note(_ text: String) { Terminal.write(text + "\n", to: .standardError) }

        func label(_ name: String) -> String {
            name + String(repeating: " ", count: max(0, width - name.count)) + " | "
        }
    }
}
