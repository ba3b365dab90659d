import GSCore
import Testing

@testable import GSBuild

/// The build report's Markdown table reads like the talk's: accuracy with the interval the
/// samples allow, and a tolerance that says when it was checked at a confidence.
@Suite struct BuildReportTests {
    static func outcome(_ report: JSONValue) -> StepOutcome {
        StepOutcome(
            step: StepRequestTests.step, key: "k", entry: BuildCache.Entry(directory: "/nonexistent"), report: report,
            cached: false, seconds: 12.3)
    }

    static let measured: JSONValue = [
        "shipped": "int8-mixed", "metric": "box-f1", "score": .double(0.9954),
        "scoreInterval": .array([.double(0.9928), .double(0.9977)]), "tolerance": .double(0.01),
        "bytesBefore": 12_300_000, "bytesAfter": 4_000_000, "nodesBefore": 582, "nodesAfter": 841,
        "int8Share": .double(0.457),
    ]

    @Test func accuracyCarriesItsIntervalAndTheToleranceItsConfidence() {
        var sure = Self.measured
        if case .object(var members) = sure {
            members["confidence"] = .double(0.95)
            sure = .object(members)
        }
        let table = BuildReport(steps: [Self.outcome(sure)], bundles: []).markdown
        #expect(table.contains("| 99.54% [99.3-99.8] (box-f1) | 1.0 pt at 95% |"), "\(table)")
        let plain = BuildReport(steps: [Self.outcome(Self.measured)], bundles: []).markdown
        #expect(plain.contains("| 99.54% [99.3-99.8] (box-f1) | 1.0 pt |"), "\(plain)")
    }
}
