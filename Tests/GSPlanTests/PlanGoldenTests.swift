import Foundation
import GSCore
import GSPlan
import GSSpec
import Testing

/// Every text format of the plan, byte for byte, on the fixture repository. Regenerate with
/// `GSCTL_UPDATE_GOLDEN=1 swift test --filter PlanGoldenTests` and review the diff.
@Suite struct PlanGoldenTests {
    static let goldenDirectory: String = {
        var url = URL(fileURLWithPath: #filePath)
        url.deleteLastPathComponent()
        return url.appendingPathComponent("Golden").path
    }()

    @Test(arguments: [PlanFormat.text, .json, .dot, .mermaid])
    func matchesGolden(format: PlanFormat) throws {
        let (plan, directory) = try planFixture("plan-repo")
        // Paths in the plan are where the fixture was copied; the golden file says <repo>.
        let actual = format.render(plan, color: false).replacingOccurrences(of: directory, with: "<repo>")
        let path =
            Self.goldenDirectory + "/plan.\(format == .mermaid ? "mmd" : format == .text ? "txt" : format.rawValue)"
        if ProcessInfo.processInfo.environment["GSCTL_UPDATE_GOLDEN"] == "1" {
            try Data(actual.utf8).write(to: URL(fileURLWithPath: path))
        }
        let expected = try String(contentsOfFile: path, encoding: .utf8)
        #expect(actual == expected, "plan.\(format.rawValue) differs from \(path); review with GSCTL_UPDATE_GOLDEN=1")
    }

    @Test func textHasNoColourUnlessAsked() throws {
        let plan = try planFixture("plan-repo").plan
        #expect(!PlanFormat.text.render(plan, color: false).contains("\u{1B}["))
        #expect(PlanFormat.text.render(plan, color: true).contains("\u{1B}["))
    }
}
