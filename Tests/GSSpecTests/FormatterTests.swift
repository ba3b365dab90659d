import Foundation
import GSCore
import GSSpec
import Testing

@Suite struct FormatterTests {
    /// A report with one finding of each severity, in a file with a comma and a colon in its
    /// name (the characters GitHub's property escaping exists for).
    func report() throws -> LintReport {
        let directory = MarkedFixture.temporaryDirectory()
        let path = directory + "/a,b:c.yaml"
        let text =
            "apiVersion: gs.ai/v1\nkind: Device\nmetadata: {name: d, labels: {country: no}}\nspec:\n  arch: x86_64\n  colour: 100%\n  runtimes: [{name: onnxruntime, version: \"1\", format: onnx, precisions: [fp32]}]\n"
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return Linter.lint(paths: [path])
    }

    @Test func textShowsTheLineACaretAndTheHint() throws {
        let text = DiagnosticFormat.text.render(try report(), strict: false, color: false)
        #expect(
            text.contains(
                "a,b:c.yaml:6:3: error[GS202]: unknown key `colour` in `spec` (DeviceSpec)\n 6 |   colour: 100%\n   |   ^\n  hint: "
            ))
        #expect(text.hasSuffix("✗ 1 error, 1 warning, 1 note in 1 file (1 document)\n"))
        #expect(!text.contains("\u{1B}["))
    }

    @Test func colourOnlyWhenAsked() throws {
        #expect(DiagnosticFormat.text.render(try report(), strict: false, color: true).contains("\u{1B}[31m"))
    }

    @Test func githubAnnotationsEscapePropertiesAndData() throws {
        let lines = DiagnosticFormat.github.render(try report(), strict: false, color: false)
            .split(separator: "\n").map(String.init)
        let error = try #require(lines.first { $0.hasPrefix("::error ") })
        #expect(error.contains("a%2Cb%3Ac.yaml,line=6,col=3,title=GS202 unknown key::"))
        #expect(error.contains("%0Ahint: "))
        #expect(lines.contains { $0.hasPrefix("::warning ") && $0.contains("line=3") })
        #expect(lines.contains { $0.hasPrefix("::notice ") })
    }

    @Test func jsonIsStableAndComplete() throws {
        let json = DiagnosticFormat.json.render(try report(), strict: true, color: false)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(object["version"] as? Int == 1)
        #expect(object["ok"] as? Bool == false)
        let findings = try #require(object["diagnostics"] as? [[String: Any]])
        #expect(findings.map { $0["code"] as? String } == ["GS306", "GS207", "GS202"])
        #expect(findings[2]["line"] as? Int == 6 && findings[2]["column"] as? Int == 3)
        #expect(findings[2]["title"] as? String == "unknown key")
    }

    @Test func sarifNamesRulesAndRegions() throws {
        let sarif = DiagnosticFormat.sarif.render(try report(), strict: false, color: false)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(sarif.utf8)) as? [String: Any])
        #expect(object["version"] as? String == "2.1.0")
        let run = try #require((object["runs"] as? [[String: Any]])?.first)
        let driver = try #require((run["tool"] as? [String: Any])?["driver"] as? [String: Any])
        let rules = try #require(driver["rules"] as? [[String: Any]])
        #expect(rules.count == DiagnosticCode.allCases.count)
        let results = try #require(run["results"] as? [[String: Any]])
        let error = try #require(results.first { $0["ruleId"] as? String == "GS202" })
        #expect(error["level"] as? String == "error")
        let index = try #require(error["ruleIndex"] as? Int)
        #expect(rules[index]["id"] as? String == "GS202")
        let location = try #require(
            (error["locations"] as? [[String: Any]])?.first?["physicalLocation"] as? [String: Any])
        #expect((location["artifactLocation"] as? [String: Any])?["uri"] as? String != nil)
        #expect(
            (location["artifactLocation"] as? [String: Any])?["uri"] as? String == nil
                || ((location["artifactLocation"] as? [String: Any])?["uri"] as? String)?.contains("a%2Cb%3Ac.yaml")
                    == true
        )
        #expect((location["region"] as? [String: Any])?["startLine"] as? Int == 6)
    }
}
