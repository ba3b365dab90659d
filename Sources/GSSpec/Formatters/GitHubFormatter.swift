import GSCore

/// GitHub Actions workflow commands, so findings appear on the pull request's lines.
/// https://docs.github.com/actions/reference/workflow-commands-for-github-actions
enum GitHubFormatter {
    static func render(_ report: LintReport) -> String {
        var out = ""
        for d in report.diagnostics {
            let command: String
            switch d.severity {
            case .error: command = "error"
            case .warning: command = "warning"
            case .note: command = "notice"
            }
            let title = "\(d.code) \(DiagnosticCode(rawValue: d.code)?.title ?? "")"
            var message = d.message
            if let hint = d.hint { message += "\nhint: \(hint)" }
            out +=
                "::\(command) file=\(property(d.location.file)),line=\(d.location.line),col=\(d.location.column),title=\(property(title))::\(data(message))\n"
        }
        out += report.summary + "\n"
        return out
    }

    /// Escaping for the message part.
    static func data(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "%": out += "%25"
            case "\r": out += "%0D"
            case "\n": out += "%0A"
            default: out.append(character)
            }
        }
        return out
    }

    /// Escaping for `key=value` properties, which also may not hold `:` or `,`.
    static func property(_ text: String) -> String {
        var out = ""
        for character in data(text) {
            switch character {
            case ":": out += "%3A"
            case ",": out += "%2C"
            default: out.append(character)
            }
        }
        return out
    }
}
