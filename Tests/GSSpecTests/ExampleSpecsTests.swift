import Foundation
import GSCore
import GSSpec
import Testing

/// The bundled example repository is what users copy: it must stay clean, and the schema and
/// docs must describe the language the linter enforces.
@Suite struct ExampleSpecsTests {
    @Test func exampleSpecsLintClean() {
        var options = LintOptions()
        // The PP-OCR det/rec models arrive with `make models`; digests are checked in CI's demo.
        options.checkFiles = FileManager.default.fileExists(atPath: Repository.path("Specs/models/ppocrv4_rec.onnx"))
        let report = Linter.lint(paths: [Repository.path("Specs")], options: options)
        #expect(report.diagnostics.isEmpty, "\(report.diagnostics.map { "\($0.location) \($0.code) \($0.message)" })")
        #expect(report.specs.deployments.count == 4)
        #expect(report.specs.devices.map(\.name).sorted() == ["jetson-nano", "jetson-tx2", "rpi4", "x86-gateway"])
    }

    @Test func committedJSONSchemaIsCurrent() throws {
        #expect(
            try Repository.matchesGolden(JSONSchemaExport.document().pretty, "docs/gsctl.schema.json"),
            "docs/gsctl.schema.json is stale: run GSCTL_UPDATE_GOLDEN=1 swift test --filter committedJSONSchemaIsCurrent"
        )
    }

    @Test func diagnosticsDocumentEveryCode() throws {
        let text = try String(contentsOfFile: Repository.path("docs/diagnostics.md"), encoding: .utf8)
        for code in DiagnosticCode.allCases {
            #expect(
                text.contains("### \(code.rawValue): \(code.title)"),
                "docs/diagnostics.md lacks `### \(code.rawValue): \(code.title)`")
        }
    }

    @Test func specHasASectionPerKindAndACurrentFieldReference() throws {
        let text = try String(contentsOfFile: Repository.path("docs/spec.md"), encoding: .utf8)
        for kind in Kind.allCases {
            #expect(text.contains("\n## \(kind.rawValue)\n"), "docs/spec.md lacks a section for \(kind.rawValue)")
        }
        let begin = "<!-- BEGIN GENERATED FIELDS -->\n"
        let end = "<!-- END GENERATED FIELDS -->"
        let generated = try #require(text.range(of: begin)).upperBound..<(try #require(text.range(of: end)).lowerBound)
        #expect(
            String(text[generated]) == MarkdownReference.document(),
            "docs/spec.md's field reference is stale: regenerate it with `gsctl schema --format markdown`")
    }
}
