import GSBundle
import GSCore

/// The build report, in the shape of the talk's tables: per model x device x precision the
/// accuracy against the original (with the 95% interval its samples allow), size, nodes
/// before and after, compile time, and for int8 variants the share of the multiply-adds
/// that run in int8.
struct BuildReport {
    var steps: [StepOutcome]
    var bundles: [PackedBundle]

    var json: JSONValue {
        [
            "version": 1,
            "gsctl": .string(GSVersion.current),
            "steps": .array(
                steps.map { outcome in
                    [
                        "id": .string(outcome.step.id),
                        "model": .string(outcome.step.model),
                        "device": .string(outcome.step.device),
                        "precision": .string(outcome.step.precision.rawValue),
                        "buildKey": .string(outcome.key),
                        "cached": .bool(outcome.cached),
                        "report": outcome.report,
                    ]
                }),
            "bundles": .array(
                bundles.map { bundle in
                    [
                        "id": .string(bundle.manifest.id),
                        "archive": .string(FileSystem.basename(bundle.archivePath)),
                        "bytes": .int(bundle.archiveSize),
                        "manifestSha256": .string(bundle.manifestDigest),
                        "signed": .bool(bundle.signature != nil),
                    ]
                }),
        ]
    }

    var markdown: String {
        var out = "# gsctl build report\n\n"
        out +=
            "| model | device | precision | ships | accuracy (metric) | tolerance | MB before | MB after | nodes before | nodes after | int8 FLOPs | compile s |\n"
        out += "|---|---|---|---|---|---|---|---|---|---|---|---|\n"
        for outcome in steps {
            let report = outcome.report
            func number(_ key: String) -> Double? {
                switch report.member(key) {
                case .int(let value)?: Double(value)
                case .double(let value)?: value
                default: nil
                }
            }
            var score = number("score").map { (DecimalText.fixed($0 * 100, digits: 2) + "%") } ?? "n/a"
            // The interval the evaluation samples allow (95%, or the Model's confidence): how
            // much the check can tell.
            if case .array(let bounds)? = report.member("scoreInterval"), bounds.count == 2,
                let low = bounds[0].doubleValue, let high = bounds[1].doubleValue
            {
                score += " [\(DecimalText.fixed(low * 100, digits: 1))-\(DecimalText.fixed(high * 100, digits: 1))]"
            }
            var metric = report.member("metric")?.stringValue ?? ""
            // Labelled data: the variant's accuracy on the labels, beside the original model's.
            if let labels = report.member("labels"), let accuracy = labels["accuracy"]?.doubleValue,
                let original = labels["originalAccuracy"]?.doubleValue
            {
                score = DecimalText.fixed(accuracy * 100, digits: 2) + "%"
                metric +=
                    " on \(labels["samples"]?.intValue ?? 0) labelled; original \(DecimalText.fixed(original * 100, digits: 2))%"
            }
            var tolerance = number("tolerance").map { (DecimalText.fixed($0 * 100, digits: 1) + " pt") } ?? ""
            // Checked at the interval's low end rather than at the score (`evaluation.confidence`).
            if let confidence = number("confidence") {
                tolerance += " at \(DecimalText.fixed(confidence * 100, digits: 0))%"
            }
            let before = number("bytesBefore").map { DecimalText.fixed($0 / 1_000_000, digits: 2) } ?? ""
            let after = number("bytesAfter").map { DecimalText.fixed($0 / 1_000_000, digits: 2) } ?? ""
            let seconds = outcome.cached ? "cached" : DecimalText.fixed(outcome.seconds, digits: 1)
            let integer = number("int8Share").map { DecimalText.fixed($0 * 100, digits: 1) + "%" } ?? "-"
            out +=
                "| \(outcome.step.model) | \(outcome.step.device) | \(outcome.step.precision.rawValue) | "
                + "\(report.member("shipped")?.stringValue ?? "") | \(score) (\(metric)) | \(tolerance) | \(before) | \(after) | "
                + "\(number("nodesBefore").map { String(Int($0)) } ?? "") | \(number("nodesAfter").map { String(Int($0)) } ?? "") | \(integer) | \(seconds) |\n"
        }
        out += "\n| bundle | archive | MB | signed |\n|---|---|---|---|\n"
        for bundle in bundles {
            out +=
                "| \(bundle.manifest.id) | \(FileSystem.basename(bundle.archivePath)) | "
                + DecimalText.fixed(Double(bundle.archiveSize) / 1_000_000, digits: 2)
                + " | \(bundle.signature != nil ? "yes" : "no") |\n"
        }
        return out
    }
}
