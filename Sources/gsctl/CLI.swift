import GSCore
import GSSpec

/// The command table and the dispatcher. Commands are thin: parse, call a library, print.
enum CLI {
    static let commands: [CommandSpec] = [
        LintCommand.spec,
        PlanCommand.spec,
        BuildCommand.spec,
        SchemaCommand.spec,
        ModelCommand.spec,
        KeygenCommand.spec,
        BundleCommand.spec,
        ApplyCommand.spec,
        DiffCommand.spec,
        StatusCommand.spec,
        HistoryCommand.spec,
        LogsCommand.spec,
        RollbackCommand.spec,
        AgentCommand.spec,
        HostsCommand.spec,
        DeviceCommand.spec,
        VersionCommand.spec,
    ]

    static func run(_ arguments: [String]) -> ExitCode {
        guard let first = arguments.first else {
            Terminal.write(Help.overview(commands), to: .standardError)
            return .usage
        }
        switch first {
        case "help", "--help", "-h":
            if arguments.count > 1, let command = commands.first(where: { $0.name == arguments[1] }) {
                Terminal.write(Help.command(command))
            } else {
                Terminal.write(Help.overview(commands))
            }
            return .success
        case "--version", "-V":
            return VersionCommand.print()
        default:
            break
        }
        guard let command = commands.first(where: { $0.name == first }) else {
            let nearest = Suggest.nearest(to: first, in: commands.map(\.name))
            return usage(
                UsageError(
                    message: "unknown command `\(first)`",
                    hint: nearest.map { "did you mean `gsctl \($0)`?" } ?? "run `gsctl help` for the list"))
        }
        do {
            let parsed = try ArgumentParser.parse(Array(arguments.dropFirst()), for: command)
            if parsed.flag("help") {
                Terminal.write(Help.command(command))
                return .success
            }
            return try command.run(parsed)
        } catch let error as UsageError {
            return usage(error)
        } catch let error as GSError {
            Terminal.write(Output.error(error), to: .standardError)
            return .failure
        } catch {
            Terminal.write("error: \(error)\n", to: .standardError)
            return .failure
        }
    }

    static func usage(_ error: UsageError) -> ExitCode {
        var text = "error: \(error.message)\n"
        if let hint = error.hint { text += "hint: \(hint)\n" }
        Terminal.write(text, to: .standardError)
        return .usage
    }
}

/// Shared printing helpers.
enum Output {
    static func error(_ error: GSError) -> String {
        let style = Style(enabled: Terminal.wantsColor(.standardError))
        var text = (error.location.map { "\($0): " } ?? "") + style.red("error:") + " \(error.message)\n"
        if let hint = error.hint { text += style.cyan("hint:") + " \(hint)\n" }
        return text
    }

    /// Writes `text` to `--out FILE` atomically, or to standard output.
    static func emit(_ text: String, to path: String?) throws(GSError) {
        guard let path, path != "-" else {
            Terminal.write(text)
            return
        }
        try FileSystem.writeAtomically(text, to: path)
    }

    /// Prints a lint report's errors and returns false when there are any.
    static func refuseErrors(_ report: LintReport, doing what: String) throws -> Bool {
        let errors = report.diagnostics.filter { $0.severity == .error }
        guard !errors.isEmpty else { return true }
        var failed = report
        failed.diagnostics = errors
        Terminal.write(
            DiagnosticFormat.text.render(failed, strict: false, color: Terminal.wantsColor(.standardError)),
            to: .standardError)
        Terminal.write("error: the specs have errors; fix them before \(what)\n", to: .standardError)
        return false
    }

    /// The deployments `--only` names, each checked against the specs: a misspelt name would
    /// otherwise select nothing, and the command would succeed having done nothing.
    static func onlyDeployments(_ parsed: ParsedArguments, in specs: SpecSet) throws(GSError) -> Set<String>? {
        let names = parsed.all("only")
        guard !names.isEmpty else { return nil }
        try checkDeployments(names, in: specs)
        return Set(names)
    }

    /// Throws for the first name that is no Deployment of `specs`, suggesting the nearest.
    static func checkDeployments(_ names: some Sequence<String>, in specs: SpecSet) throws(GSError) {
        let known = Set(specs.deployments.map(\.name))
        for name in names where !known.contains(name) {
            throw GSError(
                "no deployment named `\(name)`",
                hint: Suggest.nearest(to: name, in: known).map { "did you mean `\($0)`?" }
                    ?? "known: \(known.sorted().joined(separator: ", "))")
        }
    }

    /// Spec paths from the command line, or `Specs` (else `.`) when none were given.
    static func specPaths(_ parsed: ParsedArguments) -> [String] {
        if !parsed.positionals.isEmpty { return parsed.positionals }
        return FileSystem.kind(of: "Specs") == .directory ? ["Specs"] : ["."]
    }
}
