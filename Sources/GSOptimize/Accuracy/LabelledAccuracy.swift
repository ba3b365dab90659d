import GSExec
import ONNX

/// Accuracy against ground truth, for Models whose evaluation data is labelled
/// (`labels.tsv`, see `DatasetLabels`): what a variant gets right, not only how often it
/// agrees with the float model. The compiler bounds the drop from the original model's
/// accuracy on the same samples by the Model's tolerance.
public struct EvaluationLabels: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        /// Text recognised by CTC greedy decoding with the model's own dictionary (see
        /// `characters(of:)`). Spaces are ignored on both sides (PP-OCR's recogniser emits
        /// them unreliably).
        case text
        /// The class index of the top-1 output.
        case classIndex
    }

    public var kind: Kind
    /// One label per evaluation sample, in order; nil where a sample is not scored.
    public var values: [String?]
    /// The metric's name in reports (`char-accuracy`, `top1-accuracy`).
    public var metric: String

    public init(kind: Kind, values: [String?], metric: String) {
        self.kind = kind
        self.values = values
        self.metric = metric
    }

    /// How many samples carry a label.
    public var labelled: Int { values.compactMap { $0 }.count }

    /// Accuracy of `outputs` (one per evaluation sample) on the labelled samples, or nil when
    /// none is labelled. Text: 1 - edit distance / label length, summed over samples.
    public func accuracy(_ outputs: [[String: Tensor]], characters: [String] = []) -> Double? {
        var right = 0
        var total = 0
        for (output, label) in zip(outputs, values) {
            guard let label, let name = output.keys.sorted().first, let tensor = output[name] else { continue }
            switch kind {
            case .text:
                let expected = Array(label.filter { $0 != " " })
                let read = Array(Self.decode(tensor, characters: characters).filter { $0 != " " })
                total += max(expected.count, 1)
                right += max(expected.count, 1) - min(max(expected.count, 1), CTC.editDistance(read, expected))
            case .classIndex:
                total += 1
                if let expected = Int(label), Detections.argmax(tensor.floatValues) == expected { right += 1 }
            }
        }
        return total == 0 ? nil : Double(right) / Double(total)
    }

    /// A CTC recogniser's classes as PP-OCR exports them: class 0 is the blank, then one
    /// character per line of the model's `character` metadata, then a space. Nil when the
    /// model carries no dictionary.
    public static func characters(of model: ModelProto) -> [String]? {
        guard let entry = model.metadataProps.first(where: { $0.key == "character" }) else { return nil }
        let lines = entry.value.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        return ["blank"] + lines + [" "]
    }

    /// The text a CTC output reads as.
    public static func decode(_ probabilities: Tensor, characters: [String]) -> String {
        CTC.greedy(probabilities).map { $0 < characters.count ? characters[$0] : "" }.joined()
    }
}
