import GSCore

/// Findings for a terminal, in the shape compilers use so editors can jump to them.
struct TextFormatter {
    let style: Style

    init(color: Bool) { style = Style(enabled: color) }

    func render(_ report: LintReport, strict: Bool) -> String {
        var out = ""
        var sources = SourceCache()
        for diagnostic in report.diagnostics {
            out += header(diagnostic) + "\n"
            if let line = sources.line(diagnostic.location) {
                let number = String(diagnostic.location.line)
                let gutter = String(repeating: " ", count: number.count)
                out += style.dim(" \(number) | ") + line + "\n"
                let caretPad = String(
                    line.prefix(max(0, diagnostic.location.column - 1)).map { $0 == "\t" ? "\t" : " " })
                out += style.dim(" \(gutter) | ") + caretPad + colour(diagnostic.severity, "^") + "\n"
            }
            if let hint = diagnostic.hint { out += "  " + style.cyan("hint:") + " \(hint)\n" }
        }
        let failed = report.diagnostics.fails(strict: strict)
        out += (failed ? style.red("✗ ") : style.green("✓ ")) + report.summary + "\n"
        return out
    }

    func header(_ diagnostic: Diagnostic) -> String {
        let label = "\(diagnostic.severity.rawValue)[\(diagnostic.code)]"
        return style.bold("\(diagnostic.location):") + " " + colour(diagnostic.severity, label) + ": "
            + diagnostic.message
    }

    func colour(_ severity: Severity, _ text: String) -> String {
        switch severity {
        case .error: style.red(text)
        case .warning: style.yellow(text)
        case .note: style.cyan(text)
        }
    }
}

/// Lines of the files findings point into, read once per file.
struct SourceCache {
    private var lines: [String: [Substring]] = [:]

    mutating func line(_ location: SourceLocation) -> String? {
        if lines[location.file] == nil {
            let bytes = (try? FileSystem.read(location.file, limit: 16 << 20)) ?? []
            // Findings about binary or unreadable files show no excerpt.
            lines[location.file] =
                bytes.contains(0)
                ? []
                : String(decoding: bytes, as: UTF8.self)
                    .split(separator: "\n", omittingEmptySubsequences: false)
        }
        guard let fileLines = lines[location.file], location.line >= 1, location.line <= fileLines.count
        else { return nil }
        let line = fileLines[location.line - 1]
        let trimmed = line.hasSuffix("\r") ? line.dropLast() : line
        return trimmed.count > 200 ? String(trimmed.prefix(200)) + "…" : String(trimmed)
    }
}
