import GSCore

/// The documented JSON form (schema version 1): stable keys, findings in file order.
enum JSONFormatter {
    static func render(_ report: LintReport, strict: Bool) -> String {
        let findings: [JSONValue] = report.diagnostics.map { d in
            [
                "code": .string(d.code),
                "severity": .string(d.severity.rawValue),
                "file": .string(d.location.file),
                "line": .int(d.location.line),
                "column": .int(d.location.column),
                "message": .string(d.message),
                "hint": .optional(d.hint),
                "title": .optional(DiagnosticCode(rawValue: d.code)?.title),
            ]
        }
        let value: JSONValue = [
            "version": 1,
            "ok": .bool(!report.diagnostics.fails(strict: strict)),
            "files": .int(report.fileCount),
            "documents": .int(report.documentCount),
            "summary": [
                "errors": .int(report.diagnostics.count(of: .error)),
                "warnings": .int(report.diagnostics.count(of: .warning)),
                "notes": .int(report.diagnostics.count(of: .note)),
            ],
            "diagnostics": .array(findings),
        ]
        return value.pretty
    }
}
