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
        /// A text detector's boxes (`TextRegions`) against labelled boxes, F1 at IoU 0.5
        /// over all samples. A label is `x0,y0,x1,y1` boxes joined by `;`, in the model
        /// input's pixels (`LabelledMetric` scales them from the image's).
        case textBoxes
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
        if kind == .textBoxes { return boxF1(outputs) }
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
            case .textBoxes:
                break
            }
        }
        return total == 0 ? nil : Double(right) / Double(total)
    }

    /// F1 of the detected boxes against the labelled ones: 2 x matches / (detected + labelled),
    /// summed over the labelled samples.
    func boxF1(_ outputs: [[String: Tensor]]) -> Double? {
        var matched = 0
        var total = 0
        var scored = 0
        for (output, label) in zip(outputs, values) {
            guard let label, let name = output.keys.sorted().first, let map = output[name] else { continue }
            let expected = Self.boxes(label)
            let found = TextRegions.boxes(map)
            matched += Detections.matches(found, expected)
            total += found.count + expected.count
            scored += 1
        }
        guard scored > 0 else { return nil }
        return total == 0 ? 1 : 2 * Double(matched) / Double(total)
    }

    /// `x0,y0,x1,y1;...` as boxes; malformed entries are skipped (`LabelledMetric` writes them).
    static func boxes(_ label: String) -> [Detections.Box] {
        label.split(separator: ";").compactMap { entry in
            let v = entry.split(separator: ",").compactMap { Float(String($0)) }
            guard v.count == 4, v[2] > v[0], v[3] > v[1] else { return nil }
            return Detections.Box(x0: v[0], y0: v[1], x1: v[2], y1: v[3], label: 0)
        }
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
