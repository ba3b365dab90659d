import GSCore

/// The output formats of `gsctl lint`.
public enum DiagnosticFormat: String, CaseIterable, Sendable {
    /// For people: `file:line:col: error[GS204]: message`, the source line, a caret, the hint.
    case text
    /// Stable, documented JSON (docs/diagnostics.md) for scripts.
    case json
    /// GitHub Actions workflow commands: annotations on the pull request's lines.
    case github
    /// SARIF 2.1.0 for code scanning.
    case sarif

    public func render(_ report: LintReport, strict: Bool, color: Bool) -> String {
        switch self {
        case .text: TextFormatter(color: color).render(report, strict: strict)
        case .json: JSONFormatter.render(report, strict: strict)
        case .github: GitHubFormatter.render(report)
        case .sarif: SARIFFormatter.render(report)
        }
    }
}

extension LintReport {
    /// "2 errors, 1 warning in 14 files (37 documents)".
    public var summary: String {
        let errors = diagnostics.count(of: .error)
        let warnings = diagnostics.count(of: .warning)
        let notes = diagnostics.count(of: .note)
        var parts = ["\(errors) error\(errors == 1 ? "" : "s")", "\(warnings) warning\(warnings == 1 ? "" : "s")"]
        if notes > 0 { parts.append("\(notes) note\(notes == 1 ? "" : "s")") }
        return
            "\(parts.joined(separator: ", ")) in \(fileCount) file\(fileCount == 1 ? "" : "s") (\(documentCount) document\(documentCount == 1 ? "" : "s"))"
    }
}
