import GSCore
import GSDeploy

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// `gsctl apply`: make every targeted host run what git says.
enum ApplyCommand {
    static let spec = CommandSpec(
        name: "apply",
        summary: "converge the edge hosts to the specs at a git revision (build, ship, activate, gate)",
        discussion: """
            Reads the specs at --ref (default HEAD; a dirty tree is refused), lints, plans and builds
            through the cache, then rolls each deployment out: canary hosts first, then batches.
            Per host the agent takes a lease, receives only the blobs it lacks (resuming cut
            transfers), verifies digests and the signature against its pinned keys, switches the
            release atomically and runs the health gates (golden inference, then the workflow's
            probes); a failing gate puts the host back on its previous release. A host is never moved
            to a revision older than the one it runs (use `gsctl rollback`). Where a rollout halts, hosts it
            left behind (down during an earlier rollout, or new) catch up to the last release that passed
            on the rest of the deployment, rebuilt at its revision, never to one that failed.
            Exit 0: every host converged; 3: some hosts were unreachable or failed and are on their
            previous release; 1: errors.
            """,
        arguments: [ArgumentSpec(name: "PATHS", help: "spec files or folders (default: Specs)", variadic: true)],
        options: DeployContext.buildOptions + [
            .flag("dry-run", "show what would change without changing any host"),
            .flag("prune", "stop and deactivate hosts of the specs that no deployment targets any more"),
            .flag("retry-failed", "roll out a release even where it failed its health gates before"),
            .value("max-parallel", "N", "hosts converged at once within a batch (default: 8)"),
            .value("wait", "SECONDS", "wait this long for another apply's lease (default: fail fast)"),
            .value("format", short: "f", "FORMAT", "output format", allowed: ["text", "json"]),
        ],
        run: run)

    static func run(_ arguments: ParsedArguments) throws -> ExitCode {
        AllocatorTuning.keepFreedMemoryForReuse()
        let json = arguments.value("format") == "json"
        let desiredOptions = DeployContext.desiredOptions(arguments, quiet: json)
        let desired = try DeployContext.desired(options: desiredOptions)
        var options = Deployer.Options()
        // Where a rollout halts, hosts left behind catch up to the last release that passed
        // elsewhere, rebuilt at its revision.
        let revisions = RevisionLoader(base: desiredOptions)
        defer { revisions.cleanUp() }
        options.loadRevision = { revision in revisions.load(revision) }
        options.dryRun = arguments.flag("dry-run")
        options.prune = arguments.flag("prune")
        options.retryFailed = arguments.flag("retry-failed")
        if options.prune, !arguments.all("only").isEmpty {
            throw UsageError(message: "--prune needs every deployment in view", hint: "drop --only")
        }
        if let text = arguments.value("max-parallel") {
            guard let n = Int(text), n >= 1 else {
                throw UsageError(message: "--max-parallel must be a positive number")
            }
            options.maxParallel = n
        }
        if let text = arguments.value("wait") {
            guard let seconds = Double(text), seconds >= 0 else { throw UsageError(message: "--wait takes seconds") }
            options.leaseWait = seconds
        }
        if !json, Terminal.isTTY(.standardError) {
            // One live line per host, rewritten in place as it moves through its steps.
            let live = LiveLines()
            options.step = { deployment, host, text in
                live.set("\(deployment)/\(host)", "\(deployment)/\(host): \(text)")
            }
            options.progress = { result in live.set("\(result.deployment)/\(result.host)", HostLines.line(result)) }
        } else if !json {
            options.progress = { result in Terminal.write(HostLines.line(result) + "\n", to: .standardError) }
        }
        let inventory = DeployContext.inventory(desired.specs, paths: Output.specPaths(arguments))
        let report = Deployer.apply(desired, inventory: inventory, options: options)
        if json {
            Terminal.write(report.json.pretty + "\n")
        } else {
            Terminal.write(HostLines.summary(report))
        }
        return report.exitCode
    }
}

/// The plain-text lines apply and rollback print.
enum HostLines {
    static func line(_ result: HostResult) -> String {
        var text = "\(result.deployment)/\(result.host): \(result.status.rawValue)"
        switch result.status {
        case .converged, .repaired, .pending, .caughtUp: text += " \(result.from ?? "(none)") -> \(result.to)"
        case .unchanged: text += " \(result.to)"
        default: break
        }
        if result.bytesSent > 0 { text += ", \(ByteText.format(result.bytesSent)) sent" }
        if result.seconds > 0 { text += ", " + ByteText.fixed(result.seconds) + " s" }
        if let message = result.message { text += "\n    \(message)" }
        // The golden gate's checks that passed (a failed one is the message above).
        for check in result.checks.arrayValue ?? [] where check["passed"]?.boolValue == true {
            let model = "\(check["model"]?.stringValue ?? "?")/\(check["variant"]?.stringValue ?? "?")"
            var line = "\n    golden \(model) in \(check["runtime"]?.stringValue ?? "?"): "
            line += DecimalText.fixed(check["ms"]?.doubleValue ?? 0, digits: 2) + " ms"
            if let score = check["score"]?.doubleValue { line += ", score " + DecimalText.fixed(score, digits: 4) }
            text += line
        }
        return text
    }

    static func summary(_ report: Deployer.Report) -> String {
        var rows: [[String]] = [["DEPLOYMENT", "HOST", "STATUS", "RELEASE", "SENT", "TIME"]]
        for entry in report.deployments {
            for host in entry.result.hosts + entry.result.rolledBack {
                rows.append([
                    entry.name, host.host, host.status.rawValue, host.to.isEmpty ? "-" : host.to,
                    ByteText.format(host.bytesSent),
                    ByteText.fixed(host.seconds) + "s",
                ])
            }
        }
        var text = Table.render(rows)
        for entry in report.deployments where entry.result.halted != nil {
            text += "\(entry.name): rollout halted: \(entry.result.halted!)\n"
        }
        let counts = Dictionary(grouping: report.hosts, by: \.status.rawValue).mapValues(\.count)
        text +=
            "revision \(report.revision.map { String($0.prefix(12)) } ?? "(not in git)"): "
            + counts.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ") + "\n"
        return text
    }
}

enum ByteText {
    /// One decimal, without Foundation.
    static func fixed(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(abs(tenths % 10))"
    }

    static func format(_ bytes: Int) -> String {
        if bytes < 1000 { return "\(bytes) B" }
        if bytes < 1_000_000 { return fixed(Double(bytes) / 1000) + " kB" }
        return fixed(Double(bytes) / 1_000_000) + " MB"
    }
}

enum Table {
    static func render(_ rows: [[String]]) -> String {
        guard let first = rows.first else { return "" }
        var widths = [Int](repeating: 0, count: first.count)
        for row in rows {
            for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) }
        }
        return rows.map { row in
            row.enumerated().map { i, cell in
                i == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[i] - cell.count)
            }
            .joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }
}

/// Lines on a terminal that are rewritten in place: one per key, in first-seen order.
final class LiveLines: @unchecked Sendable {
    private var order: [String] = []
    private var text: [String: String] = [:]
    private var drawn = 0
    private var lock = pthread_mutex_t()

    init() { pthread_mutex_init(&lock, nil) }

    func set(_ key: String, _ line: String) {
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        if text[key] == nil { order.append(key) }
        text[key] = line.split(separator: "\n").first.map(String.init) ?? line
        var out = drawn > 0 ? "\u{1B}[\(drawn)A" : ""
        for key in order { out += "\u{1B}[2K\r" + (text[key] ?? "") + "\n" }
        drawn = order.count
        Terminal.write(out, to: .standardError)
    }
}
