import GSAgent
import GSCore
import GSDeploy
import GSPlan
import GSSpec

/// `gsctl history HOST` and `gsctl rollback DEPLOYMENT [--to REV]`: the host's own record,
/// and the way back.
enum HistoryCommand {
    static let spec = CommandSpec(
        name: "history",
        summary: "what a host ran: activations, failed gates, rollbacks, repairs (read from the host)",
        arguments: [
            ArgumentSpec(name: "HOST", help: "a Host of the specs", optional: false),
            ArgumentSpec(name: "PATHS", help: "spec files or folders (default: Specs)", variadic: true),
        ],
        options: [.value("format", short: "f", "FORMAT", "output format", allowed: ["text", "json"])],
        run: run)

    static func run(_ arguments: ParsedArguments) throws -> ExitCode {
        var rest = arguments
        let host = rest.positionals.removeFirst()
        guard
            let client = try DeployContext.connect(
                host: host, paths: Output.specPaths(rest), doing: "reading history")
        else { return .failure }
        defer { client.close() }
        let state = try client.call("state")["state"] ?? .null
        let history = state["history"]?.arrayValue ?? []
        if arguments.value("format") == "json" {
            Terminal.write(JSONValue.array(history).pretty + "\n")
            return .success
        }
        var rows: [[String]] = [["WHEN", "ACTION", "RELEASE", "REVISION", "BY", "WHY"]]
        for entry in history.reversed() {
            rows.append([
                Age.text(since: entry["time"]?.doubleValue ?? 0), entry["action"]?.stringValue ?? "",
                entry["release"]?.stringValue ?? "",
                entry["revision"]?.stringValue.map { String($0.prefix(12)) } ?? "-",
                entry["owner"]?.stringValue ?? "-", entry["reason"]?.stringValue ?? "",
            ])
        }
        Terminal.write(Table.render(rows))
        return .success
    }
}

enum RollbackCommand {
    static let spec = CommandSpec(
        name: "rollback",
        summary: "put a deployment's hosts back on their previous release (or the one from --to REV)",
        discussion: """
            Each host of the deployment switches to a release it still holds: its previous one, or
            the one it ran at revision REV (a release name or manifest digest works too). The same
            atomic switch and health gates as apply; the only way to move hosts to an older revision.
            Exit 0 when every host switched, 3 otherwise.
            """,
        arguments: [
            ArgumentSpec(name: "DEPLOYMENT", help: "a Deployment of the specs", optional: false),
            ArgumentSpec(name: "PATHS", help: "spec files or folders (default: Specs)", variadic: true),
        ],
        options: [
            .value("to", "REV", "the revision (or release) to go back to (default: each host's previous release)"),
            .value("format", short: "f", "FORMAT", "output format", allowed: ["text", "json"]),
        ],
        run: run)

    static func run(_ arguments: ParsedArguments) throws -> ExitCode {
        var rest = arguments
        let name = rest.positionals.removeFirst()
        let paths = Output.specPaths(rest)
        let report = Linter.lint(paths: paths)
        guard try Output.refuseErrors(report, doing: "rolling back") else { return .failure }
        let plan = Planner.plan(report.specs, only: [name])
        guard let deployment = plan.deployments.first(where: { $0.name == name }) else {
            throw UsageError(message: "no Deployment named `\(name)` in the specs", hint: "`gsctl plan` lists them")
        }
        let inventory = DeployContext.inventory(report.specs, paths: paths)
        var to = arguments.value("to")
        if let wanted = to, let git = GitSource.find(paths.first ?? "."), let full = try? git.resolve(wanted) {
            to = full
        }
        let hosts = deployment.targets.map(\.host)
        let target = to
        let results = parallelHosts(hosts.count) { i in
            Deployer.rollBack(
                host: hosts[i], deployment: name, to: target, inventory: inventory, options: Deployer.Options())
        }
        if arguments.value("format") == "json" {
            Terminal.write(JSONValue.array(results.map(\.json)).pretty + "\n")
        } else {
            for result in results { Terminal.write(HostLines.line(result) + "\n") }
        }
        return results.allSatisfy(\.ok) ? .success : .partial
    }
}
