import GSCore

/// `gsctl version` / `gsctl --version`.
enum VersionCommand {
    static let spec = CommandSpec(
        name: "version", summary: "print gsctl's version",
        run: { _ in print() })

    static func print() -> ExitCode {
        Terminal.write("gsctl \(GSVersion.current)\n")
        return .success
    }
}
