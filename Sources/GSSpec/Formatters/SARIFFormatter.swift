import GSCore

/// SARIF 2.1.0, the format code-scanning services ingest.
enum SARIFFormatter {
    static func render(_ report: LintReport) -> String {
        let codes = DiagnosticCode.allCases
        let ruleIndex = Dictionary(uniqueKeysWithValues: codes.enumerated().map { ($1.rawValue, $0) })
        let rules: [JSONValue] = codes.map { code in
            [
                "id": .string(code.rawValue),
                "name": .string(ruleName(code)),
                "shortDescription": ["text": .string(code.title)],
                "helpUri": .string("docs/diagnostics.md#\(code.rawValue.lowercased())"),
                "defaultConfiguration": ["level": .string(level(code.severity))],
            ]
        }
        let results: [JSONValue] = report.diagnostics.map { d in
            var message = d.message
            if let hint = d.hint { message += " (hint: \(hint))" }
            var result: [String: JSONValue] = [
                "ruleId": .string(d.code),
                "level": .string(level(d.severity)),
                "message": ["text": .string(message)],
                "locations": [
                    [
                        "physicalLocation": [
                            "artifactLocation": ["uri": .string(uri(d.location.file))],
                            "region": ["startLine": .int(d.location.line), "startColumn": .int(d.location.column)],
                        ]
                    ]
                ],
            ]
            if let index = ruleIndex[d.code] { result["ruleIndex"] = .int(index) }
            return .object(result)
        }
        let value: JSONValue = [
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [
                [
                    "tool": [
                        "driver": [
                            "name": "gsctl",
                            "version": .string(GSVersion.current),
                            "semanticVersion": .string(GSVersion.current),
                            "informationUri": "docs/diagnostics.md",
                            "rules": .array(rules),
                        ]
                    ],
                    "columnKind": "unicodeCodePoints",
                    "results": .array(results),
                ]
            ],
        ]
        return value.pretty
    }

    static func level(_ severity: Severity) -> String {
        switch severity {
        case .error: "error"
        case .warning: "warning"
        case .note: "note"
        }
    }

    /// `UnknownKey` from "unknown key": SARIF rule names are PascalCase identifiers.
    static func ruleName(_ code: DiagnosticCode) -> String {
        code.title.split(whereSeparator: { !$0.isLetter && !$0.isNumber })
            .map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }

    /// Relative paths stay relative (SARIF resolves them against the checkout).
    static func uri(_ path: String) -> String {
        var out = ""
        for byte in path.utf8 {
            let c = Character(UnicodeScalar(byte))
            if c.isLetter && byte < 128 || c.isNumber && byte < 128 || "-._~/".contains(c) {
                out.append(c)
            } else {
                out += "%" + String(format: byte)
            }
        }
        return out
    }

    private static func String(format byte: UInt8) -> Swift.String {
        let hex = Array("0123456789ABCDEF")
        return Swift.String([hex[Int(byte >> 4)], hex[Int(byte & 15)]])
    }
}
