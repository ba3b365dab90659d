import GSCore
import GSSpec

/// `gsctl lint`: every finding in the specs, at file:line:col.
enum LintCommand {
    static let spec = CommandSpec(
        name: "lint",
        summary: "check specs and report every finding at file:line:col",
        discussion: """
            Reads YAML specs (folders are searched for .yaml and .yml; `-` reads standard input),
            validates them against the spec language and checks references, cycles, device
            compatibility and rollouts. Exit 0 when clean, 1 on errors (or warnings with --strict).
            Codes are documented in docs/diagnostics.md.
            """,
        arguments: [ArgumentSpec(name: "PATHS", help: "spec files or folders (default: Specs)", variadic: true)],
        options: [
            .value("format", short: "f", "FORMAT", "output format", allowed: DiagnosticFormat.allCases.map(\.rawValue)),
            .flag("strict", "fail on warnings too"),
            .flag("no-files", "do not open referenced files (model digests, data, keys)"),
        ],
        run: run)

    static func run(_ arguments: ParsedArguments) throws -> ExitCode {
        let format = arguments.value("format").flatMap(DiagnosticFormat.init(rawValue:)) ?? .text
        var options = LintOptions()
        options.checkFiles = !arguments.flag("no-files")
        let strict = arguments.flag("strict")
        let report = Linter.lint(paths: Output.specPaths(arguments), options: options)
        Terminal.write(format.render(report, strict: strict, color: Terminal.wantsColor(.standardOutput)))
        return report.diagnostics.fails(strict: strict) ? .failure : .success
    }
}
