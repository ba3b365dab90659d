import Foundation
import GSCore
import GSSpec
import Testing

/// One fixture per diagnostic code: every marked place gets exactly its finding and nothing
/// else is reported (errors and warnings; notes too for the note codes).
@Suite struct DiagnosticFixtureTests {
    /// Codes whose inputs are not text files a marker can sit in; `GeneratedInputTests`
    /// covers them.
    static let generated: Set<DiagnosticCode> = [.unreadableFile, .notText, .tooDeep, .fileTooLarge, .emptyFile]

    static var fixtureCodes: [DiagnosticCode] {
        DiagnosticCode.allCases.filter { !generated.contains($0) }
    }

    @Test(arguments: fixtureCodes)
    func fixtureReportsExactlyTheMarkedFindings(code: DiagnosticCode) throws {
        let (directory, expected) = try MarkedFixture.materialize("diagnostics/\(code.rawValue)")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(expected.contains { $0.code == code.rawValue }, "fixture \(code.rawValue) marks no \(code.rawValue)")
        let report = Linter.lint(paths: [directory])
        let actual = MarkedFixture.marks(of: report, in: directory, includeNotes: code.severity == .note)
        let missing = expected.subtracting(actual).sorted { $0.description < $1.description }
        let unexpected = report.diagnostics.filter { d in
            guard code.severity == .note || d.severity != .note else { return false }
            let file =
                d.location.file.hasPrefix(directory + "/")
                ? String(d.location.file.dropFirst(directory.count + 1)) : d.location.file
            return !expected.contains(
                ExpectedFinding(code: d.code, file: file, line: d.location.line, column: d.location.column))
        }
        #expect(missing.isEmpty, "expected but not reported: \(missing)")
        #expect(
            unexpected.isEmpty,
            "reported but not marked: \(unexpected.map { "\($0.location) \($0.code) \($0.message)" })")
        for diagnostic in report.diagnostics where diagnostic.code == code.rawValue {
            #expect(diagnostic.severity == code.severity)
            #expect(!diagnostic.message.isEmpty)
            #expect(diagnostic.hint != nil || code.severity == .note, "\(code.rawValue) findings give a hint")
        }
    }

    @Test func everyCodeHasAFixtureOrAGeneratedTest() throws {
        let folders = Set(
            try FileManager.default.contentsOfDirectory(
                atPath: MarkedFixture.root.appendingPathComponent("diagnostics").path))
        for code in Self.fixtureCodes {
            #expect(folders.contains(code.rawValue), "no fixture folder for \(code.rawValue)")
        }
        #expect(folders.count == Self.fixtureCodes.count)
    }

    @Test func everyCodeIsReportedByARuleOrTheLoader() {
        let fromRules = Set(Rules.all.flatMap(\.codes))
        let fromLoading: Set<DiagnosticCode> = [
            .unreadableFile, .yamlSyntax, .notText, .duplicateKey, .tooDeep, .aliasBomb, .fileTooLarge, .emptyFile,
            .unsupportedYAML, .apiVersion, .unknownKind, .unknownKey, .wrongType, .notAllowed, .invalidValue,
            .missingField, .implicitType, .yaml11Bool, .duplicateItem,
        ]
        #expect(fromRules.union(fromLoading) == Set(DiagnosticCode.allCases))
        #expect(fromRules.isDisjoint(with: fromLoading))
    }
}
