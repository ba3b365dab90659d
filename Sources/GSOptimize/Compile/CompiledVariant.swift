import GSCore
import GSExec
import ONNX

/// A compiled model and everything the build report and the bundle record about it.
public struct CompiledVariant: Sendable {
    public var model: ModelProto
    public var report: VariantReport
    /// A golden input and the outputs this variant computed for it (the device's health
    /// gate replays them).
    public var goldenInput: [String: Tensor]
    public var goldenOutputs: [String: Tensor]
}

/// What compiling did and measured, in the shape of the talk's tables.
public struct VariantReport: Sendable {
    public var requested: TargetPrecision
    /// What ships: the requested precision, or fp32 when a miss fell back to float.
    public var shipped: TargetPrecision
    public var nodesBefore: Int
    public var nodesAfter: Int
    public var bytesBefore: Int
    public var bytesAfter: Int
    public var metric: AccuracyMetric
    /// Metric of the shipped variant against the original model (1 = identical).
    public var score: Double?
    public var tolerance: Double
    public var calibrationSamples: Int
    public var evaluationSamples: Int
    /// Tensors kept in float by the int8-mixed search, most damaged first.
    public var keptInFloat: [String]
    /// The int8-mixed search's trials in the order it made them: how many nodes each kept in
    /// float and what it scored. The accuracy each step of float bought, for a user choosing
    /// a tolerance (the search keeps only the smallest set that meets it).
    public var search: [AccuracyFallback.Step] = []
    /// The most damaged quantized tensors (for a report on a miss).
    public var damaged: [String]
    public var passes: [PassReport]
    public var seconds: Double
    public var notes: [String]
    /// The shipped model's graph inputs and their shapes (`[1, 3, 48, 192]`): what a device
    /// feeds it, and what `gsctl diff` compares between releases.
    public var inputs: [String: String] = [:]
    /// For a shipped int8 or int8-mixed variant: the fraction of its multiply-adds a runtime
    /// can do in 8-bit integers (`FLOPCount.integer`). int8-mixed keeping much in float can
    /// end up slower than fp32 (layout and type conversions at every border), which only a
    /// measurement on the device shows; a low share says to expect it.
    public var integerShare: Double?
    /// The score's bootstrap interval over the evaluation samples (agreement metrics on real
    /// data), at `confidence` or 95%: how much the check can tell on this many samples.
    public var scoreInterval: ScoreInterval?
    /// `evaluation.confidence`: the tolerance must hold at the low end of the interval at
    /// this level, not just at the score.
    public var confidence: Double?

    /// Set when the evaluation data is labelled: `score` is then 1 + (this variant's accuracy
    /// on the labels - the original model's).
    public var labelled: Labelled?

    public struct Labelled: Sendable {
        public var metric: String
        public var referenceAccuracy: Double
        public var samples: Int
    }

    public var met: Bool {
        guard let score else { return true }
        let floor = 1 - tolerance - 1e-9
        guard score >= floor else { return false }
        guard confidence != nil, let low = scoreInterval?.low else { return true }
        return low >= floor
    }

    /// The metric the score and tolerance are in (the labelled one where there are labels).
    public var metricName: String { labelled?.metric ?? metric.rawValue }

    /// This variant's accuracy on the labels.
    public var labelledAccuracy: Double? {
        guard let labelled, let score else { return nil }
        return labelled.referenceAccuracy + score - 1
    }

    public var json: JSONValue {
        var json: JSONValue = [
            "requested": .string(requested.rawValue),
            "shipped": .string(shipped.rawValue),
            "nodesBefore": .int(nodesBefore),
            "nodesAfter": .int(nodesAfter),
            "bytesBefore": .int(bytesBefore),
            "bytesAfter": .int(bytesAfter),
            "metric": .string(metricName),
            "deviceMetric": .string(metric.rawValue),
            "score": score.map { .double(($0 * 10000).rounded() / 10000) } ?? .null,
            "tolerance": .double(tolerance),
            "met": .bool(met),
            "calibrationSamples": .int(calibrationSamples),
            "evaluationSamples": .int(evaluationSamples),
            "keptInFloat": .strings(keptInFloat),
            "damaged": .strings(damaged),
            "search": .array(
                search.map { step in
                    var trial: [String: JSONValue] = [
                        "keptNodes": .int(step.excludedNodes), "score": .double((step.score * 10000).rounded() / 10000),
                        "seconds": .double((step.seconds * 10).rounded() / 10),
                    ]
                    if step.checked != step.score {
                        trial["checked"] = .double((step.checked * 10000).rounded() / 10000)
                    }
                    if let giveBack = step.giveBack {
                        trial["requantized"] = .string(giveBack.node)
                        trial["keptInInt8"] = .bool(giveBack.stayed)
                    }
                    return .object(trial)
                }),
            "passes": .array(
                passes.map { report in
                    ["pass": .string(report.pass), "counts": .object(report.counts.mapValues { .int($0) })]
                }),
            "seconds": .double((seconds * 100).rounded() / 100),
            "notes": .strings(notes),
            "inputs": .object(inputs.mapValues { .string($0) }),
            "int8Share": integerShare.map { .double(($0 * 10000).rounded() / 10000) } ?? .null,
            "scoreInterval": scoreInterval.map {
                .array([.double(($0.low * 10000).rounded() / 10000), .double(($0.high * 10000).rounded() / 10000)])
            } ?? .null,
        ]
        if case .object(var members) = json, let confidence {
            members["confidence"] = .double(confidence)
            json = .object(members)
        }
        if case .object(var members) = json, let labelled, let accuracy = labelledAccuracy {
            members["labels"] = [
                "metric": .string(labelled.metric), "accuracy": .double((accuracy * 10000).rounded() / 10000),
                "originalAccuracy": .double((labelled.referenceAccuracy * 10000).rounded() / 10000),
                "samples": .int(labelled.samples),
            ]
            json = .object(members)
        }
        return json
    }
}

/// A compilation that cannot produce what was asked, with the evidence.
public struct CompileError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var report: VariantReport?

    public init(message: String, report: VariantReport? = nil) {
        self.message = message
        self.report = report
    }

    public var description: String { message }
}
